#!/usr/bin/env python3
"""Classification against scikit-learn on the same tables, one run, same machine.

1. Logistic regression, binary (mlc_churn, nasscds) and multinomial (data/classes9.csv): the CV
   accuracy, roc_auc and log_loss of each alpha (C = 1 / alpha) and the mean seconds per fit, sweep
   (`--jobs 1`, mean_fit_time) against scikit-learn (LogisticRegression.fit on the fold's
   preprocessed rows, timed alone), averaged over --seeds fold seeds of 5 stratified folds.
2. Class weights: balanced accuracy of logistic regression, decision tree, random forest (and the
   SVM on mlc_churn) with class_weight balanced on nasscds (`dead` is 4% of rows) and mlc_churn,
   against scikit-learn with class_weight="balanced".
3. The baseline: DummyClassifier's accuracy and roc_auc against the baseline row sweep writes.

Both sides read the table as published, with the column kinds sweep inferred (bench/sklearn_side.py
builds the same default preprocessing). Prints a markdown table; numbers differ between fold seeds by
about their std, so gaps are judged on the seed-averaged means.

Usage: bench/compare_classification.sh [--seeds 3] [--out bench/compare_classification.md]
"""
import argparse
import datetime
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn import metrics as M
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sklearn_side import features, pipeline  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "target" / "release" / "sweep"
REAL = ROOT.parent / "shared" / "data" / "real"

TABLES = {
    "mlc_churn": (REAL / "mlc_churn.csv", "churn", []),
    "nasscds": (REAL / "nasscds.csv", "dead", ["injSeverity"]),
    "classes9": (ROOT / "data" / "classes9.csv", "category", []),
}


