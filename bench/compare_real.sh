#!/usr/bin/env bash
# sweep vs scikit-learn on configs/real and time against rows (see bench/compare_real.py);
# makes the Python venv in .peer/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .peer/bin/python ] || ! .peer/bin/python -c "import sklearn, pandas, yaml, psutil, matplotlib" 2>/dev/null; then
  python3 -m venv .peer
  .peer/bin/pip install --quiet scikit-learn pandas pyyaml psutil matplotlib
fi
cargo build --release --quiet
.peer/bin/python bench/compare_real.py "$@"
