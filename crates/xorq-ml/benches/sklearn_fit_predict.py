"""scikit-learn's side of `cargo bench -p xorq-ml --bench fit_predict`.

Reads the rows the bench wrote (Arrow IPC: features f0..f9, label y), fits and predicts the
same estimators with the same parameters, and prints the seconds of each as JSON.
"""

import json
import sys
import time

import numpy as np
import pyarrow as pa
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def main(path):
    table = pa.ipc.open_file(path).read_all()
    features = [c for c in table.column_names if c != "y"]
    x = np.column_stack([table.column(c).to_numpy() for c in features])
    y = np.asarray(table.column("y").to_pylist())
    out = {"version": sklearn.__version__}
    lr = LogisticRegression(C=1.0, max_iter=100, tol=1e-4)
    out["lr_fit"], _ = timed(lambda: lr.fit(x, y))
    out["lr_predict"], _ = timed(lambda: lr.predict(x))
    rf = RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0, n_jobs=-1)
    out["rf_fit"], _ = timed(lambda: rf.fit(x, y))
    out["rf_predict"], _ = timed(lambda: rf.predict(x))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
