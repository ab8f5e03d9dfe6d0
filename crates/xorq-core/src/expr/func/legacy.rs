//! The typing rules of hash scheme 1, frozen: a build written under scheme 1 rebuilds with the
//! rules it was addressed with, so it keeps verifying. Scheme 2 types every function as
//! DataFusion does (the catalogue's rules); only the functions scheme 1 had are here.

use crate::error::{CoreError, Result};
use crate::types::DataType;

use super::super::coerce::common_type;
use super::{AggFunc, Arg, ScalarFunc, Signature, WindowFunc};

/// The scheme-1 typing of a scalar function, if it had one.
pub(super) fn scalar(func: ScalarFunc, args: &[Arg<'_>], context: &str) -> Option<Result<Signature>> {
    let types: Vec<DataType> = args.iter().map(|a| a.dtype.clone()).collect();
    let f = OldScalar::from_name(func.name())?;
    Some(f.signature(&types, context))
}

/// The scheme-1 typing of an aggregate, if it had one.
pub(super) fn aggregate(func: AggFunc, args: &[Arg<'_>], context: &str) -> Option<Result<Signature>> {
    let types: Vec<DataType> = args.iter().map(|a| a.dtype.clone()).collect();
    let f = OldAgg::from_name(func.name())?;
    Some(f.signature(&types, context))
}

/// The scheme-1 typing of a window function, if it had one.
pub(super) fn window(func: WindowFunc, args: &[Arg<'_>], context: &str) -> Option<Result<Signature>> {
    let types: Vec<DataType> = args.iter().map(|a| a.dtype.clone()).collect();
    let f = OldWindow::from_name(func.name())?;
    Some(f.signature(&types, context))
}

macro_rules! names {
    ($name:ident { $($variant:ident => $text:literal,)* }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum $name { $($variant,)* }

        impl $name {
            fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            fn from_name(name: &str) -> Option<Self> {
                match name { $($text => Some($name::$variant),)* _ => None }
            }
        }
    };
}

names! {
    OldScalar {
        Upper => "upper", Lower => "lower", Length => "length", Trim => "trim", LTrim => "ltrim",
        RTrim => "rtrim", Substring => "substr", Replace => "replace", Contains => "contains",
        StartsWith => "starts_with", EndsWith => "ends_with", Concat => "concat", Like => "like",
        ILike => "ilike", StrPos => "strpos", LPad => "lpad", RPad => "rpad", Reverse => "reverse",
        Year => "year", Month => "month", Day => "day", Hour => "hour", Minute => "minute",
        Second => "second", DayOfWeek => "day_of_week", DayOfYear => "day_of_year",
        Quarter => "quarter", DateTrunc => "date_trunc", Strftime => "strftime", Abs => "abs",
        Round => "round", Floor => "floor", Ceil => "ceil", Sqrt => "sqrt", Exp => "exp", Ln => "ln",
        Log10 => "log10", Log2 => "log2", Power => "power", Sign => "sign", Greatest => "greatest",
        Least => "least", Coalesce => "coalesce", NullIf => "nullif",
    }
}

names! {
    OldAgg {
        Count => "count", CountStar => "count_star", CountDistinct => "count_distinct", Sum => "sum",
        Mean => "mean", Min => "min", Max => "max", Std => "std", StdPop => "std_pop", Var => "var",
        VarPop => "var_pop", First => "first", Last => "last", ApproxQuantile => "approx_quantile",
    }
}

names! {
    OldWindow {
        RowNumber => "row_number", Rank => "rank", DenseRank => "dense_rank",
        PercentRank => "percent_rank", CumeDist => "cume_dist", Ntile => "ntile", Lag => "lag",
        Lead => "lead", FirstValue => "first_value", LastValue => "last_value",
    }
}

fn mismatch(name: &str, args: &[DataType], context: &str) -> CoreError {
    let refs: Vec<&DataType> = args.iter().collect();
    CoreError::type_mismatch(name, &refs, context, None)
}

fn arity(name: &str, args: &[DataType], range: std::ops::RangeInclusive<usize>, context: &str) -> Result<()> {
    if range.contains(&args.len()) {
        return Ok(());
    }
    let expected = if range.start() == range.end() {
        format!("{}", range.start())
    } else if *range.end() == usize::MAX {
        format!("at least {}", range.start())
    } else {
        format!("{} to {}", range.start(), range.end())
    };
    Err(CoreError::InvalidArgument {
        context: context.to_string(),
        message: format!("`{name}` takes {expected} arguments, got {}", args.len()),
    })
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::String | DataType::Null)
}

fn is_int(t: &DataType) -> bool {
    t.is_integer() || *t == DataType::Null
}

impl OldScalar {
    /// Types `args` for this function, or explains why they do not fit.
    fn signature(self, args: &[DataType], context: &str) -> Result<Signature> {
        use DataType as T;
        use OldScalar as F;
        let name = self.name();
        let bad = || mismatch(name, args, context);
        let same = |result: DataType| Signature { args: args.to_vec(), result };
        match self {
            F::Upper | F::Lower | F::Trim | F::LTrim | F::RTrim | F::Reverse => {
                arity(name, args, 1..=1, context)?;
                is_text(&args[0]).then(|| same(T::String)).ok_or_else(bad)
            }
            F::Length | F::StrPos => {
                let n = if self == F::Length { 1 } else { 2 };
                arity(name, args, n..=n, context)?;
                args.iter().all(is_text).then(|| same(T::Int32)).ok_or_else(bad)
            }
            F::Contains | F::StartsWith | F::EndsWith | F::Like | F::ILike => {
                arity(name, args, 2..=2, context)?;
                args.iter().all(is_text).then(|| same(T::Boolean)).ok_or_else(bad)
            }
            F::Replace => {
                arity(name, args, 3..=3, context)?;
                args.iter().all(is_text).then(|| same(T::String)).ok_or_else(bad)
            }
            F::Substring => {
                arity(name, args, 2..=3, context)?;
                (is_text(&args[0]) && args[1..].iter().all(is_int))
                    .then(|| Signature {
                        args: std::iter::once(T::String).chain(args[1..].iter().map(|_| T::Int64)).collect(),
                        result: T::String,
                    })
                    .ok_or_else(bad)
            }
            F::LPad | F::RPad => {
                arity(name, args, 2..=3, context)?;
                (is_text(&args[0]) && is_int(&args[1]) && args[2..].iter().all(is_text))
                    .then(|| {
                        let mut a = args.to_vec();
                        a[1] = T::Int64;
                        Signature { args: a, result: T::String }
                    })
                    .ok_or_else(bad)
            }
            F::Concat => {
                arity(name, args, 1..=usize::MAX, context)?;
                args.iter().all(is_text).then(|| same(T::String)).ok_or_else(bad)
            }
            F::Year | F::Month | F::Day | F::DayOfWeek | F::DayOfYear | F::Quarter => {
                arity(name, args, 1..=1, context)?;
                matches!(args[0], T::Date | T::Timestamp { .. }).then(|| same(T::Int32)).ok_or_else(bad)
            }
            F::Hour | F::Minute | F::Second => {
                arity(name, args, 1..=1, context)?;
                matches!(args[0], T::Time | T::Timestamp { .. }).then(|| same(T::Int32)).ok_or_else(bad)
            }
            F::DateTrunc => {
                arity(name, args, 2..=2, context)?;
                (is_text(&args[0]) && matches!(args[1], T::Timestamp { .. }))
                    .then(|| same(args[1].clone()))
                    .ok_or_else(bad)
            }
            F::Strftime => {
                arity(name, args, 2..=2, context)?;
                (matches!(args[0], T::Date | T::Timestamp { .. }) && is_text(&args[1]))
                    .then(|| same(T::String))
                    .ok_or_else(bad)
            }
            F::Abs | F::Sign => {
                arity(name, args, 1..=1, context)?;
                let t = &args[0];
                if !(t.is_numeric() || *t == T::Null) {
                    return Err(bad());
                }
                if self == F::Sign {
                    return Ok(Signature { args: vec![T::Float64], result: T::Float64 });
                }
                Ok(same(t.clone()))
            }
            F::Floor | F::Ceil => {
                arity(name, args, 1..=1, context)?;
                match &args[0] {
                    t if t.is_float() || t.is_decimal() => Ok(same(t.clone())),
                    t if t.is_integer() || *t == T::Null => {
                        Ok(Signature { args: vec![T::Float64], result: T::Float64 })
                    }
                    _ => Err(bad()),
                }
            }
            F::Round => {
                arity(name, args, 1..=2, context)?;
                if args.len() == 2 && !is_int(&args[1]) {
                    return Err(bad());
                }
                let value = match &args[0] {
                    t if t.is_float() => t.clone(),
                    t if t.is_integer() || t.is_decimal() || *t == T::Null => T::Float64,
                    _ => return Err(bad()),
                };
                let mut a = vec![value.clone()];
                if args.len() == 2 {
                    a.push(T::Int64);
                }
                Ok(Signature { args: a, result: value })
            }
            F::Sqrt | F::Exp | F::Ln | F::Log10 | F::Log2 => {
                arity(name, args, 1..=1, context)?;
                (args[0].is_numeric() || args[0] == T::Null)
                    .then(|| Signature { args: vec![T::Float64], result: T::Float64 })
                    .ok_or_else(bad)
            }
            F::Power => {
                arity(name, args, 2..=2, context)?;
                args.iter()
                    .all(|t| t.is_numeric() || *t == T::Null)
                    .then(|| Signature { args: vec![T::Float64, T::Float64], result: T::Float64 })
                    .ok_or_else(bad)
            }
            F::Greatest | F::Least | F::Coalesce => {
                arity(name, args, 1..=usize::MAX, context)?;
                let t = common_type(args).ok_or_else(bad)?;
                if matches!(self, F::Greatest | F::Least) && matches!(t, T::Binary | T::Interval) {
                    return Err(bad());
                }
                Ok(Signature { args: vec![t.clone(); args.len()], result: t })
            }
            F::NullIf => {
                arity(name, args, 2..=2, context)?;
                let t = common_type(args).ok_or_else(bad)?;
                Ok(Signature { args: vec![t.clone(); 2], result: t })
            }
        }
    }
}

impl OldAgg {
    /// Types an aggregate call.
    fn signature(self, args: &[DataType], context: &str) -> Result<Signature> {
        use DataType as T;
        use OldAgg as A;
        let name = self.name();
        let bad = |hint: &str| {
            let refs: Vec<&DataType> = args.iter().collect();
            CoreError::type_mismatch(name, &refs, context, Some(hint).filter(|h| !h.is_empty()))
        };
        if self == A::CountStar {
            arity(name, args, 0..=0, context)?;
            return Ok(Signature { args: vec![], result: T::Int64 });
        }
        if self == A::ApproxQuantile {
            arity(name, args, 2..=2, context)?;
            if !(args[0].is_numeric() && args[1].is_numeric()) {
                return Err(bad("approx_quantile needs a numeric column and a quantile between 0 and 1"));
            }
            return Ok(Signature { args: vec![T::Float64, T::Float64], result: T::Float64 });
        }
        arity(name, args, 1..=1, context)?;
        let t = &args[0];
        let numeric = t.is_numeric() || *t == T::Null;
        let result = match self {
            A::Count | A::CountDistinct => T::Int64,
            A::Sum => match t {
                _ if t.is_signed_integer() || *t == T::Null => T::Int64,
                _ if t.is_unsigned_integer() => T::UInt64,
                _ if t.is_float() => T::Float64,
                T::Decimal { precision, scale } => {
                    T::Decimal { precision: (*precision + 10).min(crate::types::MAX_DECIMAL_PRECISION), scale: *scale }
                }
                _ => return Err(bad("sum needs a numeric column; cast it first if it holds numbers as text")),
            },
            A::Mean => match t {
                T::Decimal { precision, scale } => T::Decimal {
                    precision: (*precision + 4).min(crate::types::MAX_DECIMAL_PRECISION),
                    scale: (*scale + 4).min(crate::types::MAX_DECIMAL_PRECISION as i8),
                },
                _ if numeric => T::Float64,
                _ => return Err(bad("mean needs a numeric column")),
            },
            A::Std | A::StdPop | A::Var | A::VarPop => {
                if !numeric {
                    return Err(bad("std and var need a numeric column"));
                }
                return Ok(Signature { args: vec![T::Float64], result: T::Float64 });
            }
            A::Min | A::Max | A::First | A::Last => {
                if matches!(t, T::Interval) {
                    return Err(bad(""));
                }
                t.clone()
            }
            A::CountStar | A::ApproxQuantile => unreachable!("handled above"),
        };
        Ok(Signature { args: args.to_vec(), result })
    }
}

impl OldWindow {
    /// Types a window-only function call (aggregates over windows use [`AggFunc::signature`]).
    fn signature(self, args: &[DataType], context: &str) -> Result<Signature> {
        use DataType as T;
        use OldWindow as W;
        let name = self.name();
        match self {
            W::RowNumber | W::Rank | W::DenseRank => {
                arity(name, args, 0..=0, context)?;
                Ok(Signature { args: vec![], result: T::UInt64 })
            }
            W::PercentRank | W::CumeDist => {
                arity(name, args, 0..=0, context)?;
                Ok(Signature { args: vec![], result: T::Float64 })
            }
            W::Ntile => {
                arity(name, args, 1..=1, context)?;
                if !is_int(&args[0]) {
                    return Err(mismatch(name, args, context));
                }
                Ok(Signature { args: vec![T::Int64], result: T::UInt64 })
            }
            W::Lag | W::Lead => {
                arity(name, args, 1..=3, context)?;
                if args.len() >= 2 && !is_int(&args[1]) {
                    return Err(mismatch(name, args, context));
                }
                let t = match args.get(2) {
                    Some(d) => common_type([&args[0], d]).ok_or_else(|| mismatch(name, args, context))?,
                    None => args[0].clone(),
                };
                let mut a = vec![t.clone()];
                if args.len() >= 2 {
                    a.push(T::Int64);
                }
                if args.len() == 3 {
                    a.push(t.clone());
                }
                Ok(Signature { args: a, result: t })
            }
            W::FirstValue | W::LastValue => {
                arity(name, args, 1..=1, context)?;
                Ok(Signature { args: args.to_vec(), result: args[0].clone() })
            }
        }
    }
}
