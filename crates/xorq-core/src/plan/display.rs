//! A readable rendering of a plan, one node per line, inputs indented below their consumer.
//! A node used twice is printed once and referred to by its address afterwards.

use std::collections::BTreeSet;
use std::fmt::{self, Write};
use std::sync::Arc;

use super::node::{Node, RelOp};
use super::source::{FileFormat, SourceIdentity, SourceKind};

fn list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(", ")
}

/// One line describing `node` (without its inputs).
pub fn describe(node: &Node) -> String {
    let op = node.op();
    let detail = match op {
        RelOp::Source(s) => match &s.kind {
            SourceKind::File(f) => {
                let format = match &f.format {
                    FileFormat::Csv(o) if o.delimiter != b',' || !o.has_header => {
                        format!("csv(delimiter {:?}, header {})", char::from(o.delimiter), o.has_header)
                    }
                    other => other.name().to_string(),
                };
                match &f.identity {
                    SourceIdentity::Content { hash, origin } => format!("{format} {origin} (bundled {hash})"),
                    _ => format!("{format} {}", f.location),
                }
            }
            SourceKind::Memtable(m) => {
                format!("memtable {} rows ({})", m.batches.iter().map(|b| b.num_rows()).sum::<usize>(), m.content)
            }
            SourceKind::Table(t) => format!("table {}.{}", t.profile, t.table.join(".")),
            SourceKind::Input(i) => format!("unbound input {}", i.name),
        },
        RelOp::Filter(f) => f.predicate.to_string(),
        RelOp::Project(p) => list(&p.exprs, |n| named(&n.name, &n.expr.to_string())),
        RelOp::Aggregate(a) => {
            let sets = match &a.grouping_sets {
                Some(sets) => format!(
                    " grouping sets [{}]",
                    list(sets, |set| format!(
                        "({})",
                        list(set, |i| a.keys.get(*i).map_or_else(|| i.to_string(), |k| k.name.clone()))
                    ))
                ),
                None => String::new(),
            };
            format!(
                "by [{}]{sets} compute [{}]",
                list(&a.keys, |n| named(&n.name, &n.expr.to_string())),
                list(&a.measures, |n| named(&n.name, &n.expr.to_string()))
            )
        }
        RelOp::Join(j) => {
            let mut d = j.kind.name().to_string();
            if !j.on.is_empty() {
                d.push_str(&format!(
                    " on {}",
                    list(&j.on, |(l, r)| if l == r { l.clone() } else { format!("{l} = {r}") })
                ));
            }
            if let Some(f) = &j.filter {
                d.push_str(&format!(" where {f}"));
            }
            d
        }
        RelOp::Sort(s) => list(&s.keys, |k| {
            format!(
                "{}{}{}",
                k.expr,
                if k.descending { " desc" } else { "" },
                if k.nulls_first { " nulls first" } else { "" }
            )
        }),
        RelOp::Limit(l) => match l.fetch {
            Some(n) if l.offset > 0 => format!("{n} after {}", l.offset),
            Some(n) => n.to_string(),
            None => format!("all after {}", l.offset),
        },
        RelOp::Distinct(_) => String::new(),
        RelOp::SetOp(s) => format!("{}{}", s.kind.name(), if s.distinct { " distinct" } else { " all" }),
        RelOp::Tag(t) => t.name.clone(),
        RelOp::Cache(c) => match (&c.storage, &c.frozen) {
            (_, Some(frozen)) => format!("{}, pinned to [{}]", c.strategy, frozen.address()),
            (super::cache::CacheStorage::Parquet, None) => c.strategy.to_string(),
            (storage, None) => format!("{}, {storage}", c.strategy),
        },
        RelOp::IntoBackend(i) => i.profile.clone(),
        RelOp::TableFunction(t) => {
            let version = if t.func.version() == 1 { String::new() } else { format!(" version {}", t.func.version()) };
            format!("{}({}){version}", t.func.name(), list(&t.args, |a| a.to_string()))
        }
    };
    let mut line = format!("{} [{}]", op.name(), node.address());
    if !detail.is_empty() {
        line.push(' ');
        line.push_str(&detail);
    }
    line
}

fn named(name: &str, expr: &str) -> String {
    if name == expr { name.to_string() } else { format!("{name} := {expr}") }
}

/// Writes the tree under `root`.
pub fn render(root: &Arc<Node>, out: &mut impl Write) -> fmt::Result {
    let mut printed: BTreeSet<*const Node> = BTreeSet::new();
    let mut stack: Vec<(&Arc<Node>, usize)> = vec![(root, 0)];
    while let Some((node, depth)) = stack.pop() {
        let indent = "  ".repeat(depth);
        if !printed.insert(Arc::as_ptr(node)) {
            writeln!(out, "{indent}{} [{}] (shown above)", node.op().name(), node.address())?;
            continue;
        }
        writeln!(out, "{indent}{}", describe(node))?;
        for input in node.inputs().into_iter().rev() {
            stack.push((input, depth + 1));
        }
    }
    Ok(())
}
