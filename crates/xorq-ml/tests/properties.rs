//! Properties: a model document round-trips to the same model and predictions; the split
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

proptest! {
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
