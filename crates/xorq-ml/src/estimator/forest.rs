//! `DecisionTreeRegressor`, `RandomForestClassifier` and `RandomForestRegressor`, grown with our
//! CART ([`super::cart`]). Forests draw a bootstrap sample per tree and a random subset of the
//! features at each split, from a per-tree generator seeded by `random_state` (0 when null) and
//! the tree's number, so a fit is the same on every run and whatever the number of threads that
//! grow the trees. Classifier forests average their trees' class probabilities, as
//! scikit-learn's.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use serde_json::{Map, Value};

use super::cart::{Growth, Rows, Target as CartTarget, grow};
use super::params::{Accepts, Hyper, flag, int, text};
use super::{Def, Kind, Target, Training};
use crate::error::{MlError, Result};
use crate::model::{Model, Output, State, TreeNode};

pub(crate) const DECISION_TREE_REGRESSOR: Def = Def {
    name: "DecisionTreeRegressor",
    version: 1,
    kind: Kind::Regressor,
    hyper: &[
        Hyper::new("criterion", Accepts::OneOf(&["squared_error"]), "\"squared_error\""),
        Hyper::new("splitter", Accepts::OneOf(&["best"]), "\"best\""),
        Hyper::new("max_depth", Accepts::IntAtLeastOrNull(1), "null"),
        Hyper::new("min_samples_split", Accepts::IntAtLeast(2), "2"),
        Hyper::new("min_samples_leaf", Accepts::IntAtLeast(1), "1"),
        Hyper::new("max_features", Accepts::OneOf(&["null"]), "null"),
        Hyper::new("random_state", Accepts::Seed, "null"),
    ],
    fit: fit_tree_regressor,
};

const FOREST: &[Hyper] = &[
    Hyper::new("n_estimators", Accepts::IntAtLeast(1), "100"),
    Hyper::new("max_depth", Accepts::IntAtLeastOrNull(1), "null"),
    Hyper::new("min_samples_split", Accepts::IntAtLeast(2), "2"),
    Hyper::new("min_samples_leaf", Accepts::IntAtLeast(1), "1"),
    Hyper::new("bootstrap", Accepts::Bool, "true"),
    Hyper::new("random_state", Accepts::Seed, "null"),
    Hyper::new("n_jobs", Accepts::Seed, "null"),
];

pub(crate) const RANDOM_FOREST_CLASSIFIER: Def = Def {
    name: "RandomForestClassifier",
    version: 1,
    kind: Kind::Classifier,
    hyper: &[
        FOREST[0],
        FOREST[1],
        FOREST[2],
        FOREST[3],
        FOREST[4],
        FOREST[5],
        FOREST[6],
        Hyper::new("criterion", Accepts::OneOf(&["gini"]), "\"gini\""),
        Hyper::new("max_features", Accepts::OneOf(&["sqrt", "log2", "null"]), "\"sqrt\""),
        Hyper::new("class_weight", Accepts::OneOf(&["null"]), "null"),
    ],
    fit: fit_forest_classifier,
};

pub(crate) const RANDOM_FOREST_REGRESSOR: Def = Def {
    name: "RandomForestRegressor",
    version: 1,
    kind: Kind::Regressor,
    hyper: &[
        FOREST[0],
        FOREST[1],
        FOREST[2],
        FOREST[3],
        FOREST[4],
        FOREST[5],
        FOREST[6],
        Hyper::new("criterion", Accepts::OneOf(&["squared_error"]), "\"squared_error\""),
        // null: every feature at each split (scikit-learn's default of 1.0).
        Hyper::new("max_features", Accepts::OneOf(&["sqrt", "log2", "null"]), "null"),
    ],
    fit: fit_forest_regressor,
};

/// How a tree grows with `params`, for `target` and `n_features` features.
fn growth(params: &Map<String, Value>, target: CartTarget, n_features: usize) -> Growth {
    let max_features = match text(params, "max_features") {
        Some("sqrt") => Some(((n_features as f64).sqrt() as usize).max(1)),
        Some("log2") => Some(((n_features as f64).log2() as usize).max(1)),
        _ => None,
    };
    Growth {
        target,
        // Checked as integers of at least 1 (or 2) when present.
        max_depth: int(params, "max_depth").map(|d| d as usize),
        min_samples_split: int(params, "min_samples_split").unwrap_or(2) as usize,
        min_samples_leaf: int(params, "min_samples_leaf").unwrap_or(1) as usize,
        max_features,
    }
}

