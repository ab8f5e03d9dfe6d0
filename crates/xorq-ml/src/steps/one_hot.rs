//! `OneHotEncoder`: one 0/1 column per category of a text or integer feature.
//!
//! The categories are a parameter, as scikit-learn's `categories=[[…], …]` (one list per
//! feature, in order) or `{"island": [...]}` (those features encoded, the others passed
//! through, as a `ColumnTransformer` with `remainder="passthrough"` would). They are never
//! learned from the rows (`"auto"` is refused), so the columns a pipeline writes are known when
//! it is built, as every expression's schema is.
//!
//! Values are compared as text (an integer feature's categories may be given as numbers).
//! `handle_unknown="error"` (scikit-learn's default) stops the query at the first value that is
//! not a category, naming it, through the registered function `one_hot_check`; `"ignore"` gives
//! it all zeros. `drop="first"` leaves out each feature's first category. The columns are named
//! as scikit-learn names them: `island_Biscoe`.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::{Result as DfResult, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature as DfSignature, Volatility,
};
use serde_json::Value;
use xorq_core::expr::func::{Arg, FunctionDef, Refusal, Signature, Typing};
use xorq_core::{DataType, Expr, Table, col, lit, when};

use super::{Feature, Step};
use crate::error::{MlError, Result};
use crate::estimator::Hyper;
use crate::estimator::params::Accepts;

pub(crate) const ONE_HOT_ENCODER: &[Hyper] = &[
    Hyper::new("categories", Accepts::Categories, "\"auto\""),
    Hyper::new("handle_unknown", Accepts::OneOf(&["error", "ignore"]), "\"error\""),
    Hyper::new("drop", Accepts::OneOf(&["first", "null"]), "null"),
    // The columns are the same whichever way scikit-learn would store them.
    Hyper::new("sparse_output", Accepts::Bool, "true"),
    Hyper::new("min_frequency", Accepts::Only("null"), "null"),
    Hyper::new("max_categories", Accepts::Only("null"), "null"),
    Hyper::new("feature_name_combiner", Accepts::Only("\"concat\""), "\"concat\""),
];

