# Sourced by the bench scripts: the Python venv in .peer/ with scikit-learn, LightGBM and friends (made once),
# and a release build of sweep.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .peer/bin/python ] || ! .peer/bin/python -c "import sklearn, pandas, yaml, psutil, matplotlib, lightgbm" 2>/dev/null; then
  python3 -m venv .peer
  .peer/bin/pip install --quiet scikit-learn pandas pyyaml psutil matplotlib lightgbm
fi
cargo build --release --quiet
