//! `sum` of integers, exact or an error.
//!
//! DataFusion's `sum` of integers wraps around past the 64-bit range. DuckDB and PostgreSQL
//! widen the sum instead (`HUGEINT`, `NUMERIC`). Here the sum keeps DataFusion's result type
//! (`Int64`, or `UInt64` for unsigned input) and is accumulated in 128 bits, so partial sums
//! cannot overflow; the total is checked against the result type once, at the end. The answer,
//! or the error, is therefore the same whatever the order of the rows and however the plan
//! splits them into partitions, and it is DuckDB's and PostgreSQL's answer whenever the total
//! fits. Sums of floats and decimals stay DataFusion's.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Decimal128Array, Int64Array, UInt64Array};
use datafusion::arrow::datatypes::{
    DECIMAL128_MAX_PRECISION, DataType as ArrowType, Decimal128Type, Field, FieldRef, Int64Type, UInt64Type,
};
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue, internal_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, ReversedUDAF, SetMonotonicity, Signature,
    Volatility,
};

use crate::error::ArithmeticError;

/// The checked `sum` of integers as a DataFusion aggregate; `label` is the call as the
/// expression writes it (`sum(amount)`), for the error.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CheckedSum {
    label: String,
    signature: Signature,
}

/// The checked `sum` aggregate, for an integer argument.
pub(crate) fn checked_sum(label: String) -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(CheckedSum {
        label,
        signature: Signature::user_defined(Volatility::Immutable),
    }))
}

/// The label of `udaf` when it is the checked `sum`, for a serialized plan (rebuilt with
/// [`checked_sum`]).
pub(crate) fn label_of(udaf: &AggregateUDF) -> Option<&str> {
    let inner: &dyn std::any::Any = udaf.inner().as_ref();
    inner.downcast_ref::<CheckedSum>().map(|c| c.label.as_str())
}

/// The 128-bit state of partial sums, as a column type.
const STATE_TYPE: ArrowType = ArrowType::Decimal128(DECIMAL128_MAX_PRECISION, 0);

impl AggregateUDFImpl for CheckedSum {
    fn name(&self) -> &str {
        "checked_sum"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// DataFusion's `sum` coercion: signed integers to `Int64`, unsigned to `UInt64`.
    fn coerce_types(&self, arg_types: &[ArrowType]) -> DfResult<Vec<ArrowType>> {
        match arg_types {
            [t] if t.is_signed_integer() || *t == ArrowType::Null => Ok(vec![ArrowType::Int64]),
            [t] if t.is_unsigned_integer() => Ok(vec![ArrowType::UInt64]),
            other => plan_err!("checked_sum takes one integer argument, got {other:?}"),
        }
    }

    fn return_type(&self, arg_types: &[ArrowType]) -> DfResult<ArrowType> {
        match arg_types {
            [t @ (ArrowType::Int64 | ArrowType::UInt64)] => Ok(t.clone()),
            other => plan_err!("checked_sum takes one Int64 or UInt64 argument, got {other:?}"),
        }
    }

    fn accumulator(&self, args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        let total = self.total(args.return_field.data_type());
        if args.is_distinct {
            Ok(Box::new(DistinctSum { total, counts: HashMap::new() }))
        } else {
            Ok(Box::new(Sum { total, sum: 0, count: 0 }))
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        let field = if args.is_distinct {
            Field::new_list(
                format_state_name(args.name, "sum distinct"),
                Field::new_list_field(args.return_type().clone(), true),
                true,
            )
        } else {
            Field::new(format_state_name(args.name, "sum"), STATE_TYPE, true)
        };
        Ok(vec![Arc::new(field)])
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        !args.is_distinct
    }

    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> DfResult<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(GroupSums { total: self.total(args.return_field.data_type()), sums: Vec::new(), seen: Vec::new() }))
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        self.accumulator(args)
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::Identical
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        AggregateOrderSensitivity::Insensitive
    }

    fn set_monotonicity(&self, data_type: &ArrowType) -> SetMonotonicity {
        if data_type.is_unsigned_integer() { SetMonotonicity::Increasing } else { SetMonotonicity::NotMonotonic }
    }
}

