//! How a function call is typed: a small vocabulary of argument rules ([`Param`]) and result
//! rules ([`Ret`]) from which most entries of the catalogue are written, plus hand-written rules
//! ([`Typing::Custom`]) for the functions DataFusion types by a rule of their own.
//!
//! Every rule restates DataFusion 55's typing of the function over the IR's logical types: which
//! argument types it accepts, what each argument is converted to, and the result type.
//! `xorq-engines/tests/functions/typing.rs` compares each entry with DataFusion's own signature
//! coercion and return type for every combination of IR types, so a rule that drifts is a failing
//! test.

use std::sync::Arc;

use crate::literal::Literal;
use crate::types::{DataType, TimeUnit};

/// One argument as typing sees it: its type, and its value when it is a constant.
#[derive(Clone, Copy, Debug)]
pub struct Arg<'a> {
    /// The argument's type before any conversion.
    pub dtype: &'a DataType,
    /// The value, when the argument is a literal.
    pub constant: Option<&'a Literal>,
}

impl<'a> Arg<'a> {
    /// An argument of type `dtype` that is not a constant.
    pub fn of(dtype: &'a DataType) -> Self {
        Arg { dtype, constant: None }
    }

    /// The constant text of this argument, if it is a non-null string literal.
    pub fn text(&self) -> Option<&'a str> {
        match self.constant {
            Some(Literal::String(s)) => Some(&**s),
            _ => None,
        }
    }
}

/// How a call is typed: the type each argument is converted to, and the result.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// Argument types after implicit conversions.
    pub args: Vec<DataType>,
    /// Result type.
    pub result: DataType,
}

/// Why a call does not type.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Wrong number of arguments: what the function takes (`"2"`, `"1 to 3"`, `"at least 1"`).
    Arity(String),
    /// The argument types do not fit; an optional hint for the fix.
    Types(Option<&'static str>),
    /// Anything else, as a message naming what is wrong.
    Message(String),
}

/// A fixed type a rule converts to (the IR's [`DataType`] without parameters, so that rules can
/// be constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `Boolean`
    Boolean,
    /// `Int32`
    Int32,
    /// `Int64`
    Int64,
    /// `UInt64`
    UInt64,
    /// `Float64`
    Float64,
    /// `String`
    String,
    /// `Binary`
    Binary,
    /// `Date`
    Date,
    /// `Time`
    Time,
    /// `Interval`
    Interval,
    /// `Timestamp(ns)` without a zone.
    TimestampNs,
    /// `Timestamp(s)` without a zone.
    TimestampS,
}

impl Ty {
    /// The IR type.
    pub fn dtype(self) -> DataType {
        match self {
            Ty::Boolean => DataType::Boolean,
            Ty::Int32 => DataType::Int32,
            Ty::Int64 => DataType::Int64,
            Ty::UInt64 => DataType::UInt64,
            Ty::Float64 => DataType::Float64,
            Ty::String => DataType::String,
            Ty::Binary => DataType::Binary,
            Ty::Date => DataType::Date,
            Ty::Time => DataType::Time,
            Ty::Interval => DataType::Interval,
            Ty::TimestampNs => DataType::Timestamp { unit: TimeUnit::Nanosecond, tz: None },
            Ty::TimestampS => DataType::Timestamp { unit: TimeUnit::Second, tz: None },
        }
    }
}

/// Which integer types an integer argument accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ints {
    /// Every integer type.
    All,
    /// Every integer type that converts to `Int64` without loss (all but `UInt64`).
    Lossless,
    /// `Int32` and `Int64` only.
    Wide,
}

impl Ints {
    fn accepts(self, t: &DataType) -> bool {
        match self {
            Ints::All => t.is_integer(),
            Ints::Lossless => t.is_integer() && *t != DataType::UInt64,
            Ints::Wide => matches!(t, DataType::Int32 | DataType::Int64),
        }
    }
}

