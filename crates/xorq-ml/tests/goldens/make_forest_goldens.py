"""Reference figures from scikit-learn for our CART trees and forests (tests/it/forests.rs).

Run once in a throw-away venv (`pip install scikit-learn==1.5.2 pandas`) from the repository root:

    python crates/xorq-ml/tests/goldens/make_forest_goldens.py > crates/xorq-ml/tests/goldens/forests.json

Penguins with a bill length and a sex (333 rows); the penguins of 2009 are the test rows, the
others the training rows. Figures: training R² of a regression tree (greedy CART, the same
algorithm: expected to agree closely), test accuracy and R² of forests (randomness differs:
expected within a band).
"""

import json
import sys

import pandas as pd
import sklearn
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import r2_score
from sklearn.tree import DecisionTreeRegressor

df = pd.read_csv("crates/xorq-cli/templates/penguins/data/penguins.csv")
df = df[df["bill_length_mm"].notna() & df["sex"].notna()]
features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
train, test = df[df["year"] != 2009], df[df["year"] == 2009]

out = {"sklearn": sklearn.__version__, "features": features, "train_rows": len(train), "test_rows": len(test)}

tree = DecisionTreeRegressor(max_depth=4, random_state=0).fit(df[features], df["body_mass_g"])
out["tree_regressor"] = {"params": {"max_depth": 4}, "train_r2": r2_score(df["body_mass_g"], tree.predict(df[features]))}

rfc = RandomForestClassifier(n_estimators=100, max_depth=5, random_state=0).fit(train[features], train["species"])
out["forest_classifier"] = {
    "params": {"n_estimators": 100, "max_depth": 5, "random_state": 0},
    "test_accuracy": float((rfc.predict(test[features]) == test["species"]).mean()),
}

rfr = RandomForestRegressor(n_estimators=100, max_depth=6, random_state=0).fit(train[features], train["body_mass_g"])
out["forest_regressor"] = {
    "params": {"n_estimators": 100, "max_depth": 6, "random_state": 0},
    "test_r2": r2_score(test["body_mass_g"], rfr.predict(test[features])),
}

json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
