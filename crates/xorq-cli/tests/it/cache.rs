//! Caching with the real `xorq` binary: `run -v` says hit or miss and why, invalidation,
//! processes killed mid-write, concurrent writers, damaged entries and `xorq cache …`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::common::{Run, project, xorq_with_env};

/// The sales pipeline with its CTE cached (modification time) and its result cached (snapshot).
const MARKED: &str = "-- xorq: cache snapshot
WITH
-- xorq: cache
large_orders AS (
    SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 100
)
SELECT region, round(sum(amount), 2) AS total, count(*) AS orders
FROM large_orders GROUP BY region ORDER BY total DESC
";

/// A project with `pipeline.sql` replaced by `sql`, and a cache directory beside it.
struct Project {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    cache: PathBuf,
}

impl Project {
    fn new(sql: &str) -> Project {
        let (tmp, dir) = project("sales");
        std::fs::write(dir.join("pipeline.sql"), sql).expect("write pipeline");
        let cache = tmp.path().join("cache");
        Project { _tmp: tmp, dir, cache }
    }

    /// `xorq args…` with `XORQ_CACHE_DIR` set to this project's cache.
    fn xorq(&self, args: &[&str]) -> Run {
        xorq_with_env(&self.dir, args, &[("XORQ_CACHE_DIR", &self.cache)])
    }

    fn ok(&self, args: &[&str]) -> Run {
        let r = self.xorq(args);
        assert_eq!(r.code, 0, "xorq {args:?} failed:\n{}", r.stderr);
        r
    }

    fn build(&self, file: &str, extra: &[&str]) -> String {
        let mut args = vec!["build", file];
        args.extend_from_slice(extra);
        self.ok(&args).stdout.trim().to_string()
    }

