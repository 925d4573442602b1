#!/usr/bin/env bash
# The README's TRLS figures on the Bonn EEG "Epilepsy" task (2 CPU cores;
# reduced: 10 pre-training epochs, 40 head epochs). The paper's full run is
# EPOCHS=50 HEAD_EPOCHS=100 (about 5x longer here; a GPU run with --device cuda).
#   scripts/eval_trls.sh folds      # 5-fold linear evaluation + supervised + robustness
#   scripts/eval_trls.sh finetune   # fold 1: accuracy vs labelled fraction
#   scripts/eval_trls.sh other      # ECG5000, MIT-BIH 10-s, BasicMotions: 5 stratified folds, the paper's epochs
#   scripts/eval_trls.sh recording  # Epilepsy: untrained-encoder probe split by windows vs whole recordings,
#                                   # then linear + supervised on whole recordings
#   scripts/eval_trls.sh scales     # Epilepsy fold 1, linear evaluation for K = 1 .. 5 (Table 2 style)
#   scripts/eval_trls.sh summary    # the tables
# $TRLS_ARGS is added to the folds, finetune and recording commands (e.g.
# "--freq-norm time"; "--probe raw|standardised" to folds and recording only:
# fine-tuning has no probe to choose; recording uses the standardised one
# unless $TRLS_ARGS names a probe).
set -euo pipefail
cd "$(dirname "$0")/.."
TFMED=${TFMED:-build/apps/tfmed}
command -v "$TFMED" > /dev/null || { echo "expected the tfmed tool at $TFMED (build first: scripts/setup.sh, or set TFMED)" >&2; exit 2; }
# The recording runs' standardised probe unless $TRLS_ARGS names a probe.
probe=(--probe standardised)
[[ " ${TRLS_ARGS:-} " =~ [[:space:]]--probe([[:space:]]|=) ]] && probe=()
OUT=${OUT:-out/eval-trls}
EPOCHS=${EPOCHS:-10}
HEAD_EPOCHS=${HEAD_EPOCHS:-40}
mkdir -p "$OUT"
case "${1:-summary}" in
folds)
  for k in 1 2 3 4 5; do
    "$TFMED" eval trls --data epilepsy --folds 5 --fold $k --linear --supervised \
      --epochs "$EPOCHS" --head-epochs "$HEAD_EPOCHS" --threads 2 \
      --sparsity 10,30,50 --snr 20,10,0 --out-dir "$OUT" --json "$OUT/epilepsy_fold$k.json" \
      ${TRLS_ARGS:-}
  done ;;
finetune)
  "$TFMED" eval trls --data epilepsy --folds 5 --fold 1 --finetune 1,10,100 \
    --epochs "$EPOCHS" --head-epochs "$HEAD_EPOCHS" --threads 2 --out-dir "$OUT" \
    --json "$OUT/epilepsy_finetune_fold1.json" ${TRLS_ARGS:-} ;;
other)
  # Small sets (500, 400 and 80 windows): the paper's 50 / 100 epochs fit here.
  # Folds stratified by class (ECG5000's rarest classes have 2 and 10 windows),
  # min-max fitted on the training part (--scaling auto).
  # BasicMotions' 48 training windows take batches of 8 (32 and 128 would give
  # one or two steps per epoch) and no per-time-index scaling (6 channels).
  "$TFMED" eval trls --data ecg5000 --split stratified --folds 5 --linear --supervised \
    --epochs 50 --head-epochs 100 --threads 2 --out-dir "$OUT" --json "$OUT/ecg5000.json"
  "$TFMED" eval trls --data mitdb --split stratified --folds 5 --linear --supervised \
    --epochs 50 --head-epochs 100 --threads 2 --out-dir "$OUT" --json "$OUT/mitdb.json"
  "$TFMED" eval trls --data basicmotions --split stratified --folds 5 --linear --supervised \
    --epochs 50 --head-epochs 100 --batch 8 --head-batch 8 --scaling none --threads 2 \
    --out-dir "$OUT" --json "$OUT/basicmotions.json" ;;
recording)
  # What TS-TCC's split by windows is worth on Bonn: the same probe on the
  # untrained encoder (seconds per fold) with whole recordings per part.
  for split in windows recording; do
    "$TFMED" eval trls --data epilepsy --split $split --folds 5 --random-init \
      "${probe[@]}" --head-epochs "$HEAD_EPOCHS" --threads 2 \
      --json "$OUT/epilepsy_random_init_$split.json" ${TRLS_ARGS:-}
  done
  # ... and the pre-trained encoder (linear probe) beside the supervised
  # baseline, whole recordings per part.
  "$TFMED" eval trls --data epilepsy --split recording --folds 5 --linear --supervised \
    "${probe[@]}" --epochs "$EPOCHS" --head-epochs "$HEAD_EPOCHS" --threads 2 \
    --out-dir "$OUT" --json "$OUT/epilepsy_linear_supervised_recording.json" ${TRLS_ARGS:-} ;;
scales)
  for k in 1 2 3 4 5; do
    "$TFMED" eval trls --data epilepsy --folds 5 --fold 1 --linear --scales $k \
      --epochs "$EPOCHS" --head-epochs "$HEAD_EPOCHS" --threads 2 --out-dir "$OUT" \
      --json "$OUT/epilepsy_scales$k.json"
  done ;;
summary)
  # (Whatever has run: a missing part is said, not a traceback.)
  shopt -s nullglob
  folds=("$OUT"/epilepsy_fold?.json)
  if [ ${#folds[@]} -gt 0 ]; then
    /usr/bin/python3 scripts/trls_summary.py "${folds[@]}"
  else
    echo "no $OUT/epilepsy_fold?.json: run '$0 folds' first"
  fi
  if [ -f "$OUT/epilepsy_finetune_fold1.json" ]; then
    /usr/bin/python3 scripts/trls_summary.py "$OUT"/epilepsy_finetune_fold1.json
  else
    echo "no $OUT/epilepsy_finetune_fold1.json: run '$0 finetune' first"
  fi ;;
*) echo "usage: $0 folds|finetune|other|recording|scales|summary" >&2; exit 2 ;;
esac
