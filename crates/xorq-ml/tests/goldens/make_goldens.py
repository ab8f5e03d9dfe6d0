"""Reference figures from scikit-learn for xorq-ml's golden tests (tests/it/goldens.rs).

Run once in a throw-away venv (`pip install scikit-learn==1.5.2 pandas`) from the repository root:

    python crates/xorq-ml/tests/goldens/make_goldens.py > crates/xorq-ml/tests/goldens/penguins.json

Data: the Palmer penguins shipped with `xorq init -t penguins`, rows with a bill length and a sex
(333 rows), in file order. Every figure is for the same rows and parameters the Rust test uses.
"""

import json
import sys

import pandas as pd
import sklearn
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeClassifier

df = pd.read_csv("crates/xorq-cli/templates/penguins/data/penguins.csv")
df = df[df["bill_length_mm"].notna() & df["sex"].notna()]
features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
X = df[features].to_numpy(dtype=float)

out = {"sklearn": sklearn.__version__, "rows": len(df), "features": features}

logistic = LogisticRegression(C=1.0, max_iter=10000, tol=1e-10).fit(X, df["species"])
out["logistic"] = {
    "params": {"C": 1.0, "max_iter": 10000, "tol": 1e-10},
    "classes": list(logistic.classes_),
    "coef": logistic.coef_.tolist(),
    "intercept": logistic.intercept_.tolist(),
    "accuracy": float((logistic.predict(X) == df["species"]).mean()),
}

binary = df[df["species"] != "Gentoo"]
Xb = binary[features].to_numpy(dtype=float)
logistic2 = LogisticRegression(C=0.5, max_iter=10000, tol=1e-10).fit(Xb, binary["species"])
out["logistic_binary"] = {
    "params": {"C": 0.5, "max_iter": 10000, "tol": 1e-10},
    "classes": list(logistic2.classes_),
    "coef": logistic2.coef_.tolist(),
    "intercept": logistic2.intercept_.tolist(),
}

linear = LinearRegression().fit(X, df["body_mass_g"])
out["linear"] = {"target": "body_mass_g", "coef": linear.coef_.tolist(), "intercept": float(linear.intercept_)}

tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, df["species"])
out["tree"] = {"params": {"max_depth": 3}, "accuracy": float((tree.predict(X) == df["species"]).mean())}

kmeans = KMeans(n_clusters=3, n_init=10, random_state=0).fit(X)
out["kmeans"] = {"params": {"n_clusters": 3, "n_init": 10}, "inertia": float(kmeans.inertia_)}

json.dump(out, sys.stdout, indent=2)
sys.stdout.write("\n")
