"""Reference figures from scikit-learn for pipelines with steps (tests/it/pipelines.rs).

Run once in a throw-away venv (`pip install scikit-learn==1.5.2 pandas`) from the repository root:

    python crates/xorq-ml/tests/goldens/make_pipeline_goldens.py > crates/xorq-ml/tests/goldens/pipelines.json

Penguins: the rows with a bill length and a sex (333), in file order. The imputer case uses
rows generated here (with missing values) and written into the JSON.
"""

import json
import sys

import pandas as pd
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

df = pd.read_csv("crates/xorq-cli/templates/penguins/data/penguins.csv")
df = df[df["bill_length_mm"].notna() & df["sex"].notna()]
features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
X = df[features].to_numpy(dtype=float)

out = {"sklearn": sklearn.__version__, "features": features}

scaled = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=10000, tol=1e-10)).fit(X, df["species"])
logistic = scaled[-1]
out["standard_logistic"] = {
    "params": {"C": 1.0, "max_iter": 10000, "tol": 1e-10},
    "coef": logistic.coef_.tolist(),
    "intercept": logistic.intercept_.tolist(),
    "accuracy": float((scaled.predict(X) == df["species"]).mean()),
}

Xr = df[features[:3]].to_numpy(dtype=float)
minmax = make_pipeline(MinMaxScaler(feature_range=(-1, 1)), LinearRegression()).fit(Xr, df["body_mass_g"])
out["minmax_linear"] = {
    "features": features[:3],
    "coef": minmax[-1].coef_.tolist(),
    "intercept": float(minmax[-1].intercept_),
}

# One-hot encoded islands (and sexes) beside numeric features. scikit-learn puts the encoded
# columns first (ColumnTransformer), so coefficients are recorded by feature name.
def names(pipeline):
    return [n.split("__", 1)[1] for n in pipeline[0].get_feature_names_out()]


islands = ["Biscoe", "Dream", "Torgersen"]
encoded = make_pipeline(
    ColumnTransformer(
        [("oh", OneHotEncoder(categories=[islands], drop="first"), ["island"])], remainder="passthrough"
    ),
    LinearRegression(),
).fit(df[["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "island"]], df["body_mass_g"])
out["one_hot_linear"] = {
    "features": ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "island"],
    "categories": {"island": islands},
    "coef": dict(zip(names(encoded), encoded[-1].coef_.tolist())),
    "intercept": float(encoded[-1].intercept_),
}
encoded = make_pipeline(
    ColumnTransformer(
        [("oh", OneHotEncoder(categories=[islands, ["female", "male"]]), ["island", "sex"])],
        remainder="passthrough",
    ),
    StandardScaler(),
    LogisticRegression(C=1.0, max_iter=10000, tol=1e-10),
).fit(df[["bill_length_mm", "bill_depth_mm", "island", "sex"]], df["species"])
out["one_hot_logistic"] = {
    "features": ["bill_length_mm", "bill_depth_mm", "island", "sex"],
    "categories": {"island": islands, "sex": ["female", "male"]},
    "coef": [dict(zip(names(encoded), row)) for row in encoded[-1].coef_.tolist()],
    "intercept": encoded[-1].intercept_.tolist(),
}

state = 777


def rand():
    global state
    state = (1103515245 * state + 12345) % 2**31
    return state / 2**31


rows = []
for _ in range(120):
    a, b = rand() * 10, rand() * 5
    y = 3 * a - 2 * b + rand()
    rows.append([None if rand() < 0.15 else round(a, 4), None if rand() < 0.15 else round(b, 4), round(y, 4)])
imputed = {"a": [r[0] for r in rows], "b": [r[1] for r in rows], "y": [r[2] for r in rows]}
Xi = pd.DataFrame({"a": imputed["a"], "b": imputed["b"]}).astype(float).to_numpy()
for strategy in ["mean", "median"]:
    p = make_pipeline(SimpleImputer(strategy=strategy), LinearRegression()).fit(Xi, imputed["y"])
    imputed[strategy] = {"coef": p[-1].coef_.tolist(), "intercept": float(p[-1].intercept_)}
out["imputer"] = imputed

json.dump(out, sys.stdout)
sys.stdout.write("\n")
