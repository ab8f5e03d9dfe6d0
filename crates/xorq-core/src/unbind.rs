//! Unbound inputs: an expression with part of its graph left open, to be bound to rows when it
//! runs (a Flight client's stream, a pipe). `unbind` replaces the tagged subgraph, or the node
//! with a given address, by an input of the same schema; the rest of the expression keeps its
//! nodes (and shared nodes stay shared).
//!
//! Tags stay part of the address, as they were: a tag is part of how the expression was written
//! and an unbound expression is named by its input's name and schema, so two expressions unbound
//! at differently named points have different addresses.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{CoreError, Result};
use crate::plan::node::{Node, RelOp};
use crate::plan::rewrite::map_nodes;
use crate::plan::source::{Source, SourceKind};
use crate::plan::walk::topological;
use crate::schema::SchemaRef;
use crate::table::Table;

/// The input's name when the node left open has no tag.
pub const DEFAULT_INPUT: &str = "input";

/// Which node of an expression to leave open (`xorq run-unbound`, `serve-unbound`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnbindTarget {
    /// The node tagged with this name (`--to-unbind-tag`).
    Tag(String),
    /// The node whose address starts with this hex prefix (`--to-unbind-hash`).
    Hash(String),
    /// The one candidate there is.
    Inferred,
}

impl Table {
    /// The unbound inputs this expression reads, by name, with their schemas.
    ///
    /// ```
    /// use xorq_core::{col, lit, DataType, Field, Schema, Table};
    /// let schema = Schema::new(vec![Field::new("x", DataType::Int64, true)])?;
    /// let t = Table::input("rows", schema)?.filter(col("x").gt(lit(0)))?;
    /// assert_eq!(t.inputs()?.keys().collect::<Vec<_>>(), ["rows"]);
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    ///
    /// An error if one name is used with two schemas.
    pub fn inputs(&self) -> Result<BTreeMap<String, SchemaRef>> {
        let mut out: BTreeMap<String, SchemaRef> = BTreeMap::new();
        for node in topological(self.node()) {
            if let RelOp::Source(Source { kind: SourceKind::Input(i), schema, .. }) = node.op() {
                match out.get(&i.name) {
                    Some(seen) if seen != schema => {
                        return Err(CoreError::InvalidArgument {
                            context: format!("unbound input `{}`", i.name),
                            message:
                                "the name is used for two inputs with different schemas; give them different names"
                                    .into(),
                        });
                    }
                    Some(_) => {}
                    None => {
                        out.insert(i.name.clone(), Arc::clone(schema));
                    }
                }
            }
        }
        Ok(out)
    }

    /// An unbound input named `name` with `schema`: rows bound to it when the expression runs.
    pub fn input(name: &str, schema: crate::schema::Schema) -> Result<Table> {
        Ok(Table::from_node(Node::try_new(RelOp::Source(Source::input(name, schema)?))?))
    }

    /// This expression with the subgraph tagged `tag` replaced by an unbound input named `tag`
    /// with the same schema (`Table::tag`). Every node tagged `tag` must be the same node.
    ///
    /// ```
    /// use xorq_core::{col, lit, Table};
    /// # use arrow_array::{RecordBatch, Int64Array};
    /// # use std::sync::Arc;
    /// # let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)]).unwrap();
    /// let features = Table::memtable(vec![batch])?.tag("features")?;
    /// let scored = features.filter(col("x").gt(lit(1)))?;
    /// let open = scored.unbind("features")?;
    /// assert_eq!(open.schema(), scored.schema());
    /// assert!(open.inputs()?.contains_key("features"));
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn unbind(&self, tag: &str) -> Result<Table> {
        let node = self.tagged_node(tag)?;
        self.replace_with_input(&node.address(), tag, node.schema())
    }

