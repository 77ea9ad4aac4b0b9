#!/usr/bin/env python3
"""sweep vs scikit-learn on the real tables of configs/real/, process to process, in one run.

For each sweep file: time `sweep run` (threads, all cores) and bench/sklearn_side.py (GridSearchCV,
n_jobs = all cores, the same columns, grids and fold count) as whole processes, sampling the peak
resident memory of each process tree (parent plus workers) every 20 ms; then the same per family
(a sweep file with that one entry, against a GridSearchCV of that one estimator). Best scores are
averaged over --seeds fold seeds. Then time against rows: the flights sweep on 1k, 10k, 100k rows
and the whole table, per family, both tools; printed as a table and drawn as an SVG.

Usage: bench/compare_real.sh [--seeds 3] [--only wage,cps1988] [--no-scaling]
           [--flights ../shared/data/real/flights.csv.gz] [--svg bench/scaling.svg]
"""
import argparse
import datetime
import gzip
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
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "target" / "release" / "sweep"
SIDE = ROOT / "bench" / "sklearn_side.py"
LOWER_IS_BETTER = {"rmse", "mae"}


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS of its process tree in bytes, stdout)."""
    started = time.perf_counter()
    out = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        total = 0
        try:
            for p in [root] + root.children(recursive=True):
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.02)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}")
    out.seek(0)
    return wall, peak, out.read().decode()


def run_sweep_text(text, work, tag):
    """Writes the sweep `text` (a dict) and runs it into work/tag: wall, peak RSS, manifest, leaderboard, folder."""
    path = work / f"{tag}.yaml"
    path.write_text(yaml.safe_dump(text))
    run = work / tag
    wall, peak, _ = timed([str(SWEEP), "run", str(path), "--out", str(run), "--quiet"])
    manifest = json.loads((run / "manifest.json").read_text())
    return wall, peak, manifest, pd.read_csv(run / "leaderboard.csv"), run


def sweep_side(config, models, seed, data_path, work, tag):
    text = yaml.safe_load(config.read_text())
    text["seed"] = seed
    text["models"] = models
    text["data"]["path"] = str(data_path)
    wall, peak, manifest, board, _ = run_sweep_text(text, work, tag)
    metric = manifest["metric"]
    column = f"mean_test_{metric}"
    best = {}
    for model, rows in board[board["status"] == "ok"].groupby("model"):
        best[model] = rows[column].min() if metric in LOWER_IS_BETTER else rows[column].max()
    return wall, peak, best, manifest, text


def feature_kinds(manifest):
    """The kind sweep gave each feature column, from its manifest."""
    return {c["name"]: c["kind"] for c in manifest["data"]["columns"] if c["role"].startswith("feature")}


def run_python_side(side, spec, work, tag):
    """Runs a Python side script on `spec` (written as JSON): wall, peak RSS and its last line's JSON."""
    path = work / f"{tag}.json"
    path.write_text(json.dumps(spec))
    wall, peak, out = timed([sys.executable, str(side), str(path)])
    return wall, peak, json.loads(out.strip().splitlines()[-1])


def sklearn_side(text, manifest, models, seed, work, tag):
    spec = {
        "path": manifest["data"]["path"],
        "target": text["data"]["target"],
        "kinds": feature_kinds(manifest),
        "task": manifest["task"],
        "metric": manifest["metric"],
        "folds": text.get("cv", {}).get("folds", 5),
        "seed": seed,
        "models": models,
    }
    return run_python_side(SIDE, spec, work, tag)


def mib(b):
    return b / 2**20


