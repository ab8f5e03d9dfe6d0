//! The catalog against real git: one commit per change, aliases and revisions, check, failures
//! that leave nothing behind, and crash recovery.

mod common;

use std::fs;

use common::{build, commits, dirt, git};
use xorq_catalog::{AliasName, Catalog, CatalogError};

fn alias(name: &str) -> AliasName {
    AliasName::new(name).expect("a valid alias")
}

#[test]
fn every_change_is_one_commit_that_says_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let root = catalog.path().to_path_buf();
    assert_eq!(commits(&root), 1);
    let b1 = build(tmp.path(), 100);
    let b2 = build(tmp.path(), 200);

    let added = catalog.add(&b1, &[alias("prod")]).unwrap();
    assert!(added.new_entry && added.committed);
    assert_eq!(added.aliases[0].revision, 1);
    let short1 = &added.address[..12];
    assert_eq!(git(&root, &["log", "-1", "--format=%s"]), format!("add {short1} as prod r1"));
    assert!(root.join("entries").join(&added.address).join("expr.yaml").is_file());
    assert!(root.join("entries").join(&added.address).join("data").is_dir());

    let second = catalog.add(&b2, &[]).unwrap();
    let short2 = &second.address[..12];
    assert_eq!(git(&root, &["log", "-1", "--format=%s"]), format!("add {short2}"));

    // Re-pointing adds a revision; the old one still resolves.
    let moved = catalog.add_alias(short2, &alias("prod")).unwrap();
    assert_eq!((moved.revision, moved.changed), (2, true));
    assert_eq!(git(&root, &["log", "-1", "--format=%s"]), format!("alias prod r2 -> {short2}"));
    assert_eq!(catalog.resolve("prod").unwrap().address, second.address);
    assert_eq!(catalog.resolve("prod@r1").unwrap().address, added.address);
    assert_eq!(catalog.resolve(&added.address[..6]).unwrap().address, added.address);
    let e = catalog.resolve("prod@r3").unwrap_err().to_string();
    assert!(e.contains("no revision r3; its revisions are r1 to r2"), "{e}");
    let e = catalog.resolve("prdo").unwrap_err().to_string();
    assert!(e.contains("did you mean `prod`?"), "{e}");

    // Pointing an alias where it already points changes nothing.
    let same = catalog.add_alias("prod", &alias("prod")).unwrap();
    assert!(!same.changed);
    assert_eq!(commits(&root), 4);

    // An entry that is an alias's current revision cannot be removed.
    let e = catalog.remove(&[short2.to_string()]).unwrap_err().to_string();
    assert!(e.contains("current revision of alias `prod`") && e.contains("remove-alias prod"), "{e}");
    catalog.remove(&[short1.to_string()]).unwrap();
    assert_eq!(git(&root, &["log", "-1", "--format=%s"]), format!("remove {short1}"));
    let e = catalog.resolve("prod@r1").unwrap_err().to_string();
    assert!(e.contains("was removed from the catalog"), "{e}");
    catalog.remove_alias(&[alias("prod")]).unwrap();
    assert_eq!(git(&root, &["log", "-1", "--format=%s"]), "remove alias prod");
    assert_eq!(commits(&root), 6);
    assert!(dirt(&root).is_empty(), "{}", dirt(&root));

    let ops: Vec<String> = catalog.log(None).unwrap().into_iter().map(|r| r.op).collect();
    assert_eq!(ops, ["remove-alias", "remove", "add-alias", "add", "add", "init"]);
    let report = catalog.check().unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!((report.entries, report.aliases), (1, 0));
}

#[test]
fn adding_a_catalogued_computation_adds_no_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let b = build(tmp.path(), 100);
    let first = catalog.add(&b, &[alias("prod")]).unwrap();
    let again = catalog.add(&b, &[]).unwrap();
    assert!(!again.new_entry && !again.committed);
    assert_eq!(again.existing_aliases, ["prod"]);
    // Built again elsewhere (another build time): still the same entry.
    let other = tempfile::tempdir().unwrap();
    let rebuilt = build(other.path(), 100);
    let meta = rebuilt.join("metadata.json");
    let text = fs::read_to_string(&meta).unwrap();
    let at = text.split("\"built_at\": \"").nth(1).unwrap().split('"').next().unwrap().to_string();
    fs::write(&meta, text.replace(&at, "2001-01-01T00:00:00Z")).unwrap();
    let third = catalog.add(&rebuilt, &[alias("staging")]).unwrap();
    assert_eq!(third.address, first.address);
    assert!(!third.new_entry && third.committed);
    assert_eq!(catalog.entries().unwrap().len(), 1);
    assert_eq!(commits(catalog.path()), 3);
}

