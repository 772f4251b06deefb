#!/usr/bin/env bash
# The library's tests that need XLA (distributed execution, several devices), built here and run on
# the GPU machine (no Go there). Here:
#   scripts/gpu-tests.sh build        # test binaries into .device/tests/ (carry .device/tests)
# There (any number of GPUs; with one, the one-device mesh is checked against the plain path):
#   scripts/gpu-tests.sh run          # runs them on XLA CUDA, writes $OUT/gpu-tests.txt
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PKGS=(lib/parallel lib/recursive lib/performer/transformer lib/cil/deep)
# The tests that matter on XLA: the mesh path against the plain one, the device options.
RUN='Mesh|Devices|Layouts|ResumeDevices|OneDevice'
case "${1:-}" in
build)
  export GOTOOLCHAIN=go1.27.4 GOEXPERIMENT=simd
  mkdir -p .device/tests
  for p in "${PKGS[@]}"; do
    go test -c -o ".device/tests/$(basename "$p").test" "./$p"
  done
  ls -la .device/tests
  ;;
run)
  SP=$(python3 -c 'import site;print(site.getsitepackages()[0])')
  export XLA_FLAGS="--xla_gpu_cuda_data_dir=$SP/nvidia" GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0
  export LABNOTES_TEST_BACKEND="xla:$SP/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
  OUT=${OUT:-reports/gpu}
  mkdir -p "$OUT"
  status=0
  for p in "${PKGS[@]}"; do
    b=".device/tests/$(basename "$p").test"
    echo "== $p" | tee -a "$OUT/gpu-tests.txt"
    # Each binary runs in its package folder (testdata/ paths are relative).
    (cd "$p" && "$ROOT/$b" -test.v -test.run "$RUN") 2>&1 | tee -a "$OUT/gpu-tests.txt" || status=1
  done
  exit $status
  ;;
*)
  echo "usage: scripts/gpu-tests.sh build|run" >&2
  exit 2
  ;;
esac