impl CheckedSum {
    fn total(&self, result: &ArrowType) -> Total {
        Total { label: self.label.clone(), unsigned: result.is_unsigned_integer() }
    }
}

/// Turns a 128-bit total into the result type, or the error naming the sum.
#[derive(Debug, Clone)]
struct Total {
    label: String,
    unsigned: bool,
}

impl Total {
    fn overflow(&self, detail: String) -> DataFusionError {
        DataFusionError::External(Box::new(ArithmeticError { operation: self.label.clone(), detail }))
    }

    fn scalar(&self, total: Option<i128>) -> DfResult<ScalarValue> {
        Ok(match (total, self.unsigned) {
            (None, false) => ScalarValue::Int64(None),
            (None, true) => ScalarValue::UInt64(None),
            (Some(t), false) => ScalarValue::Int64(Some(self.fit_signed(t)?)),
            (Some(t), true) => ScalarValue::UInt64(Some(self.fit_unsigned(t)?)),
        })
    }

    fn fit_signed(&self, t: i128) -> DfResult<i64> {
        i64::try_from(t).map_err(|_| self.overflow(format!("the sum {t} does not fit in Int64")))
    }

    fn fit_unsigned(&self, t: i128) -> DfResult<u64> {
        u64::try_from(t).map_err(|_| self.overflow(format!("the sum {t} does not fit in UInt64")))
    }

    fn add(&self, a: i128, b: i128) -> DfResult<i128> {
        // 2^64 rows of the largest value before this can fail; checked all the same.
        a.checked_add(b).ok_or_else(|| self.overflow("the sum does not fit in 128 bits".into()))
    }
}

/// Calls `f(row, value)` for each valid, selected value of an `Int64`, `UInt64` or state
/// (`Decimal128`) column.
fn each_value(
    values: &ArrayRef,
    filter: Option<&BooleanArray>,
    mut f: impl FnMut(usize, i128) -> DfResult<()>,
) -> DfResult<()> {
    macro_rules! each {
        ($array:expr) => {{
            let array = $array;
            if array.null_count() == 0 && filter.is_none() {
                for (row, v) in array.values().iter().enumerate() {
                    f(row, i128::from(*v))?;
                }
            } else {
                for row in 0..array.len() {
                    let selected = filter.is_none_or(|m| m.is_valid(row) && m.value(row));
                    if selected && array.is_valid(row) {
                        f(row, i128::from(array.value(row)))?;
                    }
                }
            }
        }};
    }
    match values.data_type() {
        ArrowType::Int64 => each!(values.as_primitive::<Int64Type>()),
        ArrowType::UInt64 => each!(values.as_primitive::<UInt64Type>()),
        ArrowType::Decimal128(..) => each!(values.as_primitive::<Decimal128Type>()),
        other => return internal_err!("checked_sum over {other}"),
    }
    Ok(())
}

fn single(values: &[ArrayRef]) -> DfResult<&ArrayRef> {
    match values {
        [v] => Ok(v),
        other => internal_err!("checked_sum takes one column, got {}", other.len()),
    }
}

/// One group's sum; also the sliding-window form (values leave with `retract_batch`).
#[derive(Debug)]
struct Sum {
    total: Total,
    sum: i128,
    /// Valid values in the sum (a window frame may empty again).
    count: u64,
}

/// The sum and count of a column without nulls, in one tight loop (it vectorizes); `None` for a
/// column with nulls or of the state type. A batch holds far fewer than 2^64 values, so its
/// 128-bit sum of 64-bit values cannot overflow.
fn dense_total(values: &ArrayRef) -> Option<(i128, u64)> {
    if values.null_count() != 0 {
        return None;
    }
    let sum = match values.data_type() {
        ArrowType::Int64 => values.as_primitive::<Int64Type>().values().iter().map(|v| i128::from(*v)).sum(),
        ArrowType::UInt64 => values.as_primitive::<UInt64Type>().values().iter().map(|v| i128::from(*v)).sum(),
        _ => return None,
    };
    Some((sum, values.len() as u64))
}

