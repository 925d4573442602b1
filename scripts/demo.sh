#!/usr/bin/env bash
# The main job on its embedded default: set up, build, and stream the MIT-BIH
# ECG that ships with python3-scipy through a live tfmed.stft flowgraph,
# printing frames/s and writing out/ecg_stft.png. Arguments go to the demo
# (e.g. --realtime, --repeat N, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== demo: live STFT of MIT-BIH record 208"
PYTHONPATH="$PWD/build/python${PYTHONPATH:+:$PYTHONPATH}" \
  /usr/bin/python3 examples/stft_demo.py "$@"
