#!/usr/bin/env bash
# Predicts and scores the evaluation sets with the release CLI, the committed weights and the
# committed template library.
#   scripts/evaluate.sh [OUT_DIR]        (default runs/eval)
# Needs: cargo build --release; data/val.wfd (webfold data); Debian tm-align (TMscore); mmseqs2
# for the search recall; MolProbity's Ramachandran data for the backbone check
# (python3 -m pip install --no-deps pyrama; installed here when missing).
# Writes OUT/casp13.md (templates on), OUT/casp13_network.md (--templates off), OUT/val.md
# (network, validation chains), OUT/backbone.md (Ramachandran check of the CASP13 models),
# OUT/promod3.md (ProMod3 on webfold's first template and alignment, scored beside webfold's
# models; skipped without Debian's python3-promod3), OUT/loo/summary.md (leave-own-entry-out template benchmark,
# 300 library chains, seed 0) and OUT/recall.md (search recall against mmseqs2).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/eval}"
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/webfold-target}/release/webfold"
CASP=../shared/eval/casp13
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
"$BIN" predict "$CASP/casp13.fasta" --out "$OUT/casp13" 2> "$OUT/casp13.log"
"$BIN" predict "$CASP/casp13.fasta" --out "$OUT/casp13_network" --templates off 2> "$OUT/casp13_network.log"
"$BIN" eval --pred "$OUT/casp13" --native "$CASP" --ids "$CASP/has_homolog.txt" --ids "$CASP/clean.txt" | tee "$OUT/casp13.md"
"$BIN" eval --pred "$OUT/casp13_network" --native "$CASP" --ids "$CASP/has_homolog.txt" --ids "$CASP/clean.txt" | tee "$OUT/casp13_network.md"
python3 -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('pyrama') is None)" || python3 -m pip install -q --no-deps pyrama
python3 scripts/backbone_quality.py --pred "$OUT/casp13" --native "$CASP" --ids "$CASP/has_homolog.txt" --ids "$CASP/clean.txt" | tee "$OUT/backbone.md"
if /usr/bin/python3 -c "import promod3" 2> /dev/null; then
  /usr/bin/python3 scripts/promod3_models.py --pred "$OUT/casp13" --fasta "$CASP/casp13.fasta" --out "$OUT/promod3"
  python3 scripts/compare_models.py --a "$OUT/casp13" --b "$OUT/promod3" --native "$CASP" --ids "$CASP/has_homolog.txt" --ids "$CASP/clean.txt" | tee "$OUT/promod3.md"
else
  echo "python3-promod3 missing (apt-get install python3-promod3): the ProMod3 comparison skipped" >&2
fi
"$BIN" templates-benchmark --n 300 --seed 0 --out "$OUT/loo" 2> "$OUT/loo.log" | tee "$OUT/loo.md"
scripts/search_recall.sh 100 "$OUT/recall" | tee "$OUT/recall.md"
if [ -f data/val.wfd ]; then
  (cd train && python3 -m webfold_train.evalset --data ../data/val.wfd --out "$OUT/val_native" --n 50)
  "$BIN" predict "$OUT/val_native/eval.fasta" --out "$OUT/val" --templates off
  "$BIN" eval --pred "$OUT/val" --native "$OUT/val_native" --ids "$OUT/val_native/ids.txt" | tee "$OUT/val.md"
else
  echo "data/val.wfd missing (webfold data): validation set skipped" >&2
fi
