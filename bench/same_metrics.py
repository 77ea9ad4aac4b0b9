#!/usr/bin/env python3
"""Checks two trials.csv files hold the same trials with bit-identical metrics and seeds.

Usage: bench/same_metrics.py BEFORE/trials.csv AFTER/trials.csv
Compares every column the two share except run-specific ones (times, offsets, backend, worker, trial number,
and the `params`/`param_*` cells, whose text form may change between versions); exits 1 on any difference.
"""
import csv
import sys

SKIP = {"trial", "backend", "worker", "params", "start_offset", "end_offset", "shard"}


def rows(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return {r["key"]: r for r in reader}, reader.fieldnames


def main():
    (a, ha), (b, hb) = rows(sys.argv[1]), rows(sys.argv[2])
    shared = [c for c in ha if c in hb and c not in SKIP
              and not c.endswith("_time") and not c.startswith("param_")]
    diffs = [f"{k}: only in one" for k in set(a) ^ set(b)]
    for key in sorted(set(a) & set(b)):
        diffs += [f"{key}: {c} {a[key][c]!r} != {b[key][c]!r}" for c in shared if a[key][c] != b[key][c]]
    print(f"{len(a)} vs {len(b)} trials, {len(shared)} columns compared, {len(diffs)} differences")
    for d in diffs[:20]:
        print("  " + d)
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
