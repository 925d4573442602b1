#!/usr/bin/env bash
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# scripts/eval_specar.sh's run control, with a stand-in for the tool (no
# training, no data): $ONLY selects runs, a checkpoint without a model
# resumes, a model without its evaluation is evaluated (not retrained), a
# failed training or evaluation does not stop the others, $JOBS runs them
# concurrently, $DEVICE reaches both commands, $CLASSIFY_ARGS the classification
# runs, $IMPUTE_ARGS the imputation runs and $FORECAST_ARGS the forecasting
# runs, a bad $ONLY is refused, and the
# summary tabulates what finished.
#
# Usage: check_eval_specar_script.sh SOURCE_DIR WORK_DIR
set -uo pipefail
SRC=$1
W=$2
rm -rf "$W" && mkdir -p "$W/out"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The stand-in: logs each call; `train` writes -o (fails for etth2-96),
# `eval` writes --json (fails for etth1-336); both sleep a little so that
# concurrent runs overlap.
cat > "$W/tool" <<'EOF'
#!/usr/bin/env bash
log=$(dirname "$0")/calls
cmd=$1; echo "$cmd ${*:3}" >> "$log"
o= ; j= ; model=
while [ $# -gt 0 ]; do
  case $1 in -o) o=$2 ;; --json) j=$2 ;; *.tfm) model=$1 ;; esac; shift
done
if [ "$cmd" = train ]; then
  case $o in *etth2-96.tfm) echo "tfmed: training broke" >&2; exit 1 ;; esac
  echo "start $(date +%s%N)" >> "$(dirname "$0")/times"; sleep 0.5
  echo "model $o (long_term_forecast): 1 parameters, best epoch 1"; echo x > "$o"; exit 0
fi
case $model in *etth1-336.tfm) echo "tfmed: evaluation broke" >&2; exit 1 ;; esac
case $model in
  */jv-*) printf '{"accuracy": 0.975, "macro_f1": 0.97}\n' > "$j"; echo "accuracy 0.975"; exit 0 ;;
esac
printf '{"mse": 0.5, "mae": 0.25}\n' > "$j"; echo "protocol: x"; echo "MSE 0.5"
EOF
chmod +x "$W/tool"
run() { TFMED="$W/tool" OUT="$W/out" "$SRC/scripts/eval_specar.sh" "$@" > "$W/stdout" 2>&1; }

# A checkpoint left by a stopped run, and a trained model never evaluated.
echo ckpt > "$W/out/etth1-192.tfm.ckpt"
echo model > "$W/out/etth1-720.tfm"
ONLY='^etth[12]-[0-9]+$' JOBS=3 DEVICE=cuda:0 run forecast || fail "exit $? ($(cat "$W/stdout"))"
calls=$(cat "$W/calls")
n_train=$(grep -c '^train' <<< "$calls")
[ "$n_train" -eq 7 ] || fail "expected 7 trainings (8 runs, etth1-720 already trained), found $n_train"
grep -q '^train.*--preset etth1-192 .*--resume' <<< "$calls" || fail "etth1-192 did not resume from its checkpoint"
grep '^train' <<< "$calls" | grep -v 'etth1-192' | grep -q -- '--resume' && fail "a run without a checkpoint resumed"
grep -q 'notop' <<< "$calls" && fail "ONLY let the no-TOP runs through"
grep -q '^train.*--preset etth1-720' <<< "$calls" && fail "etth1-720 was retrained instead of evaluated"
grep '^train\|^eval' <<< "$calls" | grep -vq -- '--device cuda:0' && fail "a command lacked --device cuda:0"
for n in etth1-96 etth1-192 etth1-720 etth2-192 etth2-336 etth2-720; do
  [ -f "$W/out/$n.eval.json" ] || fail "$n was not evaluated"