impl Accumulator for Sum {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let values = single(values)?;
        if let Some((sum, count)) = dense_total(values) {
            self.sum = self.total.add(self.sum, sum)?;
            self.count += count;
            return Ok(());
        }
        each_value(values, None, |_, v| {
            self.sum = self.total.add(self.sum, v)?;
            self.count += 1;
            Ok(())
        })
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        each_value(single(values)?, None, |_, v| {
            self.sum = self.total.add(self.sum, -v)?;
            self.count = self.count.saturating_sub(1);
            Ok(())
        })
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        each_value(single(states)?, None, |_, v| {
            self.sum = self.total.add(self.sum, v)?;
            self.count += 1;
            Ok(())
        })
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let sum = (self.count > 0).then_some(self.sum);
        Ok(vec![ScalarValue::Decimal128(sum, DECIMAL128_MAX_PRECISION, 0)])
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        self.total.scalar((self.count > 0).then_some(self.sum))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.total.label.capacity()
    }
}

/// `sum(DISTINCT x)`: each distinct value with how many rows hold it (so a window frame can
/// retract values).
#[derive(Debug)]
struct DistinctSum {
    total: Total,
    counts: HashMap<i128, u64>,
}

impl Accumulator for DistinctSum {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        each_value(single(values)?, None, |_, v| {
            *self.counts.entry(v).or_default() += 1;
            Ok(())
        })
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        each_value(single(values)?, None, |_, v| {
            if let Some(n) = self.counts.get_mut(&v) {
                *n -= 1;
                if *n == 0 {
                    self.counts.remove(&v);
                }
            }
            Ok(())
        })
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let lists = single(states)?.as_list::<i32>();
        for list in lists.iter().flatten() {
            self.update_batch(&[list])?;
        }
        Ok(())
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let distinct: HashSet<i128> = self.counts.keys().copied().collect();
        let values: ArrayRef = if self.total.unsigned {
            let fitted = distinct.iter().map(|v| self.total.fit_unsigned(*v)).collect::<DfResult<Vec<_>>>()?;
            Arc::new(UInt64Array::from(fitted))
        } else {
            let fitted = distinct.iter().map(|v| self.total.fit_signed(*v)).collect::<DfResult<Vec<_>>>()?;
            Arc::new(Int64Array::from(fitted))
        };
        Ok(vec![ScalarValue::List(ScalarValue::new_list_nullable(
            &(0..values.len()).map(|i| ScalarValue::try_from_array(&values, i)).collect::<DfResult<Vec<_>>>()?,
            values.data_type(),
        ))])
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        if self.counts.is_empty() {
            return self.total.scalar(None);
        }
        let mut sum = 0i128;
        for v in self.counts.keys() {
            sum = self.total.add(sum, *v)?;
        }
        self.total.scalar(Some(sum))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.counts.capacity() * (size_of::<i128>() + size_of::<u64>() + 8)
    }
}

/// Sums of many groups (the fast path of grouped aggregation).
#[derive(Debug)]
struct GroupSums {
    total: Total,
    sums: Vec<i128>,
    seen: Vec<bool>,
}

impl GroupSums {
    fn add(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        filter: Option<&BooleanArray>,
        groups: usize,
    ) -> DfResult<()> {
        self.sums.resize(groups, 0);
        self.seen.resize(groups, false);
        let (sums, seen, total) = (&mut self.sums, &mut self.seen, &self.total);
        each_value(single(values)?, filter, |row, v| {
            let Some(&g) = group_indices.get(row) else { return internal_err!("checked_sum: row {row} has no group") };
            sums[g] = total.add(sums[g], v)?;
            seen[g] = true;
            Ok(())
        })
    }
}

impl GroupsAccumulator for GroupSums {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> DfResult<()> {
        self.add(values, group_indices, opt_filter, total_num_groups)
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> DfResult<()> {
        self.add(values, group_indices, None, total_num_groups)
    }

