#!/usr/bin/env bash
# The small SpecAR-Net models shipped in models/ for the live example graphs
# (examples/msl_anomaly_live.grc, ett_forecast_live.grc,
# sensor_dropout_impute_live.grc). Smoke-to-demo sized so they train in
# minutes on 2 cores; their figures are in models/README.md. Needs a build and
# ../shared/data (or $TFMED_DATA_DIR). $TFMED: the tool (build/apps/tfmed).
set -euo pipefail
cd "$(dirname "$0")/.."
export TFMED_DATA_DIR=${TFMED_DATA_DIR:-$PWD/../shared/data}
T=${TFMED:-build/apps/tfmed}
command -v "$T" > /dev/null || { echo "expected the tfmed tool at $T (build first: scripts/setup.sh, or set TFMED)" >&2; exit 2; }
out=${OUT:-models}
th=(--threads "${THREADS:-2}" --seed 2021)
# MSL anomaly detection: the MSL script's network (142,103 parameters), one
# epoch over every 40th training window at batch 32 (the reference batch of 128
# needs about 20 GB here), threshold from training energies.
"$T" train specar --preset msl --train-stride 40 --batch 32 "${th[@]}" -o "$out/specar_msl_demo.tfm"
# ETTh1 forecasting 96 -> 96, the reference network, every 8th window, 4 epochs.
"$T" train specar --preset etth1-96 --train-stride 8 --epochs 4 --max-val-windows 512 \
  "${th[@]}" -o "$out/specar_etth1_forecast_demo.tfm"
# ETTh1 imputation at 25 % masking, d_model 16, every 4th window, 4 epochs.
"$T" train specar --preset etth1-impute --mask-rate 0.25 --d-model 16 --d-ff 16 \
  --train-stride 4 --epochs 4 --max-val-windows 512 "${th[@]}" \
  -o "$out/specar_etth1_impute_demo.tfm"
rm -f "$out"/specar_*_demo.tfm.ckpt "$out"/specar_*_demo.tfm.lock
