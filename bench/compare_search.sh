#!/usr/bin/env bash
# Adaptive search side by side: TPE vs Optuna, search overhead, halving vs grid, fold pruning.
# Writes bench/compare_search-<date>.md. `--quick`: 3 seeds and 1 repetition (a few minutes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/peer_env.sh"
.peer/bin/python -c "import optuna" 2>/dev/null || .peer/bin/pip install --quiet optuna
out="bench/compare_search-$(date +%F)${SEARCH_BENCH_SUFFIX:-}.md"
.peer/bin/python bench/compare_search.py "$@" | tee "$out"
echo "written: $out" >&2
