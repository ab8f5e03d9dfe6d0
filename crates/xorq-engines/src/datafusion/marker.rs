//! Marker functions for SQL generation: operations whose spelling *and meaning* differ between
//! SQL engines are lowered (in [`super::Lowering::for_sql`] mode) to a function of a reserved
//! name that each dialect renders itself, rather than to a DataFusion operator whose SQL would be
//! right for some engines and silently wrong for others. Markers never run.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::{Result as DfResult, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr as DfExpr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Integer division truncating toward zero (the IR's `IntDiv`): `a / b` in PostgreSQL, SQLite,
/// Trino and DataFusion, `a // b` in DuckDB, `DIV(a, b)` in BigQuery, `a DIV b` in Spark,
/// `TRUNC(a / b)` in Snowflake.
pub const INT_DIV: &str = "__xorq_int_div";

/// A date moved by an interval: `shift(x, interval, sign)` with `sign` 1 or -1. `x ± interval`
/// everywhere but SQLite, which has no intervals: `date(x, '+7 days')`.
pub const DATE_SHIFT: &str = "__xorq_date_shift";

/// A timestamp moved by an interval, as [`DATE_SHIFT`]: in SQLite
/// `strftime('%Y-%m-%d %H:%M:%f', x, '+7 days')`.
pub const TIMESTAMP_SHIFT: &str = "__xorq_timestamp_shift";

/// Integer `a + b` that fails on overflow: `checked_add(a, b, label)`, with `label` the operation
/// as the expression writes it. Only for SQLite, whose integer arithmetic turns an overflowing
/// result into a float silently; xorq registers `xorq_checked_add(a, b, label)` on each SQLite
/// connection (`backend/sqlite/functions.rs`). The other engines check overflow themselves.
pub const CHECKED_ADD: &str = "__xorq_checked_add";
/// Integer `a - b` that fails on overflow, as [`CHECKED_ADD`].
pub const CHECKED_SUB: &str = "__xorq_checked_sub";
/// Integer `a * b` that fails on overflow, as [`CHECKED_ADD`].
pub const CHECKED_MUL: &str = "__xorq_checked_mul";
/// Integer `-a` that fails on overflow: `checked_negate(a, label)`, as [`CHECKED_ADD`].
pub const CHECKED_NEGATE: &str = "__xorq_checked_negate";

/// The SQLite function a checked-arithmetic marker is written as, and the operator other
/// dialects would write.
pub(crate) fn checked_function(marker: &str) -> Option<&'static str> {
    Some(match marker {
        CHECKED_ADD => "xorq_checked_add",
        CHECKED_SUB => "xorq_checked_sub",
        CHECKED_MUL => "xorq_checked_mul",
        CHECKED_NEGATE => "xorq_checked_negate",
        _ => return None,
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Marker {
    name: &'static str,
    returns: ArrowType,
    signature: Signature,
}

impl ScalarUDFImpl for Marker {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[ArrowType]) -> DfResult<ArrowType> {
        Ok(self.returns.clone())
    }

    fn invoke_with_args(&self, _: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        exec_err!("`{}` is a marker for SQL generation and cannot run", self.name)
    }
}

/// A call of the marker `name` on `args`, typed `returns`.
pub(crate) fn call(name: &'static str, returns: ArrowType, args: Vec<DfExpr>) -> DfExpr {
    let marker = Marker { name, returns, signature: Signature::variadic_any(Volatility::Immutable) };
    Arc::new(ScalarUDF::new_from_impl(marker)).call(args)
}
