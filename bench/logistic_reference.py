"""scikit-learn's LogisticRegression(lbfgs) on the formula-made matrices of
src/models/logistic_regression/tests.rs, solved to tol 1e-12: the coefficients those tests expect.
Run: .peer/bin/python bench/logistic_reference.py (after bench/peer_env.sh made the venv)."""
import numpy as np
from sklearn.linear_model import LogisticRegression


def matrix(n, p, classes, one_hot=0, separable=False):
    i = np.arange(n)[:, None].astype(float)
    j = np.arange(p)[None, :].astype(float)
    x = np.sin(0.37 * i * (j + 1) + 1.3 * j) * (1 + 0.5 * j) + np.cos(0.11 * i + j)
    if separable:
        y = (x[:, 0] + x[:, 1] > 0).astype(int)
    else:
        k = np.arange(classes)[None, :].astype(float)
        w = np.cos(k * np.arange(p)[:, None] + 0.5)
        scores = x @ w + 1.5 * np.sin(7.1 * i + k)
        if one_hot:
            category = (np.arange(n) * 7 + np.arange(n) // 13) % one_hot
            scores += 1.2 * (category[:, None] % classes == k)
        y = scores.argmax(axis=1)
    if one_hot:
        category = (np.arange(n) * 7 + np.arange(n) // 13) % one_hot
        x = np.hstack([x, np.eye(one_hot)[category]])
    return x, y


CASES = {
    "binary": (matrix(200, 5, 2), 1.0, None),
    "three_classes": (matrix(300, 4, 3), 0.5, None),
    "nine_classes_one_hot": (matrix(900, 6, 9, one_hot=9), 10.0, None),
    "separable_small_penalty": (matrix(120, 3, 2, separable=True), 1e4, None),
    "binary_balanced": (matrix(200, 5, 2), 1.0, "balanced"),
}

for name, ((x, y), c, weight) in CASES.items():
    model = LogisticRegression(C=c, tol=1e-12, max_iter=100000, class_weight=weight).fit(x, y)
    print(f"// {name}: C = {c}, class_weight = {weight}, classes {np.bincount(y).tolist()}, n_iter {model.n_iter_}")
    coef = ", ".join(repr(float(v)) for v in model.coef_.T.ravel())
    print(f"const {name.upper()}_COEF: &[f64] = &[{coef}];")
    intercept = ", ".join(repr(float(v)) for v in model.intercept_)
    print(f"const {name.upper()}_INTERCEPT: &[f64] = &[{intercept}];")

# The 9-class table of data/classes9.csv through the default preprocessing of logistic_regression
# (median-imputed, standardised numbers, the yes/no column read as a 0/1 number as sweep types it;
# most-frequent-imputed, one-hot categories), fitted on all rows at C = 10: its mean log-loss on
# those rows, which tests/classification.rs expects of `sweep`'s refit.
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

frame = pd.read_csv("data/classes9.csv")
y = frame.pop("category")
frame["landfall"] = (frame["landfall"] == "yes").astype(float)
numbers = ["wind", "pressure", "lat", "long", "month", "landfall"]
texts = ["basin", "system"]
prep = ColumnTransformer([
    ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
    ("texts", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()), texts),
])
for c, tol in [(10.0, 1e-12), (10.0, 1e-4)]:
    model = make_pipeline(prep, LogisticRegression(C=c, tol=tol, max_iter=100000)).fit(frame, y)
    loss = log_loss(y, model.predict_proba(frame), labels=model.classes_)
    print(f"// classes9, C = {c}, tol = {tol}: n_iter {model[-1].n_iter_}, training log-loss {loss!r}")
