#!/usr/bin/env bash
# svm classification vs scikit-learn's SVC: the reference grid and the real tables (see bench/compare_svm.py);
# makes the Python venv in .peer/.
set -euo pipefail
source "$(dirname "$0")/peer_env.sh"
.peer/bin/python bench/compare_svm.py "$@"
