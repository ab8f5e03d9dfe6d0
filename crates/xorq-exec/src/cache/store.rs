//! Where cached results are kept: the [`CacheStore`] trait, the entry sidecar ([`EntryMeta`])
//! and what a lookup or a write returns.
//!
//! A store says *where the rows of an entry are* by returning a [`Source`]: a Parquet file for
//! the directory store, in-memory batches for the session store, and (when backend engines
//! arrive) a table of a backend. The resolver replaces the cache node by that source, so the
//! engine reads a hit like any other input and nothing under the node is planned.

use std::collections::BTreeMap;
use std::time::SystemTime;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use serde::{Deserialize, Serialize};
use xorq_core::{Schema, Source};

use super::key::{EntryKey, TokenSource, parse_time};
use crate::error::Result;

/// Name of the sidecar format.
pub const ENTRY_FORMAT: &str = "xorq-rs cache entry";
/// Version of the sidecar format written.
pub const ENTRY_VERSION: u32 = 1;

/// The sidecar of an entry: everything a listing shows, without opening the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntryMeta {
    /// [`ENTRY_FORMAT`].
    pub format: String,
    /// [`ENTRY_VERSION`].
    pub version: u32,
    /// The entry's name ([`EntryKey::name`]).
    pub key: String,
    /// Input address of the cached expression (64 hex).
    pub address: String,
    /// `modification-time` or `snapshot`.
    pub strategy: String,
    /// The time to live of the cache node that wrote it, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    /// The full token hash (64 hex).
    pub token: String,
    /// The files the token was computed from (`modification-time` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<TokenSource>,
    /// Values bound to parameters under the node.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Output columns as `name: Type`.
    pub schema: Vec<String>,
    /// When it was written (RFC 3339, UTC).
    pub created: String,
    /// Rows.
    pub rows: u64,
    /// Size of the data in bytes.
    pub bytes: u64,
    /// BLAKE3 of the data file (64 hex), when the store writes a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// Operation at the root of the cached expression.
    pub root_op: String,
    /// A one-line summary of the cached expression (`Aggregate ← Filter ← Read sales.parquet`).
    pub summary: String,
    /// Whether the row order is part of the result (a sort at the top): read back in order.
    pub ordered: bool,
    /// The xorq-rs version that wrote it.
    pub tool_version: String,
}

impl EntryMeta {
    /// When the entry was written, if the sidecar says it legibly.
    pub fn created_time(&self) -> Option<SystemTime> {
        parse_time(&self.created)
    }
}

/// The result of looking an entry up.
#[derive(Debug)]
#[non_exhaustive]
pub enum Lookup {
    /// A valid entry: read its rows from `source`.
    Hit {
        /// Where its rows are (with the cached expression's schema).
        source: Source,
        /// Its sidecar.
        meta: Box<EntryMeta>,
    },
    /// No valid entry.
    Miss {
        /// The most recent other entry for the same expression and freshness, to say what
        /// changed.
        previous: Vec<EntryMeta>,
        /// Set when an entry existed but was damaged; it has been removed.
        damaged: Option<String>,
    },
}

/// How a finished write ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum Committed {
    /// The entry is published.
    Published(Box<EntryMeta>),
    /// An entry with this key appeared meanwhile (another process); it was kept and this
    /// write discarded.
    Existing,
}

/// An entry being written. Dropping it without [`EntryWriter::commit`] discards everything
/// written: a reader never sees a partial entry.
pub trait EntryWriter: Send {
    /// Appends rows.
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;

    /// Finishes and publishes the entry, filling in `meta`'s rows, bytes and checksum. With
    /// `replace`, an existing entry created at that time (one found expired) is replaced;
    /// otherwise an existing entry wins.
    fn commit(self: Box<Self>, meta: EntryMeta, replace: Option<SystemTime>) -> Result<Committed>;
}

/// A place cached results are kept.
///
/// Implemented by the Parquet directory store and the session store in this crate; a backend
/// engine implements it to keep results as tables of that backend ("source storage").
pub trait CacheStore: Send + Sync {
    /// Where it keeps entries, for messages (`/home/me/.cache/xorq`, `the DataFusion session`).
    fn describe(&self) -> String;

    /// The valid entry for `key` with the columns `schema`. A damaged entry is removed and
    /// reported in [`Lookup::Miss`].
    fn lookup(&self, key: &EntryKey, schema: &Schema) -> Result<Lookup>;

    /// What [`CacheStore::lookup`] would find for `key`, changing nothing: a damaged entry is
    /// reported and left in place, nothing is swept, no hit is recorded. For `xorq run
    /// --explain`, which must write nothing.
    fn peek(&self, key: &EntryKey, schema: &Schema) -> Result<Lookup>;

    /// Starts writing the entry for `key`, whose batches have `schema`.
    fn writer(&self, key: &EntryKey, schema: ArrowSchemaRef) -> Result<Box<dyn EntryWriter>>;

    /// Records that an entry was used (for listings and least-recently-used pruning).
    fn record_hit(&self, key: &EntryKey) {
        let _ = key;
    }
}