/// What one argument position accepts and what it is converted to. An untyped null
/// (`DataType::Null`) is accepted everywhere; the rule says what it becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// Text as it is; a null as `String`.
    Text,
    /// Any value, converted to text (DataFusion casts any type to a string for these).
    AnyText,
    /// Text or bytes as they are; a null as `String`.
    TextOrBinary,
    /// Bytes as they are, text as `Binary`; a null stays untyped.
    Bytes,
    /// An integer of the given kinds, or a null, converted to the given type.
    Int(Ints, Ty),
    /// An integer as it is; a null stays untyped.
    Integer,
    /// `Float32` and `Float64` as they are; other numbers and nulls as `Float64`.
    Float,
    /// Any number or null as `Float64`.
    Float64,
    /// `Float32` and `Float64` as they are, other numbers as `Float64`; a null stays untyped.
    FloatOrNull,
    /// Floats and decimals as they are, integers as `Float64`; a null stays untyped.
    FloatOrDecimal,
    /// Any number as it is; a null as `Float64`.
    Number,
    /// Any number as it is; a null stays untyped.
    NumberOrNull,
    /// `Boolean`, or a null as `Boolean`.
    Boolean,
    /// The given type, or a null as that type.
    Exact(Ty),
    /// Any type as it is.
    Any,
}

impl Param {
    /// The type `t` is converted to, or `None` when the argument does not fit.
    pub fn convert(self, t: &DataType) -> Option<DataType> {
        use DataType as T;
        let null = *t == T::Null;
        Some(match self {
            Param::Text => match t {
                T::String | T::Null => T::String,
                _ => return None,
            },
            Param::AnyText => T::String,
            Param::TextOrBinary => match t {
                T::String | T::Binary => t.clone(),
                T::Null => T::String,
                _ => return None,
            },
            Param::Bytes => match t {
                T::Binary | T::Null => t.clone(),
                T::String => T::Binary,
                _ => return None,
            },
            Param::Int(ints, to) if null || ints.accepts(t) => to.dtype(),
            Param::Int(..) => return None,
            Param::Integer if null || t.is_integer() => t.clone(),
            Param::Integer => return None,
            Param::Float => match t {
                T::Float32 | T::Float64 => t.clone(),
                _ if null || t.is_numeric() => T::Float64,
                _ => return None,
            },
            Param::FloatOrNull => match t {
                T::Float32 | T::Float64 | T::Null => t.clone(),
                _ if t.is_numeric() => T::Float64,
                _ => return None,
            },
            Param::Float64 if null || t.is_numeric() => T::Float64,
            Param::Float64 => return None,
            Param::FloatOrDecimal => match t {
                _ if null || t.is_float() || t.is_decimal() => t.clone(),
                _ if t.is_integer() => T::Float64,
                _ => return None,
            },
            Param::Number if null => T::Float64,
            Param::Number | Param::NumberOrNull if null || t.is_numeric() => t.clone(),
            Param::Number | Param::NumberOrNull => return None,
            Param::Boolean => match t {
                T::Boolean | T::Null => T::Boolean,
                _ => return None,
            },
            Param::Exact(ty) => coerced_from(&ty.dtype(), t)?,
            Param::Any => t.clone(),
        })
    }
}

/// The result type of a call, from its converted arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// Always this type.
    Fixed(Ty),
    /// The converted type of the argument at this position; an untyped null gives `Float64`.
    Arg(usize),
    /// The converted type of the argument at this position, an untyped null included.
    Same(usize),
}

impl Ret {
    fn result(self, args: &[DataType]) -> Option<DataType> {
        match self {
            Ret::Fixed(t) => Some(t.dtype()),
            Ret::Arg(i) => args.get(i).map(|t| if *t == DataType::Null { DataType::Float64 } else { t.clone() }),
            Ret::Same(i) => args.get(i).cloned(),
        }
    }
}

