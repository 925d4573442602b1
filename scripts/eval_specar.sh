#!/usr/bin/env bash
# Reproduce the README's SpecAR-Net figures on the shared benchmarks, each
# with its protocol, at the reduced scale these 2 CPU cores allow (stated per
# task below; the full reference command for a GPU is in the README).
#
#   scripts/eval_specar.sh classify   # JapaneseVowels, BasicMotions: both protocols, 3 seeds
#   scripts/eval_specar.sh impute     # ETTh1, ETTh2 at 12.5/25/37.5/50 % masking
#   scripts/eval_specar.sh anomaly    # MSL (the shared channels), both protocols
#   scripts/eval_specar.sh forecast   # ETTh1, ETTh2, 96 -> 96/192/336/720, with and without TOP
#   scripts/eval_specar.sh summary    # the tables of whatever has run
#
# Needs a build (scripts/setup.sh) and ../shared/data (or $TFMED_DATA_DIR).
# Output goes to out/eval-specar/ ($OUT); $THREADS (2), $SEEDS (1 2 3); $TFMED the tool.
# Reductions (override; the defaults are the README tables'): $IMPUTE_STRIDE (16)
# training windows every 16 rows with $IMPUTE_VAL_MAX (256) validation windows,
# $CLASSIFY_ARGS: more `train specar` options for the classification runs, e.g.
# "--window hanning" (the README's JapaneseVowels with a Hann window);
# $IMPUTE_ARGS the same for the imputation runs, e.g. "--window hamming --seed 2021";
# $FORECAST_ARGS for the forecasting runs (epochs: $FORECAST_EPOCHS), e.g. the
# ETTh1 script's network on ETTh2 (the etth2 presets until 2026-12-07):
# "--e-layers 1 --conv-layers 6 --d-model 16 --d-ff 32 --hop 1 --lr 1e-4".
# $FORECAST_STRIDE (16), $FORECAST_EPOCHS (6) with $VAL_MAX (512) forecasting
# validation windows evenly spread (0 = all), $MSL_STRIDE (40), $MSL_SEEDS (668). A run whose
# $OUT/NAME.eval.json exists is skipped: use a fresh $OUT for other reductions. Test sets are never reduced, except
# MSL's windows at stride 100 (every point scored once). The reference protocol
# for imputation, nothing reduced (about 20 min per rate here):
#   OUT=out/eval-specar-full IMPUTE_STRIDE=1 IMPUTE_VAL_MAX=0 scripts/eval_specar.sh impute
# On a GPU: $DEVICE (auto: cuda:0 where there is one) for training and
# evaluation, $JOBS runs at once (1; several small networks share one GPU),
# $ONLY a regular expression the run names must match (all), $RUN_TIMEOUT
# seconds after which a run's training is stopped (none); a stopped run's
# checkpoint ($OUT/NAME.tfm.ckpt) resumes on the next call. Forecasting at
# the reference protocol, with the TOP loss, 8 runs at once:
#   OUT=out/eval-specar-gpu FORECAST_STRIDE=1 FORECAST_EPOCHS=30 VAL_MAX=0 JOBS=8 \
#     ONLY='^etth[12]-[0-9]+$' DEVICE=cuda:0 scripts/eval_specar.sh forecast
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-summary}
export TFMED_DATA_DIR=${TFMED_DATA_DIR:-$PWD/../shared/data}
out=${OUT:-out/eval-specar}
mkdir -p "$out"
T=${TFMED:-build/apps/tfmed}
command -v "$T" > /dev/null || { echo "expected the tfmed tool at $T (build first: scripts/setup.sh, or set TFMED)" >&2; exit 2; }
th=(--threads "${THREADS:-2}" --device "${DEVICE:-auto}")
seeds=${SEEDS:-1 2 3}
val=(--max-val-windows "${VAL_MAX:-512}")
read -r -a cls_args <<< "${CLASSIFY_ARGS:-}"
read -r -a imp_args <<< "${IMPUTE_ARGS:-}"
read -r -a fc_args <<< "${FORECAST_ARGS:-}"
jobs_max=${JOBS:-1}
only=${ONLY:-.}
rc=0; [[ "" =~ $only ]] || rc=$?
[ "$rc" -le 1 ] || { echo "ONLY: expected a regular expression (bash =~), found '$only'" >&2; exit 2; }
stop=()
[ -n "${RUN_TIMEOUT:-}" ] && stop=(timeout "$RUN_TIMEOUT")

