#!/usr/bin/env bash
# svm regression vs scikit-learn's GridSearchCV(SVR) on the same folds (see bench/compare_svr.py);
# makes the Python venv in .peer/.
set -euo pipefail
source "$(dirname "$0")/peer_env.sh"
.peer/bin/python bench/compare_svr.py "$@"
