#!/usr/bin/env python3
"""The Python side of bench/compare_boosting.py: one process per tool and task, given a JSON spec.

Modes:
  default  HistGradientBoosting with its defaults, 5-fold CV: the mean score.
  grid     the spec's grid over the folds: GridSearchCV(HistGradientBoosting, n_jobs=cores), or
           (tool lightgbm) the same grid looped over LGBMClassifier/LGBMRegressor(n_jobs=cores).
  single   one fit on every row with the spec's parameters: the fit's own seconds.

Both tools get the columns sweep used, typed as it typed them: numbers as they are (missing cells
left missing), category columns as pandas categories (native categorical splits; more than 255
levels: their codes as numbers, as sweep does), dates expanded as sweep expands them.
Prints one JSON line.
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

sys.path.insert(0, os.path.dirname(__file__))
from sklearn_side import features  # noqa: E402

MAX_LEVELS = 255


def table(spec):
    frame = pd.read_csv(spec["path"], low_memory=False)
    if spec.get("rows"):
        frame = frame.head(spec["rows"])
    target = spec["target"]
    frame = frame[frame[target].notna()]
    X, categories = features(frame, spec["kinds"])
    for c in categories:
        levels = pd.Categorical([None if pd.isna(v) else str(v) for v in X[c]])
        if len(levels.categories) <= MAX_LEVELS:
            X[c] = levels
        else:
            X[c] = pd.Series(levels.codes, index=X.index).replace(-1, np.nan).astype(float)
    classification = spec["task"] == "classification"
    y = frame[target].astype(str) if classification else frame[target].astype(float)
    return X, y.to_numpy(), classification


def folds(spec, classification, seed):
    kind = StratifiedKFold if classification else KFold
    return kind(n_splits=spec["folds"], shuffle=True, random_state=seed)


def hgb(classification, **params):
    cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
    return cls(random_state=0, categorical_features="from_dtype", **params)


def lgbm(classification, cores, p):
    import lightgbm
    cls = lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor
    return cls(learning_rate=p["learning_rate"], num_leaves=p["max_leaf_nodes"], n_estimators=p["max_iter"],
               min_child_samples=20, reg_lambda=0.0, max_bin=255, n_jobs=cores, verbose=-1, random_state=0)


def score(classification, y, predicted):
    return accuracy_score(y, predicted) if classification else r2_score(y, predicted)


def main():
    spec = json.load(open(sys.argv[1]))
    cores = os.cpu_count() or 1
    X, y, classification = table(spec)
    metric = "accuracy" if classification else "r2"
    if spec["mode"] == "default":
        scores = []
        for train, test in folds(spec, classification, spec["seed"]).split(X, y):
            model = hgb(classification).fit(X.iloc[train], y[train])
            scores.append(score(classification, y[test], model.predict(X.iloc[test])))
        print(json.dumps({"score": float(np.mean(scores)), "metric": metric}))
    elif spec["mode"] == "grid" and spec["tool"] == "sklearn":
        search = GridSearchCV(hgb(classification, early_stopping=False), spec["grid"], cv=folds(spec, classification, spec["seed"]),
                              scoring=metric, n_jobs=cores)
        search.fit(X, y)
        print(json.dumps({"score": float(search.best_score_), "metric": metric}))
    elif spec["mode"] == "grid":
        keys = sorted(spec["grid"])
        combos = [dict(zip(keys, values)) for values in np.array(np.meshgrid(*[spec["grid"][k] for k in keys])).T.reshape(-1, len(keys))]
        splits = list(folds(spec, classification, spec["seed"]).split(X, y))
        best = -np.inf
        for combo in combos:
            p = {k: (int(v) if k != "learning_rate" else float(v)) for k, v in combo.items()}
            scores = [score(classification, y[test], lgbm(classification, cores, p).fit(X.iloc[train], y[train]).predict(X.iloc[test]))
                      for train, test in splits]
            best = max(best, float(np.mean(scores)))
        print(json.dumps({"score": best, "metric": metric}))
    else:
        p = spec["params"]
        model = (lgbm(classification, cores, p) if spec["tool"] == "lightgbm"
                 else hgb(classification, early_stopping=False, **p))
        started = time.perf_counter()
        model.fit(X, y)
        print(json.dumps({"fit_seconds": time.perf_counter() - started, "rows": len(y)}))


if __name__ == "__main__":
    main()
