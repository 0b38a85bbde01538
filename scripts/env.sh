# Sourced by build-book.sh and test.sh: create (once) and activate the book's Python environment.
#
# The virtual environment lives OUTSIDE the clone, keyed on requirements.txt and the Python version,
# so a fresh clone (CI) reuses it: $CMT_ENV_HOME/<key>  (default ~/.cache/cmt-book/venvs/<key>).
# A venv counts as ready only once the marker file .complete exists, so an interrupted install is
# removed and redone on the next run instead of being used half-built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${CMT_PYTHON:-python3}"
KEY="$( (cat "$ROOT/requirements.txt"; "$PY" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)"
ENV_HOME="${CMT_ENV_HOME:-$HOME/.cache/cmt-book/venvs}"
VENV="$ENV_HOME/$KEY"
mkdir -p "$ENV_HOME"
# One builder at a time: a second shell sourcing this while the first installs waits for it
# (without the lock it would see no .complete and delete the venv being built).
exec 9>"$VENV.lock"
flock 9
if [ ! -f "$VENV/.complete" ]; then
  echo "[env] creating $VENV (first run with these requirements; several GB, a few minutes)"
  rm -rf "$VENV"
  mkdir -p "$ENV_HOME"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip wheel
  # torch first (PyPI's x86_64 wheel is the CUDA build); then torchaudio against the same torch.
  "$VENV/bin/python" -m pip install -q "$(grep -E '^torch==' "$ROOT/requirements.txt")" \
      "$(grep -E '^torchvision==' "$ROOT/requirements.txt")"
  "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.txt"
  touch "$VENV/.complete"
else
  echo "[env] reusing $VENV"
fi
flock -u 9
exec 9>&-
if [ -n "${CMT_DATA:-}" ]; then
  # Resolve against the caller's directory: kernels run in notebooks/, tests anywhere.
  [ -d "$CMT_DATA" ] || { echo "CMT_DATA=$CMT_DATA is not a directory (expected a folder laid out like ../shared/data)" >&2; exit 2; }
  CMT_DATA="$(cd "$CMT_DATA" && pwd)"; export CMT_DATA
fi
export PATH="$VENV/bin:$PATH"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND="${MPLBACKEND:-Agg}"
cd "$ROOT"