/// A category as text: strings as they are, integers and booleans as they print.
fn category_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Checks one list of categories: text or integers, at least one, no repeats.
fn category_list(feature: &str, list: &[Value]) -> Result<Vec<String>> {
    let bad = |why: String| Err(MlError::Hyperparameter(format!("OneHotEncoder: the categories of {feature} {why}")));
    if list.is_empty() {
        return bad("are empty".into());
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for v in list {
        let Some(text) = category_text(v) else {
            return bad(format!("hold {v}; categories are text or integers"));
        };
        if !seen.insert(text.clone()) {
            return bad(format!("name `{text}` twice"));
        }
        out.push(text);
    }
    Ok(out)
}

/// Checks the `categories` parameter's lists (which features they are for is checked when
/// the step meets its features).
pub(crate) fn check_categories(categories: &Value) -> Result<()> {
    match categories {
        Value::Array(lists) => {
            for (i, l) in lists.iter().enumerate() {
                category_list(&format!("feature {}", i + 1), l.as_array().map_or(&[], Vec::as_slice))?;
            }
        }
        Value::Object(lists) => {
            for (name, l) in lists {
                category_list(&format!("`{name}`"), l.as_array().map_or(&[], Vec::as_slice))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The categories of each input (`None`: passed through).
fn per_input(step: &Step, inputs: &[Feature]) -> Result<Vec<Option<Vec<String>>>> {
    match &step.params["categories"] {
        Value::Array(lists) => {
            if lists.len() != inputs.len() {
                return Err(MlError::Hyperparameter(format!(
                    "OneHotEncoder: `categories` has {} lists for {} features ({}); give one per feature, or an \
                     object naming the features to encode",
                    lists.len(),
                    inputs.len(),
                    inputs.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            inputs
                .iter()
                .zip(lists)
                .map(|(f, l)| {
                    category_list(&format!("`{}`", f.name), l.as_array().map_or(&[], Vec::as_slice)).map(Some)
                })
                .collect()
        }
        Value::Object(lists) => {
            if let Some(unknown) = lists.keys().find(|k| !inputs.iter().any(|f| &f.name == *k)) {
                return Err(MlError::Hyperparameter(format!(
                    "OneHotEncoder: `categories` names `{unknown}`, which is not a feature here ({})",
                    inputs.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            inputs
                .iter()
                .map(|f| {
                    lists
                        .get(&f.name)
                        .map(|l| category_list(&format!("`{}`", f.name), l.as_array().map_or(&[], Vec::as_slice)))
                        .transpose()
                })
                .collect()
        }
        // Refused when the parameters were read.
        other => Err(MlError::Hyperparameter(format!("OneHotEncoder: `categories` = {other} is not supported"))),
    }
}

/// `rows` with each encoded input's categories as 0/1 columns; other inputs pass through.
pub(crate) fn apply(step: &Step, rows: &Table, inputs: &[Feature], prefix: &str) -> Result<(Table, Vec<Feature>)> {
    let categories = per_input(step, inputs)?;
    let strict = step.params["handle_unknown"] == "error";
    let drop_first = step.params["drop"] == "first";
    // First the values as text (checked against the categories under "error"), then the
    // indicators over them, so each value is converted and checked once.
    let mut staged: Vec<Expr> = rows.columns().into_iter().map(col).collect();
    for (f, cats) in inputs.iter().zip(&categories) {
        let Some(cats) = cats else { continue };
        let Some(field) = rows.schema().field(&f.column) else {
            return Err(MlError::Fit(format!("OneHotEncoder: there is no column `{}`", f.column)));
        };
        if !(field.dtype.is_integer() || matches!(field.dtype, DataType::String | DataType::Boolean)) {
            return Err(MlError::Fit(format!(
                "OneHotEncoder: feature `{}` is of type {}; it encodes text, integer or boolean features",
                f.name, field.dtype
            )));
        }
        let mut value = col(f.column.as_str()).cast(DataType::String);
        if strict {
            let h = crate::functions::handles()?;
            let mut args = vec![value, lit(f.name.as_str())];
            args.extend(cats.iter().map(|c| lit(c.as_str())));
            value = Expr::call_function(h.one_hot_check, args);
        }
        staged.push(value.alias(format!("{prefix}v_{}", f.name).as_str()));
    }
    let staged = rows.select(staged)?;
    let mut out: Vec<Expr> = rows.columns().into_iter().map(col).collect();
    let mut written = Vec::new();
    for (f, cats) in inputs.iter().zip(&categories) {
        let Some(cats) = cats else {
            written.push(f.clone());
            continue;
        };
        let value = format!("{prefix}v_{}", f.name);
        for c in cats.iter().skip(usize::from(drop_first)) {
            let name = format!("{}_{c}", f.name);
            let column = format!("{prefix}x_{name}");
            let indicator = when(col(value.as_str()).eq(lit(c.as_str()))).then(lit(1.0)).otherwise(lit(0.0));
            out.push(indicator.alias(column.as_str()));
            written.push(Feature { column, name });
        }
    }
    let mut names = HashSet::new();
    if let Some(twice) = written.iter().find(|f| !names.insert(f.name.as_str())) {
        return Err(MlError::Fit(format!(
            "OneHotEncoder: two features would be named `{}`; rename a column or a category",
            twice.name
        )));
    }
    Ok((staged.select(out)?, written))
}

pub(crate) static ONE_HOT_CHECK_DEF: FunctionDef = FunctionDef::scalar(
    "one_hot_check",
    Typing::Custom(check_typing),
    "the value if it is one of the categories, else an error naming it (OneHotEncoder's \
     handle_unknown=\"error\"): one_hot_check(value, feature, category, …)",
);

fn check_typing(args: &[Arg<'_>]) -> std::result::Result<Signature, Refusal> {
    if args.len() < 3 {
        return Err(Refusal::Arity("at least 3 (a value, the feature's name, then its categories)".into()));
    }
    if args[1..].iter().any(|a| a.text().is_none()) {
        return Err(Refusal::Message("the feature's name and its categories must be text constants".into()));
    }
    Ok(Signature { args: vec![DataType::String; args.len()], result: DataType::String })
}

/// The implementation of `one_hot_check`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct OneHotCheck {
    signature: DfSignature,
}

impl OneHotCheck {
    pub(crate) fn new() -> OneHotCheck {
        OneHotCheck { signature: DfSignature::user_defined(Volatility::Immutable) }
    }
}

/// The text of constant argument `i`.
fn constant(args: &[ColumnarValue], i: usize) -> DfResult<String> {
    match &args[i] {
        ColumnarValue::Scalar(s) => match s.cast_to(&ArrowType::Utf8)? {
            datafusion::common::ScalarValue::Utf8(Some(t)) => Ok(t),
            _ => exec_err!("one_hot_check: argument {} must be text", i + 1),
        },
        ColumnarValue::Array(_) => exec_err!("one_hot_check: argument {} must be a constant", i + 1),
    }
}

impl ScalarUDFImpl for OneHotCheck {
    fn name(&self) -> &str {
        "one_hot_check"
    }

    fn signature(&self) -> &DfSignature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[ArrowType]) -> DfResult<Vec<ArrowType>> {
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, _: &[ArrowType]) -> DfResult<ArrowType> {
        Ok(ArrowType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        if args.args.len() < 3 {
            return exec_err!("one_hot_check: a value, a feature name and categories are needed");
        }
        let feature = constant(&args.args, 1)?;
        let categories: Vec<String> = (2..args.args.len()).map(|i| constant(&args.args, i)).collect::<DfResult<_>>()?;
        let known: HashSet<&str> = categories.iter().map(String::as_str).collect();
        let values: ArrayRef = cast(&args.args[0].to_array(args.number_rows)?, &ArrowType::Utf8)?;
        let text = values.as_string::<i32>();
        for i in 0..text.len() {
            let unknown = if text.is_null(i) { None } else { Some(text.value(i)) };
            if unknown.is_some_and(|v| known.contains(v)) {
                continue;
            }
            let what = match unknown {
                Some(v) => format!("the value `{v}`, which is not one of its categories ({})", categories.join(", ")),
                None => "a missing value".to_string(),
            };
            return Err(MlError::Predict(format!(
                "OneHotEncoder: feature `{feature}` has {what}; add it to `categories`, impute or filter it, or set \
                 handle_unknown to \"ignore\" (all zeros)"
            ))
            .into());
        }
        Ok(ColumnarValue::Array(Arc::new(text.clone())))
    }
}
