//! Nothing wrong is ever served: the reproductions of the integrity review, each through the real
//! `xorq` binary. Bundled data checked against its hash (run, build, catalog add, catalog check),
//! metadata checked against the manifest, symbolic links refused, secrets never stored or shown,
//! and the smaller ones (zero-row CSV, kept file modes, non-UTF-8 paths, `_`, repeated `-p`, the
//! `-v` chain).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::sandbox::{Sandbox, git};

/// The sales pipeline's build and its result as CSV.
fn sales(s: &Sandbox) -> (String, String) {
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let csv = s.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout;
    (build, csv)
}

/// The one bundled file of `build`.
fn data_file(s: &Sandbox, build: &str) -> PathBuf {
    let files = s.data_files(build);
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// Another valid Parquet file of the same columns (the sales data with fewer rows).
fn other_sales_parquet(s: &Sandbox) -> PathBuf {
    let r = s.xorq_in(&s.root, &["init", "-t", "sales", "--rows", "500", "other"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    s.root.join("other/data/sales.parquet")
}

#[test]
fn a_bundled_file_replaced_by_other_valid_data_is_never_run_reused_added_or_passed() {
    let s = Sandbox::new("sales", 10_000);
    let (build, good) = sales(&s);
    let data = data_file(&s, &build);
    let original = fs::read(&data).expect("read");
    fs::copy(other_sales_parquet(&s), &data).expect("replace");

    // `run` refuses, naming the file, before reading a row.
    let e = s.fails(1, &["run", &build, "-o", "-", "-f", "csv"]);
    assert!(e.contains("this bundled copy of `sales.parquet` should hash to"), "{e}");
    assert!(e.contains(&data.file_name().expect("name").to_string_lossy().into_owned()), "{e}");
    assert!(e.contains("it was changed after the build was written, and is not read"), "{e}");
    // `build` of the same pipeline does not call it reused.
    let e = s.fails(1, &["build", "pipeline.sql"]);
    assert!(e.contains("cannot be reused; remove `builds/"), "{e}");
    // `catalog add` adds nothing.
    let catalog = s.catalog("cat");
    let e = s.fails(1, &["catalog", "--path", &catalog, "add", &build, "--alias", "sales"]);
    assert!(e.contains("should hash to"), "{e}");
    assert!(s.ok(&["catalog", "--path", &catalog, "list-aliases"]).stdout.trim().is_empty());

    // Put back, added, then damaged inside the catalog and committed there by hand: `check`
    // hashes every file and finds it; a run of the alias refuses it.
    fs::write(&data, &original).expect("restore");
    assert_eq!(s.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout, good);
    s.ok(&["catalog", "--path", &catalog, "add", &build, "--alias", "sales"]);
    assert_eq!(s.ok(&["catalog", "--path", &catalog, "check"]).stdout, "OK: 1 entry and 1 alias check out\n");
    let entry_data = fs::read_dir(Path::new(&catalog).join("entries"))
        .expect("entries")
        .flatten()
        .map(|e| e.path().join("data").join(data.file_name().expect("name")))
        .next()
        .expect("an entry");
    fs::copy(other_sales_parquet_again(&s), &entry_data).expect("tamper");
    git(Path::new(&catalog), &["commit", "-qam", "tamper"]);
    let r = s.xorq(&["catalog", "--path", &catalog, "check"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("problem: entries/") && r.stdout.contains("should hash to"), "{}", r.stdout);
    let e = s.fails(1, &["run", "sales", "--catalog-path", &catalog, "-o", "-", "-f", "csv"]);
    assert!(e.contains("should hash to"), "{e}");
}

fn other_sales_parquet_again(s: &Sandbox) -> PathBuf {
    let path = s.root.join("other/data/sales.parquet");
    if path.exists() { path } else { other_sales_parquet(s) }
}

#[test]
fn bundled_files_are_hashed_once_per_file_identity_and_again_when_it_changes() {
    let s = Sandbox::new("sales", 2_000);
    let (build, good) = sales(&s);
    let records = s.cache.join("xorq-rs-v1/verified");
    let recorded = || fs::read_dir(&records).map(|rd| rd.count()).unwrap_or(0);
    assert_eq!(recorded(), 1, "the build remembered the copy it hashed");
    // The same size and modification time, other bytes: its change time gives it away.
    let data = data_file(&s, &build);
    let mut bytes = fs::read(&data).expect("read");
    let mtime = fs::metadata(&data).expect("meta").modified().expect("mtime");
    let i = bytes.len() / 2;
    bytes[i] ^= 0x20;
    fs::write(&data, &bytes).expect("write");
    fs::File::options().write(true).open(&data).expect("open").set_modified(mtime).expect("touch back");
    let e = s.fails(1, &["run", &build, "-o", "-", "-f", "csv"]);
    assert!(e.contains("should hash to"), "{e}");
    bytes[i] ^= 0x20;
    fs::write(&data, &bytes).expect("restore");
    assert_eq!(s.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout, good);
    assert_eq!(recorded(), 2, "the restored file is a new identity, verified and remembered");
    // A copy of the build elsewhere (other inodes) is verified too, and `--no-cache` remembers
    // nothing.
    let copy = s.root.join("copy");
    assert!(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(s.project.join(&build))
            .arg(&copy)
            .status()
            .expect("cp")
            .success()
    );
    let copy = copy.to_string_lossy().into_owned();
    assert_eq!(s.ok(&["run", &copy, "--no-cache", "-o", "-", "-f", "csv"]).stdout, good);
    assert_eq!(recorded(), 2);
    assert_eq!(s.ok(&["run", &copy, "-o", "-", "-f", "csv"]).stdout, good);
    assert_eq!(recorded(), 3);
}

#[test]
fn a_read_only_catalog_clone_runs_and_verifies_through_the_cache_directory() {
    let s = Sandbox::new("sales", 2_000);
    let (build, good) = sales(&s);
    let catalog = s.catalog("cat");
    s.ok(&["catalog", "--path", &catalog, "add", &build, "--alias", "sales"]);
    let ro = s.root.join("ro");
    fs::create_dir_all(&ro).expect("mkdir");
    let bound =
        std::process::Command::new("mount").arg("--bind").arg(&catalog).arg(&ro).status().is_ok_and(|st| st.success())
            && std::process::Command::new("mount")
                .args(["-o", "remount,ro,bind"])
                .arg(&ro)
                .status()
                .is_ok_and(|st| st.success());
    if !bound {
        eprintln!("skipped: this process may not make a read-only bind mount");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(ro.clone());
    let ro = ro.to_string_lossy().into_owned();
    assert!(fs::write(Path::new(&ro).join("probe"), "x").is_err(), "the mount is read-only");
    let r = s.ok(&["run", "sales", "--catalog-path", &ro, "-o", "-", "-f", "csv"]);
    assert_eq!(r.stdout, good);
    assert_eq!(s.ok(&["catalog", "--path", &ro, "check"]).stdout, "OK: 1 entry and 1 alias check out\n");
}

#[test]
fn an_edited_metadata_schema_is_noticed_by_run_and_by_check() {
    let s = Sandbox::new("sales", 1_000);
    let (build, _) = sales(&s);
    let catalog = s.catalog("cat");
    s.ok(&["catalog", "--path", &catalog, "add", &build, "--alias", "sales"]);
    let edit = |path: &Path| {
        let text = fs::read_to_string(path).expect("read");
        assert!(text.contains("\"name\": \"total\""), "{text}");
        fs::write(path, text.replacen("\"name\": \"total\"", "\"name\": \"revenue\"", 1)).expect("edit");
    };
    edit(&s.project.join(&build).join("metadata.json"));
    let e = s.fails(1, &["run", &build, "-o", "-", "-f", "csv"]);
    assert!(e.contains("metadata.json` is not a usable build: its `schema` says (region: String"), "{e}");
    assert!(e.contains("revenue") && e.contains("total"), "{e}");

    let entry = fs::read_dir(Path::new(&catalog).join("entries")).expect("entries").flatten().next().expect("entry");
    edit(&entry.path().join("metadata.json"));
    let r = s.xorq(&["catalog", "--path", &catalog, "check"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("its `schema` says"), "{}", r.stdout);
    assert!(r.stdout.contains("differs from what was committed"), "{}", r.stdout);
}

#[test]
fn symbolic_links_in_a_build_are_never_followed_into_a_catalog() {
    let s = Sandbox::new("sales", 1_000);
    let (build, good) = sales(&s);
    let catalog = s.catalog("cat");
    let dir = s.project.join(&build);
    let secret = s.root.join("secret.txt");
    fs::write(&secret, "password").expect("secret");

    // A link beside the data is not part of the build: never copied.
    std::os::unix::fs::symlink(&secret, dir.join("data/evil")).expect("link");
    std::os::unix::fs::symlink(&secret, dir.join("memtables")).expect("link");
    s.ok(&["catalog", "--path", &catalog, "add", &build, "--alias", "sales"]);
    let entry = fs::read_dir(Path::new(&catalog).join("entries")).expect("entries").flatten().next().expect("entry");
    let tracked = git(Path::new(&catalog), &["ls-files"]);
    assert!(!tracked.contains("evil") && !tracked.contains("memtables"), "{tracked}");
    assert!(!entry.path().join("data/evil").exists());
    assert_eq!(s.ok(&["run", "sales", "--catalog-path", &catalog, "-o", "-", "-f", "csv"]).stdout, good);

    // The data file itself replaced by a link (even to the same bytes): refused, named.
    let data = data_file_named(&dir);
    let outside = s.root.join("outside.parquet");
    fs::copy(&data, &outside).expect("copy");
    fs::remove_file(&data).expect("remove");
    std::os::unix::fs::symlink(&outside, &data).expect("link");
    let other = s.catalog("cat2");
    let e = s.fails(1, &["catalog", "--path", &other, "add", &build]);
    assert!(e.contains("is a symbolic link, not a regular file"), "{e}");
    assert!(e.contains(&data.file_name().expect("name").to_string_lossy().into_owned()), "{e}");
    let e = s.fails(1, &["run", &build, "-o", "-", "-f", "csv"]);
    assert!(e.contains("is a symbolic link, not a regular file"), "{e}");
    assert!(s.ok(&["catalog", "--path", &other, "list"]).stdout.trim().is_empty());

    // The whole data directory a link out of the build: refused.
    fs::remove_file(&data).expect("remove");
    fs::remove_file(dir.join("data/evil")).expect("remove");
    fs::rename(dir.join("data"), s.root.join("data-elsewhere")).expect("move");
    fs::copy(&outside, s.root.join("data-elsewhere").join(data.file_name().expect("name"))).expect("copy");
    std::os::unix::fs::symlink(s.root.join("data-elsewhere"), dir.join("data")).expect("link");
    let e = s.fails(1, &["catalog", "--path", &other, "add", &build]);
    assert!(e.contains("is a symbolic link, not a directory of the build"), "{e}");

    // A link planted in a catalogued entry and committed: `check` names it.
    std::os::unix::fs::symlink(&secret, entry.path().join("data/planted")).expect("link");
    git(Path::new(&catalog), &["add", "-A"]);
    git(Path::new(&catalog), &["commit", "-qm", "plant"]);
    let r = s.xorq(&["catalog", "--path", &catalog, "check"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("`data/planted` is a symbolic link"), "{}", r.stdout);
}

fn data_file_named(build: &Path) -> PathBuf {
    fs::read_dir(build.join("data"))
        .expect("data")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .expect("a bundled parquet")
}

#[test]
fn credentials_in_a_remote_url_are_refused_and_never_shown() {
    let s = Sandbox::new("sales", 100);
    let catalog = s.catalog("cat");
    for url in ["https://user:hunter2@example.invalid/repo.git", "https://ghp_hunter2@example.invalid/repo.git"] {
        let r = s.xorq(&["catalog", "--path", &catalog, "set-remote", url]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
        assert!(r.stderr.contains("https://***@example.invalid/repo.git"), "{}", r.stderr);
        assert!(r.stderr.contains("hint:") && r.stderr.contains("credential helper"), "{}", r.stderr);
        let r = s.xorq(&["catalog", "--path", &s.path("clone"), "clone", url]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    }
    let config = fs::read_to_string(Path::new(&catalog).join(".git/config")).expect("config");
    assert!(!config.contains("hunter2") && !config.contains("remote"), "{config}");
    // A remote set by hand with plain git: every message of ours hides the password.
    git(Path::new(&catalog), &["remote", "add", "origin", "https://me:hunter2@127.0.0.1:9/repo.git"]);
    for args in [&["push"][..], &["pull"], &["set-remote", "https://example.invalid/other.git"]] {
        let mut all = vec!["catalog", "--path", &catalog];
        all.extend_from_slice(args);
        let r = s.xorq(&all);
        assert_ne!(r.code, 0, "{args:?}");
        assert!(!r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"), "{args:?}: {}", r.stderr);
    }
    // An SSH user name is not a secret.
    s.ok(&["catalog", "--path", &catalog, "set-remote", "--force", "ssh://git@example.invalid/repo.git"]);
}

#[test]
fn a_zero_row_csv_has_its_header() {
    let s = Sandbox::new("sales", 100);
    let build = s.build_sql(
        "none.sql",
        "SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 1e12",
        &[],
    );
    assert_eq!(s.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout, "region,amount\n");
    s.ok(&["run", &build, "-o", "none.csv"]);
    assert_eq!(fs::read_to_string(s.project.join("none.csv")).expect("read"), "region,amount\n");
}

#[test]
fn output_over_an_existing_file_keeps_its_mode() {
    let s = Sandbox::new("sales", 100);
    let (build, good) = sales(&s);
    let out = s.project.join("result.csv");
    fs::write(&out, "old\n").expect("write");
    fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).expect("chmod");
    s.ok(&["run", &build, "-o", "result.csv"]);
    assert_eq!(fs::read_to_string(&out).expect("read"), good);
    assert_eq!(fs::metadata(&out).expect("meta").permissions().mode() & 0o777, 0o640);
}

#[test]
fn non_utf8_paths_are_written_or_refused_by_name() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let s = Sandbox::new("sales", 100);
    let (build, good) = sales(&s);
    let name = OsStr::from_bytes(b"r\xffsult.csv");
    let out = s.command(&["run", &build, "-o"]).arg(name).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs::read_to_string(s.project.join(name)).expect("read"), good);
    // A builds directory the engines could not read from is named, not an internal path.
    let out = s
        .command(&["build", "pipeline.sql", "--builds-dir"])
        .arg(OsStr::from_bytes(b"b\xffilds"))
        .output()
        .expect("runs");
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(e.contains("the builds directory `b\u{fffd}ilds` has a path that is not valid UTF-8"), "{e}");
    assert!(!e.contains(".tmp-"), "{e}");
    // A build moved under such a path likewise.
    let moved = s.root.join(OsStr::from_bytes(b"m\xffved"));
    fs::create_dir_all(&moved).expect("mkdir");
    assert!(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(s.project.join(&build))
            .arg(moved.join("b"))
            .status()
            .expect("cp")
            .success()
    );
    let out = s.command(&["run"]).arg(moved.join("b")).output().expect("runs");
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{e}");
    assert!(
        e.contains("the build directory `") && e.contains("m\u{fffd}ved/b` has a path that is not valid UTF-8"),
        "{e}"
    );
}

#[test]
fn names_starting_with_an_underscore_and_repeated_parameters_are_refused() {
    let s = Sandbox::new("sales", 100);
    let (build, _) = sales(&s);
    let catalog = s.catalog("cat");
    for alias in ["_", "_tmp"] {
        let e = s.fails(2, &["catalog", "--path", &catalog, "add", &build, "--alias", alias]);
        assert!(e.contains(&format!("alias `{alias}` is not allowed: it starts with `_`")), "{e}");
    }
    let p = s.build_sql(
        "param.sql",
        "SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > $threshold",
        &[],
    );
    let e = s.fails(2, &["run", &p, "-p", "threshold=1", "-p", "threshold=2"]);
    assert!(e.contains("parameter `threshold` is given twice (`-p threshold=1` and `-p threshold=2`)"), "{e}");
}

#[test]
fn the_verbose_cause_chain_says_each_thing_once() {
    let s = Sandbox::new("sales", 100);
    let build = s.build_sql("cast.sql", "SELECT CAST(region AS INT) AS n FROM read_parquet('data/sales.parquet')", &[]);
    let e = s.fails(1, &["run", &build, "-v", "-o", "-", "-f", "csv"]);
    assert_eq!(e.matches("Cannot cast string").count(), 1, "{e}");
    assert!(!e.contains("caused by"), "every cause is already in the message: {e}");
}
