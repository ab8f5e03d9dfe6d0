//! Evaluation as expressions (xorq's `deferred_sklearn_metric`): each metric is a deferred
//! one-row table computed from a predicted table, with scikit-learn's definitions, so it is
//! addressed, cached and traced like any other expression.
//!
//! - Classification: `accuracy`, and for one positive label `precision`, `recall`, `f1` (0 when
//!   the denominator is 0, scikit-learn's `zero_division=0`), `roc_auc` over a score column
//!   (the Mann–Whitney statistic with tied scores given their average rank, as scikit-learn).
//! - Regression: `r2` (1 − SSE/SST; 1 for a perfect constant fit and 0 for an imperfect one, as
//!   scikit-learn's `force_finite`), `mae`, `rmse`.
//!
//! Rows where the truth or the prediction is null count as wrong for `accuracy` and are left
//! out of the other metrics' sums as SQL aggregates leave nulls out.
//!
//! ```
//! # use std::sync::Arc;
//! # use datafusion::arrow::array::{RecordBatch, StringArray};
//! use xorq_ml::metrics::{Metric, evaluate};
//! # let t = xorq_core::Table::memtable(vec![RecordBatch::try_from_iter([
//! #     ("y", Arc::new(StringArray::from(vec!["a", "b", "a"])) as _),
//! #     ("p", Arc::new(StringArray::from(vec!["a", "a", "a"])) as _)]).unwrap()]).unwrap();
//! let accuracy = evaluate(&t, &Metric::Accuracy, "y", "p")?;
//! assert_eq!(accuracy.columns(), ["accuracy"]);
//! # Ok::<(), xorq_ml::MlError>(())
//! ```

use xorq_core::{DataType, Expr, Table, Window, col, count_star, lit, rank, when};

use crate::error::Result;

/// A metric and its settings.
#[derive(Clone, Debug)]
pub enum Metric {
    /// The share of rows predicted right.
    Accuracy,
    /// Of the rows predicted `pos_label`, the share that are.
    Precision {
        /// The positive label.
        pos_label: Expr,
    },
    /// Of the rows that are `pos_label`, the share predicted so.
    Recall {
        /// The positive label.
        pos_label: Expr,
    },
    /// The harmonic mean of precision and recall.
    F1 {
        /// The positive label.
        pos_label: Expr,
    },
    /// The area under the ROC curve of a score column (the prediction column holds scores).
    RocAuc {
        /// The positive label.
        pos_label: Expr,
    },
    /// The coefficient of determination.
    R2,
    /// Mean absolute error.
    Mae,
    /// Root mean squared error.
    Rmse,
}

impl Metric {
    /// The metric's name, also its output column (`accuracy`, `roc_auc`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::Precision { .. } => "precision",
            Metric::Recall { .. } => "recall",
            Metric::F1 { .. } => "f1",
            Metric::RocAuc { .. } => "roc_auc",
            Metric::R2 => "r2",
            Metric::Mae => "mae",
            Metric::Rmse => "rmse",
        }
    }
}

/// Temporary column names, unlikely to clash with a user's.
const TP: &str = "__xorq_metric_tp";
const PP: &str = "__xorq_metric_pp";
const AP: &str = "__xorq_metric_ap";

fn indicator(condition: Expr) -> Expr {
    when(condition).then(lit(1.0)).otherwise(lit(0.0))
}

/// `num / den`, or 0 when `den` is 0.
fn ratio(num: Expr, den: Expr) -> Expr {
    when(den.clone().eq(lit(0.0))).then(lit(0.0)).otherwise(num / den)
}

/// The one-row table of `metric` over `table`'s truth column `y_true` and prediction (or score)
/// column `y_pred`.
pub fn evaluate(table: &Table, metric: &Metric, y_true: &str, y_pred: &str) -> Result<Table> {
    let (t, p) = (col(y_true), col(y_pred));
    let name = metric.name();
    let out = match metric {
        Metric::Accuracy => table.agg([indicator(t.eq(p)).mean().alias(name)])?,
        Metric::Precision { pos_label } | Metric::Recall { pos_label } | Metric::F1 { pos_label } => {
            let counts = table.agg([
                indicator(t.clone().eq(pos_label.clone()).and(p.clone().eq(pos_label.clone()))).sum().alias(TP),
                indicator(p.eq(pos_label.clone())).sum().alias(PP),
                indicator(t.eq(pos_label.clone())).sum().alias(AP),
            ])?;
            let value = match metric {
                Metric::Precision { .. } => ratio(col(TP), col(PP)),
                Metric::Recall { .. } => ratio(col(TP), col(AP)),
                _ => ratio(col(TP) * lit(2.0), col(PP) + col(AP)),
            };
            counts.select([value.alias(name)])?
        }
        Metric::RocAuc { pos_label } => {
            // Average rank of each score among all scores, ascending; ties share their mean.
            let score = p.clone().cast(DataType::Float64);
            let ranked = table.select([
                indicator(t.eq(pos_label.clone())).alias(AP),
                (rank().over(Window::new().order_by([score.clone().asc()])).cast(DataType::Float64)
                    + (count_star().over(Window::new().partition_by([score])).cast(DataType::Float64) - lit(1.0))
                        / lit(2.0))
                .alias(TP),
            ])?;
            let sums = ranked.agg([
                (col(AP) * col(TP)).sum().alias(TP),
                col(AP).sum().alias(AP),
                count_star().cast(DataType::Float64).alias(PP),
            ])?;
            // (R₊ − n₊(n₊+1)/2) / (n₊ · n₋)
            let auc = (col(TP) - col(AP) * (col(AP) + lit(1.0)) / lit(2.0)) / (col(AP) * (col(PP) - col(AP)));
            sums.select([auc.alias(name)])?
        }
        Metric::R2 => {
            let (tf, pf) = (t.cast(DataType::Float64), p.cast(DataType::Float64));
            let sums = table.agg([
                ((tf.clone() - pf.clone()) * (tf.clone() - pf)).sum().alias(TP),
                tf.var_pop().alias(PP),
                count_star().cast(DataType::Float64).alias(AP),
            ])?;
            let sst = col(PP) * col(AP);
            let r2 = when(sst.clone().eq(lit(0.0)))
                .then(when(col(TP).eq(lit(0.0))).then(lit(1.0)).otherwise(lit(0.0)))
                .otherwise(lit(1.0) - col(TP) / sst);
            sums.select([r2.alias(name)])?
        }
        Metric::Mae => {
            let d = t.cast(DataType::Float64) - p.cast(DataType::Float64);
            table.agg([d.abs().mean().alias(name)])?
        }
        Metric::Rmse => {
            let d = t.cast(DataType::Float64) - p.cast(DataType::Float64);
            table.agg([(d.clone() * d).mean().sqrt().alias(name)])?
        }
    };
    Ok(out)
}
