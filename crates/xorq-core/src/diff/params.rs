//! The parameters of each operation as named items, compared side by side, and what a change
//! of each does to the output.

use std::collections::BTreeMap;

use crate::expr::ir::{ExprKind, ScalarExpr};
use crate::plan::node::{JoinKind, Node, RelOp};
use crate::plan::source::{FileFormat, SourceIdentity, SourceKind};
use crate::tree::{Recursion, TreeNode};

use super::matching::{Matched, Side, Status, node_ref, swapped};
use super::{ChangeKind, Effect, NodeChange, ParamChange, Unchanged};

/// What a changed item does.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reach {
    /// Nothing the output shows.
    Nothing,
    /// The values of these columns of the node (all of them when empty).
    Values(Vec<String>),
    /// The order of the rows.
    Order,
    /// Which rows there are.
    Rows,
}

/// One parameter of a node.
#[derive(Clone, Debug)]
struct Item {
    /// What it is: a fixed word (`predicate`) or an output column's name.
    key: String,
    /// Its value in words.
    text: String,
    /// For an item that names an output column: the column (so a change reads `old → new as
    /// name`, and a removed and an added item with one text are a rename).
    column: bool,
    /// What a change of it reaches.
    reach: Reach,
}

impl Item {
    fn new(key: impl Into<String>, text: impl Into<String>, reach: Reach) -> Self {
        Item { key: key.into(), text: text.into(), column: false, reach }
    }

    fn column(name: &str, expr: &ScalarExpr) -> Self {
        Item { key: name.to_string(), text: expr.to_string(), column: true, reach: Reach::Values(vec![name.into()]) }
    }

    /// `text as name`, or just the name for a column passed through under its own name.
    fn named(&self) -> String {
        if self.column && self.text != self.key { format!("{} as {}", self.text, self.key) } else { self.text.clone() }
    }
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    items.into_iter().collect::<Vec<_>>().join(", ")
}

/// The named parameters (`$threshold`) `exprs` use, with their types and defaults: a default
/// is part of the logic but not of an expression's text.
fn param_items<'e>(exprs: impl IntoIterator<Item = &'e ScalarExpr>, reach: &Reach, out: &mut Vec<Item>) {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for e in exprs {
        let _ = e.apply(|x| {
            if let ExprKind::Param(p) = &x.kind {
                let default = p.default.as_ref().map_or_else(|| "no default".to_string(), |d| format!("default {d}"));
                found.insert(format!("${}", p.name), format!("${} {} ({default})", p.name, p.dtype));
            }
            Ok::<_, crate::CoreError>(Recursion::Continue)
        });
    }
    out.extend(found.into_iter().map(|(k, t)| Item::new(k, t, reach.clone())));
}

fn uses_params(e: &ScalarExpr) -> bool {
    e.exists(|x| matches!(x.kind, ExprKind::Param(_)))
}

