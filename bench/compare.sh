#!/usr/bin/env bash
# Side-by-side benchmark of sweep against scikit-learn and linfa's own models, then `sweep bench` on
# the reference sweep and on 2000 trivial trials. Sets up a Python venv with scikit-learn in .peer/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .peer/bin/python ]; then
  python3 -m venv .peer
  .peer/bin/pip install --quiet scikit-learn pandas pyyaml
fi
cargo build --release --quiet
cargo build --release --quiet --example linfa_baseline
.peer/bin/python bench/compare.py
echo
out=$(mktemp -d)
./target/release/sweep bench configs/breast_cancer.yaml --all --out "$out/reference" --quiet
echo
./target/release/sweep bench configs/tiny_trials.yaml --all --out "$out/tiny" --quiet
rm -rf "$out"