    /// The one node tagged `tag` (every node tagged `tag` must be the same node).
    fn tagged_node(&self, tag: &str) -> Result<Arc<Node>> {
        let tagged = self.find_tagged(tag);
        let Some(first) = tagged.first() else {
            let mut tags: Vec<String> = topological(self.node())
                .into_iter()
                .filter_map(|n| match n.op() {
                    RelOp::Tag(t) => Some(t.name.clone()),
                    _ => None,
                })
                .collect();
            tags.sort();
            tags.dedup();
            let suggestion = crate::error::closest(tag, tags.iter().map(String::as_str))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(CoreError::InvalidArgument {
                context: "unbind".into(),
                message: format!("no node is tagged `{tag}`{suggestion} (tags: {})", crate::error::NameList(tags)),
            });
        };
        let address = first.address();
        if let Some(other) = tagged.iter().find(|t| t.address() != address) {
            return Err(CoreError::InvalidArgument {
                context: "unbind".into(),
                message: format!(
                    "the tag `{tag}` names different nodes ({} and {}); unbind one of them by its address",
                    address.short(),
                    other.address().short()
                ),
            });
        }
        Ok(Arc::clone(first.node()))
    }

    /// This expression with the node whose address starts with `prefix` (hex, at least 4
    /// digits) replaced by an unbound input named `name` with the same schema.
    pub fn unbind_node(&self, prefix: &str, name: &str) -> Result<Table> {
        let node = self.node_by_prefix(prefix)?;
        self.replace_with_input(&node.address(), name, node.schema())
    }

    /// This expression with one node left open, as `xorq run-unbound` and `serve-unbound` choose
    /// it: by tag, by address prefix, or (`UnbindTarget::Inferred`) the one candidate there is:
    /// an expression that already reads exactly one unbound input is returned as it is, else the
    /// one source it reads (of operation `typ` when given, such as `Read` or `Tag`). Returns the
    /// expression and the name of its unbound input; an error lists the candidates with their
    /// tags and addresses when there is not exactly one.
    ///
    /// ```
    /// use xorq_core::{col, lit, Table, UnbindTarget};
    /// # use arrow_array::{RecordBatch, Int64Array};
    /// # use std::sync::Arc;
    /// # let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)]).unwrap();
    /// let t = Table::memtable(vec![batch])?.tag("rows")?.filter(col("x").gt(lit(1)))?;
    /// let (open, name) = t.unbind_target(&UnbindTarget::Inferred, None)?;
    /// assert_eq!(name, "rows");
    /// assert_eq!(open.address(), t.unbind("rows")?.address());
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn unbind_target(&self, target: &UnbindTarget, typ: Option<&str>) -> Result<(Table, String)> {
        let (node, name) = self.open_point(target, typ)?;
        if matches!(node.op(), RelOp::Source(Source { kind: SourceKind::Input(i), .. }) if i.name == name) {
            return Ok((self.clone(), name));
        }
        Ok((self.replace_with_input(&node.address(), &name, node.schema())?, name))
    }

