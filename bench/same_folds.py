"""One family's grid in sweep and in scikit-learn's GridSearchCV on the very same folds.

sweep runs the grid (best refitted, so its out_of_fold.csv says each row's fold); scikit-learn runs the
same grid in GridSearchCV(n_jobs = cores, refit=True) over those folds (PredefinedSplit), behind the same
default preprocessing (bench/sklearn_side.py). Returns both sides' wall seconds and every
configuration's mean score, keyed by the sweep's parameter values in `names` order.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import pandas as pd
import yaml
from sklearn.model_selection import GridSearchCV, PredefinedSplit

from sklearn_side import features, pipeline

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "target" / "release" / "sweep"
REAL = ROOT.parent / "shared" / "data" / "real"


def sweep_side(work, name, table, model, grid, metric, cores):
    path, target, drop = table
    spec = {"name": name, "seed": 0, "data": {"path": str(path), "target": target, "drop": drop},
            "cv": {"folds": 5}, "metric": metric, "refit": "best",
            "models": [{"model": model, "params": grid}]}
    config = work / f"{name}.yaml"
    config.write_text(yaml.safe_dump(spec))
    out = work / name
    started = time.perf_counter()
    subprocess.run([str(SWEEP), "run", str(config), "--out", str(out), "--quiet", "--jobs", str(cores),
                    "--no-report"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    trials = pd.read_csv(out / "trials.csv")
    manifest = json.loads((out / "manifest.json").read_text())
    folds = pd.read_csv(out / manifest["models"][0]["dir"] / "out_of_fold.csv", usecols=["row", "fold"])
    scores = {tuple(str(t[f"param_{n}"]) for n in grid): t[f"mean_test_{metric}"] for _, t in trials.iterrows()}
    return seconds, scores, manifest, folds


def sklearn_side(table, model, estimator, grid, names, scoring, manifest, folds, cores, classification):
    """`grid` in scikit-learn's names; `names` maps each to the sweep's parameter, in key order."""
    path, target, _ = table
    frame = pd.read_csv(path)
    fold_of = dict(zip(folds["row"], folds["fold"]))
    keep = [r for r in range(len(frame)) if r in fold_of]
    frame = frame.iloc[keep]
    kinds = {c["name"]: c["kind"] for c in manifest["data"]["columns"] if c["role"].startswith("feature")}
    X, categories = features(frame, kinds)
    numbers = [c for c in X.columns if c not in categories]
    y = frame[target].astype(str) if classification else frame[target]
    search = GridSearchCV(pipeline(model, estimator, numbers, categories),
                          {f"model__{k}": v for k, v in grid.items()}, cv=PredefinedSplit([fold_of[r] for r in keep]),
                          n_jobs=cores, scoring=scoring, refit=True)
    started = time.perf_counter()
    search.fit(X, y)
    seconds = time.perf_counter() - started
    r = search.cv_results_
    scores = {}
    for i, score in enumerate(r["mean_test_score"]):
        scores[tuple(str(names[k](r[f"param_model__{k}"][i])) for k in names)] = score
    return seconds, scores


def arguments(tables):
    """--tables (default: all of `tables`) and --out, and the number of cores."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", nargs="+", default=list(tables))
    parser.add_argument("--out", type=Path)
    return parser.parse_args(), os.cpu_count() or 1


def title(what, cores):
    return f"# {what} ({datetime.date.today()}, {platform.processor() or platform.machine()}, {cores} cores)"


def finish(lines, out):
    text = "\n".join(lines) + "\n"
    print(text)
    if out:
        out.write_text(text)
