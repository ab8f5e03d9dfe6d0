//! The built-in aggregate functions. Names are DataFusion's where the IR had no name of its own
//! before (the first 14 kept theirs: `mean`, `std`, `first`, `approx_quantile`, …).

use crate::literal::Literal;
use crate::types::{DataType, MAX_DECIMAL_PRECISION};

use super::typing::{Arg, Param as P, Refusal, Ret as R, Signature, Ty as T, Typing, arity, params};
use super::{AggFunc, Distinct, FunctionDef as F, Nulls, builtins};

const PAIR: Typing = params(&[P::Float64, P::Float64], R::Fixed(T::Float64));
const STATS: Typing = params(&[P::Float64], R::Fixed(T::Float64));
const ANY: Typing = params(&[P::Any], R::Same(0));
const BITS: Typing = params(&[P::Integer], R::Same(0));
const BOOLS: Typing = params(&[P::Boolean], R::Fixed(T::Boolean));

/// A constant fraction in [0, 1] (a quantile), as DataFusion requires it.
fn fraction(a: &Arg<'_>, what: &str) -> Result<DataType, Refusal> {
    let value = match a.constant {
        Some(l) if a.dtype.is_numeric() => l.as_f64().or_else(|| l.as_i128().map(|i| i as f64)),
        Some(Literal::Decimal { .. }) => None,
        _ => None,
    };
    match value {
        Some(q) if (0.0..=1.0).contains(&q) => Ok(DataType::Float64),
        _ => Err(Refusal::Message(format!("the {what} must be a constant number between 0 and 1"))),
    }
}

/// A numeric input read as a float: `Float32` and `Float64` as they are, other numbers as
/// `Float64`.
fn float_input(t: &DataType) -> Result<DataType, Refusal> {
    match t {
        DataType::Float32 | DataType::Float64 => Ok(t.clone()),
        _ if t.is_numeric() => Ok(DataType::Float64),
        _ => Err(Refusal::Types(Some("it takes numbers"))),
    }
}

fn sum(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    use DataType as D;
    arity(args, 1, 1)?;
    let t = args[0].dtype;
    let (arg, result) = match t {
        _ if t.is_signed_integer() => (D::Int64, D::Int64),
        _ if t.is_unsigned_integer() => (D::UInt64, D::UInt64),
        _ if t.is_float() => (D::Float64, D::Float64),
        D::Decimal { precision, scale } => {
            (t.clone(), D::Decimal { precision: (*precision + 10).min(MAX_DECIMAL_PRECISION), scale: *scale })
        }
        D::Duration(_) | D::Interval => (t.clone(), t.clone()),
        _ => return Err(Refusal::Types(Some("sum needs a numeric column; cast it first if it holds numbers as text"))),
    };
    Ok(Signature { args: vec![arg], result })
}

fn mean(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    use DataType as D;
    arity(args, 1, 1)?;
    let t = args[0].dtype;
    let (arg, result) = match t {
        D::Null => (D::Null, D::Float64),
        D::Decimal { precision, scale } => (
            t.clone(),
            D::Decimal {
                precision: (*precision + 4).min(MAX_DECIMAL_PRECISION),
                scale: (*scale + 4).min(MAX_DECIMAL_PRECISION as i8),
            },
        ),
        D::Duration(_) => (t.clone(), t.clone()),
        _ if t.is_numeric() => (D::Float64, D::Float64),
        _ => return Err(Refusal::Types(Some("mean needs a numeric column"))),
    };
    Ok(Signature { args: vec![arg], result })
}

fn approx_quantile(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    arity(args, 2, 2)?;
    let x = float_input(args[0].dtype)?;
    let q = fraction(&args[1], "quantile")?;
    Ok(Signature { args: vec![x.clone(), q], result: x })
}

fn approx_weighted(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    arity(args, 3, 3)?;
    let x = float_input(args[0].dtype)?;
    let w = float_input(args[1].dtype)?;
    let q = fraction(&args[2], "quantile")?;
    Ok(Signature { args: vec![x.clone(), w, q], result: x })
}

fn percentile_cont(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    arity(args, 2, 2)?;
    let x = P::FloatOrNull.convert(args[0].dtype).ok_or(Refusal::Types(Some("it takes numbers")))?;
    let p = fraction(&args[1], "percentile")?;
    let result = if x == DataType::Null { DataType::Float64 } else { x.clone() };
    Ok(Signature { args: vec![x, p], result })
}

