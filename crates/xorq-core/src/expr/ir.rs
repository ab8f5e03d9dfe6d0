//! The typed scalar expression IR: what a relational node holds after its inputs were resolved
//! against the input schema. Every node carries its type; implicit coercions are explicit casts.

use std::fmt;

use crate::error::CoreError;
use crate::expr::func::{AggFunc, ScalarFunc, WindowFunc};
use crate::literal::Literal;
use crate::tree::{Recursion, TreeNode};
use crate::types::DataType;

/// Binary operators. `And`/`Or` are n-ary and live in [`ExprKind::And`] / [`ExprKind::Or`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum BinaryOp {
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `IS DISTINCT FROM` (null-safe inequality).
    IsDistinctFrom,
    /// `IS NOT DISTINCT FROM` (null-safe equality).
    IsNotDistinctFrom,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// True division: integers are divided as `Float64`.
    Div,
    /// Integer division truncating toward zero, as in SQL engines.
    IntDiv,
    /// Remainder with the sign of the dividend.
    Mod,
}

impl BinaryOp {
    /// Every operator, for lookup by name (manifests). The match in [`BinaryOp::name`] is
    /// exhaustive, and a test checks this list covers every name, so a new operator cannot be
    /// forgotten here.
    pub const ALL: &'static [BinaryOp] = &[
        BinaryOp::Eq,
        BinaryOp::NotEq,
        BinaryOp::Lt,
        BinaryOp::LtEq,
        BinaryOp::Gt,
        BinaryOp::GtEq,
        BinaryOp::IsDistinctFrom,
        BinaryOp::IsNotDistinctFrom,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::IntDiv,
        BinaryOp::Mod,
    ];

    /// The operator with this stable name.
    pub fn from_name(name: &str) -> Option<BinaryOp> {
        BinaryOp::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// The operator's symbol, as in SQL.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::IsDistinctFrom => "IS DISTINCT FROM",
            BinaryOp::IsNotDistinctFrom => "IS NOT DISTINCT FROM",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::IntDiv => "DIV",
            BinaryOp::Mod => "%",
        }
    }

    /// Stable name used in manifests and in the address encoding.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Eq => "Equals",
            BinaryOp::NotEq => "NotEquals",
            BinaryOp::Lt => "Less",
            BinaryOp::LtEq => "LessEqual",
            BinaryOp::Gt => "Greater",
            BinaryOp::GtEq => "GreaterEqual",
            BinaryOp::IsDistinctFrom => "IsDistinctFrom",
            BinaryOp::IsNotDistinctFrom => "IsNotDistinctFrom",
            BinaryOp::Add => "Add",
            BinaryOp::Sub => "Subtract",
            BinaryOp::Mul => "Multiply",
            BinaryOp::Div => "Divide",
            BinaryOp::IntDiv => "IntegerDivide",
            BinaryOp::Mod => "Modulo",
        }
    }

    /// Comparison operators yield booleans.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
                | BinaryOp::IsDistinctFrom
                | BinaryOp::IsNotDistinctFrom
        )
    }

    /// `a op b` ≡ `b op a` for every value, nulls included (floats: commutative, not associative).
    pub fn is_commutative(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::IsDistinctFrom
                | BinaryOp::IsNotDistinctFrom
                | BinaryOp::Add
                | BinaryOp::Mul
        )
    }

    /// The operator `op'` with `a op b` ≡ `b op' a`, for comparisons.
    pub fn flipped(self) -> Option<BinaryOp> {
        Some(match self {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::LtEq => BinaryOp::GtEq,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::GtEq => BinaryOp::LtEq,
            op if op.is_commutative() => op,
            _ => return None,
        })
    }
}

/// Which input of a join a column reference in a join predicate points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum JoinSide {
    /// The left input.
    Left,
    /// The right input.
    Right,
}

/// A reference to an input column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnRef {
    /// Column name in the input schema.
    pub name: String,
    /// Set only inside join predicates.
    pub side: Option<JoinSide>,
}

/// A named parameter: a constant whose value a run may override without rebuilding.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Name used to bind a value (`-p threshold=10`).
    pub name: String,
    /// Type a bound value must have.
    pub dtype: DataType,
    /// Value used when a run binds none.
    pub default: Option<Literal>,
}

/// One ordering key.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    /// What to order by.
    pub expr: ScalarExpr,
    /// Descending instead of ascending.
    pub descending: bool,
    /// Nulls before non-nulls.
    pub nulls_first: bool,
}

/// An aggregate function applied to arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateCall {
    /// The function.
    pub func: AggFunc,
    /// Its arguments (empty for `count(*)`).
    pub args: Vec<ScalarExpr>,
    /// Only rows where this is true take part (`FILTER (WHERE …)`).
    pub filter: Option<ScalarExpr>,
    /// Ordering for order-sensitive aggregates (`first`, `last`, `string_agg`, …).
    pub order_by: Vec<SortKey>,
    /// `f(DISTINCT x)`: each distinct value once.
    pub distinct: bool,
    /// `f(x) IGNORE NULLS` (`first`, `last`, `nth_value`).
    pub ignore_nulls: bool,
}

