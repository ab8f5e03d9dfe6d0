//! Two clones of one catalog through a bare repository on disk: different and identical builds
//! added on both sides, pushed and pulled, end up as the same catalog; a diverged alias is
//! reported and kept, not overwritten.

use crate::common::{bare, build, commits, dirt, git};
use xorq_catalog::{AliasName, Catalog, Cloned, PullOutcome, PushOutcome};

fn alias(name: &str) -> AliasName {
    AliasName::new(name).expect("a valid alias")
}

/// The same catalog: same entries, same aliases, same tree.
fn assert_same(a: &Catalog, b: &Catalog) {
    assert_eq!(a.entries().expect("entries"), b.entries().expect("entries"));
    assert_eq!(a.aliases().expect("aliases"), b.aliases().expect("aliases"));
    assert_eq!(git(a.path(), &["rev-parse", "HEAD^{tree}"]), git(b.path(), &["rev-parse", "HEAD^{tree}"]));
}

#[test]
fn two_clones_converge() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = bare(tmp.path());
    let url = remote.to_str().unwrap();
    let a = Catalog::init(&tmp.path().join("a")).unwrap();
    a.set_remote(url, false).unwrap();
    assert_eq!(a.push().unwrap(), PushOutcome::Pushed);
    assert_eq!(a.push().unwrap(), PushOutcome::UpToDate);
    let (b, how) = Catalog::clone_from(url, &tmp.path().join("b")).unwrap();
    assert_eq!(how, Cloned::Catalog);

    // Different builds on each side, and the same computation built separately on both.
    let (wa, wb) = (tmp.path().join("work-a"), tmp.path().join("work-b"));
    std::fs::create_dir_all(&wa).unwrap();
    std::fs::create_dir_all(&wb).unwrap();
    let only_a = a.add(&build(&wa, 100), &[alias("from-a")]).unwrap();
    let shared_a = a.add(&build(&wa, 50), &[alias("shared")]).unwrap();
    let only_b = b.add(&build(&wb, 200), &[alias("from-b")]).unwrap();
    let shared_b_dir = build(&wb, 50);
    let meta = shared_b_dir.join("metadata.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    std::fs::write(&meta, text.replace("\"built_at\": \"20", "\"built_at\": \"19")).unwrap();
    let shared_b = b.add(&shared_b_dir, &[alias("shared")]).unwrap();
    assert_eq!(shared_a.address, shared_b.address);

    a.push().unwrap();
    let e = b.push().unwrap_err().to_string();
    assert!(e.contains("run `xorq catalog pull`, then push again"), "{e}");
    let report = b.pull().unwrap();
    assert_eq!(report.outcome, PullOutcome::Merged);
    assert_eq!(report.entries_added, [only_a.address]);
    assert!(report.conflicts.is_empty(), "{:?}", report.conflicts);
    assert_eq!(b.push().unwrap(), PushOutcome::Pushed);
    let report = a.pull().unwrap();
    assert_eq!(report.outcome, PullOutcome::FastForward);
    assert_eq!(report.entries_added, [only_b.address]);
    assert_eq!(a.pull().unwrap().outcome, PullOutcome::UpToDate);

    assert_same(&a, &b);
    assert_eq!(a.entries().unwrap().len(), 3);
    let names: Vec<String> = a.aliases().unwrap().into_iter().map(|s| s.alias).collect();
    assert_eq!(names, ["from-a", "from-b", "shared"]);
    for c in [&a, &b] {
        assert!(c.check().unwrap().is_ok());
        assert!(dirt(c.path()).is_empty(), "{}", dirt(c.path()));
        git(c.path(), &["fsck", "--strict", "--no-progress"]);
        assert_eq!(c.log(Some(1)).unwrap()[0].op, "merge");
    }
}

