//! `fit(estimator, hyperparameters, [target,] feature, …)`: an aggregate whose value is the
//! fitted model.
//!
//! Rows are collected (partial states carry them in a compact binary form), then sorted before
//! fitting, so the model depends only on the set of training rows, never on the order in which
//! partitions deliver them.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType as ArrowType, Field, FieldRef, Float64Type};
use datafusion::common::{Result as DfResult, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature as DfSignature, Volatility};
use xorq_core::DataType;
use xorq_core::expr::func::{Arg, FunctionDef, Refusal, Signature, Typing};

use crate::error::MlError;
use crate::estimator::{Estimator, Kind, Target, Training};

pub(crate) static FIT_DEF: FunctionDef = FunctionDef::aggregate(
    "fit",
    Typing::Custom(fit_typing),
    "the model an estimator fits on the rows: fit('LogisticRegression', '{\"C\": 1.0}', target, feature, …)",
)
.training();

fn fit_typing(args: &[Arg<'_>]) -> std::result::Result<Signature, Refusal> {
    if args.len() < 3 {
        return Err(Refusal::Arity("at least 3 (estimator, hyperparameters, then target and feature columns)".into()));
    }
    let (Some(name), Some(params)) = (args[0].text(), args[1].text()) else {
        return Err(Refusal::Message(
            "the estimator and its hyperparameters must be text constants, like fit('LinearRegression', '{}', y, x)"
                .into(),
        ));
    };
    let estimator = Estimator::parse(name, params).map_err(|e| Refusal::Message(e.to_string()))?;
    let mut out = vec![DataType::String, DataType::String];
    let features = match estimator.kind() {
        Kind::Clusterer => &args[2..],
        kind => {
            if args.len() < 4 {
                return Err(Refusal::Arity(format!("at least 4 ({name} needs a target and one feature column)")));
            }
            let target = args[2].dtype;
            match kind {
                // Labels of any type are compared as text.
                Kind::Classifier => out.push(DataType::String),
                _ if target.is_numeric() || *target == DataType::Null => out.push(DataType::Float64),
                _ => {
                    return Err(Refusal::Message(format!("{name} predicts numbers; its target is of type {target}")));
                }
            }
            &args[3..]
        }
    };
    out.extend(super::feature_types("fit", features)?);
    Ok(Signature { args: out, result: DataType::Binary })
}

/// DataFusion's implementation of `fit`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Fit {
    signature: DfSignature,
}

impl Fit {
    pub(crate) fn new() -> Self {
        Fit { signature: DfSignature::user_defined(Volatility::Immutable) }
    }
}

impl AggregateUDFImpl for Fit {
    fn name(&self) -> &str {
        "fit"
    }

    fn signature(&self) -> &DfSignature {
        &self.signature
    }

    /// The expression layer has already converted every argument (see the typing rule).
    fn coerce_types(&self, arg_types: &[ArrowType]) -> DfResult<Vec<ArrowType>> {
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, _: &[ArrowType]) -> DfResult<ArrowType> {
        Ok(ArrowType::Binary)
    }

    fn accumulator(&self, _: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(Rows::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format_state_name(args.name, "rows"), ArrowType::Binary, true))])
    }
}

/// The rows collected so far.
#[derive(Debug, Default)]
struct Rows {
    estimator: Option<(String, String)>,
    n_features: usize,
    x: Vec<f64>,
    numbers: Vec<f64>,
    labels: Vec<String>,
    /// The bytes the labels hold, kept as they are added so `size` is not a walk over them.
    label_bytes: usize,
    kind: Option<Kind>,
}

impl Rows {
    fn start(&mut self, name: &str, params: &str, n_features: usize) -> DfResult<()> {
        if let Some((n, p)) = &self.estimator {
            if n != name || p != params || self.n_features != n_features {
                return exec_err!("fit: the estimator and hyperparameters must be the same on every row");
            }
            return Ok(());
        }
        let estimator = Estimator::parse(name, params)?;
        self.kind = Some(estimator.kind());
        self.estimator = Some((name.to_string(), params.to_string()));
        self.n_features = n_features;
        Ok(())
    }

