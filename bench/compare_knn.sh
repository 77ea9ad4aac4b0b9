#!/usr/bin/env bash
# knn vs scikit-learn's GridSearchCV(KNeighborsClassifier) on the same folds (see bench/compare_knn.py);
# makes the Python venv in .peer/.
set -euo pipefail
source "$(dirname "$0")/peer_env.sh"
.peer/bin/python bench/compare_knn.py "$@"
