#!/usr/bin/env bash
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One command on a machine with an NVIDIA GPU and a pip PyTorch (no GNU
# Radio needed): build the core and the tool against that PyTorch's LibTorch
# (torch.utils.cmake_prefix_path), run the core tests with every model on
# cuda:0 against the CPU (tests/core/test_gpu.cc must run, not skip), run
# the model benches on the GPU (windows/s at batch 1/32/256, training step
# time) and print one summary table. Budget: 8 minutes on an H100/H200.
#
#   scripts/gpu_check.sh                 the GPU check (cuda:0)
#   scripts/gpu_check.sh --cpu           the same steps on the CPU (checks the script)
#   scripts/gpu_check.sh --compile-only  here, without a GPU: compile the CUDA-only
#                                        code (c10d NCCL) against the CUDA toolkit
#
# Environment: PYTHON (default python3), TFMED_GPU_BUILD (default build-gpu),
# TFMED_DEPS_DIR (headers/sources where the system has no nlohmann_json,
# CLI11 or GoogleTest; default gpu-deps from scripts/gpu_deps_bundle.sh),
# CUDA_HOME (default /usr/local/cuda), TFMED_BENCH_SECONDS (default 2).
# TFMED_FONT is set to the bundle's DejaVuSans.ttf where the system has none
# (the PNG figures need a font; without one --plot is refused).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MODE=gpu
case "${1:-}" in
  "") ;;
  --cpu) MODE=cpu ;;
  --compile-only) MODE=compile ;;
  *) echo "gpu_check: expected no option, --cpu or --compile-only, found '$1'" >&2; exit 2 ;;
esac
PY=${PYTHON:-python3}
BUILD=${TFMED_GPU_BUILD:-$ROOT/build-gpu}
DEPS=${TFMED_DEPS_DIR:-$ROOT/gpu-deps}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
SECS=${TFMED_BENCH_SECONDS:-2}
if [ -z "${TFMED_FONT:-}" ] && [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] &&
   [ -f "$DEPS/fonts/DejaVuSans.ttf" ]; then
  export TFMED_FONT=$DEPS/fonts/DejaVuSans.ttf
fi
JOBS=$(nproc)
T0=$(date +%s)
say() { printf '[gpu_check %4ds] %s\n' $(( $(date +%s) - T0 )) "$*"; }

if [ "$MODE" = compile ]; then
  # The CUDA-only code paths compile against LibTorch's c10d headers and the
  # CUDA toolkit's nccl.h, without a CUDA LibTorch or a GPU.
  [ -f "$CUDA_HOME/include/nccl.h" ] || { echo "SKIP: no $CUDA_HOME/include/nccl.h (the CUDA toolkit with NCCL)"; exit 77; }
  TORCH_INC=""
  for d in /usr/include "$($PY -c 'import torch, os; print(os.path.dirname(torch.utils.cmake_prefix_path) + "/../include")' 2>/dev/null || true)"; do
    if [ -f "$d/torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp" ]; then TORCH_INC=$d; break; fi
  done
  [ -n "$TORCH_INC" ] || { echo "gpu_check: expected LibTorch's c10d headers (torch/csrc/distributed/c10d), found none" >&2; exit 1; }
  GEN=$(mktemp -d); trap 'rm -rf "$GEN"' EXIT
  # A CPU LibTorch lacks the generated CUDA config header; the GPU build has it.
  if [ ! -f "$TORCH_INC/c10/cuda/impl/cuda_cmake_macros.h" ]; then
    mkdir -p "$GEN/c10/cuda/impl"
    printf '#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n' > "$GEN/c10/cuda/impl/cuda_cmake_macros.h"
  fi
  FLAGS=(-std=c++17 -fsyntax-only -Wall -Wextra -Iinclude -isystem "$GEN" -isystem "$CUDA_HOME/include"
         -isystem "$TORCH_INC/torch/csrc/api/include")
  [ "$TORCH_INC" = /usr/include ] || FLAGS+=(-isystem "$TORCH_INC")
  say "c10d NCCL and Gloo paths of lib/core/train/distributed.cc ($TORCH_INC, $CUDA_HOME)"
  g++ "${FLAGS[@]}" -DTFMED_C10D_GLOO -DTFMED_C10D_NCCL lib/core/train/distributed.cc
  say "tests/core/test_gpu.cc"
  g++ "${FLAGS[@]}" -Itests/support -DTFMED_DEMO_MODEL='"models/tsrnet_demo_mitdb.tfm"' tests/core/test_gpu.cc
  say "compile-only check passed"
  exit 0
fi

TORCH_PREFIX=$($PY -c 'import torch; print(torch.utils.cmake_prefix_path)') ||
  { echo "gpu_check: expected a Python with PyTorch ($PY), found none" >&2; exit 1; }
TORCH_VER=$($PY -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)')
DEVICE=cpu
if [ "$MODE" = gpu ]; then
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  $PY -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' ||
    { echo "gpu_check: expected PyTorch to see a CUDA device ($TORCH_VER), found none; use --cpu to check the script" >&2; exit 1; }
  DEVICE=cuda:0
fi
NGPU=$($PY -c 'import torch; print(torch.cuda.device_count())')
say "PyTorch $TORCH_VER, $NGPU GPU(s), LibTorch at $TORCH_PREFIX, $JOBS cores, device $DEVICE"

