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
//!
//! A `git` child never outlives a change it was part of unnoticed:
//! - on Linux it is killed when the process that started it ends, however it ends (kill -9
//!   included), by the kernel ([`die_with_parent`]);
//! - while the writers' lock is held, every `git` child gets a handle on the lock file as its
//!   standard input, and so holds the lock too: the lock is free only once the writer *and* every
//!   `git` process it started (and theirs) are gone, on any system. The next writer then repairs
//!   what was left (see [`crate::lock`]), and readers meanwhile ignore what `HEAD` does not hold.
//!
//! Messages never show credentials: a URL's user information is redacted ([`redact`]).

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};

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
    /// While the writers' lock is held: the lock file, handed to every command as its standard
    /// input (see the module documentation).
    lock: Mutex<Option<File>>,
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
        Git { dir: dir.to_path_buf(), identity: OnceLock::new(), lock: Mutex::new(None) }
    }

    /// Hands `lock` (the locked lock file; `None` when it is released) to the commands run from
    /// now on.
    pub fn hold_lock(&self, lock: Option<File>) {
        *self.lock.lock().unwrap_or_else(PoisonError::into_inner) = lock;
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
        let stdin = match self.lock.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(File::try_clone) {
            Some(Ok(lock)) => Stdio::from(lock),
            _ => Stdio::null(),
        };
        command.args(args).current_dir(&self.dir).stdin(stdin).env("LC_ALL", "C").env("LANGUAGE", "C");
        for var in CLEARED_ENV {
            command.env_remove(var);
        }
        die_with_parent(&mut command);
        command
    }

    fn output<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Ran> {
        let out: Output =
            self.command(args).output().map_err(|source| CatalogError::GitMissing { program: program(), source })?;
        Ok(Ran {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: redact(String::from_utf8_lossy(&out.stderr).trim()),
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
            command: redact(&command.join(" ")),
            dir: self.dir.clone(),
            stderr: if stderr.is_empty() { "(no message)".to_string() } else { redact(stderr) },
            hint: if hint.is_empty() { String::new() } else { format!("\nhint: {hint}") },
        }
    }

    /// `-c user.name=…`/`-c user.email=…` for whatever identity neither git's configuration nor
    /// its environment variables supply (usually nothing).
    pub(crate) fn fallback_identity(&self) -> &[String] {
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

/// Asks the kernel to kill the child with SIGKILL when the thread that started it ends (so when
/// this process ends, however it ends), and makes a child whose parent is already gone exit at
/// once. Linux only; elsewhere the lock handed to children (see the module documentation) is
/// what keeps a change and its `git` children together.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // the one unsafe call of this crate: a `pre_exec` hook
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = i64::from(std::process::id());
    // SAFETY: the hook runs in the child between fork and exec, where only async-signal-safe
    // calls are allowed. It makes two system calls (prctl, getppid) and builds an io::Error from
    // a raw OS error code; it allocates nothing, takes no lock, and touches no memory shared
    // with the parent.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent died before the request was made: end now, as the signal would have.
            if i64::from(libc::getppid()) != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// `text` with the user information of every URL in it hidden (`https://***@host/repo.git`): a
/// password, or a token given as a user name, never reaches a message or a log line. A plain
/// SSH user name (`ssh://git@host/…`) is not a secret and is kept.
///
/// ```
/// use xorq_catalog::git::redact;
/// assert_eq!(redact("fetching https://me:s3cret@host/r.git failed"), "fetching https://***@host/r.git failed");
/// assert_eq!(redact("https://ghp_token@github.com/a/b.git"), "https://***@github.com/a/b.git");
/// assert_eq!(redact("ssh://git@host/r.git"), "ssh://git@host/r.git");
/// ```
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let scheme =
            before[..at].rsplit(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c))).next().unwrap_or("");
        let authority_end =
            after.find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace()).unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(userinfo_end) if is_secret(scheme, &after[..userinfo_end]) => {
                out.push_str("***");
                rest = &after[userinfo_end..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// Whether the user information of a `scheme` URL is a credential: anything with a password,
/// and any user information at all over HTTP(S) and FTP (where a token is given as the user).
pub(crate) fn is_secret(scheme: &str, userinfo: &str) -> bool {
    !userinfo.is_empty()
        && (userinfo.contains(':') || matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https" | "ftp" | "ftps"))
}
