#!/usr/bin/env bash
# Reproduce the README's TSRNet evaluation: train on normal ECG windows only,
# test on normal vs abnormal, for several seeds; print ROC-AUC mean +- std.
#
#   scripts/eval_tsrnet.sh mitdb     # mitdb_compiled10s: N vs S/V/F/Q, 60 epochs
#   scripts/eval_tsrnet.sh record100 # wfdb_sample/100 MLII windows, 30 epochs
#
# Needs a build (scripts/setup.sh) and ../shared/data (or $TFMED_DATA_DIR).
# Output (models, JSON, PNG) goes to out/eval-<set>/ ($OUT). Seeds: $SEEDS
# (668 1 2). Network and run: $WIDTH (16), $D_MODEL (32), $EPOCHS (60 / 30),
# $BATCH (16), $LR (1e-3), $THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
set_name=${1:-mitdb}
data_dir=${TFMED_DATA_DIR:-$PWD/../shared/data}
out=${OUT:-out/eval-$set_name}
mkdir -p "$out"
T=${TFMED:-build/apps/tfmed}
command -v "$T" > /dev/null || { echo "expected the tfmed tool at $T (build first: scripts/setup.sh, or set TFMED)" >&2; exit 2; }
case $set_name in
  mitdb) data=(--data mitdb_compiled10s --data-dir "$data_dir"); epochs=${EPOCHS:-60} ;;
  record100) data=(--data "$data_dir/wfdb_sample/100.hea" --channels MLII); epochs=${EPOCHS:-30} ;;
  *) echo "expected mitdb or record100, found '$set_name'" >&2; exit 2 ;;
esac
for s in ${SEEDS:-668 1 2}; do
  "$T" train tsrnet "${data[@]}" --width "${WIDTH:-16}" --d-model "${D_MODEL:-32}" \
    --lr "${LR:-1e-3}" --epochs "$epochs" --batch "${BATCH:-16}" --threads "${THREADS:-2}" \
    --seed "$s" -o "$out/m$s.tfm" --json "$out/train$s.json" \
    --plot "$out/curves$s.png" | tail -1
  "$T" eval tsrnet "$out/m$s.tfm" --data-dir "$data_dir" --threads "${THREADS:-2}" \
    --json "$out/eval$s.json" --roc "$out/roc$s.png" | sed -n '3,6p'
done
/usr/bin/python3 - "$out" ${SEEDS:-668 1 2} <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
# (A non-finite AUC is written as null: NaN here.)
nan = float("nan")
ev = [json.load(open(f"{out}/eval{s}.json")) for s in seeds]
for k in ("auc_peak", "auc_plain"):
    v = [nan if e.get(k) is None else e[k] for e in ev]
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    print(f"{k}: {statistics.mean(v):.3f} +- {sd:.3f} over seeds {' '.join(seeds)} "
          f"({', '.join(f'{x:.3f}' for x in v)})")
cls = sorted(set().union(*(e.get("auc_peak_by_class", {}) for e in ev)))
for c in cls:
    v = [nan if e.get("auc_peak_by_class", {}).get(c) is None else e["auc_peak_by_class"][c]
         for e in ev]
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    print(f"  peak, N vs {c}: {statistics.mean(v):.3f} +- {sd:.3f}")
PY
