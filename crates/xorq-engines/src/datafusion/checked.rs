//! Checked integer and decimal arithmetic on the embedded engine.
//!
//! DataFusion's operators wrap around on overflow by default (`i64::MAX + 1` is `i64::MIN`), and
//! its planner gives no way to choose the checked kernels its `BinaryExpr` has. A wrapped value
//! is a wrong answer nobody sees, so the lowering writes integer and decimal `+`, `-`, `*`, unary
//! minus, and integer `/` and `%`, as the functions of this module: the same Arrow kernels in
//! their checked form, the same types (DataFusion's own [`BinaryTypeCoercer`] decides operand and
//! result types), the same ordering properties and bounds, and on overflow an error that names
//! the operation as the expression writes it ([`ArithmeticError`]). This is a deliberate
//! difference from DataFusion, listed in the README.
//!
//! Float arithmetic is left to DataFusion's operators: IEEE floats do not wrap (they reach
//! infinity), which every engine agrees on.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::kernels::numeric;
use datafusion::arrow::datatypes::{DECIMAL128_MAX_PRECISION, DataType as ArrowType, Decimal128Type};
use datafusion::arrow::error::ArrowError;
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue, internal_err};
use datafusion::logical_expr::interval_arithmetic::{Interval, apply_operator};
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::type_coercion::binary::BinaryTypeCoercer;
use datafusion::logical_expr::{
    ColumnarValue, Expr as DfExpr, Operator, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use xorq_core::DataType;
use xorq_core::expr::BinaryOp;

use crate::error::ArithmeticError;

/// One checked operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CheckedOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Negate,
}

impl CheckedOp {
    fn name(self) -> &'static str {
        match self {
            CheckedOp::Add => "checked_add",
            CheckedOp::Sub => "checked_sub",
            CheckedOp::Mul => "checked_mul",
            CheckedOp::Div => "checked_div",
            CheckedOp::Mod => "checked_mod",
            CheckedOp::Negate => "checked_negate",
        }
    }

    /// DataFusion's operator for a binary operation (types, bounds and ordering follow it).
    fn operator(self) -> Option<Operator> {
        Some(match self {
            CheckedOp::Add => Operator::Plus,
            CheckedOp::Sub => Operator::Minus,
            CheckedOp::Mul => Operator::Multiply,
            CheckedOp::Div => Operator::Divide,
            CheckedOp::Mod => Operator::Modulo,
            CheckedOp::Negate => return None,
        })
    }
}

/// A checked operation as a DataFusion scalar function; `label` is the operation as the
/// expression writes it (`(amount * 1000)`), for the error.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CheckedArithmetic {
    op: CheckedOp,
    label: String,
    signature: Signature,
}

/// Whether `t` is an operand type of checked arithmetic: integers, decimals, and an untyped null.
fn exact_numeric(t: &DataType) -> bool {
    t.is_integer() || t.is_decimal() || *t == DataType::Null
}

/// The checked operation for the IR's `left op right` typed `result`, when it has one: `+`, `-`
/// and `*` of integers and decimals; `/` and `%` of integers (decimal division is already checked
/// by DataFusion). `None` for everything else (floats, dates and intervals), which DataFusion's
/// operators compute.
///
/// A decimal result of fewer than 38 digits needs no check: DataFusion's result type is then the
/// exact one (`p1 + p2 + 1` digits for `*`, one more than the wider operand for `+` and `-`),
/// which every product, sum and difference of the operands fits, so its own operator (faster,
/// and known to its optimizer) runs. Only a result capped at 38 digits can overflow.
pub(crate) fn binary_op(op: BinaryOp, left: &DataType, right: &DataType, result: &DataType) -> Option<CheckedOp> {
    let operands = exact_numeric(left) && exact_numeric(right);
    let may_overflow = match result {
        DataType::Decimal { precision, .. } => *precision >= DECIMAL128_MAX_PRECISION,
        _ => true,
    };
    let exact_result = result.is_integer() || (result.is_decimal() && may_overflow);
    match op {
        BinaryOp::Add if operands && exact_result => Some(CheckedOp::Add),
        BinaryOp::Sub if operands && exact_result => Some(CheckedOp::Sub),
        BinaryOp::Mul if operands && exact_result => Some(CheckedOp::Mul),
        BinaryOp::Div | BinaryOp::IntDiv if operands && result.is_integer() => Some(CheckedOp::Div),
        BinaryOp::Mod if operands && result.is_integer() => Some(CheckedOp::Mod),
        _ => None,
    }
}

