#!/usr/bin/env python3
"""sweep vs scikit-learn on the real tables of configs/real/, as published, in one run.

For each sweep file: run `sweep run` (threads, all cores) and time the whole process; then build the
scikit-learn equivalent from the columns sweep used (its manifest lists each column's kind): a
ColumnTransformer (median imputation and scaling for numbers, most-frequent imputation and one-hot
(max 32 columns) or ordinal codes for categories, dates expanded to year/month/day/weekday/hour/epoch)
inside a GridSearchCV with n_jobs = all cores over the same grid, and time its fits. Prints best score
per model family for both, averaged over `--seeds` fold seeds (sweep's `seed:` and scikit-learn's
KFold random_state), and the wall-time ratio.

Usage: .peer/bin/python bench/real_tables.py [--seeds 3] [--only wage,cps1988] [--data-dir DIR]
(`bench/real_tables.sh` makes the venv). `--data-dir` points the sweep files at other copies of the
tables, e.g. the full flights table.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "target" / "release" / "sweep"
SCALED = {"logistic_regression", "svm", "linear_regression", "elastic_net"}
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


def run_sweep(config, seed, data_dir, out):
    text = yaml.safe_load(config.read_text())
    text["seed"] = seed
    if data_dir:
        text["data"]["path"] = str(Path(data_dir) / Path(text["data"]["path"]).name)
    else:
        text["data"]["path"] = str((config.parent / text["data"]["path"]).resolve())
    path = Path(out) / f"{config.stem}-{seed}.yaml"
    path.write_text(yaml.safe_dump(text))
    started = time.perf_counter()
    subprocess.run([str(SWEEP), "run", str(path), "--out", str(Path(out) / f"{config.stem}-{seed}"), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    run = Path(out) / f"{config.stem}-{seed}"
    manifest = json.loads((run / "manifest.json").read_text())
    board = pd.read_csv(run / "leaderboard.csv")
    return text, manifest, board, wall


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--only", default="")
    p.add_argument("--data-dir", default="")
    a = p.parse_args()
    configs = sorted((ROOT / "configs" / "real").glob("*.yaml"))
    if a.only:
        configs = [c for c in configs if c.stem in a.only.split(",")]
    cores = os.cpu_count() or 1
    print(f"sweep vs scikit-learn on configs/real, {cores} cores, fold seeds 0..{a.seeds - 1}")
    print("| table | rows | family | best sweep | best scikit-learn | gap |")
    print("|---|---|---|---|---|---|")
    timings = []
    with tempfile.TemporaryDirectory() as out:
        for config in configs:
            best = {}
            sweep_wall, sk_wall = [], []
            for seed in range(a.seeds):
                text, manifest, board, wall = run_sweep(config, seed, a.data_dir, out)
                sweep_wall.append(wall)
                metric = manifest["metric"]
                classification = manifest["task"] == "classification"
                higher = metric not in ("rmse", "mae")
                score_col = f"mean_test_{metric}"
                for model, rows in board[board["status"] == "ok"].groupby("model"):
                    value = rows[score_col].max() if higher else rows[score_col].min()
                    best.setdefault(model, {"sweep": [], "sklearn": []})["sweep"].append(value)
                # The same columns, read by pandas as a scikit-learn user would.
                frame = pd.read_csv(manifest["data"]["path"])
                target = text["data"]["target"]
                frame = frame[frame[target].notna()]
                kinds = {c["name"]: c["kind"] for c in manifest["data"]["columns"] if c["role"].startswith("feature")}
                X = frame[list(kinds)].copy()
                for c, k in kinds.items():
                    if k == "boolean":
                        X[c] = X[c].map(lambda v: None if pd.isna(v) else str(v).lower() in ("true", "yes", "y", "t")).astype(float)
                X = expand_dates(X, [c for c, k in kinds.items() if k == "date"])
                categories = [c for c, k in kinds.items() if k == "category"]
                numbers = [c for c in X.columns if c not in categories]
                y = frame[target]
                if classification:
                    y = y.astype(str)
                seed_fits = 0.0
                split = (StratifiedKFold if classification else KFold)(
                    n_splits=text.get("cv", {}).get("folds", 5), shuffle=True, random_state=seed)
                for entry in text["models"]:
                    model = entry["model"]
                    est, grid = estimator(model, entry.get("params"), classification)
                    scale = [("scale", StandardScaler())] if model in SCALED else []
                    encode = (OneHotEncoder(handle_unknown="ignore", max_categories=32, sparse_output=False)
                              if model in ONE_HOT else
                              OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1))
                    pre = ColumnTransformer([
                        ("num", Pipeline([("impute", SimpleImputer(strategy="median"))] + scale), numbers),
                        ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("encode", encode)]), categories),
                    ])
                    search = GridSearchCV(Pipeline([("pre", pre), ("model", est)]),
                                          {f"model__{k}": v for k, v in grid.items()},
                                          scoring=SCORING[metric], cv=split, n_jobs=cores)
                    started = time.perf_counter()
                    search.fit(X, y)
                    seed_fits += time.perf_counter() - started
                    score = search.best_score_ if metric not in ("rmse", "mae") else -search.best_score_
                    best.setdefault(model, {"sweep": [], "sklearn": []})["sklearn"].append(score)
                sk_wall.append(seed_fits)
            rows = manifest["data"]["rows"]
            for model, scores in sorted(best.items()):
                s, k = np.mean(scores["sweep"]), np.mean(scores["sklearn"])
                gap = (s - k) if higher else (k - s)
                unit = f"{gap * 100:+.2f} pt" if metric in ("accuracy", "r2") else f"{gap:+.3f} {metric} ({gap / k * 100:+.1f}%)"
                print(f"| {config.stem} | {rows} | {model} | {s:.4f} | {k:.4f} | {unit} |")
            timings.append((config.stem, np.median(sweep_wall), np.median(sk_wall)))
            sys.stdout.flush()
    print("\n| table | sweep wall (s) | scikit-learn fits (s) | ratio |")
    print("|---|---|---|---|")
    for name, s, k in timings:
        print(f"| {name} | {s:.2f} | {k:.2f} | {k / s:.2f}x |")


if __name__ == "__main__":
    main()
