#!/usr/bin/env bash
# Runs on the GPU machine (no network, no Go): unpacks .device/bundle.tar.xz made by
# scripts/gpu-bundle.sh, installs the kernel, prints `labnotes doctor` and runs the given
# notebooks with `labnotes run` into $OUT (or reports/gpu/). Fashion-MNIST (notebook 04) is
# read from .device/data/fashion-mnist when present: carry it in a call of its own (with the
# bundle it exceeds the device tool's 64 MiB carry limit), e.g.
#   mkdir -p .device/data && cp -r /usr/share/datasets/fashion-mnist .device/data/
#
#   [NB_TIMEOUT=9m] scripts/gpu-run.sh [-p name=value ...] NOTEBOOK...
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=${OUT:-reports/gpu}
mkdir -p "$OUT" /tmp/labnotes-gpu
# A warm machine keeps /tmp between calls: unpack once (later calls need not carry the bundle).
if [ ! -x /tmp/labnotes-gpu/bundle/go/bin/go ]; then
  [ -f .device/bundle.tar.xz ] || { echo "gpu-run: carry .device/bundle.tar.xz (scripts/gpu-bundle.sh makes it)" >&2; exit 1; }
  tar -C /tmp/labnotes-gpu -xJf .device/bundle.tar.xz
fi
B=/tmp/labnotes-gpu/bundle
export PATH="$B/go/bin:$PATH" GOTOOLCHAIN=local GOEXPERIMENT=simd GOMODCACHE="$B/mod" GOPROXY=off \
  GOSUMDB=off GOCACHE=/tmp/labnotes-gpu/cache GOFLAGS=-buildvcs=false
mkdir -p bin && cp "$B"/bin/* bin/
# GoNB only uses gopls for completion; a headless run needs none.
[ -x bin/gopls ] || printf '#!/bin/sh\necho "gopls: not carried to this machine" >&2\nexit 1\n' > bin/gopls
chmod +x bin/gopls
bin/labnotes install
[ -d .device/data/fashion-mnist ] && export LABNOTES_FASHION_MNIST="$ROOT/.device/data/fashion-mnist"
# The puzzle data (Sudoku-Extreme, tdoku, mazes, ARC; notebooks 06-09 at gpu scale): a copy of
# folders of the data root (lib/datasets' layout, e.g. after `bin/labnotes data fetch tdoku`), e.g.
#   mkdir -p .device/data/shared && cp -r "$LABNOTES_DATA/sudoku" .device/data/shared/
# Compressed data folders (.device/data/NAME.tar.xz holding NAME/) fit the carry limit next to the bundle.
for f in .device/data/*.tar.xz; do
  [ -f "$f" ] || continue
  n=$(basename "$f" .tar.xz)
  [ -d ".device/data/shared/$n" ] || { mkdir -p .device/data/shared && tar -C .device/data/shared -xJf "$f"; }
done
[ -d .device/data/shared ] && export LABNOTES_DATA="$ROOT/.device/data/shared"
bin/labnotes doctor | tee "$OUT/doctor.txt" || true
params=()
while [ $# -gt 0 ]; do
  case "$1" in
    -p) params+=(-p "$2"); shift 2 ;;
    *) nb=$1; shift
       bin/labnotes run "$nb" "${params[@]}" --timeout "${NB_TIMEOUT:-9m}" -o "$OUT/$(basename "$nb")" ;;
  esac
done
