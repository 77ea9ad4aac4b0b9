#!/usr/bin/env python3
"""svm on regression tables (epsilon-SVR) against scikit-learn's GridSearchCV(SVR), same folds, one run.

For each table: C 1/10/100 x epsilon 0.1/1 x gamma 0.01/0.1 (rbf) over 5 folds, sweep with --jobs = cores
(best refitted) against GridSearchCV(SVR(), n_jobs = cores) on the very same folds and preprocessing
(bench/same_folds.py). Wall seconds of each, and every configuration's r2 on both sides.

Usage: bench/compare_svr.sh [--tables wage collegedistance] [--out bench/compare_svr.md]
"""
import sys
import tempfile
from pathlib import Path

from sklearn.svm import SVR

sys.path.insert(0, str(Path(__file__).resolve().parent))
from same_folds import REAL, arguments, finish, sklearn_side, sweep_side, title  # noqa: E402

TABLES = {
    "wage": (REAL / "wage.csv", "wage", ["logwage"]),
    "collegedistance": (REAL / "collegedistance.csv", "education", []),
}
GRID = {"c": [1.0, 10.0, 100.0], "epsilon": [0.1, 1.0], "gamma": [0.01, 0.1]}
SKLEARN_GRID = {"C": GRID["c"], "epsilon": GRID["epsilon"], "gamma": GRID["gamma"]}
NAMES = {"C": float, "epsilon": float, "gamma": float}


def main():
    args, cores = arguments(TABLES)
    lines = [title("svm regression against GridSearchCV(SVR)", cores), "",
             "12 configurations (C x epsilon x gamma, rbf) x the same 5 folds; wall seconds of "
             "`sweep run --jobs cores` (best refitted) against `GridSearchCV(n_jobs=cores).fit`.", "",
             "| table | rows | sweep s | scikit-learn s | speed-up | largest r2 gap (points) | best r2 sweep / scikit-learn |",
             "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for table in args.tables:
            ours_s, ours, manifest, folds = sweep_side(Path(tmp), table, TABLES[table], "svm", GRID, "r2", cores)
            theirs_s, theirs = sklearn_side(TABLES[table], "svm", SVR(kernel="rbf"), SKLEARN_GRID, NAMES, "r2",
                                            manifest, folds, cores, False)
            gaps = [abs(ours[k] - theirs[k]) for k in theirs]
            lines.append(f"| {table} | {len(folds)} | {ours_s:.1f} | {theirs_s:.1f} | {theirs_s / ours_s:.1f}x | "
                         f"{100 * max(gaps):.3f} | {max(ours.values()):.4f} / {max(theirs.values()):.4f} |")
            print(lines[-1], flush=True)
    finish(lines, args.out)


if __name__ == "__main__":
    main()
