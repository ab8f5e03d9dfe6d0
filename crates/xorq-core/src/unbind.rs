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
        self.replace_with_input(&address, tag, first.node().schema())
    }

    /// This expression with the node whose address starts with `prefix` (hex, at least 4
    /// digits) replaced by an unbound input named `name` with the same schema.
    pub fn unbind_node(&self, prefix: &str, name: &str) -> Result<Table> {
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
            (Some(node), None) => self.replace_with_input(&node.address(), name, node.schema()),
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
