#!/usr/bin/env bash
# A refitted sweep model vs the same configuration refitted in scikit-learn, scored on the same
# held-out rows of real tables (see bench/compare_model.py); makes the Python venv in .peer/.
set -euo pipefail
source "$(dirname "$0")/peer_env.sh"
.peer/bin/python bench/compare_model.py "$@"
