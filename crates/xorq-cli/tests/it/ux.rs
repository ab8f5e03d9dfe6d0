//! What a user feels: an output file whose extension names no format, an HTML page asked for on
//! a terminal, `cache prune --dry-run` and what `prune` removed, `cache show <build>`.

use std::path::Path;
use std::process::Command;

use crate::common::sandbox::Sandbox;

const SQL: &str = "WITH\n-- xorq: cache snapshot\nt AS (SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 10)\nSELECT region, sum(amount) AS total FROM t GROUP BY region ORDER BY region";

#[test]
fn an_unknown_output_extension_is_refused_unless_the_format_is_given() {
    let s = Sandbox::new("sales", 50);
    let build = s.build_sql("p.sql", SQL, &[]);
    let err = s.fails(2, &["run", &build, "-o", "out.xlsx"]);
    assert!(err.contains("out.xlsx") && err.contains("`.xlsx`") && err.contains("-f"), "{err}");
    assert!(!s.project.join("out.xlsx").exists(), "nothing is written");
    s.ok(&["run", &build, "-o", "out.xlsx", "-f", "csv"]);
    assert!(std::fs::read_to_string(s.project.join("out.xlsx")).expect("written").starts_with("region,total"));
    // No extension, or not a regular file: as before (Parquet).
    s.ok(&["run", &build, "-o", "result"]);
    assert_eq!(&std::fs::read(s.project.join("result")).expect("written")[..4], b"PAR1");
    s.ok(&["run", &build, "-o", "/dev/null"]);
}

#[test]
fn an_html_page_is_not_written_to_a_terminal() {
    let s = Sandbox::new("sales", 50);
    let build = s.build_sql("p.sql", SQL, &[]);
    let text = on_a_terminal(&s, &format!("lineage {build} -f html; echo \"exit=$?\""));
    assert!(text.contains("exit=2") && text.contains("-o lineage.html"), "{text}");
    assert!(!text.contains("<html"), "{text}");
    // Into a pipe, or a file, it is written.
    assert!(s.ok(&["lineage", &build, "-f", "html"]).stdout.contains("<html"));
}

#[test]
fn prune_says_what_it_removes_and_dry_run_removes_nothing() {
    let s = Sandbox::new("sales", 50);
    let build = s.build_sql("p.sql", SQL, &[]);
    s.ok(&["run", &build, "-o", "/dev/null"]);
    let entries = || std::fs::read_dir(s.cache.join("xorq-rs-v1")).map(|d| d.count()).unwrap_or(0);
    let before = entries();
    let dry = s.ok(&["cache", "prune", "--older-than", "0", "--dry-run"]).stdout;
    assert!(dry.contains("would remove ") && dry.contains("would remove 1 entry"), "{dry}");
    assert_eq!(entries(), before, "a dry run removes nothing");
    assert!(s.ok(&["run", &build, "-o", "/dev/null", "-v"]).stderr.contains("hit"));
    let done = s.ok(&["cache", "prune", "--older-than", "0"]).stdout;
    let short = &done.lines().next().expect("a line")[8..20];
    assert!(done.starts_with("removed ") && done.contains("removed 1 entry"), "{done}");
    assert!(dry.contains(short), "the dry run named the entry that was removed: {dry}");
}

#[test]
fn cache_show_takes_a_build_and_lists_its_cache_nodes() {
    let s = Sandbox::new("sales", 50);
    let build = s.build_sql("p.sql", SQL, &[]);
    let before = s.ok(&["cache", "show", &build]).stdout;
    assert!(before.contains("snapshot cache over") && before.contains("not stored"), "{before}");
    s.ok(&["run", &build, "-o", "/dev/null"]);
    let after = s.ok(&["cache", "show", &build]).stdout;
    assert!(after.contains("snapshot cache over") && after.contains("1 entry") && after.contains("check"), "{after}");
    let json = s.ok(&["cache", "show", &build, "--json"]).stdout;
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["caches"][0]["entries"][0]["check"], "ok", "{v}");
    // Not a build, not an address.
    let err = s.fails(2, &["cache", "show", "no/such/build"]);
    assert!(err.contains("`no/such/build` is neither a cache address") && err.contains("no such directory"), "{err}");
    assert!(Path::new(&s.cache).exists());
}

#[test]
fn verbose_lines_are_never_written_into_the_spinner() {
    let s = Sandbox::new("sales", 20_000);
    let build = s.build_sql("plain.sql", "SELECT * FROM read_parquet('data/sales.parquet')", &[]);
    // A terminal on stderr draws the spinner; the whole result is stored as it streams, so the
    // `stored` line comes while the spinner is drawn.
    let text = on_a_terminal(&s, &format!("run-cached {build} -v -o out.parquet")).replace("\u{1b}[2K", "");
    let segments: Vec<&str> = text.split(['\r', '\n']).filter(|l| !l.trim().is_empty()).collect();
    let stored: Vec<&&str> = segments.iter().filter(|l| l.contains("stored")).collect();
    assert!(!stored.is_empty(), "{text:?}");
    for line in stored {
        assert!(line.starts_with("cache "), "a verbose line shares its line with the spinner: {line:?}\n{text:?}");
    }
    assert!(segments.iter().any(|l| l.starts_with("wrote 20,000 rows")), "{text:?}");
}

