"""Memory of forest-heavy TPE sweeps against scikit-learn (one run, one machine): prints markdown.

On two shared real tables (nasscds: 26,217 rows, alive/dead; cps1988: 28,155 rows, wage), a TPE sweep
over random forests (n_estimators, max_depth, max_features, min_samples_leaf drawn from ranges), 5-fold
CV, best configuration refitted, on both backends with 2 jobs; against scikit-learn's
RandomizedSearchCV(n_jobs=2) over the same ranges and trial count with the same preprocessing
(bench/sklearn_side.py's ColumnTransformer), refit=True. Reported: peak RSS of each whole process tree
(sampled every 20 ms), wall time, best CV score, and the size of the saved model (model.bin against the
pickled best_estimator_).

Run: bash bench/compare_memory.sh [--trials N]
"""
import argparse
import datetime
import json
import os
import pickle
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_real import ROOT, feature_kinds, run_python_side, run_sweep_text  # noqa: E402

TABLES = [("nasscds", "dead", "accuracy"), ("cps1988", "wage", "r2")]
SPACE = {
    "n_estimators": {"int_uniform": [50, 200]},
    "max_depth": {"int_uniform": [6, 30]},
    "max_features": {"uniform": [0.2, 0.9]},
    "min_samples_leaf": {"int_uniform": [1, 20]},
}


def side(spec_path):
    """The scikit-learn side, run as its own process by run_python_side."""
    from scipy.stats import randint, uniform
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.model_selection import KFold, RandomizedSearchCV, StratifiedKFold
    from sklearn_side import features, pipeline

    spec = json.load(open(spec_path))
    classification = spec["task"] == "classification"
    frame = pd.read_csv(spec["path"])
    frame = frame[frame[spec["target"]].notna()]
    X, categories = features(frame, spec["kinds"])
    numbers = [c for c in X.columns if c not in categories]
    y = frame[spec["target"]].astype(str) if classification else frame[spec["target"]]
    forest = (RandomForestClassifier if classification else RandomForestRegressor)(random_state=0, n_jobs=1)
    split = (StratifiedKFold if classification else KFold)(n_splits=5, shuffle=True, random_state=0)
    search = RandomizedSearchCV(
        pipeline("random_forest", forest, numbers, categories),
        {"model__n_estimators": randint(50, 201), "model__max_depth": randint(6, 31),
         "model__max_features": uniform(0.2, 0.7), "model__min_samples_leaf": randint(1, 21)},
        n_iter=spec["trials"], cv=split, n_jobs=2, random_state=0, refit=True,
        scoring="accuracy" if classification else "r2")
    search.fit(X, y)
    size = len(pickle.dumps(search.best_estimator_))
    print(json.dumps({"score": search.best_score_, "model_bytes": size}))


def mib(b):
    return b / 2**20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sweep-memory-"))
    print(f"# Memory of forest-heavy TPE sweeps against scikit-learn\n\n{datetime.date.today()}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; {args.trials} trials x 5 folds, "
          "random forests drawn from n_estimators 50-200, max_depth 6-30, max_features 0.2-0.9, "
          "min_samples_leaf 1-20; 2 jobs on every side; best configuration refitted.\n")
    print("| table | rows | side | peak RSS (MiB) | wall (s) | best CV | saved model (MiB) |")
    print("|---|---|---|---|---|---|---|")
    for name, target, metric in TABLES:
        data = {"path": str(ROOT / "data" / "real" / f"{name}.csv.gz"), "target": target}
        peaks = {}
        for backend in ("threads", "processes"):
            sweep = {"name": f"{name}-{backend}", "seed": 0, "data": data, "cv": {"folds": 5}, "metric": metric,
                     "search": {"strategy": "tpe", "trials": args.trials},
                     "execution": {"backend": backend, "jobs": 2},
                     "models": [{"model": "random_forest", "params": SPACE}]}
            wall, peak, manifest, board, out = run_sweep_text(sweep, work, f"{name}-{backend}")
            ok = board[board["status"] == "ok"]
            best = float(ok[f"mean_test_{metric}"].max())
            model = next((out / "models").iterdir()) / "model.bin"
            peaks[backend] = peak
            print(f"| {name} | {manifest['data']['rows']} | sweep, {backend} | {mib(peak):.0f} | {wall:.1f} | "
                  f"{best:.4f} | {mib(model.stat().st_size):.1f} |", flush=True)
        spec = {"path": str(ROOT / "data" / "real" / f"{name}.csv.gz"), "target": target, "task": manifest["task"],
                "kinds": feature_kinds(manifest), "trials": args.trials}
        wall, peak, result = run_python_side(Path(__file__), spec, work, f"{name}-sklearn")
        print(f"| {name} | {manifest['data']['rows']} | scikit-learn RandomizedSearchCV | {mib(peak):.0f} | {wall:.1f} | "
              f"{result['score']:.4f} | {mib(result['model_bytes']):.1f} |", flush=True)
        for backend, p in peaks.items():
            print(f"\n{name}: sweep ({backend}) peak / scikit-learn peak = {p / peak:.2f}", end="")
        print("\n")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1].endswith(".json"):
        side(sys.argv[1])
    else:
        main()
