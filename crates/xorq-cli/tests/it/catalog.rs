//! `xorq catalog …` with the real binary and real git: the seeds' workflow across two clones and
//! a bare remote, `xorq run <alias>`, eight writers at once, failures that leave nothing behind,
//! hostile names, check and check-sources.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{Run, project};

/// A sandbox: its own HOME (so the default catalog and the git identity are the sandbox's),
/// and a project to build in.
struct Sandbox {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    project: PathBuf,
}

impl Sandbox {
    fn new(template: &str) -> Sandbox {
        let (tmp, project) = project(template);
        let root = tmp.path().to_path_buf();
        fs::create_dir_all(root.join("home")).expect("home");
        Sandbox { _tmp: tmp, root, project }
    }

    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_xorq"));
        c.args(args)
            .current_dir(dir)
            .env("HOME", self.root.join("home"))
            .env("GIT_CONFIG_GLOBAL", self.root.join("home/.gitconfig"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("XORQ_CATALOG_CONFIG")
            .env_remove("XORQ_DEFAULT_CATALOG")
            .env_remove("XORQ_CACHE_DIR")
            .env_remove("XORQ_GIT")
            .env_remove("XORQ_CATALOG_LOCK_TIMEOUT");
        c
    }

    /// `xorq args…` in `dir`.
    fn xorq(&self, dir: &Path, args: &[&str]) -> Run {
        run(self.command(dir, args).output().expect("the binary runs"))
    }

    /// `xorq args…` in the project, expected to succeed.
    fn ok(&self, args: &[&str]) -> Run {
        let r = self.xorq(&self.project, args);
        assert_eq!(r.code, 0, "xorq {args:?}: {}", r.stderr);
        r
    }

    /// Builds the sales pipeline over orders above `threshold`; returns the build path.
    fn build(&self, threshold: u32) -> String {
        let sql = fs::read_to_string(self.project.join("pipeline.sql")).expect("pipeline");
        let variant = self.project.join(format!("p{threshold}.sql"));
        fs::write(&variant, sql.replace("amount > 100", &format!("amount > {threshold}"))).expect("variant");
        self.ok(&["build", variant.to_str().expect("utf-8")]).stdout.trim().to_string()
    }

    fn path(&self, name: &str) -> String {
        self.root.join(name).to_string_lossy().into_owned()
    }

    /// Replaces what differs between runs (the sandbox path, times, commit ids) with names.
    fn redact(&self, text: &str) -> String {
        let text = text.replace(&self.root.to_string_lossy().into_owned(), "[tmp]");
        redact_addresses(&redact_times(&redact_commits(&text)))
    }
}

/// What an entry's short address becomes in snapshots (as wide as the address).
const ENTRY: &str = "[entry-----]";

fn run(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        bytes: out.stdout,
    }
}

