#!/usr/bin/env bash
# Create bench/.work/venv-nobuco-tf215: nobuco 0.17.0 next to Keras 2 (tensorflow-cpu 2.15.1) and
# the project's torch 2.13.0, so bench/translate_bench.py can compare nobuco with mlsense.
#
#     bash bench/setup_nobuco.sh            # ~1 GB download on first run (TF 2.15 + its deps)
#
# Why a separate venv: nobuco imports Keras 2 internals (keras.src.engine), and TF >= 2.16 ships
# Keras 3, so it cannot share the main .venv (tensorflow-cpu 2.21 / keras 3.15).
# Never touches /work/main/.venv. Log: bench/.work/nobuco-tf215-install.log.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$ROOT/bench/.work"
VENV="$WORK/venv-nobuco-tf215"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
mkdir -p "$WORK"
# The project's constraints pin TF 2.21 / Keras 3, which nobuco cannot use; this file keeps the
# one pin that matters for download size (any other torch spec pulls GBs of CUDA wheels) and
# pins the Keras 2 stack instead.
cat > "$WORK/nobuco-constraints.txt" <<'CONS'
torch==2.13.0
torchvision==0.28.0
tensorflow-cpu==2.15.1
keras<2.16
numpy<2
CONS
LOG="$WORK/nobuco-tf215-install.log"
: > "$LOG"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -c "$WORK/nobuco-constraints.txt")
"${PIP[@]}" "torch==2.13.0" "tensorflow-cpu==2.15.1" "numpy<2" 2>&1 | tee -a "$LOG"
# nobuco's own requirements (METADATA: sty>=1.0.0, tqdm>=4.66.0, rich, numpy) are installed
# explicitly, nobuco itself with --no-deps so pip cannot re-resolve the torch/TF stack.
# nobuco/trace/trace.py also imports torchvision, which its METADATA does not declare:
# torchvision 0.28.0 is the release built for torch 2.13.0 (it requires torch==2.13.0).
"${PIP[@]}" "sty>=1.0.0" "tqdm>=4.66.0" rich "pillow>=5.3.0,!=8.3.*" 2>&1 | tee -a "$LOG"
"${PIP[@]}" --no-deps "torchvision==0.28.0" 2>&1 | tee -a "$LOG"
"${PIP[@]}" --no-deps "nobuco==0.17.0" 2>&1 | tee -a "$LOG"
# The import check goes through bench/nobuco_compare.py, which also works around torchvision's
# CUDA-only ops library (see _torchvision_without_ops there).
"$VENV/bin/python" -c "import sys; sys.path.insert(0, '$ROOT/bench'); import nobuco_compare as n; \
print('ok:', n.import_stack()[1])" 2>&1 | tee -a "$LOG"
