//! Writing builds and reading them back.

use crate::common;

use std::fs;

use crate::common::{pipeline, read_csv, sales_file};
use xorq_build::{BuildError, BuildOptions, build, load};
use xorq_core::{DataType, Table, col, lit, param};

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> =
        walk(dir).into_iter().map(|p| p.strip_prefix(dir).expect("under dir").display().to_string()).collect();
    out.sort();
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

#[test]
fn a_build_is_named_by_its_address_and_bundles_its_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let table = pipeline(&sales_file(tmp.path()));
    let builds = tmp.path().join("builds");
    let b = build(&table, &builds, &BuildOptions::default()).unwrap();
    assert!(!b.reused);
    assert_eq!(b.path, builds.join(b.address.short()));
    assert_ne!(b.address, table.address(), "bundling names the file by its bytes, not its path");
    assert_eq!(b.computation_address, table.computation_address(), "same computation over the same reference");
    let listing = files(&b.path);
    let data = listing.iter().find(|f| f.starts_with("data/")).expect("bundled copy").clone();
    assert_eq!(listing, vec![data.clone(), "expr.yaml".into(), "metadata.json".into(), "profiles.yaml".into()]);
    assert_eq!(fs::read_to_string(b.path.join(&data)).unwrap(), common::SALES_CSV);
    // Nothing else is left in the builds directory (no staging directories).
    assert_eq!(fs::read_dir(&builds).unwrap().count(), 1);
}

#[test]
fn load_gives_back_the_same_expression_and_rebuilding_reuses_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let table = pipeline(&sales_file(tmp.path()));
    let builds = tmp.path().join("builds");
    let first = build(&table, &builds, &BuildOptions::default()).unwrap();
    let yaml = fs::read(first.path.join("expr.yaml")).unwrap();
    let loaded = load(&first.path).unwrap();
    assert_eq!(loaded.table.address(), first.address);
    assert_eq!(loaded.table.computation_address(), first.computation_address, "origin restored from metadata");
    assert_eq!(loaded.table.schema(), table.schema());

    let again = build(&table, &builds, &BuildOptions::default()).unwrap();
    assert!(again.reused);
    assert_eq!(again.path, first.path);
    let rebuilt = build(&loaded.table, &tmp.path().join("other"), &BuildOptions::default()).unwrap();
    assert_eq!(rebuilt.address, first.address, "build → load → build keeps the address");
    assert_eq!(fs::read(rebuilt.path.join("expr.yaml")).unwrap(), yaml, "and the bytes");
}

