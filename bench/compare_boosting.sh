#!/usr/bin/env bash
# Gradient boosting against scikit-learn's HistGradientBoosting and LightGBM (see bench/compare_boosting.py);
# makes the Python venv in .peer/.
set -euo pipefail
source "$(dirname "$0")/peer_env.sh"
.peer/bin/python bench/compare_boosting.py "$@"
