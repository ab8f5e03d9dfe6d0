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

use xorq_core::plan::{SourceIdentity, SourceKind, bundled_location, walk};
use xorq_core::{Address, RelOp, Table};

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

/// The files a build of `table` holds besides its text files (bundled files and memtables),
/// relative to the build directory, each once, in graph order.
pub fn data_files(table: &Table) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for node in walk::topological(table.node()) {
        let RelOp::Source(s) = node.op() else { continue };
        let file = match &s.kind {
            SourceKind::Memtable(m) => memtable_location(&m.content),
            SourceKind::File(f) => match &f.identity {
                SourceIdentity::Content { hash, .. } => bundled_location(hash, &f.format),
                _ => continue,
            },
            _ => continue,
        };
        if !out.contains(&file) {
            out.push(file);
        }
    }
    out
}
