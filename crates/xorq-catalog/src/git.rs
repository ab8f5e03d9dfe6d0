//! Running the `git` program.
//!
//! The catalog drives the user's own `git` rather than a linked library (libgit2 through `git2`):
//! push, pull and clone then use exactly the transport, credential helpers, ssh configuration,
//! proxies and certificates the user's `git` already uses, with no second TLS/ssh stack to build
//! and keep in step, and everything the catalog does can be reproduced or repaired with plain
//! `git` commands in the catalog directory. The cost, a process per command (a few milliseconds),
//! is paid only by writes and sync; listings read the work tree and never start `git`.
//!
//! Every command runs in a fixed environment: hooks off (`core.hooksPath=/dev/null`, so a
//! user's global hooks cannot block or alter catalog commits), no signing prompts
//! (`commit.gpgsign=false`), no line-ending conversion, no background `gc`, rename detection off
//! (entries are content-addressed; a "rename" between two entries is never meant), the C locale,
//! and none of the `GIT_DIR`-style variables an enclosing git hook may have set. The user's
//! configuration stays in force (it holds their credentials and identity); when it names no
//! identity, commits are made as `xorq <xorq@localhost>`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use crate::error::{CatalogError, Result};

/// Configuration passed to every `git` command (see the module documentation).
const FIXED_CONFIG: &[&str] = &[
    "core.hooksPath=/dev/null",
    "commit.gpgsign=false",
    "tag.gpgsign=false",
    "core.autocrlf=false",
    "core.safecrlf=false",
    "core.quotePath=false",
    "gc.autoDetach=false",
    "merge.renames=false",
    "diff.renames=false",
    "advice.detachedHead=false",
    "init.defaultBranch=main",
];

/// Environment variables that would make git act on another repository or index.
const CLEARED_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
];

/// The program to run: `$XORQ_GIT`, else `git` from `PATH`.
fn program() -> String {
    std::env::var("XORQ_GIT").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "git".to_string())
}

/// `git` in one directory.
#[derive(Debug)]
pub(crate) struct Git {
    dir: PathBuf,
    identity: OnceLock<Vec<String>>,
}

/// What a git command printed, when its exit status matters to the caller.
pub(crate) struct Ran {
    /// Exit status was zero.
    pub ok: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error, trimmed.
    pub stderr: String,
}

impl Git {
    /// Git commands run in `dir`.
    pub fn new(dir: &Path) -> Git {
        Git { dir: dir.to_path_buf(), identity: OnceLock::new() }
    }

    /// The directory commands run in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(program());
        for setting in FIXED_CONFIG {
            command.arg("-c").arg(setting);
        }
        command.args(args).current_dir(&self.dir).stdin(Stdio::null()).env("LC_ALL", "C").env("LANGUAGE", "C");
        for var in CLEARED_ENV {
            command.env_remove(var);
        }
        command
    }

    fn output<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Ran> {
        let out: Output =
            self.command(args).output().map_err(|source| CatalogError::GitMissing { program: program(), source })?;
        Ok(Ran {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }

    /// Runs `git args…`; a non-zero exit is an error carrying git's message.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String> {
        let ran = self.try_run(args)?;
        if ran.ok { Ok(ran.stdout) } else { Err(self.failed(args, &ran.stderr, "")) }
    }

    /// Runs `git args…` and reports its status instead of failing on a non-zero exit.
    pub fn try_run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Ran> {
        self.output(args)
    }

    /// Runs a command that writes commits (`commit`, `merge`), adding a fallback identity when
    /// the user's configuration has none.
    pub fn run_committing<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Ran> {
        let mut full: Vec<String> = self.fallback_identity().to_vec();
        full.extend(args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()));
        self.output(&full)
    }

    /// An error for a failed command.
    pub fn failed<S: AsRef<OsStr>>(&self, args: &[S], stderr: &str, hint: &str) -> CatalogError {
        let command: Vec<String> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
        CatalogError::Git {
            command: command.join(" "),
            dir: self.dir.clone(),
            stderr: if stderr.is_empty() { "(no message)".to_string() } else { stderr.to_string() },
            hint: if hint.is_empty() { String::new() } else { format!("\nhint: {hint}") },
        }
    }

    /// `-c user.name=…`/`-c user.email=…` for whatever identity neither git's configuration nor
    /// its environment variables supply (usually nothing).
    fn fallback_identity(&self) -> &[String] {
        self.identity.get_or_init(|| {
            let env = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
            let text = self
                .command(&["config", "--get-regexp", r"^user\.(name|email)$"])
                .output()
                .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
                .unwrap_or_default();
            let configured = |key: &str| {
                text.lines().any(|l| l.split_once(' ').is_some_and(|(k, v)| k == key && !v.trim().is_empty()))
            };
            let mut args = Vec::new();
            let name_known = configured("user.name") || (env("GIT_AUTHOR_NAME") && env("GIT_COMMITTER_NAME"));
            let email_known =
                configured("user.email") || env("EMAIL") || (env("GIT_AUTHOR_EMAIL") && env("GIT_COMMITTER_EMAIL"));
            if !name_known {
                args.extend(["-c".to_string(), "user.name=xorq".to_string()]);
            }
            if !email_known {
                args.extend(["-c".to_string(), "user.email=xorq@localhost".to_string()]);
            }
            args
        })
    }
}
