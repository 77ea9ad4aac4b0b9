#!/usr/bin/env python3
"""Side-by-side benchmark: sweep vs scikit-learn (GridSearchCV) vs linfa's own models, in one run.

Run through bench/compare.sh, which sets up the Python environment and builds the binaries.
Prints median wall times over REPS repetitions (default 3) and the ratios, per family and in total,
and the regression-tree r2 of sweep against scikit-learn for every configuration.
"""
import csv, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "target/release/sweep"
LINFA = ROOT / "target/release/examples/linfa_baseline"
PY = sys.executable
REPS = int(os.environ.get("REPS", "3"))
REFERENCE = ROOT / "configs/breast_cancer.yaml"
SKLEARN_NAMES = {"svm_rbf": "svm"}


def wall(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t, out


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def family_configs(tmp):
    """One sweep file per model family of the reference sweep."""
    spec = yaml.safe_load(REFERENCE.read_text())
    spec["data"]["path"] = str((REFERENCE.parent / spec["data"]["path"]).resolve())
    files = {}
    for model in spec["models"]:
        one = dict(spec, models=[model])
        path = Path(tmp) / f"{model['model']}.yaml"
        path.write_text(yaml.safe_dump(one))
        files[model["model"]] = path
    return files


def sweep_best(out_dir, metric):
    best = {}
    with open(Path(out_dir) / "trials.csv") as f:
        for row in csv.DictReader(f):
            if row["status"] == "ok":
                score = float(row[f"mean_test_{metric}"])
                best[row["model"]] = max(best.get(row["model"], -1e9), score)
    return best


def sweep_by_key(out_dir, metric):
    with open(Path(out_dir) / "trials.csv") as f:
        return {row["key"]: float(row[f"mean_test_{metric}"]) for row in csv.DictReader(f) if row["status"] == "ok"}


def config_key(model, params):
    """sweep's trial key for a scikit-learn parameter dict (parameters sorted, None as null)."""
    text = lambda v: "null" if v is None else repr(v) if isinstance(v, float) else str(v)
    return model + "(" + ",".join(f"{k}={text(v)}" for k, v in sorted(params.items())) + ")"


def main():
    data = str(ROOT / "data/breast_cancer.csv")
    times = {k: [] for k in ["sweep", "sklearn", "linfa"]}
    fam = {}
    accuracy = {}
    with tempfile.TemporaryDirectory() as tmp:
        families = family_configs(tmp)
        for rep in range(REPS):
            out = Path(tmp) / f"ref{rep}"
            seconds, _ = wall([str(SWEEP), "run", str(REFERENCE), "--out", str(out), "--quiet", "--jobs", "2"])
            times["sweep"].append(seconds)
            accuracy["sweep"] = sweep_best(out, "accuracy")
            seconds, text = wall([PY, str(ROOT / "bench/sklearn_grid.py"), data, "--jobs", "2"])
            for line in json_lines(text):
                name = SKLEARN_NAMES.get(line["model"], line["model"])
                if name == "TOTAL":
                    times["sklearn"].append(line["seconds"])
                else:
                    fam.setdefault((name, "sklearn"), []).append(line["seconds"])
                    accuracy.setdefault("sklearn", {})[name] = line["best_accuracy"]
            _, text = wall([str(LINFA), str(REFERENCE)])
            for line in json_lines(text):
                fam.setdefault((line["family"], "linfa"), []).append(line["seconds"])
                accuracy.setdefault("linfa", {})[line["family"]] = line["best_accuracy"]
            for name, path in families.items():
                seconds, _ = wall([str(SWEEP), "run", str(path), "--out", str(Path(tmp) / f"{name}{rep}"), "--quiet", "--jobs", "2"])
                fam.setdefault((name, "sweep"), []).append(seconds)

        med = {k: statistics.median(v) for k, v in times.items() if v}
        print(f"reference sweep (57 configurations x 5 folds, 2 jobs), median of {REPS}:")
        print(f"  sweep {med['sweep']:.3f} s, scikit-learn {med['sklearn']:.3f} s: "
              f"sweep is {med['sklearn'] / med['sweep']:.1f}x faster")
        print()
        print("| family | sweep (s) | scikit-learn (s) | linfa (s) | vs scikit-learn | vs linfa | best accuracy sweep / scikit-learn / linfa |")
        print("|---|---|---|---|---|---|---|")
        def cell(value, spec):
            return "-" if value is None else format(value, spec)

        for name in families:
            s = statistics.median(fam[(name, "sweep")])
            k, l = (statistics.median(fam[(name, src)]) if (name, src) in fam else None for src in ["sklearn", "linfa"])
            acc = " / ".join(cell(accuracy.get(src, {}).get(name), ".4f") for src in ["sweep", "sklearn", "linfa"])
            ratio = lambda other: cell(other and other / s, ".1f") + ("x" if other else "")
            print(f"| {name} | {s:.3f} | {cell(k, '.3f')} | {cell(l, '.3f')} | {ratio(k)} | {ratio(l)} | {acc} |")
        print()
        print("sweep family times are whole-process wall times (start, load, train, write); scikit-learn's and")
        print("linfa's count training only. linfa: linfa-trees, linfa-ensemble, linfa-svm as they are, 2 threads.")

        # Regression trees and forests: r2 per configuration against scikit-learn.
        out = Path(tmp) / "diabetes"
        subprocess.run([str(SWEEP), "run", str(ROOT / "configs/diabetes_trees.yaml"), "--out", str(out), "--quiet"], check=True, capture_output=True)
        _, text = wall([PY, str(ROOT / "bench/sklearn_regression.py"), str(ROOT / "data/diabetes.csv"), "--jobs", "2"])
        ours = sweep_best(out, "r2")
        lines = json_lines(text)
        print()
        print("| diabetes regression | sweep best r2 | scikit-learn best r2 | difference |")
        print("|---|---|---|---|")
        for line in (l for l in lines if "best_r2" in l):
            print(f"| {line['model']} | {ours[line['model']]:.4f} | {line['best_r2']:.4f} | {ours[line['model']] - line['best_r2']:+.4f} |")
        per_config = sweep_by_key(out, "r2")
        diffs = sorted(
            (abs(per_config[config_key(l["model"], l["params"])] - l["r2"]), config_key(l["model"], l["params"]))
            for l in lines if "params" in l
        )
        within = sum(d <= 0.03 for d, _ in diffs)
        print(f"same parameters: {within} of {len(diffs)} configurations within 0.03 r2; largest gap {diffs[-1][0]:.4f} ({diffs[-1][1]})")


if __name__ == "__main__":
    main()
