//! `predict`, `predict_class` and `predict_proba`: scalar functions over a model and features.
//!
//! The model argument is usually the same value on every row (a one-row model table joined to
//! the rows to score): it is parsed once and kept while the bytes stay the same.

use std::sync::{Arc, Mutex, PoisonError};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Builder, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType as ArrowType, Float64Type};
use datafusion::common::{Result as DfResult, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature as DfSignature, Volatility,
};
use xorq_core::DataType;
use xorq_core::expr::func::{Arg, FunctionDef, Refusal, Signature, Typing};

use crate::model::Model;

pub(crate) static PREDICT_DEF: FunctionDef = FunctionDef::scalar(
    "predict",
    Typing::Custom(predict_typing),
    "the number a fitted regressor predicts (or the cluster of a k-means model): predict(model, feature, …)",
);
pub(crate) static PREDICT_CLASS_DEF: FunctionDef = FunctionDef::scalar(
    "predict_class",
    Typing::Custom(predict_class_typing),
    "the label a fitted classifier predicts: predict_class(model, feature, …)",
);
pub(crate) static PREDICT_PROBA_DEF: FunctionDef = FunctionDef::scalar(
    "predict_proba",
    Typing::Custom(predict_proba_typing),
    "the probability a fitted classifier gives a label: predict_proba(model, label, feature, …)",
);

fn features(name: &str, model: &Arg<'_>, rest: &[Arg<'_>]) -> std::result::Result<Vec<DataType>, Refusal> {
    if !matches!(model.dtype, DataType::Binary | DataType::Null) {
        return Err(Refusal::Message(format!(
            "the first argument of {name} is a model (the Binary value of `fit`), not {}",
            model.dtype
        )));
    }
    if rest.is_empty() {
        return Err(Refusal::Arity("a model and at least one feature".into()));
    }
    let mut out = vec![DataType::Binary];
    out.extend(super::feature_types(name, rest)?);
    Ok(out)
}

