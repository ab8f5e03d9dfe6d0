//! The Python tool's catalog commands and flags, with the real binary and real git: `info`,
//! `get` (a `.zip` or a build directory) and `add` of that archive, `add` of several builds,
//! `sync`, `--sync/--no-sync` after a change, `run-cached`, and the selectors `-p`/`-n`.

use std::fs;
use std::io::Write;

use crate::common::sandbox::{Sandbox, git};

const SQL: &str =
    "SELECT region, sum(amount) AS total FROM read_parquet('data/sales.parquet') GROUP BY region ORDER BY region";

#[test]
fn get_exports_an_entry_that_add_takes_back_and_info_counts() {
    let s = Sandbox::new("sales", 200);
    let cat = s.catalog("cat");
    let a = s.build_sql("a.sql", SQL, &[]);
    let b = s.build_sql("b.sql", &SQL.replace("sum(amount)", "avg(amount)"), &[]);
    // Several builds in one `add`, the alias applied to each (the last one wins).
    s.ok(&["catalog", "-p", &cat, "add", &a, &b, "-a", "revenue", "--no-sync"]);

    let info = s.ok(&["catalog", "-p", &cat, "info", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&info.stdout).expect("JSON");
    assert_eq!((v["entries"].as_u64(), v["aliases"].as_u64()), (Some(2), Some(1)), "{v}");
    assert!(v["remote"].is_null() && v["commit"].as_str().is_some_and(|c| c.len() == 40), "{v}");
    let text = s.ok(&["catalog", "--path", &cat, "info"]).stdout;
    assert!(text.contains("entries   2") && text.contains("aliases   1"), "{text}");

    // Exported as the Python tool does (`<dir>/<name>.zip`), added to another catalog, run.
    let out = s.path("shipped");
    let got = s.ok(&["catalog", "-p", &cat, "get", "revenue@r1", "-o", &out]);
    let archive = got.stdout.trim().to_string();
    assert!(archive.ends_with("revenue_r1.zip"), "{archive}");
    let other = s.catalog("other");
    s.ok(&["catalog", "-p", &other, "add", &archive, "-a", "copied"]);
    let direct = s.ok(&["run", &a, "-o", "-", "-f", "csv"]).stdout;
    let copied = s.ok(&["run", "copied", "--catalog-path", &other, "-o", "-", "-f", "csv"]).stdout;
    assert_eq!(direct, copied);

    // As a build directory, which `xorq run` reads.
    let dir = s.ok(&["catalog", "-p", &cat, "get", "revenue", "--dir", "-o", &out]).stdout.trim().to_string();
    assert_eq!(s.ok(&["run", &dir, "-o", "-", "-f", "csv"]).stdout, s.ok(&["run", &b, "-o", "-", "-f", "csv"]).stdout);
    let again = s.xorq(&["catalog", "-p", &cat, "get", "revenue", "--dir", "-o", &out]);
    assert_eq!(again.code, 2, "an existing export is never overwritten: {}", again.stderr);
}

#[test]
fn a_tampered_or_hostile_archive_is_refused_and_adds_nothing() {
    let s = Sandbox::new("sales", 50);
    let cat = s.catalog("cat");
    let a = s.build_sql("a.sql", SQL, &[]);
    s.ok(&["catalog", "-p", &cat, "add", &a]);
    let out = s.path("out");
    let archive = s.ok(&["catalog", "-p", &cat, "get", &a[7..], "-o", &out]).stdout.trim().to_string();
    let other = s.catalog("other");

    // The manifest changed inside the archive: the address no longer matches.
    let bytes = fs::read(&archive).expect("archive");
    let tampered = s.path("tampered.zip");
    rewrite_zip(&bytes, &tampered, |name, data| {
        if name.ends_with("expr.yaml") {
            String::from_utf8(data).expect("utf-8").replace("region", "regiom").into_bytes()
        } else {
            data
        }
    });
    let err = s.fails(1, &["catalog", "-p", &other, "add", &tampered]);
    assert!(err.contains("expr.yaml"), "{err}");

    // A path that climbs out of the archive.
    let hostile = s.path("hostile.zip");
    let file = fs::File::create(&hostile).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    zip.start_file("../escape.txt", zip::write::SimpleFileOptions::default()).expect("entry");
    zip.write_all(b"x").expect("write");
    zip.finish().expect("finish");
    let err = s.fails(2, &["catalog", "-p", &other, "add", &hostile]);
    assert!(err.contains("not a build archive") && err.contains("outside the archive"), "{err}");
    assert!(!s.root.join("escape.txt").exists());

    let list = s.ok(&["catalog", "-p", &other, "list", "--json"]).stdout;
    assert_eq!(list.trim(), "[]", "nothing was added");
}

fn rewrite_zip(bytes: &[u8], to: &str, mut change: impl FnMut(&str, Vec<u8>) -> Vec<u8>) {
    let mut input = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut output = zip::ZipWriter::new(fs::File::create(to).expect("create"));
    for i in 0..input.len() {
        let mut entry = input.by_index(i).expect("entry");
        let name = entry.name().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).expect("read");
        output.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).expect("entry");
        output.write_all(&change(&name, data)).expect("write");
    }
    output.finish().expect("finish");
}

