//! The catalog against real git: one commit per change, aliases and revisions, check, failures
//! that leave nothing behind, and crash recovery.

use std::fs;

use crate::common::{build, commits, dirt, git};
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
        assert_eq!(e.fault(), xorq_core::Fault::Usage, "{name:?}");
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

/// While another process holds the lock with a change recorded, readers take that change's
/// paths from `HEAD`: an uncommitted alias or entry is never listed or resolved, an alias being
/// moved still resolves to its committed revision. Once the lock is free, opening the catalog
/// repairs it (a reader's courtesy), as the next writer would.
#[test]
fn readers_ignore_what_head_does_not_hold_and_repair_once_the_writer_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let root = catalog.path().to_path_buf();
    let kept = catalog.add(&build(tmp.path(), 100), &[alias("prod")]).unwrap();
    // A writer mid-change: it holds the lock, recorded its paths, copied an entry, wrote aliases.
    let lock = fs::OpenOptions::new().read(true).write(true).open(root.join(".git/xorq-catalog.lock")).unwrap();
    lock.lock().unwrap();
    let ghost = "f".repeat(64);
    fs::create_dir_all(root.join("entries").join(&ghost)).unwrap();
    fs::write(root.join("entries").join(&ghost).join("expr.yaml"), "half").unwrap();
    let prod = fs::read_to_string(root.join("aliases/prod.yaml")).unwrap();
    fs::write(root.join("aliases/prod.yaml"), prod.replace(&kept.address, &ghost)).unwrap();
    fs::write(root.join("aliases/next.yaml"), prod.replace("prod", "next").replace(&kept.address, &ghost)).unwrap();
    fs::write(
        root.join(".git/xorq-catalog-op.json"),
        format!(r#"{{"paths":["entries/{ghost}","aliases/prod.yaml","aliases/next.yaml"]}}"#),
    )
    .unwrap();

    let reader = Catalog::open(&root).unwrap();
    let aliases: Vec<String> = reader.aliases().unwrap().into_iter().map(|a| a.alias).collect();
    assert_eq!(aliases, ["prod"]);
    assert_eq!(reader.addresses().unwrap(), std::slice::from_ref(&kept.address));
    assert_eq!(reader.resolve("prod").unwrap().address, kept.address);
    assert!(matches!(reader.resolve("next"), Err(CatalogError::NotFound { .. })));
    assert!(reader.resolve(&ghost[..8]).is_err());
    let report = reader.check().unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert!(report.warnings.iter().any(|w| w.message.contains("another process is changing the catalog")));

    // The writer is gone: the next open repairs. (A reader repairs only when it gets the lock
    // at once; another test's child process, forked before it execs, can hold a copy of the
    // lock's descriptor for a moment, so the reader may find it busy and open without
    // repairing, as it should. The repair then comes with a later open.)
    drop(lock);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let reader = loop {
        let reader = Catalog::open(&root).unwrap();
        if !root.join(".git/xorq-catalog-op.json").exists() || std::time::Instant::now() > deadline {
            break reader;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(!root.join(".git/xorq-catalog-op.json").exists());
    assert!(!root.join("entries").join(&ghost).exists());
    assert!(!root.join("aliases/next.yaml").exists());
    assert!(dirt(&root).is_empty());
    assert!(reader.check().unwrap().warnings.is_empty());
}

#[test]
fn a_remote_url_with_credentials_is_refused_and_hidden() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    for url in
        ["https://me:s3cret@example.invalid/c.git", "http://tok3n@example.invalid/c.git", "ssh://me:s3cret@h/c.git"]
    {
        let e = catalog.set_remote(url, false).unwrap_err().to_string();
        assert!(!e.contains("s3cret") && !e.contains("tok3n"), "{e}");
        assert!(e.contains("***@") && e.contains("credential helper"), "{e}");
    }
    assert_eq!(catalog.remote_url().unwrap(), None);
    git(catalog.path(), &["remote", "add", "origin", "https://me:s3cret@127.0.0.1:9/c.git"]);
    assert_eq!(catalog.remote_url().unwrap().as_deref(), Some("https://***@127.0.0.1:9/c.git"));
    let e = catalog.push().unwrap_err().to_string();
    assert!(!e.contains("s3cret"), "{e}");
}
