#!/usr/bin/env python3
"""Gradient boosting: sweep vs scikit-learn's HistGradientBoosting and LightGBM, process to process.

1. Defaults: `gradient_boosting` with no parameters against HistGradientBoosting's defaults, 5-fold
   CV on every table of ../shared/data/real (the configs/real/ data sections), mean over fold seeds.
2. Grid: learning_rate [0.05, 0.1, 0.2] x max_leaf_nodes [15, 31, 63] x max_iter [100, 200, 400],
   early stopping off, 5 folds, on mlc_churn, hotel_rates, nasscds, cps1988 and the first 100,000
   flights rows: `sweep run` (threads, all cores) against GridSearchCV(n_jobs=cores) and a loop over
   LightGBM (n_jobs=cores); wall time and peak RSS of each whole process tree, best CV score.
3. One fit: default parameters, 100 iterations, every row of the flights table: sweep's refit time
   (model.json refit_seconds) against LightGBM's and HistGradientBoosting's own fit time.

Usage: bench/compare_boosting.sh [--seeds 3] [--only-part defaults|grid|single] [--tables a,b]
"""
import argparse
import datetime
import gzip
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import yaml

sys.path.insert(0, os.path.dirname(__file__))
from compare_real import feature_kinds, run_python_side, run_sweep_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIDE = ROOT / "bench" / "boosting_side.py"
SHARED = ROOT.parent / "shared" / "data" / "real"
CONFIGS = {
    "collegedistance": "collegedistance.yaml", "cps1988": "cps1988.yaml", "flights": "flights.yaml",
    "hotel_rates": "hotel_rates.yaml", "mlc_churn": "mlc_churn.yaml", "nasscds": "nasscds.yaml", "wage": "wage.yaml",
}
GRID = {"learning_rate": [0.05, 0.1, 0.2], "max_leaf_nodes": [15, 31, 63], "max_iter": [100, 200, 400]}
GRID_TABLES = ["mlc_churn", "hotel_rates", "nasscds", "cps1988", "flights"]
FLIGHT_ROWS = 100_000


def data_section(name, work, rows=None):
    """The table's data section from configs/real, pointed at the published table (cut to `rows`)."""
    text = yaml.safe_load((ROOT / "configs" / "real" / CONFIGS[name]).read_text())
    data = dict(text["data"])
    source = SHARED / (f"{name}.csv.gz" if name == "flights" else f"{name}.csv")
    if rows:
        path = work / f"{name}-{rows}.csv.gz"
        if not path.exists():
            with gzip.open(path, "wt") as f:
                pd.read_csv(source, low_memory=False).head(rows).to_csv(f, index=False)
        source = path
    data["path"] = str(source)
    return data


def run_sweep(work, tag, data, params, seed, refit="none"):
    sweep = {"name": tag, "data": data, "cv": {"folds": 5}, "seed": seed, "refit": refit,
             "models": [{"model": "gradient_boosting", **({"params": params} if params else {})}]}
    wall, peak, manifest, board, out = run_sweep_text(sweep, work, tag)
    board = board[board["status"] == "ok"]
    metric = manifest["metric"]
    return wall, peak, float(board[f"mean_test_{metric}"].max()), manifest, out


def run_side(work, tag, manifest, data, **spec):
    spec = {"path": data["path"], "target": data["target"], "task": manifest["task"], "folds": 5,
            "kinds": feature_kinds(manifest), **spec}
    return run_python_side(SIDE, spec, work, tag)


def mib(b):
    return b / 2**20


