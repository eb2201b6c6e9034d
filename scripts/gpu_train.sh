#!/usr/bin/env bash
# One GPU session in one command: continue the committed checkpoint (train/checkpoints/) for about
# 7 minutes on CUDA, export weights + parity fixtures, optionally benchmark a prebuilt wgpu webfold,
# and leave everything in OUT, finishing within 8.75 minutes (the device tool allows 10).
#
#   scripts/gpu_train.sh OUT [options of python -m webfold_train.gpu_run, e.g. --minutes 5]
#
# On the lent GPU machine (docs/NETWORK.md, "A GPU session"): command `WEBFOLD_DATA=$PWD/data/train_c3.wfd
# WEBFOLD_VAL=$PWD/data/val.wfd scripts/gpu_train.sh "$OUT" --lr 5e-4 --batch 32`, timeout_s 600,
# carry ["data/train_c3.wfd", "data/val.wfd"] (absolute paths: the script runs in train/).
# Environment: WEBFOLD_DATA (default data/train.wfd), WEBFOLD_VAL (default val.wfd beside it),
# WEBFOLD_BIN (default runs/gpu-bin/webfold.wfbin), VULKAN_LIB_DIR (default runs/gpu-bin), PYTHON
# (default python3). Output: OUT/checkpoint.pt, optimizer.pt, loss.tsv, webfold.safetensors,
# parity.safetensors, gpu_train.json, train.log and, when benchmarked, bench.md (8 files; the
# device tool returns 8 of at most 16 MiB). For the bench, an NVIDIA Vulkan ICD manifest is
# written when the driver's libGLX_nvidia.so.0 exists but no manifest does.
#
# Carry budget (64 MiB = 67.1 MB): the tracked tree 27.6 MB (template library 15.0 MB, weights
# 7.1 MB; the committed checkpoint is lean, lean_checkpoint.py) + data/train_c3.wfd 33.1 MB
# (thin_data.py, at most 3 chains per cluster) + data/val.wfd 1.9 MB = 62.5 MB. The full
# data/train.wfd (37.1 MB) or a packed wgpu binary (8.5 MB) in runs/gpu-bin no longer fit
# beside them all: check the total before carrying more (docs/NETWORK.md, "A GPU session").
set -euo pipefail
if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
fi
export WEBFOLD_GPU_T0="${WEBFOLD_GPU_T0:-$(date +%s.%N)}"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
shift
cd "$root/train"
set +e
PYTHONDONTWRITEBYTECODE=1 "${PYTHON:-python3}" -u -m webfold_train.gpu_run --out "$out" "$@" 2>&1 | tee "$out/train.log"
rc=${PIPESTATUS[0]}
set -e
exit "$rc"