/// Push, pull and clone talk to a remote that may be slow: on a terminal a spinner says which,
/// with the time so far, and is cleared when done (a pipe gets only the result lines).
#[test]
fn push_pull_and_clone_show_progress_on_a_terminal() {
    let s = Sandbox::new("sales", 20);
    let cat = s.catalog("cat");
    let remote = s.path("remote.git");
    crate::common::sandbox::git(&s.root, &["init", "-q", "--bare", &remote]);
    s.ok(&["catalog", "-p", &cat, "set-remote", &remote]);
    // A git that takes a moment, as a remote over a network does.
    let slow = s.root.join("slow-git");
    std::fs::write(&slow, "#!/bin/sh\nsleep 0.6\nexec git \"$@\"\n").expect("slow git");
    let mut perms = std::fs::metadata(&slow).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&slow, perms).expect("chmod");
    let git = format!("XORQ_GIT={}", slow.display());
    for (args, says) in [
        (format!("catalog -p {cat} push"), format!("pushing to {remote}")),
        (format!("catalog -p {cat} pull"), format!("pulling from {remote}")),
        (format!("catalog -p {} clone {remote}", s.path("copy")), format!("cloning {remote}")),
    ] {
        let text = on_a_terminal_with(&s, &git, &args);
        assert!(text.contains(&says), "{args}: {text:?}");
        // Cleared: the last line is the result, not the spinner.
        let last = text
            .rsplit(['\r', '\n'])
            .map(|l| l.trim_start_matches("\u{1b}[2K"))
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        assert!(!last.contains(&says), "{args}: the spinner was left on screen: {text:?}");
    }
    // Into a pipe: no spinner.
    let piped = s.xorq(&["catalog", "-p", &cat, "push"]);
    assert!(!piped.stderr.contains("pushing to"), "{}", piped.stderr);
}

/// Files the CLI writes (results, builds, cache entries) get the user's umask, as any new file
/// does: 0666 less the umask (0777 for directories), never a temporary file's 0600.
#[test]
fn written_files_keep_the_users_umask() {
    use std::os::unix::fs::PermissionsExt;
    for (umask, file_mode, dir_mode) in [("022", 0o644, 0o755), ("027", 0o640, 0o750)] {
        let s = Sandbox::new("sales", 50);
        let xorq = env!("CARGO_BIN_EXE_xorq");
        std::fs::write(s.project.join("p.sql"), SQL).expect("pipeline");
        let script = format!(
            "umask {umask} && b=$({xorq} build p.sql --builds-dir out-builds) && {xorq} run $b -o out.csv && {xorq} run-cached $b -o out.parquet"
        );
        let r = std::process::Command::new("sh")
            .args(["-c", &script])
            .current_dir(&s.project)
            .env("HOME", s.root.join("home"))
            .env("XORQ_CACHE_DIR", &s.cache)
            .output()
            .expect("sh runs");
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let mode = |p: &Path| std::fs::metadata(p).expect("written").permissions().mode() & 0o777;
        let mut checked = 0;
        let mut stack = vec![s.project.join("out-builds"), s.cache.clone()];
        for file in ["out.csv", "out.parquet"] {
            assert_eq!(mode(&s.project.join(file)), file_mode, "umask {umask}: {file}");
        }
        while let Some(dir) = stack.pop() {
            assert_eq!(mode(&dir), dir_mode, "umask {umask}: {}", dir.display());
            for entry in std::fs::read_dir(&dir).expect("listed").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    assert_eq!(mode(&path), file_mode, "umask {umask}: {}", path.display());
                    checked += 1;
                }
            }
        }
        assert!(checked >= 5, "builds and cache entries were written ({checked} files)");
    }
}

/// What `xorq <args>` (a shell command line after the binary) prints with a pseudo-terminal as
/// its stdout and stderr (`script` gives it one), in the sandbox's project.
fn on_a_terminal(s: &Sandbox, args: &str) -> String {
    on_a_terminal_with(s, "", args)
}

/// [`on_a_terminal`] with `env` (`NAME=value …`, for the shell) set for the command.
fn on_a_terminal_with(s: &Sandbox, env: &str, args: &str) -> String {
    let xorq = env!("CARGO_BIN_EXE_xorq");
    let out = Command::new("script")
        .args(["-qec", &format!("{env} {xorq} {args}"), "/dev/null"])
        .current_dir(&s.project)
        .env("HOME", s.root.join("home"))
        .env("XORQ_CACHE_DIR", &s.cache)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
