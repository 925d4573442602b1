#!/usr/bin/python3
"""Write the evaluation-metric golden file for tfmed::models (models/metrics.h).

Random cases (numpy RandomState(20260)), scored with scikit-learn as
Time-Series-Library scores its benchmarks:

  classification  accuracy_score, f1_score(average='macro') with labels=None (the
                  union of the labels in truth and pred) and with
                  labels=range(n_classes), confusion_matrix(labels=range(n_classes));
                  cases with a class absent from pred, a class only in pred, a class
                  in neither
  binary          precision_recall_fscore_support(average='binary') + accuracy_score
                  (zero_division: sklearn's default "warn", which gives 0) before and
                  after point adjustment; anomaly segments, one starting at index 0,
                  one reaching the end, no prediction at all
  regression      mean_squared_error / mean_absolute_error over all points and over
                  the masked points (TSLib's imputation: mask == 0 counts), float32
                  values (stored exactly), scored in float64

The point adjustment is written here from Time-Series-Library's adjustment(gt, pred)
(utils/tools.py) as a state machine, independently of the C++ (segment by segment).

Writes OUTDIR/metrics.json. Usage: gen_metrics_golden.py OUTDIR
"""
import json
import os
import sys
import warnings

try:
    import numpy as np
    from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score,
                                 mean_absolute_error, mean_squared_error,
                                 precision_recall_fscore_support)
except ImportError as e:  # CTest maps 77 to "skipped"; the C++ test says why too
    print(f"metrics golden generator needs python3-numpy and python3-sklearn: {e}")
    sys.exit(77)

warnings.filterwarnings("ignore")  # sklearn's UndefinedMetricWarning: 0 is what we want


def tslib_adjust(gt, pred):
    """TSLib's point adjustment: the first hit in a true segment marks the whole
    segment detected. Quirk kept: the backward walk stops at index 1."""
    gt = [int(v) for v in gt]
    out = [int(v) for v in pred]
    detected = False
    for i, g in enumerate(gt):
        if g == 0:
            detected = False
            continue
        if not detected and out[i] == 1:
            detected = True
            j = i
            while j >= 1 and gt[j] == 1:  # backwards, never index 0
                out[j] = 1
                j -= 1
            j = i
            while j < len(gt) and gt[j] == 1:  # forwards to the segment end
                out[j] = 1
                j += 1
        if detected:
            out[i] = 1
    return out


def binary(truth, pred):
    p, r, f, _ = precision_recall_fscore_support(truth, pred, average="binary")
    cm = confusion_matrix(truth, pred, labels=[0, 1])
    return dict(precision=float(p), recall=float(r), f1=float(f),
                accuracy=float(accuracy_score(truth, pred)),
                tn=int(cm[0, 0]), fp=int(cm[0, 1]), fn=int(cm[1, 0]), tp=int(cm[1, 1]))


def segments(rng, n, n_seg, min_len, max_len):
    gt = np.zeros(n, dtype=int)
    for _ in range(n_seg):
        s = rng.randint(0, n - min_len)
        gt[s:s + rng.randint(min_len, max_len + 1)] = 1
    return gt


def binary_case(name, truth, pred):
    truth = [int(v) for v in truth]
    pred = [int(v) for v in pred]
    adj = tslib_adjust(truth, pred)
    return dict(name=name, truth=truth, pred=pred, raw=binary(truth, pred),
                adjusted_pred=adj, adjusted=binary(truth, adj))


def class_case(name, truth, pred, n_classes):
    truth = [int(v) for v in truth]
    pred = [int(v) for v in pred]
    return dict(
        name=name, truth=truth, pred=pred, n_classes=n_classes,
        accuracy=float(accuracy_score(truth, pred)),
        macro_f1=float(f1_score(truth, pred, average="macro")),
        macro_f1_n=float(f1_score(truth, pred, average="macro", labels=list(range(n_classes)))),
        confusion=confusion_matrix(truth, pred, labels=list(range(n_classes))).tolist())


