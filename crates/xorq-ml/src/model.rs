//! A fitted model as data: what `fit` returns and `predict` reads.
//!
//! The serialization is JSON (readable, diffable, never code), versioned by [`FORMAT`] and
//! [`FORMAT_VERSION`]:
//!
//! ```json
//! {"format": "xorq-model", "format_version": 1,
//!  "estimator": "LogisticRegression", "estimator_version": 1,
//!  "params": {"C": 1.0, "fit_intercept": true, "max_iter": 100, "tol": 0.0001},
//!  "n_features": 2, "n_samples": 240,
//!  "output": {"kind": "classes", "classes": ["Adelie", "Chinstrap", "Gentoo"]},
//!  "state": {"kind": "linear", "coef": [[…], […], […]], "intercept": […]}}
//! ```
//!
//! - `output` says what a prediction is: a number (`regression`), one of `classes` (labels as
//!   text, sorted), or a cluster index (`clusters`, with their count).
//! - `state` holds the fitted parameters: `linear` (one row of coefficients per output: one for
//!   a regression or a binary logistic regression, whose probability is of the second class; one
//!   per class for a multinomial one), `tree` (nodes; node 0 is the root; a sample goes `left`
//!   when its feature value is below `threshold`), `centroids` (one row per cluster).
//!
//! A model names the estimator version that made it; a program that does not know that version
//! refuses it rather than guessing.
//!
//! ```
//! use xorq_ml::model::{Model, Output, State};
//! let model = Model::new("LinearRegression", serde_json::json!({}), 1, 3,
//!     Output::Regression, State::Linear { coef: vec![vec![2.0]], intercept: vec![1.0] });
//! let back = Model::from_bytes(&model.to_bytes()).unwrap();
//! assert_eq!(back.predict_value(&[4.0]).unwrap(), 9.0);
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{MlError, Result};

/// The `format` every model document carries.
pub const FORMAT: &str = "xorq-model";
/// The version of the document layout this program writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A fitted model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Always [`FORMAT`].
    pub format: String,
    /// The layout version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The estimator's scikit-learn name (`LogisticRegression`).
    pub estimator: String,
    /// The version of our implementation of it.
    pub estimator_version: u32,
    /// The hyperparameters it was fitted with, every one given a value (defaults included).
    pub params: serde_json::Value,
    /// How many feature columns a prediction takes, in the order of the fit.
    pub n_features: usize,
    /// How many rows it was fitted on.
    pub n_samples: usize,
    /// What a prediction is.
    pub output: Output,
    /// The fitted parameters.
    pub state: State,
}

/// What a prediction of a model is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Output {
    /// A number.
    Regression,
    /// One of these labels (as text, sorted).
    Classes {
        /// The labels.
        classes: Vec<String>,
    },
    /// The index of a cluster.
    Clusters {
        /// How many clusters there are.
        n_clusters: usize,
    },
}

/// The fitted parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum State {
    /// `coef · x + intercept`, one row (and intercept) per output.
    Linear {
        /// Coefficients, one row per output.
        coef: Vec<Vec<f64>>,
        /// Intercepts, one per output.
        intercept: Vec<f64>,
    },
    /// A binary tree.
    Tree {
        /// The nodes; node 0 is the root.
        nodes: Vec<TreeNode>,
    },
    /// Trees whose predictions are averaged (numbers) or whose class probabilities are
    /// averaged (classes).
    Forest {
        /// The trees, each as [`State::Tree`]'s nodes.
        trees: Vec<Vec<TreeNode>>,
    },
    /// Nearest centroid.
    Centroids {
        /// One row per cluster.
        centroids: Vec<Vec<f64>>,
    },
}

/// A node of a tree: a split or a leaf.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TreeNode {
    /// Go `left` when `x[feature] < threshold`, else `right` (indices of nodes).
    Split {
        /// The feature's position.
        feature: usize,
        /// The threshold.
        threshold: f64,
        /// The node for smaller values.
        left: usize,
        /// The node for the others.
        right: usize,
    },
    /// A prediction: the class index (classifiers) or the value (regressors).
    Leaf {
        /// The prediction.
        value: f64,
        /// The class frequencies of the training rows that reached this leaf (trees of forests,
        /// whose probabilities are averaged, as scikit-learn's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proba: Option<Vec<f64>>,
    },
}

