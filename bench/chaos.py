#!/usr/bin/env python3
"""Chaos check: kill -9 runs (and their resumes) at random early and late moments on both backends,
resume until finished, and check nothing was lost, duplicated or changed against an undisturbed run.

Usage: bench/chaos.py [--tries N] [--seed S] [--binary target/release/sweep] [--config configs/breast_cancer.yaml]
Prints one line per try and a summary; exits 1 if any try lost, duplicated or changed a trial.
"""
import argparse
import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

VARYING = {"trial", "mean_fit_time", "std_fit_time", "mean_shared_fit_time", "mean_score_time", "std_score_time", "backend", "worker"}


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tries", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--binary", default="target/release/sweep")
    p.add_argument("--config", default="configs/breast_cancer.yaml")
    a = p.parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="sweep-chaos-")
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
    print(f"{a.tries} tries, {failures} failures, {time.time() - started:.1f} s")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
