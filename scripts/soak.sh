#!/usr/bin/env bash
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# scripts/soak.sh HOURS STREAMS [extra `tfmed bench serve` options, other than
#                                 --hop, --csv and --plot, which this script sets]
# STREAMS real-time ECG streams (MIT-BIH segments from ../shared/data, 360 -> 500 Hz)
# through one shared TSRNet engine (the demo model) for HOURS. Samples resident
# memory, latency percentiles and queue depth every minute into out/soak.csv and
# out/soak.png; exits non-zero if any window is lost or memory grows more than
# 1 % after the first 5 minutes. Not part of the test suite.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 HOURS STREAMS [tfmed bench serve options other than --hop/--csv/--plot]" >&2
  exit 2
fi
hours=$1 streams=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
tfmed=${TFMED:-$here/build/apps/tfmed}
[ -x "$tfmed" ] || { echo "expected the tfmed tool at $tfmed (build first, or set TFMED)" >&2; exit 2; }
mkdir -p "$here/out"
exec "$tfmed" bench serve --soak "$hours" --streams "$streams" --hop 5 \
  --csv "$here/out/soak.csv" --plot "$here/out/soak.png" "$@"