#[test]
fn concurrent_builds_of_one_expression_publish_one_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let table = pipeline(&sales_file(tmp.path()));
    let builds = tmp.path().join("builds");
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..6).map(|_| s.spawn(|| build(&table, &builds, &BuildOptions::default()).map(|b| b.path))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let paths: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    assert!(paths.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(fs::read_dir(&builds).unwrap().count(), 1, "no staging leftovers");
    load(&paths[0]).unwrap();
}

#[test]
fn without_relocation_reads_stay_references() {
    let tmp = tempfile::tempdir().unwrap();
    let sales = sales_file(tmp.path());
    let table = pipeline(&sales);
    let b = build(&table, &tmp.path().join("builds"), &BuildOptions::default().relocate_reads(false)).unwrap();
    assert_eq!(b.address, table.address());
    assert!(!b.path.join("data").exists());
    let yaml = fs::read_to_string(b.path.join("expr.yaml")).unwrap();
    assert!(yaml.contains(sales.to_str().unwrap()), "{yaml}");
    assert_eq!(load(&b.path).unwrap().table.address(), table.address());
}

#[test]
fn the_same_bytes_under_another_name_give_the_same_build() {
    let tmp = tempfile::tempdir().unwrap();
    let a = sales_file(tmp.path());
    let b = tmp.path().join("copy-of-sales.csv");
    fs::copy(&a, &b).unwrap();
    let builds = tmp.path().join("builds");
    let x = build(&pipeline(&a), &builds, &BuildOptions::default()).unwrap();
    let y = build(&pipeline(&b), &builds, &BuildOptions::default()).unwrap();
    assert_eq!(x.address, y.address);
    assert!(y.reused);
    assert_ne!(x.computation_address, y.computation_address, "the computation address keeps the reference");
}

#[test]
fn memtables_are_stored_as_parquet() {
    use arrow::array::{Float64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let batch = RecordBatch::try_from_iter([
        ("region", Arc::new(StringArray::from(vec!["EU", "US", "EU"])) as _),
        ("amount", Arc::new(Float64Array::from(vec![Some(1.5), None, Some(3.0)])) as _),
    ])
    .unwrap();
    let table = Table::memtable(vec![batch]).unwrap().filter(col("amount").gt(lit(1))).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let b = build(&table, tmp.path(), &BuildOptions::default()).unwrap();
    assert_eq!(b.address, table.address());
    let listing = files(&b.path);
    assert!(listing.iter().any(|f| f.starts_with("memtables/") && f.ends_with(".parquet")), "{listing:?}");
    assert_eq!(load(&b.path).unwrap().table.address(), table.address());
}

#[test]
fn debug_adds_deferred_reads_and_engine_sql() {
    let tmp = tempfile::tempdir().unwrap();
    let table = read_csv(&sales_file(tmp.path()))
        .filter(col("amount").gt(param("threshold", DataType::Float64).with_default(100.0)))
        .and_then(|t| t.select([col("region"), col("amount")]))
        .unwrap();
    let plain = build(&table, &tmp.path().join("builds"), &BuildOptions::default()).unwrap();
    assert!(!plain.path.join("datafusion.sql").exists());
    // Asking for debug files on an existing build adds them.
    let b = build(&table, &tmp.path().join("builds"), &BuildOptions::default().debug(true)).unwrap();
    assert!(b.reused);
    let reads = fs::read_to_string(b.path.join("deferred_reads.yaml")).unwrap();
    let sql = fs::read_to_string(b.path.join("datafusion.sql")).unwrap();
    let hex = b.address.short();
    insta::assert_snapshot!("deferred_reads", reads.replace(&hex, "<build>"));
    insta::assert_snapshot!("datafusion_sql", sql.replace(&hex, "<build>"));
}

#[test]
fn metadata_records_address_scheme_versions_and_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let sales = sales_file(tmp.path());
    let b = build(&pipeline(&sales), &tmp.path().join("builds"), &BuildOptions::default()).unwrap();
    let text = fs::read_to_string(b.path.join("metadata.json")).unwrap();
    let text = text.replace(tmp.path().to_str().unwrap(), "<tmp>");
    let mut text = text;
    for key in ["built_at", "computation_address", "modified"] {
        text = regex_free_redact(&text, &format!("\"{key}\": \""));
    }
    insta::assert_snapshot!("metadata", text);
    let m = xorq_build::read_metadata(&b.path).unwrap();
    assert_eq!(m.address, b.address.hex());
    assert_eq!(m.sources[0].size, Some(common::SALES_CSV.len() as u64));
}

/// Replaces the quoted value after `key` with `<redacted>`.
fn regex_free_redact(text: &str, key: &str) -> String {
    let Some(start) = text.find(key).map(|i| i + key.len()) else { return text.to_string() };
    let end = start + text[start..].find('"').expect("closing quote");
    format!("{}<redacted>{}", &text[..start], &text[end..])
}

#[test]
fn expr_yaml_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let b = build(&pipeline(&sales_file(tmp.path())), &tmp.path().join("builds"), &BuildOptions::default()).unwrap();
    insta::assert_snapshot!("expr_yaml", fs::read_to_string(b.path.join("expr.yaml")).unwrap());
}

#[test]
fn a_hand_edited_manifest_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let b = build(&pipeline(&sales_file(tmp.path())), &tmp.path().join("builds"), &BuildOptions::default()).unwrap();
    let path = b.path.join("expr.yaml");
    let yaml = fs::read_to_string(&path).unwrap();
    assert!(yaml.contains("literal: 100"), "{yaml}");
    fs::write(&path, yaml.replace("literal: 100", "literal: 200")).unwrap();
    let err = load(&b.path).unwrap_err().to_string();
    assert!(err.contains("expr.yaml") && err.contains("edited after it was written"), "{err}");
    // Rebuilding the original expression notices the edited directory instead of reusing it.
    let err = build(&pipeline(&tmp.path().join("sales.csv")), &tmp.path().join("builds"), &BuildOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("edited by hand"), "{err}");
}

#[test]
fn malformed_and_newer_manifests_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let b = build(&pipeline(&sales_file(tmp.path())), &tmp.path().join("builds"), &BuildOptions::default()).unwrap();
    let path = b.path.join("expr.yaml");
    let yaml = fs::read_to_string(&path).unwrap();
    fs::write(&path, yaml.replacen("  nodes:", "  nodes: [", 1)).unwrap();
    let err = load(&b.path).unwrap_err().to_string();
    assert!(err.contains("line ") && err.contains("column "), "{err}");

    let meta = b.path.join("metadata.json");
    let text = fs::read_to_string(&meta).unwrap();
    fs::write(&meta, text.replace("\"manifest_version\": 1", "\"manifest_version\": 9")).unwrap();
    let err = load(&b.path).unwrap_err().to_string();
    assert!(err.contains("manifest version 9") && err.contains("upgrade"), "{err}");
}