    /// Appends the rows of another state (see [`Rows::encode`]).
    fn decode(&mut self, bytes: &[u8]) -> DfResult<()> {
        let mut r = Reader { bytes, at: 0 };
        let name = r.text()?;
        let params = r.text()?;
        let n_features = r.u64()? as usize;
        self.start(&name, &params, n_features)?;
        let rows = r.u64()? as usize;
        let labelled = r.u64()? == 1;
        for _ in 0..rows * n_features {
            self.x.push(f64::from_bits(r.u64()?));
        }
        match self.kind {
            Some(Kind::Clusterer) => {}
            _ if labelled => {
                for _ in 0..rows {
                    let label = r.text()?;
                    self.label_bytes += label.capacity() + std::mem::size_of::<String>();
                    self.labels.push(label);
                }
            }
            _ => {
                for _ in 0..rows {
                    self.numbers.push(f64::from_bits(r.u64()?));
                }
            }
        }
        Ok(())
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.x.len() * 8 + 64);
        let (name, params) = self.estimator.clone().unwrap_or_default();
        put_text(&mut out, &name);
        put_text(&mut out, &params);
        out.extend((self.n_features as u64).to_le_bytes());
        out.extend((self.rows() as u64).to_le_bytes());
        out.extend((u64::from(self.kind == Some(Kind::Classifier))).to_le_bytes());
        for v in &self.x {
            out.extend(v.to_bits().to_le_bytes());
        }
        for v in &self.numbers {
            out.extend(v.to_bits().to_le_bytes());
        }
        for l in &self.labels {
            put_text(&mut out, l);
        }
        out
    }

    fn rows(&self) -> usize {
        self.x.len().checked_div(self.n_features).unwrap_or(0)
    }

    /// The training rows in a canonical order: by features, then target. Takes the rows out
    /// of the accumulator (it is evaluated once), so nothing is copied twice.
    fn sorted(&mut self) -> Training {
        let n = self.n_features;
        let rows = self.rows();
        let x = std::mem::take(&mut self.x);
        let row = |i: usize| &x[i * n..(i + 1) * n];
        // The first feature almost always decides: sort (key, row) pairs of it as integers (the
        // order of `f64::total_cmp`), then order each run of equal keys by the whole row.
        let key = |v: f64| {
            let bits = v.to_bits() as i64;
            bits ^ ((((bits >> 63) as u64) >> 1) as i64)
        };
        let mut keyed: Vec<(i64, usize)> = (0..rows).map(|i| (x.get(i * n).copied().map_or(0, key), i)).collect();
        keyed.sort_unstable();
        let whole = |&a: &usize, &b: &usize| {
            row(a)
                .iter()
                .zip(row(b))
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| match self.kind {
                    Some(Kind::Classifier) => self.labels[a].cmp(&self.labels[b]),
                    Some(Kind::Regressor) => self.numbers[a].total_cmp(&self.numbers[b]),
                    _ => std::cmp::Ordering::Equal,
                })
        };
        let mut order: Vec<usize> = keyed.iter().map(|&(_, i)| i).collect();
        // Rows equal in every feature and the target are interchangeable, so an unstable sort
        // gives the same training rows in the same order.
        let mut start = 0;
        while start < rows {
            let end = start + keyed[start..].iter().take_while(|k| k.0 == keyed[start].0).count();
            if end - start > 1 {
                order[start..end].sort_unstable_by(whole);
            }
            start = end;
        }
        let mut sorted_x = Vec::with_capacity(x.len());
        for &i in &order {
            sorted_x.extend_from_slice(row(i));
        }
        let y = match self.kind {
            Some(Kind::Classifier) => {
                let mut labels = std::mem::take(&mut self.labels);
                Target::Labels(order.iter().map(|&i| std::mem::take(&mut labels[i])).collect())
            }
            Some(Kind::Regressor) => Target::Numbers(order.iter().map(|&i| self.numbers[i]).collect()),
            _ => Target::None,
        };
        Training { x: sorted_x, n_features: n, y }
    }
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> DfResult<&[u8]> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let Some(end) = end else { return exec_err!("fit: a partial state is truncated") };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u64(&mut self) -> DfResult<u64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    fn text(&mut self) -> DfResult<String> {
        let n = self.u64()? as usize;
        let bytes = self.take(n)?.to_vec();
        String::from_utf8(bytes).map_err(|_| MlError::Fit("a partial state holds text that is not UTF-8".into()).into())
    }
}

