//! The text report of a diff and its one-line summary.
//!
//! ```text
//! old: builds/7d0c1f5e2a4b (7d0c1f5e2a4b)
//! new: builds/3a9e4b1c22d0 (3a9e4b1c22d0)
//!
//! = Read: parquet data/sales.parquet  [c3d4e5f6a7b8, 1 node unchanged]
//! ~ Filter: (amount > 100) → (amount > 150)  [0a1b2c3d4e5f → 9f8e7d6c5b4a]
//!
//! output columns:
//!   region  Utf8     values can change (1)
//!   total   Float64  values can change (1)
//!
//! breaking: the row set changed (Filter: (amount > 100) → (amount > 150))
//! ```

use std::fmt::Write;

use super::{ChangeKind, Classification, ColumnStatus, Diff, Effect};

fn short(address: &str) -> &str {
    address.get(..12).unwrap_or(address)
}

fn side(label: Option<&String>, address: &str) -> String {
    match label {
        Some(l) if l != short(address) && l != address => format!("{l} ({})", short(address)),
        _ => short(address).to_string(),
    }
}

pub(super) fn render(d: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "old: {}", side(d.old.label.as_ref(), &d.old.address));
    let _ = writeln!(out, "new: {}", side(d.new.label.as_ref(), &d.new.address));
    out.push('\n');
    if d.same_address {
        let _ = writeln!(out, "no logical change: the same address ({})", short(&d.new.address));
        return out;
    }
    for u in &d.unchanged {
        let s = if u.nodes == 1 { "" } else { "s" };
        let what =
            if u.node.detail.is_empty() { u.node.op.clone() } else { format!("{}: {}", u.node.op, u.node.detail) };
        let _ = writeln!(out, "= {what}  [{}, {} node{s} unchanged]", short(&u.node.address), u.nodes);
    }
    for c in &d.changes {
        let (mark, at) = match (c.kind, &c.old, &c.new) {
            (ChangeKind::Changed, Some(o), Some(n)) => ('~', format!("{} → {}", short(&o.address), short(&n.address))),
            (ChangeKind::Added, _, Some(n)) => ('+', short(&n.address).to_string()),
            (ChangeKind::Removed, Some(o), _) => ('-', short(&o.address).to_string()),
            _ => ('?', String::new()),
        };
        let _ = writeln!(out, "{mark} {}  [{at}]", c.headline());
    }
    out.push_str("\noutput columns:\n");
    let width = d.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(0);
    let type_width = d
        .columns
        .iter()
        .map(|c| c.new_type.as_deref().or(c.old_type.as_deref()).unwrap_or("").chars().count())
        .max()
        .unwrap_or(0);
    for c in &d.columns {
        let ty = c.new_type.as_deref().or(c.old_type.as_deref()).unwrap_or("");
        let what = match c.status {
            ColumnStatus::Unchanged => "unchanged".to_string(),
            ColumnStatus::Values => {
                let by: Vec<String> =
                    c.because.iter().filter_map(|k| d.changes.get(*k)).map(|ch| ch.op.clone()).collect();
                let mut by_unique: Vec<String> = Vec::new();
                for b in by {
                    if !by_unique.contains(&b) {
                        by_unique.push(b);
                    }
                }
                format!("{} can change (by {})", reach(d, &c.because), by_unique.join(", "))
            }
            ColumnStatus::Added => "added".into(),
            ColumnStatus::Removed => "removed".into(),
            ColumnStatus::Renamed => format!("renamed from {}", c.renamed_from.as_deref().unwrap_or("?")),
            ColumnStatus::Retyped => format!("retyped from {}", c.old_type.as_deref().unwrap_or("?")),
        };
        let _ = writeln!(out, "  {:<width$}  {:<type_width$}  {what}", c.name, ty);
    }
    if d.column_order_changed {
        out.push_str("  (the columns come in another order)\n");
    }
    let _ = writeln!(out, "\n{}", verdict(d));
    out
}

/// What the changes `because` (indexes into the diff's changes) can alter: `rows`, `values`,
/// or only `the order` (a sort changed and nothing else reaches the column).
fn reach(d: &Diff, because: &[usize]) -> &'static str {
    let effects: Vec<Effect> = because.iter().filter_map(|k| d.changes.get(*k)).map(|c| c.effect).collect();
    if effects.contains(&Effect::Rows) {
        "rows"
    } else if !effects.is_empty() && effects.iter().all(|e| *e == Effect::Order) {
        "the order"
    } else {
        "values"
    }
}

/// Why the classification is what it is, in one line.
fn verdict(d: &Diff) -> String {
    let names = |s: ColumnStatus| -> Vec<&str> {
        d.columns.iter().filter(|c| c.status == s).map(|c| c.name.as_str()).collect()
    };
    let why = match d.classification {
        Classification::None if d.same_address => "the same address".to_string(),
        Classification::None => "no output column or row can change (only how or where it is computed)".to_string(),
        Classification::Additive => format!("new columns only: {}", names(ColumnStatus::Added).join(", ")),
        Classification::Values => {
            let all: Vec<usize> = d.columns.iter().flat_map(|c| c.because.iter().copied()).collect();
            match reach(d, &all) {
                "the order" => "only the order of the rows can change".to_string(),
                _ => format!("values can change in {}", names(ColumnStatus::Values).join(", ")),
            }
        }
        Classification::Breaking => {
            let mut parts = Vec::new();
            if let Some(by) = &d.rows_changed_by {
                parts.push(format!("the row set changed ({by})"));
            }
            let renamed: Vec<String> = d
                .columns
                .iter()
                .filter(|c| c.status == ColumnStatus::Renamed)
                .map(|c| format!("{} → {}", c.renamed_from.as_deref().unwrap_or("?"), c.name))
                .collect();
            for (word, n) in [
                ("removed", names(ColumnStatus::Removed).join(", ")),
                ("renamed", renamed.join(", ")),
                ("retyped", names(ColumnStatus::Retyped).join(", ")),
            ] {
                if !n.is_empty() {
                    parts.push(format!("{word}: {n}"));
                }
            }
            parts.join("; ")
        }
    };
    format!("{}: {why}", d.classification)
}

/// One line: the classification and the change that decides it.
pub(super) fn summary(d: &Diff) -> String {
    if d.same_address {
        return "none: the same address".into();
    }
    let decisive = d
        .changes
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (c.effect as u8, std::cmp::Reverse(*i)))
        .map(|(_, c)| c.headline())
        .unwrap_or_else(|| verdict(d));
    let more = d.changes.len().saturating_sub(1);
    let more = match more {
        0 => String::new(),
        1 => " (and 1 more change)".into(),
        n => format!(" (and {n} more changes)"),
    };
    let columns = {
        let changed: Vec<String> = d
            .columns
            .iter()
            .filter(|c| c.status != ColumnStatus::Unchanged)
            .map(|c| match c.status {
                ColumnStatus::Added => format!("+{}", c.name),
                ColumnStatus::Removed => format!("-{}", c.name),
                _ => c.name.clone(),
            })
            .collect();
        if changed.is_empty() { String::new() } else { format!("; columns: {}", changed.join(", ")) }
    };
    format!("{}: {decisive}{more}{columns}", d.classification)
}