    /// Each input row as a state of its own (DataFusion skips partial aggregation when it does
    /// not reduce the rows).
    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> DfResult<Vec<ArrayRef>> {
        let input = single(values)?;
        let mut state = vec![None; input.len()];
        each_value(input, opt_filter, |row, v| {
            state[row] = Some(v);
            Ok(())
        })?;
        let state: Decimal128Array = state.into_iter().collect();
        Ok(vec![Arc::new(state.with_precision_and_scale(DECIMAL128_MAX_PRECISION, 0)?)])
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> DfResult<ArrayRef> {
        let sums = emit_to.take_needed(&mut self.sums);
        let seen = emit_to.take_needed(&mut self.seen);
        let valid = sums.into_iter().zip(seen).map(|(s, seen)| seen.then_some(s));
        Ok(if self.total.unsigned {
            let fitted =
                valid.map(|v| v.map(|t| self.total.fit_unsigned(t)).transpose()).collect::<DfResult<Vec<_>>>()?;
            Arc::new(UInt64Array::from(fitted))
        } else {
            let fitted =
                valid.map(|v| v.map(|t| self.total.fit_signed(t)).transpose()).collect::<DfResult<Vec<_>>>()?;
            Arc::new(Int64Array::from(fitted))
        })
    }

    fn state(&mut self, emit_to: EmitTo) -> DfResult<Vec<ArrayRef>> {
        let sums = emit_to.take_needed(&mut self.sums);
        let seen = emit_to.take_needed(&mut self.seen);
        let state: Decimal128Array = sums.into_iter().zip(seen).map(|(s, seen)| seen.then_some(s)).collect();
        Ok(vec![Arc::new(state.with_precision_and_scale(DECIMAL128_MAX_PRECISION, 0)?)])
    }

    fn size(&self) -> usize {
        self.sums.capacity() * size_of::<i128>() + self.seen.capacity() + self.total.label.capacity()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::prelude::{SessionContext, col};

    use super::*;

    fn table(values: Vec<Option<i64>>, groups: Vec<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("g", ArrowType::Int64, false),
            Field::new("a", ArrowType::Int64, true),
        ]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(groups)), Arc::new(Int64Array::from(values))])
            .expect("two columns")
    }

    async fn sums(batch: RecordBatch, distinct: bool) -> DfResult<Vec<Option<i64>>> {
        let ctx = SessionContext::new();
        let sum = checked_sum("sum(a)".into());
        let call = if distinct {
            datafusion::logical_expr::ExprFunctionExt::distinct(sum.call(vec![col("a")])).build()?
        } else {
            sum.call(vec![col("a")])
        };
        let out = ctx
            .read_batch(batch)?
            .aggregate(vec![col("g")], vec![call.alias("s")])?
            .sort(vec![col("g").sort(true, false)])?
            .collect()
            .await?;
        Ok(out.iter().flat_map(|b| b.column(1).as_primitive::<Int64Type>().iter().collect::<Vec<_>>()).collect())
    }

    #[tokio::test]
    async fn partial_sums_past_the_range_are_exact() {
        // MAX + MAX - MAX is MAX: no partial sum is checked, only the total.
        let values = vec![Some(i64::MAX), Some(i64::MAX), Some(-i64::MAX), None, Some(1)];
        let got = sums(table(values, vec![0, 0, 0, 1, 2]), false).await.expect("in range");
        assert_eq!(got, vec![Some(i64::MAX), None, Some(1)]);
    }

    #[tokio::test]
    async fn a_total_past_the_range_is_an_error_naming_the_sum() {
        let err = sums(table(vec![Some(i64::MAX), Some(1)], vec![0, 0]), false).await.expect_err("overflow");
        let message = err.find_root().to_string();
        assert!(message.contains("sum(a)") && message.contains("9223372036854775808"), "{message}");
        let err = sums(table(vec![Some(i64::MAX), Some(1), Some(1)], vec![0, 0, 0]), true).await.expect_err("overflow");
        assert!(err.find_root().to_string().contains("sum(a)"));
    }

    #[tokio::test]
    async fn distinct_sums_count_each_value_once() {
        let got = sums(table(vec![Some(2), Some(2), Some(3), None], vec![0, 0, 0, 0]), true).await.expect("sum");
        assert_eq!(got, vec![Some(5)]);
    }
}