def regression_case(name, pred32, truth32, mask):
    pred = pred32.astype(np.float64)  # the float32 values, exactly
    truth = truth32.astype(np.float64)
    ev = mask == 0  # TSLib's imputation counts the masked points
    return dict(name=name, pred=pred.tolist(), truth=truth.tolist(),
                evaluate=ev.astype(int).tolist(),
                mse=float(mean_squared_error(truth, pred)),
                mae=float(mean_absolute_error(truth, pred)),
                masked_mse=float(mean_squared_error(truth[ev], pred[ev])),
                masked_mae=float(mean_absolute_error(truth[ev], pred[ev])))


def main():
    if len(sys.argv) != 2:
        print("usage: gen_metrics_golden.py OUTDIR")
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(20260)

    bins = []
    # Segments with sparse hits plus false alarms.
    for k in range(3):
        n = 400
        gt = segments(rng, n, 6, 3, 25)
        hit = (rng.rand(n) < 0.04) & (gt == 1)  # some segments missed
        false_alarm = (rng.rand(n) < 0.03) & (gt == 0)
        bins.append(binary_case(f"segments_{k}", gt, (hit | false_alarm).astype(int)))
    # A segment from index 0 detected late (the kept quirk), one reaching the end.
    gt = np.zeros(60, dtype=int)
    gt[0:8] = 1
    gt[20:27] = 1
    gt[50:60] = 1
    pred = np.zeros(60, dtype=int)
    pred[[4, 23, 30, 57]] = 1
    bins.append(binary_case("edges", gt, pred))
    # Detection at index 0 of a segment from index 0.
    gt = np.zeros(20, dtype=int)
    gt[0:5] = 1
    pred = np.zeros(20, dtype=int)
    pred[[0, 12]] = 1
    bins.append(binary_case("hit_at_zero", gt, pred))
    # Nothing predicted (precision 0/0 -> 0), nothing true (recall 0/0 -> 0).
    gt = segments(rng, 50, 2, 3, 6)
    bins.append(binary_case("no_prediction", gt, np.zeros(50, dtype=int)))
    bins.append(binary_case("no_truth", np.zeros(50, dtype=int), (rng.rand(50) < 0.2).astype(int)))
    bins.append(binary_case("all_negative", np.zeros(30, dtype=int), np.zeros(30, dtype=int)))
    # Dense random labels.
    bins.append(binary_case("dense", (rng.rand(300) < 0.4).astype(int),
                            (rng.rand(300) < 0.5).astype(int)))

    classes = []
    truth = rng.randint(0, 5, size=200)
    pred = np.where(rng.rand(200) < 0.6, truth, rng.randint(0, 5, size=200))
    classes.append(class_case("five_classes", truth, pred, 5))
    pred_no3 = np.where(pred == 3, (pred + 1) % 5, pred)  # class 3 never predicted
    classes.append(class_case("absent_from_pred", truth, pred_no3, 5))
    truth4 = rng.randint(0, 4, size=150)  # class 4 only predicted, class 5 in neither
    pred4 = np.where(rng.rand(150) < 0.5, truth4, rng.randint(0, 5, size=150))
    classes.append(class_case("only_in_pred_and_unused", truth4, pred4, 6))
    truth10 = rng.randint(0, 10, size=500)  # more classes than numpy's 8-way unrolling
    pred10 = np.where(rng.rand(500) < 0.3, truth10, rng.randint(0, 10, size=500))
    classes.append(class_case("ten_classes", truth10, pred10, 12))
    classes.append(class_case("two_classes", (rng.rand(80) < 0.5).astype(int),
                              (rng.rand(80) < 0.5).astype(int), 2))

    regs = []
    for k, (n, rate) in enumerate([(97, 0.25), (512, 0.125), (33, 0.5)]):
        truth = rng.randn(n).astype(np.float32)
        pred = (truth + 0.3 * rng.randn(n)).astype(np.float32)
        mask = (rng.rand(n) > rate).astype(int)  # 0 = masked, as TSLib's imputation
        if mask.min() == 1:
            mask[0] = 0
        regs.append(regression_case(f"regression_{k}", pred, truth, mask))

    doc = dict(generator="tests/golden/gen_metrics_golden.py", seed=20260,
               numpy=np.__version__, sklearn=__import__("sklearn").__version__,
               binary=bins, classification=classes, regression=regs)
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(doc, f)
    print(f"wrote {os.path.join(out, 'metrics.json')}: {len(bins)} binary, "
          f"{len(classes)} classification, {len(regs)} regression cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