    /// The node [`Table::unbind_target`] leaves open (an unbound input the expression already
    /// reads, when that is the one it would choose), and the name of the input it becomes:
    /// what a composition binds other rows to.
    ///
    /// ```
    /// use xorq_core::{col, lit, Table, UnbindTarget};
    /// # use arrow_array::{RecordBatch, Int64Array};
    /// # use std::sync::Arc;
    /// # let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)]).unwrap();
    /// let rows = Table::memtable(vec![batch])?;
    /// let t = rows.filter(col("x").gt(lit(1)))?;
    /// let (node, name) = t.open_point(&UnbindTarget::Inferred, None)?;
    /// assert_eq!((node.address(), name.as_str()), (rows.address(), "input"));
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn open_point(&self, target: &UnbindTarget, typ: Option<&str>) -> Result<(Arc<Node>, String)> {
        match target {
            UnbindTarget::Tag(tag) => Ok((self.tagged_node(tag)?, tag.clone())),
            UnbindTarget::Hash(prefix) => self.open_node(&self.node_by_prefix(prefix)?),
            UnbindTarget::Inferred => {
                let inputs = self.inputs()?;
                if typ.is_none() && inputs.len() == 1 {
                    let input = topological(self.node()).into_iter().find_map(|n| match n.op() {
                        RelOp::Source(Source { kind: SourceKind::Input(i), .. }) => {
                            Some((Arc::clone(n), i.name.clone()))
                        }
                        _ => None,
                    });
                    return input.ok_or_else(|| CoreError::Internal("an input listed but not found".into()));
                }
                let candidates: Vec<&Arc<Node>> = topological(self.node())
                    .into_iter()
                    .filter(|n| match typ {
                        Some(op) => n.op().name().eq_ignore_ascii_case(op),
                        None => matches!(n.op(), RelOp::Source(s) if !matches!(s.kind, SourceKind::Input(_))),
                    })
                    .collect();
                if let [node] = candidates.as_slice() {
                    return self.open_node(node);
                }
                let what = typ.map_or_else(|| "source".to_string(), |t| format!("`{t}` node"));
                let listed: Vec<String> = candidates
                    .iter()
                    .map(|n| {
                        let tag = self.tag_over(n).map(|t| format!(", tag `{t}`")).unwrap_or_default();
                        format!("  {} [{}]{tag}", crate::plan::display::describe(n), n.address().short())
                    })
                    .collect();
                let found = if listed.is_empty() {
                    format!("it has no {what}")
                } else {
                    format!("it has {} {what}s:\n{}", listed.len(), listed.join("\n"))
                };
                Err(CoreError::InvalidArgument {
                    context: "unbind".into(),
                    message: format!(
                        "cannot tell which node to leave open: {found}\nhint: name one with `--to-unbind-tag TAG` or `--to-unbind-hash PREFIX`"
                    ),
                })
            }
        }
    }

    /// `node` left open: a tagged node (or one directly under a tag) as `unbind(tag)` does, so
    /// every way of naming it gives one address; another under the name `input`.
    fn open_node(&self, node: &Arc<Node>) -> Result<(Arc<Node>, String)> {
        let tag = match node.op() {
            RelOp::Tag(t) => Some(t.name.clone()),
            _ => self.tag_over(node),
        };
        match tag {
            Some(tag) => Ok((self.tagged_node(&tag)?, tag)),
            None => Ok((Arc::clone(node), DEFAULT_INPUT.into())),
        }
    }

    /// The name of a tag placed directly over `node`, if any.
    fn tag_over(&self, node: &Arc<Node>) -> Option<String> {
        topological(self.node()).into_iter().find_map(|n| match n.op() {
            RelOp::Tag(t) if Arc::ptr_eq(&t.input, node) || t.input.address() == node.address() => Some(t.name.clone()),
            _ => None,
        })
    }

