#!/usr/bin/env bash
# sweep vs scikit-learn on configs/real and time against rows (see bench/compare_real.py);
# makes the Python venv in .peer/.
set -euo pipefail
source "$(dirname "$0")/peer_env.sh"
.peer/bin/python bench/compare_real.py "$@"
