//! Cache keys (SPEC §4): the input address of the cached expression, the strategy's freshness,
//! and a token over what the address does not see.
//!
//! The address already names the logic and every source's identity (a referenced file by its
//! path; a bundled file or a memtable by the hash of its bytes, so those are immutable and need
//! nothing more). The token adds:
//! - under `modification-time`, the size and modification time of every referenced local file
//!   under the node, including those under other cache nodes (a directory: every file in it),
//!   and of every object a remote source covers, with its ETag or version (from a HEAD or a
//!   listing);
//! - under every strategy, the values bound to parameters used under the node (the address has
//!   only their declarations and defaults).
//!
//! Computing a token reads file metadata only: no data, nothing written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use xorq_core::expr::ExprKind;
use xorq_core::plan::{FileFormat, SourceIdentity, SourceKind, is_url, walk};
use xorq_core::{Address, Freshness, Node, RelOp};
use xorq_engines::datafusion::ParamValues;

use crate::error::{ExecError, Result};

/// What a stored result is named by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EntryKey {
    /// Input address of the cached expression.
    pub address: Address,
    /// The strategy's freshness.
    pub freshness: Freshness,
    /// Hash of the token (sources' metadata and bound parameter values).
    pub token: Address,
}

impl EntryKey {
    /// The entry's name: `<64-hex address>-<freshness>-<16 hex of the token>`.
    ///
    /// ```
    /// use xorq_core::{Address, Freshness};
    /// use xorq_exec::cache::EntryKey;
    /// let key = EntryKey { address: Address::from_bytes([1; 32]), freshness: Freshness::Snapshot, token: Address::from_bytes([2; 32]) };
    /// assert!(key.name().ends_with("-snapshot-0202020202020202"));
    /// assert_eq!(EntryKey::parse_name(&key.name()), Some((key.address, Freshness::Snapshot)));
    /// ```
    pub fn name(&self) -> String {
        format!("{}{}", self.prefix(), &self.token.hex()[..16])
    }

    /// `<64-hex address>-<freshness>-`: what the names of all entries for this expression and
    /// freshness start with.
    pub fn prefix(&self) -> String {
        format!("{}-{}-", self.address.hex(), self.freshness.name())
    }

    /// The address and freshness in an entry name, if it is one.
    pub fn parse_name(name: &str) -> Option<(Address, Freshness)> {
        let (hex, rest) = name.split_at_checked(64)?;
        let address = Address::from_hex(hex).ok()?;
        let rest = rest.strip_prefix('-')?;
        let (freshness, token) = rest.rsplit_once('-')?;
        (token.len() == 16 && token.bytes().all(|b| b.is_ascii_hexdigit())).then_some(())?;
        Some((address, Freshness::from_name(freshness)?))
    }
}

/// One file a modification-time token was computed from, recorded with the entry so that a
/// later miss can say what changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSource {
    /// The source's label (`sales.parquet`).
    pub source: String,
    /// The file's absolute path.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time (RFC 3339, UTC, nanoseconds).
    pub modified: String,
    /// For an object on storage, its version or ETag: what changes whenever it is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// A computed token.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub digest: Address,
    pub sources: Vec<TokenSource>,
    pub params: BTreeMap<String, String>,
}

/// The key of the entry caching `input` (the input of a cache node) with `freshness`.
pub(crate) fn key(input: &Arc<Node>, freshness: Freshness, values: &ParamValues) -> Result<(EntryKey, Token)> {
    let token = token(input, freshness, values)?;
    Ok((EntryKey { address: input.address(), freshness, token: token.digest }, token))
}

fn token(input: &Arc<Node>, freshness: Freshness, values: &ParamValues) -> Result<Token> {
    let sources = watched(input, freshness)?;
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for node in walk::topological(input) {
        for e in node.op().expressions() {
            e.walk(&mut |x| {
                if let ExprKind::Param(p) = &x.kind
                    && let Some(v) = values.get(&p.name)
                {
                    params.insert(p.name.clone(), v.to_string());
                }
            });
        }
    }
    Ok(digest(sources.into_values().collect(), params))
}

/// The sources a `modification-time` token watches under `input`, as they are now (read again
/// before an entry is published: one written while a source changed is not kept).
pub(crate) fn sources_now(input: &Arc<Node>, freshness: Freshness) -> Result<Vec<TokenSource>> {
    Ok(watched(input, freshness)?.into_values().collect())
}

