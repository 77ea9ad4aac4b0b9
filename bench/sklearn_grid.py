#!/usr/bin/env python3
"""Reference sweep in scikit-learn: the same grid as configs/breast_cancer.yaml describes.

Usage: python3 sklearn_grid.py DATA.csv [--jobs N] [--backend loky|threading]
Prints one line per model family (seconds, best mean CV accuracy, best params) and a TOTAL line.
Setup: bench/compare.sh creates the .peer venv. FOLD_SEED (default 0) seeds the folds.
"""
import argparse, json, os, time
import numpy as np, pandas as pd
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC
from sklearn.ensemble import RandomForestClassifier

ap = argparse.ArgumentParser()
ap.add_argument("data"); ap.add_argument("--jobs", type=int, default=1)
ap.add_argument("--backend", default="loky"); ap.add_argument("--target", default="target")
a = ap.parse_args()
df = pd.read_csv(a.data); y = df.pop(a.target).to_numpy(); X = df.to_numpy(float)
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=int(os.environ.get("FOLD_SEED", "0")))
alphas = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10]
families = {
    # alpha is an L2 penalty weight; scikit-learn's C is its inverse
    "logistic_regression": (make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
                            {"logisticregression__C": [1 / x for x in alphas]}),
    "decision_tree": (DecisionTreeClassifier(random_state=0),
                      {"max_depth": [2, 4, 6, 8, 10, None], "criterion": ["gini", "entropy"],
                       "min_samples_leaf": [1, 5]}),
    "gaussian_nb": (GaussianNB(), {"var_smoothing": [1e-11, 1e-10, 1e-9, 1e-8, 1e-7]}),
    "svm_rbf": (make_pipeline(StandardScaler(), SVC(kernel="rbf")),
                {"svc__C": [0.1, 1, 10, 100], "svc__gamma": [0.001, 0.01, 0.1, 1]}),
    "random_forest": (RandomForestClassifier(random_state=0),
                      {"n_estimators": [50, 100], "max_depth": [4, 8, None]}),
}
total0 = time.perf_counter(); n = 0
with parallel_backend(a.backend):
    for name, (est, grid) in families.items():
        t0 = time.perf_counter()
        gs = GridSearchCV(est, grid, cv=cv, scoring="accuracy", n_jobs=a.jobs).fit(X, y)
        n += len(gs.cv_results_["params"])
        print(json.dumps({"model": name, "configs": len(gs.cv_results_["params"]),
                          "seconds": round(time.perf_counter() - t0, 3),
                          "best_accuracy": round(gs.best_score_, 4), "best_params": gs.best_params_}))
print(json.dumps({"model": "TOTAL", "configs": n, "folds": 5, "jobs": a.jobs, "backend": a.backend,
                  "seconds": round(time.perf_counter() - total0, 3)}))