/// The items of a node, in a fixed order.
fn items(node: &Node) -> Vec<Item> {
    let all = Reach::Values(vec![]);
    let mut out = Vec::new();
    match node.op() {
        RelOp::Source(s) => {
            match &s.kind {
                SourceKind::File(f) => {
                    let format = match &f.format {
                        FileFormat::Csv(o) => {
                            format!("csv (delimiter {:?}, header {})", char::from(o.delimiter), o.has_header)
                        }
                        other => other.name().to_string(),
                    };
                    out.push(Item::new("format", format, all.clone()));
                    match &f.identity {
                        SourceIdentity::Reference(r) | SourceIdentity::Project(r) => {
                            out.push(Item::new("reference", r.clone(), all.clone()));
                        }
                        SourceIdentity::Content { hash, origin } => {
                            out.push(Item::new("reference", origin.clone(), all.clone()));
                            out.push(Item::new("snapshot", format!("bundled {}", hash.short()), all.clone()));
                        }
                    }
                }
                SourceKind::Memtable(m) => {
                    let rows: usize = m.batches.iter().map(|b| b.num_rows()).sum();
                    out.push(Item::new(
                        "rows",
                        format!("memtable of {rows} rows ({})", m.content.short()),
                        all.clone(),
                    ));
                }
                SourceKind::Table(t) => {
                    out.push(Item::new("table", format!("{}.{}", t.profile, t.table.join(".")), all.clone()));
                }
                SourceKind::Input(i) => out.push(Item::new("input", format!("unbound input {}", i.name), all.clone())),
            }
            for f in s.schema.fields() {
                out.push(Item {
                    key: f.name.clone(),
                    text: format!("{} {}", f.name, f.dtype),
                    column: false,
                    reach: Reach::Values(vec![f.name.clone()]),
                });
            }
        }
        RelOp::Filter(f) => {
            out.push(Item::new("predicate", f.predicate.to_string(), Reach::Rows));
            param_items([&f.predicate], &Reach::Rows, &mut out);
        }
        RelOp::Project(p) => {
            out.extend(p.exprs.iter().map(|n| Item::column(&n.name, &n.expr)));
            for n in p.exprs.iter().filter(|n| uses_params(&n.expr)) {
                param_items([&n.expr], &Reach::Values(vec![n.name.clone()]), &mut out);
            }
        }
        RelOp::Aggregate(a) => {
            out.push(Item::new("by", list(a.keys.iter().map(|k| Item::column(&k.name, &k.expr).named())), Reach::Rows));
            if let Some(sets) = &a.grouping_sets {
                let text = list(sets.iter().map(|s| {
                    format!(
                        "({})",
                        list(s.iter().map(|i| a.keys.get(*i).map_or_else(|| i.to_string(), |k| k.name.clone())))
                    )
                }));
                out.push(Item::new("grouping sets", text, Reach::Rows));
            }
            out.extend(a.measures.iter().map(|n| Item::column(&n.name, &n.expr)));
            param_items(a.keys.iter().map(|k| &k.expr), &Reach::Rows, &mut out);
            for n in a.measures.iter().filter(|n| uses_params(&n.expr)) {
                param_items([&n.expr], &Reach::Values(vec![n.name.clone()]), &mut out);
            }
        }
        RelOp::Join(j) => {
            out.push(Item::new("kind", format!("{} join", j.kind.name()), Reach::Rows));
            let on = list(j.on.iter().map(|(l, r)| if l == r { l.clone() } else { format!("{l} = {r}") }));
            if !on.is_empty() {
                out.push(Item::new("on", format!("on {on}"), Reach::Rows));
            }
            if let Some(f) = &j.filter {
                out.push(Item::new("where", format!("where {f}"), Reach::Rows));
                param_items([f], &Reach::Rows, &mut out);
            }
        }
        RelOp::Sort(s) => {
            let keys = list(s.keys.iter().map(|k| {
                format!(
                    "{}{}{}",
                    k.expr,
                    if k.descending { " desc" } else { "" },
                    if k.nulls_first { " nulls first" } else { "" }
                )
            }));
            out.push(Item::new("by", format!("by {keys}"), Reach::Order));
            param_items(s.keys.iter().map(|k| &k.expr), &Reach::Order, &mut out);
        }
        RelOp::Limit(l) => {
            let text = match l.fetch {
                Some(n) if l.offset > 0 => format!("{n} rows after {}", l.offset),
                Some(n) => format!("{n} rows"),
                None => format!("all rows after {}", l.offset),
            };
            out.push(Item::new("limit", text, Reach::Rows));
        }
        RelOp::Distinct(_) => {}
        RelOp::SetOp(s) => {
            let text = format!(
                "{}{} of {} inputs",
                s.kind.name(),
                if s.distinct { " distinct" } else { " all" },
                s.inputs.len()
            );
            out.push(Item::new("operation", text, Reach::Rows));
        }
        RelOp::Tag(t) => {
            out.push(Item::new("name", t.name.clone(), Reach::Nothing));
            for (k, v) in &t.metadata {
                out.push(Item::new(format!("metadata {k}"), format!("{k}={v}"), Reach::Nothing));
            }
        }
        RelOp::Cache(_) => out.push(Item::new("cache", node_ref(node).detail, Reach::Nothing)),
        RelOp::IntoBackend(i) => out.push(Item::new("engine", format!("into {}", i.profile), Reach::Nothing)),
        RelOp::TableFunction(t) => {
            let version = if t.func.version() == 1 { String::new() } else { format!(" version {}", t.func.version()) };
            let text = format!("{}({}){version}", t.func.name(), list(t.args.iter().map(|a| a.to_string())));
            out.push(Item::new("function", text, Reach::Rows));
        }
    }
    out
}

/// What adding or removing `node` does.
fn reach_alone(node: &Node) -> Reach {
    match node.op() {
        RelOp::Source(_) => Reach::Values(vec![]),
        RelOp::Project(p) => {
            // Columns passed through (under their name or another) keep their values; a new
            // name is seen in the output's schema.
            let computed: Vec<String> = p
                .exprs
                .iter()
                .filter(|n| !matches!(&n.expr.kind, ExprKind::Column(_)))
                .map(|n| n.name.clone())
                .collect();
            if computed.is_empty() { Reach::Nothing } else { Reach::Values(computed) }
        }
        RelOp::Sort(_) => Reach::Order,
        RelOp::Tag(_) | RelOp::Cache(_) | RelOp::IntoBackend(_) => Reach::Nothing,
        _ => Reach::Rows,
    }
}

