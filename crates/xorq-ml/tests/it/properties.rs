//! Properties: a model document round-trips to the same model and predictions; a batch of rows
//! is predicted as its rows are one by one; the split
//! number of a key is the same whatever integer width holds it, and lies in [0, 1).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int32Array, Int64Array, StringArray, StringViewArray};
use proptest::prelude::*;
use xorq_ml::model::{Model, Output, State, TreeNode};
use xorq_ml::split::bucket_of;

fn linear() -> impl Strategy<Value = Model> {
    (1usize..5, 1usize..4).prop_flat_map(|(features, outputs)| {
        (
            prop::collection::vec(prop::collection::vec(-1e3f64..1e3, features), outputs),
            prop::collection::vec(-1e3f64..1e3, outputs),
        )
            .prop_map(move |(coef, intercept)| {
                let output = if outputs == 1 {
                    Output::Regression
                } else {
                    Output::Classes { classes: (0..outputs).map(|k| format!("c{k}")).collect() }
                };
                Model::new(
                    "LogisticRegression",
                    serde_json::json!({}),
                    features,
                    10,
                    output,
                    State::Linear { coef, intercept },
                )
            })
    })
}

/// A forest of stumps over two features, each leaf with class frequencies.
fn forest() -> impl Strategy<Value = Model> {
    prop::collection::vec((0usize..2, -5f64..5.0, 0f64..1.0, 0f64..1.0), 1..6).prop_map(|stumps| {
        let trees = stumps
            .into_iter()
            .map(|(feature, threshold, a, b)| {
                vec![
                    TreeNode::Split { feature, threshold, left: 1, right: 2 },
                    TreeNode::Leaf { value: 0.0, proba: Some(vec![a, 1.0 - a]) },
                    TreeNode::Leaf { value: 1.0, proba: Some(vec![1.0 - b, b]) },
                ]
            })
            .collect();
        let output = Output::Classes { classes: vec!["no".into(), "yes".into()] };
        Model::new("RandomForestClassifier", serde_json::json!({}), 2, 10, output, State::Forest { trees })
    })
}

/// `rows` (each at least `n` long) as `n` feature columns.
fn columns(rows: &[Vec<f64>], n: usize) -> Vec<Vec<f64>> {
    (0..n).map(|j| rows.iter().map(|r| r[j]).collect()).collect()
}

/// Predicting a batch of rows column by column gives, row for row, what predicting each row
/// alone gives: values, and class probabilities for classifiers.
fn batch_agrees_with_rows(model: &Model, rows: &[Vec<f64>]) -> Result<(), TestCaseError> {
    let n = model.n_features;
    let columns = columns(rows, n);
    let columns: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let values = model.predict_values(&columns).expect("predicts");
    let proba = model.probabilities_of(&columns).ok();
    prop_assert_eq!(values.len(), rows.len());
    for (i, row) in rows.iter().enumerate() {
        prop_assert_eq!(values[i].to_bits(), model.predict_value(&row[..n]).expect("predicts").to_bits());
        if let Some(p) = &proba {
            let alone = model.probabilities(&row[..n]).expect("probabilities");
            let batch: Vec<f64> = p.iter().map(|class| class[i]).collect();
            prop_assert_eq!(batch, alone);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn a_batch_predicts_as_its_rows_do(
        linear in linear(),
        forest in forest(),
        rows in prop::collection::vec(prop::collection::vec(-10f64..10.0, 4), 0..40),
    ) {
        batch_agrees_with_rows(&linear, &rows)?;
        batch_agrees_with_rows(&forest, &rows)?;
    }

    #[test]
    fn a_model_document_round_trips(model in linear(), x in prop::collection::vec(-10f64..10.0, 4)) {
        let back = Model::from_bytes(&model.to_bytes()).expect("reads back");
        prop_assert_eq!(&back, &model);
        let row = &x[..model.n_features];
        prop_assert_eq!(back.predict_value(row).ok(), model.predict_value(row).ok());
    }

    #[test]
    fn a_tree_document_round_trips(threshold in -5f64..5.0, left in 0f64..3.0, right in 0f64..3.0, x in -10f64..10.0) {
        let nodes = vec![
            TreeNode::Split { feature: 0, threshold, left: 1, right: 2 },
            TreeNode::Leaf { value: left.floor(), proba: None },
            TreeNode::Leaf { value: right.floor(), proba: None },
        ];
        let output = Output::Classes { classes: vec!["a".into(), "b".into(), "c".into()] };
        let model = Model::new("DecisionTreeClassifier", serde_json::json!({}), 1, 3, output, State::Tree { nodes });
        let back = Model::from_bytes(&model.to_bytes()).expect("reads back");
        prop_assert_eq!(&back, &model);
        let want = if x < threshold { left.floor() } else { right.floor() };
        prop_assert_eq!(back.predict_value(&[x]).ok(), Some(want));
    }

    #[test]
    fn split_numbers_ignore_the_representation(values in prop::collection::vec(any::<i32>(), 1..50), seed in any::<i64>()) {
        let narrow: ArrayRef = Arc::new(Int32Array::from(values.clone()));
        let wide: ArrayRef = Arc::new(Int64Array::from(values.iter().map(|v| i64::from(*v)).collect::<Vec<_>>()));
        let a = bucket_of(seed, &[narrow]).expect("hashes");
        prop_assert_eq!(&a, &bucket_of(seed, &[wide]).expect("hashes"));
        prop_assert!(a.iter().all(|x| (0.0..1.0).contains(x)));
        let text: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let s: ArrayRef = Arc::new(StringArray::from(text.clone()));
        let v: ArrayRef = Arc::new(StringViewArray::from(text));
        prop_assert_eq!(bucket_of(seed, &[s]).expect("hashes"), bucket_of(seed, &[v]).expect("hashes"));
    }
}