impl Accumulator for Rows {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        if values.len() < 3 || values[0].is_empty() {
            return Ok(());
        }
        // Whatever Arrow representation the engine hands over (views, large offsets).
        let (names, params) = (cast(&values[0], &ArrowType::Utf8)?, cast(&values[1], &ArrowType::Utf8)?);
        let (names, params) = (names.as_string::<i32>(), params.as_string::<i32>());
        if names.is_null(0) || params.is_null(0) {
            return exec_err!("fit: the estimator and hyperparameters must not be null");
        }
        let has_target = !matches!(Estimator::parse(names.value(0), params.value(0))?.kind(), Kind::Clusterer);
        let first_feature = if has_target { 3 } else { 2 };
        self.start(names.value(0), params.value(0), values.len() - first_feature)?;
        let features: Vec<ArrayRef> =
            values[first_feature..].iter().map(|a| cast(a, &ArrowType::Float64)).collect::<Result<_, _>>()?;
        let features: Vec<&datafusion::arrow::array::PrimitiveArray<Float64Type>> =
            features.iter().map(|a| a.as_primitive::<Float64Type>()).collect();
        let target = if !has_target {
            None
        } else if self.kind == Some(Kind::Classifier) {
            Some(cast(&values[2], &ArrowType::Utf8)?)
        } else {
            Some(cast(&values[2], &ArrowType::Float64)?)
        };
        for i in 0..values[0].len() {
            for (k, f) in features.iter().enumerate() {
                if f.is_null(i) {
                    return Err(MlError::Fit(format!(
                        "feature {} of a training row is null; filter or impute missing values before fitting",
                        k + 1
                    ))
                    .into());
                }
                self.x.push(f.value(i));
            }
            if let Some(target) = &target {
                if target.is_null(i) {
                    return Err(
                        MlError::Fit("the target of a training row is null; filter those rows first".into()).into()
                    );
                }
                match self.kind {
                    Some(Kind::Classifier) => {
                        let label = target.as_string::<i32>().value(i).to_string();
                        self.label_bytes += label.capacity() + std::mem::size_of::<String>();
                        self.labels.push(label);
                    }
                    _ => self.numbers.push(target.as_primitive::<Float64Type>().value(i)),
                }
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let Some((name, params)) = &self.estimator else {
            return Err(MlError::Fit("there are no training rows".into()).into());
        };
        let estimator = Estimator::parse(name, params)?;
        let model = estimator.fit(&self.sorted())?;
        Ok(ScalarValue::Binary(Some(model.to_bytes())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.x.capacity() * 8 + self.numbers.capacity() * 8 + self.label_bytes
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        if self.estimator.is_none() {
            return Ok(vec![ScalarValue::Binary(None)]);
        }
        Ok(vec![ScalarValue::Binary(Some(self.encode()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let Some(states) = states.first() else { return Ok(()) };
        let states = cast(states, &ArrowType::Binary)?;
        let states: &BinaryArray = states.as_binary::<i32>();
        for i in 0..states.len() {
            if !states.is_null(i) {
                self.decode(states.value(i))?;
            }
        }
        Ok(())
    }
}
