#!/usr/bin/env python3
"""knn against scikit-learn's GridSearchCV(KNeighborsClassifier) on the same folds, one run, same machine.

For each table: sweep runs n_neighbors 1..50 x weights (uniform, distance) x p (1, 2) = 200
configurations over 5 stratified folds with --jobs = cores and the best refitted (its out_of_fold.csv
says each row's fold); scikit-learn runs the same grid in GridSearchCV(n_jobs = cores, refit=True) over
those very folds (PredefinedSplit) with the same default preprocessing (median impute and scale the
numbers, one-hot the categories). Wall time of the whole `sweep run` process against GridSearchCV.fit,
and every configuration's mean accuracy on both sides.

Usage: bench/compare_knn.sh [--tables mlc_churn nasscds] [--out bench/compare_knn.md]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.neighbors import KNeighborsClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sklearn_side import features, pipeline  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "target" / "release" / "sweep"
REAL = ROOT.parent / "shared" / "data" / "real"
TABLES = {
    "mlc_churn": (REAL / "mlc_churn.csv", "churn", []),
    "nasscds": (REAL / "nasscds.csv", "dead", ["injSeverity"]),
}
GRID = {"n_neighbors": list(range(1, 51)), "weights": ["uniform", "distance"], "p": [1, 2]}


def sweep_side(work, table, cores):
    path, target, drop = TABLES[table]
    spec = {"name": table, "seed": 0, "data": {"path": str(path), "target": target, "drop": drop},
            "cv": {"folds": 5}, "metric": "accuracy", "refit": "best",
            "models": [{"model": "knn", "params": GRID}]}
    config = work / f"{table}.yaml"
    config.write_text(yaml.safe_dump(spec))
    out = work / table
    started = time.perf_counter()
    subprocess.run([str(SWEEP), "run", str(config), "--out", str(out), "--quiet", "--jobs", str(cores),
                    "--no-report"], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    trials = pd.read_csv(out / "trials.csv")
    manifest = json.loads((out / "manifest.json").read_text())
    folder = out / manifest["models"][0]["dir"]
    folds = pd.read_csv(folder / "out_of_fold.csv", usecols=["row", "fold"])
    ours = {}
    for _, t in trials.iterrows():
        ours[(int(t["param_n_neighbors"]), t["param_weights"], int(t["param_p"]))] = t["mean_test_accuracy"]
    return seconds, ours, manifest, folds


def sklearn_side(table, manifest, folds, cores):
    path, target, _ = TABLES[table]
    frame = pd.read_csv(path)
    fold_of = dict(zip(folds["row"], folds["fold"]))
    keep = [r for r in range(len(frame)) if r in fold_of]
    frame = frame.iloc[keep]
    kinds = {c["name"]: c["kind"] for c in manifest["data"]["columns"] if c["role"].startswith("feature")}
    X, categories = features(frame, kinds)
    numbers = [c for c in X.columns if c not in categories]
    y = frame[target].astype(str)
    split = PredefinedSplit([fold_of[r] for r in keep])
    search = GridSearchCV(pipeline("knn", KNeighborsClassifier(), numbers, categories),
                          {f"model__{k}": v for k, v in GRID.items()}, cv=split, n_jobs=cores,
                          scoring="accuracy", refit=True)
    started = time.perf_counter()
    search.fit(X, y)
    seconds = time.perf_counter() - started
    r = search.cv_results_
    theirs = {(int(k), w, int(p)): s for k, w, p, s in zip(
        r["param_model__n_neighbors"], r["param_model__weights"], r["param_model__p"], r["mean_test_score"])}
    return seconds, theirs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", nargs="+", default=list(TABLES))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    lines = [f"# knn against GridSearchCV(KNeighborsClassifier) ({datetime.date.today()}, "
             f"{platform.processor() or platform.machine()}, {cores} cores)", "",
             "200 configurations (n_neighbors 1-50 x weights x p) x the same 5 stratified folds; wall seconds of "
             "`sweep run --jobs cores` (best refitted) against `GridSearchCV(n_jobs=cores).fit`.", "",
             "| table | rows | sweep s | scikit-learn s | speed-up | largest accuracy gap (points) | configurations equal | "
             "best sweep / scikit-learn |", "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for table in args.tables:
            ours_s, ours, manifest, folds = sweep_side(Path(tmp), table, cores)
            theirs_s, theirs = sklearn_side(table, manifest, folds, cores)
            gaps = [abs(ours[k] - theirs[k]) for k in theirs]
            equal = sum(g < 1e-12 for g in gaps)
            best = max(ours.values()), max(theirs.values())
            lines.append(f"| {table} | {len(folds)} | {ours_s:.1f} | {theirs_s:.1f} | {theirs_s / ours_s:.1f}x | "
                         f"{100 * max(gaps):.3f} | {equal} / {len(gaps)} | {best[0]:.4f} / {best[1]:.4f} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
