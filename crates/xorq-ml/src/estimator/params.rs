//! Hyperparameters: scikit-learn's names, defaults and accepted values, checked before fitting.

use serde_json::{Map, Value};

use crate::error::{MlError, Result};

/// One hyperparameter: its name, default, and the values this implementation supports.
#[derive(Clone, Copy, Debug)]
pub struct Hyper {
    /// scikit-learn's name.
    pub name: &'static str,
    /// What it accepts.
    pub accepts: Accepts,
    /// The default, as JSON text.
    pub default: &'static str,
}

/// The values a hyperparameter accepts.
#[derive(Clone, Copy, Debug)]
pub enum Accepts {
    /// A number greater than zero.
    Positive,
    /// An integer of at least this value.
    IntAtLeast(i64),
    /// An integer of at least this value, or null.
    IntAtLeastOrNull(i64),
    /// A number of at least zero.
    NonNegative,
    /// true or false.
    Bool,
    /// One of these strings (or null when `null` is listed).
    OneOf(&'static [&'static str]),
    /// An integer, or null (a seed: our fits are deterministic whatever its value).
    Seed,
    /// Only this JSON value (a setting this implementation has one way of doing).
    Only(&'static str),
    /// Two numbers `[low, high]` with `low < high`.
    Range,
    /// A number, or null.
    NumberOrNull,
    /// `OneHotEncoder`'s categories: a list per feature, or an object of lists by feature name.
    Categories,
}

impl Hyper {
    /// An entry.
    pub const fn new(name: &'static str, accepts: Accepts, default: &'static str) -> Hyper {
        Hyper { name, accepts, default }
    }

    fn check(&self, estimator: &str, v: &Value) -> Result<()> {
        let ok = match self.accepts {
            Accepts::Positive => v.as_f64().is_some_and(|x| x > 0.0 && x.is_finite()),
            Accepts::NonNegative => v.as_f64().is_some_and(|x| x >= 0.0 && x.is_finite()),
            Accepts::IntAtLeast(min) => v.as_i64().is_some_and(|x| x >= min),
            Accepts::IntAtLeastOrNull(min) => v.is_null() || v.as_i64().is_some_and(|x| x >= min),
            Accepts::Bool => v.is_boolean(),
            Accepts::OneOf(values) => match v {
                Value::Null => values.contains(&"null"),
                Value::String(s) => values.contains(&s.as_str()),
                _ => false,
            },
            Accepts::Seed => v.is_null() || v.as_i64().is_some(),
            Accepts::Only(text) => serde_json::from_str::<Value>(text).is_ok_and(|only| only == *v),
            Accepts::Range => v.as_array().is_some_and(|r| {
                matches!(r.as_slice(), [a, b] if a.as_f64().zip(b.as_f64()).is_some_and(|(a, b)| a < b && a.is_finite() && b.is_finite()))
            }),
            Accepts::NumberOrNull => v.is_null() || v.as_f64().is_some_and(f64::is_finite),
            Accepts::Categories => match v {
                Value::Array(lists) => lists.iter().all(Value::is_array),
                Value::Object(lists) => lists.values().all(Value::is_array),
                _ => false,
            },
        };
        if ok {
            return Ok(());
        }
        let wanted = match self.accepts {
            Accepts::Positive => "a number greater than 0".to_string(),
            Accepts::NonNegative => "a number of at least 0".to_string(),
            Accepts::IntAtLeast(min) => format!("an integer of at least {min}"),
            Accepts::IntAtLeastOrNull(min) => format!("an integer of at least {min}, or null"),
            Accepts::Bool => "true or false".to_string(),
            Accepts::OneOf(values) => format!("one of {}", values.join(", ")),
            Accepts::Seed => "an integer or null".to_string(),
            Accepts::Only(text) => format!("only {text}"),
            Accepts::Range => "two numbers [low, high] with low < high".to_string(),
            Accepts::NumberOrNull => "a number or null".to_string(),
            Accepts::Categories => "the categories given, not learned (\"auto\" would make the columns a pipeline \
                                    writes depend on the data): a list of categories per feature, like \
                                    [[\"Biscoe\", \"Dream\"]], or an object of lists by feature name, like \
                                    {\"island\": [\"Biscoe\", \"Dream\"]}, whose other features pass through"
                .to_string(),
        };
        Err(MlError::Hyperparameter(format!(
            "{estimator}: `{}` = {v} is not supported here; it takes {wanted}",
            self.name
        )))
    }
}

/// Every hyperparameter of `hyper` with its value: `given` checked (unknown names refused with
/// the known ones listed), the rest defaults.
pub(crate) fn resolve(estimator: &str, hyper: &[Hyper], given: &Map<String, Value>) -> Result<Map<String, Value>> {
    for name in given.keys() {
        if !hyper.iter().any(|h| h.name == name) {
            let known: Vec<&str> = hyper.iter().map(|h| h.name).collect();
            return Err(MlError::Hyperparameter(format!(
                "{estimator} has no hyperparameter `{name}` here; it takes {}",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )));
        }
    }
    let mut out = Map::new();
    for h in hyper {
        let value = match given.get(h.name) {
            Some(v) => v.clone(),
            // Defaults are literals of this crate, so they parse.
            None => serde_json::from_str(h.default).unwrap_or(Value::Null),
        };
        h.check(estimator, &value)?;
        out.insert(h.name.to_string(), value);
    }
    Ok(out)
}

/// The number `name` of checked `params`.
pub(crate) fn number(params: &Map<String, Value>, name: &str) -> f64 {
    params.get(name).and_then(Value::as_f64).unwrap_or_default()
}

/// The integer `name` of checked `params`, if it is not null.
pub(crate) fn int(params: &Map<String, Value>, name: &str) -> Option<i64> {
    params.get(name).and_then(Value::as_i64)
}

/// The boolean `name` of checked `params`.
pub(crate) fn flag(params: &Map<String, Value>, name: &str) -> bool {
    params.get(name).and_then(Value::as_bool).unwrap_or_default()
}

/// The string `name` of checked `params`, if it is not null.
pub(crate) fn text<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    params.get(name).and_then(Value::as_str)
}