    fn node_by_prefix(&self, prefix: &str) -> Result<Arc<Node>> {
        let error = |message: String| CoreError::InvalidArgument { context: "unbind".into(), message };
        if prefix.len() < 4 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(error(format!("`{prefix}` is not a node address prefix: give at least 4 hex digits")));
        }
        let prefix = prefix.to_ascii_lowercase();
        let mut found: BTreeMap<String, Arc<Node>> = BTreeMap::new();
        for node in topological(self.node()) {
            let hex = node.address().hex();
            if hex.starts_with(&prefix) {
                found.entry(hex).or_insert_with(|| Arc::clone(node));
            }
        }
        let mut matches = found.into_values();
        match (matches.next(), matches.next()) {
            (None, _) => Err(error(format!("no node of this expression has an address starting with `{prefix}`"))),
            (Some(a), Some(b)) => Err(error(format!(
                "`{prefix}` starts the address of more than one node ({} and {}); give more digits",
                a.address().short(),
                b.address().short()
            ))),
            (Some(node), None) => Ok(node),
        }
    }

    fn replace_with_input(
        &self,
        address: &crate::Address,
        name: &str,
        schema: &crate::schema::Schema,
    ) -> Result<Table> {
        let input = Node::try_new(RelOp::Source(Source::input(name, schema.clone())?))?;
        let node = map_nodes::<CoreError>(self.node(), |n| Ok((n.address() == *address).then(|| Arc::clone(&input))))?;
        let table = Table::from_node(node);
        table.inputs()?;
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::{Int64Array, RecordBatch};

    use super::*;
    use crate::{col, lit};

    fn rows() -> Table {
        let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)]).unwrap();
        Table::memtable(vec![batch]).unwrap()
    }

    #[test]
    fn unbinding_keeps_the_rest_and_shares_what_was_shared() {
        let tagged = rows().tag("in").unwrap();
        let f = tagged.filter(col("x").gt(lit(1))).unwrap();
        let both = f.union(&f).unwrap();
        let open = both.unbind("in").unwrap();
        // Input, Filter, Union: the filter is still one node.
        assert_eq!(topological(open.node()).len(), 3);
        assert_eq!(open.schema(), both.schema());
        // By address, to the same result.
        let by_address = both.unbind_node(&tagged.address().hex()[..8], "in").unwrap();
        assert_eq!(by_address.address(), open.address());
        // The input's name is part of the address.
        assert_ne!(both.unbind_node(&tagged.address().hex()[..8], "other").unwrap().address(), open.address());
    }

    #[test]
    fn the_node_to_open_is_inferred_or_named() {
        let tagged = rows().tag("src").unwrap();
        let t = tagged.filter(col("x").gt(lit(1))).unwrap();
        let by_tag = t.unbind("src").unwrap();
        // Inferred (the one source), by the tag, by the source's or the tag's address: one result.
        for target in [
            UnbindTarget::Inferred,
            UnbindTarget::Tag("src".into()),
            UnbindTarget::Hash(tagged.address().hex()[..8].into()),
            UnbindTarget::Hash(rows().address().hex()[..8].into()),
        ] {
            let (open, name) = t.unbind_target(&target, None).unwrap();
            assert_eq!((open.address(), name.as_str()), (by_tag.address(), "src"), "{target:?}");
        }
        // An expression with one input already is served as it is.
        let (again, name) = by_tag.unbind_target(&UnbindTarget::Inferred, None).unwrap();
        assert_eq!((again.address(), name.as_str()), (by_tag.address(), "src"));
        // Untagged: the input is called `input`.
        let plain = rows().limit(1).unwrap();
        assert_eq!(plain.unbind_target(&UnbindTarget::Inferred, None).unwrap().1, DEFAULT_INPUT);
        // Two sources: the error lists both, with their addresses.
        let other = Table::memtable(vec![
            RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![7])) as _)]).unwrap(),
        ])
        .unwrap();
        let two = rows().union(&other).unwrap();
        let e = two.unbind_target(&UnbindTarget::Inferred, None).unwrap_err().to_string();
        assert!(e.contains("it has 2 sources") && e.contains(&other.address().short()), "{e}");
        assert!(e.contains("--to-unbind-tag"), "{e}");
        // `typ` narrows the candidates by operation.
        let e = two.unbind_target(&UnbindTarget::Inferred, Some("Filter")).unwrap_err().to_string();
        assert!(e.contains("it has no `Filter` node"), "{e}");
    }

    #[test]
    fn unknown_tags_and_prefixes_are_named() {
        let t = rows().tag("features").unwrap().limit(1).unwrap();
        let e = t.unbind("feature").unwrap_err().to_string();
        assert!(e.contains("did you mean `features`"), "{e}");
        assert!(t.unbind_node("zz", "x").unwrap_err().to_string().contains("4 hex digits"));
        assert!(t.unbind_node("0000000", "x").is_err());
        assert!(t.unbind("features").is_ok());
        assert!(rows().tag("two words").unwrap().unbind("two words").is_err());
    }
}
