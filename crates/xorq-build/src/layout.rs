//! The files of a build directory, by name.
//!
//! ```text
//! builds/<12-hex address>/
//!   expr.yaml            the canonical manifest (what the address names)
//!   profiles.yaml        backend profiles, secrets only as ${ENV_VAR} references
//!   metadata.json        full address, hash scheme, versions, build time, sources
//!   data/<hash>.<fmt>    bundled file snapshots, named by the BLAKE3 hash of their bytes
//!   memtables/<hash>.parquet  in-memory tables, named by their content hash
//!   deferred_reads.yaml  (--debug) every read, where it reads from
//!   <engine>.sql         (--debug) the SQL each engine would run
//! ```

use xorq_core::Address;

/// The manifest.
pub const EXPR_FILE: &str = "expr.yaml";
/// Backend profiles.
pub const PROFILES_FILE: &str = "profiles.yaml";
/// Build metadata.
pub const METADATA_FILE: &str = "metadata.json";
/// Debug listing of reads.
pub const DEFERRED_READS_FILE: &str = "deferred_reads.yaml";
/// Directory of memtable Parquet files.
pub const MEMTABLE_DIR: &str = "memtables";

/// Where a memtable's rows are kept, relative to the build directory.
///
/// ```
/// let hash = xorq_core::Address::from_bytes([1; 32]);
/// assert!(xorq_build::layout::memtable_location(&hash).starts_with("memtables/0101"));
/// ```
pub fn memtable_location(content: &Address) -> String {
    format!("{MEMTABLE_DIR}/{}.parquet", content.hex())
}
