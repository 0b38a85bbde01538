# Sourced by tests/test_colab_stack.py (through `bash -c`): create (once) the Colab-stack
# environment of requirements-colab.txt and print its python's path on the last line.
#
# Like scripts/env.sh it lives outside the clone, keyed on requirements-colab.txt and the
# interpreter's version, and counts as ready only once .complete exists.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
is313() { "$1" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; }
PY="${CMT_COLAB_PYTHON:-python3.13}"
if [ -z "${CMT_COLAB_PYTHON:-}" ] && ! is313 "$PY"; then
  for cand in "$HOME"/.pyenv/versions/3.13*/bin/python3 /usr/bin/python3.13 /usr/local/bin/python3.13; do
    is313 "$cand" && PY="$cand" && break
  done
fi
is313 "$PY" || {
  echo "[colab-env] needs Python 3.13 (Colab's); set CMT_COLAB_PYTHON to its interpreter" >&2
  exit 3
}
KEY="$( (cat "$ROOT/requirements-colab.txt"; "$PY" -c 'import sys; print(sys.version)') \
        | sha256sum | cut -c1-16)"
VENV="${CMT_ENV_HOME:-$HOME/.cache/cmt-book/venvs}/colab-$KEY"
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"   # one builder at a time (see env.sh)
flock 9
if [ ! -f "$VENV/.complete" ]; then
  echo "[colab-env] creating $VENV (first run with this Colab listing; several GB)" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip wheel setuptools >&2
  "$VENV/bin/python" -m pip install -q $(grep -E '^torch(vision|audio)?==' "$ROOT/requirements-colab.txt") >&2
  "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements-colab.txt" >&2
  touch "$VENV/.complete"
fi
flock -u 9
exec 9>&-
echo "$VENV/bin/python"