#[test]
fn a_change_is_pushed_when_a_remote_is_set_unless_no_sync() {
    let s = Sandbox::new("sales", 50);
    let remote = s.path("remote.git");
    git(&s.root, &["init", "--bare", "-q", &remote]);
    let cat = s.catalog("cat");
    s.ok(&["catalog", "-p", &cat, "set-remote", &remote]);
    s.ok(&["catalog", "-p", &cat, "push"]);
    let a = s.build_sql("a.sql", SQL, &[]);
    let b = s.build_sql("b.sql", &SQL.replace("sum", "max"), &[]);

    let added = s.ok(&["catalog", "-p", &cat, "add", &a, "-a", "prod"]);
    assert!(added.stderr.contains("pushed to"), "{}", added.stderr);
    let head = |dir: &str| git(std::path::Path::new(dir), &["rev-parse", "HEAD"]);
    let branch = git(std::path::Path::new(&cat), &["rev-parse", "--abbrev-ref", "HEAD"]);
    let remote_head = || git(std::path::Path::new(&remote), &["rev-parse", &format!("refs/heads/{}", branch.trim())]);
    assert_eq!(head(&cat), remote_head(), "the add reached the remote");

    let kept = s.ok(&["catalog", "-p", &cat, "add-alias", &a[7..], "staging", "--no-sync"]);
    assert!(!kept.stderr.contains("pushed"), "{}", kept.stderr);
    assert_ne!(head(&cat), remote_head(), "--no-sync keeps the change local");

    // `sync` pulls, then pushes.
    let clone = s.path("clone");
    s.ok(&["catalog", "-p", &clone, "clone", &remote]);
    s.ok(&["catalog", "-p", &clone, "add", &b, "-a", "other"]);
    s.ok(&["catalog", "-p", &cat, "sync"]);
    assert_eq!(head(&cat), remote_head());
    let aliases = s.ok(&["catalog", "-p", &cat, "list-aliases", "--json"]).stdout;
    assert!(aliases.contains("other") && aliases.contains("staging"), "{aliases}");

    // A remote that is gone: the change is kept, the error says so.
    fs::remove_dir_all(&remote).expect("remove the remote");
    let err = s.fails(1, &["catalog", "-p", &cat, "remove-alias", "other"]);
    assert!(err.contains("committed in the catalog") && err.contains("xorq catalog push"), "{err}");
    let aliases = s.ok(&["catalog", "-p", &cat, "list-aliases", "--json"]).stdout;
    assert!(!aliases.contains("\"other\""), "the removal was committed: {aliases}");
}

#[test]
fn catalog_run_cached_and_the_python_spellings_of_selectors() {
    let s = Sandbox::new("sales", 50);
    let cat = s.catalog("cat");
    let a = s.build_sql("a.sql", SQL, &[]);
    s.ok(&["catalog", "-p", &cat, "add", &a, "-a", "revenue"]);
    let first = s.ok(&["-v", "catalog", "-p", &cat, "run-cached", "revenue", "-o", "-", "-f", "csv"]);
    let second = s.ok(&["-v", "catalog", "-p", &cat, "run-cached", "revenue", "--output-path", "-", "-f", "csv"]);
    assert_eq!(first.stdout, second.stdout);
    assert!(second.stderr.contains("hit"), "{}", second.stderr);

    // `clone -p` after the subcommand, and `-n` for a registered name.
    let remote = s.path("remote.git");
    git(&s.root, &["init", "--bare", "-q", &remote]);
    s.ok(&["catalog", "-p", &cat, "set-remote", &remote]);
    s.ok(&["catalog", "-p", &cat, "push"]);
    let clone = s.path("clone");
    s.ok(&["catalog", "clone", &remote, "-p", &clone]);
    s.ok(&["catalog", "clone", &remote, "-n", "team"]);
    let listed = s.ok(&["catalog", "-n", "team", "list-aliases", "--json"]).stdout;
    assert!(listed.contains("revenue"), "{listed}");
    let err = s.fails(2, &["catalog", "-p", &cat, "--path", &clone, "list"]);
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn build_takes_the_python_spelling_of_relocation() {
    let s = Sandbox::new("sales", 50);
    let bundled = s.build_sql("a.sql", SQL, &["--relocate-reads"]);
    assert!(!s.data_files(&bundled).is_empty());
    let referenced = s.build_sql("a.sql", SQL, &["--relocate-reads", "--no-relocate-reads"]);
    assert!(s.data_files(&referenced).is_empty(), "the last of the pair wins");
    let again = s.build_sql("a.sql", SQL, &["--no-relocate-reads", "--relocate-reads"]);
    assert_eq!(again, bundled);
}

#[test]
fn commits_without_a_git_identity_are_warned_about_once() {
    let s = Sandbox::new("sales", 50);
    let cat = s.catalog("cat");
    let a = s.build_sql("a.sql", SQL, &[]);
    let first = s.ok(&["catalog", "-p", &cat, "add", &a, "-a", "one"]);
    assert!(first.stderr.contains("git has no identity") && first.stderr.contains("user.email"), "{}", first.stderr);
    let second = s.ok(&["catalog", "-p", &cat, "add-alias", "one", "two"]);
    assert!(!second.stderr.contains("identity"), "once: {}", second.stderr);
    let author = git(std::path::Path::new(&cat), &["log", "-1", "--format=%an <%ae>"]);
    assert_eq!(author.trim(), "xorq <xorq@localhost>");

    // With an identity, nothing is said.
    let t = Sandbox::new("sales", 50);
    fs::write(t.root.join("home/.gitconfig"), "[user]\n\tname = Ann\n\temail = ann@example.com\n").expect("gitconfig");
    let cat = t.catalog("cat");
    let a = t.build_sql("a.sql", SQL, &[]);
    let added = t.ok(&["catalog", "-p", &cat, "add", &a]);
    assert!(!added.stderr.contains("identity"), "{}", added.stderr);
}