fn predict_typing(args: &[Arg<'_>]) -> std::result::Result<Signature, Refusal> {
    let Some((model, rest)) = args.split_first() else { return Err(Refusal::Arity("at least 2".into())) };
    Ok(Signature { args: features("predict", model, rest)?, result: DataType::Float64 })
}

fn predict_class_typing(args: &[Arg<'_>]) -> std::result::Result<Signature, Refusal> {
    let Some((model, rest)) = args.split_first() else { return Err(Refusal::Arity("at least 2".into())) };
    Ok(Signature { args: features("predict_class", model, rest)?, result: DataType::String })
}

fn predict_proba_typing(args: &[Arg<'_>]) -> std::result::Result<Signature, Refusal> {
    if args.len() < 3 {
        return Err(Refusal::Arity("at least 3 (a model, a label, then features)".into()));
    }
    let mut out = features("predict_proba", &args[0], &args[2..])?;
    out.insert(1, DataType::String);
    Ok(Signature { args: out, result: DataType::Float64 })
}

/// What a prediction function answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Answer {
    Value,
    Class,
    Probability,
}

/// The last model parsed: its bytes' hash and the model.
type Parsed = Mutex<Option<(blake3::Hash, Arc<Model>)>>;

#[derive(Debug)]
struct Predict {
    answer: Answer,
    signature: DfSignature,
    parsed: Parsed,
}

impl PartialEq for Predict {
    fn eq(&self, other: &Self) -> bool {
        self.answer == other.answer
    }
}
impl Eq for Predict {}
impl std::hash::Hash for Predict {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.answer.hash(state);
    }
}

pub(crate) fn udf(answer: Answer) -> ScalarUDF {
    ScalarUDF::new_from_impl(Predict {
        answer,
        signature: DfSignature::user_defined(Volatility::Immutable),
        parsed: Mutex::new(None),
    })
}

impl Predict {
    fn model(&self, bytes: &[u8]) -> DfResult<Arc<Model>> {
        let hash = blake3::hash(bytes);
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((h, m)) = parsed.as_ref()
            && *h == hash
        {
            return Ok(Arc::clone(m));
        }
        let model = Arc::new(Model::from_bytes(bytes)?);
        *parsed = Some((hash, Arc::clone(&model)));
        Ok(model)
    }
}

impl ScalarUDFImpl for Predict {
    fn name(&self) -> &str {
        match self.answer {
            Answer::Value => "predict",
            Answer::Class => "predict_class",
            Answer::Probability => "predict_proba",
        }
    }

    fn signature(&self) -> &DfSignature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[ArrowType]) -> DfResult<Vec<ArrowType>> {
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, _: &[ArrowType]) -> DfResult<ArrowType> {
        Ok(if self.answer == Answer::Class { ArrowType::Utf8 } else { ArrowType::Float64 })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let skip = if self.answer == Answer::Probability { 2 } else { 1 };
        if args.args.len() <= skip {
            return exec_err!("{}: a model and at least one feature are needed", self.name());
        }
        // A model given once (a constant: the usual case, see `xorq_exec`'s broadcast of a
        // one-row entry) is parsed once and never copied per row.
        let one_model = match &args.args[0] {
            ColumnarValue::Scalar(s) => Some(match s.cast_to(&ArrowType::Binary)? {
                datafusion::common::ScalarValue::Binary(Some(bytes)) => Some(self.model(&bytes)?),
                _ => None,
            }),
            ColumnarValue::Array(_) => None,
        };
        // Whatever Arrow representation the engine hands over (views, large offsets).
        let models = match one_model {
            Some(_) => None,
            None => Some(cast(&args.args[0].to_array(rows)?, &ArrowType::Binary)?),
        };
        let models = models.as_ref().map(|m| m.as_binary::<i32>());
        let labels = if self.answer == Answer::Probability {
            Some(cast(&args.args[1].to_array(rows)?, &ArrowType::Utf8)?)
        } else {
            None
        };
        let labels = labels.as_ref().map(|l| l.as_string::<i32>());
        let features: Vec<ArrayRef> = args.args[skip..]
            .iter()
            .map(|a| Ok(cast(&a.to_array(rows)?, &ArrowType::Float64)?))
            .collect::<DfResult<_>>()?;
        let features: Vec<_> = features.iter().map(|a| a.as_primitive::<Float64Type>().clone()).collect();
        let mut numbers = Float64Builder::with_capacity(rows);
        let mut texts = StringBuilder::new();
        let mut row = vec![0.0; features.len()];
        let mut current: Option<(&[u8], Arc<Model>)> = None;
        for i in 0..rows {
            let missing = models.is_some_and(|m| m.is_null(i))
                || matches!(one_model, Some(None))
                || features.iter().any(|f| f.is_null(i))
                || labels.is_some_and(|l| l.is_null(i));
            if missing {
                numbers.append_null();
                texts.append_null();
                continue;
            }
            let model = match (&one_model, models) {
                (Some(Some(m)), _) => Arc::clone(m),
                (_, Some(models)) => {
                    let bytes = models.value(i);
                    match &current {
                        // The same value (by place, or by content hash in `model`) is parsed once.
                        Some((b, m)) if b.as_ptr() == bytes.as_ptr() && b.len() == bytes.len() => Arc::clone(m),
                        _ => {
                            let m = self.model(bytes)?;
                            current = Some((bytes, Arc::clone(&m)));
                            m
                        }
                    }
                }
                _ => return exec_err!("{}: no model", self.name()),
            };
            for (slot, f) in row.iter_mut().zip(&features) {
                *slot = f.value(i);
            }
            match self.answer {
                Answer::Value => numbers.append_value(model.predict_value(&row)?),
                Answer::Class => texts.append_value(model.predict_class(&row)?),
                Answer::Probability => {
                    let label = labels.map(|l| l.value(i)).unwrap_or_default();
                    let crate::model::Output::Classes { classes } = &model.output else {
                        return Err(crate::MlError::Predict(format!(
                            "a {} model has no class probabilities",
                            model.estimator
                        ))
                        .into());
                    };
                    let p = model.probabilities(&row)?;
                    // A label the model never saw has probability 0.
                    numbers.append_value(classes.iter().position(|c| c == label).map_or(0.0, |k| p[k]));
                }
            }
        }
        let out: ArrayRef =
            if self.answer == Answer::Class { Arc::new(texts.finish()) } else { Arc::new(numbers.finish()) };
        Ok(ColumnarValue::Array(out))
    }
}
