#!/usr/bin/env bash
# webfold build entry point.
#   ./build.sh test    run every test: cargo tests (parity included) and the Python training tests
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/webfold-target}"
PYTHON="${PYTHON:-python3}"

case "${1:-}" in
  test)
    cargo test --all-targets
    (cd train && "$PYTHON" -m pytest -q tests)
    ;;
  *)
    echo "usage: ./build.sh test" >&2
    exit 2
    ;;
esac
