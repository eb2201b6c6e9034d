#!/usr/bin/env bash
# webfold build entry point.
#   ./build.sh [build]       browser build: wasm32 (release profile, LTO) -> wasm-bindgen -> pkg/,
#                            wasm-opt, 3Dmol.js, the weights and the template library -> dist/
#                            (the served directory)
#   ./build.sh serve [PORT]  build when sources changed, then serve dist/ on http://127.0.0.1:PORT
#                            (default 8080)
#   ./build.sh test          every test: cargo tests (parity included), the Python training
#                            tests, then the browser tests (test-browser); installs what they
#                            need when it is missing (test_tools, web_tools)
#   ./build.sh test-browser [ARGS]  only the browser tests (quick wasm profile -> dist-test/);
#                            ARGS go to tests/browser/run.mjs (e.g. --only cpu)
#   ./build.sh bench-browser [ARGS]  the browser benchmark on the shipped build (dist/); ARGS go
#                            to tests/browser/bench.mjs (e.g. --lengths 50,100,300 --only cpu)
# Tools it needs and installs when missing: the wasm32-unknown-unknown Rust target,
# wasm-bindgen-cli (the exact version in Cargo.lock), and `npm ci` (binaryen's wasm-opt,
# 3Dmol.js, playwright-core). The browser tests need Chromium (/usr/bin/chromium, or set CHROMIUM).
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/webfold-target}"
# wasm builds get their own target dir so that they never invalidate the native one.
WASM_TARGET_DIR="${WEBFOLD_WASM_TARGET_DIR:-$HOME/.cache/webfold-wasm-target}"
WEIGHTS="${WEBFOLD_WEIGHTS:-weights/webfold.safetensors}"
LIBRARY=templates/library.wftl
PYTHON="${PYTHON:-python3}"

wasm_bindgen_version() {
  awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# Installs the browser build's tools when they are missing.
web_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
  local want have
  want="$(wasm_bindgen_version)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    echo "build.sh: installing wasm-bindgen-cli $want (found '${have:-none}')" >&2
    cargo install wasm-bindgen-cli --version "$want"
  fi
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -f node_modules/3dmol/build/3Dmol-min.js ] \
     || [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}

# apt-get install PACKAGE... (sudo when not root; the package lists are refreshed once).
APT_UPDATED=
apt_install() {
  echo "build.sh: installing $* (apt-get)" >&2
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if [ -z "$APT_UPDATED" ]; then "${sudo[@]}" apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@"
}

