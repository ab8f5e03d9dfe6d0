//! `check-sources`: each source's schema now against the one recorded when the entry was built,
//! column by column. Reports; never repairs.
//!
//! A referenced file is probed where the build reads it. A bundled file cannot drift (the entry
//! holds its bytes), so it is reported as `bundled`; when its original file is still where it was
//! copied from, that file is probed too and a difference is shown, as a reason to rebuild. Memtables
//! cannot drift; backend tables are not probed by this version.

use serde::Serialize;
use xorq_core::plan::walk::topological;
use xorq_core::plan::{FileFormat, SourceIdentity, SourceKind, is_url};
use xorq_core::{RelOp, Schema};
use xorq_engines::probe::probe_file;

use crate::catalog::Catalog;
use crate::error::Result;

/// How a source compares with what was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    /// Same columns, same types.
    Unchanged,
    /// Only new columns: the entry still runs.
    AddedColumns,
    /// A recorded column is missing or has another type: the entry no longer runs as built.
    Changed,
    /// The source could not be read.
    Unreachable,
    /// A bundled copy inside the entry: cannot drift (its origin may have; see `columns`).
    Bundled,
    /// In-memory data stored in the entry: cannot drift.
    Memtable,
    /// A backend table: not probed by this version.
    NotProbed,
}

impl DriftStatus {
    /// Whether this status means the entry cannot run as built.
    pub fn is_failure(self) -> bool {
        matches!(self, DriftStatus::Changed | DriftStatus::Unreachable)
    }
}

/// One column's difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnDrift {
    /// The column.
    pub column: String,
    /// `missing`, `retyped` or `added`.
    pub change: &'static str,
    /// Its recorded type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<String>,
    /// Its type now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
}

/// One source of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceDrift {
    /// The source's label.
    pub source: String,
    /// What was probed (a path), or the source's location.
    pub location: String,
    /// The verdict.
    pub status: DriftStatus,
    /// Column differences (for `bundled`, those of the original file).
    pub columns: Vec<ColumnDrift>,
    /// Why a source is unreachable or not probed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The sources of one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryDrift {
    /// What the user named.
    pub reference: String,
    /// The entry's full address.
    pub address: String,
    /// Its sources in graph order.
    pub sources: Vec<SourceDrift>,
}

impl Catalog {
    /// Compares the sources of the entries `references` name (every entry when empty) with
    /// their recorded schemas.
    pub fn check_sources(&self, references: &[String]) -> Result<Vec<EntryDrift>> {
        let references: Vec<String> = if references.is_empty() { self.addresses()? } else { references.to_vec() };
        let mut out = Vec::new();
        for reference in references {
            let resolved = self.resolve(&reference)?;
            let build = xorq_build::load(&resolved.dir)?;
            let mut sources = Vec::new();
            let mut seen = std::collections::BTreeSet::new();
            for node in topological(build.table.node()) {
                let RelOp::Source(source) = node.op() else { continue };
                if !seen.insert(node.address()) {
                    continue;
                }
                sources.push(source_drift(&source.name, &source.kind, &source.schema));
            }
            out.push(EntryDrift { reference, address: resolved.address, sources });
        }
        Ok(out)
    }
}

fn source_drift(name: &str, kind: &SourceKind, recorded: &Schema) -> SourceDrift {
    let mut drift = SourceDrift {
        source: name.to_string(),
        location: String::new(),
        status: DriftStatus::NotProbed,
        columns: Vec::new(),
        message: None,
    };
    match kind {
        SourceKind::File(file) => match &file.identity {
            SourceIdentity::Reference(_) | SourceIdentity::Project(_) => {
                let location = &file.location;
                drift.location = location.clone();
                match probe(&file.format, location) {
                    Ok(current) => {
                        drift.columns = compare(recorded, &current);
                        drift.status = verdict(&drift.columns);
                    }
                    Err(message) => {
                        drift.status = DriftStatus::Unreachable;
                        drift.message = Some(message);
                    }
                }
            }
            SourceIdentity::Content { origin, .. } => {
                drift.status = DriftStatus::Bundled;
                drift.location = origin.clone();
                if is_url(origin) || std::path::Path::new(origin).exists() {
                    match probe(&file.format, origin) {
                        Ok(current) => drift.columns = compare(recorded, &current),
                        Err(message) => drift.message = Some(format!("its original file: {message}")),
                    }
                } else {
                    drift.message = Some("its original file is gone; the entry keeps its own copy".into());
                }
            }
            _ => drift.message = Some("this kind of file source is not probed by this version".into()),
        },
        SourceKind::Memtable(_) => {
            drift.status = DriftStatus::Memtable;
            drift.location = "memtable".into();
        }
        SourceKind::Table(t) => {
            drift.location = format!("{}:{}", t.profile, t.table.join("."));
            drift.message = Some("backend tables are not probed by this version".into());
        }
        SourceKind::Input(i) => {
            drift.status = DriftStatus::NotProbed;
            drift.location = format!("input:{}", i.name);
            drift.message = Some("an unbound input: its rows are bound per run, so there is no source to probe".into());
        }
        _ => drift.message = Some("this kind of source is not probed by this version".into()),
    }
    drift
}

fn probe(format: &FileFormat, location: &str) -> std::result::Result<Schema, String> {
    probe_file(format, location).map_err(|e| e.to_string())
}

/// Recorded columns that are missing or retyped, then columns that are new.
fn compare(recorded: &Schema, current: &Schema) -> Vec<ColumnDrift> {
    let mut out = Vec::new();
    for field in recorded.fields() {
        match current.field(&field.name) {
            None => out.push(ColumnDrift {
                column: field.name.clone(),
                change: "missing",
                recorded: Some(field.dtype.to_string()),
                current: None,
            }),
            Some(now) if now.dtype != field.dtype => out.push(ColumnDrift {
                column: field.name.clone(),
                change: "retyped",
                recorded: Some(field.dtype.to_string()),
                current: Some(now.dtype.to_string()),
            }),
            Some(_) => {}
        }
    }
    for field in current.fields() {
        if recorded.field(&field.name).is_none() {
            out.push(ColumnDrift {
                column: field.name.clone(),
                change: "added",
                recorded: None,
                current: Some(field.dtype.to_string()),
            });
        }
    }
    out
}

fn verdict(columns: &[ColumnDrift]) -> DriftStatus {
    if columns.iter().any(|c| c.change != "added") {
        DriftStatus::Changed
    } else if columns.is_empty() {
        DriftStatus::Unchanged
    } else {
        DriftStatus::AddedColumns
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xorq_core::{DataType, Field};

    #[test]
    fn columns_are_compared_one_by_one() {
        let recorded = Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("price", DataType::Float64, true),
            Field::new("qty", DataType::Int64, true),
        ])
        .unwrap();
        let current = Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("price", DataType::String, true),
            Field::new("note", DataType::String, true),
        ])
        .unwrap();
        let drift = compare(&recorded, &current);
        let summary: Vec<(&str, &str)> = drift.iter().map(|c| (c.column.as_str(), c.change)).collect();
        assert_eq!(summary, [("price", "retyped"), ("qty", "missing"), ("note", "added")]);
        assert_eq!(verdict(&drift), DriftStatus::Changed);
        assert_eq!(verdict(&drift[2..]), DriftStatus::AddedColumns);
        assert_eq!(verdict(&[]), DriftStatus::Unchanged);
    }
}