done
[ -f "$W/out/etth2-96.eval.json" ] && fail "etth2-96's training failed, yet it has an evaluation"
grep -q 'etth2-96: training stopped or failed' "$W/stdout" || fail "the failed training was not reported"
grep -q 'etth1-336: evaluation failed' "$W/stdout" || fail "the failed evaluation was not reported"
grep -q '| ETTh1 | 720 | 0.500 | 0.250' "$W/stdout" || fail "the summary lacks ETTh1 720: $(cat "$W/stdout")"
# Three at a time: some trainings started within 0.3 s of each other.
first=$(sort -n -k2 "$W/times" | awk 'NR==1{print $2} NR==2{print $2}' | paste -sd' ')
read -r a b <<< "$first"
[ $(( (b - a) / 1000000 )) -lt 300 ] || fail "JOBS=3 did not start runs together (${a}, ${b} ns)"

# One at a time by default, and a second call repeats nothing that finished.
: > "$W/calls"
run forecast || fail "second call: exit $?"
grep -q -- "-o $W/out/etth1-96.tfm " "$W/calls" && fail "a finished run (etth1-96) ran again"
grep -q '^train.*--preset etth1-96 .*--top-weight 0' "$W/calls" || fail "the no-TOP runs did not run"

# $CLASSIFY_ARGS reaches the classification runs, and only those ONLY names.
: > "$W/calls"
ONLY='^jv-reference-2$' CLASSIFY_ARGS="--window hanning --lr 0.0004" run classify || fail "classify: exit $? ($(cat "$W/stdout"))"
grep -c '^train' "$W/calls" | grep -qx 1 || fail "ONLY='^jv-reference-2$' ran $(grep -c '^train' "$W/calls") trainings"
grep -q -- "^train --preset jv --protocol reference --seed 2 --window hanning --lr 0.0004 " "$W/calls" ||
  fail "CLASSIFY_ARGS did not reach the run: $(cat "$W/calls")"
grep -q '| JapaneseVowels | reference | 97.5' "$W/stdout" || fail "the summary lacks the JV run: $(cat "$W/stdout")"

# $IMPUTE_ARGS reaches the imputation runs, after the preset's reductions.
: > "$W/calls"
ONLY='^etth1-impute-0.5$' IMPUTE_ARGS="--window hamming --seed 2021" run impute || fail "impute: exit $? ($(cat "$W/stdout"))"
grep -c '^train' "$W/calls" | grep -qx 1 || fail "ONLY='^etth1-impute-0.5$' ran $(grep -c '^train' "$W/calls") trainings"
grep -q -- "^train --preset etth1-impute --mask-rate 0.5 --train-stride 16 --max-val-windows 256 --window hamming --seed 2021 " "$W/calls" ||
  fail "IMPUTE_ARGS did not reach the run: $(cat "$W/calls")"

# $FORECAST_ARGS reaches the forecasting runs, with and without TOP.
: > "$W/calls"
# (A fresh output folder: the runs above finished these two.)
ONLY='^etth2-720' FORECAST_ARGS="--e-layers 1 --hop 1" TFMED="$W/tool" OUT="$W/out2" \
  "$SRC/scripts/eval_specar.sh" forecast > "$W/stdout" 2>&1 || fail "forecast: exit $? ($(cat "$W/stdout"))"
grep -c '^train' "$W/calls" | grep -qx 2 || fail "ONLY='^etth2-720' ran $(grep -c '^train' "$W/calls") trainings"
grep -q -- "^train --preset etth2-720 --train-stride 16 --e-layers 1 --hop 1 --epochs 6 " "$W/calls" &&
  grep -q -- "^train --preset etth2-720 --top-weight 0 --train-stride 16 --e-layers 1 --hop 1 --epochs 6 " "$W/calls" ||
  fail "FORECAST_ARGS did not reach the runs: $(cat "$W/calls")"

ONLY='(' run forecast
rc=$?
[ "$rc" -eq 2 ] && grep -q "ONLY: expected a regular expression" "$W/stdout" ||
  fail "a bad ONLY gave exit $rc: $(cat "$W/stdout")"

[ "$fails" -eq 0 ] && echo "eval_specar.sh run control: all checks passed"
exit $((fails > 0))