PY_PACKAGES=(torch numpy safetensors pytest gemmi modelcif)
# Sets $PYTHON (exported: the Rust tests call it) to a Python with the test packages, installing
# them when missing: into $PYTHON itself when pip may write there, otherwise (Debian's own
# python3 is "externally managed", PEP 668, or has no pip) into a virtual environment under
# ~/.cache/webfold-venv, whose bin/ then leads PATH.
python_env() {
  local venv="$HOME/.cache/webfold-venv" check="import torch, numpy, safetensors, pytest, gemmi, modelcif"
  command -v "$PYTHON" >/dev/null || apt_install python3 python3-venv
  if [ -x "$venv/bin/python3" ] && ! "$PYTHON" -c "$check" 2>/dev/null; then
    PYTHON="$venv/bin/python3"
  fi
  if ! "$PYTHON" -c "$check" 2>/dev/null; then
    local managed
    managed="$("$PYTHON" -c 'import os, sysconfig; print(os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))')"
    if [ "$managed" = True ] || ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
      if [ ! -x "$venv/bin/python3" ]; then
        echo "build.sh: $PYTHON cannot take pip packages; making a virtual environment in $venv" >&2
        "$PYTHON" -m venv "$venv" 2>/dev/null || { rm -rf "$venv"; apt_install python3-venv; "$PYTHON" -m venv "$venv"; }
      fi
      PYTHON="$venv/bin/python3"
    fi
    echo "build.sh: installing ${PY_PACKAGES[*]} (pip, for $PYTHON)" >&2
    "$PYTHON" -m pip install -q "${PY_PACKAGES[@]}"
  fi
  case "$PYTHON" in "$venv"/*) export PATH="$venv/bin:$PATH" ;; esac
  export PYTHON
}

# Installs what the tests need when it is missing, by package name: Debian's tm-align
# (TMscore), chromium and nodejs/npm through apt-get, the Python packages (python_env). The
# wasm tools come from web_tools.
test_tools() {
  local need_apt=()
  command -v TMscore >/dev/null || need_apt+=(tm-align)
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need_apt+=(chromium)
  command -v node >/dev/null || need_apt+=(nodejs npm)
  if [ ${#need_apt[@]} -gt 0 ]; then apt_install "${need_apt[@]}"; fi
  local node_major
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$node_major" -lt 20 ]; then
    echo "build.sh: the browser tests' driver (playwright-core) needs Node.js 20 or newer; this machine has $(node --version) (Debian 12's own package is 18: take Node.js 20 from Debian 13 or nodesource)" >&2
    exit 1
  fi
  python_env
}

# build_web PROFILE OUT_DIR: the wasm library built with PROFILE, assembled into OUT_DIR.
build_web() {
  local profile="$1" out="$2" stage
  web_tools
  cargo build --lib --target wasm32-unknown-unknown --profile "$profile" --target-dir "$WASM_TARGET_DIR"
  local wasm="$WASM_TARGET_DIR/wasm32-unknown-unknown/$profile/webfold.wasm"
  if [ "$profile" = release ]; then stage=pkg; else stage="$WASM_TARGET_DIR/pkg-$profile"; fi
  rm -rf "$stage"
  wasm-bindgen --target web --no-typescript --out-dir "$stage" "$wasm"
  # wasm-opt (npm binaryen, itself WebAssembly) takes minutes on this module: shipped builds only.
  if [ "$profile" = release ] || [ -n "${WEBFOLD_WASM_OPT:-}" ]; then
    # The features rustc's wasm32 target enables by default (Rust >= 1.82).
    node_modules/.bin/wasm-opt "${WEBFOLD_WASM_OPT:--O3}" --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$stage/webfold_bg.wasm" -o "$stage/webfold_bg.wasm"
  fi

  local tmp="$out.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp/pkg" "$tmp/vendor" "$tmp/weights" "$tmp/templates"
  cp www/index.html www/main.js www/pool.js www/worker.js www/style.css "$tmp/"
  cp "$stage/webfold.js" "$stage/webfold_bg.wasm" "$tmp/pkg/"
  cp node_modules/3dmol/build/3Dmol-min.js "$tmp/vendor/"
  cp node_modules/3dmol/LICENSE "$tmp/vendor/3Dmol-LICENSE.txt" 2>/dev/null || true
  install -m 0644 "$WEIGHTS" "$tmp/weights/webfold.safetensors"
  install -m 0644 "$LIBRARY" "$tmp/templates/library.wftl"
  local id
  id="$(cd "$tmp" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  sed "s/__BUILD_ID__/$id/" www/sw.js > "$tmp/sw.js"
  echo "$profile $id" > "$tmp/BUILD"
  rm -rf "$out"
  mv "$tmp" "$out"
  echo "build.sh: $out/ ready ($profile build $id, wasm $(du -h "$out/pkg/webfold_bg.wasm" | cut -f1))" >&2
}

# True when dist/ is missing or older than any of its sources.
web_stale() {
  local out="$1"
  [ -f "$out/BUILD" ] || return 0
  [ -n "$(find src www templates Cargo.toml Cargo.lock package-lock.json "$WEIGHTS" -newer "$out/BUILD" -print -quit)" ]
}

case "${1:-build}" in
  build)
    build_web release dist
    ;;
  serve)
    port="${2:-8080}"
    if web_stale dist; then build_web release dist; fi
    exec "$PYTHON" scripts/serve.py dist "$port"
    ;;
  test)
    test_tools
    cargo test --all-targets
    (cd train && "$PYTHON" -m pytest -q tests)
    "$0" test-browser
    ;;
  test-browser)
    shift
    # A quick-to-compile wasm profile; results are compared against the native CLI.
    build_web wasm-dev dist-test
    cli="$CARGO_TARGET_DIR/debug/webfold"
    cargo build --bin webfold
    node tests/browser/run.mjs --dist dist-test --cli "$cli" "$@"
    ;;
  bench-browser)
    shift
    # The shipped build (release, LTO, wasm-opt), as a user gets it.
    if web_stale dist; then build_web release dist; fi
    node tests/browser/bench.mjs --dist dist "$@"
    ;;
  *)
    echo "usage: ./build.sh [build | serve [PORT] | test | test-browser [ARGS] | bench-browser [ARGS]]" >&2
    exit 2
    ;;
esac
