#!/usr/bin/env bash
# Predicts and scores the evaluation sets with the release CLI and the committed weights.
#   scripts/evaluate.sh [OUT_DIR]        (default runs/eval)
# Needs: cargo build --release; data/val.wfd (webfold data); Debian tm-align (TMscore).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/eval}"
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/webfold-target}/release/webfold"
CASP=../shared/eval/casp13
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
"$BIN" predict "$CASP/casp13.fasta" --out "$OUT/casp13"
(cd train && python3 -m webfold_train.evalset --data ../data/val.wfd --out "$OUT/val_native" --n 50)
"$BIN" predict "$OUT/val_native/eval.fasta" --out "$OUT/val"
"$BIN" eval --pred "$OUT/casp13" --native "$CASP" --ids "$CASP/clean.txt" --ids "$CASP/has_homolog.txt" | tee "$OUT/casp13.md"
"$BIN" eval --pred "$OUT/val" --native "$OUT/val_native" --ids "$OUT/val_native/ids.txt" | tee "$OUT/val.md"