/// A hand-written typing rule.
pub type CustomRule = fn(&[Arg<'_>]) -> Result<Signature, Refusal>;

/// How a function's calls are typed.
#[derive(Clone, Copy, Debug)]
pub enum Typing {
    /// Positional arguments; the first `required` must be given, the rest may be left out.
    Params {
        /// One rule per position.
        params: &'static [Param],
        /// How many leading positions are required.
        required: usize,
        /// The result.
        result: Ret,
    },
    /// Any number (at least `min`) of arguments of one rule.
    Variadic {
        /// The rule every argument follows.
        param: Param,
        /// Fewest arguments.
        min: usize,
        /// The result.
        result: Ret,
    },
    /// A rule of its own.
    Custom(CustomRule),
    /// Not callable by itself (the window pseudo-function that wraps an aggregate).
    Internal,
}

/// `params`, all required.
pub const fn params(params: &'static [Param], result: Ret) -> Typing {
    Typing::Params { params, required: params.len(), result }
}

/// `params`, of which the first `required` are required.
pub const fn optional(params: &'static [Param], required: usize, result: Ret) -> Typing {
    Typing::Params { params, required, result }
}

pub(crate) fn arity_text(min: usize, max: usize) -> String {
    if min == max {
        min.to_string()
    } else if max == usize::MAX {
        format!("at least {min}")
    } else {
        format!("{min} to {max}")
    }
}

/// Checks the number of arguments.
pub fn arity(args: &[Arg<'_>], min: usize, max: usize) -> Result<(), Refusal> {
    if (min..=max).contains(&args.len()) { Ok(()) } else { Err(Refusal::Arity(arity_text(min, max))) }
}

impl Typing {
    /// Types a call with `args`.
    pub fn apply(&self, args: &[Arg<'_>]) -> Result<Signature, Refusal> {
        match *self {
            Typing::Params { params, required, result } => {
                arity(args, required, params.len())?;
                let converted = args
                    .iter()
                    .zip(params)
                    .map(|(a, p)| p.convert(a.dtype))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(Refusal::Types(None))?;
                let result = result.result(&converted).ok_or(Refusal::Types(None))?;
                Ok(Signature { args: converted, result })
            }
            Typing::Variadic { param, min, result } => {
                arity(args, min, usize::MAX)?;
                let converted = args
                    .iter()
                    .map(|a| param.convert(a.dtype))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(Refusal::Types(None))?;
                let result = result.result(&converted).ok_or(Refusal::Types(None))?;
                Ok(Signature { args: converted, result })
            }
            Typing::Custom(rule) => rule(args),
            Typing::Internal => Err(Refusal::Message("this function is not called by itself".into())),
        }
    }

    /// The fewest and most arguments a call may have, when the rule says so by its shape.
    pub fn arity(&self) -> Option<(usize, usize)> {
        match *self {
            Typing::Params { params, required, .. } => Some((required, params.len())),
            Typing::Variadic { min, .. } => Some((min, usize::MAX)),
            Typing::Custom(_) | Typing::Internal => None,
        }
    }
}

/// DataFusion's `coerced_from` (`type_coercion::functions`): the type a value of `from` takes
/// where a function wants `into`, over the IR's types.
pub fn coerced_from(into: &DataType, from: &DataType) -> Option<DataType> {
    use DataType as T;
    if into == from {
        return Some(into.clone());
    }
    let ok = match (into, from) {
        (T::Int8, T::Null) => true,
        (T::Int16, T::Null | T::Int8 | T::UInt8) => true,
        (T::Int32, T::Null | T::Int8 | T::Int16 | T::UInt8 | T::UInt16) => true,
        (T::Int64, T::Null | T::Int8 | T::Int16 | T::Int32 | T::UInt8 | T::UInt16 | T::UInt32) => true,
        (T::UInt8, T::Null) => true,
        (T::UInt16, T::Null | T::UInt8) => true,
        (T::UInt32, T::Null | T::UInt8 | T::UInt16) => true,
        (T::UInt64, T::Null | T::UInt8 | T::UInt16 | T::UInt32) => true,
        (T::Float32, f) => *f == T::Null || f.is_integer(),
        (T::Float64, f) => *f == T::Null || f.is_numeric(),
        (
            T::Timestamp { unit: TimeUnit::Nanosecond, tz: None },
            T::Null | T::Timestamp { tz: None, .. } | T::Date | T::String,
        ) => true,
        (T::Interval, T::Null | T::String) => true,
        (T::String, _) => true,
        (T::Timestamp { tz: Some(_), .. }, T::Null | T::Timestamp { .. } | T::Date | T::String) => true,
        (_, T::Null) => true,
        _ => false,
    };
    ok.then(|| into.clone())
}

/// A timestamp type with the given unit and zone.
pub(crate) fn timestamp(unit: TimeUnit, tz: Option<Arc<str>>) -> DataType {
    DataType::Timestamp { unit, tz }
}
