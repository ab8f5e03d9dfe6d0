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

    fn check_row(&self, x: &[f64]) -> Result<()> {
        if x.len() != self.n_features {
            return Err(MlError::Predict(format!(
                "the {} model was fitted on {} features, the call gives {}",
                self.estimator,
                self.n_features,
                x.len()
            )));
        }
        Ok(())
    }

    /// The raw scores of `x`: one per output row of a linear model.
    fn scores(coef: &[Vec<f64>], intercept: &[f64], x: &[f64]) -> Vec<f64> {
        coef.iter().zip(intercept).map(|(w, b)| w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + b).collect()
    }

    /// The leaf `x` reaches.
    fn reach<'n>(nodes: &'n [TreeNode], x: &[f64]) -> &'n TreeNode {
        let mut i = 0;
        // Children always come after their parent (checked when read), so this ends.
        loop {
            match &nodes[i] {
                leaf @ TreeNode::Leaf { .. } => return leaf,
                TreeNode::Split { feature, threshold, left, right } => {
                    i = if x[*feature] < *threshold { *left } else { *right };
                }
            }
        }
    }

    fn leaf(nodes: &[TreeNode], x: &[f64]) -> f64 {
        match Self::reach(nodes, x) {
            TreeNode::Leaf { value, .. } => *value,
            TreeNode::Split { .. } => f64::NAN, // `reach` returns leaves only
        }
    }

    /// The class probabilities of one tree's leaf for `x` (one-hot without frequencies).
    fn tree_proba(nodes: &[TreeNode], x: &[f64], n_classes: usize) -> Vec<f64> {
        match Self::reach(nodes, x) {
            TreeNode::Leaf { proba: Some(p), .. } => p.clone(),
            TreeNode::Leaf { value, .. } => {
                let mut p = vec![0.0; n_classes];
                if let Some(slot) = p.get_mut(*value as usize) {
                    *slot = 1.0;
                }
                p
            }
            TreeNode::Split { .. } => vec![0.0; n_classes],
        }
    }

    /// The predicted value of a regressor, or the index of the predicted class or cluster.
    pub fn predict_value(&self, x: &[f64]) -> Result<f64> {
        self.check_row(x)?;
        Ok(match (&self.state, &self.output) {
            (State::Linear { coef, intercept }, Output::Regression) => Self::scores(coef, intercept, x)[0],
            (State::Linear { .. }, Output::Classes { .. }) => argmax(&self.probabilities(x)?) as f64,
            (State::Tree { nodes }, _) => Self::leaf(nodes, x),
            (State::Forest { .. }, Output::Classes { .. }) => argmax(&self.probabilities(x)?) as f64,
            (State::Forest { trees }, _) => trees.iter().map(|t| Self::leaf(t, x)).sum::<f64>() / trees.len() as f64,
            (State::Centroids { centroids }, _) => {
                let distance = |c: &Vec<f64>| c.iter().zip(x).map(|(c, x)| (c - x) * (c - x)).sum::<f64>();
                let d: Vec<f64> = centroids.iter().map(distance).map(|d| -d).collect();
                argmax(&d) as f64
            }
            (State::Linear { .. }, Output::Clusters { .. }) => {
                return Err(MlError::InvalidModel("a linear model does not make clusters".into()));
            }
        })
    }

    /// The predicted class label of a classifier.
    pub fn predict_class(&self, x: &[f64]) -> Result<&str> {
        let Output::Classes { classes } = &self.output else {
            return Err(MlError::Predict(format!(
                "a {} model predicts numbers, not classes: use `predict`",
                self.estimator
            )));
        };
        let i = self.predict_value(x)?;
        classes
            .get(i as usize)
            .map(String::as_str)
            .ok_or_else(|| MlError::InvalidModel(format!("it predicts class {i}, of {} classes", classes.len())))
    }

    /// The probability of each class (in the order of [`Output::Classes`]).
    pub fn probabilities(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.check_row(x)?;
        match (&self.state, &self.output) {
            (State::Linear { coef, intercept }, Output::Classes { classes }) => {
                let s = Self::scores(coef, intercept, x);
                if s.len() == 1 && classes.len() == 2 {
                    let p = 1.0 / (1.0 + (-s[0]).exp());
                    return Ok(vec![1.0 - p, p]);
                }
                let max = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = s.iter().map(|v| (v - max).exp()).collect();
                let total: f64 = e.iter().sum();
                Ok(e.into_iter().map(|v| v / total).collect())
            }
            (State::Tree { nodes }, Output::Classes { classes }) => Ok(Self::tree_proba(nodes, x, classes.len())),
            (State::Forest { trees }, Output::Classes { classes }) => {
                let mut p = vec![0.0; classes.len()];
                for t in trees {
                    for (slot, v) in p.iter_mut().zip(Self::tree_proba(t, x, classes.len())) {
                        *slot += v / trees.len() as f64;
                    }
                }
                Ok(p)
            }
            _ => Err(MlError::Predict(format!("a {} model has no class probabilities", self.estimator))),
        }
    }
}

/// The index of the largest value (the first of equals).
fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}
