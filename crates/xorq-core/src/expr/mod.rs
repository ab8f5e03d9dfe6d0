//! Scalar expressions: the user-facing builder ([`Expr`]), the typed IR ([`ScalarExpr`]), the
//! function catalogue and the typing rules that connect them.

pub(crate) mod coerce;
pub(crate) mod display;
pub mod dsl;
pub mod func;
pub mod ir;
mod methods;
mod methods_more;
pub(crate) mod resolve;

pub use coerce::{ArithmeticSignature, arithmetic_signature, comparison_type, union_type};
pub use dsl::{
    Expr, LiteralValue, ParamBuilder, SortExpr, Then, When, Window, coalesce, col, concat, count_star, cume_dist,
    dense_rank, greatest, interval_days, interval_months, lcol, least, lit, lit_date, lit_null, lit_timestamp, ntile,
    param, percent_rank, rank, rcol, row_number, when,
};
pub use func::table::TableFunc;
pub use func::{AggFunc, ScalarFunc, Signature, WindowFunc};
pub use ir::{
    AggregateCall, BinaryOp, ColumnRef, ExprKind, FrameBound, FrameUnits, JoinSide, Param, ScalarExpr, SortKey,
    WindowCall, WindowFrame,
};
