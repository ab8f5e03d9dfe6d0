//! The `sources` list of `metadata.json`: each read with its fingerprint.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::time::SystemTime;

use xorq_core::plan::walk::topological;
use xorq_core::plan::{SourceIdentity, SourceKind, is_url};
use xorq_core::{Address, RelOp, Table};

use crate::bundle::BundledFile;
use crate::layout::memtable_location;
use crate::metadata::{SourceMeta, columns};

/// RFC 3339 in UTC, to the second.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One entry per distinct source of `table` (bundled files are described with the facts gathered
/// while copying them; referenced local files with their size and modification time now).
pub(crate) fn describe(table: &Table, bundled: &BTreeMap<Address, BundledFile>) -> Vec<SourceMeta> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for node in topological(table.node()) {
        let RelOp::Source(source) = node.op() else { continue };
        if !seen.insert(node.address()) {
            continue;
        }
        let mut meta =
            SourceMeta { name: source.name.clone(), schema: columns(&source.schema), ..SourceMeta::default() };
        match &source.kind {
            SourceKind::File(file) => {
                meta.kind = "file".into();
                meta.format = Some(file.format.name().into());
                match &file.identity {
                    SourceIdentity::Content { hash, origin } => {
                        meta.location = Some(xorq_core::plan::bundled_location(hash, &file.format));
                        meta.content = Some(hash.hex());
                        meta.origin = Some(origin.clone());
                        if let Some(b) = bundled.get(hash) {
                            meta.size = Some(b.size);
                            meta.modified = b.modified.map(rfc3339);
                        }
                    }
                    SourceIdentity::Reference(reference) => {
                        meta.location = Some(reference.clone());
                        if !is_url(reference)
                            && let Ok(m) = fs::metadata(reference)
                        {
                            meta.size = m.is_file().then_some(m.len());
                            meta.modified = m.modified().ok().map(rfc3339);
                        }
                    }
                    // The manifest's words (the path in the project), the file's figures.
                    SourceIdentity::Project(path) => {
                        meta.location = Some(path.clone());
                        if let Ok(m) = fs::metadata(&file.location) {
                            meta.size = m.is_file().then_some(m.len());
                            meta.modified = m.modified().ok().map(rfc3339);
                        }
                    }
                    _ => {}
                }
            }
            SourceKind::Memtable(m) => {
                meta.kind = "memtable".into();
                meta.location = Some(memtable_location(&m.content));
                meta.content = Some(m.content.hex());
                meta.rows = Some(m.batches.iter().map(|b| b.num_rows() as u64).sum());
            }
            SourceKind::Table(t) => {
                meta.kind = "table".into();
                meta.profile = Some(t.profile.clone());
                meta.table = Some(t.table.clone());
            }
            SourceKind::Input(i) => {
                meta.kind = "input".into();
                meta.location = Some(format!("input:{}", i.name));
            }
            _ => meta.kind = "unknown".into(),
        }
        out.push(meta);
    }
    out
}
