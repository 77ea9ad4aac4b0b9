#!/usr/bin/env bash
# How `sweep merge` scales: generates the shard folders of a sweep of TRIALS trials split into SHARDS
# shards (from one real shard's manifest and columns), merges them, and prints the time and peak RSS.
# Usage: bench/merge_scale.sh [SHARDS] [TRIALS]   (default 10000 shards, 1000000 trials)
set -euo pipefail
cd "$(dirname "$0")/.."
shards=${1:-10000}
trials=${2:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
bin=target/release/sweep
# One real shard gives the manifest and trials.csv columns every generated shard copies.
$bin run configs/quickstart.yaml --shard 1/"$shards" --out "$work/template" --quiet --no-report >/dev/null
python3 - "$work" "$shards" "$trials" <<'PY'
import csv, hashlib, json, os, sys

def key_hash(key):
    # sweep's key hash: the first 8 bytes of sha256("0/<key>"), little-endian.
    return int.from_bytes(hashlib.sha256(f"0/{key}".encode()).digest()[:8], "little")

work, shards, trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
template = f"{work}/template/shards/1-of-{shards}"
manifest = json.load(open(f"{template}/manifest.json"))
header = next(csv.reader(open(f"{template}/trials.csv")))
per = trials // shards
for i in range(1, shards + 1):
    d = f"{work}/run/shards/{i}-of-{shards}"
    os.makedirs(d)
    # Shard i holds the trial numbers n with n % shards == i - 1; its manifest has their keys' fingerprint.
    numbers = [t * shards + i - 1 for t in range(per)]
    total = sum(key_hash(f"gaussian_nb(var_smoothing={n}e-12)") for n in numbers) % 2**64
    manifest["shard"]["index"] = i
    manifest["trials"]["total"] = per
    manifest["trials"]["keys_fingerprint"] = f"{per}-{total:016x}"
    json.dump(manifest, open(f"{d}/manifest.json", "w"))
    with open(f"{d}/trials.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for n in numbers:
            row = []
            for c in header:
                if c == "trial": row.append(n)
                elif c == "key": row.append(f"gaussian_nb(var_smoothing={n}e-12)")
                elif c == "model": row.append("gaussian_nb")
                elif c == "status": row.append("ok")
                elif c == "params": row.append('{"var_smoothing":%de-12}' % n)
                elif c.startswith(("mean_test_", "split")): row.append(f"0.{(n * 7919) % 100000:05d}")
                else: row.append("0")
            w.writerow(row)
PY
du -sh "$work/run/shards" | sed 's/^/shard folders: /'
/usr/bin/time -f "merge: %e s wall, %M KiB peak RSS" $bin merge "$work/run" --no-report >/dev/null
echo "merged rows: $(($(wc -l < "$work/run/trials.csv") - 1)) of $trials; machine: $(nproc) cores, $(date -u +%F)"