last_line() { tail -c 300 "$1" | tr '\r' '\n' | tail -1; } # (progress bars end in \r)

one() { # name, train args...: train (or resume), then evaluate with the JSON kept
  local name=$1; shift
  local log=$out/$name.log
  if [ -f "$out/$name.tfm" ]; then # trained before, its evaluation did not finish
    echo "$name: trained before ($out/$name.tfm), evaluating"
  else
    local again=()
    [ -f "$out/$name.tfm.ckpt" ] && again=(--resume)
    if ! "${stop[@]}" "$T" train specar "$@" "${th[@]}" "${again[@]}" -o "$out/$name.tfm" \
         --json "$out/$name.train.json" --plot "$out/$name.curves.png" > "$log" 2>&1 ||
       [ ! -f "$out/$name.tfm" ]; then
      echo "$name: training stopped or failed (log $log): $(last_line "$log")"
      return 0
    fi
    echo "$name: $(tr '\r' '\n' < "$log" | grep '^model ' | tail -1)"
  fi
  if ! "$T" eval specar "$out/$name.tfm" "${th[@]}" --json "$out/$name.eval.json" \
       --plot "$out/$name.eval.png" 2>> "$log" | tail -n +2 | sed "s/^/$name: /"; then
    echo "$name: evaluation failed (log $log): $(last_line "$log")"
  fi
  return 0
}
run() { # the same, $JOBS at a time, for the names $ONLY matches
  local name=$1
  [ -f "$out/$name.eval.json" ] && return 0
  [[ $name =~ $only ]] || return 0
  if [ "$jobs_max" -le 1 ]; then one "$@"; return; fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  one "$@" &
}

case $what in
  classify)
    for s in $seeds; do
      for p in reference clean; do
        run "jv-$p-$s" --preset jv --protocol "$p" --seed "$s" "${cls_args[@]}"
        run "bm-$p-$s" --preset basicmotions --protocol "$p" --seed "$s" "${cls_args[@]}"
      done
    done ;;
  impute)
    for d in etth1 etth2; do
      for r in 0.125 0.25 0.375 0.5; do
        run "$d-impute-$r" --preset "$d-impute" --mask-rate "$r" \
          --train-stride "${IMPUTE_STRIDE:-16}" \
          --max-val-windows "${IMPUTE_VAL_MAX:-256}" "${imp_args[@]}"
      done
    done ;;
  anomaly) # seed 668 (the loop's default) is msl-P, others msl-P-SEED
    for s in ${MSL_SEEDS:-668}; do
      for p in clean reference; do
        n="msl-$p"; [ "$s" = 668 ] || n="$n-$s"
        run "$n" --preset msl --protocol "$p" --train-stride "${MSL_STRIDE:-40}" --batch 32 --seed "$s"
      done
    done ;;
  forecast)
    for d in etth1 etth2; do
      for h in 96 192 336 720; do
        run "$d-$h" --preset "$d-$h" --train-stride "${FORECAST_STRIDE:-16}" \
          "${fc_args[@]}" --epochs "${FORECAST_EPOCHS:-6}" "${val[@]}"
      done
    done
    for d in etth1 etth2; do # the same without the TOP loss
      for h in 96 192 336 720; do
        run "$d-$h-notop" --preset "$d-$h" --top-weight 0 --train-stride "${FORECAST_STRIDE:-16}" \
          "${fc_args[@]}" --epochs "${FORECAST_EPOCHS:-6}" "${val[@]}"
      done
    done ;;
  summary) ;;
  *) echo "expected classify, impute, anomaly, forecast or summary, found '$what'" >&2; exit 2 ;;
esac
wait
/usr/bin/python3 scripts/specar_summary.py "$out"
