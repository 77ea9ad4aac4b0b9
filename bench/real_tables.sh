#!/usr/bin/env bash
# sweep vs scikit-learn on configs/real (see bench/real_tables.py); makes the Python venv in .peer/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .peer/bin/python ]; then
  python3 -m venv .peer
  .peer/bin/pip install --quiet scikit-learn pandas pyyaml
fi
cargo build --release --quiet
.peer/bin/python bench/real_tables.py "$@"
