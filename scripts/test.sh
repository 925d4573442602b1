#!/usr/bin/env bash
# Set up, build, and run every test (C++ core and block tests, Python QA,
# example flowgraphs, the CLI, and an install + find_package check).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The core library on its own: LibTorch only, no GNU Radio (DESIGN.md).
echo "== core-only build (-DTFMED_ENABLE_GNURADIO=OFF) and its tests"
cmake -S . -B build-core -DCMAKE_BUILD_TYPE=Release -DTFMED_ENABLE_GNURADIO=OFF \
  -DTFMED_ENABLE_APPS=OFF > build-core.log
cmake --build build-core -j"$(nproc)" >> build-core.log
(cd build-core && ctest --output-on-failure -j"$(nproc)" --timeout 900)

echo "== tests"
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900