# Ninja where there is one: it compiles every file, also those of targets
# whose library failed, so that one run shows all the errors.
GEN=(); KEEP=(-k)
if command -v ninja > /dev/null && [ ! -f "$BUILD/Makefile" ]; then GEN=(-G Ninja); KEEP=(-k 0); fi
configure() {
  say "configure ($BUILD${1:+, $1})"
  mkdir -p "$BUILD"
  cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" \
    -DTFMED_ENABLE_GNURADIO=OFF -DTFMED_DEPS_DIR="$DEPS" "$@" > "$BUILD/configure.log" 2>&1 ||
    { tail -30 "$BUILD/configure.log"; exit 1; }
  grep -E "LibTorch|CUDA|c10d" "$BUILD/configure.log" || true
}
TESTS=(test_gpu test_stft test_stft_stream test_model_tsrnet test_model_specar test_model_trls test_train_loop test_train_resume)
build() {
  say "build: tfmed dist_worker ${TESTS[*]}"
  # -k: one failing file does not hide the others' errors.
  cmake --build "$BUILD" -j "$JOBS" --target tfmed dist_worker "${TESTS[@]}" -- "${KEEP[@]}" > "$BUILD/build.log" 2>&1
}
configure -DTFMED_USE_C10D=ON # (a kept build folder may hold OFF from a retry)
C10D=on
if ! build; then
  { grep -E "error" -A3 "$BUILD/build.log" || true; } | head -60 || true
  # Gloo's and NCCL's process groups are the part of LibTorch's C++ API that
  # changes most between versions: without them one process still trains.
  # (make: "[...file.cc.o] Error 1"; ninja: "FAILED: .../file.cc.o")
  FAILED=$( (grep -oE '[A-Za-z0-9_./+-]+\.o\] Error [0-9]+' "$BUILD/build.log";
             grep -oE '^FAILED: [^ ]+\.o' "$BUILD/build.log") | sort -u || true)
  echo "failed: ${FAILED:-nothing compiled failed (configure or link)}"
  if [ -z "$FAILED" ] || echo "$FAILED" | grep -qv "distributed\.cc\.o"; then exit 1; fi
  say "only lib/core/train/distributed.cc failed: again with -DTFMED_USE_C10D=OFF (no Gloo/NCCL process groups)"
  cp "$BUILD/build.log" "$BUILD/build-c10d.log"
  configure -DTFMED_USE_C10D=OFF
  C10D=off
  build || { { grep -E "error" -A3 "$BUILD/build.log" || true; } | head -60 || true; exit 1; }
fi

say "core tests"
export TFMED_DATA_DIR=${TFMED_DATA_DIR:-$ROOT/../shared/data}
[ "$MODE" = cpu ] && export TFMED_TEST_GPU_ON_CPU=1
GPU_LOG="$BUILD/test_gpu.log"
"$BUILD/tests/test_gpu" | tee "$GPU_LOG" | grep -E "^\[gpu\]|OK|FAILED|SKIPPED" || true
if grep -q "SKIPPED" "$GPU_LOG" || ! grep -q "PASSED.*6 tests" "$GPU_LOG"; then
  echo "gpu_check: expected the 6 GPU cases to run and pass, found:"; tail -5 "$GPU_LOG"; exit 1
fi
(cd "$BUILD" && ctest -R "^($(IFS='|'; echo "${TESTS[*]:1}"))$" --output-on-failure -j 4) | tail -12

say "benches on $DEVICE"
B="$BUILD/apps/tfmed"
OUT="$BUILD/gpu_check"
mkdir -p "$OUT"
"$B" bench tsrnet --device "$DEVICE" --batches 1 32 256 --seconds "$SECS" --no-twin --json "$OUT/tsrnet.json" | tail -8
"$B" bench specar --device "$DEVICE" --batches 1 32 256 --seconds "$SECS" --no-twin --json "$OUT/specar.json" | tail -8
"$B" bench trls --device "$DEVICE" --batches 1 32 256 --seconds "$SECS" --no-twin --json "$OUT/trls.json" | tail -8
NPROC=1
[ "$MODE" = gpu ] && [ "$NGPU" -ge 2 ] && [ "$C10D" = on ] && NPROC=1,2
"$B" bench train --device "$DEVICE" --nproc "$NPROC" --width 32 --steps 10 --json "$OUT/train.json" | tail -4

$PY - "$OUT" "$DEVICE" "$TORCH_VER" <<'PYEOF'
import json, os, sys
out, dev, ver = sys.argv[1:4]
rows = [("TSRNet (paper size, 12 leads)", "tsrnet"), ("SpecAR-Net (msl preset)", "specar"),
        ("TRLS encoder (epilepsy)", "trls")]
print("\ngr-tfmed GPU check: %s, PyTorch %s" % (dev, ver))
print("%-32s %12s %12s %12s %14s" % ("model", "b=1 win/s", "b=32 win/s", "b=256 win/s", "train step s"))
for name, f in rows:
    d = json.load(open(os.path.join(out, f + ".json")))["cpp"]
    fw = d["forward"]
    print("%-32s %12.1f %12.1f %12.1f %14.4f" % (name, fw["1"], fw["32"], fw["256"], d["train_step_s"]))
t = json.load(open(os.path.join(out, "train.json")))
for r in t["rows"]:
    print("training loop, %d worker(s): %.1f samples/s (%.3f s/step, batch %d)%s" % (
        r["world"], r["samples_per_s"], r["step_s"], t["batch"],
        "" if r["world"] == 1 else ", speed-up %.2fx" % r["speedup"]))
PYEOF
T=$(( $(date +%s) - T0 ))
say "done in ${T} s (budget 480 s)"
[ "$T" -le 480 ] || echo "gpu_check: over the 8-minute budget"