impl Model {
    /// A model of the current format.
    pub fn new(
        estimator: &str,
        params: serde_json::Value,
        n_features: usize,
        n_samples: usize,
        output: Output,
        state: State,
    ) -> Model {
        Model {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            estimator: estimator.into(),
            estimator_version: 1,
            params,
            n_features,
            n_samples,
            output,
            state,
        }
    }

    /// The document's bytes (JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        // A model holds only strings, numbers and vectors: serializing it cannot fail; the
        // non-finite numbers JSON cannot hold are refused when the model is fitted.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a document written by [`Model::to_bytes`], checking its format, version and shape.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        let model: Model = serde_json::from_slice(bytes)
            .map_err(|e| MlError::InvalidModel(format!("it is not a model document of this program: {e}")))?;
        if model.format != FORMAT {
            return Err(MlError::InvalidModel(format!("its format is `{}`, not `{FORMAT}`", model.format)));
        }
        if model.format_version > FORMAT_VERSION {
            return Err(MlError::InvalidModel(format!(
                "its format version {} is newer than this program reads ({FORMAT_VERSION}); upgrade xorq-rs",
                model.format_version
            )));
        }
        crate::estimator::check_known(&model.estimator, model.estimator_version)?;
        model.check_shape()?;
        Ok(model)
    }

    fn check_shape(&self) -> Result<()> {
        let bad = |why: String| Err(MlError::InvalidModel(why));
        match &self.state {
            State::Linear { coef, intercept } => {
                if coef.is_empty() || coef.len() != intercept.len() || coef.iter().any(|r| r.len() != self.n_features) {
                    return bad(format!("its coefficients are not {} per output", self.n_features));
                }
            }
            State::Tree { nodes } => self.check_tree(nodes, 0)?,
            State::Forest { trees } => {
                if trees.is_empty() {
                    return bad("its forest has no trees".into());
                }
                for (t, nodes) in trees.iter().enumerate() {
                    self.check_tree(nodes, t)?;
                }
            }
            State::Centroids { centroids } => {
                if centroids.is_empty() || centroids.iter().any(|c| c.len() != self.n_features) {
                    return bad(format!("its centroids are not {} numbers each", self.n_features));
                }
            }
        }
        Ok(())
    }

    fn check_tree(&self, nodes: &[TreeNode], tree: usize) -> Result<()> {
        let bad = |why: String| Err(MlError::InvalidModel(why));
        if nodes.is_empty() {
            return bad(format!("its tree {tree} has no nodes"));
        }
        let classes = match &self.output {
            Output::Classes { classes } => Some(classes.len()),
            _ => None,
        };
        for (i, n) in nodes.iter().enumerate() {
            match n {
                TreeNode::Split { feature, left, right, .. }
                    if *feature >= self.n_features
                        || *left <= i
                        || *right <= i
                        || *left >= nodes.len()
                        || *right >= nodes.len() =>
                {
                    return bad(format!("its tree {tree} node {i} points outside the tree"));
                }
                TreeNode::Leaf { value, proba } => {
                    let wrong_class = classes.is_some_and(|k| *value < 0.0 || *value as usize >= k);
                    let wrong_proba = proba.as_ref().is_some_and(|p| Some(p.len()) != classes);
                    if wrong_class || wrong_proba {
                        return bad(format!("its tree {tree} leaf {i} names a class it does not have"));
                    }
                }
                TreeNode::Split { .. } => {}
            }
        }
        Ok(())
    }

    fn check_columns(&self, columns: &[&[f64]]) -> Result<usize> {
        if columns.len() != self.n_features {
            return Err(MlError::Predict(format!(
                "the {} model was fitted on {} features, the call gives {}",
                self.estimator,
                self.n_features,
                columns.len()
            )));
        }
        let rows = columns.first().map_or(0, |c| c.len());
        if columns.iter().any(|c| c.len() != rows) {
            return Err(MlError::Predict("the feature columns differ in length".into()));
        }
        Ok(rows)
    }

    /// The raw scores of the rows: one column per output row of a linear model, each
    /// `Σ w·x + b` summed feature by feature (a loop over a column the compiler vectorizes).
    fn scores(coef: &[Vec<f64>], intercept: &[f64], columns: &[&[f64]], rows: usize) -> Vec<Vec<f64>> {
        coef.iter()
            .zip(intercept)
            .map(|(w, b)| {
                let mut acc = vec![-0.0; rows];
                for (w, column) in w.iter().zip(columns) {
                    for (a, x) in acc.iter_mut().zip(column.iter()) {
                        *a += w * x;
                    }
                }
                acc.iter_mut().for_each(|a| *a += b);
                acc
            })
            .collect()
    }

    /// The leaf row `i` of `columns` reaches.
    fn reach<'n>(nodes: &'n [TreeNode], columns: &[&[f64]], i: usize) -> &'n TreeNode {
        let mut at = 0;
        // Children always come after their parent and features are in range (both checked when
        // read), so this ends and every index is valid.
        loop {
            match &nodes[at] {
                leaf @ TreeNode::Leaf { .. } => return leaf,
                TreeNode::Split { feature, threshold, left, right } => {
                    at = if columns[*feature][i] < *threshold { *left } else { *right };
                }
            }
        }
    }

    fn leaf(nodes: &[TreeNode], columns: &[&[f64]], i: usize) -> f64 {
        match Self::reach(nodes, columns, i) {
            TreeNode::Leaf { value, .. } => *value,
            TreeNode::Split { .. } => f64::NAN, // `reach` returns leaves only
        }
    }

    /// Adds one tree's class probabilities (the leaf's frequencies, or one-hot), divided by
    /// `trees` (their number in a forest), for every row to `p` (one column per class).
    fn add_tree_proba(nodes: &[TreeNode], columns: &[&[f64]], trees: f64, p: &mut [Vec<f64>]) {
        let rows = p.first().map_or(0, Vec::len);
        for i in 0..rows {
            match Self::reach(nodes, columns, i) {
                TreeNode::Leaf { proba: Some(leaf), .. } => {
                    for (class, v) in p.iter_mut().zip(leaf) {
                        class[i] += v / trees;
                    }
                }
                TreeNode::Leaf { value, .. } => {
                    if let Some(class) = p.get_mut(*value as usize) {
                        class[i] += 1.0 / trees;
                    }
                }
                TreeNode::Split { .. } => {}
            }
        }
    }

    /// The predicted value of a regressor, or the index of the predicted class or cluster, for
    /// one row.
    pub fn predict_value(&self, x: &[f64]) -> Result<f64> {
        let columns: Vec<&[f64]> = x.iter().map(std::slice::from_ref).collect();
        Ok(self.predict_values(&columns)?.first().copied().unwrap_or(f64::NAN))
    }

    /// [`Model::predict_value`] for many rows at once, given column by column (`columns[j][i]`
    /// is feature `j` of row `i`): the way a batch of rows arrives, and far faster than row by
    /// row.
    pub fn predict_values(&self, columns: &[&[f64]]) -> Result<Vec<f64>> {
        let rows = self.check_columns(columns)?;
        Ok(match (&self.state, &self.output) {
            (State::Linear { coef, intercept }, Output::Regression) => {
                Self::scores(coef, intercept, columns, rows).swap_remove(0)
            }
            (State::Linear { .. } | State::Forest { .. }, Output::Classes { .. }) => {
                argmax_rows(&self.probabilities_of(columns)?, rows)
            }
            (State::Tree { nodes }, _) => (0..rows).map(|i| Self::leaf(nodes, columns, i)).collect(),
            (State::Forest { trees }, _) => {
                let mut sum = vec![-0.0; rows];
                for t in trees {
                    for (i, s) in sum.iter_mut().enumerate() {
                        *s += Self::leaf(t, columns, i);
                    }
                }
                sum.into_iter().map(|s| s / trees.len() as f64).collect()
            }
            (State::Centroids { centroids }, _) => {
                // The nearest centroid: the largest negated squared distance.
                let closeness: Vec<Vec<f64>> = centroids
                    .iter()
                    .map(|c| {
                        let mut d = vec![-0.0; rows];
                        for (c, column) in c.iter().zip(columns) {
                            for (d, x) in d.iter_mut().zip(column.iter()) {
                                *d += (c - x) * (c - x);
                            }
                        }
                        d.into_iter().map(|d| -d).collect()
                    })
                    .collect();
                argmax_rows(&closeness, rows)
            }
            (State::Linear { .. }, Output::Clusters { .. }) => {
                return Err(MlError::InvalidModel("a linear model does not make clusters".into()));
            }
        })
    }

    /// The classes a classifier can predict.
    pub fn classes(&self) -> Result<&[String]> {
        match &self.output {
            Output::Classes { classes } => Ok(classes),
            _ => Err(MlError::Predict(format!(
                "a {} model predicts numbers, not classes: use `predict`",
                self.estimator
            ))),
        }
    }

    /// The predicted class label of a classifier.
    pub fn predict_class(&self, x: &[f64]) -> Result<&str> {
        let classes = self.classes()?;
        let i = self.predict_value(x)?;
        classes
            .get(i as usize)
            .map(String::as_str)
            .ok_or_else(|| MlError::InvalidModel(format!("it predicts class {i}, of {} classes", classes.len())))
    }

    /// The probability of each class (in the order of [`Output::Classes`]) for one row.
    pub fn probabilities(&self, x: &[f64]) -> Result<Vec<f64>> {
        let columns: Vec<&[f64]> = x.iter().map(std::slice::from_ref).collect();
        Ok(self.probabilities_of(&columns)?.into_iter().map(|p| p.first().copied().unwrap_or(f64::NAN)).collect())
    }

    /// The class probabilities of many rows, given column by column: one column per class
    /// (`p[k][i]` is the probability of class `k` for row `i`).
    pub fn probabilities_of(&self, columns: &[&[f64]]) -> Result<Vec<Vec<f64>>> {
        let rows = self.check_columns(columns)?;
        match (&self.state, &self.output) {
            (State::Linear { coef, intercept }, Output::Classes { classes }) => {
                let mut s = Self::scores(coef, intercept, columns, rows);
                if s.len() == 1 && classes.len() == 2 {
                    let p: Vec<f64> = s[0].iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect();
                    return Ok(vec![p.iter().map(|p| 1.0 - p).collect(), p]);
                }
                // Softmax per row, shifted by the row's largest score.
                for i in 0..rows {
                    let max = s.iter().map(|c| c[i]).fold(f64::NEG_INFINITY, f64::max);
                    let mut total = -0.0;
                    for c in s.iter_mut() {
                        c[i] = (c[i] - max).exp();
                        total += c[i];
                    }
                    s.iter_mut().for_each(|c| c[i] /= total);
                }
                Ok(s)
            }
            (State::Tree { nodes }, Output::Classes { classes }) => {
                let mut p = vec![vec![0.0; rows]; classes.len()];
                Self::add_tree_proba(nodes, columns, 1.0, &mut p);
                Ok(p)
            }
            (State::Forest { trees }, Output::Classes { classes }) => {
                let mut p = vec![vec![0.0; rows]; classes.len()];
                for t in trees {
                    Self::add_tree_proba(t, columns, trees.len() as f64, &mut p);
                }
                Ok(p)
            }
            _ => Err(MlError::Predict(format!("a {} model has no class probabilities", self.estimator))),
        }
    }
}

/// For each row, the index of the column with the largest value (the first of equals).
fn argmax_rows(columns: &[Vec<f64>], rows: usize) -> Vec<f64> {
    let mut best = vec![0usize; rows];
    for (k, column) in columns.iter().enumerate().skip(1) {
        for (i, v) in column.iter().enumerate() {
            if *v > columns[best[i]][i] {
                best[i] = k;
            }
        }
    }
    best.into_iter().map(|b| b as f64).collect()
}
