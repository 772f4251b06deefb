#!/usr/bin/env bash
# Where the GPU time of a TRM training step goes: Nsight Compute's duration of every kernel of a
# few steps of cmd/benchrecursive (the paper-size TRM-MLP, batch 768, bf16 by default), summed by
# category and kernel by cmd/kernels, with XLA's optimized HLO (what it fused) beside it; and the
# same for the reference's way, PyTorch bf16 + torch.compile (torch_trm.py under torch.profiler).
# Built here, run on the GPU machine (no Go there):
#   scripts/gpu-profile.sh build             # .device/bench/{benchrecursive,kernels} (carry .device/bench)
#   scripts/gpu-profile.sh run [FLAGS...]    # there; FLAGS go to benchrecursive (e.g. -precision f32)
# run writes into $OUT (default reports/gpu): kernels.csv (ncu), profile.json (cmd/kernels),
# hlo.tar.xz (XLA's dump), warm.json, torch-kernels.csv and torch-profile.json, and profile.txt
# (both summaries and the profiled run's result). It first compiles once to fill XLA's
# autotuning cache, so that the profiled compilation launches no autotuning kernels; the profile
# covers the first step and the timed ones (STEPS, default 3), all the same training step.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
case "${1:-}" in
build)
  export GOTOOLCHAIN=go1.27.4 GOEXPERIMENT=simd
  mkdir -p .device/bench
  go build -o .device/bench/benchrecursive ./cmd/benchrecursive
  go build -o .device/bench/kernels ./cmd/kernels
  ls -la .device/bench
  ;;
run)
  shift
  SP=$(python3 -c 'import site;print(site.getsitepackages()[0])')
  export XLA_FLAGS="--xla_gpu_cuda_data_dir=$SP/nvidia" GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0
  export GOMLX_BACKEND="xla:$SP/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
  OUT=${OUT:-reports/gpu}
  STEPS=${STEPS:-3}
  NCU=${NCU:-$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)}
  [ -x "$NCU" ] || { echo "gpu-profile: no ncu (Nsight Compute) found; set NCU" >&2; exit 1; }
  mkdir -p "$OUT"
  work=$(mktemp -d /tmp/gpu-profile.XXXXXX)
  export LABNOTES_XLA_CACHE="$work/xla-cache"
  B=.device/bench/benchrecursive
  args=(-precision bf16 -batch 768 -devices 1 "$@")
  # 1. Fill the autotuning cache (one compilation and one step).
  "$B" "${args[@]}" -steps 1 -warmup 0 -xla-cache "$LABNOTES_XLA_CACHE" -o "$OUT/warm.json"
  # 2. The profiled run: the benchmark's child process itself (no second process to follow),
  #    with XLA's HLO dumped.
  XLA_FLAGS="$XLA_FLAGS --xla_dump_to=$work/hlo --xla_dump_hlo_as_text" \
    "$NCU" --clock-control none --metrics gpu__time_duration.sum --csv --log-file "$OUT/kernels.csv" \
    "$B" "${args[@]}" -child -steps "$STEPS" -warmup 0 | tail -1 > "$work/result.txt"
  tar -C "$work" -cJf "$OUT/hlo.tar.xz" hlo
  { echo "== GoMLX (profiled run: $(cut -c1-300 "$work/result.txt"))"
    .device/bench/kernels -steps $((STEPS + 1)) -o "$OUT/profile.json" "$OUT/kernels.csv"; } | tee "$OUT/profile.txt"
  # 3. PyTorch bf16 + torch.compile, the same model and batch (torch_trm.py's defaults are the paper's
  #    sizes), STEPS steps under torch.profiler after its timed ones.
  if python3 cmd/benchrecursive/torch_trm.py --device cuda --batch 768 --variants bf16_compile --steps 3 --warmup 2 \
      --profile-steps "$STEPS" --profile-out "$work/torch-kernels" > "$work/torch.txt" &&
      cp "$work/torch-kernels.bf16_compile.csv" "$OUT/torch-kernels.csv"; then
    { echo; echo "== PyTorch bf16 + torch.compile ($(grep RESULT "$work/torch.txt" | cut -c1-300))"
      .device/bench/kernels -steps "$STEPS" -o "$OUT/torch-profile.json" "$OUT/torch-kernels.csv"; } | tee -a "$OUT/profile.txt"
  else
    echo "gpu-profile: the PyTorch profile failed: $(tail -c 600 "$work/torch.txt")" | tee -a "$OUT/profile.txt"
  fi
  rm -rf "$work"
  ;;
*)
  echo "usage: scripts/gpu-profile.sh build | run [benchrecursive flags...]" >&2
  exit 2
  ;;
esac
