//! Fault injection with the real binary: processes killed (SIGKILL) at random, seeded points of
//! `build`, `run-cached`, `run -o` and `catalog add`, and interrupted (SIGINT, SIGTERM, SIGHUP);
//! after each, nothing half-made is visible, and after the next command nothing is left behind.
//! Then every kind of file a build, a cache entry and a catalog entry holds is tampered with:
//! each is refused or recomputed, never served.
//!
//! The seed is printed with every failure; `XORQ_FAULT_SEED=<n>` replays it. Each kill test runs
//! a few trials per operation; with the `slow-fault-tests` feature (which CI enables), many
//! more. `XORQ_FAULT_TRIALS` overrides both.

use crate::common;

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::sandbox::{Rng, Sandbox, git, litter};

/// Trials per operation.
fn trials() -> u64 {
    if let Some(n) = std::env::var("XORQ_FAULT_TRIALS").ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    if cfg!(feature = "slow-fault-tests") { 40 } else { 5 }
}

/// Starts `command` quietly.
fn spawn(mut command: Command) -> Child {
    command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn")
}

/// Kills `child` with SIGKILL after `delay` (or lets it finish first); whether it finished.
fn kill_after(mut child: Child, delay: Duration) -> bool {
    std::thread::sleep(delay);
    let _ = child.kill();
    child.wait().expect("wait").success()
}

/// How long `command` takes when nothing kills it.
fn timed(s: &Sandbox, args: &[&str]) -> Duration {
    let start = Instant::now();
    s.ok(args);
    start.elapsed()
}

/// A random point in the first 120% of `full`.
fn point(rng: &mut Rng, full: Duration) -> Duration {
    let span = (full.as_micros() as u64 * 12 / 10).max(1);
    Duration::from_micros(rng.next() % span)
}

#[test]
fn builds_killed_at_random_points_publish_whole_builds_and_leave_no_litter() {
    let s = Sandbox::new("sales", 200_000);
    let mut rng = Rng::seeded();
    let seed = rng.0;
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let expected = s.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout;
    let builds = s.project.join("builds");
    let dir = s.project.join(&build);
    fs::remove_dir_all(&dir).expect("remove");
    let full = timed(&s, &["build", "pipeline.sql"]);
    for i in 0..trials() {
        let context = format!("trial {i}, seed {seed}");
        let _ = fs::remove_dir_all(&dir);
        kill_after(spawn(s.command(&["build", "pipeline.sql"])), point(&mut rng, full));
        // Visible: the build whole, or absent.
        if dir.exists() {
            for f in ["expr.yaml", "metadata.json", "profiles.yaml"] {
                assert!(dir.join(f).is_file(), "{context}: {f} missing from a published build");
            }
            assert_eq!(s.data_files(&build).len(), 1, "{context}");
        }
        // The next build in the directory leaves nothing behind and runs right.
        assert_eq!(s.ok(&["build", "pipeline.sql"]).stdout.trim(), build, "{context}");
        assert_eq!(litter(&builds, "."), Vec::<String>::new(), "{context}");
        assert_eq!(s.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout, expected, "{context}");
    }
}

#[test]
fn cached_runs_killed_at_random_points_store_whole_entries_or_none() {
    let s = Sandbox::new("sales", 200_000);
    let mut rng = Rng::seeded();
    let seed = rng.0;
    let build = s.build_sql(
        "rows.sql",
        "SELECT order_id, region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 10",
        &[],
    );
    let args = ["run-cached", &build, "--cache-type", "snapshot", "-o", "out.parquet"];
    let entries = s.cache.join("xorq-rs-v1");
    let full = timed(&s, &args);
    let listed = |s: &Sandbox| -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(&s.ok(&["cache", "list", "--json"]).stdout).expect("json");
        v["entries"].as_array().cloned().unwrap_or_default()
    };
    let rows = listed(&s)[0]["rows"].as_u64().expect("rows");
    for i in 0..trials() {
        let context = format!("trial {i}, seed {seed}");
        for e in listed(&s) {
            fs::remove_dir_all(e["path"].as_str().expect("path")).expect("remove entry");
        }
        kill_after(spawn(s.command(&args)), point(&mut rng, full));
        for e in listed(&s) {
            assert_eq!(e["rows"].as_u64(), Some(rows), "{context}: {e}");
            let shown = s.xorq(&["cache", "show", e["address"].as_str().expect("address")]);
            assert_eq!(shown.code, 0, "{context}: {}", shown.stdout);
        }
        s.ok(&args);
        assert_eq!(litter(&entries, ".staging-"), Vec::<String>::new(), "{context}");
        assert_eq!(litter(&s.project, ".xorq-output-"), Vec::<String>::new(), "{context}");
    }
}