def tables(args, work):
    configs = sorted((ROOT / "configs" / "real").glob("*.yaml"))
    if args.only:
        configs = [c for c in configs if c.stem in args.only.split(",")]
    whole_rows, family_rows, score_rows = [], [], []
    for config in configs:
        text = yaml.safe_load(config.read_text())
        data = (config.parent / text["data"]["path"]).resolve()
        walls, scores = {"sweep": [], "sklearn": []}, {}
        peaks = {"sweep": 0, "sklearn": 0}
        for seed in range(args.seeds):
            sw, sp, sbest, manifest, stext = sweep_side(config, text["models"], seed, data, work, f"{config.stem}-{seed}")
            kw, kp, kbest = sklearn_side(stext, manifest, text["models"], seed, work, f"{config.stem}-{seed}")
            walls["sweep"].append(sw)
            walls["sklearn"].append(kw)
            peaks["sweep"], peaks["sklearn"] = max(peaks["sweep"], sp), max(peaks["sklearn"], kp)
            for model in sbest:
                scores.setdefault(model, {"sweep": [], "sklearn": []})
                scores[model]["sweep"].append(sbest[model])
                scores[model]["sklearn"].append(kbest[model])
        s, k = np.median(walls["sweep"]), np.median(walls["sklearn"])
        whole_rows.append((config.stem, manifest["data"]["rows"], s, k, mib(peaks["sweep"]), mib(peaks["sklearn"])))
        metric = manifest["metric"]
        for model, v in scores.items():
            a, b = np.mean(v["sweep"]), np.mean(v["sklearn"])
            gap = (b - a) if metric in LOWER_IS_BETTER else (a - b)
            gap_text = f"{gap * 100:+.2f} pt" if metric in ("accuracy", "r2") else f"{gap:+.3f} ({gap / b * 100:+.1f}%)"
            score_rows.append((config.stem, model, metric, a, b, gap_text))
        for entry in text["models"]:
            tag = f"{config.stem}-{entry['model']}"
            sw, sp, _, manifest, stext = sweep_side(config, [entry], 0, data, work, tag)
            kw, kp, _ = sklearn_side(stext, manifest, [entry], 0, work, tag)
            family_rows.append((config.stem, entry["model"], sw, kw, mib(sp), mib(kp)))
        print(f"  {config.stem}: sweep {s:.2f} s, scikit-learn {k:.2f} s", file=sys.stderr, flush=True)
    print("\n| table | rows | sweep (s) | scikit-learn (s) | ratio | peak RSS sweep (MiB) | peak RSS scikit-learn (MiB) |")
    print("|---|---|---|---|---|---|---|")
    for name, rows, s, k, sp, kp in whole_rows:
        print(f"| {name} | {rows} | {s:.2f} | {k:.2f} | {k / s:.1f}x | {sp:.0f} | {kp:.0f} |")
    print("\nPer family (one process per family and tool, fold seed 0):\n")
    print("| table | family | sweep (s) | scikit-learn (s) | ratio | RSS sweep (MiB) | RSS scikit-learn (MiB) |")
    print("|---|---|---|---|---|---|---|")
    for name, model, s, k, sp, kp in family_rows:
        print(f"| {name} | {model} | {s:.2f} | {k:.2f} | {k / s:.1f}x | {sp:.0f} | {kp:.0f} |")
    print(f"\nBest CV score per family, mean over fold seeds 0..{args.seeds - 1}:\n")
    print("| table | family | metric | sweep | scikit-learn | sweep - scikit-learn (+ = sweep better) |")
    print("|---|---|---|---|---|---|")
    for name, model, metric, a, b, gap in score_rows:
        print(f"| {name} | {model} | {metric} | {a:.4f} | {b:.4f} | {gap} |")


def scaling(args, work):
    flights = Path(args.flights)
    if not flights.exists():
        print(f"\n(no {flights}: scaling skipped)")
        return
    config = ROOT / "configs" / "real" / "flights.yaml"
    text = yaml.safe_load(config.read_text())
    full = pd.read_csv(flights, low_memory=False)
    sizes = [1000, 10_000, 100_000, len(full)]
    rows = []
    for n in sizes:
        part = full.sample(n=n, random_state=0) if n < len(full) else full
        path = work / f"flights-{n}.csv.gz"
        with gzip.open(path, "wt") as f:
            part.to_csv(f, index=False)
        for entry in text["models"]:
            tag = f"scale-{n}-{entry['model']}"
            sw, sp, _, manifest, stext = sweep_side(config, [entry], 0, path, work, tag)
            kw, kp, _ = sklearn_side(stext, manifest, [entry], 0, work, tag)
            rows.append((n, entry["model"], sw, kw, mib(sp), mib(kp)))
            print(f"  flights {n} rows, {entry['model']}: sweep {sw:.2f} s, scikit-learn {kw:.2f} s", file=sys.stderr, flush=True)
    print("\nTime against rows (flights sweep, one process per family and tool):\n")
    print("| rows | family | sweep (s) | scikit-learn (s) | ratio | RSS sweep (MiB) | RSS scikit-learn (MiB) |")
    print("|---|---|---|---|---|---|---|")
    for n, model, s, k, sp, kp in rows:
        print(f"| {n} | {model} | {s:.2f} | {k:.2f} | {k / s:.1f}x | {sp:.0f} | {kp:.0f} |")
    draw(rows, Path(args.svg))


def draw(rows, svg):
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt
    plt.rcParams["svg.hashsalt"] = "sweep"
    fig, ax = plt.subplots(figsize=(7, 4.5))
    families = sorted({r[1] for r in rows})
    colors = dict(zip(families, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for family in families:
        pts = [r for r in rows if r[1] == family]
        n = [r[0] for r in pts]
        ax.plot(n, [r[2] for r in pts], "-o", color=colors[family], label=f"{family}, sweep")
        ax.plot(n, [r[3] for r in pts], "--s", color=colors[family], label=f"{family}, scikit-learn")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows of the flights table")
    ax.set_ylabel("wall time of the whole process (s)")
    ax.set_title(f"Time against rows, {os.cpu_count()} cores, {datetime.date.today()}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(svg, metadata={"Date": None})
    print(f"\nplot: {svg.relative_to(ROOT) if svg.is_relative_to(ROOT) else svg}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--only", default="")
    p.add_argument("--no-scaling", action="store_true")
    p.add_argument("--no-tables", action="store_true")
    p.add_argument("--flights", default=str(ROOT.parent / "shared" / "data" / "real" / "flights.csv.gz"))
    p.add_argument("--svg", default=str(ROOT / "bench" / "scaling.svg"))
    args = p.parse_args()
    print(f"sweep vs scikit-learn, {datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB; whole processes, threads backend vs GridSearchCV(n_jobs={os.cpu_count()})")
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if not args.no_tables:
            tables(args, work)
        if not args.no_scaling:
            scaling(args, work)


if __name__ == "__main__":
    main()