/// Rows of a window frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameBound {
    /// From the first row of the partition.
    UnboundedPreceding,
    /// `n` rows (or range units) before.
    Preceding(u64),
    /// The current row.
    CurrentRow,
    /// `n` rows (or range units) after.
    Following(u64),
    /// To the last row of the partition.
    UnboundedFollowing,
}

/// Whether frame bounds count rows or ordering-key values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUnits {
    /// Physical rows.
    Rows,
    /// Values of the single ordering key.
    Range,
}

/// An explicit window frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowFrame {
    /// Rows or range.
    pub units: FrameUnits,
    /// First row of the frame.
    pub start: FrameBound,
    /// Last row of the frame.
    pub end: FrameBound,
}

/// A window function applied over partitions.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowCall {
    /// The function.
    pub func: WindowFunc,
    /// Its arguments.
    pub args: Vec<ScalarExpr>,
    /// Partition keys.
    pub partition_by: Vec<ScalarExpr>,
    /// Ordering within a partition.
    pub order_by: Vec<SortKey>,
    /// The frame; `None` is SQL's default (whole partition without ordering, rows up to the current
    /// row's peers with ordering).
    pub frame: Option<WindowFrame>,
    /// `f(x) IGNORE NULLS` (`lag`, `lead`, `first_value`, `last_value`, `nth_value`).
    pub ignore_nulls: bool,
}

/// The shape of a typed scalar expression.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ExprKind {
    /// An input column.
    Column(ColumnRef),
    /// A constant.
    Literal(Literal),
    /// A named parameter.
    Param(Param),
    /// `left op right`.
    Binary {
        /// Operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<ScalarExpr>,
        /// Right operand.
        right: Box<ScalarExpr>,
    },
    /// Conjunction of two or more terms (flattened, canonically ordered).
    And(Vec<ScalarExpr>),
    /// Disjunction of two or more terms (flattened, canonically ordered).
    Or(Vec<ScalarExpr>),
    /// Boolean negation.
    Not(Box<ScalarExpr>),
    /// Arithmetic negation.
    Negate(Box<ScalarExpr>),
    /// `IS NULL`.
    IsNull(Box<ScalarExpr>),
    /// `IS NOT NULL`.
    IsNotNull(Box<ScalarExpr>),
    /// Conversion to the expression's `dtype`.
    Cast(Box<ScalarExpr>),
    /// `CASE WHEN c THEN v … ELSE o END`.
    Case {
        /// `(condition, value)` pairs, in order.
        branches: Vec<(ScalarExpr, ScalarExpr)>,
        /// The `ELSE` value; `None` means null.
        otherwise: Option<Box<ScalarExpr>>,
    },
    /// `expr [NOT] IN (list)`.
    InList {
        /// Tested value.
        expr: Box<ScalarExpr>,
        /// Candidates (canonically ordered, without repeats).
        list: Vec<ScalarExpr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// A scalar function.
    Function {
        /// Function.
        func: ScalarFunc,
        /// Arguments.
        args: Vec<ScalarExpr>,
    },
    /// An aggregate (only inside `Aggregate` nodes and windows).
    Aggregate(Box<AggregateCall>),
    /// A window function (only inside projections).
    Window(Box<WindowCall>),
}

/// A typed scalar expression.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalarExpr {
    /// What it computes.
    pub kind: ExprKind,
    /// Result type.
    pub dtype: DataType,
    /// Whether it may be null.
    pub nullable: bool,
}

impl ScalarExpr {
    /// A new typed expression.
    pub fn new(kind: ExprKind, dtype: DataType, nullable: bool) -> Self {
        ScalarExpr { kind, dtype, nullable }
    }

    /// A literal.
    pub fn literal(value: Literal) -> Self {
        let nullable = value.is_null();
        let dtype = value.dtype();
        ScalarExpr::new(ExprKind::Literal(value), dtype, nullable)
    }

