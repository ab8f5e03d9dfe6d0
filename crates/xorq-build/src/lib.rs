//! Build artifacts (SPEC §3): an expression written to `builds/<12-hex address>/` so it can be
//! run, shared and catalogued anywhere, and read back into an equal expression.
//!
//! ```no_run
//! # fn demo(table: xorq_core::Table) -> xorq_build::Result<()> {
//! use xorq_build::{BuildOptions, build, load};
//! let dir = build(&table, "builds".as_ref(), &BuildOptions::default())?;
//! let back = load(&dir.path)?;
//! assert_eq!(back.table.address(), table.address());
//! # Ok(()) }
//! ```
//!
//! The layout is in [`layout`]. Local files are bundled by default (named by the BLAKE3 hash of
//! their bytes, which is then their identity in the address), memtables are stored as Parquet,
//! and the directory is published with one rename, so it is either complete or absent (a
//! staging directory left by a killed build is swept by the next build in that directory).
//! Loading checks the build against its name before anything is read: the manifest against the
//! address, `metadata.json` against the manifest, and every bundled file against its hash (once
//! per file identity, remembered in the cache directory; see [`Verification`]).

mod bundle;
mod debug;
pub mod error;
pub mod fsutil;
pub mod layout;
mod load;
mod memtable;
pub mod metadata;
pub mod profiles;
pub mod project;
mod sources;
mod verify;
mod write;

pub use error::{BuildError, Result};
pub use load::{LoadedBuild, bind, load, load_with, read_metadata, rederive};
pub use metadata::Metadata;
pub use verify::Verification;
pub use write::{BuildDir, BuildOptions, build, prepare};
