#!/usr/bin/env bash
# A refitted sweep model vs the same configuration refitted in scikit-learn, scored on the same
# held-out rows of real tables (see bench/compare_model.py); makes the Python venv in .peer/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .peer/bin/python ] || ! .peer/bin/python -c "import sklearn, pandas, yaml, psutil, matplotlib" 2>/dev/null; then
  python3 -m venv .peer
  .peer/bin/pip install --quiet scikit-learn pandas pyyaml psutil matplotlib
fi
cargo build --release --quiet
.peer/bin/python bench/compare_model.py "$@"
