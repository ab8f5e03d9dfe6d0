//! Builder methods on [`Expr`]: comparisons, logic, and the string, temporal, math, aggregate and
//! window function families.

use crate::types::DataType;

use super::dsl::{Expr, SortExpr, Window, lit};
use super::func::{AggFunc, ScalarFunc, WindowFunc};
use super::ir::BinaryOp;

impl Expr {
    pub(crate) fn binary(self, op: BinaryOp, other: impl Into<Expr>) -> Expr {
        Expr::Binary(Box::new(self), op, Box::new(other.into()))
    }

    fn call(self, f: ScalarFunc, rest: Vec<Expr>) -> Expr {
        let mut args = vec![self];
        args.extend(rest);
        Expr::Function(f, args)
    }

    fn agg(self, func: AggFunc) -> Expr {
        Expr::Aggregate { func, args: vec![self], order_by: vec![] }
    }

    /// Names the expression's output column.
    pub fn alias(self, name: impl Into<String>) -> Expr {
        Expr::Alias(Box::new(self), name.into())
    }

    /// `self = other`
    pub fn eq(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Eq, other)
    }
    /// `self <> other`
    pub fn not_eq(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::NotEq, other)
    }
    /// `self < other`
    pub fn lt(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Lt, other)
    }
    /// `self <= other`
    pub fn lt_eq(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::LtEq, other)
    }
    /// `self > other`
    pub fn gt(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::Gt, other)
    }
    /// `self >= other`
    pub fn gt_eq(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::GtEq, other)
    }
    /// Null-safe inequality.
    pub fn is_distinct_from(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::IsDistinctFrom, other)
    }
    /// Null-safe equality.
    pub fn is_not_distinct_from(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::IsNotDistinctFrom, other)
    }
    /// Integer division truncating toward zero (`/` is true division).
    pub fn int_div(self, other: impl Into<Expr>) -> Expr {
        self.binary(BinaryOp::IntDiv, other)
    }
    /// Logical and.
    pub fn and(self, other: impl Into<Expr>) -> Expr {
        Expr::And(Box::new(self), Box::new(other.into()))
    }
    /// Logical or.
    pub fn or(self, other: impl Into<Expr>) -> Expr {
        Expr::Or(Box::new(self), Box::new(other.into()))
    }
    /// Logical not.
    #[allow(
        clippy::should_implement_trait,
        reason = "`std::ops::Not` is implemented too; the method reads like Polars"
    )]
    pub fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }
    /// `IS NULL`.
    pub fn is_null(self) -> Expr {
        Expr::IsNull(Box::new(self))
    }
    /// `IS NOT NULL`.
    pub fn is_not_null(self) -> Expr {
        Expr::IsNotNull(Box::new(self))
    }
    /// Replaces nulls with `value` (`coalesce(self, value)`).
    pub fn fill_null(self, value: impl Into<Expr>) -> Expr {
        self.call(ScalarFunc::Coalesce, vec![value.into()])
    }
    /// Null where equal to `value`.
    pub fn null_if(self, value: impl Into<Expr>) -> Expr {
        self.call(ScalarFunc::NullIf, vec![value.into()])
    }
    /// `self IN (values)`.
    pub fn is_in<E: Into<Expr>>(self, values: impl IntoIterator<Item = E>) -> Expr {
        Expr::InList { expr: Box::new(self), list: values.into_iter().map(Into::into).collect(), negated: false }
    }
    /// `self NOT IN (values)`.
    pub fn is_not_in<E: Into<Expr>>(self, values: impl IntoIterator<Item = E>) -> Expr {
        Expr::InList { expr: Box::new(self), list: values.into_iter().map(Into::into).collect(), negated: true }
    }
    /// `low <= self AND self <= high`.
    pub fn between(self, low: impl Into<Expr>, high: impl Into<Expr>) -> Expr {
        Expr::Between { expr: Box::new(self), low: Box::new(low.into()), high: Box::new(high.into()), negated: false }
    }
    /// Converts to another type.
    pub fn cast(self, dtype: DataType) -> Expr {
        Expr::Cast(Box::new(self), dtype)
    }

    /// Upper-case.
    pub fn upper(self) -> Expr {
        self.call(ScalarFunc::Upper, vec![])
    }
    /// Lower-case.
    pub fn lower(self) -> Expr {
        self.call(ScalarFunc::Lower, vec![])
    }
    /// Length in characters.
    pub fn str_len(self) -> Expr {
        self.call(ScalarFunc::Length, vec![])
    }
    /// Strips whitespace on both ends.
    pub fn trim(self) -> Expr {
        self.call(ScalarFunc::Trim, vec![])
    }
    /// Strips leading whitespace.
    pub fn ltrim(self) -> Expr {
        self.call(ScalarFunc::LTrim, vec![])
    }
    /// Strips trailing whitespace.
    pub fn rtrim(self) -> Expr {
        self.call(ScalarFunc::RTrim, vec![])
    }
    /// Characters from 1-based `start`, `length` of them (to the end if `None`).
    pub fn substr(self, start: i64, length: Option<i64>) -> Expr {
        let mut rest = vec![lit(start)];
        rest.extend(length.map(lit));
        self.call(ScalarFunc::Substring, rest)
    }
    /// Replaces every occurrence of `from` with `to`.
    pub fn replace(self, from: impl Into<Expr>, to: impl Into<Expr>) -> Expr {
        self.call(ScalarFunc::Replace, vec![from.into(), to.into()])
    }
    /// Whether the string contains `needle` (a literal: use `lit("…")`).
    pub fn contains(self, needle: impl Into<Expr>) -> Expr {
        self.call(ScalarFunc::Contains, vec![needle.into()])
    }
    /// Whether the string starts with `prefix`.
    pub fn starts_with(self, prefix: impl Into<Expr>) -> Expr {
        self.call(ScalarFunc::StartsWith, vec![prefix.into()])
    }
    /// Whether the string ends with `suffix`.
    pub fn ends_with(self, suffix: impl Into<Expr>) -> Expr {
        self.call(ScalarFunc::EndsWith, vec![suffix.into()])
    }
    /// SQL `LIKE`.
    pub fn like(self, pattern: &str) -> Expr {
        self.call(ScalarFunc::Like, vec![lit(pattern)])
    }
    /// Case-insensitive `LIKE`.
    pub fn ilike(self, pattern: &str) -> Expr {
        self.call(ScalarFunc::ILike, vec![lit(pattern)])
    }
    /// 1-based position of `needle`, 0 when absent.
    pub fn strpos(self, needle: impl Into<Expr>) -> Expr {
        self.call(ScalarFunc::StrPos, vec![needle.into()])
    }
    /// Pads on the left to `length` with `fill`.
    pub fn lpad(self, length: i64, fill: &str) -> Expr {
        self.call(ScalarFunc::LPad, vec![lit(length), lit(fill)])
    }
    /// Pads on the right to `length` with `fill`.
    pub fn rpad(self, length: i64, fill: &str) -> Expr {
        self.call(ScalarFunc::RPad, vec![lit(length), lit(fill)])
    }
    /// Reverses the characters.
    pub fn reverse(self) -> Expr {
        self.call(ScalarFunc::Reverse, vec![])
    }

    /// Year.
    pub fn year(self) -> Expr {
        self.call(ScalarFunc::Year, vec![])
    }
    /// Month (1–12).
    pub fn month(self) -> Expr {
        self.call(ScalarFunc::Month, vec![])
    }
    /// Day of month.
    pub fn day(self) -> Expr {
        self.call(ScalarFunc::Day, vec![])
    }
    /// Hour.
    pub fn hour(self) -> Expr {
        self.call(ScalarFunc::Hour, vec![])
    }
    /// Minute.
    pub fn minute(self) -> Expr {
        self.call(ScalarFunc::Minute, vec![])
    }
    /// Second.
    pub fn second(self) -> Expr {
        self.call(ScalarFunc::Second, vec![])
    }
    /// Day of week, 0 = Sunday.
    pub fn day_of_week(self) -> Expr {
        self.call(ScalarFunc::DayOfWeek, vec![])
    }
    /// Day of year.
    pub fn day_of_year(self) -> Expr {
        self.call(ScalarFunc::DayOfYear, vec![])
    }
    /// Quarter.
    pub fn quarter(self) -> Expr {
        self.call(ScalarFunc::Quarter, vec![])
    }
    /// Truncates a timestamp to `unit` (`year`, `month`, `day`, `hour`, …).
    pub fn date_trunc(self, unit: &str) -> Expr {
        Expr::Function(ScalarFunc::DateTrunc, vec![lit(unit), self])
    }
    /// Formats with a `strftime` pattern.
    pub fn strftime(self, format: &str) -> Expr {
        self.call(ScalarFunc::Strftime, vec![lit(format)])
    }

    /// Absolute value.
    pub fn abs(self) -> Expr {
        self.call(ScalarFunc::Abs, vec![])
    }
    /// Rounds to `digits` decimal places.
    pub fn round(self, digits: i64) -> Expr {
        self.call(ScalarFunc::Round, vec![lit(digits)])
    }
    /// Rounds down.
    pub fn floor(self) -> Expr {
        self.call(ScalarFunc::Floor, vec![])
    }
    /// Rounds up.
    pub fn ceil(self) -> Expr {
        self.call(ScalarFunc::Ceil, vec![])
    }
    /// Square root.
    pub fn sqrt(self) -> Expr {
        self.call(ScalarFunc::Sqrt, vec![])
    }
    /// e to the power of `self`.
    pub fn exp(self) -> Expr {
        self.call(ScalarFunc::Exp, vec![])
    }
    /// Natural logarithm.
    pub fn ln(self) -> Expr {
        self.call(ScalarFunc::Ln, vec![])
    }
    /// Base-10 logarithm.
    pub fn log10(self) -> Expr {
        self.call(ScalarFunc::Log10, vec![])
    }
    /// Base-2 logarithm.
    pub fn log2(self) -> Expr {
        self.call(ScalarFunc::Log2, vec![])
    }
    /// `self ^ exponent`.
    pub fn pow(self, exponent: impl Into<Expr>) -> Expr {
        self.call(ScalarFunc::Power, vec![exponent.into()])
    }
    /// -1, 0 or 1.
    pub fn sign(self) -> Expr {
        self.call(ScalarFunc::Sign, vec![])
    }

    /// Number of non-null values.
    pub fn count(self) -> Expr {
        self.agg(AggFunc::Count)
    }
    /// Number of distinct non-null values.
    pub fn count_distinct(self) -> Expr {
        self.agg(AggFunc::CountDistinct)
    }
    /// Sum.
    pub fn sum(self) -> Expr {
        self.agg(AggFunc::Sum)
    }
    /// Mean.
    pub fn mean(self) -> Expr {
        self.agg(AggFunc::Mean)
    }
    /// Minimum.
    pub fn min(self) -> Expr {
        self.agg(AggFunc::Min)
    }
    /// Maximum.
    pub fn max(self) -> Expr {
        self.agg(AggFunc::Max)
    }
    /// Sample standard deviation.
    pub fn std(self) -> Expr {
        self.agg(AggFunc::Std)
    }
    /// Population standard deviation.
    pub fn std_pop(self) -> Expr {
        self.agg(AggFunc::StdPop)
    }
    /// Sample variance.
    pub fn var(self) -> Expr {
        self.agg(AggFunc::Var)
    }
    /// Population variance.
    pub fn var_pop(self) -> Expr {
        self.agg(AggFunc::VarPop)
    }
    /// First value; give an order with [`Expr::order_by`] for a deterministic result.
    pub fn first(self) -> Expr {
        self.agg(AggFunc::First)
    }
    /// Last value; give an order with [`Expr::order_by`] for a deterministic result.
    pub fn last(self) -> Expr {
        self.agg(AggFunc::Last)
    }
    /// Approximate quantile `q` in [0, 1].
    pub fn approx_quantile(self, q: f64) -> Expr {
        Expr::Aggregate { func: AggFunc::ApproxQuantile, args: vec![self, lit(q)], order_by: vec![] }
    }
    /// Orders the values an order-sensitive aggregate (`first`, `last`) sees.
    pub fn order_by<S: Into<SortExpr>>(self, keys: impl IntoIterator<Item = S>) -> Expr {
        match self {
            Expr::Aggregate { func, args, mut order_by } => {
                order_by.extend(keys.into_iter().map(Into::into));
                Expr::Aggregate { func, args, order_by }
            }
            other => Expr::Invalid(format!(
                "`order_by` orders the input of an aggregate such as `first` or `last`, but `{other}` is not an aggregate"
            )),
        }
    }
    /// The value `offset` rows before, in window order; use with `.over(…)`.
    pub fn lag(self, offset: i64, default: Option<Expr>) -> Expr {
        let mut args = vec![self, lit(offset)];
        args.extend(default);
        Expr::WindowFunction(WindowFunc::Lag, args)
    }
    /// The value `offset` rows after, in window order; use with `.over(…)`.
    pub fn lead(self, offset: i64, default: Option<Expr>) -> Expr {
        let mut args = vec![self, lit(offset)];
        args.extend(default);
        Expr::WindowFunction(WindowFunc::Lead, args)
    }
    /// First value of the window frame.
    pub fn first_value(self) -> Expr {
        Expr::WindowFunction(WindowFunc::FirstValue, vec![self])
    }
    /// Last value of the window frame.
    pub fn last_value(self) -> Expr {
        Expr::WindowFunction(WindowFunc::LastValue, vec![self])
    }
    /// Evaluates an aggregate or window function over a window.
    pub fn over(self, window: Window) -> Expr {
        Expr::Over(Box::new(self), window)
    }

    /// Ascending order key.
    pub fn asc(self) -> SortExpr {
        SortExpr { expr: self, descending: false, nulls_first: None }
    }
    /// Descending order key.
    pub fn desc(self) -> SortExpr {
        SortExpr { expr: self, descending: true, nulls_first: None }
    }

    /// The output column name: the alias, else the first column referenced (as in Polars), else
    /// the function's name.
    pub fn output_name(&self) -> String {
        match self {
            Expr::Alias(_, name) => name.clone(),
            Expr::Column { name, .. } => name.clone(),
            Expr::Literal(_) => "literal".to_string(),
            Expr::Param(p) => p.name.clone(),
            Expr::Aggregate { func: AggFunc::CountStar, .. } => "count".to_string(),
            Expr::WindowFunction(f, args) if args.is_empty() => f.name().to_string(),
            other => other.first_column().unwrap_or_else(|| "literal".to_string()),
        }
    }

    fn first_column(&self) -> Option<String> {
        match self {
            Expr::Column { name, .. } => Some(name.clone()),
            Expr::Alias(e, _)
            | Expr::Not(e)
            | Expr::Negate(e)
            | Expr::IsNull(e)
            | Expr::IsNotNull(e)
            | Expr::Cast(e, _) => e.first_column(),
            Expr::Binary(l, _, r) | Expr::And(l, r) | Expr::Or(l, r) => l.first_column().or_else(|| r.first_column()),
            Expr::Case { branches, otherwise } => branches
                .iter()
                .find_map(|(c, v)| v.first_column().or_else(|| c.first_column()))
                .or_else(|| otherwise.as_ref().and_then(|o| o.first_column())),
            Expr::InList { expr, .. } | Expr::Between { expr, .. } => expr.first_column(),
            Expr::Function(_, args) | Expr::Aggregate { args, .. } | Expr::WindowFunction(_, args) => {
                args.iter().find_map(Expr::first_column)
            }
            Expr::Over(e, _) => e.first_column(),
            Expr::Literal(_) | Expr::Param(_) | Expr::Invalid(_) => None,
        }
    }
}