#[test]
fn a_missing_bundled_file_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let b = build(&pipeline(&sales_file(tmp.path())), &tmp.path().join("builds"), &BuildOptions::default()).unwrap();
    fs::remove_dir_all(b.path.join("data")).unwrap();
    let err = load(&b.path).unwrap_err().to_string();
    assert!(err.contains("bundled copy of `sales.csv` is missing"), "{err}");
}

#[test]
fn a_read_only_builds_dir_fails_cleanly() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let table = pipeline(&sales_file(tmp.path()));
    let builds = tmp.path().join("builds");
    fs::create_dir(&builds).unwrap();
    fs::set_permissions(&builds, fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores permissions; only check when the directory is really read-only for us.
    if fs::write(builds.join("probe"), "x").is_ok() {
        return;
    }
    let err = build(&table, &builds, &BuildOptions::default()).unwrap_err();
    assert!(matches!(err, BuildError::Io { .. }), "{err}");
    assert!(err.to_string().contains(builds.to_str().unwrap()), "{err}");
    assert_eq!(fs::read_dir(&builds).unwrap().count(), 0);
}

#[test]
fn table_sources_need_their_profile() {
    use xorq_core::profile::Profile;
    use xorq_core::{DataType, Field, Schema, Source};
    let schema = Schema::new(vec![Field::new("id", DataType::Int64, false)]).unwrap();
    let table = Table::from_source(Source::table("warehouse", vec!["public".into(), "orders".into()], schema)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let err = build(&table, tmp.path(), &BuildOptions::default()).unwrap_err().to_string();
    assert!(err.contains("profile `warehouse`") && err.contains("public.orders"), "{err}");
    let profile = Profile::new("warehouse", "postgres").unwrap().param("password", "${PGPASSWORD}").unwrap();
    let b = build(&table, tmp.path(), &BuildOptions::default().profile(profile.clone())).unwrap();
    let text = fs::read_to_string(b.path.join("profiles.yaml")).unwrap();
    assert!(text.contains("password: ${PGPASSWORD}"), "{text}");
    assert_eq!(load(&b.path).unwrap().profiles, vec![profile]);
}

/// What a backend's SQL cannot express is refused when the build is made, naming the operation
/// and the engine, and nothing is published; the same operation computed locally and then moved
/// into that backend builds.
#[test]
fn backend_segments_their_engine_cannot_express_are_refused_at_build_time() {
    use xorq_core::profile::Profile;
    use xorq_core::{DataType, Field, Schema, Source};
    let schema =
        Schema::new(vec![Field::new("region", DataType::String, true), Field::new("amount", DataType::Float64, true)])
            .unwrap();
    let orders = Table::from_source(Source::table("shop", vec!["orders".into()], schema)).unwrap();
    let options = BuildOptions::default().profile(Profile::new("shop", "sqlite").unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let builds = tmp.path().join("builds");

    let spread = orders.group_by(["region"]).agg([col("amount").std().alias("spread")]).unwrap();
    let err = build(&spread, &builds, &options).unwrap_err().to_string();
    assert!(err.contains("aggregate `std`") && err.contains("SQLite"), "{err}");
    assert_eq!(files(&builds), Vec::<String>::new(), "nothing published");

    let local = read_csv(&sales_file(tmp.path()))
        .group_by(["region"])
        .agg([col("amount").std().alias("spread")])
        .and_then(|t| t.into_backend("shop"))
        .and_then(|t| t.filter(col("spread").gt(lit(1.0))))
        .unwrap();
    build(&local, &builds, &options).unwrap();
}

#[test]
fn staging_directories_of_dead_builds_are_swept_and_live_ones_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let builds = tmp.path().join("builds");
    fs::create_dir_all(&builds).unwrap();
    // What a killed build leaves: a staging directory named by a process that is gone (and one
    // from an older version, named without a process id), with half its files.
    let dead = builds.join(".tmp-build-999999999-0123456789ab");
    let old = builds.join(".tmp-build-AbC123");
    for d in [&dead, &old] {
        fs::create_dir_all(d.join("data")).unwrap();
        fs::write(d.join("data/part"), "half").unwrap();
    }
    // A build in progress in this process: locked, its process alive.
    let live = xorq_fs::Staging::new_in(&builds, ".tmp-build-").unwrap();
    build(&pipeline(&sales_file(tmp.path())), &builds, &BuildOptions::default()).unwrap();
    assert!(!dead.exists(), "a dead build's staging directory is removed by the next build");
    assert!(!old.exists(), "an unlocked one without an owner too");
    assert!(live.path().exists(), "a live build's staging directory is kept");
}

/// A memtable's rows replaced by other valid Parquet rows, or by a link, are refused by `load`
/// (its content hash is of its values), and so is reusing such a build.
#[test]
fn a_tampered_memtable_is_refused() {
    use arrow::array::{Float64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let batch = |amounts: Vec<f64>| {
        RecordBatch::try_from_iter([
            ("region", Arc::new(StringArray::from(vec!["EU"; amounts.len()])) as _),
            ("amount", Arc::new(Float64Array::from(amounts)) as _),
        ])
        .unwrap()
    };
    let tmp = tempfile::tempdir().unwrap();
    let table = Table::memtable(vec![batch(vec![1.0, 2.0])]).unwrap();
    let other = Table::memtable(vec![batch(vec![1.0, 3.0])]).unwrap();
    let b = build(&table, &tmp.path().join("a"), &BuildOptions::default()).unwrap();
    let o = build(&other, &tmp.path().join("b"), &BuildOptions::default()).unwrap();
    let file = |dir: &std::path::Path| fs::read_dir(dir.join("memtables")).unwrap().next().unwrap().unwrap().path();
    let target = file(&b.path);
    fs::copy(file(&o.path), &target).unwrap();
    let e = load(&b.path).unwrap_err().to_string();
    assert!(e.contains("they are other data"), "{e}");
    let e = build(&table, &tmp.path().join("a"), &BuildOptions::default()).unwrap_err().to_string();
    assert!(e.contains("cannot be reused"), "{e}");
    fs::remove_file(&target).unwrap();
    std::os::unix::fs::symlink(file(&o.path), &target).unwrap();
    let e = load(&b.path).unwrap_err().to_string();
    assert!(e.contains("is a symbolic link, not a regular file"), "{e}");
}

/// Verification is remembered per file identity in the directory given, and a full check
/// (`Verification::Always`) hashes every time; a changed file is refused either way.
#[test]
fn bundled_files_are_verified_before_they_are_read() {
    use xorq_build::{Verification, load_with};
    let tmp = tempfile::tempdir().unwrap();
    let records = tmp.path().join("verified");
    let options = BuildOptions::default().verification(Verification::Remembered(records.clone()));
    let b = build(&pipeline(&sales_file(tmp.path())), &tmp.path().join("builds"), &options).unwrap();
    assert_eq!(fs::read_dir(&records).unwrap().count(), 1, "the copy is remembered as it is written");
    load_with(&b.path, &Verification::Remembered(records.clone())).unwrap();
    load_with(&b.path, &Verification::Always).unwrap();
    let data = fs::read_dir(b.path.join("data")).unwrap().next().unwrap().unwrap().path();
    fs::write(&data, common::SALES_CSV.replace("120.5", "920.5")).unwrap();
    for how in [Verification::Remembered(records), Verification::Always] {
        let e = load_with(&b.path, &how).unwrap_err().to_string();
        assert!(e.contains("should hash to") && e.contains("is not read"), "{e}");
    }
}

/// `metadata.json` restates the manifest; an edit of what it restates is refused, naming the
/// field. Provenance (the build time) is not restated anywhere.
#[test]
fn metadata_that_says_otherwise_than_the_manifest_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let b = build(&pipeline(&sales_file(tmp.path())), &tmp.path().join("builds"), &BuildOptions::default()).unwrap();
    let path = b.path.join("metadata.json");
    let original = fs::read_to_string(&path).unwrap();
    let cases = [
        ("\"name\": \"total\"", "\"name\": \"sum\"", "`schema`"),
        ("\"root\": \"Sort\"", "\"root\": \"Filter\"", "`root`"),
        ("\"format\": \"csv\"", "\"format\": \"parquet\"", "`sources[0].format`"),
        ("\"kind\": \"file\"", "\"kind\": \"table\"", "`sources[0].kind`"),
    ];
    for (from, to, field) in cases {
        assert!(original.contains(from), "{from} in {original}");
        fs::write(&path, original.replacen(from, to, 1)).unwrap();
        let e = load(&b.path).unwrap_err().to_string();
        assert!(e.contains(&format!("its {field} says")), "{from}: {e}");
    }
    let i = original.find("\"built_at\": \"").unwrap() + 14;
    fs::write(&path, format!("{}1999{}", &original[..i], &original[i + 4..])).unwrap();
    load(&b.path).unwrap();
}