/// The columns a projection passes through under another name: `(old, new)`.
fn passed_under_new_names(node: &Node) -> Vec<(String, String)> {
    let RelOp::Project(p) = node.op() else { return vec![] };
    p.exprs
        .iter()
        .filter_map(|n| match &n.expr.kind {
            ExprKind::Column(c) if c.name != n.name => Some((c.name.clone(), n.name.clone())),
            _ => None,
        })
        .collect()
}

/// The strongest of several reaches, with the columns of all value changes.
fn combine(reaches: impl IntoIterator<Item = Reach>) -> (Effect, Vec<String>) {
    let mut effect = Effect::None;
    let mut columns: Vec<String> = Vec::new();
    let mut every = false;
    for r in reaches {
        let e = match r {
            Reach::Nothing => Effect::None,
            Reach::Values(cols) => {
                every |= cols.is_empty();
                for c in cols {
                    if !columns.contains(&c) {
                        columns.push(c);
                    }
                }
                Effect::Values
            }
            Reach::Order => Effect::Order,
            Reach::Rows => Effect::Rows,
        };
        effect = effect.max_by_rank(e);
    }
    if every {
        columns.clear();
    }
    (effect, columns)
}

impl Effect {
    fn rank(self) -> u8 {
        match self {
            Effect::None => 0,
            Effect::Values => 1,
            Effect::Order => 2,
            Effect::Rows => 3,
        }
    }

    fn max_by_rank(self, other: Effect) -> Effect {
        if other.rank() > self.rank() { other } else { self }
    }
}

/// A join read from the other side: kind mirrored, keys and predicate sides swapped.
fn mirrored(items: &[Item], node: &Node) -> Vec<Item> {
    let RelOp::Join(j) = node.op() else { return items.to_vec() };
    let kind = match j.kind {
        JoinKind::Left => JoinKind::Right,
        JoinKind::Right => JoinKind::Left,
        other => other,
    };
    items
        .iter()
        .map(|i| match i.key.as_str() {
            "kind" => Item { text: format!("{} join", kind.name()), ..i.clone() },
            "on" => Item {
                text: format!(
                    "on {}",
                    list(j.on.iter().map(|(l, r)| if l == r { l.clone() } else { format!("{r} = {l}") }))
                ),
                ..i.clone()
            },
            "where" => Item {
                text: i.text.replace("left.", "\u{0}").replace("right.", "left.").replace('\u{0}', "right."),
                ..i.clone()
            },
            _ => i.clone(),
        })
        .collect()
}

/// The changed items of two nodes with the same operation, and what they reach. A removed and
/// an added column with one expression are a rename.
fn compare(old: &[Item], new: &[Item], renames: &mut Vec<(String, String)>) -> (Vec<ParamChange>, Vec<Reach>) {
    let mut changes = Vec::new();
    let mut reaches = Vec::new();
    let removed: Vec<&Item> = old.iter().filter(|o| !new.iter().any(|n| n.key == o.key)).collect();
    let mut renamed_from: Vec<&str> = Vec::new();
    for n in new {
        match old.iter().find(|o| o.key == n.key) {
            Some(o) if o.text == n.text => {}
            Some(o) => {
                let new_text = if n.column { n.named() } else { n.text.clone() };
                changes.push(ParamChange { what: n.key.clone(), old: Some(o.text.clone()), new: Some(new_text) });
                reaches.push(n.reach.clone());
            }
            None => {
                let twin = removed
                    .iter()
                    .find(|o| o.column && n.column && o.text == n.text && !renamed_from.contains(&o.key.as_str()));
                match twin {
                    Some(o) => {
                        renamed_from.push(&o.key);
                        renames.push((o.key.clone(), n.key.clone()));
                        changes.push(ParamChange {
                            what: "renamed".into(),
                            old: Some(o.named()),
                            new: Some(n.named()),
                        });
                    }
                    None => {
                        changes.push(ParamChange { what: n.key.clone(), old: None, new: Some(n.named()) });
                        reaches.push(n.reach.clone());
                    }
                }
            }
        }
    }
    // A column item that another replaced at the same place (`sum(amount)` named by its text,
    // now `mean(amount)`): one changed column, not one removed and one added.
    let position = |items: &[Item], key: &str| items.iter().filter(|i| i.column).position(|i| i.key == key);
    let mut replaced: Vec<String> = Vec::new();
    for change in changes.iter_mut().filter(|c| c.old.is_none() && c.what != "renamed") {
        let Some(at) = position(new, &change.what) else { continue };
        let twin = removed.iter().find(|o| {
            o.column
                && !renamed_from.contains(&o.key.as_str())
                && !replaced.contains(&o.key)
                && position(old, &o.key) == Some(at)
        });
        if let Some(o) = twin {
            change.old = Some(o.text.clone());
            replaced.push(o.key.clone());
        }
    }
    for o in removed.into_iter().filter(|o| !renamed_from.contains(&o.key.as_str()) && !replaced.contains(&o.key)) {
        changes.push(ParamChange { what: o.key.clone(), old: Some(o.named()), new: None });
        // A column that is gone is seen in the output's schema; a gone row parameter reaches rows.
        if !o.column {
            reaches.push(o.reach.clone());
        }
    }
    (changes, reaches)
}

