//! Our CART trees, for what linfa-trees does not offer: regression trees (squared error) and the
//! trees of random forests (a random subset of features at each split, on a bootstrap sample).
//!
//! The algorithm is scikit-learn's greedy one: at each node, for each candidate feature, the
//! rows are sorted by it and every split between two different values is scored; the best
//! decrease of impurity (squared error for numbers, Gini for classes) wins, its threshold the
//! midpoint of the two values. A node becomes a leaf at `max_depth`, below `min_samples_split`
//! rows, when it is pure, or when no split leaves `min_samples_leaf` rows on both sides. Ties
//! between equally good splits go to the first feature (in the order drawn) and the first
//! position, so a fit is a function of its inputs and seed.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::RngCore;

use crate::model::TreeNode;

/// What a tree predicts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
    /// A number: leaves hold the mean.
    Number,
    /// One of `n` classes (targets are class indices): leaves hold the class frequencies.
    Classes(usize),
}

/// How a tree grows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Growth {
    pub target: Target,
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    /// Features tried at each split (all when `None`).
    pub max_features: Option<usize>,
}

/// The training rows: features row-major, targets (numbers or class indices).
pub(crate) struct Rows<'a> {
    pub x: &'a [f64],
    pub n_features: usize,
    pub y: &'a [f64],
}

impl Rows<'_> {
    fn at(&self, row: usize, feature: usize) -> f64 {
        self.x[row * self.n_features + feature]
    }
}

/// A tree grown on the rows `sample` (indices, repeated for a bootstrap sample).
pub(crate) fn grow(
    rows: &Rows<'_>,
    sample: Vec<usize>,
    growth: &Growth,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<TreeNode> {
    let mut nodes = Vec::new();
    node(rows, sample, growth, 0, rng, &mut nodes);
    nodes
}

/// The leaf for `idx`: the mean, or the class frequencies and the most frequent class.
fn leaf(rows: &Rows<'_>, idx: &[usize], target: Target) -> TreeNode {
    match target {
        Target::Number => {
            let mean = idx.iter().map(|&i| rows.y[i]).sum::<f64>() / idx.len().max(1) as f64;
            TreeNode::Leaf { value: mean, proba: None }
        }
        Target::Classes(n) => {
            let mut counts = vec![0.0; n];
            for &i in idx {
                counts[rows.y[i] as usize] += 1.0;
            }
            let total: f64 = counts.iter().sum();
            let best = (0..n).fold(0, |b, k| if counts[k] > counts[b] { k } else { b });
            TreeNode::Leaf { value: best as f64, proba: Some(counts.iter().map(|c| c / total.max(1.0)).collect()) }
        }
    }
}

/// Impurity bookkeeping for one side of a split.
#[derive(Clone)]
struct Side {
    n: f64,
    sum: f64,
    sum_sq: f64,
    counts: Vec<f64>,
}

impl Side {
    fn new(target: Target) -> Side {
        let k = match target {
            Target::Classes(n) => n,
            Target::Number => 0,
        };
        Side { n: 0.0, sum: 0.0, sum_sq: 0.0, counts: vec![0.0; k] }
    }

    fn add(&mut self, y: f64, target: Target, sign: f64) {
        self.n += sign;
        match target {
            Target::Number => {
                self.sum += sign * y;
                self.sum_sq += sign * y * y;
            }
            Target::Classes(_) => self.counts[y as usize] += sign,
        }
    }

    /// The side's impurity times its size (squared error, or n · Gini).
    fn weighted(&self, target: Target) -> f64 {
        if self.n <= 0.0 {
            return 0.0;
        }
        match target {
            Target::Number => (self.sum_sq - self.sum * self.sum / self.n).max(0.0),
            Target::Classes(_) => self.n - self.counts.iter().map(|c| c * c).sum::<f64>() / self.n,
        }
    }
}

/// The features to try at a node: all, or `k` drawn without replacement.
fn candidates(n_features: usize, k: Option<usize>, rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n_features).collect();
    let Some(k) = k.filter(|k| *k < n_features) else { return all };
    for i in 0..k {
        let j = i + (rng.next_u64() % (n_features - i) as u64) as usize;
        all.swap(i, j);
    }
    all.truncate(k);
    all
}

fn node(
    rows: &Rows<'_>,
    mut idx: Vec<usize>,
    g: &Growth,
    depth: usize,
    rng: &mut Xoshiro256PlusPlus,
    out: &mut Vec<TreeNode>,
) -> usize {
    let at = out.len();
    let mut total = Side::new(g.target);
    for &i in &idx {
        total.add(rows.y[i], g.target, 1.0);
    }
    let parent = total.weighted(g.target);
    let stop = g.max_depth.is_some_and(|d| depth >= d) || idx.len() < g.min_samples_split || parent <= 1e-12;
    let best = if stop { None } else { best_split(rows, &mut idx, g, &total, parent, rng) };
    let Some((feature, threshold)) = best else {
        out.push(leaf(rows, &idx, g.target));
        return at;
    };
    out.push(TreeNode::Leaf { value: 0.0, proba: None }); // replaced once the children have indices
    let (left, right): (Vec<usize>, Vec<usize>) = idx.into_iter().partition(|&i| rows.at(i, feature) < threshold);
    let l = node(rows, left, g, depth + 1, rng, out);
    let r = node(rows, right, g, depth + 1, rng, out);
    out[at] = TreeNode::Split { feature, threshold, left: l, right: r };
    at
}

/// The best split of `idx` (feature, threshold), if one decreases the impurity.
fn best_split(
    rows: &Rows<'_>,
    idx: &mut [usize],
    g: &Growth,
    total: &Side,
    parent: f64,
    rng: &mut Xoshiro256PlusPlus,
) -> Option<(usize, f64)> {
    let n = idx.len();
    let mut best: Option<(f64, usize, f64)> = None;
    for feature in candidates(rows.n_features, g.max_features, rng) {
        idx.sort_by(|&a, &b| rows.at(a, feature).total_cmp(&rows.at(b, feature)));
        let mut left = Side::new(g.target);
        let mut right = total.clone();
        for pos in 0..n - 1 {
            let y = rows.y[idx[pos]];
            left.add(y, g.target, 1.0);
            right.add(y, g.target, -1.0);
            let (here, next) = (rows.at(idx[pos], feature), rows.at(idx[pos + 1], feature));
            if here == next || pos + 1 < g.min_samples_leaf || n - pos - 1 < g.min_samples_leaf {
                continue;
            }
            let impurity = left.weighted(g.target) + right.weighted(g.target);
            if impurity < parent - 1e-12 && best.is_none_or(|(b, _, _)| impurity < b) {
                best = Some((impurity, feature, here + (next - here) / 2.0));
            }
        }
    }
    best.map(|(_, feature, threshold)| (feature, threshold))
}
