"""Adaptive search, measured side by side (one run, one machine): prints a markdown report.

1. TPE vs Optuna's TPESampler vs random search, on one fixed objective. A table's whole discrete space
   (about 1,000-2,000 configurations) is first run as a sweep grid: that gives every configuration's
   5-fold CV score. `sweep` TPE and random search then run for real (their trials must score exactly
   as the grid did: same folds, same model seeds); Optuna proposes over the same space and looks its
   scores up in the grid. So both face the same function and only the search differs. Best score
   after 50 and 200 trials, median and spread over 10 search seeds (`search.seed`; the folds stay).
2. Overhead per trial of the search itself, on trivial trials (a model that returns at once), vs an
   in-memory Optuna study with a trivial objective.
3. Successive halving vs the full grid on the same candidates: fold fits, wall time, and how good the
   configuration halving picks is (its score in the full grid) against the grid's best.
4. Fold pruning (`prune: median`) on the same grids: wall time saved, and whether the grid's best
   trial was pruned.

Run: bash bench/compare_search.sh [--quick] [--tables breast_cancer,mlc_churn] [--parts overhead,tpe,halving]
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import optuna
import pandas as pd

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
SWEEP = os.path.abspath("target/release/sweep")
QUICK = "--quick" in sys.argv
SEEDS = 3 if QUICK else 10
REPS = 1 if QUICK else 3
BUDGETS = (50, 200)
WORK = tempfile.mkdtemp(prefix="sweep-search-")

CLASSIFICATION = dict(
    decision_tree=dict(max_depth=("int", 1, 20), min_samples_leaf=("int", 1, 50), criterion=("list", ["gini", "entropy"])),
    logistic_regression=dict(alpha=("list", [float(f"{a:.3g}") for a in np.logspace(-4, 2, 25)])),
    gaussian_nb=dict(var_smoothing=("list", [float(f"{a:.3g}") for a in np.logspace(-12, -2, 20)])),
)
REGRESSION = dict(
    decision_tree=dict(max_depth=("int", 1, 20), min_samples_leaf=("int", 1, 50)),
    elastic_net=dict(
        alpha=("list", [float(f"{a:.3g}") for a in np.logspace(-4, 1, 25)]),
        l1_ratio=("list", [0.0, 0.25, 0.5, 0.75, 1.0]),
    ),
)
TABLES = [
    dict(name="breast_cancer", data="data/breast_cancer.csv", target="target", metric="accuracy", space=CLASSIFICATION),
    dict(name="mlc_churn", data="data/real/mlc_churn.csv.gz", target="churn", metric="accuracy", space=CLASSIFICATION),
    dict(name="collegedistance", data="data/real/collegedistance.csv.gz", target="education", metric="rmse", space=REGRESSION),
    dict(name="wage", data="data/real/wage.csv.gz", target="wage", drop=["logwage"], metric="r2", space=REGRESSION),
]
LOWER_IS_BETTER = {"rmse", "mae"}


def yaml_axis(axis):
    kind = axis[0]
    if kind == "int":
        return f"{{int_uniform: [{axis[1]}, {axis[2]}]}}"
    return json.dumps(axis[1])


def sweep_file(table, search, name, models=None, folds=5):
    space = table["space"] if models is None else models
    lines = [
        f"name: {name}",
        "data:",
        f"  path: {os.path.abspath(table['data'])}",
        f"  target: {table['target']}",
    ]
    if "drop" in table:
        lines.append(f"  drop: {json.dumps(table['drop'])}")
    lines += [f"cv: {{folds: {folds}}}", f"metric: {table['metric']}", "refit: none", f"search: {search}", "models:"]
    for model, params in space.items():
        lines.append(f"  - model: {model}")
        if model == "logistic_regression":
            lines.append("    preprocess: [standard_scaler]")
            params = dict(params, max_iterations=("list", [300]))
        if params:
            body = ", ".join(f"{p}: {yaml_axis(a) if isinstance(a, tuple) else json.dumps(a)}" for p, a in params.items())
            lines.append(f"    params: {{{body}}}")
    path = os.path.join(WORK, f"{name}.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run(path, out, jobs=2, extra=()):
    started = time.perf_counter()
    subprocess.run([SWEEP, "run", path, "--out", out, "--quiet", "--jobs", str(jobs), *extra], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def trials(out):
    return pd.read_csv(os.path.join(out, "trials.csv")).sort_values("trial")


def config_id(model, params):
    params = {k: v for k, v in params.items() if k != "max_iterations"}
    return model, tuple(sorted(params.items()))


def best_after(scores, n, lower):
    head = [s for s in scores[:n] if s == s]
    return min(head) if lower else max(head)


def optuna_scores(table, lookup, seed, multivariate):
    space = table["space"]
    lower = table["metric"] in LOWER_IS_BETTER
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=multivariate, group=multivariate)
    study = optuna.create_study(direction="minimize" if lower else "maximize", sampler=sampler)

    def objective(trial):
        model = trial.suggest_categorical("model", list(space))
        params = {}
        for name, axis in space[model].items():
            key = f"{model}.{name}"
            if axis[0] == "int":
                params[name] = trial.suggest_int(key, axis[1], axis[2])
            else:
                params[name] = trial.suggest_categorical(key, axis[1])
        return lookup[config_id(model, params)]

    study.optimize(objective, n_trials=max(BUDGETS))
    return [t.value for t in study.trials]


def fmt(values, lower):
    med = statistics.median(values)
    return f"{med:.4f} [{min(values):.4f}, {max(values):.4f}]"


def tpe_section(report):
    report.append("## 1. TPE vs Optuna's TPESampler vs random search (best CV score after N trials)\n")
    report.append(
        f"Median [min, max] over {SEEDS} search seeds; 5-fold CV; the same objective for every column (see the "
        "script's docstring). `sweep` runs with `--jobs 2` (a proposal sees every result but the previous "
        "trial's); Optuna runs sequentially. Higher is better except rmse.\n"
    )
    report.append("| table | metric | space | best in space | N | sweep tpe | optuna tpe | optuna tpe (multivariate, group) | sweep random |")
    report.append("|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for table in TABLES:
        lower = table["metric"] in LOWER_IS_BETTER
        col = f"mean_test_{table['metric']}"
        grid_out = os.path.join(WORK, f"{table['name']}-grid")
        run(sweep_file(table, "{strategy: grid}", f"{table['name']}-grid"), grid_out)
        grid = trials(grid_out)
        lookup = {config_id(r.model, json.loads(r.params)): getattr(r, col) for r in grid.itertuples()}
        by_key = dict(zip(grid.key, grid[col]))
        best_space = grid[col].min() if lower else grid[col].max()
        results = {k: {n: [] for n in BUDGETS} for k in ("tpe", "random", "optuna", "optuna_mv")}
        for seed in range(SEEDS):
            for strategy in ("tpe", "random"):
                name = f"{table['name']}-{strategy}-{seed}"
                out = os.path.join(WORK, name)
                run(sweep_file(table, f"{{strategy: {strategy}, trials: {max(BUDGETS)}, seed: {seed}}}", name), out)
                t = trials(out)
                mismatch = [k for k, s in zip(t.key, t[col]) if by_key.get(k) != s]
                assert not mismatch, f"{name}: trials scored differently from the grid: {mismatch[:3]}"
                for n in BUDGETS:
                    results[strategy][n].append(best_after(list(t[col]), n, lower))
            for variant, mv in (("optuna", False), ("optuna_mv", True)):
                scores = optuna_scores(table, lookup, seed, mv)
                for n in BUDGETS:
                    results[variant][n].append(best_after(scores, n, lower))
        for n in BUDGETS:
            cells = [fmt(results[k][n], lower) for k in ("tpe", "optuna", "optuna_mv", "random")]
            report.append(
                f"| {table['name']} | {table['metric']} | {len(grid)} | {best_space:.4f} | {n} | " + " | ".join(cells) + " |"
            )
            med = {k: statistics.median(v[n]) for k, v in results.items()}
            better = (lambda a, b: a <= b) if lower else (lambda a, b: a >= b)
            verdicts.append(
                f"{table['name']} N={n}: sweep tpe {'>=' if better(med['tpe'], med['optuna']) else '<'} optuna, "
                f"{'>=' if better(med['tpe'], med['optuna_mv']) else '<'} optuna multivariate, "
                f"{'>=' if better(med['tpe'], med['random']) else '<'} random"
            )
        print(f"done: {table['name']}", file=sys.stderr, flush=True)
    report.append("\nMedians compared (`>=`: as good or better):\n")
    report.extend(f"- {v}" for v in verdicts)
    report.append("")


def overhead_section(report):
    report.append("## 2. Search overhead per trial (trivial trials)\n")
    iris = dict(name="iris", data="data/iris.csv", target="target", metric="accuracy")
    models = {"fault": {"kind": ["ok"], "seconds": ("float", 0.0, 1.0), "mebibytes": ("int", 1, 1000)}}

    def axis(a):
        if isinstance(a, tuple) and a[0] == "float":
            return f"{{uniform: [{a[1]}, {a[2]}]}}"
        return yaml_axis(a) if isinstance(a, tuple) else json.dumps(a)

    report.append(
        "Whole `sweep run` wall time (process start, data load, proposals, trials.csv and leaderboard writes, refit "
        "off) divided by the trials, on a model that returns at once (2 folds of iris), `--jobs 1`; against "
        f"`study.optimize` of an in-memory Optuna study whose objective suggests the same two parameters and "
        f"returns 0. Median of {REPS} runs.\n"
    )
    report.append("| trials | sweep tpe | sweep random | optuna tpe | optuna tpe / sweep tpe |")
    report.append("|---|---|---|---|---|")
    for n in (200, 1000):
        per = {}
        for strategy in ("tpe", "random"):
            times = []
            for rep in range(REPS):
                name = f"overhead-{strategy}-{n}-{rep}"
                path = os.path.join(WORK, f"{name}.yaml")
                with open(path, "w") as f:
                    f.write(
                        f"name: {name}\ndata: {{path: {os.path.abspath(iris['data'])}, target: target}}\ncv: {{folds: 2}}\n"
                        f"refit: none\nsearch: {{strategy: {strategy}, trials: {n}}}\nmodels:\n  - model: fault\n"
                        f"    params: {{{', '.join(f'{k}: {axis(v)}' for k, v in models['fault'].items())}}}\n"
                    )
                times.append(run(path, os.path.join(WORK, name), jobs=1) / n)
            per[strategy] = statistics.median(times)
        optuna_times = []
        for rep in range(REPS):
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=rep))
            started = time.perf_counter()
            study.optimize(lambda t: (t.suggest_float("seconds", 0, 1), t.suggest_int("mebibytes", 1, 1000), 0.0)[2], n_trials=n)
            optuna_times.append((time.perf_counter() - started) / n)
        per["optuna"] = statistics.median(optuna_times)
        report.append(
            f"| {n} | {per['tpe'] * 1e3:.3f} ms | {per['random'] * 1e3:.3f} ms | {per['optuna'] * 1e3:.2f} ms | "
            f"{per['optuna'] / per['tpe']:.0f}x |"
        )
    report.append("")


HALVING_TABLES = [
    dict(name="breast_cancer", data="data/breast_cancer.csv", target="target", metric="accuracy", models="reference"),
    dict(name="mlc_churn", data="data/real/mlc_churn.csv.gz", target="churn", metric="accuracy"),
    dict(name="wage", data="data/real/wage.csv.gz", target="wage", drop=["logwage"], metric="r2", models="regression"),
]
HALVING_MODELS = dict(
    decision_tree=dict(max_depth=("list", [2, 4, 6, 8, 12, None]), min_samples_leaf=("list", [1, 5, 20])),
    logistic_regression=dict(alpha=("list", [0.001, 0.01, 0.1, 1, 10])),
    random_forest=dict(n_estimators=("list", [50, 100]), max_depth=("list", [6, 12, None]), max_features=("list", ["sqrt", 0.5])),
)
HALVING_REGRESSION = dict(
    decision_tree=dict(max_depth=("list", [2, 4, 6, 8, 12, None]), min_samples_leaf=("list", [1, 5, 20])),
    elastic_net=dict(alpha=("list", [0.001, 0.01, 0.1, 1, 10]), l1_ratio=("list", [0.0, 0.5, 1.0])),
    random_forest=dict(n_estimators=("list", [50, 100]), max_depth=("list", [6, 12, None]), max_features=("list", ["sqrt", 0.5])),
)
REFERENCE_MODELS = dict(
    logistic_regression=dict(alpha=("list", [0.0001, 0.001, 0.01, 0.1, 1, 10])),
    decision_tree=dict(max_depth=("list", [2, 4, 6, 8, 10, None]), criterion=("list", ["gini", "entropy"]), min_samples_leaf=("list", [1, 5])),
    gaussian_nb=dict(var_smoothing=("list", [1e-11, 1e-10, 1e-9, 1e-8, 1e-7])),
    svm=dict(kernel=("list", ["rbf"]), c=("list", [0.1, 1, 10, 100]), gamma=("list", [0.001, 0.01, 0.1, 1])),
    random_forest=dict(n_estimators=("list", [50, 100]), max_depth=("list", [4, 8, None])),
)


def halving_section(report):
    report.append("## 3. Successive halving vs the full grid, and 4. fold pruning\n")
    report.append(
        f"Same candidates, 5-fold CV, `--jobs 2`, threads; wall time median of {REPS} alternating runs. Fold fits: "
        "trials x folds, and in full-size equivalents (a fit on 1/9 of the rows counts 1/9). Halving's pick: "
        "the score its best last-rung configuration has in the full grid. Pruning: `prune: median` on the "
        "same grid; `best pruned` says whether the full grid's best trial was pruned.\n"
    )
    report.append("| table | candidates | grid wall | halving wall | grid/halving | grid fold fits | halving fold fits (full-size eq.) | grid best | halving pick | diff (points) | pruned wall | grid/pruned | trials pruned | best pruned |")
    report.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for table in HALVING_TABLES:
        models = {"reference": REFERENCE_MODELS, "regression": HALVING_REGRESSION}.get(table.get("models"), HALVING_MODELS)
        table = dict(table, space=models)
        col = f"mean_test_{table['metric']}"
        paths = {
            "grid": sweep_file(table, "{strategy: grid}", f"h-{table['name']}-grid"),
            "halving": sweep_file(table, "{strategy: halving, factor: 3, resource: rows}", f"h-{table['name']}-halving"),
            "pruned": sweep_file(table, "{strategy: grid, prune: median}", f"h-{table['name']}-pruned"),
        }
        walls = {k: [] for k in paths}
        for rep in range(REPS):
            for kind, path in paths.items():
                walls[kind].append(run(path, os.path.join(WORK, f"h-{table['name']}-{kind}-{rep}")))
        wall = {k: statistics.median(v) for k, v in walls.items()}
        grid = trials(os.path.join(WORK, f"h-{table['name']}-grid-0"))
        halving = trials(os.path.join(WORK, f"h-{table['name']}-halving-0"))
        pruned = trials(os.path.join(WORK, f"h-{table['name']}-pruned-0"))
        ok = grid[grid.status == "ok"]
        best = ok.loc[ok[col].idxmax()]
        last = halving[(halving.rung == halving.rung.max()) & (halving.status == "ok")]
        pick_key = last.loc[last[col].idxmax()].key.split("@")[0]
        pick = float(grid.loc[grid.key == pick_key, col].iloc[0])
        equivalent = sum((halving.resource / halving.resource.max()).tolist()) * 5
        best_status = pruned.loc[pruned.key == best.key, "status"].iloc[0]
        report.append(
            f"| {table['name']} | {len(grid)} | {wall['grid']:.2f} s | {wall['halving']:.2f} s | {wall['grid'] / wall['halving']:.1f}x | "
            f"{len(grid) * 5} | {len(halving) * 5} ({equivalent:.0f}) | {best[col]:.4f} | {pick:.4f} | {(pick - best[col]) * 100:+.2f} | "
            f"{wall['pruned']:.2f} s | {wall['grid'] / wall['pruned']:.2f}x | {(pruned.status == 'pruned').sum()} | "
            f"{'yes' if best_status == 'pruned' else 'no'} |"
        )
        print(f"done: halving {table['name']}", file=sys.stderr, flush=True)
    report.append("")


def only(tables):
    """`--tables a,b` keeps those tables (for trying the script out)."""
    if "--tables" not in sys.argv:
        return tables
    names = sys.argv[sys.argv.index("--tables") + 1].split(",")
    return [t for t in tables if t["name"] in names]


def main():
    global TABLES, HALVING_TABLES
    TABLES, HALVING_TABLES = only(TABLES), only(HALVING_TABLES)
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    report = [
        f"# Adaptive search benchmark, {datetime.date.today()}",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; optuna {optuna.__version__}; "
        f"release build; {'quick run' if QUICK else 'full run'}.",
        "",
    ]
    parts = sys.argv[sys.argv.index("--parts") + 1].split(",") if "--parts" in sys.argv else ["overhead", "tpe", "halving"]
    for part in parts:
        {"overhead": overhead_section, "tpe": tpe_section, "halving": halving_section}[part](report)
    print("\n".join(report))


if __name__ == "__main__":
    main()