def run_sweep(work, tag, table, models, seed, metric="accuracy"):
    path, target, drop = TABLES[table]
    spec = {"name": tag, "seed": seed, "data": {"path": str(path), "target": target, "drop": drop},
            "cv": {"folds": 5}, "metric": metric, "refit": "none", "models": models}
    config = work / f"{tag}.yaml"
    config.write_text(yaml.safe_dump(spec))
    out = work / tag
    subprocess.run([str(SWEEP), "run", str(config), "--out", str(out), "--quiet", "--jobs", "1",
                    "--no-report"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    trials = pd.read_csv(out / "trials.csv")
    manifest = json.loads((out / "manifest.json").read_text())
    return trials, manifest


def sklearn_frame(manifest, table):
    path, target, _ = TABLES[table]
    frame = pd.read_csv(path)
    frame = frame[frame[target].notna()]
    kinds = {c["name"]: c["kind"] for c in manifest["data"]["columns"] if c["role"].startswith("feature")}
    X, categories = features(frame, kinds)
    numbers = [c for c in X.columns if c not in categories]
    return X, frame[target].astype(str), numbers, categories


def sklearn_cv(estimator, model, X, y, numbers, categories, seed, scoring):
    """Mean scores over 5 stratified folds, and the mean seconds of the estimator's own fit (the
    preprocessing is fitted outside the timing, as sweep's mean_fit_time leaves out shared work)."""
    split = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    scores = {k: [] for k in scoring}
    fits = []
    for train, test in split.split(X, y):
        pipe = pipeline(model, clone(estimator), numbers, categories)
        pre, est = pipe.named_steps["pre"], pipe.named_steps["model"]
        x_train, x_test = pre.fit_transform(X.iloc[train]), pre.transform(X.iloc[test])
        started = time.perf_counter()
        est.fit(x_train, y.iloc[train])
        fits.append(time.perf_counter() - started)
        truth, predicted = y.iloc[test], est.predict(x_test)
        proba = est.predict_proba(x_test) if hasattr(est, "predict_proba") and "roc_auc" in scoring else None
        for k in scoring:
            if k == "accuracy":
                scores[k].append(M.accuracy_score(truth, predicted))
            elif k == "balanced_accuracy":
                scores[k].append(M.balanced_accuracy_score(truth, predicted))
            elif k == "roc_auc":
                scores[k].append(M.roc_auc_score(truth, proba[:, 1]) if proba.shape[1] == 2 else
                                 M.roc_auc_score(truth, proba, multi_class="ovr", labels=est.classes_))
            elif k == "log_loss":
                scores[k].append(M.log_loss(truth, proba, labels=est.classes_))
    return {k: float(np.mean(v)) for k, v in scores.items()}, float(np.mean(fits))


def logistic(args, work, rows):
    cases = [("mlc_churn", [0.01, 1.0, 100.0]), ("nasscds", [0.01, 1.0, 100.0]),
             ("classes9", [0.01, 0.1, 1.0, 10.0])]
    for table, alphas in cases:
        for alpha in alphas:
            ours, theirs = [], []
            for seed in range(args.seeds):
                models = [{"model": "logistic_regression", "params": {"alpha": alpha}}]
                trials, manifest = run_sweep(work, f"lr-{table}-{alpha}-{seed}", table, models, seed)
                row = trials.iloc[0]
                ours.append({"accuracy": row["mean_test_accuracy"], "roc_auc": row["mean_test_roc_auc"],
                             "log_loss": row["mean_test_log_loss"], "fit": row["mean_fit_time"],
                             "warned": isinstance(row["error"], str) and row["error"] != ""})
                X, y, numbers, categories = sklearn_frame(manifest, table)
                scores, fit = sklearn_cv(LogisticRegression(C=1.0 / alpha), "logistic_regression", X, y,
                                         numbers, categories, seed, ["accuracy", "roc_auc", "log_loss"])
                theirs.append({**scores, "fit": fit})
            o, t = pd.DataFrame(ours).mean(), pd.DataFrame(theirs).mean()
            rows.append(f"| {table} | {alpha} | {o.accuracy:.4f} / {t.accuracy:.4f} | "
                        f"{o.roc_auc:.4f} / {t.roc_auc:.4f} | {o.log_loss:.4f} / {t.log_loss:.4f} | "
                        f"{100 * (o.accuracy - t.accuracy):+.2f} | {1000 * o.fit:.1f} / {1000 * t.fit:.1f} "
                        f"({t.fit / o.fit:.1f}x) | {'yes' if pd.DataFrame(ours).warned.any() else 'no'} |")
            print(rows[-1], flush=True)


def weighted(args, work, rows):
    families = [
        ("logistic_regression", {}, lambda: LogisticRegression(class_weight="balanced")),
        ("decision_tree", {"max_depth": 8}, lambda: DecisionTreeClassifier(max_depth=8, class_weight="balanced", random_state=0)),
        ("random_forest", {"n_estimators": 100}, lambda: RandomForestClassifier(
            n_estimators=100, max_features="sqrt", class_weight="balanced", random_state=0)),
        ("svm", {"c": 1.0, "gamma": 0.1}, lambda: SVC(C=1.0, gamma=0.1, class_weight="balanced")),
    ]
    for table in ["nasscds", "mlc_churn"]:
        for name, params, make in families:
            if name == "svm" and table == "nasscds":
                continue  # 26k rows: minutes per fit for either tool, and it says nothing new
            ours, theirs, plain = [], [], []
            for seed in range(args.seeds):
                models = [{"model": name, "params": {**params, "class_weight": [None, "balanced"]}}]
                trials, manifest = run_sweep(work, f"w-{table}-{name}-{seed}", table, models, seed,
                                             metric="balanced_accuracy")
                weighted_row = trials[trials.key.str.contains("class_weight=balanced")].iloc[0]
                plain_row = trials[trials.key.str.contains("class_weight=null")].iloc[0]
                ours.append(weighted_row["mean_test_balanced_accuracy"])
                plain.append(plain_row["mean_test_balanced_accuracy"])
                X, y, numbers, categories = sklearn_frame(manifest, table)
                scores, _ = sklearn_cv(make(), name, X, y, numbers, categories, seed, ["balanced_accuracy"])
                theirs.append(scores["balanced_accuracy"])
            o, t, p = np.mean(ours), np.mean(theirs), np.mean(plain)
            rows.append(f"| {table} | {name} | {p:.4f} | {o:.4f} | {t:.4f} | {100 * (o - t):+.2f} |")
            print(rows[-1], flush=True)


def baseline(args, work, rows):
    for table in ["mlc_churn", "nasscds", "classes9"]:
        models = [{"model": "gaussian_nb"}]
        _, manifest = run_sweep(work, f"b-{table}", table, models, 0)
        ours = {m: s for m, s, _ in manifest["baseline"]["scores"]}
        X, y, numbers, categories = sklearn_frame(manifest, table)
        scores, _ = sklearn_cv(DummyClassifier(), "gaussian_nb", X, y, numbers, categories, 0,
                               ["accuracy", "roc_auc", "log_loss"])
        rows.append(f"| {table} | {ours['accuracy']:.4f} / {scores['accuracy']:.4f} | "
                    f"{ours['roc_auc']:.4f} / {scores['roc_auc']:.4f} | {ours['log_loss']:.4f} / {scores['log_loss']:.4f} | "
                    f"{manifest['baseline']['description']} |")
        print(rows[-1], flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        lines = [f"# Classification against scikit-learn ({datetime.date.today()}, {platform.processor() or platform.machine()}, "
                 f"{args.seeds} fold seeds x 5 stratified folds)", "",
                 "## Logistic regression (sweep / scikit-learn)", "",
                 "| table | alpha | accuracy | roc_auc | log_loss | accuracy gap (points) | ms per fit | sweep warned |",
                 "|---|---|---|---|---|---|---|---|"]
        logistic(args, work, lines)
        lines += ["", "## class_weight: balanced, balanced accuracy", "",
                  "| table | family | sweep unweighted | sweep balanced | scikit-learn balanced | gap (points) |",
                  "|---|---|---|---|---|---|"]
        weighted(args, work, lines)
        lines += ["", "## Baseline (sweep / DummyClassifier), seed 0", "",
                  "| table | accuracy | roc_auc | log_loss | sweep says |", "|---|---|---|---|---|"]
        baseline(args, work, lines)
    lines += ["", f"total {time.time() - started:.0f} s"]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