    fn entries(&self) -> Vec<serde_json::Value> {
        let r = self.ok(&["cache", "list", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        v["entries"].as_array().cloned().unwrap_or_default()
    }

    fn entries_dir(&self) -> PathBuf {
        self.cache.join("xorq-rs-v1")
    }

    fn touch(&self) {
        let later = SystemTime::now() + Duration::from_secs(120);
        let file = std::fs::File::options().write(true).open(self.dir.join("data/sales.parquet")).expect("open");
        file.set_modified(later).expect("touch");
    }
}

/// Addresses, ages and sizes vary; the words do not.
fn normalize(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                let hex = w.trim_end_matches(|c: char| !c.is_ascii_hexdigit());
                if hex.len() >= 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    w.replacen(hex, "<addr>", 1)
                } else {
                    w.to_string()
                }
            })
            .collect();
        let mut line = words.join(" ");
        if let Some(i) = line.find("written ") {
            let end = line[i..].find(" ago").map_or(line.len(), |j| i + j);
            line.replace_range(i..end, "written <age>");
        }
        if let Some(i) = line.find(" rows (") {
            let end = line[i..].find(')').map_or(line.len(), |j| i + j + 1);
            line.replace_range(i..end, " rows (<size>)");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn run_twice_computes_once_and_hits_once() {
    let p = Project::new(MARKED);
    let build = p.build("pipeline.sql", &[]);
    let first = p.ok(&["run", &build, "-v", "-o", "-", "-f", "csv"]);
    let second = p.ok(&["run", &build, "-v", "-o", "-", "-f", "csv"]);
    assert_eq!(first.stdout, second.stdout);
    insta::assert_snapshot!(normalize(&first.stderr), @r"
    cache <addr> (Sort, snapshot): miss: no entry yet
    cache <addr> (Project, modification-time): miss: no entry yet
    cache <addr> (Project, modification-time): stored 6,217 rows (<size>)
    cache <addr> (Sort, snapshot): stored 4 rows (<size>)
    ");
    insta::assert_snapshot!(normalize(&second.stderr), @r"
    cache <addr> (Sort, snapshot): hit: written <age> ago, 4 rows
    cache <addr> (Project, modification-time): not checked: a cache above it hit
    ");
    // Without -v, a run says nothing about the cache; without a cache, the same rows.
    assert_eq!(p.ok(&["run", &build]).stderr, "");
    assert_eq!(p.ok(&["run", &build, "--no-cache", "-o", "-", "-f", "csv"]).stdout, first.stdout);
    assert_eq!(p.entries().len(), 2);
}

#[test]
fn touching_a_referenced_source_invalidates_modification_time_not_snapshot() {
    let p = Project::new(
        "-- xorq: cache\nSELECT region, count(*) AS n FROM read_parquet('data/sales.parquet') GROUP BY region",
    );
    std::fs::write(
        p.dir.join("pinned.sql"),
        "-- xorq: cache snapshot\nSELECT region, count(*) AS n FROM read_parquet('data/sales.parquet') GROUP BY region",
    )
    .expect("write");
    let by_time = p.build("pipeline.sql", &["--no-relocate-reads"]);
    let pinned = p.build("pinned.sql", &["--no-relocate-reads"]);
    let bundled = p.build("pipeline.sql", &[]);
    for b in [&by_time, &pinned, &bundled] {
        p.ok(&["run", b]);
    }
    p.touch();
    let r = p.ok(&["run", &by_time, "-v"]);
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(first.contains("(Aggregate, modification-time): miss: sales.parquet modified "), "{}", r.stderr);
    assert!(first.ends_with(" since the entry was written"), "{}", r.stderr);
    assert!(p.ok(&["run", &pinned, "-v"]).stderr.contains("(Aggregate, snapshot): hit"));
    // A bundled build reads its own copy of the data, whose content hash is its token.
    assert!(p.ok(&["run", &bundled, "-v"]).stderr.contains("(Aggregate, modification-time): hit"));
}

#[test]
fn run_cached_wraps_the_result_and_honours_the_ttl() {
    let p = Project::new(include_str!("../../templates/sales/pipeline.sql"));
    let build = p.build("pipeline.sql", &[]);
    let plain = p.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout;
    let args = ["run-cached", &build, "--cache-type", "snapshot", "--ttl", "1", "-v", "-o", "-", "-f", "csv"];
    let first = p.ok(&args);
    assert_eq!(first.stdout, plain);
    assert!(first.stderr.contains("(Sort, snapshot, ttl 1s): miss: no entry yet"), "{}", first.stderr);
    assert!(p.ok(&args).stderr.contains("(Sort, snapshot, ttl 1s): hit"));
    std::thread::sleep(Duration::from_millis(1100));
    let expired = p.ok(&args);
    assert!(expired.stderr.contains("miss: the entry expired (written 1s ago, ttl 1s)"), "{}", expired.stderr);
    assert_eq!(expired.stdout, plain);
    assert_eq!(p.entries().len(), 1);
    // --cache-dir wins over the environment.
    let other = p.dir.join("other-cache");
    p.ok(&["run-cached", &build, "--cache-dir", other.to_str().expect("utf-8")]);
    assert!(other.join("xorq-rs-v1").is_dir());
}

#[test]
fn the_same_logic_written_differently_hits_the_same_entry() {
    let p = Project::new(MARKED);
    std::fs::write(
        p.dir.join("other.sql"),
        "with /* xorq: cache */ big as (select region, amount from read_parquet('./data/sales.parquet') where 100 < amount)\nselect region, max(amount) as top from big group by region",
    )
    .expect("write");
    let a = p.build("pipeline.sql", &[]);
    let b = p.build("other.sql", &[]);
    assert_ne!(a, b);
    p.ok(&["run", &a]);
    let r = p.ok(&["run", &b, "-v"]);
    assert_eq!(
        normalize(&r.stderr).trim(),
        "cache <addr> (Project, modification-time): hit: written <age> ago, 6,217 rows"
    );
}

/// A tiny deterministic generator (xorshift), seeded per run and printed on failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Every listed entry passes the full check (sidecar, footer, rows, BLAKE3).
fn assert_entries_valid(p: &Project, context: &str) {
    for e in p.entries() {
        assert!(e.get("damaged").is_none(), "{context}: {e}");
        let address = e["address"].as_str().expect("address");
        let shown = p.ok(&["cache", "show", address, "--json"]);
        let v: serde_json::Value = serde_json::from_str(&shown.stdout).expect("json");
        for entry in v.as_array().expect("array") {
            assert_eq!(entry["check"], "ok", "{context}: {entry}");
        }
    }
}

#[test]
fn a_writer_killed_at_random_points_leaves_no_entry_or_a_whole_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = common::xorq_in(tmp.path(), &["init", "-t", "sales", "--rows", "100000", "big"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let p = Project { dir: tmp.path().join("big"), cache: tmp.path().join("cache"), _tmp: tmp };
    std::fs::write(
        p.dir.join("rows.sql"),
        "SELECT order_id, region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 10",
    )
    .expect("write");
    let build = p.build("rows.sql", &[]);
    let args = ["run-cached", &build, "--cache-type", "snapshot", "-o", "out.parquet"];
    let start = Instant::now();
    p.ok(&args);
    let full = start.elapsed();
    let expected = p.entries();
    assert_eq!(expected.len(), 1);
    let rows = expected[0]["rows"].as_u64().expect("rows");

    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1;
    let mut rng = Rng(seed);
    let span = full.as_micros() as u64 * 12 / 10;
    let mut completed = 0;
    for i in 0..50 {
        // Remove the published entry (not the debris of killed writers), so each run writes.
        for e in p.entries() {
            std::fs::remove_dir_all(e["path"].as_str().expect("path")).expect("remove entry");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_xorq"))
            .args(args)
            .current_dir(&p.dir)
            .env("XORQ_CACHE_DIR", &p.cache)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_micros(rng.next() % span.max(1)));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().expect("wait");
        completed += usize::from(status.success());
        let context = format!("iteration {i}, seed {seed}");
        let entries = p.entries();
        assert!(entries.len() <= 1, "{context}: {entries:?}");
        for e in &entries {
            assert_eq!(e["rows"].as_u64(), Some(rows), "{context}: {e}");
        }
        assert_entries_valid(&p, &context);
    }
    eprintln!("{completed} of 50 runs finished before the kill (seed {seed}; a whole run takes {full:?})");
    // Afterwards a run stores a whole entry, and the killed writers' staging directories go.
    p.ok(&args);
    assert_entries_valid(&p, "after the kills");
    assert_eq!(p.entries().len(), 1);
    let debris: Vec<_> = std::fs::read_dir(p.entries_dir())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(debris.is_empty(), "left behind: {debris:?}");
}

#[test]
fn eight_processes_computing_one_key_store_one_entry() {
    let p = Project::new(include_str!("../../templates/sales/pipeline.sql"));
    let build = p.build("pipeline.sql", &[]);
    let expected = p.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout;
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_xorq"))
                .args(["run-cached", &build, "-v", "-o", "-", "-f", "csv"])
                .current_dir(&p.dir)
                .env("XORQ_CACHE_DIR", &p.cache)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut stored = 0;
    for child in children {
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
        stored += usize::from(stderr.contains(": stored "));
    }
    assert!(stored >= 1, "someone stored the entry");
    assert_eq!(p.entries().len(), 1);
    assert_entries_valid(&p, "after 8 writers");
    let debris = std::fs::read_dir(p.entries_dir())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(debris, 0);
}

#[test]
fn a_damaged_entry_is_a_warning_and_is_computed_again() {
    let p = Project::new(include_str!("../../templates/sales/pipeline.sql"));
    let build = p.build("pipeline.sql", &[]);
    let good = p.ok(&["run-cached", &build, "-o", "-", "-f", "csv"]).stdout;
    let entry = PathBuf::from(p.entries()[0]["path"].as_str().expect("path"));
    let data = entry.join("data.parquet");
    let bytes = std::fs::read(&data).expect("read");
    std::fs::write(&data, &bytes[..bytes.len() - 10]).expect("truncate");
    let r = p.ok(&["run-cached", &build, "-o", "-", "-f", "csv"]);
    assert_eq!(r.stdout, good);
    let size = bytes.len().to_string();
    let shown = normalize(&r.stderr)
        .replace(&p.cache.display().to_string(), "<cache>")
        .replace(&(bytes.len() - 10).to_string(), "<n>")
        .replace(&size, "<n + 10>");
    insta::assert_snapshot!(shown, @"warning: cache <addr> (Sort, modification-time): the stored entry <addr> in <cache> was damaged (data.parquet is <n> bytes, the sidecar records <n + 10>); removed it, computing again");
    assert_entries_valid(&p, "recomputed");
    // One flipped byte, the size unchanged: `cache show` reports it and exits 1 ...
    let mut bytes = std::fs::read(&data).expect("read");
    bytes[100] ^= 0xff;
    std::fs::write(&data, &bytes).expect("flip");
    let address = p.entries()[0]["address"].as_str().expect("address").to_string();
    let shown = p.xorq(&["cache", "show", &address[..12]]);
    assert_eq!(shown.code, 1, "{}", shown.stderr);
    assert!(shown.stdout.contains("check      FAILED: the data's BLAKE3 is"), "{}", shown.stdout);
    assert!(shown.stderr.contains("1 cache entry of"), "{}", shown.stderr);
    let json = p.xorq(&["cache", "show", &address[..12], "--json"]);
    assert_eq!(json.code, 1);
    // ... and a run never serves it: the entry is removed and computed again.
    let r = p.ok(&["run-cached", &build, "-o", "-", "-f", "csv"]);
    assert_eq!(r.stdout, good);
    assert!(r.stderr.contains("was damaged (the data's BLAKE3 is"), "{}", r.stderr);
    assert_entries_valid(&p, "recomputed after a flipped byte");
}

#[test]
fn prune_keeps_the_most_recently_used() {
    let p = Project::new(include_str!("../../templates/sales/pipeline.sql"));
    let build = p.build("pipeline.sql", &[]);
    for threshold in ["snapshot", "modification-time"] {
        p.ok(&["run-cached", &build, "--cache-type", threshold]);
    }
    let sizes: Vec<u64> = p.entries().iter().map(|e| e["bytes"].as_u64().expect("bytes")).collect();
    assert_eq!(sizes.len(), 2);
    // Use the older one again: it becomes the most recently used.
    std::thread::sleep(Duration::from_millis(20));
    assert!(p.ok(&["run-cached", &build, "--cache-type", "snapshot", "-v"]).stderr.contains("hit"));
    let newest = p.entries()[0].clone();
    assert_eq!(newest["strategy"], "snapshot");
    let r = p.ok(&["cache", "prune", "--older-than", "7d"]);
    assert!(r.stdout.starts_with("removed 0 entries"), "{}", r.stdout);
    let max = newest["bytes"].as_u64().expect("bytes").to_string();
    let r = p.ok(&["cache", "prune", "--max-size", &max]);
    let (listed, summary) = r.stdout.trim_end().split_once('\n').expect("the entry, then the summary");
    assert!(listed.starts_with("removed ") && listed.contains("over the size limit"), "{}", r.stdout);
    assert!(summary.starts_with("removed 1 entry"), "{}", r.stdout);
    let left = p.entries();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["name"], newest["name"]);
    std::thread::sleep(Duration::from_millis(1100));
    let r = p.ok(&["cache", "prune", "--older-than", "1s"]);
    assert!(r.stdout.lines().last().is_some_and(|l| l.starts_with("removed 1 entry")), "{}", r.stdout);
    assert!(r.stdout.lines().next().is_some_and(|l| l.contains("unused for")), "{}", r.stdout);
    assert!(p.entries().is_empty());
}

#[test]
fn list_show_and_clear() {
    let p = Project::new(MARKED);
    let build = p.build("pipeline.sql", &[]);
    assert!(p.ok(&["cache", "list"]).stdout.starts_with("no cache entries in "));
    p.ok(&["run", &build]);
    let list = p.ok(&["cache", "list"]).stdout;
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 4, "{list}");
    assert!(lines[0].starts_with("ADDRESS       STRATEGY"), "{list}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("snapshot") && l.contains("Sort ← Project ← Aggregate ← … ← Read sales.parquet")),
        "{list}"
    );
    assert!(lines[3].starts_with("2 entries, "), "{list}");
    let entries = p.entries();
    let e = &entries[0];
    for key in ["name", "address", "strategy", "rows", "bytes", "created", "last_used", "hits", "summary", "schema"] {
        assert!(e.get(key).is_some(), "`{key}` in {e}");
    }
    let address = e["address"].as_str().expect("address");
    let shown = p.ok(&["cache", "show", &address[..8]]).stdout;
    assert!(shown.contains(&format!("address    {address}")), "{shown}");
    assert!(shown.contains("check      ok"), "{shown}");
    let r = p.ok(&["cache", "clear"]);
    assert!(r.stdout.starts_with("removed 2 entries"), "{}", r.stdout);
    assert!(p.entries().is_empty());
}

#[test]
fn cache_commands_refuse_bad_input() {
    let p = Project::new(include_str!("../../templates/sales/pipeline.sql"));
    let build = p.build("pipeline.sql", &[]);
    let cases: [(&[&str], &str); 6] = [
        (&["cache", "prune"], "the following required arguments were not provided"),
        (&["cache", "prune", "--max-size", "10 parsecs"], "is not a size"),
        (&["cache", "prune", "--older-than", "a week"], "is not a duration"),
        (&["cache", "show", "xyz"], "`xyz` is neither a cache address (at least 4 hex digits"),
        (&["cache", "show", "abcdef"], "no cache entry for `abcdef`"),
        (&["run-cached", &build, "--ttl", "soon"], "is not a duration"),
    ];
    for (args, message) in cases {
        let r = p.xorq(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(message), "{args:?}: {}", r.stderr);
    }
    // A cache directory that cannot be created is an error naming it, and the run still fails
    // cleanly rather than writing a partial entry.
    let blocker = p.dir.join("not-a-dir");
    std::fs::write(&blocker, "x").expect("write");
    let r = p.xorq(&["run-cached", &build, "--cache-dir", blocker.to_str().expect("utf-8"), "-o", "-", "-f", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.starts_with("warning: cache "), "{}", r.stderr);
    assert!(r.stderr.contains("could not store the result"), "{}", r.stderr);
    assert!(Path::new(&blocker).is_file());
}

#[test]
fn explain_says_what_a_run_would_do_and_writes_nothing() {
    let p = Project::new(MARKED);
    let build = p.build("pipeline.sql", &[]);
    let out = p.dir.join("out.parquet");
    // Every file under the cache directory (the build remembered what it verified there).
    let files = |dir: &Path| -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                if e.path().is_dir() { stack.push(e.path()) } else { out.push(e.path()) }
            }
        }
        out.sort();
        out
    };
    let before = files(&p.cache);
    let out_arg = out.display().to_string();
    // Before any run: both cache nodes miss; every run flag is accepted.
    let r = p.ok(&["run", &build, "--explain", "-o", &out_arg, "-f", "csv", "--limit", "2"]);
    // Parameters are checked as a run checks them.
    assert_eq!(p.xorq(&["run", &build, "--explain", "-p", "unused=1"]).code, 2);
    assert!(!out.exists(), "the output was written");
    assert_eq!(files(&p.cache), before, "explain wrote into the cache directory");
    let text = normalize(&r.stdout);
    assert!(text.contains("cache <addr> (Sort, snapshot): miss: no entry yet"), "{text}");
    assert!(
        text.contains("compute and store cache entry <addr> (datafusion): Project ← Filter ← Read sales.parquet"),
        "{text}"
    );
    assert!(text.contains("run on datafusion:") && text.contains("TableScan"), "{text}");
    assert!(text.contains("(not written: --explain runs nothing)"), "{text}");

    // After a run: the root hits, the inner node is not reached; the local plan reads the entry.
    p.ok(&["run", &build, "-o", "-", "-f", "csv"]);
    let entries = std::fs::read_dir(p.entries_dir()).expect("entries").count();
    let r = p.ok(&["run", &build, "--explain", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let outcomes: Vec<&str> =
        v["cache"].as_array().expect("cache").iter().filter_map(|e| e["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["hit", "skipped"]);
    let stages = v["stages"].as_array().expect("stages");
    assert_eq!(stages.len(), 1);
    assert!(stages[0]["plan"].as_str().expect("plan").starts_with("TableScan: cache_"), "{}", stages[0]);
    assert_eq!(v["output"]["written"], false);

    // A damaged entry is reported, and left for the run to remove.
    let entry = PathBuf::from(p.entries()[0]["path"].as_str().expect("path"));
    let data = entry.join("data.parquet");
    let bytes = std::fs::read(&data).expect("read");
    std::fs::write(&data, &bytes[..bytes.len() - 10]).expect("truncate");
    let r = p.ok(&["run", &build, "--explain"]);
    assert!(r.stdout.contains("is damaged") && r.stdout.contains("a run removes it"), "{}", r.stdout);
    assert!(data.exists(), "explain removed the damaged entry");
    assert_eq!(std::fs::read_dir(p.entries_dir()).expect("entries").count(), entries);
}