/// The changes of two matched graphs.
pub(super) struct Described {
    pub changes: Vec<NodeChange>,
    pub unchanged: Vec<Unchanged>,
    /// For each new node: the index of its change, if it has one.
    pub new_change: Vec<Option<usize>>,
    /// Columns given another name by a changed node: `(old, new)`.
    pub renames: Vec<(String, String)>,
}

fn alone(side: &Side<'_>, i: usize, kind: ChangeKind) -> NodeChange {
    let node = side.nodes[i];
    let params = items(node)
        .iter()
        .map(|it| {
            let text = it.named();
            match kind {
                ChangeKind::Removed => ParamChange { what: it.key.clone(), old: Some(text), new: None },
                _ => ParamChange { what: it.key.clone(), old: None, new: Some(text) },
            }
        })
        .collect();
    let (effect, columns) = combine([reach_alone(node)]);
    let r = side.node_ref(i);
    let (old, new) = if kind == ChangeKind::Removed { (Some(r), None) } else { (None, Some(r)) };
    NodeChange { kind, op: node.op().name().to_string(), old, new, params, effect, columns, note: None }
}

/// The changes of a matched pair of graphs: new nodes (inputs first), then removed ones.
pub(super) fn describe_changes(m: &Matched<'_>) -> Described {
    let mut changes = Vec::new();
    let mut new_change = vec![None; m.new.nodes.len()];
    let mut renames = Vec::new();
    for (i, status) in m.new.status.iter().enumerate() {
        match *status {
            Status::Same(_) => {}
            Status::Alone => {
                renames.extend(passed_under_new_names(m.new.nodes[i]));
                new_change[i] = Some(changes.len());
                changes.push(alone(&m.new, i, ChangeKind::Added));
            }
            Status::Paired(j) => {
                let (a, b) = (m.old.nodes[j], m.new.nodes[i]);
                let (old_items, new_items) = (items(a), items(b));
                let swapped = swapped(&m.old, j, &m.new, i);
                let old_items = if swapped { mirrored(&old_items, a) } else { old_items };
                let (params, reaches) = compare(&old_items, &new_items, &mut renames);
                if params.is_empty() && !swapped {
                    continue; // only what is below changed
                }
                let (effect, columns) = combine(reaches);
                new_change[i] = Some(changes.len());
                changes.push(NodeChange {
                    kind: ChangeKind::Changed,
                    op: b.op().name().to_string(),
                    old: Some(m.old.node_ref(j)),
                    new: Some(m.new.node_ref(i)),
                    params,
                    effect,
                    columns,
                    note: swapped.then(|| "sides swapped".to_string()),
                });
            }
        }
    }
    for j in 0..m.old.nodes.len() {
        if m.old.status[j] == Status::Alone {
            changes.push(alone(&m.old, j, ChangeKind::Removed));
        }
    }
    Described { changes, unchanged: unchanged(m), new_change, renames }
}

/// The largest unchanged subgraphs below changed nodes (or the whole graph, when equal).
fn unchanged(m: &Matched<'_>) -> Vec<Unchanged> {
    let new = &m.new;
    let mut top = vec![false; new.nodes.len()];
    let root = new.root();
    if matches!(new.status[root], Status::Same(_)) {
        top[root] = true;
    }
    for k in 0..new.nodes.len() {
        if matches!(new.status[k], Status::Same(_)) {
            continue;
        }
        for c in new.inputs(k) {
            if matches!(new.status[c], Status::Same(_)) {
                top[c] = true;
            }
        }
    }
    (0..new.nodes.len())
        .filter(|&i| top[i])
        .map(|i| Unchanged { node: new.node_ref(i), nodes: new.nodes[i].post_order().len() })
        .collect()
}