/// The generator of tree `t` for `seed`.
fn rng(seed: u64, t: usize) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ (t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// `n_estimators` trees, grown on as many threads as the machine has.
fn forest(params: &Map<String, Value>, rows: &Rows<'_>, n: usize, g: &Growth) -> Vec<Vec<TreeNode>> {
    let trees = int(params, "n_estimators").unwrap_or(100) as usize;
    let seed = int(params, "random_state").unwrap_or(0) as u64;
    let bootstrap = flag(params, "bootstrap");
    let threads = std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1).min(trees).max(1);
    let mut out: Vec<Option<Vec<TreeNode>>> = vec![None; trees];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                scope.spawn(move || {
                    (w..trees)
                        .step_by(threads)
                        .map(|t| {
                            let mut r = rng(seed, t);
                            let sample: Vec<usize> = if bootstrap {
                                (0..n).map(|_| (r.next_u64() % n as u64) as usize).collect()
                            } else {
                                (0..n).collect()
                            };
                            (t, grow(rows, sample, g, &mut r))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            // A panicking tree is a bug in `grow`; it leaves its slot empty and is refused below.
            if let Ok(grown) = h.join() {
                for (t, tree) in grown {
                    out[t] = Some(tree);
                }
            }
        }
    });
    out.into_iter().flatten().collect()
}

fn numbers(t: &Training, name: &str) -> Result<Vec<f64>> {
    match &t.y {
        Target::Numbers(y) => Ok(y.clone()),
        _ => Err(MlError::Fit(format!("{name} needs a numeric target"))),
    }
}

/// The sorted classes and each row's class index.
fn classes(t: &Training, name: &str) -> Result<(Vec<String>, Vec<f64>)> {
    let Target::Labels(y) = &t.y else { return Err(MlError::Fit(format!("{name} needs labels"))) };
    let mut classes = y.clone();
    classes.sort();
    classes.dedup();
    let index = y.iter().map(|l| classes.binary_search(l).unwrap_or_default() as f64).collect();
    Ok((classes, index))
}

/// What a tree or forest is fitted for: its target values, the tree target and the output.
fn target(name: &str, t: &Training, classifier: bool) -> Result<(Vec<f64>, CartTarget, Output)> {
    if classifier {
        let (classes, y) = classes(t, name)?;
        let n = classes.len();
        Ok((y, CartTarget::Classes(n), Output::Classes { classes }))
    } else {
        Ok((numbers(t, name)?, CartTarget::Number, Output::Regression))
    }
}

/// One tree on every row (`forest` false), or a forest, as the model `name`.
fn fit(name: &str, params: &Map<String, Value>, t: &Training, classifier: bool, forest_of: bool) -> Result<Model> {
    let (y, cart_target, output) = target(name, t, classifier)?;
    let rows = Rows { x: &t.x, n_features: t.n_features, y: &y };
    let g = growth(params, cart_target, t.n_features);
    let state = if forest_of {
        let trees = forest(params, &rows, t.rows(), &g);
        if trees.len() != int(params, "n_estimators").unwrap_or(100) as usize {
            return Err(MlError::Fit(format!("{name}: a tree could not be grown")));
        }
        State::Forest { trees }
    } else {
        State::Tree { nodes: grow(&rows, (0..t.rows()).collect(), &g, &mut rng(0, 0)) }
    };
    Ok(Model::new(name, Value::Object(params.clone()), t.n_features, t.rows(), output, state))
}

fn fit_tree_regressor(params: &Map<String, Value>, t: &Training) -> Result<Model> {
    fit("DecisionTreeRegressor", params, t, false, false)
}

fn fit_forest_regressor(params: &Map<String, Value>, t: &Training) -> Result<Model> {
    fit("RandomForestRegressor", params, t, false, true)
}

fn fit_forest_classifier(params: &Map<String, Value>, t: &Training) -> Result<Model> {
    fit("RandomForestClassifier", params, t, true, true)
}
