#!/usr/bin/env bash
# Set up, build, and run every test: the core on its own, a fuzz smoke run of
# the readers, then C++ core and block tests, Python QA, example flowgraphs,
# the CLI, and an install + find_package check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The core library on its own: LibTorch only, no GNU Radio (the core must
# build and pass its tests without it).
echo "== core-only build (-DTFMED_ENABLE_GNURADIO=OFF) and its tests"
cmake -S . -B build-core -DCMAKE_BUILD_TYPE=Release -DTFMED_ENABLE_GNURADIO=OFF \
  -DTFMED_ENABLE_APPS=OFF > build-core.log
cmake --build build-core -j"$(nproc)" >> build-core.log
(cd build-core && ctest --output-on-failure -j"$(nproc)" --timeout 900)

# The reader parsers under libFuzzer (clang, ASan, UBSan): a short smoke run;
# README "Fuzzing" has the longer one.
echo "== fuzz smoke run (${TFMED_FUZZ_SECONDS:-10} s per target)"
bash tests/fuzz/run_fuzzers.sh "${TFMED_FUZZ_SECONDS:-10}" build-fuzz

echo "== tests"
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900

