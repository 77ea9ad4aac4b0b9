#!/usr/bin/env python3
"""Chaos check, by attack class (--attack, default all):
- kills: kill -9 runs (and their resumes) at random early and late moments on both backends, resume
  until finished, and check nothing was lost, duplicated or changed against an undisturbed run;
- models: damage saved model files (bit flips, bytes set, truncation) and recompute their length and
  checksum, as a deliberate edit would; `sweep predict` must refuse (exit 2) or predict one row per
  input row, never hang, crash or panic;
- merge: tamper with shard results (rows removed, copied from another shard, fields added, trial
  numbers, keys or statuses edited, files cut mid-row or removed); `sweep merge` must refuse (exit 2);
- numbers: tables of hostile numbers (near the float limits, inf/NaN spellings, denormals, huge
  targets) through every family; a run must finish or refuse, and every ok trial's scores be finite.

Usage: bench/chaos.py [--attack kills|models|merge|numbers|all] [--tries N] [--seed S]
                      [--binary target/release/sweep] [--config configs/breast_cancer.yaml]
Prints one line per try and a summary per class; exits 1 if any try failed.
"""
import argparse
import csv
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# The columns that differ between runs of one sweep (results::trials::RUN_SPECIFIC, and the trial number).
VARYING = {"trial", "mean_fit_time", "std_fit_time", "mean_shared_fit_time", "mean_score_time", "std_score_time",
           "backend", "worker", "start_offset", "end_offset", "shard"}


