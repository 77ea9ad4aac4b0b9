#!/usr/bin/env python3
"""From sweep to model, side by side with scikit-learn, on real tables.

For each table: split the published rows 80/20 (stratified for classification, seed 0) into
train.csv and test.csv with the cells untouched; `sweep run` the table's sweep file on train.csv with
`data.test: test.csv` (refit: best); then refit the same best configuration in scikit-learn (the
same family and parameters, sweep's default preprocessing as a ColumnTransformer, see
sklearn_side.py) on the same train.csv and score it on the same test.csv. Prints, per table: the
configuration, both test scores and their difference in points (goal: within 1), both refit times,
and checks `sweep predict` on the test file: its CSV loads with pandas.read_csv and no options, has
one row per test row, and agrees with scikit-learn's predictions (share of equal labels, or the
correlation of values).

Usage: bench/compare_model.sh [TABLE ...]   (default: mlc_churn nasscds wage collegedistance)
"""
import csv
import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from sklearn_side import estimator, features, pipeline  # noqa: E402
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score, root_mean_squared_error  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "target" / "release" / "sweep"
METRICS = {
    "accuracy": accuracy_score,
    "r2": r2_score,
    "rmse": root_mean_squared_error,
    "mae": mean_absolute_error,
}


def split_rows(path, target, classification, work):
    """train.csv / test.csv of the published rows, 20% test, stratified by the target's text."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    t = header.index(target)
    groups = {}
    for i, row in enumerate(body):
        groups.setdefault(row[t] if classification else "", []).append(i)
    rng = random.Random(0)
    test = set()
    for members in groups.values():
        rng.shuffle(members)
        test.update(members[: round(len(members) * 0.2)])
    for name, keep in (("train.csv", lambda i: i not in test), ("test.csv", lambda i: i in test)):
        with open(work / name, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(row for i, row in enumerate(body) if keep(i))
    return len(body) - len(test), len(test)


def run_table(name, work):
    config = yaml.safe_load(open(ROOT / "configs" / "real" / f"{name}.yaml"))
    data = config["data"]
    source = (ROOT / "configs" / "real" / data["path"]).resolve()
    # Stratify a target with few values (labels); sweep decides the task itself.
    labels = pd.read_csv(source, usecols=[data["target"]])[data["target"]].nunique() <= 20
    n_train, n_test = split_rows(source, data["target"], labels, work)
    data["path"] = str(work / "train.csv")
    data["test"] = str(work / "test.csv")
    config["refit"] = "best"
    (work / "sweep.yaml").write_text(yaml.safe_dump(config))
    out = work / "run"
    subprocess.run([SWEEP, "run", work / "sweep.yaml", "--out", out, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = json.load(open(out / "manifest.json"))
    metric = manifest["metric"]
    best = next(m for m in manifest["models"] if m["best"])
    card = json.load(open(out / best["dir"] / "model.json"))
    sweep_score = best["test"][f"test_{metric}"]
    classification = manifest["task"] == "classification"

    kinds = {c["name"]: c["kind"] for c in manifest["data"]["columns"] if c["role"].startswith("feature")}
    train = pd.read_csv(work / "train.csv")
    test = pd.read_csv(work / "test.csv")
    target = data["target"]
    train, test = train[train[target].notna()], test[test[target].notna()]
    X, categories = features(train, kinds)
    X_test, _ = features(test, kinds)
    numbers = [c for c in X.columns if c not in categories]
    y = train[target].astype(str) if classification else train[target]
    y_test = test[target].astype(str) if classification else test[target]
    est, grid = estimator(card["family"], card["params"], classification)
    est.set_params(**{k: v[0] for k, v in grid.items()})
    if "n_jobs" in est.get_params():
        est.set_params(n_jobs=-1)  # sweep's refit uses every core too
    model = pipeline(card["family"], est, numbers, categories)
    started = time.perf_counter()
    model.fit(X, y)
    sk_seconds = time.perf_counter() - started
    sk_pred = model.predict(X_test[X.columns])
    sk_score = METRICS[metric](y_test, sk_pred)

    predictions = work / "predictions.csv"
    subprocess.run([SWEEP, "predict", out, work / "test.csv", "--out", predictions], check=True,
                   stderr=subprocess.DEVNULL)
    loaded = pd.read_csv(predictions)
    ok_rows = len(loaded) == len(pd.read_csv(work / "test.csv"))
    ours = loaded["prediction"][test.index]
    if classification:
        label = lambda v: pd.Series(v).astype(str).str.replace(r"\.0$", "", regex=True).values  # noqa: E731
        agreement = f"{(label(ours) == label(sk_pred)).mean():.1%} equal labels"
    else:
        agreement = f"correlation {pd.Series(ours.values).corr(pd.Series(sk_pred)):.4f}"
    # Points for scores in [0, 1]; for errors (rmse, mae), the difference relative to scikit-learn's.
    points = 100 * (sweep_score - sk_score) if metric in ("accuracy", "r2") else None
    relative = 100 * (sweep_score - sk_score) / sk_score if points is None and sk_score else None
    return {
        "table": name,
        "rows": f"{n_train} / {n_test}",
        "best": card["key"],
        "metric": metric,
        "sweep": sweep_score,
        "sklearn": sk_score,
        "points": points,
        "relative": relative,
        "refit_s": (best["fit_seconds"], sk_seconds),
        "predict_csv": "loads, one row per test row" if ok_rows else "ROW COUNT DIFFERS",
        "agreement": agreement,
    }


def main():
    tables = sys.argv[1:] or ["mlc_churn", "nasscds", "wage", "collegedistance"]
    print(f"date {time.strftime('%Y-%m-%d')}, machine: {subprocess.run(['uname', '-m'], capture_output=True, text=True).stdout.strip()}, "
          f"{__import__('os').cpu_count()} cores\n")
    print("| table | train / test rows | best configuration | metric | sweep test | scikit-learn test | diff (points) "
          "| refit s (sweep / sklearn) | predictions.csv | agreement |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in tables:
        with tempfile.TemporaryDirectory() as tmp:
            r = run_table(name, Path(tmp))
        diff = f"{r['points']:+.2f}" if r["points"] is not None else f"{r['relative']:+.2f}% (relative)"
        print(f"| {r['table']} | {r['rows']} | `{r['best']}` | {r['metric']} | {r['sweep']:.4f} | {r['sklearn']:.4f} | {diff} "
              f"| {r['refit_s'][0]:.2f} / {r['refit_s'][1]:.2f} | {r['predict_csv']} | {r['agreement']} |", flush=True)


if __name__ == "__main__":
    main()