#[test]
fn outputs_killed_at_random_points_are_old_or_whole_and_leave_no_litter() {
    let s = Sandbox::new("sales", 200_000);
    let mut rng = Rng::seeded();
    let seed = rng.0;
    let build = s.build_sql("all.sql", "SELECT * FROM read_parquet('data/sales.parquet')", &[]);
    let out = s.project.join("out.csv");
    let args = ["run", &build, "--no-cache", "-o", "out.csv"];
    s.ok(&args);
    let expected = fs::read(&out).expect("read");
    let full = timed(&s, &args);
    for i in 0..trials() {
        let context = format!("trial {i}, seed {seed}");
        fs::write(&out, "old\n").expect("write");
        kill_after(spawn(s.command(&args)), point(&mut rng, full));
        let now = fs::read(&out).expect("the old file stays until the new one is whole");
        assert!(now == b"old\n" || now == expected, "{context}: a partial file ({} bytes)", now.len());
        s.ok(&["run", &build, "--no-cache", "-o", "other.csv"]);
        assert_eq!(litter(&s.project, ".xorq-output-"), Vec::<String>::new(), "{context}");
    }
}

/// Commits in the catalog's `HEAD`'s alias directory, as names.
fn committed_aliases(catalog: &Path) -> Vec<String> {
    let text = git(catalog, &["ls-tree", "--name-only", "HEAD", "aliases/"]);
    text.lines().filter_map(|l| l.strip_prefix("aliases/")?.strip_suffix(".yaml").map(str::to_string)).collect()
}

/// Waits until nothing holds the catalog's write lock (the killed writer and its `git`).
fn wait_for_lock(catalog: &Path) {
    let lock = fs::OpenOptions::new().read(true).write(true).open(catalog.join(".git/xorq-catalog.lock"));
    if let Ok(file) = lock {
        file.lock().expect("lock");
    }
}

