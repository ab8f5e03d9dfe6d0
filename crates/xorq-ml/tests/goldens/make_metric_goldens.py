"""Reference metric values from scikit-learn for xorq-ml's metric goldens (tests/it/metrics.rs).

Run once in a throw-away venv (`pip install scikit-learn==1.5.2`) from the repository root:

    python crates/xorq-ml/tests/goldens/make_metric_goldens.py > crates/xorq-ml/tests/goldens/metrics.json

The data are generated here by a fixed linear congruential generator (no numpy randomness), and
written into the JSON with the figures, so the Rust test scores exactly these rows.
"""

import json
import sys

import sklearn
from sklearn import metrics

state = 12345


def rand():
    global state
    state = (1103515245 * state + 12345) % 2**31
    return state / 2**31


labels = ["cat", "dog"]
y_true = [labels[int(rand() < 0.4)] for _ in range(200)]
# Predictions right about 80% of the time; scores in steps of 0.05 so that many tie.
y_pred = [t if rand() < 0.8 else labels[1 - labels.index(t)] for t in y_true]
y_score = [round((0.6 if t == "dog" else 0.4) + (rand() - 0.5) * 0.8, 2) // 0.05 * 0.05 for t in y_true]
y_score = [round(s, 2) for s in y_score]
r_true = [round(10 * rand() + 5, 3) for _ in range(150)]
r_pred = [round(t + (rand() - 0.5) * 3, 3) for t in r_true]

out = {
    "sklearn": sklearn.__version__,
    "classification": {
        "y_true": y_true,
        "y_pred": y_pred,
        "y_score": y_score,
        "pos_label": "dog",
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "precision": metrics.precision_score(y_true, y_pred, pos_label="dog"),
        "recall": metrics.recall_score(y_true, y_pred, pos_label="dog"),
        "f1": metrics.f1_score(y_true, y_pred, pos_label="dog"),
        "roc_auc": metrics.roc_auc_score([t == "dog" for t in y_true], y_score),
    },
    "regression": {
        "y_true": r_true,
        "y_pred": r_pred,
        "r2": metrics.r2_score(r_true, r_pred),
        "mae": metrics.mean_absolute_error(r_true, r_pred),
        "rmse": metrics.root_mean_squared_error(r_true, r_pred),
    },
}
json.dump(out, sys.stdout)
sys.stdout.write("\n")
