//! The built-in function catalogue: scalar, aggregate and window functions, with their stable
//! names, versions (part of the address) and typing rules.

use crate::error::{CoreError, Result};
use crate::types::DataType;

use super::coerce::common_type;

/// How a call is typed: the type each argument is cast to, and the result.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// Argument types after implicit casts.
    pub args: Vec<DataType>,
    /// Result type.
    pub result: DataType,
}

macro_rules! catalogue {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every function of this kind.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// Stable name, used in manifests, in the address and in messages.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The function called `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($text => Some($name::$variant),)* _ => None }
            }

            /// Version of the function's semantics; part of the address so a changed meaning is a
            /// new address.
            pub fn version(self) -> u32 {
                1
            }
        }
    };
}

catalogue! {
    /// Built-in scalar functions.
    ScalarFunc {
        /// Upper-case.
        Upper => "upper",
        /// Lower-case.
        Lower => "lower",
        /// Length in characters.
        Length => "length",
        /// Strip whitespace on both ends.
        Trim => "trim",
        /// Strip leading whitespace.
        LTrim => "ltrim",
        /// Strip trailing whitespace.
        RTrim => "rtrim",
        /// `substr(s, start[, length])`, 1-based.
        Substring => "substr",
        /// Replace every occurrence.
        Replace => "replace",
        /// Whether the string contains a substring.
        Contains => "contains",
        /// Whether the string starts with a prefix.
        StartsWith => "starts_with",
        /// Whether the string ends with a suffix.
        EndsWith => "ends_with",
        /// Concatenation of strings (null if any is null).
        Concat => "concat",
        /// SQL `LIKE` pattern match.
        Like => "like",
        /// Case-insensitive `LIKE`.
        ILike => "ilike",
        /// 1-based position of a substring, 0 if absent.
        StrPos => "strpos",
        /// Left-pad to a length.
        LPad => "lpad",
        /// Right-pad to a length.
        RPad => "rpad",
        /// Reverse the characters.
        Reverse => "reverse",
        /// Year of a date or timestamp.
        Year => "year",
        /// Month (1–12).
        Month => "month",
        /// Day of month (1–31).
        Day => "day",
        /// Hour (0–23).
        Hour => "hour",
        /// Minute (0–59).
        Minute => "minute",
        /// Second (0–59).
        Second => "second",
        /// Day of week, 0 = Sunday.
        DayOfWeek => "day_of_week",
        /// Day of year (1–366).
        DayOfYear => "day_of_year",
        /// Quarter (1–4).
        Quarter => "quarter",
        /// Truncate a timestamp to a unit (`date_trunc('month', ts)`).
        DateTrunc => "date_trunc",
        /// Format a date or timestamp with a `strftime` pattern.
        Strftime => "strftime",
        /// Absolute value.
        Abs => "abs",
        /// Round to `digits` decimal places (0 if omitted).
        Round => "round",
        /// Largest integer not greater.
        Floor => "floor",
        /// Smallest integer not less.
        Ceil => "ceil",
        /// Square root.
        Sqrt => "sqrt",
        /// e to the power.
        Exp => "exp",
        /// Natural logarithm.
        Ln => "ln",
        /// Base-10 logarithm.
        Log10 => "log10",
        /// Base-2 logarithm.
        Log2 => "log2",
        /// `base ^ exponent`.
        Power => "power",
        /// -1, 0 or 1.
        Sign => "sign",
        /// Largest argument, ignoring nulls.
        Greatest => "greatest",
        /// Smallest argument, ignoring nulls.
        Least => "least",
        /// First non-null argument.
        Coalesce => "coalesce",
        /// Null if both arguments are equal, else the first.
        NullIf => "nullif",
    }
}

catalogue! {
    /// Built-in aggregate functions.
    AggFunc {
        /// Number of non-null values.
        Count => "count",
        /// Number of rows.
        CountStar => "count_star",
        /// Number of distinct non-null values.
        CountDistinct => "count_distinct",
        /// Sum.
        Sum => "sum",
        /// Arithmetic mean.
        Mean => "mean",
        /// Minimum.
        Min => "min",
        /// Maximum.
        Max => "max",
        /// Sample standard deviation.
        Std => "std",
        /// Population standard deviation.
        StdPop => "std_pop",
        /// Sample variance.
        Var => "var",
        /// Population variance.
        VarPop => "var_pop",
        /// First value (in the given order).
        First => "first",
        /// Last value (in the given order).
        Last => "last",
        /// Approximate quantile `q` in [0, 1] (t-digest).
        ApproxQuantile => "approx_quantile",
    }
}

catalogue! {
    /// Window-only functions (aggregates can also be used over a window).
    WindowFunc {
        /// 1, 2, 3, … within the partition.
        RowNumber => "row_number",
        /// Rank with gaps.
        Rank => "rank",
        /// Rank without gaps.
        DenseRank => "dense_rank",
        /// `(rank - 1) / (rows - 1)`.
        PercentRank => "percent_rank",
        /// Cumulative distribution.
        CumeDist => "cume_dist",
        /// Bucket number 1..=n.
        Ntile => "ntile",
        /// Value `offset` rows before.
        Lag => "lag",
        /// Value `offset` rows after.
        Lead => "lead",
        /// First value of the frame.
        FirstValue => "first_value",
        /// Last value of the frame.
        LastValue => "last_value",
        /// An aggregate evaluated over the frame.
        Aggregate => "aggregate",
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

impl ScalarFunc {
    /// Types `args` for this function, or explains why they do not fit.
    pub fn signature(self, args: &[DataType], context: &str) -> Result<Signature> {
        use DataType as T;
        use ScalarFunc as F;
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

    /// Whether every argument is converted to one common type.
    pub fn arguments_share_type(self) -> bool {
        matches!(self, ScalarFunc::Greatest | ScalarFunc::Least | ScalarFunc::Coalesce | ScalarFunc::NullIf)
    }

    /// Whether the result may be null when no argument is (only `nullif` introduces nulls).
    pub fn introduces_nulls(self) -> bool {
        matches!(self, ScalarFunc::NullIf)
    }
}

impl AggFunc {
    /// Types an aggregate call.
    pub fn signature(self, args: &[DataType], context: &str) -> Result<Signature> {
        use AggFunc as A;
        use DataType as T;
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

impl WindowFunc {
    /// Types a window-only function call (aggregates over windows use [`AggFunc::signature`]).
    pub fn signature(self, args: &[DataType], context: &str) -> Result<Signature> {
        use DataType as T;
        use WindowFunc as W;
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
            W::Aggregate => Err(CoreError::Internal("window aggregate typed as window function".into())),
        }
    }
}
