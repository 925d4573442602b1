#!/usr/bin/env bash
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Copy the build dependencies a GPU machine without a package manager lacks
# (nlohmann_json, CLI11 and stb headers, GoogleTest sources, the figures' font) from this Debian
# machine into gpu-deps/ (git-ignored), for scripts/gpu_check.sh there
# (TFMED_DEPS_DIR; the `device` tool carries the folder).
set -euo pipefail
cd "$(dirname "$0")/.."
out=gpu-deps
rm -rf "$out" && mkdir -p "$out/include"
for d in /usr/include/nlohmann /usr/include/CLI /usr/include/stb /usr/src/googletest; do
  [ -e "$d" ] || { echo "gpu_deps_bundle: expected $d (Debian: nlohmann-json3-dev, libcli11-dev, libstb-dev, libgtest-dev), found nothing" >&2; exit 1; }
done
cp -r /usr/include/nlohmann /usr/include/CLI /usr/include/stb "$out/include/"
# The figures' font (fonts-dejavu-core): gpu_check.sh points TFMED_FONT at it.
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
[ -f "$font" ] || { echo "gpu_deps_bundle: expected $font (Debian: fonts-dejavu-core), found nothing" >&2; exit 1; }
mkdir -p "$out/fonts" && cp "$font" "$out/fonts/"
cp -r /usr/src/googletest/googletest "$out/googletest"
du -sh "$out"
