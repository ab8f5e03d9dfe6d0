//! A sandbox for tests that run builds, caches and catalogs together: a project, its own
//! cache directory and its own HOME (so no default catalog, configuration or git identity of
//! the user is touched).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Run;

/// A scaffolded project with a cache and a HOME of its own.
pub struct Sandbox {
    pub tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub project: PathBuf,
    pub cache: PathBuf,
}

impl Sandbox {
    /// The `template` project (`sales` or `penguins`), with `rows` orders for `sales`.
    pub fn new(template: &str, rows: usize) -> Sandbox {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().to_path_buf();
        std::fs::create_dir_all(root.join("home")).expect("home");
        let sandbox = Sandbox { project: root.join("proj"), cache: root.join("cache"), root, tmp };
        let rows = rows.to_string();
        let r = sandbox.xorq_in(&sandbox.root, &["init", "-t", template, "--rows", &rows, "proj"]);
        assert_eq!(r.code, 0, "init: {}", r.stderr);
        sandbox
    }

    /// `xorq args…` in `dir`, not yet started.
    pub fn command_in(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_xorq"));
        c.args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .env("HOME", self.root.join("home"))
            .env("GIT_CONFIG_GLOBAL", self.root.join("home/.gitconfig"))
            .env("XORQ_CACHE_DIR", &self.cache)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("XORQ_CATALOG_CONFIG")
            .env_remove("XORQ_DEFAULT_CATALOG")
            .env_remove("XORQ_GIT")
            .env_remove("XORQ_CATALOG_LOCK_TIMEOUT");
        c
    }

    /// `xorq args…` in the project, not yet started.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_in(&self.project, args)
    }

    /// `xorq args…` in `dir`.
    pub fn xorq_in(&self, dir: &Path, args: &[&str]) -> Run {
        run(self.command_in(dir, args))
    }

    /// `xorq args…` in the project.
    pub fn xorq(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    /// `xorq args…` in the project, expected to succeed.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.xorq(args);
        assert_eq!(r.code, 0, "xorq {args:?}:\n{}", r.stderr);
        r
    }

    /// `xorq args…` in the project, expected to fail with `code`; its stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let r = self.xorq(args);
        assert_eq!(r.code, code, "xorq {args:?}:\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
        r.stderr
    }

    /// Builds `sql` (written to `name` in the project); returns the build path.
    pub fn build_sql(&self, name: &str, sql: &str, extra: &[&str]) -> String {
        std::fs::write(self.project.join(name), sql).expect("write pipeline");
        let mut args = vec!["build", name];
        args.extend_from_slice(extra);
        self.ok(&args).stdout.trim().to_string()
    }

    /// A path in the sandbox, as a string.
    pub fn path(&self, name: &str) -> String {
        self.root.join(name).to_string_lossy().into_owned()
    }

    /// A new catalog at `name` in the sandbox; returns its path.
    pub fn catalog(&self, name: &str) -> String {
        let path = self.path(name);
        self.ok(&["catalog", "--path", &path, "init"]);
        path
    }

    /// The bundled data files of a build (relative to the project).
    pub fn data_files(&self, build: &str) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(self.project.join(build).join("data"))
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        out.sort();
        out
    }
}

/// Runs a command to completion.
pub fn run(mut command: Command) -> Run {
    Run::from(command.output().expect("the binary runs"))
}

/// `git args…` in `dir`, expected to succeed; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Names in `dir` starting with `prefix`.
pub fn litter(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// A tiny deterministic generator (xorshift), seeded per test and printed on failure.
pub struct Rng(pub u64);

impl Rng {
    /// A seed from `XORQ_FAULT_SEED`, else from the clock.
    pub fn seeded() -> Rng {
        let seed = std::env::var("XORQ_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
        });
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