/// `git args…` in `dir`, expected to succeed; its stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// RFC 3339 times (`2026-11-23T10:00:00Z`, `…+00:00`) become `[time-…]` of the same width.
fn redact_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let fits = bytes.len() - i >= shape.len()
            && shape.iter().zip(&bytes[i..]).all(|(s, b)| if *s == b'd' { b.is_ascii_digit() } else { s == b });
        if fits {
            let mut end = i + shape.len();
            if bytes.get(end) == Some(&b'Z') {
                end += 1;
            } else if matches!(bytes.get(end), Some(b'+' | b'-')) && bytes.len() >= end + 6 {
                end += 6;
            }
            // Same width as the time, so that columns stay aligned.
            out.push_str(&format!("[time{}]", "-".repeat(end - i - 6)));
            i = end;
        } else {
            let c = text[i..].chars().next().expect("a char at a boundary");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Full (64-hex) addresses become `[address]`: they depend on where the sandbox is.
fn redact_addresses(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_hexdigit() && c.is_ascii_lowercase() || c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() == 64 { "[address]" } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Ten-hex words at the start of a line (commit ids in `catalog log`) become `[commit--]`.
fn redact_commits(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once("  ") {
            Some((first, rest)) if first.len() == 10 && first.bytes().all(|b| b.is_ascii_hexdigit()) => {
                format!("[commit--]  {rest}\n")
            }
            _ => format!("{l}\n"),
        })
        .collect()
}

#[test]
fn the_seeds_workflow_across_two_clones() {
    let s = Sandbox::new("sales");
    let remote = s.path("remote.git");
    git(&s.root, &["init", "-q", "--bare", &remote]);
    let team = s.path("team");
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let short = build.trim_start_matches("builds/").to_string();

    s.ok(&["catalog", "--path", &team, "init"]);
    let added = s.ok(&["catalog", "--path", &team, "add", &build, "--alias", "revenue"]);
    assert_eq!(added.stdout.trim(), short);
    // The sandbox has no git identity: said once, after the first change.
    let (said, warning) = added.stderr.trim().split_once('\n').expect("two lines");
    assert_eq!(said, format!("added {short} as revenue r1"));
    assert!(warning.starts_with("warning: git has no identity"), "{warning}");
    let again = s.ok(&["catalog", "--path", &team, "add", &build]);
    assert_eq!(again.stderr.trim(), "this computation already exists as revenue; nothing was added");
    let listed = s.ok(&["catalog", "--path", &team, "list-aliases"]);
    insta::assert_snapshot!("catalog_list_aliases", s.redact(&listed.stdout).replace(&short, ENTRY));
    s.ok(&["catalog", "--path", &team, "set-remote", &remote]);
    let pushed = s.ok(&["catalog", "--path", &team, "push"]);
    assert!(pushed.stderr.starts_with("pushed to"), "{}", pushed.stderr);

    // A second clone, as the default catalog of another user.
    let cloned = s.ok(&["catalog", "clone", &remote]);
    assert!(cloned.stderr.contains("cloned the catalog"), "{}", cloned.stderr);
    assert_eq!(s.ok(&["catalog", "pull"]).stderr.trim(), "already up to date");
    let direct = s.ok(&["run", &build, "-o", "-", "-f", "csv"]).stdout;
    let by_alias = s.ok(&["run", "revenue", "-o", "-", "-f", "csv"]).stdout;
    assert_eq!(by_alias, direct);
    assert_eq!(s.ok(&["catalog", "run", "revenue@r1", "-o", "-", "-f", "csv"]).stdout, direct);
    assert_eq!(s.ok(&["run", &short[..8], "-o", "-", "-f", "csv"]).stdout, direct);
    let log = s.ok(&["catalog", "log"]);
    insta::assert_snapshot!("catalog_log", s.redact(&log.stdout).replace(&short, ENTRY));
    let show = s.ok(&["catalog", "show", "revenue"]);
    insta::assert_snapshot!("catalog_show", s.redact(&show.stdout).replace(&short, ENTRY));
    let lineage = s.ok(&["lineage", "revenue", "--column", "total"]);
    assert_eq!(lineage.stdout, s.ok(&["lineage", &build, "--column", "total"]).stdout);
    assert_eq!(s.ok(&["catalog", "lineage", "revenue", "--column", "total"]).stdout, lineage.stdout);
    // The seed's tree shape, by alias.
    assert!(
        lineage.stdout.starts_with("Lineage for column 'total':\nField:total #1\n└── Sort #2\n"),
        "{}",
        lineage.stdout
    );
    assert!(lineage.stdout.contains("Read:sales.parquet #"), "{}", lineage.stdout);
    // Graph formats name the job by the alias, across revisions.
    let event: serde_json::Value =
        serde_json::from_str(&s.ok(&["lineage", "revenue@r1", "-f", "openlineage"]).stdout).expect("event JSON");
    assert_eq!(event["job"]["name"], "revenue");
    let page = s.ok(&["lineage", "revenue", "-f", "html"]).stdout;
    assert!(page.contains("<title>Lineage of revenue ("), "{}", &page[..page.len().min(400)]);
    let schema = s.ok(&["catalog", "schema", "revenue"]);
    insta::assert_snapshot!("catalog_schema", schema.stdout);
    assert_eq!(s.ok(&["catalog", "check"]).stdout, "OK: 1 entry and 1 alias check out\n");

    // The second clone moves the alias and pushes; the first pulls and runs the new revision.
    let other = s.build(300);
    let moved = s.ok(&["catalog", "add", &other, "--alias", "revenue"]);
    assert!(moved.stderr.contains("revenue r2"), "{}", moved.stderr);
    s.ok(&["catalog", "push"]);
    let pulled = s.ok(&["catalog", "--path", &team, "pull"]);
    assert!(pulled.stderr.starts_with("pulled: new entries"), "{}", pulled.stderr);
    let r2 = s.ok(&["run", "revenue", "--catalog-path", &team, "-o", "-", "-f", "csv"]).stdout;
    assert_eq!(r2, s.ok(&["run", &other, "-o", "-", "-f", "csv"]).stdout);
    let r1 = s.ok(&["run", "revenue@r1", "--catalog-path", &team, "-o", "-", "-f", "csv"]).stdout;
    assert_eq!(r1, direct);
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["catalog", "--path", &team, "list-aliases", "--json"]).stdout).unwrap();
    assert_eq!(json[0]["alias"], "revenue");
    assert_eq!(json[0]["revision"], 2);
    let entries: serde_json::Value =
        serde_json::from_str(&s.ok(&["catalog", "--path", &team, "list", "--json"]).stdout).unwrap();
    assert_eq!(entries.as_array().map(Vec::len), Some(2));
    let log: serde_json::Value =
        serde_json::from_str(&s.ok(&["catalog", "--path", &team, "log", "--json"]).stdout).unwrap();
    let ops: Vec<&str> = log.as_array().unwrap().iter().map(|r| r["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["add", "add", "init"]);
    git(Path::new(&team), &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn an_unknown_name_says_both_what_it_is_not() {
    let s = Sandbox::new("sales");
    let team = s.path("team");
    s.ok(&["catalog", "--path", &team, "init"]);
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    s.ok(&["catalog", "--path", &team, "add", &build, "--alias", "revenue"]);
    let r = s.xorq(&s.project, &["run", "revenu", "--catalog-path", &team]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("catalog_run_unknown", s.redact(&r.stderr));
    let r = s.xorq(&s.project, &["run", "revenue"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("default catalog `default`") && r.stderr.contains("no such directory"), "{}", r.stderr);
    let r = s.xorq(&s.project, &["catalog", "--path", &team, "show", "revenue@r9"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: alias `revenue` has no revision r9; its revisions are r1 to r1\n");
    let r = s.xorq(&s.project, &["catalog", "list"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("xorq catalog --name default init"), "{}", r.stderr);
}

#[test]
fn hostile_names_are_usage_errors_and_change_nothing() {
    let s = Sandbox::new("sales");
    let team = s.path("team");
    s.ok(&["catalog", "--path", &team, "init"]);
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let long = "a".repeat(300);
    for name in ["../../etc/passwd", "a/b", "-rf", "..", "$(touch pwned)", "x;y", "tab\tname", "Prod", &long] {
        let r = s.xorq(&s.project, &["catalog", "--path", &team, "add", &build, &format!("--alias={name}")]);
        assert_eq!(r.code, 2, "{name:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: alias `"), "{name:?}: {}", r.stderr);
    }
    let r = s.xorq(&s.project, &["catalog", "--path", &team, "add", &build, "--alias=../../x"]);
    insta::assert_snapshot!("catalog_hostile_alias", r.stderr);
    let r = s.xorq(&s.project, &["catalog", "--name", "../up", "list"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(git(Path::new(&team), &["rev-list", "--count", "HEAD"]), "1");
    assert_eq!(git(Path::new(&team), &["status", "--porcelain", "--ignored"]), "");
    assert!(!s.project.join("pwned").exists() && !s.root.join("etc").exists());
}

#[test]
fn eight_writers_at_once_all_succeed_or_are_told_to_retry() {
    let s = Sandbox::new("sales");
    let team = s.path("team");
    s.ok(&["catalog", "--path", &team, "init"]);
    let builds: Vec<String> = (0..8).map(|i| s.build(100 + i * 10)).collect();
    for timeout in ["30", "0"] {
        let children: Vec<_> = builds
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let alias = format!("w{timeout}-{i}");
                s.command(&s.project, &["catalog", "--path", &team, "add", b, "--alias", &alias])
                    .env("XORQ_CATALOG_LOCK_TIMEOUT", timeout)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawns")
            })
            .collect();
        let runs: Vec<Run> = children.into_iter().map(|c| run(c.wait_with_output().expect("waits"))).collect();
        let mut succeeded = 0;
        for r in &runs {
            match r.code {
                0 => succeeded += 1,
                _ => assert!(r.stderr.contains("catalog busy, retry"), "{}", r.stderr),
            }
        }
        if timeout == "30" {
            assert_eq!(succeeded, 8, "with a long wait every writer gets its turn");
        }
        assert!(succeeded >= 1);
        let aliases: serde_json::Value =
            serde_json::from_str(&s.ok(&["catalog", "--path", &team, "list-aliases", "--json"]).stdout).unwrap();
        let mine = aliases
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["alias"].as_str().unwrap().starts_with(&format!("w{timeout}-")))
            .count();
        assert_eq!(mine, succeeded);
    }
    let dir = Path::new(&team);
    git(dir, &["fsck", "--strict", "--no-progress"]);
    assert_eq!(git(dir, &["status", "--porcelain", "--ignored"]), "");
    assert_eq!(s.ok(&["catalog", "--path", &team, "list"]).stdout.lines().count(), 8);
    assert!(s.ok(&["catalog", "--path", &team, "check"]).stdout.starts_with("OK: 8 entries"));
}

#[test]
fn a_git_failure_midway_leaves_the_catalog_as_it_was() {
    let s = Sandbox::new("sales");
    let team = s.path("team");
    s.ok(&["catalog", "--path", &team, "init"]);
    let first = s.build(100);
    s.ok(&["catalog", "--path", &team, "add", &first, "--alias", "revenue"]);
    // A git that fails when asked to commit, after the entry was copied and staged.
    let fake = s.root.join("failing-git");
    fs::write(&fake, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = commit ] && { echo 'fatal: disk on fire' >&2; exit 1; }; done\nexec git \"$@\"\n").unwrap();
    Command::new("chmod").arg("+x").arg(&fake).status().expect("chmod");
    let second = s.build(300);
    let r = run(s
        .command(&s.project, &["catalog", "--path", &team, "add", &second, "--alias", "revenue", "--alias", "new"])
        .env("XORQ_GIT", &fake)
        .output()
        .expect("runs"));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("disk on fire") && r.stderr.contains("left as it was"), "{}", r.stderr);
    let dir = Path::new(&team);
    assert_eq!(git(dir, &["rev-list", "--count", "HEAD"]), "2");
    assert_eq!(git(dir, &["status", "--porcelain", "--ignored"]), "");
    assert_eq!(fs::read_dir(dir.join("entries")).unwrap().count(), 1);
    assert!(!dir.join(".git/xorq-catalog-op.json").exists());
    let listed = s.ok(&["catalog", "--path", &team, "list-aliases", "--json"]).stdout;
    assert!(listed.contains("\"revision\": 1") && !listed.contains("\"new\""), "{listed}");
    // The lock was released and the next writer works.
    s.ok(&["catalog", "--path", &team, "add", &second, "--alias", "new"]);
}

#[test]
fn check_and_check_sources_report_what_changed() {
    let s = Sandbox::new("penguins");
    let team = s.path("team");
    s.ok(&["catalog", "--path", &team, "init"]);
    // A build that references its CSV (not bundled), so the CSV can drift.
    let build = s.ok(&["build", "pipeline.sql", "--no-relocate-reads"]).stdout.trim().to_string();
    s.ok(&["catalog", "--path", &team, "add", &build, "--alias", "birds"]);
    let fine = s.ok(&["catalog", "--path", &team, "check-sources", "birds"]);
    assert!(fine.stdout.contains("unchanged"), "{}", fine.stdout);
    let csv = s.project.join("data/penguins.csv");
    let text = fs::read_to_string(&csv).unwrap();
    let header = text.lines().next().unwrap().to_string();
    let changed_header = header.replace("body_mass_g", "mass_g").replace("island", "isle");
    let body: String = text.lines().skip(1).map(|l| format!("{l},x\n")).collect();
    fs::write(&csv, format!("{changed_header},note\n{body}")).unwrap();
    let r = s.xorq(&s.project, &["catalog", "--path", &team, "check-sources", "birds"]);
    assert_eq!(r.code, 3, "a changed source exits 3, as in the Python tool: {}", r.stderr);
    insta::assert_snapshot!(
        "catalog_check_sources",
        format!("{}---\n{}", s.redact(&r.stdout).replace(&build[7..], ENTRY), r.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&s.xorq(&s.project, &["catalog", "--path", &team, "check-sources", "--json"]).stdout)
            .unwrap();
    assert_eq!(json[0]["sources"][0]["status"], "changed");
    // A source that cannot be read at all exits 2.
    fs::remove_file(&csv).unwrap();
    let r = s.xorq(&s.project, &["catalog", "--path", &team, "check-sources", "birds"]);
    assert_eq!(r.code, 2, "an unreadable source exits 2, as in the Python tool: {}", r.stderr);
    assert!(r.stdout.contains("UNREADABLE"), "{}", r.stdout);
    fs::write(&csv, text).unwrap();

    // A hand-edited manifest, committed behind the catalog's back.
    let entry = fs::read_dir(Path::new(&team).join("entries")).unwrap().next().unwrap().unwrap().path();
    let expr = entry.join("expr.yaml");
    fs::write(&expr, fs::read_to_string(&expr).unwrap().replacen("op: IsNotNull", "op: IsNull", 1)).unwrap();
    git(Path::new(&team), &["-c", "user.name=x", "-c", "user.email=x@y", "commit", "-qam", "edit"]);
    let r = s.xorq(&s.project, &["catalog", "--path", &team, "check"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("problem: entries/") && r.stdout.contains("expr.yaml"), "{}", r.stdout);
    assert!(r.stderr.contains("has 1 problem"), "{}", r.stderr);
}

#[test]
fn catalog_help() {
    let s = Sandbox::new("sales");
    let r = s.ok(&["catalog", "--help"]);
    // Global options of other commands (`-v`) are theirs to describe.
    let ours: String = r.stdout.lines().filter(|l| !l.contains("--verbose")).map(|l| format!("{l}\n")).collect();
    insta::assert_snapshot!("catalog_help", ours);
}
