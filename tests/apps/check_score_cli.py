#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`tfmed score` on real data with the shipped models: TSRNet on MIT-BIH
record 100 (resampled 360 -> 500 Hz; window labels and beat counts checked
against the record's annotations read here by an independent reader of the
MIT annotation format; ROC-AUC against scikit-learn's), TRLS on the same
record (class probabilities), SpecAR-Net on an MSL telemetry table (.npy),
batch-size invariance, thresholds, outputs, and the refusals.

Usage: check_score_cli.py TFMED DATA_DIR OUT_DIR MODELS_DIR
Exit 77 (skip) when DATA_DIR lacks the WFDB sample or MSL.
"""
import csv
import json
import math
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_check import Checks  # noqa: E402

TFMED, DATA, OUT, MODELS = sys.argv[1:5]
REC = os.path.join(DATA, "wfdb_sample", "100")
MSL = os.path.join(DATA, "msl", "test", "C-2.npy")
for need in (REC + ".atr", MSL):
    if not os.path.exists(need):
        print(f"SKIP: {need} not found (the shared data sets are not on this machine)")
        sys.exit(77)
TSRNET = os.path.join(MODELS, "tsrnet_demo_mitdb.tfm")
TRLS = os.path.join(MODELS, "trls_demo_epilepsy.tfm")
SPECAR = os.path.join(MODELS, "specar_msl_demo.tfm")
FORECAST = os.path.join(MODELS, "specar_etth1_forecast_demo.tfm")
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
os.chdir(OUT)
CHECKS = Checks(TFMED, dict(os.environ))
ok, refused, check, png = CHECKS.ok, CHECKS.refused, CHECKS.check, CHECKS.png

# WFDB beat codes (N L R a V F J A S E j / Q, e n f ...): the standard isqrs set.
BEATS = set(range(1, 14)) | {25, 30, 31, 34, 35, 37, 38}
SYMBOL = {1: "N", 2: "L", 3: "R", 4: "a", 5: "V", 6: "F", 7: "J", 8: "A", 9: "S", 10: "E",
          11: "j", 12: "/", 13: "Q", 25: "e", 30: "f", 31: "Q", 34: "n", 35: "r", 37: "B",
          38: "?"}


def mit_annotations(path):
    """(sample, code) of every annotation in a MIT-format annotation file."""
    data, out, t, i = open(path, "rb").read(), [], 0, 0
    while i + 2 <= len(data):
        word = struct.unpack_from("<H", data, i)[0]
        i += 2
        code, value = word >> 10, word & 0x3FF
        if code == 0 and value == 0:
            break
        if code == 59:  # SKIP: a 32-bit interval, high word first
            hi, lo = struct.unpack_from("<HH", data, i)
            i += 4
            t += (hi << 16) | lo
        elif code == 63:  # AUX: value bytes, padded to even
            i += value + (value & 1)
        elif code in (60, 61, 62):  # NUM, SUB, CHN
            pass
        else:
            t += value
            out.append((t, code))
    return out


def rows(path):
    return list(csv.DictReader(open(path)))


# 1. TSRNet on the first 120 s of record 100: 12 windows of 10 s at 500 Hz.
text = ok("score tsrnet", "score", TSRNET, REC, "--channels", "MLII", "--to", 120,
          "--threads", 2, "--csv", "t.csv", "--json", "t.json", "--plot", "t.png")
if os.path.exists("t.json"):
    j = json.load(open("t.json"))
    check("tsrnet summary", (j["kind"], j["task"], j["channels"], j["rate"], j["input_rate"],
                             j["resampled"], j["window"], j["hop"], j["windows"]) ==
          ("tsrnet", "anomaly_detection", ["MLII"], 500.0, 360.0, True, 5000, 5000, 12), j)
    r = rows("t.csv")
    check("csv rows", len(r) == 12 and [float(x["start_s"]) for x in r] ==
          [10.0 * i for i in range(12)], [x["start_s"] for x in r])
    # Window labels and beat counts from the annotations, read independently.
    ann = mit_annotations(REC + ".atr")
    beats = [0] * 12
    abnormal = [0] * 12
    for s, code in ann:
        k = int(s / 360.0 // 10)
        if code in BEATS and k < 12:
            beats[k] += 1
            abnormal[k] |= SYMBOL.get(code) != "N"
    check("beats per window", [int(x["beats"]) for x in r] == beats,
          ([x["beats"] for x in r], beats))
    check("abnormal windows", [int(x["abnormal"]) for x in r] == abnormal and
          j["abnormal_windows"] == sum(abnormal), ([x["abnormal"] for x in r], abnormal))
    scores = [float(x["score"]) for x in r]
    check("scores finite", all(math.isfinite(s) and s > 0 for s in scores), scores)
    thr = j["threshold"]
    check("alarms above the card's threshold",
          [int(x["alarm"]) for x in r] == [int(s > thr) for s in scores] and
          j["alarms"] == sum(s > thr for s in scores), (thr, scores))
    if sum(abnormal) not in (0, 12):
        from sklearn.metrics import roc_auc_score
        want = roc_auc_score(abnormal, scores)
        check("ROC-AUC as scikit-learn's", abs(j["roc_auc"] - want) < 1e-9, (j["roc_auc"], want))
    check("plot", png("t.png"), text)
# One window per engine call gives the same CSV; a threshold moves only the alarms.
ok("score tsrnet --batch 1", "score", TSRNET, REC, "--channels", "MLII", "--to", 120,
   "--threads", 2, "--batch", 1, "--csv", "t1.csv")
if os.path.exists("t.csv") and os.path.exists("t1.csv"):
    check("batch invariance", open("t.csv").read() == open("t1.csv").read())
for thr, want in ((0, 12), (1e9, 0)):
    ok(f"score --threshold {thr}", "score", TSRNET, REC, "--channels", "MLII", "--to", 120,
       "--threads", 2, "--threshold", thr, "--json", "thr.json")
    if os.path.exists("thr.json"):
        check(f"alarms at threshold {thr}", json.load(open("thr.json"))["alarms"] == want)
# --hop: overlapping windows, starts every 5 s.
ok("score --hop 5", "score", TSRNET, REC, "--channels", "MLII", "--from", 30, "--to", 60,
   "--hop", 5, "--threads", 2, "--csv", "h.csv")
if os.path.exists("h.csv") and os.path.exists("t.csv"):
    h = rows("h.csv")
    check("hop 5 s from 30 s", [float(x["start_s"]) for x in h] == [30, 35, 40, 45, 50], h)

# 2. TRLS (one channel at 173.61 Hz, windows of 178 samples): class per window.
ok("score trls", "score", TRLS, REC, "--channels", "MLII", "--to", 60, "--threads", 2,
   "--json", "c.json", "--csv", "c.csv", "--plot", "c.png")
if os.path.exists("c.json"):
    j = json.load(open("c.json"))
    names = list(j["classes"])
    n = int(60 * 173.61) // 178
    check("trls windows", j["task"] == "classification" and j["windows"] == n and
          sum(j["classes"].values()) == n, (j["windows"], n, j["classes"]))
    for w in j["per_window"]:
        p = w["probabilities"]
        if not (abs(sum(p) - 1) < 1e-5 and w["label"] == names[w["class"]] and
                p[w["class"]] == max(p)):
            check("trls decision", False, w)
            break
    check("trls plot", png("c.png"))

# 3. SpecAR-Net on an MSL telemetry table (.npy, 55 unnamed columns in the
#    model's order): 20 windows of 100 steps; alarms where a point's energy
#    exceeds the card's threshold.
ok("score specar", "score", SPECAR, MSL, "--threads", 2, "--json", "s.json", "--csv", "s.csv")
ok("score specar --batch 1", "score", SPECAR, MSL, "--threads", 2, "--batch", 1, "--csv", "s1.csv")
if os.path.exists("s.json") and os.path.exists("s1.csv"):
    j = json.load(open("s.json"))
    r, r1 = rows("s.csv"), rows("s1.csv")
    check("specar windows", (j["kind"], j["task"], j["windows"], j["window"]) ==
          ("specar", "anomaly_detection", 20, 100), j)
    check("specar alarms", all(int(x["alarm"]) == int(int(x["points_above"]) > 0) for x in r) and
          j["alarms"] == sum(int(x["alarm"]) for x in r), r)
    check("specar energies", all(float(x["energy_max"]) >= float(x["energy_mean"]) > 0
                                 for x in r), r)
    diff = max(abs(float(a["energy_mean"]) - float(b["energy_mean"])) /
               float(a["energy_mean"]) for a, b in zip(r, r1))
    check("specar batch invariance (1e-4)", len(r1) == 20 and diff < 1e-4, diff)

# 4. Refusals, each before any output is written.
refused("a forecasting model", "predicts values", "score", FORECAST, MSL, "--csv", "no1.csv")
refused("channels the record lacks", "expected the model's channel(s) MLII?", "score", TSRNET,
        REC, "--csv", "no2.csv")
refused("an unknown channel", "'V7' is not a channel", "score", TSRNET, REC, "--channels", "V7")
refused("two channels for a one-lead model", "takes 1 channel(s), found 2", "score", TSRNET,
        REC, "--channels", "MLII,V5")
refused("a span shorter than a window", "fewer than one window", "score", TSRNET, REC,
        "--channels", "MLII", "--to", 5, "--csv", "no3.csv")
refused("--from past the end", "past the end", "score", TSRNET, REC, "--channels", "MLII",
        "--from", 4000)
refused("--rate for a WFDB record", "only for .csv/.npy", "score", TSRNET, REC, "--channels",
        "MLII", "--rate", 250)
refused("an output folder that does not exist", "does not exist", "score", TSRNET, REC,
        "--channels", "MLII", "--csv", "missing/dir/x.csv")
check("no output after a refusal", not any(os.path.exists(f) for f in
                                           ("no1.csv", "no2.csv", "no3.csv")))
CHECKS.finish("tfmed score")
