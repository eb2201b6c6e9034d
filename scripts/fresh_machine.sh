#!/usr/bin/env bash
# Times the README's set-up commands on a machine as fresh as this one allows: a debootstrap'd
# Debian 12 (minbase plus git, gcc, python3: Debian's own, "externally managed", without pip)
# given only what a new machine of this kind already has (DEVELOPERS.md and the machine notes):
# rustup's stable toolchain without the wasm32 target, Node.js 20 with npm, and the machine's CA
# bundle and package-client settings. Each COMMAND runs in its own fresh copy, on a fresh clone of
# COMMIT, with a clean environment; the CASP13 set is mounted read-only at /work/shared.
#
# usage (root): scripts/fresh_machine.sh WORKDIR COMMIT COMMAND...   COMMAND: test | serve
#   e.g. scripts/fresh_machine.sh /work/fresh HEAD test serve
# Writes WORKDIR/<COMMAND>.log; its last lines give the exit status, the wall time and (test) the
# CPU time.
# `serve` is stopped once the page answers. Needs debootstrap (apt-get install debootstrap).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "fresh_machine.sh: run as root (debootstrap, chroot, mount)" >&2; exit 2; }
[ $# -ge 3 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
WORK="$(realpath -m "$1")"; REPO="$(cd "$(dirname "$0")/.." && pwd)"
COMMIT="$(git -C "$REPO" rev-parse "$2")"; shift 2
SHARED="${WEBFOLD_SHARED:-$REPO/../shared}"
BASE="$WORK/base"
mkdir -p "$WORK"

# The chroot's mounts; every removal below first checks that none is left (a bind-mounted /dev
# under a folder being deleted would delete the host's device nodes).
mounts_under() { awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r; }
unmount_all() {
  local m
  for m in $(mounts_under "$1"); do umount -l "$m" || true; done
}
safe_remove() {
  local root="$1"
  unmount_all "$root"
  if [ -n "$(mounts_under "$root")" ]; then echo "fresh_machine.sh: $root still has mounts; not removing it" >&2; exit 1; fi
  rm -rf --one-file-system "$root"
}

if [ ! -f "$BASE/.ready" ]; then
  safe_remove "$BASE"
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
  debootstrap --variant=minbase --include=ca-certificates,git,gcc,libc6-dev,python3,xz-utils,procps,curl \
    bookworm "$BASE" http://deb.debian.org/debian > "$WORK/debootstrap.log"
  # The machine's package sources and client settings (the Debian mirror, npm's and pip's CA).
  rm -f "$BASE/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$BASE/etc/apt/sources.list.d/"
  cp /etc/apt/apt.conf.d/99artifact-registry "$BASE/etc/apt/apt.conf.d/" 2>/dev/null || true
  cp /etc/ssl/certs/ca-certificates.crt "$BASE/etc/ssl/certs/ca-certificates.crt"
  cp /etc/resolv.conf "$BASE/etc/"
  mkdir -p "$BASE/usr/etc"
  for f in /etc/npmrc /usr/etc/npmrc /etc/pip.conf /root/.npmrc; do [ -f "$f" ] && cp "$f" "$BASE$f"; done
  # rustup's stable toolchain (the wasm32 target is removed below: build.sh must add it).
  mkdir -p "$BASE/root/.rustup/toolchains" "$BASE/root/.cargo/bin"
  cp -a /root/.rustup/settings.toml "$BASE/root/.rustup/"
  stable="$(readlink -f /root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu)"
  cp -a "$stable" "$BASE/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu"
  for f in cargo cargo-clippy cargo-fmt clippy-driver rustc rustdoc rustfmt rustup; do cp -a "/root/.cargo/bin/$f" "$BASE/root/.cargo/bin/"; done
  # Node.js 20 (the nodesource package's files) and the npm it was upgraded to.
  dpkg -L nodejs | while read -r f; do
    if [ -f "$f" ] || [ -L "$f" ]; then mkdir -p "$BASE$(dirname "$f")"; cp -a "$f" "$BASE$f"; fi
  done
  rm -rf "$BASE/usr/lib/node_modules/npm"
  cp -a /usr/lib/node_modules/npm "$BASE/usr/lib/node_modules/"
  touch "$BASE/.ready"
fi

ENV=(env -i HOME=/root TERM=dumb LANG=C.UTF-8
  PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  PIP_DEFAULT_TIMEOUT=180 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt
  NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
  SSL_CERT_DIR=/etc/ssl/certs CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
  GIT_SSL_CAINFO=/etc/ssl/certs/ca-certificates.crt REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt)

for cmd in "$@"; do
  root="$WORK/$cmd"
  safe_remove "$root"
  cp -a "$BASE" "$root"
  trap 'unmount_all "$root"' EXIT
  for d in proc sys dev dev/pts dev/shm; do mount --bind "/$d" "$root/$d"; done
  mkdir -p "$root/work/shared"
  mount --bind -o ro "$SHARED" "$root/work/shared"
  git clone -q --no-local "$REPO" "$root/work/main"
  git -C "$root/work/main" checkout -q "$COMMIT"
  log="$WORK/$cmd.log"
  # A new machine has no wasm32 target: build.sh must add it (rustup needs /proc, mounted now).
  chroot "$root" "${ENV[@]}" bash -c 'rustup target remove wasm32-unknown-unknown; rustup target list --installed' > "$log" 2>&1
  echo "=== ./build.sh $cmd on $COMMIT, start $(date -u +%FT%TZ)" >> "$log"
  t0=$(date +%s)
  set +e
  if [ "$cmd" = serve ]; then
    chroot "$root" "${ENV[@]}" bash -c 'cd /work/main && exec ./build.sh serve 8765' >> "$log" 2>&1 &
    pid=$!
    until curl -sf http://127.0.0.1:8765/BUILD >/dev/null 2>&1; do
      sleep 5
      kill -0 $pid 2>/dev/null || break
    done
    curl -sf http://127.0.0.1:8765/BUILD >/dev/null 2>&1; rc=$?
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
  else
    TIMEFORMAT="=== time: %R s wall, %U s user, %S s sys"
    { time chroot "$root" "${ENV[@]}" bash -c "cd /work/main && ./build.sh $cmd" >> "$log" 2>&1; } 2>> "$log"
    rc=$?
  fi
  set -e
  t1=$(date +%s)
  echo "=== ./build.sh $cmd rc $rc $((t1 - t0)) s" >> "$log"
  unmount_all "$root"
  trap - EXIT
  tail -1 "$log"
done