/// `left op right` with the checked operation `op` (from [`binary_op`]); `label` names the
/// operation in an overflow error.
pub(crate) fn binary(op: CheckedOp, left: DfExpr, right: DfExpr, label: String) -> DfExpr {
    call(op, label, vec![left, right])
}

/// The checked form of unary minus on an integer (a decimal's range is symmetric, so its
/// negation cannot overflow and is left to DataFusion).
pub(crate) fn negate(x: DfExpr, dtype: &DataType, label: String) -> Result<DfExpr, DfExpr> {
    if dtype.is_signed_integer() { Ok(call(CheckedOp::Negate, label, vec![x])) } else { Err(x) }
}

fn call(op: CheckedOp, label: String, args: Vec<DfExpr>) -> DfExpr {
    debug_assert_eq!(args.len(), if op == CheckedOp::Negate { 1 } else { 2 });
    Arc::new(udf(op, label)).call(args)
}

fn udf(op: CheckedOp, label: String) -> ScalarUDF {
    ScalarUDF::new_from_impl(CheckedArithmetic { op, label, signature: Signature::user_defined(Volatility::Immutable) })
}

/// The label of `udf` when it is a checked operation: with its name, all a serialized plan
/// needs to rebuild it ([`from_parts`]).
pub(crate) fn label_of(udf: &ScalarUDF) -> Option<&str> {
    let inner: &dyn std::any::Any = udf.inner().as_ref();
    inner.downcast_ref::<CheckedArithmetic>().map(|c| c.label.as_str())
}

/// The checked operation called `name` (`checked_add`, …) with `label`, or `None` for any
/// other name.
pub(crate) fn from_parts(name: &str, label: String) -> Option<ScalarUDF> {
    let op = [CheckedOp::Add, CheckedOp::Sub, CheckedOp::Mul, CheckedOp::Div, CheckedOp::Mod, CheckedOp::Negate]
        .into_iter()
        .find(|op| op.name() == name)?;
    Some(udf(op, label))
}

impl CheckedArithmetic {
    /// DataFusion's coercion of the operands of a binary operation.
    fn coercer_types(&self, types: &[ArrowType]) -> DfResult<(ArrowType, ArrowType, ArrowType)> {
        let (Some(operator), [l, r]) = (self.op.operator(), types) else {
            return internal_err!("`{}` takes two arguments, got {}", self.op.name(), types.len());
        };
        let coercer = BinaryTypeCoercer::new(l, &operator, r);
        let (l, r) = coercer.get_input_types()?;
        let result = BinaryTypeCoercer::new(&l, &operator, &r).get_result_type()?;
        Ok((l, r, result))
    }

    /// An Arrow error of the kernel as ours: overflow and division by zero name the operation.
    fn error(&self, e: ArrowError) -> DataFusionError {
        let detail = match e {
            ArrowError::ArithmeticOverflow(m) => m,
            ArrowError::DivideByZero => "division by zero".to_string(),
            ArrowError::InvalidArgumentError(m) if m.contains("too large to store in a Decimal") => m,
            other => return DataFusionError::ArrowError(Box::new(other), None),
        };
        DataFusionError::External(Box::new(ArithmeticError { operation: self.label.clone(), detail }))
    }
}

impl ScalarUDFImpl for CheckedArithmetic {
    fn name(&self) -> &str {
        self.op.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[ArrowType]) -> DfResult<Vec<ArrowType>> {
        if self.op == CheckedOp::Negate {
            return Ok(arg_types.to_vec());
        }
        let (l, r, _) = self.coercer_types(arg_types)?;
        Ok(vec![l, r])
    }

