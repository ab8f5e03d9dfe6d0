//! Renaming a parameter throughout an expression (`--rename-params entry,old,new` of `xorq
//! catalog compose` and `run`): two composed entries that each call a parameter `threshold` can
//! be bound apart, or one entry's parameter can take the name another already uses.

use std::sync::Arc;

use crate::error::{CoreError, Result};
use crate::expr::ir::ExprKind;
use crate::plan::node::Node;
use crate::table::Table;
use crate::tree::TreeNode;

impl Table {
    /// This expression with the parameter `old` called `new` everywhere (its type and default
    /// kept). Renaming onto a name the expression already uses with the same type and default
    /// makes them one parameter; with another type or default it is an error, as building such
    /// an expression is. The expressions holding it are put in canonical form again (the name
    /// is part of what orders the terms of an `AND`), so the result is what building the
    /// renamed expression gives, to the address.
    ///
    /// ```
    /// use xorq_core::{col, param, DataType, Table};
    /// # use arrow_array::{RecordBatch, Int64Array};
    /// # use std::sync::Arc;
    /// # let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)]).unwrap();
    /// let rows = Table::memtable(vec![batch])?;
    /// let t = rows.filter(col("x").gt(param("threshold", DataType::Int64).with_default(1)))?;
    /// let renamed = t.rename_param("threshold", "min_x")?;
    /// assert_eq!(renamed.params()?.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["min_x"]);
    /// let built = rows.filter(col("x").gt(param("min_x", DataType::Int64).with_default(1)))?;
    /// assert_eq!(renamed.address(), built.address());
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn rename_param(&self, old: &str, new: &str) -> Result<Table> {
        let params = self.params()?;
        if !params.iter().any(|p| p.name == old) {
            let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
            let suggestion = crate::error::closest(old, names.iter().map(String::as_str))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(CoreError::InvalidArgument {
                context: "rename parameter".into(),
                message: format!(
                    "the expression has no parameter `{old}`{suggestion} (parameters: {})",
                    crate::error::NameList(names)
                ),
            });
        }
        if new.is_empty() || !new.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(CoreError::InvalidArgument {
                context: "rename parameter".into(),
                message: format!("`{new}` is not a parameter name: use letters, digits and `_`"),
            });
        }
        let holds_old = |kind: &ExprKind| matches!(kind, ExprKind::Param(p) if p.name == old);
        let node = Arc::clone(self.node()).transform_up(|n: Arc<Node>| {
            if !n.op().expressions().iter().any(|e| e.exists(|x| holds_old(&x.kind))) {
                return Ok::<_, CoreError>(n);
            }
            let mut op = n.op().clone();
            for e in op.expressions_mut() {
                if !e.exists(|x| holds_old(&x.kind)) {
                    continue;
                }
                let renamed = e.clone().transform_up(|mut x| {
                    if let ExprKind::Param(p) = &mut x.kind
                        && p.name == old
                    {
                        p.name = new.to_string();
                    }
                    Ok::<_, CoreError>(x)
                })?;
                *e = crate::canonical::recanonicalize(renamed);
            }
            Node::try_new(op)
        })?;
        let table = Table::from_node(node);
        // One name, two definitions (another type or default) is refused here.
        table.params()?;
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::{Float64Array, RecordBatch};

    use super::*;
    use crate::{DataType, col, param};

    fn rows() -> Table {
        let batch = RecordBatch::try_from_iter([
            ("a", Arc::new(Float64Array::from(vec![1.0, 5.0])) as _),
            ("b", Arc::new(Float64Array::from(vec![2.0, 6.0])) as _),
        ])
        .unwrap();
        Table::memtable(vec![batch]).unwrap()
    }

    /// Renamed, the expression is the one built with the new names, whatever order the renamed
    /// terms now sort in, and a renamed parameter can merge with one of the same definition.
    #[test]
    fn a_renamed_expression_is_the_one_built_with_the_new_names() {
        let p = |name: &str| param(name, DataType::Float64).with_default(1.0);
        for (old, new) in [("x", "zz"), ("x", "aa"), ("y", "a0"), ("y", "x")] {
            let t = rows()
                .filter(col("a").gt(p("x")).and(col("b").lt(p("y"))).and((col("a") + p("x")).gt(col("b"))))
                .unwrap();
            let renamed = t.rename_param(old, new).unwrap();
            let name = |n: &str| if n == old { new.to_string() } else { n.to_string() };
            let built = rows()
                .filter(
                    col("a")
                        .gt(p(&name("x")))
                        .and(col("b").lt(p(&name("y"))))
                        .and((col("a") + p(&name("x"))).gt(col("b"))),
                )
                .unwrap();
            assert_eq!(renamed.address(), built.address(), "{old} -> {new}");
        }
        let t = rows().filter(col("a").gt(p("x"))).unwrap();
        assert!(t.rename_param("nope", "z").unwrap_err().to_string().contains("no parameter `nope`"));
        assert!(t.rename_param("x", "bad name").is_err());
        let other = rows().filter(col("a").gt(p("x")).and(col("b").gt(param("y", DataType::Int64)))).unwrap();
        assert!(other.rename_param("y", "x").is_err(), "one name, two types");
    }
}
