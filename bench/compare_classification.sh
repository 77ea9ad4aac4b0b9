#!/usr/bin/env bash
# sweep's classification (logistic regression, class weights, metrics, baseline) vs scikit-learn on the
# same tables (see bench/compare_classification.py); makes the Python venv in .peer/.
set -euo pipefail
source "$(dirname "$0")/peer_env.sh"
.peer/bin/python bench/compare_classification.py "$@"