    fn return_type(&self, arg_types: &[ArrowType]) -> DfResult<ArrowType> {
        match (self.op, arg_types) {
            (CheckedOp::Negate, [t]) => Ok(t.clone()),
            (CheckedOp::Negate, _) => internal_err!("`checked_negate` takes one argument"),
            _ => Ok(self.coercer_types(arg_types)?.2),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let result = match (self.op, args.args.as_slice()) {
            (CheckedOp::Negate, [x]) => match x {
                ColumnarValue::Array(a) => ColumnarValue::Array(numeric::neg(a).map_err(|e| self.error(e))?),
                ColumnarValue::Scalar(s) => {
                    let negated = numeric::neg(&s.to_array()?).map_err(|e| self.error(e))?;
                    ColumnarValue::Scalar(ScalarValue::try_from_array(&negated, 0)?)
                }
            },
            (op, [l, r]) => {
                let kernel = match op {
                    CheckedOp::Add => numeric::add,
                    CheckedOp::Sub => numeric::sub,
                    CheckedOp::Mul => numeric::mul,
                    CheckedOp::Div => numeric::div,
                    CheckedOp::Mod => numeric::rem,
                    CheckedOp::Negate => return internal_err!("`checked_negate` takes one argument"),
                };
                let out = |array: ArrayRef| -> DfResult<ArrayRef> { self.within_precision(array) };
                match (l, r) {
                    (ColumnarValue::Array(l), ColumnarValue::Array(r)) => {
                        ColumnarValue::Array(out(kernel(l, r).map_err(|e| self.error(e))?)?)
                    }
                    (ColumnarValue::Scalar(l), ColumnarValue::Array(r)) => {
                        ColumnarValue::Array(out(kernel(&l.to_scalar()?, r).map_err(|e| self.error(e))?)?)
                    }
                    (ColumnarValue::Array(l), ColumnarValue::Scalar(r)) => {
                        ColumnarValue::Array(out(kernel(l, &r.to_scalar()?).map_err(|e| self.error(e))?)?)
                    }
                    (ColumnarValue::Scalar(l), ColumnarValue::Scalar(r)) => {
                        let array = out(kernel(&l.to_scalar()?, &r.to_scalar()?).map_err(|e| self.error(e))?)?;
                        ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?)
                    }
                }
            }
            (_, args) => return internal_err!("`{}` called with {} arguments", self.op.name(), args.len()),
        };
        Ok(result)
    }

    fn output_ordering(&self, inputs: &[ExprProperties]) -> DfResult<SortProperties> {
        // Without wrap-around, `+` and `-` keep their operands' order as DataFusion's checked
        // `BinaryExpr` does; `-x` reverses it.
        Ok(match (self.op, inputs) {
            (CheckedOp::Add, [l, r]) => l.sort_properties.add(&r.sort_properties),
            (CheckedOp::Sub, [l, r]) => l.sort_properties.sub(&r.sort_properties),
            (CheckedOp::Negate, [x]) => -x.sort_properties,
            _ => SortProperties::Unordered,
        })
    }

    fn evaluate_bounds(&self, inputs: &[&Interval]) -> DfResult<Interval> {
        match (self.op.operator(), inputs) {
            (Some(op @ (Operator::Plus | Operator::Minus | Operator::Multiply)), [l, r]) => apply_operator(&op, l, r),
            (None, [x]) => x.arithmetic_negate(),
            _ => Interval::make_unbounded(&ArrowType::Null),
        }
    }
}

impl CheckedArithmetic {
    /// Arrow's checked kernels stop at the 128-bit integer; a decimal result whose type is at the
    /// maximum precision (38 digits) can hold a value past it, which is refused here. Below the
    /// maximum, the result type is wide enough for any result of its operands.
    fn within_precision(&self, array: ArrayRef) -> DfResult<ArrayRef> {
        if let ArrowType::Decimal128(precision, _) = array.data_type()
            && *precision == DECIMAL128_MAX_PRECISION
        {
            // A branch-free scan first (the common case: every value fits); the precise
            // validation, with its message, only when one does not.
            const MAX_38_DIGITS: u128 = 10u128.pow(38) - 1;
            let decimals = array.as_primitive::<Decimal128Type>();
            if decimals.values().iter().fold(0u128, |m, v| m.max(v.unsigned_abs())) <= MAX_38_DIGITS {
                return Ok(array);
            }
            decimals.validate_decimal_precision(*precision).map_err(|e| {
                DataFusionError::External(Box::new(ArithmeticError {
                    operation: self.label.clone(),
                    detail: e.to_string(),
                }))
            })?;
        }
        Ok(array)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Decimal128Array, Int32Array, Int64Array};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::prelude::{SessionContext, col, lit};

    use super::*;

    async fn run(expr: DfExpr, batch: RecordBatch) -> DfResult<Vec<RecordBatch>> {
        let ctx = SessionContext::new();
        ctx.read_batch(batch)?.select(vec![expr.alias("out")])?.collect().await
    }

