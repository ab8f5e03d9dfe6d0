//! Errors of catalog operations. Each names the catalog, entry, alias or file at fault and, where
//! the user can do something about it, says what on a `hint:` line.

use std::io;
use std::path::{Path, PathBuf};

use xorq_build::BuildError;
use xorq_core::Fault;

/// Result of catalog operations.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// What can go wrong with a catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A name given by the user (an alias or a catalog name) breaks the naming rules.
    #[error("{what} `{name}` is not allowed: {reason}")]
    InvalidName {
        /// `alias` or `catalog name`.
        what: &'static str,
        /// The name as given (control characters escaped).
        name: String,
        /// Which rule it breaks, and a fix where there is one.
        reason: String,
    },
    /// A reference (`alias`, `alias@rN`, or an address prefix) names nothing in the catalog.
    #[error("no alias or entry `{reference}` in the catalog at `{}`{}\nhint: `xorq catalog list-aliases` and `xorq catalog list` show what the catalog holds", catalog.display(), suggestion(.similar))]
    NotFound {
        /// What was asked for.
        reference: String,
        /// The catalog.
        catalog: PathBuf,
        /// Aliases with a similar spelling.
        similar: Vec<String>,
    },
    /// An address prefix that more than one entry starts with.
    #[error("`{prefix}` is the start of {} entries ({}); give more characters of the address", candidates.len(), candidates.join(", "))]
    Ambiguous {
        /// The prefix.
        prefix: String,
        /// The short addresses it matches.
        candidates: Vec<String>,
    },
    /// `alias@rN` for a revision the alias does not have.
    #[error("alias `{alias}` has no revision r{revision}; its revisions are r1 to r{latest}")]
    NoRevision {
        /// The alias.
        alias: String,
        /// The revision asked for.
        revision: u32,
        /// Its latest revision.
        latest: u32,
    },
    /// An alias revision points to an entry that is no longer in the catalog.
    #[error(
        "alias `{alias}` r{revision} points to entry {address}, which was removed from the catalog\nhint: use another revision, or add the build again with `xorq catalog add`"
    )]
    RemovedEntry {
        /// The alias.
        alias: String,
        /// The revision.
        revision: u32,
        /// Short address of the missing entry.
        address: String,
    },
    /// Another process holds the catalog's write lock for longer than we wait.
    #[error(
        "catalog busy, retry: another process is changing the catalog at `{}` (waited {waited_ms} ms for its lock)\nhint: run the command again in a moment; XORQ_CATALOG_LOCK_TIMEOUT sets the wait in seconds",
        catalog.display()
    )]
    Busy {
        /// The catalog.
        catalog: PathBuf,
        /// How long we waited.
        waited_ms: u64,
    },
    /// The directory is not a catalog (no `catalog.yaml`, or not a git work tree).
    #[error("`{}` is not a xorq catalog: {reason}", path.display())]
    NotACatalog {
        /// The directory.
        path: PathBuf,
        /// What is missing, and what to do.
        reason: String,
    },
    /// A catalog file is malformed or from a newer layout.
    #[error("`{}` is malformed: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The operation is refused; nothing was changed.
    #[error("{message}")]
    Refused {
        /// Why, and what to do instead.
        message: String,
    },
    /// A `git` command failed.
    #[error("`git {command}` failed in `{}`: {stderr}{hint}", dir.display())]
    Git {
        /// The git subcommand and its arguments.
        command: String,
        /// Where it ran.
        dir: PathBuf,
        /// What git said.
        stderr: String,
        /// What to do (starts with a newline), or empty.
        hint: String,
    },
    /// The `git` program could not be started.
    #[error(
        "cannot run `{program}`: {source}\nhint: the catalog is a git repository and needs the `git` program; install git or set XORQ_GIT to its path"
    )]
    GitMissing {
        /// The program we tried.
        program: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// A file-system operation failed.
    #[error("cannot {action} `{}`: {source}{}", path.display(), xorq_build::error::io_hint(source))]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The build being added (or an entry being read) is not a usable build.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A file of an entry or a build is not what it should be (a link, a special file, other
    /// bytes), or cannot be read or written.
    #[error(transparent)]
    File(#[from] xorq_fs::FsError),
    /// `check` found problems (they are listed in its report).
    #[error("the catalog at `{}` has {problems} problem{}; see the report above", catalog.display(), if *.problems == 1 { "" } else { "s" })]
    Inconsistent {
        /// The catalog.
        catalog: PathBuf,
        /// How many.
        problems: usize,
    },
    /// `check-sources` found sources whose schema changed or that cannot be read.
    #[error("{changed} source{} changed and {unreachable} could not be read since they were catalogued; see the report above", if *.changed == 1 { "" } else { "s" })]
    Drift {
        /// Sources whose columns changed.
        changed: usize,
        /// Sources that could not be probed.
        unreachable: usize,
    },
    /// A broken invariant: a bug in xorq-rs (front ends add where to report it).
    #[error("internal error: {0}")]
    Internal(String),
}

fn suggestion(similar: &[String]) -> String {
    match similar {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => {
            format!("; did you mean one of {}?", many.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "))
        }
    }
}

impl CatalogError {
    /// An I/O error while doing `action` on `path`.
    pub fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> CatalogError + 'a {
        move |source| CatalogError::Io { action, path: path.to_path_buf(), source }
    }

    /// A refusal with its reason.
    pub fn refused(message: impl Into<String>) -> CatalogError {
        CatalogError::Refused { message: message.into() }
    }

    /// Whose fault this is (see [`Fault`]): a name given by the user that breaks the naming
    /// rules is a usage error; a broken invariant is a bug; a wrapped build error keeps its
    /// fault; everything else failed on what the command met.
    pub fn fault(&self) -> Fault {
        match self {
            CatalogError::InvalidName { .. } => Fault::Usage,
            CatalogError::Build(e) => e.fault(),
            CatalogError::Internal(_) => Fault::Internal,
            _ => Fault::Runtime,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_stays_small() {
        assert!(std::mem::size_of::<CatalogError>() <= 128, "{}", std::mem::size_of::<CatalogError>());
    }

    #[test]
    fn not_found_suggests_similar_aliases() {
        let e = CatalogError::NotFound { reference: "prdo".into(), catalog: "/c".into(), similar: vec!["prod".into()] };
        assert!(e.to_string().contains("did you mean `prod`?"), "{e}");
    }
}