def defaults(args, work):
    print(f"\n## 1. Defaults: gradient_boosting() vs HistGradientBoosting(), 5-fold CV, fold seeds 0..{args.seeds - 1}\n")
    print("| table | rows | metric | sweep | scikit-learn | sweep - scikit-learn | sweep (s) | scikit-learn (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.tables:
        data = data_section(name, work)
        ours, theirs, walls = [], [], ([], [])
        for seed in range(args.seeds):
            wall, _, best, manifest, _ = run_sweep(work, f"default-{name}-{seed}", data, None, seed)
            kwall, _, side = run_side(work, f"default-{name}-{seed}", manifest, data, mode="default", tool="sklearn", seed=seed)
            ours.append(best)
            theirs.append(side["score"])
            walls[0].append(wall)
            walls[1].append(kwall)
        a, b = np.mean(ours), np.mean(theirs)
        print(f"| {name} | {manifest['data']['rows']} | {manifest['metric']} | {a:.4f} | {b:.4f} | {(a - b) * 100:+.2f} pt "
              f"| {np.median(walls[0]):.2f} | {np.median(walls[1]):.2f} |", flush=True)


def grid(args, work):
    cores = os.cpu_count()
    print(f"\n## 2. Grid: 27 configurations x 5 folds, early stopping off, fold seed 0; sweep (threads) vs "
          f"GridSearchCV(HistGradientBoosting, n_jobs={cores}) vs LightGBM {lightgbm_version()} loop (n_jobs={cores})\n")
    print("| table | rows | best sweep | best scikit-learn | best LightGBM | sweep (s) | scikit-learn (s) | LightGBM (s) "
          "| vs scikit-learn | vs LightGBM | RSS sweep / scikit-learn / LightGBM (MiB) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    params = {**GRID, "early_stopping": False}
    for name in [t for t in GRID_TABLES if t in args.tables]:
        data = data_section(name, work, FLIGHT_ROWS if name == "flights" else None)
        wall, peak, best, manifest, _ = run_sweep(work, f"grid-{name}", data, params, 0)
        rows = {}
        for tool in ("sklearn", "lightgbm"):
            rows[tool] = run_side(work, f"grid-{name}-{tool}", manifest, data, mode="grid", tool=tool, grid=GRID, seed=0)
        (kw, kp, k), (lw, lp, lg) = rows["sklearn"], rows["lightgbm"]
        print(f"| {name} | {manifest['data']['rows']} | {best:.4f} | {k['score']:.4f} | {lg['score']:.4f} | {wall:.1f} | {kw:.1f} "
              f"| {lw:.1f} | {kw / wall:.1f}x | {lw / wall:.1f}x | {mib(peak):.0f} / {mib(kp):.0f} / {mib(lp):.0f} |", flush=True)


def single(args, work):
    print("\n## 3. One fit: default parameters, 100 iterations (early stopping off), every row of flights\n")
    data = data_section("flights", work)
    params = {"max_iter": 100, "early_stopping": False}
    _, _, _, manifest, out = run_sweep(work, "single", {**data}, params, 0, refit="best")
    card = json.loads(next(out.rglob("model.json")).read_text())
    ours = card["refit_seconds"]
    side = {"learning_rate": 0.1, "max_leaf_nodes": 31, "max_iter": 100}
    print("| tool | rows | fit (s) | ratio to sweep |")
    print("|---|---|---|---|")
    print(f"| sweep (refit, {os.cpu_count()} threads) | {card['training_rows']} | {ours:.2f} | 1.0 |")
    for tool, label in (("lightgbm", f"LightGBM (n_jobs={os.cpu_count()})"), ("sklearn", "HistGradientBoosting")):
        _, _, r = run_side(work, f"single-{tool}", manifest, data, mode="single", tool=tool, params=side, seed=0)
        print(f"| {label} | {r['rows']} | {r['fit_seconds']:.2f} | {r['fit_seconds'] / ours:.2f} |", flush=True)


def lightgbm_version():
    import importlib.metadata
    return importlib.metadata.version("lightgbm")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--only-part", default="")
    p.add_argument("--tables", default=",".join(CONFIGS))
    args = p.parse_args()
    args.tables = args.tables.split(",")
    print(f"gradient boosting: sweep vs scikit-learn and LightGBM, {datetime.date.today()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; whole processes")
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for part, run in (("defaults", defaults), ("grid", grid), ("single", single)):
            if args.only_part in ("", part):
                run(args, work)


if __name__ == "__main__":
    main()
