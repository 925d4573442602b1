#!/usr/bin/env bash
# The main job on its embedded default: set up, build, and run live ECG anomaly
# detection on the MIT-BIH excerpt that ships with python3-scipy (record 208):
# replay -> resampler 360->500 Hz -> tfmed.tsrnet_scorer with the shipped demo
# model, printing alarms with their times and writing out/ecg_anomaly.png.
# Arguments go to the demo (e.g. --realtime, --hop-s S, --model FILE, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== demo: live TSRNet anomaly scores on MIT-BIH record 208"
PYTHONPATH="$PWD/build/python${PYTHONPATH:+:$PYTHONPATH}" \
  /usr/bin/python3 examples/ecg_anomaly_demo.py "$@"
