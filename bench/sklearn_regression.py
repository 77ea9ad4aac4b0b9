#!/usr/bin/env python3
"""scikit-learn's DecisionTreeRegressor / RandomForestRegressor on the grid of configs/diabetes_trees.yaml.

Usage: python3 sklearn_regression.py DATA.csv [--jobs N]
Prints one JSON line per family (seconds, best mean CV r2 over 5 shuffled folds) and one per configuration.
"""
import argparse, json, time
import pandas as pd
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.tree import DecisionTreeRegressor
from sklearn.ensemble import RandomForestRegressor

ap = argparse.ArgumentParser()
ap.add_argument("data"); ap.add_argument("--jobs", type=int, default=1)
a = ap.parse_args()
df = pd.read_csv(a.data); y = df.pop("target").to_numpy(float); X = df.to_numpy(float)
cv = KFold(n_splits=5, shuffle=True, random_state=0)
families = {
    "decision_tree": (DecisionTreeRegressor(random_state=0),
                      {"max_depth": [2, 3, 4, 6, None], "min_samples_leaf": [1, 5, 20]}),
    "random_forest": (RandomForestRegressor(random_state=0),
                      {"n_estimators": [100], "max_depth": [4, 8, None], "max_features": [0.33, 1.0],
                       "min_samples_leaf": [1, 5]}),
}
for name, (est, grid) in families.items():
    t0 = time.perf_counter()
    gs = GridSearchCV(est, grid, cv=cv, scoring="r2", n_jobs=a.jobs).fit(X, y)
    print(json.dumps({"model": name, "seconds": round(time.perf_counter() - t0, 3),
                      "best_r2": round(gs.best_score_, 4), "best_params": gs.best_params_}))
    for params, r2 in zip(gs.cv_results_["params"], gs.cv_results_["mean_test_score"]):
        print(json.dumps({"model": name, "params": params, "r2": r2}))
