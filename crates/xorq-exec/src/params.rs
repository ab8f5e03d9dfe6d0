//! Values for named parameters, checked against the parameters an expression declares.

use std::collections::BTreeMap;

use xorq_core::error::closest;
use xorq_core::expr::{LiteralValue, Param};
use xorq_core::{DataType, Literal, Table};
use xorq_engines::EngineError;
use xorq_engines::datafusion::ParamValues;

use crate::error::Result;

/// Parameter values for one run.
///
/// ```
/// use xorq_exec::Params;
/// let p = Params::new().set("threshold", 250.0).set("region", "EU");
/// assert_eq!(p.len(), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Params {
    values: BTreeMap<String, LiteralValue>,
}

impl Params {
    /// No values: every parameter takes its default.
    pub fn new() -> Self {
        Params::default()
    }

    /// Binds `name` to `value`.
    pub fn set(mut self, name: &str, value: impl Into<LiteralValue>) -> Self {
        self.values.insert(name.to_string(), value.into());
        self
    }

    /// Binds `name` to text to be parsed as the parameter's type (for `-p name=value`).
    pub fn set_text(self, name: &str, text: &str) -> Self {
        self.set(name, Literal::String(text.into()))
    }

    /// Number of bound values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing is bound.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values converted to the types `table` declares; errors name unknown parameters and
    /// values of the wrong type.
    pub fn resolve(&self, table: &Table) -> Result<ParamValues> {
        let declared = table.params()?;
        let mut out = ParamValues::new();
        for (name, value) in &self.values {
            let Some(param) = declared.iter().find(|p| &p.name == name) else {
                let known: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
                return Err(EngineError::UnknownParam {
                    name: name.clone(),
                    suggestion: closest(name, known.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default(),
                    known: if known.is_empty() { "(none)".into() } else { known.join(", ") },
                }
                .into());
            };
            out.insert(name.clone(), convert(param, value.clone())?);
        }
        Ok(out)
    }
}

fn convert(param: &Param, value: LiteralValue) -> Result<Literal> {
    let literal = value.into_literal();
    let wrong = |shown: String| EngineError::ParamType {
        name: param.name.clone(),
        expected: param.dtype.to_string(),
        value: shown,
    };
    if let Literal::String(text) = &literal
        && param.dtype != DataType::String
    {
        return Literal::parse_as(&param.dtype, text).ok_or_else(|| wrong(format!("`{text}`")).into());
    }
    literal.convert_exact(&param.dtype).ok_or_else(|| wrong(literal.to_string()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parses_by_type() {
        assert_eq!(Literal::parse_as(&DataType::Int8, "12"), Some(Literal::Int8(12)));
        assert_eq!(Literal::parse_as(&DataType::Int8, "300"), None);
        assert_eq!(Literal::parse_as(&DataType::Float64, "2"), Some(Literal::Float64(2.0)));
        assert_eq!(Literal::parse_as(&DataType::Boolean, "Yes"), Some(Literal::Boolean(true)));
        assert_eq!(Literal::parse_as(&DataType::Date, "2024-02-29"), Literal::date("2024-02-29").ok());
        assert_eq!(
            Literal::parse_as(&DataType::Decimal { precision: 10, scale: 2 }, "1.25"),
            Some(Literal::Decimal { value: 125, precision: 10, scale: 2 })
        );
        assert_eq!(Literal::parse_as(&DataType::Decimal { precision: 10, scale: 2 }, "1.255"), None);
    }
}
