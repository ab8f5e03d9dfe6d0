//! `DecisionTreeClassifier` (`linfa-trees`), kept as our own node list (see
//! [`crate::model::TreeNode`]).

use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_trees::{DecisionTree, SplitQuality, TreeNode as LinfaNode};
use ndarray::Array1;
use serde_json::{Map, Value};

use super::linear::matrix;
use super::params::{Accepts, Hyper, int, number, text};
use super::{Def, Kind, Target, Training};
use crate::error::{MlError, Result};
use crate::model::{Model, Output, State, TreeNode};

pub(crate) const DECISION_TREE_CLASSIFIER: Def = Def {
    name: "DecisionTreeClassifier",
    version: 1,
    kind: Kind::Classifier,
    hyper: &[
        Hyper::new("criterion", Accepts::OneOf(&["gini", "entropy"]), "\"gini\""),
        Hyper::new("splitter", Accepts::OneOf(&["best"]), "\"best\""),
        Hyper::new("max_depth", Accepts::IntAtLeastOrNull(1), "null"),
        Hyper::new("min_samples_split", Accepts::IntAtLeast(2), "2"),
        Hyper::new("min_samples_leaf", Accepts::IntAtLeast(1), "1"),
        Hyper::new("min_impurity_decrease", Accepts::NonNegative, "0.0"),
        Hyper::new("max_features", Accepts::OneOf(&["null"]), "null"),
        Hyper::new("class_weight", Accepts::OneOf(&["null"]), "null"),
        Hyper::new("random_state", Accepts::Seed, "null"),
    ],
    fit: fit_tree,
};

fn fit_tree(params: &Map<String, Value>, t: &Training) -> Result<Model> {
    let Target::Labels(y) = &t.y else { return Err(MlError::Fit("DecisionTreeClassifier needs labels".into())) };
    let mut classes = y.clone();
    classes.sort();
    classes.dedup();
    let index: Vec<usize> = y.iter().map(|l| classes.binary_search(l).unwrap_or_default()).collect();
    let data = DatasetBase::new(matrix(t)?, Array1::from(index));
    let quality = if text(params, "criterion") == Some("entropy") { SplitQuality::Entropy } else { SplitQuality::Gini };
    // linfa needs a positive decrease to stop splitting; the smallest one stands for 0.
    let decrease = number(params, "min_impurity_decrease").max(1e-12);
    let fitted = DecisionTree::params()
        .split_quality(quality)
        .max_depth(int(params, "max_depth").map(|d| d as usize))
        .min_weight_split(int(params, "min_samples_split").unwrap_or(2) as f32)
        .min_weight_leaf(int(params, "min_samples_leaf").unwrap_or(1) as f32)
        .min_impurity_decrease(decrease)
        .fit(&data)
        .map_err(|e| MlError::Fit(format!("DecisionTreeClassifier: {e}")))?;
    let mut nodes = Vec::new();
    flatten(fitted.root_node(), &mut nodes)?;
    Ok(Model::new(
        "DecisionTreeClassifier",
        Value::Object(params.clone()),
        t.n_features,
        t.rows(),
        Output::Classes { classes },
        State::Tree { nodes },
    ))
}

/// Appends `node` and its subtree (parents before children); its index.
fn flatten(node: &LinfaNode<f64, usize>, out: &mut Vec<TreeNode>) -> Result<usize> {
    let at = out.len();
    if let Some(class) = node.prediction() {
        out.push(TreeNode::Leaf { value: class as f64, proba: None });
        return Ok(at);
    }
    let (feature, threshold, _) = node.split();
    out.push(TreeNode::Leaf { value: 0.0, proba: None }); // replaced below, once the children have indices
    let children = node.children();
    let (Some(Some(l)), Some(Some(r))) = (children.first(), children.get(1)) else {
        return Err(MlError::Fit("DecisionTreeClassifier: a split node without two children".into()));
    };
    let left = flatten(l, out)?;
    let right = flatten(r, out)?;
    out[at] = TreeNode::Split { feature, threshold, left, right };
    Ok(at)
}
