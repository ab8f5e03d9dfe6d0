//! The pinned address corpus: a change of any address here is a change of the hashing scheme and
//! must come with a bump of `HASH_SCHEME_VERSION` (then review and accept the new snapshot).

use crate::common;

use crate::common::corpus::corpus;
use xorq_core::*;

#[test]
fn pinned_addresses() {
    let mut listing = String::new();
    let mut seen: Vec<(Address, &str)> = Vec::new();
    let corpus = corpus();
    assert!(corpus.len() >= 40);
    for (name, table) in corpus {
        let table = table.unwrap_or_else(|e| panic!("corpus entry `{name}` does not build: {e}"));
        let a = table.address();
        if let Some((_, other)) = seen.iter().find(|(b, _)| *b == a) {
            panic!("`{name}` and `{other}` have the same address {a}");
        }
        seen.push((a, name));
        listing.push_str(&format!("{name:<22} {}\n", a.hex()));
    }
    insta::assert_snapshot!(listing);
}

#[test]
fn scheme_version_is_part_of_the_contract() {
    assert_eq!(HASH_SCHEME_VERSION, 3);
    assert_eq!(HASH_SCHEME, "xorq-rs-blake3-v3");
    assert_eq!(KNOWN_HASH_SCHEMES, ["xorq-rs-blake3-v1", "xorq-rs-blake3-v2", "xorq-rs-blake3-v3"]);
}

/// Scheme 3 added one identity: a file in a project by its path there. Pinned here (the corpus
/// round-trips without a project), and different from the same path by reference.
#[test]
fn a_project_file_is_named_by_its_path_in_the_project() {
    let project = |location: &str| {
        Table::from_source(Source::project_file(
            FileFormat::Parquet,
            location,
            "data/sales.parquet",
            common::sales_schema(),
        ))
        .expect("source")
    };
    let a = project("/home/ann/shop/data/sales.parquet");
    assert_eq!(a.address(), project("/srv/ci/checkout/data/sales.parquet").address());
    let by_reference = Source::file(FileFormat::Parquet, "/home/ann/shop/data/sales.parquet", common::sales_schema())
        .and_then(Table::from_source)
        .expect("source");
    assert_ne!(a.address(), by_reference.address());
    insta::assert_snapshot!(a.address().hex(), @"394824a0a9beb9a262bf21acce49cc4b80f56c766f18dc6879bdfb51618db2f8");
}