    fn ints(values: Vec<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("a", ArrowType::Int64, true)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).expect("one Int64 column")
    }

    /// The checked form of `left op right`, when there is one (as the lowering decides).
    fn checked(
        op: BinaryOp,
        left: (DfExpr, &DataType),
        right: (DfExpr, &DataType),
        result: &DataType,
        label: String,
    ) -> Option<DfExpr> {
        binary_op(op, left.1, right.1, result).map(|op| binary(op, left.0, right.0, label))
    }

    fn message(e: DataFusionError) -> String {
        e.find_root().to_string()
    }

    #[tokio::test]
    async fn overflow_is_an_error_naming_the_operation() {
        for (op, rhs, text) in
            [(BinaryOp::Add, 1i64, "(a + 1)"), (BinaryOp::Sub, -1, "(a - -1)"), (BinaryOp::Mul, 2, "(a * 2)")]
        {
            let e =
                checked(op, (col("a"), &DataType::Int64), (lit(rhs), &DataType::Int64), &DataType::Int64, text.into())
                    .expect("integer arithmetic is checked");
            let err = run(e, ints(vec![1, i64::MAX])).await.expect_err("overflow");
            let m = message(err);
            assert!(m.contains(text) && m.contains("overflow"), "{m}");
        }
        let e = negate(col("a"), &DataType::Int64, "-a".into()).expect("checked");
        let m = message(run(e, ints(vec![i64::MIN])).await.expect_err("overflow"));
        assert!(m.contains("-a"), "{m}");
        let e = checked(
            BinaryOp::IntDiv,
            (col("a"), &DataType::Int64),
            (lit(-1i64), &DataType::Int64),
            &DataType::Int64,
            "(a / -1)".into(),
        )
        .expect("checked");
        let m = message(run(e, ints(vec![i64::MIN])).await.expect_err("overflow"));
        assert!(m.contains("(a / -1)"), "{m}");
    }

    #[tokio::test]
    async fn values_in_range_are_datafusions() {
        let e = checked(
            BinaryOp::Add,
            (col("a"), &DataType::Int64),
            (lit(1i32), &DataType::Int32),
            &DataType::Int64,
            "x".into(),
        )
        .expect("checked");
        let out = run(e, ints(vec![1, -5])).await.expect("in range");
        let got = out[0].column(0).as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        assert_eq!(got.values(), &[2, -4]);
        // Int32 with Int32 stays Int32, as in DataFusion, and overflows at the Int32 bound.
        let schema = Arc::new(Schema::new(vec![Field::new("a", ArrowType::Int32, true)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int32Array::from(vec![i32::MAX]))]).expect("one column");
        let e = checked(
            BinaryOp::Add,
            (col("a"), &DataType::Int32),
            (lit(1i32), &DataType::Int32),
            &DataType::Int32,
            "(a + 1)".into(),
        )
        .expect("checked");
        assert!(run(e, batch).await.is_err());
    }

    #[tokio::test]
    async fn decimal_past_38_digits_is_an_error() {
        let big = 10i128.pow(37) * 9;
        let schema = Arc::new(Schema::new(vec![Field::new("d", ArrowType::Decimal128(38, 0), true)]));
        let array = Decimal128Array::from(vec![big]).with_precision_and_scale(38, 0).expect("valid decimal");
        let batch = RecordBatch::try_new(schema, vec![Arc::new(array)]).expect("one column");
        let dec = DataType::Decimal { precision: 38, scale: 0 };
        let e = checked(BinaryOp::Add, (col("d"), &dec), (col("d"), &dec), &dec, "(d + d)".into()).expect("checked");
        let m = message(run(e, batch).await.expect_err("past 38 digits"));
        assert!(m.contains("(d + d)"), "{m}");
    }

    #[test]
    fn floats_and_dates_are_left_to_datafusion() {
        let f = DataType::Float64;
        assert!(checked(BinaryOp::Add, (col("a"), &f), (col("b"), &f), &f, String::new()).is_none());
        let d = DataType::Date;
        assert!(checked(BinaryOp::Sub, (col("a"), &d), (col("b"), &d), &DataType::Int64, String::new()).is_none());
        assert!(negate(col("a"), &f, String::new()).is_err());
    }

    #[test]
    fn decimals_below_38_digits_cannot_overflow_and_keep_datafusions_operator() {
        let price = DataType::Decimal { precision: 15, scale: 2 };
        let product = DataType::Decimal { precision: 31, scale: 4 };
        assert_eq!(binary_op(BinaryOp::Mul, &price, &price, &product), None);
        let sum = DataType::Decimal { precision: 16, scale: 2 };
        assert_eq!(binary_op(BinaryOp::Add, &price, &price, &sum), None);
        // Capped at 38 digits: the exact result may not fit, so it is checked.
        let wide = DataType::Decimal { precision: 30, scale: 2 };
        let capped = DataType::Decimal { precision: 38, scale: 4 };
        assert_eq!(binary_op(BinaryOp::Mul, &wide, &wide, &capped), Some(CheckedOp::Mul));
        assert_eq!(
            binary_op(BinaryOp::Add, &DataType::Int64, &DataType::Int64, &DataType::Int64),
            Some(CheckedOp::Add)
        );
    }
}