def read_trials(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    keys = [r["key"] for r in rows]
    return {r["key"]: {k: v for k, v in r.items() if k not in VARYING} for r in rows}, len(keys) - len(set(keys))


def start(binary, args):
    return subprocess.Popen([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_after(proc, seconds):
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def kills(a, rng, work):
    ref = os.path.join(work, "reference")
    subprocess.run([a.binary, "run", a.config, "--out", ref, "--quiet"], check=True, stdout=subprocess.DEVNULL)
    reference, _ = read_trials(os.path.join(ref, "trials.csv"))
    failures = 0
    started = time.time()
    for i in range(a.tries):
        backend = ["threads", "processes"][i % 2]
        out = os.path.join(work, f"try{i}")
        # Early: the first milliseconds (folder, manifest); late: mid-sweep.
        moment = rng.uniform(0.0, 0.03) if rng.random() < 0.5 else rng.uniform(0.05, 0.6)
        kill_after(start(a.binary, ["run", a.config, "--out", out, "--quiet", "--backend", backend]), moment)
        kills = 1
        # Kill some resumes too, then resume until it finishes.
        for _ in range(rng.randint(0, 2)):
            if os.path.exists(os.path.join(out, "manifest.json")):
                kill_after(start(a.binary, ["resume", out, "--quiet", "--backend", backend]), rng.uniform(0.0, 0.4))
                kills += 1
        if os.path.exists(os.path.join(out, "manifest.json")):
            done = subprocess.run([a.binary, "resume", out, "--quiet"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        else:
            # Killed before the manifest: nothing ran; the same command starts it again.
            done = subprocess.run([a.binary, "run", a.config, "--out", out, "--quiet", "--backend", backend],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        problem = ""
        if done.returncode != 0:
            problem = f"finishing exited {done.returncode}: {done.stderr.strip()}"
        else:
            got, duplicated = read_trials(os.path.join(out, "trials.csv"))
            lost = set(reference) - set(got)
            changed = [k for k in reference if k in got and got[k] != reference[k]]
            if lost or duplicated or changed:
                problem = f"{len(lost)} lost, {duplicated} duplicated, {len(changed)} changed"
        failures += bool(problem)
        print(f"try {i:3d} {backend:9s} killed at {moment * 1000:6.1f} ms, {kills} kill(s): {problem or 'ok'}")
        shutil.rmtree(out, ignore_errors=True)
    print(f"kills: {a.tries} tries, {failures} failures, {time.time() - started:.1f} s")
    return failures


def run_quiet(binary, args, timeout=None):
    """Runs sweep; (exit code, stdout, stderr), or None when it had to be killed after `timeout`."""
    try:
        done = subprocess.run([binary] + args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return done.returncode, done.stdout, done.stderr


def crashed(stderr):
    return "panicked" in stderr or "internal error" in stderr


def rechecksum(body):
    import hashlib
    payload = bytes(body[52:])
    return bytes(body[:12]) + len(payload).to_bytes(8, "little") + hashlib.sha256(payload).digest() + payload


def models(a, rng, work):
    out = os.path.join(work, "models")
    config = os.path.join(work, "per_model.yaml")
    with open(a.config) as f:
        text = f.read()
    base = os.path.dirname(os.path.abspath(a.config))
    text = text.replace("path: ../", f"path: {base}/../")
    with open(config, "w") as f:
        f.write(text + "\nrefit: per_model\n")
    subprocess.run([a.binary, "run", config, "--out", out, "--quiet", "--no-report"], check=True,
                   stdout=subprocess.DEVNULL)
    data = text.split("path: ", 1)[1].split(",")[0].split("\n")[0].strip().rstrip("}")
    rows = sum(1 for _ in open(data)) - 1
    folders = sorted(os.listdir(os.path.join(out, "models")))
    counts = {"refused": 0, "predicted": 0, "hang": 0, "crash": 0}
    started = time.time()
    for i in range(a.tries):
        folder = folders[i % len(folders)]
        with open(os.path.join(out, "models", folder, "model.bin"), "rb") as f:
            body = bytearray(f.read())
        at = rng.randrange(52, len(body))
        kind = rng.choice(["flip", "ones", "zero", "random", "truncate"])
        if kind == "flip":
            body[at] ^= 1 << rng.randrange(8)
        elif kind == "ones":
            body[at] = 0xFF
        elif kind == "zero":
            body[at] = 0
        elif kind == "random":
            body[at] = rng.randrange(256)
        else:
            del body[at:]
        victim = os.path.join(work, "victim.bin")
        with open(victim, "wb") as f:
            f.write(rechecksum(body))
        done = run_quiet(a.binary, ["predict", victim, data], timeout=60)
        if done is None:
            outcome = "hang"
        elif crashed(done[2]) or done[0] not in (0, 2):
            outcome = "crash"
        elif done[0] == 2:
            outcome = "refused"
        else:
            outcome = "predicted" if len(done[1].splitlines()) == rows + 1 else "crash"
        counts[outcome] += 1
        if outcome in ("hang", "crash"):
            print(f"try {i:3d} {folder}: {kind} at byte {at}: {outcome}: {done and done[2].strip()}")
    failures = counts["hang"] + counts["crash"]
    print(f"models: {a.tries} damaged files: {counts}, {time.time() - started:.1f} s")
    return failures


def merge(a, rng, work):
    root = os.path.join(work, "sharded")
    for i in (1, 2, 3):
        subprocess.run([a.binary, "run", a.config, "--shard", f"{i}/3", "--out", root, "--quiet", "--no-report"],
                       check=True, stdout=subprocess.DEVNULL)
    counts = {"refused": 0, "accepted": 0, "crash": 0}
    started = time.time()
    for i in range(a.tries):
        copy = os.path.join(work, f"merge{i}")
        shutil.copytree(root, copy)
        shard = rng.choice([1, 2, 3])
        path = os.path.join(copy, "shards", f"{shard}-of-3", "trials.csv")
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        kind = rng.choice(["remove", "foreign", "field", "trial", "key", "status", "cut", "no file"])
        victim = rng.randrange(len(body))
        if kind == "remove":
            del body[victim]
        elif kind == "foreign":
            other = os.path.join(copy, "shards", f"{shard % 3 + 1}-of-3", "trials.csv")
            with open(other, newline="") as f:
                body.append(list(csv.reader(f))[1])
        elif kind == "field":
            body[victim].append("extra")
        elif kind == "trial":
            body[victim][header.index("trial")] = str(int(body[victim][header.index("trial")]) + rng.choice([1, 2]))
        elif kind == "key":
            body[victim][header.index("key")] += "x"
        elif kind == "status":
            body[victim][header.index("status")] = rng.choice(["okay", "", "OK", "done"])
        if kind == "no file":
            os.remove(path)
        else:
            with open(path, "w", newline="") as f:
                csv.writer(f).writerows([header] + body)
            if kind == "cut":
                size = os.path.getsize(path)
                with open(path, "r+b") as f:
                    f.truncate(rng.randrange(size // 2, size - 2))
        done = run_quiet(a.binary, ["merge", copy, "--no-report"], timeout=120)
        if done is None or crashed(done[2]) or done[0] not in (0, 2):
            outcome = "crash"
        else:
            outcome = "refused" if done[0] == 2 else "accepted"
        counts[outcome] += 1
        if outcome != "refused":
            print(f"try {i:3d} shard {shard}: {kind}: {outcome}: {done and done[2].strip()}")
        shutil.rmtree(copy, ignore_errors=True)
    print(f"merge: {a.tries} tampered shard folders: {counts}, {time.time() - started:.1f} s")
    return counts["accepted"] + counts["crash"]


HOSTILE = ["1.7976931348623157e308", "-1.7976931348623157e308", "5e-324", "-5e-324", "1e308", "-1e308",
           "1e-300", "0", "-0", "inf", "-inf", "Infinity", "NaN", "1e400", "123456789012345678901234567890"]


def numbers(a, rng, work):
    families = ["logistic_regression", "decision_tree", "gaussian_nb", "svm", "random_forest",
                "linear_regression", "elastic_net"]
    counts = {"finished": 0, "refused": 0, "bad": 0}
    reasons = {}
    started = time.time()
    for i in range(a.tries):
        task = rng.choice(["classification", "regression"])
        path = os.path.join(work, f"numbers{i}.csv")
        n = 60
        with open(path, "w") as f:
            f.write("a,b,c,y\n")
            for r in range(n):
                cells = [rng.choice(HOSTILE) if rng.random() < 0.3 else f"{rng.gauss(0, 1):.6g}" for _ in range(3)]
                y = str(r % 3) if task == "classification" else rng.choice(
                    [f"{rng.gauss(0, 1):.6g}", rng.choice(HOSTILE[:6])])
                f.write(",".join(cells + [y]) + "\n")
        wanted = [m for m in families if task == "classification" or m in ("decision_tree", "random_forest",
                                                                          "linear_regression", "elastic_net")]
        wanted = [m for m in wanted if task == "regression" or m not in ("linear_regression", "elastic_net")]
        scaler = rng.choice(["", "    preprocess: [min_max_scaler]\n", "    preprocess: [standard_scaler]\n"])
        models = "".join(f"  - model: {m}\n{scaler if m != 'random_forest' else ''}" for m in wanted)
        config = os.path.join(work, f"numbers{i}.yaml")
        with open(config, "w") as f:
            f.write(f"name: n\ndata: {{path: {path}, target: y, task: {task}, columns: {{a: number, b: number, c: number}}}}\n"
                    f"cv: {{folds: 2}}\nrefit: none\nmodels:\n{models}")
        if rng.random() < 0.5:
            with open(config) as f:
                text = f.read()
            with open(config, "w") as f:
                f.write(text.replace(", columns: {a: number, b: number, c: number}", ""))
        out = os.path.join(work, f"numbers{i}-out")
        done = run_quiet(a.binary, ["run", config, "--out", out, "--quiet", "--no-report"], timeout=300)
        problem = ""
        if done is None or crashed(done[2]) or done[0] not in (0, 2):
            problem = f"exit {done and done[0]}: {done and done[2].strip()}"
        elif done[0] == 2:
            counts["refused"] += 1
            # Grouped by their words: places and cell texts set aside.
            reason = re.sub(r"`[^`]*`|\d+", "_", done[2].split(":", 2)[-1].strip())[:90]
            reasons[reason] = reasons.get(reason, 0) + 1
        else:
            with open(os.path.join(out, "trials.csv"), newline="") as f:
                for row in csv.DictReader(f):
                    scores = [v for k, v in row.items() if k.startswith("mean_test_")]
                    if row["status"] == "ok" and any(not math.isfinite(float(v)) for v in scores if v):
                        problem = f"{row['key']}: ok with scores {scores}"
                    if row["status"] == "failed" and not row["error"]:
                        problem = f"{row['key']}: failed without a reason"
            counts["finished"] += not problem
        if problem:
            counts["bad"] += 1
            print(f"try {i:3d} {task}: {problem}")
        shutil.rmtree(out, ignore_errors=True)
    for reason, n in sorted(reasons.items(), key=lambda r: -r[1]):
        print(f"  refused {n}x: {reason}")
    print(f"numbers: {a.tries} hostile tables: {counts}, {time.time() - started:.1f} s")
    return counts["bad"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--attack", default="all", choices=["kills", "models", "merge", "numbers", "all"])
    p.add_argument("--tries", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--binary", default="target/release/sweep")
    p.add_argument("--config", default="configs/breast_cancer.yaml")
    a = p.parse_args()
    a.binary = os.path.abspath(a.binary)
    attacks = {"kills": kills, "models": models, "merge": merge, "numbers": numbers}
    chosen = list(attacks) if a.attack == "all" else [a.attack]
    failures = 0
    for name in chosen:
        work = tempfile.mkdtemp(prefix=f"sweep-chaos-{name}-")
        failures += attacks[name](a, random.Random(a.seed), work)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