#[test]
fn catalog_adds_killed_at_random_points_commit_all_or_nothing_and_readers_see_only_commits() {
    let s = Sandbox::new("sales", 1_000);
    let mut rng = Rng::seeded();
    let seed = rng.0;
    let catalog = s.catalog("cat");
    let root = PathBuf::from(&catalog);
    let builds: Vec<String> = (0..4)
        .map(|t| {
            let sql = fs::read_to_string(s.project.join("pipeline.sql")).expect("sql");
            s.build_sql(&format!("p{t}.sql"), &sql.replace("amount > 100", &format!("amount > {}", 100 + t)), &[])
        })
        .collect();
    let full = timed(&s, &["catalog", "--path", &catalog, "add", &builds[0], "--alias", "warmup"]);
    for i in 0..trials() {
        let context = format!("trial {i}, seed {seed}");
        let alias = format!("t{i}");
        let build = &builds[(i % 4) as usize];
        kill_after(
            spawn(s.command(&["catalog", "--path", &catalog, "add", build, "--alias", &alias])),
            point(&mut rng, full),
        );
        // Readers, even before any repair, list exactly what HEAD holds.
        let listed: serde_json::Value =
            serde_json::from_str(&s.ok(&["catalog", "--path", &catalog, "list-aliases", "--json"]).stdout)
                .expect("json");
        let mut shown: Vec<String> =
            listed.as_array().expect("array").iter().map(|a| a["alias"].as_str().expect("alias").to_string()).collect();
        shown.sort();
        let mut committed = committed_aliases(&root);
        committed.sort();
        assert_eq!(shown, committed, "{context}");
        if !committed.contains(&alias) {
            let r = s.xorq(&["run", &alias, "--catalog-path", &catalog, "-o", "-", "-f", "csv"]);
            assert_eq!(r.code, 1, "{context}: an uncommitted alias ran");
        }
        // Once the killed writer and its git are gone, the next command leaves a clean catalog.
        wait_for_lock(&root);
        let check = s.ok(&["catalog", "--path", &catalog, "check"]);
        assert!(check.stdout.starts_with("OK: "), "{context}: {}", check.stdout);
        assert!(!root.join(".git/xorq-catalog-op.json").exists(), "{context}");
        assert!(!root.join(".git/index.lock").exists(), "{context}");
        assert_eq!(litter(&root.join("entries"), "."), Vec::<String>::new(), "{context}");
        assert_eq!(litter(&root.join("aliases"), "."), Vec::<String>::new(), "{context}");
        assert_eq!(git(&root, &["status", "--porcelain", "--untracked-files=all"]), "", "{context}");
    }
    // And the catalog still works.
    s.ok(&["catalog", "--path", &catalog, "add", &builds[1], "--alias", "after"]);
}

/// A `git` that waits before `git add -A` (where `catalog add` stages its change), first
/// writing its process id to `$XORQ_TEST_MARK/pid`.
fn slow_git(dir: &Path) -> PathBuf {
    let path = dir.join("slow-git");
    fs::write(
        &path,
        // The `sleep` is forked before the mark is written, so a test that kills xorq as soon
        // as it sees the mark finds the lock held by the sleep. (It once killed xorq between the
        // mark and the fork on a loaded machine, and the lock was free.) The sleep's stdin is
        // the lock file through fd 3: a background job's stdin is /dev/null before its own
        // redirections.
        "#!/bin/sh\ncase \" $* \" in\n  *\" add -A \"*) exec 3<&0; sleep \"$XORQ_TEST_SLEEP\" <&3 & echo $$ > \"$XORQ_TEST_MARK/pid.tmp\"; mv \"$XORQ_TEST_MARK/pid.tmp\" \"$XORQ_TEST_MARK/pid\"; wait $! ;;\nesac\nexec git \"$@\"\n",
    )
    .expect("write");
    fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    path
}

/// Whether process `pid` runs (a zombie does not).
fn running(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(") ").next().is_some_and(|rest| !rest.starts_with('Z')))
}

