#!/usr/bin/env bash
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# scripts/bench_serve.sh: the serving figures of the README (`tfmed bench
# serve`): the demo model, the width-8 network and the paper-size network, as
# fast as possible and in real time, shared engine vs one engine per stream.
# JSON under out/serve/, the demo model's plots under docs/. Needs
# ../shared/data (mitdb_compiled10s); about 25 minutes on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tfmed=${TFMED:-$here/build/apps/tfmed}
[ -x "$tfmed" ] || { echo "expected the tfmed tool at $tfmed (build first, or set TFMED)" >&2; exit 2; }
out=$here/out/serve
mkdir -p "$out"
run() { echo "+ tfmed $*"; "$tfmed" "$@"; echo; }
run bench serve --fast --streams 1,4,16,64 --json "$out/demo_fast.json" --plot "$here/docs/serve_demo_fast.png"
run bench serve --realtime --hop 5 --streams 1,4,16,32,64 --json "$out/demo_realtime.json" \
    --plot "$here/docs/serve_demo_realtime.png"
run bench serve --fast --width 8 --d-model 16 --streams 1,4,16 --json "$out/width8_fast.json"
run bench serve --fast --width 8 --d-model 16 --streams 1 --max-batch 1 --no-separate \
    --json "$out/width8_batch1.json"
run bench serve --fast --paper --streams 1,4,16 --seconds 30 --json "$out/paper_fast.json"
run bench serve --realtime --paper --hop 5 --streams 1,4,16 --json "$out/paper_realtime.json"
