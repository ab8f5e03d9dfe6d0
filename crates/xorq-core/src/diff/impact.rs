//! Which output columns a change can reach, by column lineage, and the classification.

use std::collections::HashMap;

use crate::address::Address;
use crate::error::Result;
use crate::lineage::extract::extract_with_origins;
use crate::lineage::{EdgeKind, NodeKind, TableLineage};
use crate::table::Table;

use super::matching::Matched;
use super::params::Described;
use super::{ChangeKind, Classification, ColumnImpact, ColumnStatus, Effect};

/// The lineage nodes a column depends on, by value or control, except the keys of a sort: a
/// change there moves rows, it changes no value (a change of the sort itself is an
/// [`Effect::Order`] and reaches every column).
fn reached_from(lineage: &TableLineage, root: usize) -> Vec<bool> {
    let mut seen = vec![false; lineage.nodes.len()];
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if id >= seen.len() || std::mem::replace(&mut seen[id], true) {
            continue;
        }
        let sort = lineage.node(id).is_some_and(|n| matches!(n.kind, NodeKind::Sort));
        stack.extend(lineage.children(id).filter(|&(_, k)| !(sort && k == EdgeKind::Control)).map(|(c, _)| c));
    }
    seen
}

/// What [`assess`] finds.
pub(super) struct Impact {
    pub classification: Classification,
    pub rows_changed_by: Option<String>,
    pub columns: Vec<ColumnImpact>,
    pub column_order_changed: bool,
}

/// Follows each change to the output columns of `new` it reaches and classifies the whole.
pub(super) fn assess(old: &Table, new: &Table, m: &Matched<'_>, d: &Described) -> Result<Impact> {
    let mut node_of_change: HashMap<usize, usize> = HashMap::new();
    for (i, c) in d.new_change.iter().enumerate() {
        if let Some(c) = c {
            node_of_change.insert(*c, i);
        }
    }
    // Changes that reach every column (rows, order, a removed computation), and the cells
    // (node, column) where values change.
    let mut everywhere: Vec<usize> = Vec::new();
    let mut rows_changed_by = None;
    let mut cells: HashMap<Address, Vec<(Option<String>, usize)>> = HashMap::new();
    for (k, change) in d.changes.iter().enumerate() {
        match change.effect {
            Effect::None => {}
            Effect::Rows => {
                rows_changed_by.get_or_insert_with(|| change.headline());
                everywhere.push(k);
            }
            Effect::Order => everywhere.push(k),
            Effect::Values => match (change.kind, node_of_change.get(&k)) {
                (ChangeKind::Removed, _) | (_, None) => everywhere.push(k),
                (_, Some(&i)) => {
                    let at = cells.entry(m.new.addresses[i]).or_default();
                    if change.columns.is_empty() {
                        at.push((None, k));
                    } else {
                        at.extend(change.columns.iter().map(|c| (Some(c.clone()), k)));
                    }
                }
            },
        }
    }

    let names = new.columns();
    let (lineage, origins) = extract_with_origins(new.node(), &names)?;
    let mut reached: HashMap<String, Vec<usize>> = HashMap::new();
    if !cells.is_empty() {
        for root in &lineage.columns {
            let mut because: Vec<usize> = Vec::new();
            let seen = reached_from(&lineage, root.node);
            for (id, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
                let Some(Some((address, column))) = origins.get(id) else { continue };
                for (cell_column, k) in cells.get(address).into_iter().flatten() {
                    // A read stands for all its columns; an operation for one.
                    let hit = match (cell_column, column) {
                        (None, _) | (_, None) => true,
                        (Some(a), Some(b)) => a == b,
                    };
                    if hit && !because.contains(k) {
                        because.push(*k);
                    }
                }
            }
            reached.insert(root.column.clone(), because);
        }
    }

    let (old_schema, new_schema) = (old.schema(), new.schema());
    let mut columns = Vec::new();
    let mut renamed_old: Vec<&str> = Vec::new();
    for f in new_schema.fields() {
        let new_type = Some(f.dtype.to_string());
        let mut because: Vec<usize> = everywhere.clone();
        for k in reached.get(&f.name).into_iter().flatten() {
            if !because.contains(k) {
                because.push(*k);
            }
        }
        because.sort_unstable();
        let impact = match old_schema.field(&f.name) {
            Some(o) if o.dtype != f.dtype => ColumnImpact {
                name: f.name.clone(),
                status: ColumnStatus::Retyped,
                old_type: Some(o.dtype.to_string()),
                new_type,
                renamed_from: None,
                because,
            },
            Some(o) => ColumnImpact {
                name: f.name.clone(),
                status: if because.is_empty() { ColumnStatus::Unchanged } else { ColumnStatus::Values },
                old_type: Some(o.dtype.to_string()),
                new_type,
                renamed_from: None,
                because,
            },
            None => {
                let from = d.renames.iter().find(|(o, n)| {
                    n == &f.name
                        && new_schema.field(o).is_none()
                        && old_schema.field(o).is_some_and(|of| of.dtype == f.dtype)
                        && !renamed_old.contains(&o.as_str())
                });
                match from {
                    Some((o, _)) => {
                        renamed_old.push(o);
                        ColumnImpact {
                            name: f.name.clone(),
                            status: ColumnStatus::Renamed,
                            old_type: new_type.clone(),
                            new_type,
                            renamed_from: Some(o.clone()),
                            because,
                        }
                    }
                    None => ColumnImpact {
                        name: f.name.clone(),
                        status: ColumnStatus::Added,
                        old_type: None,
                        new_type,
                        renamed_from: None,
                        because,
                    },
                }
            }
        };
        columns.push(impact);
    }
    for f in old_schema.fields() {
        if new_schema.field(&f.name).is_none() && !renamed_old.contains(&f.name.as_str()) {
            columns.push(ColumnImpact {
                name: f.name.clone(),
                status: ColumnStatus::Removed,
                old_type: Some(f.dtype.to_string()),
                new_type: None,
                renamed_from: None,
                because: vec![],
            });
        }
    }

    let kept_old: Vec<&str> = old_schema.names().filter(|n| new_schema.field(n).is_some()).collect();
    let kept_new: Vec<&str> = new_schema.names().filter(|n| old_schema.field(n).is_some()).collect();
    let column_order_changed = kept_old != kept_new;

    let has = |s: ColumnStatus| columns.iter().any(|c| c.status == s);
    let classification = if old.address() == new.address() {
        Classification::None
    } else if rows_changed_by.is_some()
        || has(ColumnStatus::Removed)
        || has(ColumnStatus::Renamed)
        || has(ColumnStatus::Retyped)
    {
        Classification::Breaking
    } else if has(ColumnStatus::Values) {
        Classification::Values
    } else if has(ColumnStatus::Added) {
        Classification::Additive
    } else {
        Classification::None
    };
    Ok(Impact { classification, rows_changed_by, columns, column_order_changed })
}