#[test]
fn a_diverged_alias_is_reported_and_kept_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let url = bare(tmp.path()).to_string_lossy().into_owned();
    let a = Catalog::init(&tmp.path().join("a")).unwrap();
    a.set_remote(&url, false).unwrap();
    let first = a.add(&build(tmp.path(), 10), &[alias("prod")]).unwrap();
    a.push().unwrap();
    let (b, _) = Catalog::clone_from(&url, &tmp.path().join("b")).unwrap();
    let mine = a.add(&build(tmp.path(), 20), &[alias("prod")]).unwrap();
    let theirs = b.add(&build(tmp.path(), 30), &[alias("prod")]).unwrap();
    b.push().unwrap();

    // Changes made behind the catalog's back stop a pull before it touches anything.
    let stray = a.path().join("aliases/prod.yaml");
    let original = std::fs::read_to_string(&stray).unwrap();
    std::fs::write(&stray, format!("{original}# my note\n")).unwrap();
    let e = a.pull().unwrap_err().to_string();
    assert!(e.contains("not made by xorq") && e.contains("aliases/prod.yaml"), "{e}");
    assert!(std::fs::read_to_string(&stray).unwrap().ends_with("# my note\n"));
    std::fs::write(&stray, original).unwrap();

    let report = a.pull().unwrap();
    assert_eq!(report.outcome, PullOutcome::Merged);
    assert_eq!(report.conflicts.len(), 1);
    let conflict = &report.conflicts[0];
    assert_eq!(conflict.alias, "prod");
    assert_eq!(conflict.kept[0].address, mine.address);
    assert_eq!(conflict.theirs[0].address, theirs.address);
    // This clone's revision stands; the remote's is recorded, its entry merged in.
    assert_eq!(a.resolve("prod").unwrap().address, mine.address);
    assert_eq!(a.resolve("prod@r1").unwrap().address, first.address);
    assert!(a.resolve(&theirs.address[..12]).is_ok());
    let summary = a.aliases().unwrap();
    assert_eq!(summary[0].conflicts, 1);
    let check = a.check().unwrap();
    assert!(check.is_ok() && check.warnings.iter().any(|w| w.message.contains("settle it")), "{check:?}");

    // Both sides see the recorded conflict after syncing; pointing the alias settles it.
    a.push().unwrap();
    assert_eq!(b.pull().unwrap().outcome, PullOutcome::FastForward);
    assert_eq!(b.aliases().unwrap()[0].conflicts, 1);
    let settled = b.add_alias(&theirs.address[..12], &alias("prod")).unwrap();
    assert_eq!(settled.revision, 3);
    assert_eq!(b.aliases().unwrap()[0].conflicts, 0);
    b.push().unwrap();
    a.pull().unwrap();
    assert_same(&a, &b);
    assert_eq!(a.resolve("prod").unwrap().address, theirs.address);
}

#[test]
fn an_entry_removed_on_one_side_but_aliased_on_the_other_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let url = bare(tmp.path()).to_string_lossy().into_owned();
    let a = Catalog::init(&tmp.path().join("a")).unwrap();
    a.set_remote(&url, false).unwrap();
    let entry = a.add(&build(tmp.path(), 10), &[]).unwrap();
    a.push().unwrap();
    let (b, _) = Catalog::clone_from(&url, &tmp.path().join("b")).unwrap();
    a.remove(std::slice::from_ref(&entry.address)).unwrap();
    a.push().unwrap();
    b.add_alias(&entry.address, &alias("keep")).unwrap();
    let report = b.pull().unwrap();
    assert_eq!(report.kept_entries, [entry.address]);
    assert!(b.resolve("keep").is_ok());
    assert!(b.check().unwrap().is_ok());
    assert!(dirt(b.path()).is_empty(), "{}", dirt(b.path()));
}

#[test]
fn clone_of_an_empty_remote_starts_a_catalog_and_unrelated_starts_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let url = bare(tmp.path()).to_string_lossy().into_owned();
    let (a, how) = Catalog::clone_from(&url, &tmp.path().join("a")).unwrap();
    assert_eq!(how, Cloned::Initialized);
    assert_eq!(a.pull().unwrap().outcome, PullOutcome::RemoteEmpty);
    a.add(&build(tmp.path(), 10), &[alias("one")]).unwrap();
    // Another catalog started apart, pointed at the same remote after the first pushed.
    a.push().unwrap();
    let b = Catalog::init(&tmp.path().join("b")).unwrap();
    b.add(&build(tmp.path(), 20), &[alias("two")]).unwrap();
    b.set_remote(&url, false).unwrap();
    assert_eq!(b.pull().unwrap().outcome, PullOutcome::Merged);
    assert_eq!(b.entries().unwrap().len(), 2);
    // Two inits in the same second are the same commit (same tree, author, time and message).
    assert!((4..=5).contains(&commits(b.path())));

    let e = b.set_remote("/elsewhere.git", false).unwrap_err().to_string();
    assert!(e.contains("already") && e.contains("--force"), "{e}");
    b.set_remote("/elsewhere.git", true).unwrap();
    assert_eq!(b.remote_url().unwrap().as_deref(), Some("/elsewhere.git"));
    let e = b.push().unwrap_err().to_string();
    assert!(e.contains("/elsewhere.git"), "{e}");

    let not = tmp.path().join("plain");
    git(tmp.path(), &["init", "-q", not.to_str().unwrap()]);
    git(&not, &["commit", "-q", "--allow-empty", "-m", "x"]);
    let e = Catalog::clone_from(not.to_str().unwrap(), &tmp.path().join("c")).unwrap_err().to_string();
    assert!(e.contains("has no catalog.yaml"), "{e}");
    assert!(!tmp.path().join("c").exists());
    let e = Catalog::clone_from("-uhoh", &tmp.path().join("d")).unwrap_err().to_string();
    assert!(e.contains("remote URL"), "{e}");
}