    /// Direct sub-expressions, in a fixed order. Every walk over expressions builds on this.
    pub fn children(&self) -> Vec<&ScalarExpr> {
        match &self.kind {
            ExprKind::Column(_) | ExprKind::Literal(_) | ExprKind::Param(_) => vec![],
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::And(terms) | ExprKind::Or(terms) => terms.iter().collect(),
            ExprKind::Not(e)
            | ExprKind::Negate(e)
            | ExprKind::IsNull(e)
            | ExprKind::IsNotNull(e)
            | ExprKind::Cast(e) => vec![e],
            ExprKind::Case { branches, otherwise } => {
                branches.iter().flat_map(|(c, v)| [c, v]).chain(otherwise.as_deref()).collect()
            }
            ExprKind::InList { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
            ExprKind::Function { args, .. } => args.iter().collect(),
            ExprKind::Aggregate(call) => {
                call.args.iter().chain(&call.filter).chain(call.order_by.iter().map(|k| &k.expr)).collect()
            }
            ExprKind::Window(call) => {
                call.args.iter().chain(&call.partition_by).chain(call.order_by.iter().map(|k| &k.expr)).collect()
            }
        }
    }

    /// Direct sub-expressions for rewriting, in the order of [`ScalarExpr::children`] (a test
    /// checks the two lists agree); [`TreeNode::map_children`] builds on this.
    pub fn children_mut(&mut self) -> Vec<&mut ScalarExpr> {
        match &mut self.kind {
            ExprKind::Column(_) | ExprKind::Literal(_) | ExprKind::Param(_) => vec![],
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::And(terms) | ExprKind::Or(terms) => terms.iter_mut().collect(),
            ExprKind::Not(e)
            | ExprKind::Negate(e)
            | ExprKind::IsNull(e)
            | ExprKind::IsNotNull(e)
            | ExprKind::Cast(e) => vec![e],
            ExprKind::Case { branches, otherwise } => {
                branches.iter_mut().flat_map(|(c, v)| [c, v]).chain(otherwise.as_deref_mut()).collect()
            }
            ExprKind::InList { expr, list, .. } => std::iter::once(&mut **expr).chain(list).collect(),
            ExprKind::Function { args, .. } => args.iter_mut().collect(),
            ExprKind::Aggregate(call) => {
                let AggregateCall { args, filter, order_by, .. } = &mut **call;
                args.iter_mut().chain(filter).chain(order_by.iter_mut().map(|k| &mut k.expr)).collect()
            }
            ExprKind::Window(call) => {
                let WindowCall { args, partition_by, order_by, .. } = &mut **call;
                args.iter_mut().chain(partition_by).chain(order_by.iter_mut().map(|k| &mut k.expr)).collect()
            }
        }
    }

    /// Visits this expression and all sub-expressions, parents first.
    pub fn walk(&self, f: &mut impl FnMut(&ScalarExpr)) {
        let _ = self.apply(|e| {
            f(e);
            Ok::<_, CoreError>(Recursion::Continue)
        });
    }

    /// Whether any sub-expression satisfies `pred`.
    pub fn any(&self, pred: impl FnMut(&ScalarExpr) -> bool) -> bool {
        self.exists(pred)
    }

    /// Whether the expression contains an aggregate outside of a window.
    pub fn contains_aggregate(&self) -> bool {
        let found = self.apply(|e| {
            Ok::<_, CoreError>(match &e.kind {
                ExprKind::Aggregate(_) => Recursion::Stop,
                ExprKind::Window(_) => Recursion::Jump,
                _ => Recursion::Continue,
            })
        });
        matches!(found, Ok(Recursion::Stop))
    }

    /// Whether the expression contains a window function.
    pub fn contains_window(&self) -> bool {
        self.any(|e| matches!(e.kind, ExprKind::Window(_)))
    }

    /// Names of input columns referenced, in first-seen order, without repeats.
    pub fn columns(&self) -> Vec<&ColumnRef> {
        let mut out: Vec<&ColumnRef> = Vec::new();
        let _ = self.apply(|e| {
            if let ExprKind::Column(c) = &e.kind
                && !out.contains(&c)
            {
                out.push(c);
            }
            Ok::<_, CoreError>(Recursion::Continue)
        });
        out
    }

    /// Whether this is a literal or a parameter (a value fixed for a run).
    pub fn is_constant(&self) -> bool {
        matches!(self.kind, ExprKind::Literal(_) | ExprKind::Param(_))
    }
}

/// A readable, SQL-like rendering used in messages, plan displays and lineage labels.
impl fmt::Display for ScalarExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::expr::display::fmt_expr(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::BinaryOp;

    #[test]
    fn all_lists_every_operator_once() {
        // Adding a variant breaks this exhaustive match until it is listed in `ALL`.
        let index = |op: BinaryOp| match op {
            BinaryOp::Eq => 0,
            BinaryOp::NotEq => 1,
            BinaryOp::Lt => 2,
            BinaryOp::LtEq => 3,
            BinaryOp::Gt => 4,
            BinaryOp::GtEq => 5,
            BinaryOp::IsDistinctFrom => 6,
            BinaryOp::IsNotDistinctFrom => 7,
            BinaryOp::Add => 8,
            BinaryOp::Sub => 9,
            BinaryOp::Mul => 10,
            BinaryOp::Div => 11,
            BinaryOp::IntDiv => 12,
            BinaryOp::Mod => 13,
        };
        let positions: Vec<usize> = BinaryOp::ALL.iter().map(|op| index(*op)).collect();
        assert_eq!(positions, (0..14).collect::<Vec<_>>());
        assert!(BinaryOp::ALL.iter().all(|op| BinaryOp::from_name(op.name()) == Some(*op)));
    }
}
