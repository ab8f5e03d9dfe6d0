//! ML pipelines (`xo.Pipeline`) and deterministic splits (`xo.train_test_splits`) over
//! `xorq::ml`: fitting is a deferred, cached expression, predicting adds a column.

use pyo3::prelude::*;
use xorq::ml::steps::Step;
use xorq::ml::{Estimator, FittedPipeline, Pipeline};

use crate::errors::ml_to_py;
use crate::table::PyTable;

/// Steps then an estimator, by scikit-learn's class names and hyperparameters.
#[pyclass(name = "NativePipeline", module = "xorq_rs", frozen)]
pub(crate) struct PyPipeline {
    pipeline: Pipeline,
}

/// A pipeline whose model is the deferred, cached fit on a training expression.
#[pyclass(name = "FittedPipeline", module = "xorq_rs", frozen)]
pub(crate) struct PyFittedPipeline {
    fitted: FittedPipeline,
}

/// A pipeline of `steps` (each `(class name, JSON hyperparameters)`) then `estimator`.
#[pyfunction]
pub(crate) fn ml_pipeline(estimator: (String, String), steps: Vec<(String, String)>) -> PyResult<PyPipeline> {
    let mut pipeline = Pipeline::new(Estimator::parse(&estimator.0, &estimator.1).map_err(ml_to_py)?);
    for (name, params) in steps {
        pipeline = pipeline.step(Step::parse(&name, &params).map_err(ml_to_py)?);
    }
    Ok(PyPipeline { pipeline })
}

#[pymethods]
impl PyPipeline {
    /// The model fitted on `train`'s `features` (and `target`), deferred: nothing runs until
    /// a prediction (or the model) is executed, and the fit is cached by the training
    /// expression's address and the hyperparameters.
    #[pyo3(signature = (train, features, target = None))]
    fn fit(&self, train: &PyTable, features: Vec<String>, target: Option<String>) -> PyResult<PyFittedPipeline> {
        let features: Vec<&str> = features.iter().map(String::as_str).collect();
        let fitted = self.pipeline.fit(&train.table, &features, target.as_deref()).map_err(ml_to_py)?;
        Ok(PyFittedPipeline { fitted })
    }
}

#[pymethods]
impl PyFittedPipeline {
    /// `test` with a `predicted` column.
    fn predict(&self, test: &PyTable) -> PyResult<PyTable> {
        Ok(PyTable { table: self.fitted.predict(&test.table).map_err(ml_to_py)? })
    }

    /// `test` with the probability of class `label`.
    fn predict_proba(&self, test: &PyTable, label: &str) -> PyResult<PyTable> {
        Ok(PyTable { table: self.fitted.predict_proba(&test.table, label).map_err(ml_to_py)? })
    }

    /// The features as the estimator reads them (after the steps), named as scikit-learn names
    /// them.
    fn transform(&self, rows: &PyTable) -> PyResult<PyTable> {
        Ok(PyTable { table: self.fitted.transform(&rows.table).map_err(ml_to_py)? })
    }

    /// The fitted model: a deferred one-row table (column `model`).
    #[getter]
    fn model(&self) -> PyTable {
        PyTable { table: self.fitted.model().clone() }
    }

    /// The feature columns it was fitted on.
    #[getter]
    fn features(&self) -> Vec<String> {
        self.fitted.features().to_vec()
    }

    /// The target column (none for clustering).
    #[getter]
    fn target(&self) -> Option<String> {
        self.fitted.target().map(str::to_string)
    }
}

/// `table`'s rows in parts of the given `fractions` (summing to 1), by the hash of `seed` and
/// the `keys` columns: the same rows always land in the same part.
#[pyfunction]
pub(crate) fn train_test_splits(
    table: &PyTable,
    fractions: Vec<f64>,
    keys: Vec<String>,
    seed: i64,
) -> PyResult<Vec<PyTable>> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let parts = xorq::ml::train_test_splits(&table.table, &fractions, &keys, seed).map_err(ml_to_py)?;
    Ok(parts.into_iter().map(|table| PyTable { table }).collect())
}