#[test]
fn a_catalog_add_killed_inside_git_add_is_never_visible_and_its_git_keeps_the_lock() {
    let s = Sandbox::new("sales", 1_000);
    let catalog = s.catalog("cat");
    let root = PathBuf::from(&catalog);
    let first = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    s.ok(&["catalog", "--path", &catalog, "add", &first, "--alias", "first"]);
    let second = s.build_sql(
        "p2.sql",
        "SELECT region, count(*) AS n FROM read_parquet('data/sales.parquet') GROUP BY region",
        &[],
    );
    let mark = s.root.join("mark");
    fs::create_dir_all(&mark).expect("mark");

    let mut add = s.command(&["catalog", "--path", &catalog, "add", &second, "--alias", "second"]);
    // Long enough that the checks below run while the inherited lock is held, even on a loaded
    // two-core machine; the test waits it out.
    add.env("XORQ_GIT", slow_git(&s.root)).env("XORQ_TEST_MARK", &mark).env("XORQ_TEST_SLEEP", "20");
    let mut child = spawn(add);
    let start = Instant::now();
    while !mark.join("pid").exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "the add never reached git add");
        std::thread::sleep(Duration::from_millis(5));
    }
    let git_pid: u32 = fs::read_to_string(mark.join("pid")).expect("pid").trim().parse().expect("a pid");
    assert!(root.join(".git/xorq-catalog-op.json").exists(), "the change is recorded before git add runs");
    let _ = child.kill();
    assert_eq!(child.wait().expect("wait").signal(), Some(9));

    // The kernel kills the git child with its parent.
    let start = Instant::now();
    while running(git_pid) {
        assert!(start.elapsed() < Duration::from_secs(5), "the git child outlived xorq");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Its own child (the `sleep`) still holds the lock it inherited: readers see only HEAD...
    let aliases = s.ok(&["catalog", "--path", &catalog, "list-aliases"]).stdout;
    assert!(aliases.contains("first") && !aliases.contains("second"), "{aliases}");
    assert_eq!(s.ok(&["catalog", "--path", &catalog, "list"]).stdout.lines().count(), 1);
    let r = s.xorq(&["run", "second", "--catalog-path", &catalog, "-o", "-", "-f", "csv"]);
    assert_eq!(r.code, 1, "an alias that was never committed ran: {}", r.stdout);
    // ... and a writer waits for it instead of repairing under its feet.
    let mut busy = s.command(&["catalog", "--path", &catalog, "add-alias", "first", "third"]);
    busy.env("XORQ_CATALOG_LOCK_TIMEOUT", "0.2");
    let r = common::sandbox::run(busy);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("catalog busy, retry"), "{}", r.stderr);

    // Once it is gone, the next writer repairs and changes the catalog.
    wait_for_lock(&root);
    s.ok(&["catalog", "--path", &catalog, "add-alias", "first", "third"]);
    let aliases = s.ok(&["catalog", "--path", &catalog, "list-aliases"]).stdout;
    assert!(aliases.contains("third") && !aliases.contains("second"), "{aliases}");
    assert_eq!(git(&root, &["status", "--porcelain", "--untracked-files=all"]), "");
    assert_eq!(litter(&root.join("entries"), "."), Vec::<String>::new());
    assert!(s.ok(&["catalog", "--path", &catalog, "check"]).stdout.starts_with("OK: "));
}