fn string_agg(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    arity(args, 2, 2)?;
    // DataFusion keeps an untyped null delimiter next to text values.
    let delimiter = if *args[1].dtype == DataType::Null && *args[0].dtype == DataType::String {
        DataType::Null
    } else {
        DataType::String
    };
    Ok(Signature { args: vec![DataType::String, delimiter], result: DataType::String })
}

fn nth_value(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    arity(args, 2, 2)?;
    if !args[1].dtype.is_integer() {
        return Err(Refusal::Types(Some("the position is an integer")));
    }
    Ok(Signature { args: vec![args[0].dtype.clone(), args[1].dtype.clone()], result: args[0].dtype.clone() })
}

builtins! {
    AggFunc {
        /// Number of non-null values.
        COUNT = F::aggregate("count", params(&[P::Any], R::Fixed(T::Int64)), "Number of non-null values").nulls(Nulls::Never);
        /// Number of rows.
        COUNT_STAR = F::aggregate("count_star", params(&[], R::Fixed(T::Int64)), "Number of rows").nulls(Nulls::Never);
        /// `grouping(k, …)`: a bit per key, set where the key is not in the row's grouping set
        /// (with `GROUPING SETS`, `ROLLUP`, `CUBE`); the keys must be grouping keys.
        GROUPING = F::aggregate("grouping", Typing::Variadic { param: P::Any, min: 1, result: R::Fixed(T::Int32) }, "Which keys a grouping-set row leaves out, a bit per key").nulls(Nulls::Never).distinct(Distinct::Idempotent);
        /// Number of distinct non-null values.
        COUNT_DISTINCT = F::aggregate("count_distinct", params(&[P::Any], R::Fixed(T::Int64)), "Number of distinct non-null values").nulls(Nulls::Never);
        /// Sum.
        SUM = F::aggregate("sum", Typing::Custom(sum), "Sum").distinct(Distinct::Supported);
        /// Arithmetic mean.
        MEAN = F::aggregate("mean", Typing::Custom(mean), "Arithmetic mean").distinct(Distinct::Supported);
        /// Minimum.
        MIN = F::aggregate("min", ANY, "Minimum").distinct(Distinct::Idempotent);
        /// Maximum.
        MAX = F::aggregate("max", ANY, "Maximum").distinct(Distinct::Idempotent);
        /// Sample standard deviation.
        STD = F::aggregate("std", STATS, "Sample standard deviation");
        /// Population standard deviation.
        STD_POP = F::aggregate("std_pop", STATS, "Population standard deviation");
        /// Sample variance.
        VAR = F::aggregate("var", STATS, "Sample variance").distinct(Distinct::Supported);
        /// Population variance.
        VAR_POP = F::aggregate("var_pop", STATS, "Population variance").distinct(Distinct::Supported);
        /// First value in the given order.
        FIRST = F::aggregate("first", ANY, "First value, in the given order").ordered().ignoring_nulls().row_order();
        /// Last value in the given order.
        LAST = F::aggregate("last", ANY, "Last value, in the given order").ordered().ignoring_nulls().row_order();
        /// Approximate quantile (t-digest).
        APPROX_QUANTILE = F::aggregate("approx_quantile", Typing::Custom(approx_quantile), "Approximate quantile in [0, 1] (t-digest)").constants(&[1]);
        /// Any one value.
        ANY_VALUE = F::aggregate("any_value", ANY, "Any one value of the group").row_order().distinct(Distinct::Idempotent);
        /// Approximate number of distinct values.
        APPROX_DISTINCT = F::aggregate("approx_distinct", params(&[P::Any], R::Fixed(T::UInt64)), "Approximate number of distinct values (HyperLogLog)")
            .nulls(Nulls::Never)
            .distinct(Distinct::Idempotent);
        /// Approximate median.
        APPROX_MEDIAN = F::aggregate("approx_median", params(&[P::FloatOrNull], R::Same(0)), "Approximate median (t-digest)");
        /// Approximate weighted quantile.
        APPROX_PERCENTILE_CONT_WITH_WEIGHT = F::aggregate(
            "approx_percentile_cont_with_weight",
            Typing::Custom(approx_weighted),
            "Approximate weighted quantile in [0, 1] (t-digest)"
        ).constants(&[2]);
        /// Bitwise and.
        BIT_AND = F::aggregate("bit_and", BITS, "Bitwise and of the values").distinct(Distinct::Idempotent);
        /// Bitwise or.
        BIT_OR = F::aggregate("bit_or", BITS, "Bitwise or of the values").distinct(Distinct::Idempotent);
        /// Bitwise exclusive or.
        BIT_XOR = F::aggregate("bit_xor", BITS, "Bitwise exclusive or of the values").distinct(Distinct::Supported);
        /// Whether every value is true.
        BOOL_AND = F::aggregate("bool_and", BOOLS, "Whether every value is true").distinct(Distinct::Idempotent);
        /// Whether any value is true.
        BOOL_OR = F::aggregate("bool_or", BOOLS, "Whether any value is true").distinct(Distinct::Idempotent);
        /// Pearson correlation coefficient.
        CORR = F::aggregate("corr", PAIR, "Pearson correlation coefficient").distinct(Distinct::Supported);
        /// Sample covariance.
        COVAR_SAMP = F::aggregate("covar_samp", PAIR, "Sample covariance").distinct(Distinct::Supported);
        /// Population covariance.
        COVAR_POP = F::aggregate("covar_pop", PAIR, "Population covariance").distinct(Distinct::Supported);
        /// Median.
        MEDIAN = F::aggregate("median", params(&[P::FloatOrDecimal], R::Same(0)), "Median").distinct(Distinct::Supported);
        /// Exact quantile, interpolated.
        PERCENTILE_CONT = F::aggregate("percentile_cont", Typing::Custom(percentile_cont), "Exact quantile in [0, 1], interpolated between values")
            .constants(&[1])
            .distinct(Distinct::Supported);
        /// Slope of the least-squares line.
        REGR_SLOPE = F::aggregate("regr_slope", PAIR, "Slope of the least-squares line of y on x").distinct(Distinct::Supported);
        /// Intercept of the least-squares line.
        REGR_INTERCEPT = F::aggregate("regr_intercept", PAIR, "Intercept of the least-squares line of y on x").distinct(Distinct::Supported);
        /// Number of pairs where both are non-null.
        REGR_COUNT = F::aggregate("regr_count", params(&[P::Float64, P::Float64], R::Fixed(T::UInt64)), "Number of pairs where both values are non-null").nulls(Nulls::Never).distinct(Distinct::Supported);
        /// Coefficient of determination.
        REGR_R2 = F::aggregate("regr_r2", PAIR, "Coefficient of determination of the least-squares line").distinct(Distinct::Supported);
        /// Mean of x over non-null pairs.
        REGR_AVGX = F::aggregate("regr_avgx", PAIR, "Mean of x over the pairs where both are non-null").distinct(Distinct::Supported);
        /// Mean of y over non-null pairs.
        REGR_AVGY = F::aggregate("regr_avgy", PAIR, "Mean of y over the pairs where both are non-null").distinct(Distinct::Supported);
        /// Sum of squares of x deviations.
        REGR_SXX = F::aggregate("regr_sxx", PAIR, "Sum of squared deviations of x").distinct(Distinct::Supported);
        /// Sum of squares of y deviations.
        REGR_SYY = F::aggregate("regr_syy", PAIR, "Sum of squared deviations of y").distinct(Distinct::Supported);
        /// Sum of products of deviations.
        REGR_SXY = F::aggregate("regr_sxy", PAIR, "Sum of products of the deviations of x and y").distinct(Distinct::Supported);
        /// Values joined with a delimiter.
        STRING_AGG = F::aggregate("string_agg", Typing::Custom(string_agg), "Values as text, joined with a delimiter, in the given order")
            .ordered()
            .row_order()
            .distinct(Distinct::Supported)
            .constants(&[1]);
        /// The n-th value in the given order.
        NTH_VALUE = F::aggregate("nth_value", Typing::Custom(nth_value), "The n-th value (1-based; from the end when negative), in the given order")
            .ordered()
            .ignoring_nulls()
            .row_order()
            .constants(&[1]);
    }
}
