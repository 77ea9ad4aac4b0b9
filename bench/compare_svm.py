#!/usr/bin/env python3
"""The svm family (classification) against scikit-learn's SVC, process to process, in one run.

1. The reference grid: configs/breast_cancer.yaml's svm entry (C 0.1-100 x gamma 0.001-1, rbf, 16
   configurations) over 5 folds, `sweep run --jobs 1` (best refitted) against
   `GridSearchCV(SVC(), n_jobs=1).fit` on the very same folds (bench/same_folds.py); median of --reps
   runs, and the largest accuracy gap of any configuration.
2. The real classification tables (mlc_churn, nasscds) with a 3x3 rbf grid, C 0.1/1/10 x gamma
   0.01/0.1/1: the svm family alone on the same folds (jobs = cores on both sides), then the whole
   sweep of configs/real/ with that grid as its svm entry (`sweep run` against bench/sklearn_side.py,
   GridSearchCV(n_jobs = cores) per family) with each side's peak memory.

Usage: bench/compare_svm.sh [--tables mlc_churn nasscds] [--reps 3] [--out bench/compare_svm.md]
"""
import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import yaml
from sklearn.svm import SVC

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_real import sklearn_side as whole_sklearn_side  # noqa: E402
from compare_real import sweep_side as whole_sweep_side  # noqa: E402
from same_folds import REAL, ROOT, finish, sklearn_side, sweep_side, title  # noqa: E402

REFERENCE = (ROOT / "data" / "breast_cancer.csv", "target", [])
TABLES = {
    "mlc_churn": (REAL / "mlc_churn.csv", "churn", []),
    "nasscds": (REAL / "nasscds.csv", "dead", ["injSeverity"]),
}
GRID = {"c": [0.1, 1.0, 10.0], "gamma": [0.01, 0.1, 1.0]}
NAMES = {"C": float, "gamma": float}


def sklearn_grid(grid):
    return {"C": grid["c"], "gamma": grid["gamma"]}


def same_folds(work, name, table, grid, jobs):
    """Wall seconds of both sides and the largest per-configuration accuracy gap, in points."""
    ours_s, ours, manifest, folds = sweep_side(work, name, table, "svm", grid, "accuracy", jobs)
    theirs_s, theirs = sklearn_side(table, "svm", SVC(kernel="rbf"), sklearn_grid(grid), NAMES, "accuracy",
                                    manifest, folds, jobs, True)
    gap = max(abs(ours[k] - theirs[k]) for k in theirs)
    return ours_s, theirs_s, 100 * gap, max(ours.values()), max(theirs.values())


def reference(work, reps):
    entry = next(e for e in yaml.safe_load((ROOT / "configs" / "breast_cancer.yaml").read_text())["models"]
                 if e["model"] == "svm")
    grid = {"c": entry["params"]["c"], "gamma": entry["params"]["gamma"]}
    runs = [same_folds(work, f"reference-{rep}", REFERENCE, grid, 1) for rep in range(reps)]
    ours = statistics.median(r[0] for r in runs)
    theirs = statistics.median(r[1] for r in runs)
    _, _, gap, best_ours, best_theirs = runs[0]
    return [f"## 1. Reference grid, breast_cancer (569 rows), --jobs 1 against n_jobs=1, median of {reps}", "",
            "| configurations | sweep s | scikit-learn s | speed-up | largest accuracy gap (points) | best accuracy sweep / scikit-learn |",
            "|---|---|---|---|---|---|",
            f"| {len(grid['c']) * len(grid['gamma'])} x 5 folds | {ours:.2f} | {theirs:.2f} | {theirs / ours:.1f}x | "
            f"{gap:.2f} | {best_ours:.4f} / {best_theirs:.4f} |", ""]


def real_tables(work, tables, cores):
    family = ["## 2a. svm alone, C 0.1/1/10 x gamma 0.01/0.1/1, the same 5 folds, jobs = cores", "",
              "| table | sweep s | scikit-learn s | speed-up | largest accuracy gap (points) | best accuracy sweep / scikit-learn |",
              "|---|---|---|---|---|---|"]
    whole = ["## 2b. The whole sweep of configs/real/ with that svm grid, jobs = cores", "",
             "| table | rows | sweep s | scikit-learn s | speed-up | peak RSS sweep / scikit-learn (MiB) |",
             "|---|---|---|---|---|---|"]
    for name in tables:
        table = TABLES[name]
        ours_s, theirs_s, gap, best_ours, best_theirs = same_folds(work, name, table, GRID, cores)
        family.append(f"| {name} | {ours_s:.1f} | {theirs_s:.1f} | {theirs_s / ours_s:.1f}x | {gap:.2f} | "
                      f"{best_ours:.4f} / {best_theirs:.4f} |")
        print(family[-1], file=sys.stderr, flush=True)
        config = ROOT / "configs" / "real" / f"{name}.yaml"
        models = [e for e in yaml.safe_load(config.read_text())["models"] if e["model"] != "svm"]
        models.append({"model": "svm", "params": GRID})
        sw, sp, _, manifest, text = whole_sweep_side(config, models, 0, table[0], work, f"whole-{name}")
        kw, kp, _ = whole_sklearn_side(text, manifest, models, 0, work, f"whole-{name}")
        whole.append(f"| {name} | {manifest['data']['rows']} | {sw:.1f} | {kw:.1f} | {kw / sw:.1f}x | "
                     f"{sp / 2**20:.0f} / {kp / 2**20:.0f} |")
        print(whole[-1], file=sys.stderr, flush=True)
    return family + [""] + whole


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", nargs="+", default=list(TABLES))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    lines = [title("svm classification against scikit-learn's SVC", cores), "",
             "Whole processes: `sweep run` (best refitted) against `GridSearchCV(...).fit` in a Python process.", ""]
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_reference:
            lines += reference(Path(tmp), args.reps)
            print("\n".join(lines), file=sys.stderr, flush=True)
        lines += real_tables(Path(tmp), args.tables, cores)
    finish(lines, args.out)


if __name__ == "__main__":
    main()