/// Starts `args`, waits until a name starting with `prefix` appears in `dir`, then sends
/// `signal`; `None` if the command finished first.
fn signal_when(s: &Sandbox, args: &[&str], dir: &Path, prefix: &str, signal: &str) -> Option<std::process::ExitStatus> {
    let mut child = spawn(s.command(args));
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{args:?} failed");
            return None;
        }
        if !litter(dir, prefix).is_empty() {
            let ok = Command::new("kill").args(["-s", signal, &child.id().to_string()]).status().expect("kill");
            assert!(ok.success());
            let status = child.wait().expect("wait");
            // It finished in between (the signal met a process that had already exited).
            return (!status.success()).then_some(status);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn interrupted_outputs_and_builds_remove_what_they_were_writing() {
    let s = Sandbox::new("sales", 300_000);
    let build = s.build_sql("all.sql", "SELECT * FROM read_parquet('data/sales.parquet')", &[]);
    let builds = s.project.join("builds");
    for (signal, number) in [("INT", 2), ("TERM", 15), ("HUP", 1)] {
        let mut caught = false;
        for _ in 0..20 {
            let _ = fs::remove_file(s.project.join("out.csv"));
            let Some(status) =
                signal_when(&s, &["run", &build, "--no-cache", "-o", "out.csv"], &s.project, ".xorq-output-", signal)
            else {
                continue;
            };
            assert_eq!(status.signal(), Some(number), "ended by SIG{signal}");
            assert_eq!(litter(&s.project, ".xorq-output-"), Vec::<String>::new(), "SIG{signal}");
            assert!(!s.project.join("out.csv").exists(), "SIG{signal}: no partial output");
            caught = true;
            break;
        }
        assert!(caught, "never caught the output being written (SIG{signal})");
        let mut caught = false;
        for _ in 0..20 {
            let _ = fs::remove_dir_all(s.project.join(&build));
            let Some(status) = signal_when(&s, &["build", "all.sql"], &builds, ".tmp-build-", signal) else { continue };
            assert_eq!(status.signal(), Some(number), "ended by SIG{signal}");
            assert_eq!(litter(&builds, ".tmp-build-"), Vec::<String>::new(), "SIG{signal}");
            caught = true;
            break;
        }
        assert!(caught, "never caught the build being written (SIG{signal})");
        s.ok(&["build", "all.sql"]);
    }
    // Killed (no handler runs): the litter is there until the next write in that directory.
    for _ in 0..20 {
        if signal_when(&s, &["run", &build, "--no-cache", "-o", "out.csv"], &s.project, ".xorq-output-", "KILL")
            .is_some()
        {
            break;
        }
    }
    s.ok(&["run", &build, "--no-cache", "-o", "small.csv", "--limit", "1"]);
    assert_eq!(litter(&s.project, ".xorq-output-"), Vec::<String>::new());
}

/// Changes `path` by `how`.
fn tamper(path: &Path, how: &str) {
    let mut bytes = fs::read(path).expect("read");
    match how {
        "flip" => {
            let i = bytes.len() / 2;
            bytes[i] ^= 0x01;
        }
        "truncate" => bytes.truncate(bytes.len() / 2),
        "empty" => bytes.clear(),
        "garbage" => bytes = b"\x00not what it was\xff".to_vec(),
        other => {
            let (from, to) = other.split_once("->").expect("edit");
            let text = String::from_utf8(bytes).expect("text");
            assert!(text.contains(from), "`{from}` in {}: {text}", path.display());
            bytes = text.replacen(from, to, 1).into_bytes();
        }
    }
    fs::write(path, bytes).expect("write");
}

/// Copies the directory `from` to `to` (a fresh copy to tamper with).
fn copy_dir(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    assert!(Command::new("cp").arg("-a").arg(from).arg(to).status().expect("cp").success());
}

#[test]
fn every_file_of_a_build_tampered_with_is_refused() {
    let s = Sandbox::new("penguins", 0);
    let build = s.ok(&["build", "pipeline.sql", "--debug"]).stdout.trim().to_string();
    let good = s.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout;
    let dir = s.project.join(&build);
    let data = s.data_files(&build)[0].strip_prefix(&dir).expect("in the build").to_string_lossy().into_owned();
    assert!(data.ends_with(".csv"), "{data}");
    let cases: Vec<(String, &str, &str)> = vec![
        ("expr.yaml".into(), "bill_length_mm->bill_depth_mm", "expr.yaml` is not a usable build"),
        ("expr.yaml".into(), "garbage", "expr.yaml"),
        ("metadata.json".into(), "\"root\": \"->\"root\": \"X", "its `root` says"),
        ("metadata.json".into(), "\"type\": \"->\"type\": \"Int", "its `schema` says"),
        ("metadata.json".into(), "\"kind\": \"file\"->\"kind\": \"table\"", "metadata.json"),
        ("metadata.json".into(), "garbage", "metadata.json"),
        ("metadata.json".into(), "empty", "malformed JSON"),
        ("profiles.yaml".into(), "garbage", "profiles.yaml"),
        (data.clone(), "flip", "should hash to"),
        (data.clone(), "truncate", "should hash to"),
        (data.clone(), "empty", "should hash to"),
    ];
    let copy = s.project.join("builds/copy");
    for (file, how, says) in &cases {
        copy_dir(&dir, &copy);
        tamper(&copy.join(file), how);
        let e = s.fails(1, &["run", "builds/copy", "-o", "-", "-f", "csv"]);
        assert!(e.contains(says), "{file} ({how}): {e}");
    }
    // Debug output is derived and never read: tampering with it changes nothing.
    for file in ["deferred_reads.yaml", "datafusion.sql"] {
        copy_dir(&dir, &copy);
        tamper(&copy.join(file), "garbage");
        assert_eq!(s.ok(&["run", "builds/copy", "-o", "-", "-f", "csv"]).stdout, good, "{file}");
    }
    // A missing file is named.
    for file in ["expr.yaml", "metadata.json", data.as_str()] {
        copy_dir(&dir, &copy);
        fs::remove_file(copy.join(file)).expect("remove");
        let e = s.fails(1, &["run", "builds/copy", "-o", "-", "-f", "csv"]);
        assert!(e.contains(file.rsplit('/').next().unwrap_or(file)) || e.contains("metadata.json"), "{file}: {e}");
    }
}

#[test]
fn every_file_of_a_cache_entry_tampered_with_is_recomputed_never_served() {
    let s = Sandbox::new("sales", 5_000);
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let args = ["run-cached", &build, "-o", "-", "-f", "csv"];
    let good = s.ok(&args).stdout;
    // Entries are named by their key: recomputed, this one comes back at the same path.
    let first = {
        let v: serde_json::Value = serde_json::from_str(&s.ok(&["cache", "list", "--json"]).stdout).expect("json");
        PathBuf::from(v["entries"][0]["path"].as_str().expect("path"))
    };
    let entry = || first.clone();
    // Another valid Parquet file of the same columns, to put in place of the data.
    let other = s.build_sql(
        "other.sql",
        &fs::read_to_string(s.project.join("pipeline.sql")).expect("sql").replace("amount > 100", "amount > 900"),
        &[],
    );
    s.ok(&["run-cached", &other, "-o", "-", "-f", "csv"]);
    let other_data = {
        let v: serde_json::Value = serde_json::from_str(&s.ok(&["cache", "list", "--json"]).stdout).expect("json");
        let entries = v["entries"].as_array().expect("entries").clone();
        let e = entries.iter().find(|e| e["path"].as_str() != Some(entry().to_str().expect("utf-8"))).expect("other");
        fs::read(PathBuf::from(e["path"].as_str().expect("path")).join("data.parquet")).expect("read")
    };
    let cases: &[(&str, &str)] = &[
        ("data.parquet", "flip"),
        ("data.parquet", "truncate"),
        ("data.parquet", "empty"),
        ("data.parquet", "other"),
        ("entry.json", "garbage"),
        ("entry.json", "\"rows\": ->\"rows\": 1"),
        ("entry.json", "\"blake3\": \"->\"blake3\": \"0"),
        ("entry.json", "\"version\": 1->\"version\": 9"),
        ("entry.json", "\"key\": \"->\"key\": \"x"),
        ("entry.json", "\"ordered\": true->\"ordered\": false"),
        ("hits", "garbage"),
    ];
    for (file, how) in cases {
        let path = entry().join(file);
        if *how == "other" {
            fs::write(&path, &other_data).expect("replace");
        } else {
            tamper(&path, how);
        }
        let r = s.ok(&args);
        assert_eq!(r.stdout, good, "{file} ({how}) served other rows");
        // The entry is whole again afterwards.
        let address: serde_json::Value =
            serde_json::from_str(&s.ok(&["cache", "list", "--json"]).stdout).expect("json");
        for e in address["entries"].as_array().expect("entries") {
            let shown = s.xorq(&["cache", "show", e["address"].as_str().expect("address")]);
            assert_eq!(shown.code, 0, "{file} ({how}): {}", shown.stdout);
        }
    }
    // A data file replaced by a link to an identical copy is not followed.
    let path = entry().join("data.parquet");
    let outside = s.root.join("outside.parquet");
    fs::copy(&path, &outside).expect("copy");
    fs::remove_file(&path).expect("remove");
    std::os::unix::fs::symlink(&outside, &path).expect("link");
    let r = s.ok(&["run-cached", &build, "-v", "-o", "-", "-f", "csv"]);
    assert_eq!(r.stdout, good);
    assert!(r.stderr.contains("is a symbolic link"), "{}", r.stderr);
}

#[test]
fn every_file_of_a_catalog_entry_tampered_with_fails_the_check() {
    let s = Sandbox::new("sales", 1_000);
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let catalog = s.catalog("cat");
    let root = PathBuf::from(&catalog);
    s.ok(&["catalog", "--path", &catalog, "add", &build, "--alias", "sales"]);
    let entry = fs::read_dir(root.join("entries")).expect("entries").flatten().next().expect("entry").path();
    let rel = |p: &Path| p.strip_prefix(&root).expect("in the catalog").to_string_lossy().into_owned();
    let data = fs::read_dir(entry.join("data")).expect("data").flatten().next().expect("data file").path();
    let cases: Vec<(PathBuf, &str)> = vec![
        (entry.join("expr.yaml"), "amount->price"),
        (entry.join("metadata.json"), "\"nullable\": true->\"nullable\": false"),
        (entry.join("metadata.json"), "\"built_at\": \"2->\"built_at\": \"1"),
        (entry.join("profiles.yaml"), "garbage"),
        (data.clone(), "flip"),
        (root.join("aliases/sales.yaml"), "garbage"),
    ];
    for (path, how) in &cases {
        let before = fs::read(path).expect("read");
        // Uncommitted: a problem for entries, a warning for aliases.
        tamper(path, how);
        let r = s.xorq(&["catalog", "--path", &catalog, "check"]);
        let line = rel(path);
        assert!(r.stdout.contains(&line) || r.stdout.contains(&rel(&entry)), "{line} ({how}): {}", r.stdout);
        // Committed with plain git: entries still fail the check (every file is verified).
        git(&root, &["commit", "-qam", "tamper"]);
        let r = s.xorq(&["catalog", "--path", &catalog, "check"]);
        let provenance_only = *how == "\"built_at\": \"2->\"built_at\": \"1";
        if provenance_only {
            // Provenance is restated nowhere: committed, it is the catalog's history.
            assert_eq!(r.code, 0, "{}", r.stdout);
        } else {
            assert_eq!(r.code, 1, "{line} ({how}) committed: {}", r.stdout);
        }
        fs::write(path, before).expect("restore");
        git(&root, &["commit", "-qam", "restore"]);
        assert_eq!(s.xorq(&["catalog", "--path", &catalog, "check"]).code, 0, "{line} restored");
    }
}

#[test]
fn a_memtable_of_a_build_tampered_with_is_refused() {
    let s = Sandbox::new("sales", 10);
    let a = s.build_sql("a.sql", "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(x, y)", &[]);
    let b = s.build_sql("b.sql", "SELECT * FROM (VALUES (1, 'a'), (3, 'b')) AS t(x, y)", &[]);
    let good = s.ok(&["run", &a, "-o", "-", "-f", "csv"]).stdout;
    let memtable = |build: &str| {
        fs::read_dir(s.project.join(build).join("memtables")).expect("memtables").flatten().next().expect("one").path()
    };
    let target = memtable(&a);
    let original = fs::read(&target).expect("read");
    for how in ["other", "flip", "truncate"] {
        if how == "other" {
            fs::copy(memtable(&b), &target).expect("replace");
        } else {
            tamper(&target, how);
        }
        // Other rows fail the memtable's content hash (of its values); damaged bytes fail to
        // read, or (a flip in bytes that hold no value) read the same values: never others.
        let r = s.xorq(&["run", &a, "-o", "-", "-f", "csv"]);
        if r.code == 0 {
            assert_eq!(r.stdout, good, "{how}: other rows served");
        } else {
            assert_eq!(r.code, 1, "{how}: {}", r.stderr);
            assert!(r.stderr.contains("memtables/") || r.stderr.contains("they are other data"), "{how}: {}", r.stderr);
        }
        if how == "other" {
            assert_eq!(r.code, 1, "other valid rows were accepted");
        }
        fs::write(&target, &original).expect("restore");
    }
    assert_eq!(s.ok(&["run", &a, "-o", "-", "-f", "csv"]).stdout, good);
}