#[test]
fn check_catches_a_hand_edited_manifest_and_a_dangling_alias() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let added = catalog.add(&build(tmp.path(), 100), &[alias("prod")]).unwrap();
    let expr = catalog.path().join("entries").join(&added.address).join("expr.yaml");
    let yaml = fs::read_to_string(&expr).unwrap();
    fs::write(&expr, yaml.replace("literal: 100", "literal: 7")).unwrap();
    git(catalog.path(), &["commit", "-qam", "sneaky edit"]);
    let other = "f".repeat(64);
    fs::write(
        catalog.path().join("aliases/ghost.yaml"),
        format!("alias: ghost\nrevisions:\n- revision: 1\n  address: {other}\n  at: 2026-01-01T00:00:00Z\n"),
    )
    .unwrap();
    let report = catalog.check().unwrap();
    let problems: Vec<String> = report.problems.iter().map(|f| format!("{}: {}", f.path, f.message)).collect();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].contains(&added.address) && problems[0].contains("edited after it was written"),
        "{problems:#?}"
    );
    assert!(problems[1].starts_with("aliases/ghost.yaml: r1 points to ffffffffffff"), "{problems:#?}");
    assert!(report.warnings.iter().any(|w| w.path == "aliases/ghost.yaml" && w.message.contains("not committed")));
}

#[test]
fn hostile_aliases_are_refused_before_anything_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let b = build(tmp.path(), 100);
    catalog.add(&b, &[]).unwrap();
    for name in ["../../escape", "a/b", "-rf", "x\ny", "..", "$(reboot)", "nul", &"x".repeat(101)] {
        let e = AliasName::new(name).unwrap_err();
        assert!(e.is_usage(), "{name:?}");
        assert!(matches!(catalog.resolve(name), Err(CatalogError::InvalidName { .. })), "{name:?}");
    }
    assert_eq!(commits(catalog.path()), 2);
    assert!(!tmp.path().join("escape.yaml").exists());
    assert!(dirt(catalog.path()).is_empty());
}

#[test]
fn a_crash_midway_is_repaired_by_the_next_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let root = catalog.path().to_path_buf();
    let kept = catalog.add(&build(tmp.path(), 100), &[alias("prod")]).unwrap();
    // What a writer killed after copying an entry and moving an alias would leave.
    let ghost = "e".repeat(64);
    fs::create_dir_all(root.join("entries").join(&ghost)).unwrap();
    fs::write(root.join("entries").join(&ghost).join("expr.yaml"), "half").unwrap();
    fs::create_dir_all(root.join("entries/.tmp-abc")).unwrap();
    let prod = root.join("aliases/prod.yaml");
    fs::write(&prod, "alias: prod\nrevisions: []\n").unwrap();
    git(&root, &["add", "-A", "--", "entries", "aliases"]);
    fs::write(
        root.join(".git/xorq-catalog-op.json"),
        format!(r#"{{"paths":["entries/{ghost}","aliases/prod.yaml"]}}"#),
    )
    .unwrap();
    let added = catalog.add(&build(tmp.path(), 200), &[alias("next")]).unwrap();
    assert!(added.committed);
    assert!(!root.join("entries").join(&ghost).exists());
    assert!(!root.join("entries/.tmp-abc").exists());
    assert!(!root.join(".git/xorq-catalog-op.json").exists());
    assert_eq!(catalog.resolve("prod").unwrap().address, kept.address);
    assert!(dirt(&root).is_empty(), "{}", dirt(&root));
    assert!(catalog.check().unwrap().is_ok());
    git(&root, &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn a_build_that_does_not_load_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let b = build(tmp.path(), 100);
    let expr = b.join("expr.yaml");
    fs::write(&expr, fs::read_to_string(&expr).unwrap().replace("literal: 100", "literal: 3")).unwrap();
    let e = catalog.add(&b, &[alias("prod")]).unwrap_err().to_string();
    assert!(e.contains("expr.yaml") && e.contains("edited after it was written"), "{e}");
    let e = catalog.add(&tmp.path().join("nope"), &[]).unwrap_err().to_string();
    assert!(e.contains("no such directory"), "{e}");
    assert_eq!(commits(catalog.path()), 1);
    assert!(dirt(catalog.path()).is_empty());
}

#[test]
fn opening_what_is_not_a_catalog_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let e = Catalog::open(tmp.path()).unwrap_err().to_string();
    assert!(e.contains("has no catalog.yaml") && e.contains("xorq catalog init"), "{e}");
    Catalog::init(&tmp.path().join("c")).unwrap();
    let e = Catalog::init(&tmp.path().join("c")).unwrap_err().to_string();
    assert!(e.contains("already a catalog"), "{e}");
    fs::write(tmp.path().join("full"), "").unwrap();
    let e = Catalog::init(tmp.path()).unwrap_err().to_string();
    assert!(e.contains("is not empty"), "{e}");
}
