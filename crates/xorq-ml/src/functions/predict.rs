//! `predict`, `predict_class` and `predict_proba`: scalar functions over a model and features.
//!
//! The model argument is usually the same value on every row (a one-row model table joined to
//! the rows to score): it is parsed once and kept while the bytes stay the same.

use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, StringArray, UInt32Array, new_empty_array, new_null_array,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::{cast, concat, take};
use datafusion::arrow::datatypes::{DataType as ArrowType, Float64Type};
use datafusion::common::{Result as DfResult, ScalarValue, exec_err};
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

/// Rows that share one model (`None`: a null model).
type Run = (Range<usize>, Option<Arc<Model>>);

/// The last model parsed: its bytes and the model.
type Parsed = Mutex<Option<(Vec<u8>, Arc<Model>)>>;

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
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        // Comparing the bytes (a memory comparison) is cheaper than hashing them, and exact.
        if let Some((b, m)) = parsed.as_ref()
            && b.as_slice() == bytes
        {
            return Ok(Arc::clone(m));
        }
        let model = Arc::new(Model::from_bytes(bytes)?);
        *parsed = Some((bytes.to_vec(), Arc::clone(&model)));
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
        // Whatever Arrow representation the engine hands over (integers, views, large offsets).
        let features: Vec<ArrayRef> = args.args[skip..]
            .iter()
            .map(|a| Ok(cast(&a.to_array(rows)?, &ArrowType::Float64)?))
            .collect::<DfResult<_>>()?;
        let features: Vec<&Float64Array> = features.iter().map(|a| a.as_primitive::<Float64Type>()).collect();
        let labels = match self.answer {
            Answer::Probability => Some(cast(&args.args[1].to_array(rows)?, &ArrowType::Utf8)?),
            _ => None,
        };
        let labels = labels.as_ref().map(|l| l.as_string::<i32>());
        // A row with a missing feature (or label) has no prediction. The values behind a null
        // are still numbers, so the whole batch is computed column by column and masked after.
        let mut nulls =
            features.iter().fold(None, |acc: Option<NullBuffer>, f| NullBuffer::union(acc.as_ref(), f.nulls()));
        nulls = NullBuffer::union(nulls.as_ref(), labels.and_then(|l| l.nulls()));
        let runs = self.runs(&args.args[0], rows)?;
        let mut parts: Vec<ArrayRef> = Vec::with_capacity(runs.len());
        for (range, model) in runs {
            let len = range.end - range.start;
            let Some(model) = model else {
                parts.push(new_null_array(&self.return_type(&[])?, len));
                continue;
            };
            let columns: Vec<&[f64]> = features.iter().map(|f| &f.values()[range.clone()]).collect();
            let run_nulls = nulls.as_ref().map(|n| n.slice(range.start, len));
            parts.push(match self.answer {
                Answer::Value => Arc::new(Float64Array::new(model.predict_values(&columns)?.into(), run_nulls)),
                Answer::Class => {
                    let classes = StringArray::from_iter_values(model.classes()?);
                    // Class indices are checked against the classes when the model is read.
                    let index: Vec<u32> = model.predict_values(&columns)?.into_iter().map(|c| c as u32).collect();
                    take(&classes, &UInt32Array::new(index.into(), run_nulls), None)?
                }
                Answer::Probability => {
                    let classes = model.classes()?;
                    let p = model.probabilities_of(&columns)?;
                    let labels = labels.map(|l| l.slice(range.start, len));
                    let position = |label: &str| classes.iter().position(|c| c == label);
                    // The usual label is a constant: found once. A label the model never saw
                    // has probability 0.
                    let constant = match &args.args[1] {
                        ColumnarValue::Scalar(_) => Some(
                            labels
                                .as_ref()
                                .and_then(|l| if l.is_empty() || l.is_null(0) { None } else { position(l.value(0)) }),
                        ),
                        ColumnarValue::Array(_) => None,
                    };
                    let values: Vec<f64> = (0..len)
                        .map(|i| {
                            let k = match constant {
                                Some(k) => k,
                                None => labels.as_ref().and_then(|l| position(l.value(i))),
                            };
                            k.map_or(0.0, |k| p[k][i])
                        })
                        .collect();
                    Arc::new(Float64Array::new(values.into(), run_nulls))
                }
            });
        }
        let out = match parts.len() {
            0 => new_empty_array(&self.return_type(&[])?),
            1 => parts.swap_remove(0),
            _ => concat(&parts.iter().map(|p| p.as_ref()).collect::<Vec<_>>())?,
        };
        Ok(ColumnarValue::Array(out))
    }
}

impl Predict {
    /// The rows split into runs that share one model (`None`: a null model): one run for a
    /// model given once (a constant, the usual case: see `xorq_exec`'s broadcast of a one-row
    /// entry), else a run per stretch of equal values, each parsed once.
    fn runs(&self, model: &ColumnarValue, rows: usize) -> DfResult<Vec<Run>> {
        let models = match model {
            ColumnarValue::Scalar(s) => {
                let model = match s.cast_to(&ArrowType::Binary)? {
                    ScalarValue::Binary(Some(bytes)) => Some(self.model(&bytes)?),
                    _ => None,
                };
                return Ok(vec![(0..rows, model)]);
            }
            ColumnarValue::Array(a) => cast(a, &ArrowType::Binary)?,
        };
        let models = models.as_binary::<i32>();
        let value = |i: usize| if models.is_null(i) { None } else { Some(models.value(i)) };
        let mut runs = Vec::new();
        let mut start = 0;
        for i in 1..=rows {
            if i == rows || value(i) != value(start) {
                let model = value(start).map(|bytes| self.model(bytes)).transpose()?;
                runs.push((start..i, model));
                start = i;
            }
        }
        Ok(runs)
    }
}
