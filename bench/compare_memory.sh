#!/usr/bin/env bash
# Peak memory of forest-heavy TPE sweeps against scikit-learn's RandomizedSearchCV (bench/compare_memory.py);
# makes the Python venv in .peer/. Writes bench/compare_memory-<date>.md.
set -euo pipefail
source "$(dirname "$0")/peer_env.sh"
out="bench/compare_memory-$(date +%F).md"
.peer/bin/python bench/compare_memory.py "$@" | tee "$out"
echo "written: $out" >&2
