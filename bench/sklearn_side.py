#!/usr/bin/env python3
"""The scikit-learn side of bench/compare_real.py: one process that does what `sweep run` does.

Reads a JSON spec (data file, target, the kind sweep inferred for each feature column, task, metric,
folds, fold seed, model entries), reads the table with pandas as a scikit-learn user would, builds a
ColumnTransformer (median imputation and scaling for numbers where the family needs scaling,
most-frequent imputation and one-hot (max 32 columns) or ordinal codes for categories, dates
expanded to year/month/day/weekday/hour/epoch) inside a GridSearchCV with n_jobs = all cores per
entry, and prints the best score of each family as JSON.

Usage: python bench/sklearn_side.py SPEC.json
"""
import json
import os
import sys

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

SCALED = {"logistic_regression", "svm", "linear_regression", "elastic_net", "knn"}
ONE_HOT = SCALED | {"gaussian_nb"}
SCORING = {"accuracy": "accuracy", "rmse": "neg_root_mean_squared_error", "r2": "r2", "mae": "neg_mean_absolute_error"}


def as_list(v):
    return v if isinstance(v, list) else [v]


def estimator(model, params, classification):
    """The scikit-learn estimator and grid for one sweep model entry."""
    grid = {k: as_list(v) for k, v in (params or {}).items()}
    if model == "logistic_regression":
        g = {"C": [1.0 / a for a in grid.get("alpha", [1.0])], "max_iter": grid.get("max_iterations", [100])}
        return LogisticRegression(), g
    if model == "decision_tree":
        cls = DecisionTreeClassifier if classification else DecisionTreeRegressor
        return cls(random_state=0), {"max_depth": grid.get("max_depth", [None])}
    if model == "random_forest":
        cls = RandomForestClassifier if classification else RandomForestRegressor
        return cls(random_state=0, max_features="sqrt", n_jobs=1), {
            "n_estimators": grid.get("n_estimators", [100]), "max_depth": grid.get("max_depth", [None])}
    if model == "gradient_boosting":
        cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        keys = ("learning_rate", "max_iter", "max_leaf_nodes", "early_stopping")
        return cls(random_state=0), {k: grid[k] for k in keys if k in grid}
    if model == "gaussian_nb":
        return GaussianNB(), {}
    if model == "svm":
        return SVC(kernel="rbf"), {"C": grid.get("c", [1.0]), "gamma": grid.get("gamma", [0.1])}
    if model == "linear_regression":
        return LinearRegression(), {}
    if model == "elastic_net":
        return ElasticNet(max_iter=1000, tol=1e-4), {"alpha": grid.get("alpha", [1.0]), "l1_ratio": grid.get("l1_ratio", [0.5])}
    raise ValueError(model)


def expand_dates(frame, columns):
    for c in columns:
        t = pd.to_datetime(frame[c], utc=True, errors="coerce")
        parts = {"year": t.dt.year, "month": t.dt.month, "day": t.dt.day, "weekday": t.dt.day_of_week,
                 "hour": t.dt.hour, "epoch": t.astype("int64") // 10**9}
        for name, values in parts.items():
            values = values.astype(float).where(t.notna())
            if values.nunique(dropna=True) > 1:
                frame[f"{c}.{name}"] = values
        frame = frame.drop(columns=c)
    return frame


def features(frame, kinds):
    """The feature frame of the columns sweep used, typed as it typed them; and its category columns."""
    X = frame[list(kinds)].copy()
    for c, k in kinds.items():
        if k == "boolean":
            X[c] = X[c].map(lambda v: None if pd.isna(v) else str(v).lower() in ("true", "yes", "y", "t")).astype(float)
    X = expand_dates(X, [c for c, k in kinds.items() if k == "date"])
    return X, [c for c, k in kinds.items() if k == "category"]


def pipeline(model, est, numbers, categories):
    """sweep's default preprocessing for `model` in front of `est`."""
    scale = [("scale", StandardScaler())] if model in SCALED else []
    encode = (OneHotEncoder(handle_unknown="ignore", max_categories=32, sparse_output=False)
              if model in ONE_HOT else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1))
    pre = ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median"))] + scale), numbers),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("encode", encode)]), categories),
    ])
    return Pipeline([("pre", pre), ("model", est)])


def main():
    spec = json.load(open(sys.argv[1]))
    cores = os.cpu_count() or 1
    classification = spec["task"] == "classification"
    frame = pd.read_csv(spec["path"])
    target = spec["target"]
    frame = frame[frame[target].notna()]
    X, categories = features(frame, spec["kinds"])
    numbers = [c for c in X.columns if c not in categories]
    y = frame[target].astype(str) if classification else frame[target]
    split = (StratifiedKFold if classification else KFold)(n_splits=spec["folds"], shuffle=True, random_state=spec["seed"])
    metric = spec["metric"]
    best = {}
    for entry in spec["models"]:
        model = entry["model"]
        est, grid = estimator(model, entry.get("params"), classification)
        search = GridSearchCV(pipeline(model, est, numbers, categories), {f"model__{k}": v for k, v in grid.items()},
                              scoring=SCORING[metric], cv=split, n_jobs=cores)
        search.fit(X, y)
        best[model] = search.best_score_ if metric not in ("rmse", "mae") else -search.best_score_
    print(json.dumps(best))


if __name__ == "__main__":
    main()