fn watched(input: &Arc<Node>, freshness: Freshness) -> Result<BTreeMap<String, TokenSource>> {
    let mut sources: BTreeMap<String, TokenSource> = BTreeMap::new();
    for node in walk::topological(input) {
        let RelOp::Source(source) = node.op() else { continue };
        if freshness != Freshness::ModificationTime {
            continue;
        }
        match &source.kind {
            SourceKind::File(f) => match &f.identity {
                // An object on storage: its ETag (or version), size and last-modified time, from a
                // HEAD or a listing; nothing is downloaded.
                SourceIdentity::Reference(r) if is_url(r) => {
                    let extension = format!(".{}", f.format.name());
                    for object in xorq_engines::remote::objects(&f.location, &extension)? {
                        let tag = object.version.clone().or(object.etag.clone());
                        sources.insert(
                            object.url.clone(),
                            TokenSource {
                                source: source.name.clone(),
                                path: object.url,
                                size: object.size,
                                modified: rfc3339(object.last_modified.into()),
                                etag: tag,
                            },
                        );
                    }
                }
                // A file in a project is watched where it is read: its absolute path is in the
                // token, so two checkouts never share an entry.
                SourceIdentity::Reference(_) | SourceIdentity::Project(_) => {
                    for path in files(Path::new(&f.location), &f.format)? {
                        let stat = std::fs::metadata(&path).map_err(|e| ExecError::CacheIo {
                            action: "read the modification time of".into(),
                            path: path.clone(),
                            source: e,
                        })?;
                        let modified = stat.modified().map(rfc3339).unwrap_or_default();
                        let path = path.to_string_lossy().into_owned();
                        sources.insert(
                            path.clone(),
                            TokenSource { source: source.name.clone(), path, size: stat.len(), modified, etag: None },
                        );
                    }
                }
                // A bundled snapshot: its content hash is in the address already.
                _ => {}
            },
            // Named by the hash of its values, in the address already.
            SourceKind::Memtable(_) => {}
            SourceKind::Table(t) => {
                return Err(ExecError::Cache(format!(
                    "a `modification-time` cache over backend table `{}` of profile `{}` needs that backend's change marker, which arrives with backend engines\nhint: cache it with `snapshot` (and a TTL)",
                    t.table.join("."),
                    t.profile
                )));
            }
            _ => {
                return Err(ExecError::Cache(format!(
                    "source `{}` has no modification time\nhint: cache it with `snapshot` (and a TTL)",
                    source.name
                )));
            }
        }
    }
    Ok(sources)
}

fn digest(sources: Vec<TokenSource>, params: BTreeMap<String, String>) -> Token {
    let mut h = blake3::Hasher::new();
    h.update(b"xorq-rs cache token v1\0");
    // The hash scheme: an entry stored under another scheme is a miss (SPEC §2), even for an
    // expression both schemes address alike.
    h.update(xorq_core::HASH_SCHEME.as_bytes());
    h.update(b"\0");
    for s in &sources {
        for part in [s.path.as_bytes(), &s.size.to_le_bytes(), s.modified.as_bytes()] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
        // Local files have none, and hash as before (their entries stay valid).
        if let Some(tag) = &s.etag {
            h.update(b"\0etag\0");
            h.update(&(tag.len() as u64).to_le_bytes());
            h.update(tag.as_bytes());
        }
    }
    h.update(b"\0params\0");
    for (name, value) in &params {
        for part in [name.as_bytes(), value.as_bytes()] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
    }
    Token { digest: Address::from_bytes(*h.finalize().as_bytes()), sources, params }
}

/// The files a read of `location` covers: the file itself, or every file with the format's
/// extension under a directory (recursively, in name order).
fn files(location: &Path, format: &FileFormat) -> Result<Vec<PathBuf>> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e| ExecError::CacheIo { action: "read".into(), path, source: e }
    };
    if !location.is_dir() {
        return Ok(vec![location.to_path_buf()]);
    }
    let extension = format!(".{}", format.name());
    let mut out = Vec::new();
    let mut pending = vec![location.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let path = entry.map_err(io(&dir))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(&extension) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A time as RFC 3339 in UTC with nanoseconds.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// The time an RFC 3339 text names.
pub(crate) fn parse_time(text: &str) -> Option<SystemTime> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(SystemTime::from)
}

/// A time in local time to the minute (`2026-11-20 14:02`), for messages.
pub(crate) fn local_minute(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// What differs between the sources an entry was written from and the current ones.
pub(crate) fn changes(before: &[TokenSource], now: &[TokenSource]) -> Vec<String> {
    let old: BTreeMap<&str, &TokenSource> = before.iter().map(|s| (s.path.as_str(), s)).collect();
    let new: BTreeMap<&str, &TokenSource> = now.iter().map(|s| (s.path.as_str(), s)).collect();
    let label = |s: &TokenSource| {
        let file = Path::new(&s.path).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        if file.is_empty() { s.source.clone() } else { file }
    };
    let mut out = Vec::new();
    for (path, n) in &new {
        match old.get(path) {
            None => out.push(format!("{} is read and was not before", label(n))),
            Some(o) if o.etag != n.etag && o.etag.is_some() => {
                out.push(format!("{} was written again (its ETag changed)", label(n)));
            }
            Some(o) if o.modified != n.modified => {
                out.push(format!("{} modified {}", label(n), local_minute(&n.modified)));
            }
            Some(o) if o.size != n.size => {
                out.push(format!("{} changed size ({} → {} bytes)", label(n), o.size, n.size))
            }
            Some(_) => {}
        }
    }
    for (path, o) in &old {
        if !new.contains_key(path) {
            out.push(format!("{} is no longer there", label(o)));
        }
    }
    out
}
