//! A lifted relation: an IR table plus, for each column of the DataFusion plan node it stands
//! for, the IR expression that computes it and the name SQL sees.

use datafusion::common::{Column, DFSchema};
use xorq_core::{Expr, Table, col, lcol, rcol};

/// How a plan column is computed from the lifted table.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// An expression over the table's columns: usually the column itself; a window function
    /// waiting to be placed in the projection that uses it.
    Expr(Expr),
    /// The key of a join whose same-named keys the IR merged into one column, which does not
    /// hold this side's value (the right key of a left join). Using it asks for the join to be
    /// lifted again without merging (the join id is the plan node's address).
    Merged {
        /// Which join.
        join: usize,
    },
    /// A column of DataFusion's plan with no counterpart in the IR (an aggregate's internal
    /// grouping id): never read by the query, never selected.
    Hidden,
}

/// One column of a lifted plan node.
#[derive(Clone, Debug)]
pub(crate) struct Col {
    /// How it is computed.
    pub value: Value,
    /// The unqualified name SQL sees (used to name unaliased expressions that use it).
    pub name: String,
}

impl Col {
    /// The table column it is, if it is just that.
    pub fn column(&self) -> Option<&str> {
        match &self.value {
            Value::Expr(Expr::Column { name, side: None }) => Some(name),
            _ => None,
        }
    }
}

/// A lifted plan node.
#[derive(Clone, Debug)]
pub(crate) struct Rel {
    /// The IR table.
    pub table: Table,
    /// One entry per column of the plan node's schema, in order.
    pub cols: Vec<Col>,
}

impl Rel {
    /// The table's columns as they are, named as in the table.
    pub fn of(table: Table) -> Rel {
        let cols = table.columns().iter().map(|n| Col { value: Value::Expr(col(*n)), name: n.to_string() }).collect();
        Rel { table, cols }
    }

    /// The table's columns as they are, with SQL names `names`.
    pub fn named(table: Table, names: Vec<String>) -> Rel {
        let cols =
            table.columns().iter().zip(names).map(|(n, name)| Col { value: Value::Expr(col(*n)), name }).collect();
        Rel { table, cols }
    }

    /// Whether every column is a table column (nothing pending).
    pub fn is_plain(&self) -> bool {
        self.cols.iter().all(|c| c.column().is_some() || matches!(c.value, Value::Merged { .. } | Value::Hidden))
    }

    /// Whether the columns are exactly the table's, in order, under the table's names.
    pub fn is_identity(&self) -> bool {
        let names = self.table.columns();
        names.len() == self.cols.len()
            && self.cols.iter().zip(&names).all(|(c, n)| c.column() == Some(*n) && c.name == *n)
    }
}

/// Where column references of an expression point.
pub(crate) enum Scope<'s> {
    /// One input.
    Single {
        /// The plan input's schema.
        schema: &'s DFSchema,
        /// Its lifted columns.
        cols: &'s [Col],
    },
    /// The two inputs of a join (columns become `lcol`/`rcol`).
    Join {
        /// The join's schema (both sides), for types.
        schema: &'s DFSchema,
        /// Left input schema.
        left_schema: &'s DFSchema,
        /// Right input schema.
        right_schema: &'s DFSchema,
        /// Left lifted columns (plain).
        left: &'s [Col],
        /// Right lifted columns (plain).
        right: &'s [Col],
    },
    /// A correlated subquery's predicate: its own columns are the right side of a semi join,
    /// outer references the left.
    Correlated {
        /// The subquery input's schema.
        inner_schema: &'s DFSchema,
        /// Its lifted columns (plain).
        inner: &'s [Col],
        /// The outer query's schema.
        outer_schema: &'s DFSchema,
        /// The outer lifted columns (plain).
        outer: &'s [Col],
    },
}

/// A column of a join side as `lcol`/`rcol`.
pub(crate) fn side_column(c: &Col, left: bool) -> Option<Expr> {
    let name = c.column()?;
    Some(if left { lcol(name) } else { rcol(name) })
}

impl<'s> Scope<'s> {
    /// The schema expressions are typed against.
    pub fn type_schema(&self) -> &'s DFSchema {
        match self {
            Scope::Single { schema, .. } | Scope::Join { schema, .. } => schema,
            Scope::Correlated { inner_schema, .. } => inner_schema,
        }
    }

    /// The lifted column a plan column refers to, and whether it is of the left join side
    /// (`None` outside joins).
    pub fn find(&self, c: &Column, outer_ref: bool) -> Option<(&'s Col, Option<bool>)> {
        match self {
            Scope::Single { schema, cols } if !outer_ref => schema.index_of_column(c).ok().map(|i| (&cols[i], None)),
            Scope::Join { left_schema, right_schema, left, right, .. } if !outer_ref => {
                match left_schema.index_of_column(c) {
                    Ok(i) => Some((&left[i], Some(true))),
                    Err(_) => right_schema.index_of_column(c).ok().map(|i| (&right[i], Some(false))),
                }
            }
            Scope::Correlated { inner_schema, inner, outer_schema, outer } => {
                if outer_ref {
                    outer_schema.index_of_column(c).ok().map(|i| (&outer[i], Some(true)))
                } else {
                    inner_schema.index_of_column(c).ok().map(|i| (&inner[i], Some(false)))
                }
            }
            _ => None,
        }
    }
}
