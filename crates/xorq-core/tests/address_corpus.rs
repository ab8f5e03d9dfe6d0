//! The pinned address corpus: a change of any address here is a change of the hashing scheme and
//! must come with a bump of `HASH_SCHEME_VERSION` (then review and accept the new snapshot).

mod common;

use common::corpus::corpus;
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
    assert_eq!(HASH_SCHEME_VERSION, 2);
    assert_eq!(HASH_SCHEME, "xorq-rs-blake3-v2");
    assert_eq!(KNOWN_HASH_SCHEMES, ["xorq-rs-blake3-v1", "xorq-rs-blake3-v2"]);
}
