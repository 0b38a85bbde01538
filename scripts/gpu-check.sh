#!/usr/bin/env bash
# GPU check, for any CUDA machine: every chapter in FULL mode with the torch the machine has.
#
# Usage: bash scripts/gpu-check.sh OUT_DIR [WHEEL_DIR] [DATA_DIR]
#   OUT_DIR    where the executed notebooks, times.txt (the runner's time table) and
#              colab-stack.json (versions; per chapter seconds, peak memory, skip or error) go
#   WHEEL_DIR  a folder of wheels for what papermill needs (requirements-gpu-check.txt), for a
#              machine without network: `pip download -r requirements-gpu-check.txt -d WHEELS`
#              elsewhere; without it, pip installs from the index
#   DATA_DIR   a folder laid out like ../shared/data (CMT_DATA); without it, full mode downloads
#              the canonical datasets into the cache. A chapter whose dataset is in neither is
#              listed as skipped, never run on other data.
#
# It makes a virtual environment that sees the machine's own torch (--system-site-packages, as
# Colab's runtime does), installs the papermill stack and then the helpers with --no-deps (as
# the chapters' Colab cell does), and runs scripts/colab_check.py --mode full. The GPU workflow
# (.github/workflows/gpu.yml) runs it inside Colab's runtime container.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:?usage: bash scripts/gpu-check.sh OUT_DIR [WHEEL_DIR] [DATA_DIR]}"
WHEELS="${2:-}"
DATA="${3:-}"
PY="${CMT_GPU_PYTHON:-python3}"
"$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)' || {
  echo "[gpu-check] no CUDA device visible to $PY's torch: this check needs a GPU" >&2
  exit 3
}
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
VENV="$OUT/.venv"
"$PY" -m venv --system-site-packages "$VENV"
if [ -n "$WHEELS" ]; then
  "$VENV/bin/python" -m pip install -q --no-index --find-links "$WHEELS" \
      -r "$ROOT/requirements-gpu-check.txt"
else
  "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements-gpu-check.txt"
fi
if [ -n "$DATA" ]; then
  [ -d "$DATA" ] || { echo "[gpu-check] DATA_DIR $DATA is not a directory" >&2; exit 2; }
  export CMT_DATA="$(cd "$DATA" && pwd)"
fi
export CMT_MODE=full
"$VENV/bin/python" -c 'import torch; print(f"[gpu-check] torch {torch.__version__}, CUDA",
                       torch.version.cuda, "on", torch.cuda.get_device_name(0))'
cd "$OUT"
"$VENV/bin/python" "$ROOT/scripts/colab_check.py" --mode full --skip-missing-data \
    --out "$OUT/executed"
cat "$OUT/executed/times.txt"
