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
import sys
import tempfile
from pathlib import Path

from sklearn.neighbors import KNeighborsClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from same_folds import REAL, arguments, finish, sklearn_side, sweep_side, title  # noqa: E402

TABLES = {
    "mlc_churn": (REAL / "mlc_churn.csv", "churn", []),
    "nasscds": (REAL / "nasscds.csv", "dead", ["injSeverity"]),
}
GRID = {"n_neighbors": list(range(1, 51)), "weights": ["uniform", "distance"], "p": [1, 2]}
# scikit-learn's parameter -> how the sweep writes its value, in the sweep's key order.
NAMES = {"n_neighbors": int, "weights": str, "p": int}


def main():
    args, cores = arguments(TABLES)
    lines = [title("knn against GridSearchCV(KNeighborsClassifier)", cores), "",
             "200 configurations (n_neighbors 1-50 x weights x p) x the same 5 stratified folds; wall seconds of "
             "`sweep run --jobs cores` (best refitted) against `GridSearchCV(n_jobs=cores).fit`.", "",
             "| table | rows | sweep s | scikit-learn s | speed-up | largest accuracy gap (points) | configurations equal | "
             "best sweep / scikit-learn |", "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for table in args.tables:
            ours_s, ours, manifest, folds = sweep_side(Path(tmp), table, TABLES[table], "knn", GRID,
                                                       "accuracy", cores)
            theirs_s, theirs = sklearn_side(TABLES[table], "knn", KNeighborsClassifier(), GRID, NAMES,
                                            "accuracy", manifest, folds, cores, True)
            gaps = [abs(ours[k] - theirs[k]) for k in theirs]
            equal = sum(g < 1e-12 for g in gaps)
            best = max(ours.values()), max(theirs.values())
            lines.append(f"| {table} | {len(folds)} | {ours_s:.1f} | {theirs_s:.1f} | {theirs_s / ours_s:.1f}x | "
                         f"{100 * max(gaps):.3f} | {equal} / {len(gaps)} | {best[0]:.4f} / {best[1]:.4f} |")
            print(lines[-1], flush=True)
    finish(lines, args.out)


if __name__ == "__main__":
    main()
