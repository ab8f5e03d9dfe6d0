//! The git-backed catalog (SPEC §7): a team's shared ledger of builds. A catalog is a git
//! repository of entries (builds, named by their full input address) and aliases (human names
//! with numbered revisions). Every change is exactly one commit whose message says what changed;
//! history, diff, push and pull are git's.
//!
//! ```no_run
//! use xorq_catalog::{AliasName, Catalog};
//!
//! let catalog = Catalog::init("team-catalog".as_ref())?;
//! let added = catalog.add("builds/7d0c1f5e2a4b".as_ref(), &[AliasName::new("revenue")?])?;
//! let entry = catalog.resolve("revenue")?;          // or "revenue@r1", or "7d0c1f5e"
//! assert_eq!(entry.address, added.address);
//! let build = xorq_build::load(&entry.dir)?;        // an entry is a build directory
//! catalog.set_remote("/srv/git/team-catalog.git", false)?;
//! catalog.push()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//!
//! - **Layout** ([`layout`]): `catalog.yaml` (layout version), `entries/<64-hex>/` holding the
//!   build's `expr.yaml`, `profiles.yaml`, `metadata.json`, `data/` and `memtables/`, and
//!   `aliases/<alias>.yaml` listing revisions r1, r2, … with address and time. Entries are
//!   written once and never edited; aliases only gain revisions. Diffs read as what happened.
//! - **The `git` program, not libgit2** ([`git`]): push, pull and clone use the user's own
//!   transports, credential helpers and ssh configuration, and a catalog can always be inspected
//!   and repaired with plain git. Commands run with hooks and signing off and a fixed locale.
//! - **One writer at a time, all or nothing** ([`lock`]): an OS file lock in `.git` (never stale),
//!   a bounded wait then "catalog busy, retry"; each change records the paths it touches, commits
//!   exactly those, and on any failure (or after a crash, on the next write) puts them back.
//! - **Pull merges** ([`merge`]): entries are content-addressed, so diverged clones merge as a
//!   union; an alias moved differently on both sides is reported and the remote's revisions are
//!   recorded beside this clone's instead of overwriting either.
//! - **Bundled data stays in git.** An entry is a complete build, so a clone runs it with nothing
//!   else to fetch, and git stores each distinct data file once however many entries bundle it
//!   (the file names are content hashes, and so are git's blobs). `add` reports bundled files
//!   over 50 MB, which git hosts commonly refuse; for such data, build with
//!   `--no-relocate-reads` so the entry references the data where it lives.
//! - **Choosing a catalog** ([`config`]): `--path`, `--name` (looked up in `catalogs.yaml`), or
//!   the default.
//! - **Search by logic** ([`Catalog::find`]): the entries that compute an expression, the same
//!   computation over other data, or a part of it, found by node address in a node index kept
//!   in `.git/xorq-node-index.json` ([`layout::NODE_INDEX_FILE`]). The index is derived, never
//!   committed, and checked against the entries on every read (what it lacks is indexed, what
//!   is gone dropped), so it is never stale; `add` and `remove` keep it current and `check`
//!   rebuilds it.

pub mod alias;
mod catalog;
mod check;
pub mod config;
mod drift;
pub mod error;
mod find;
mod gc;
pub mod git;
mod index;
pub mod layout;
pub mod lock;
mod log;
pub mod merge;
mod sync;
mod write;

pub use alias::{AliasFile, AliasName, Reference, Revision};
pub use catalog::{AliasPointer, AliasSummary, Catalog, EntryDetails, EntrySummary, MIN_PREFIX, Resolved};
pub use check::{CheckReport, Finding};
pub use drift::{ColumnDrift, DriftStatus, EntryDrift, SourceDrift};
pub use error::{CatalogError, Result};
pub use find::{FindMatch, FindReport, MatchKind, QuerySummary, SharedNode};
pub use gc::{GcReport, Orphan};
pub use index::IndexUse;
pub use log::LogRecord;
pub use merge::{AliasConflict, PullOutcome, PullReport};
pub use sync::{Cloned, PushOutcome, REMOTE};
pub use write::{Added, AliasChange, LARGE_FILE};
