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

# WFDB beat codes (WFDB's isqrs): N L R a V F J A S E j / Q (1-13), B (25),
# ? (30), ! (31), e (34), n (35), f (38), r (41). N is code 1.
BEATS = set(range(1, 14)) | {25, 30, 31, 34, 35, 38, 41}


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
    check("tsrnet: the record's own rate", j["input_rate_source"] == "file", j)
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
            abnormal[k] |= code != 1
    check("beats per window", [int(x["beats"]) for x in r] == beats,
          ([x["beats"] for x in r], beats))
    check("abnormal windows", [int(x["abnormal"]) for x in r] == abnormal and
          j["abnormal_windows"] == sum(abnormal), ([x["abnormal"] for x in r], abnormal))
    scores = [float(x["score"]) for x in r]
    check("scores finite", all(math.isfinite(s) and s > 0 for s in scores), scores)
    thr = CHECKS.card(TSRNET)["scoring"]["threshold"]
    check("the card's threshold", j["threshold"] == thr, (j["threshold"], thr))
    check("ROC-AUC over every scored window, none flagged",
          (j["roc_auc_windows"], j["abnormal_windows_unscored"]) == (len(r), 0), j)
    check("alarms above the card's threshold",
          [int(x["alarm"]) for x in r] == [int(s > thr) for s in scores] and
          j["alarms"] == sum(s > thr for s in scores), (thr, scores))
    if sum(abnormal) not in (0, 12):
        from sklearn.metrics import roc_auc_score
        want = roc_auc_score(abnormal, scores)
        check("ROC-AUC as scikit-learn's", abs(j["roc_auc"] - want) < 1e-9, (j["roc_auc"], want))
    check("plot", png("t.png"), text)
    check("the gate's reason column, empty where scored",
          all(x["reason"] == "" for x in r if x["status"] == "ok"), r)
# A window the quality gate flags says why: the short reason in the CSV, its
# figures in the JSON (before: only "poor_quality").
import random  # noqa: E402
rng = random.Random(5)
with open("noise.csv", "w") as f:
    f.write("MLII\n" + "".join(f"{rng.gauss(0, 0.5):.5f}\n" for _ in range(10000)))
ok("score white noise", "score", TSRNET, "noise.csv", "--channels", "MLII", "--rate", 500,
   "--threads", 2,
   "--csv", "noise_s.csv", "--json", "noise_s.json")
if os.path.exists("noise_s.csv"):
    r = rows("noise_s.csv")
    check("noise: poor_quality, reason lead 0 inconsistent_beats+out_of_band",
          len(r) == 2 and all(x["status"] == "poor_quality" and
                              x["reason"].startswith("lead 0: ") and
                              "inconsistent_beats" in x["reason"] and "out_of_band" in x["reason"]
                              for x in r), r)
    ws = json.load(open("noise_s.json"))["per_window"]
    check("noise: the JSON gives the figures",
          len(ws) == 2 and all(x["reason"] == y["reason"] and
                               x["detail"].startswith("lead 0: ") and
                               "beats do not repeat: match 0." in x["detail"] and
                               "% of power in 1-25 Hz < 50%" in x["detail"]
                               for x, y in zip(ws, r)), ws)
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
    h, t = rows("h.csv"), rows("t.csv")
    check("hop 5 s from 30 s", [float(x["start_s"]) for x in h] == [30, 35, 40, 45, 50], h)
    # Windows at 30, 40 and 50 s are those of the run from 0 s: the span is
    # resampled from the whole record (30 s is sample 10,800, a multiple of
    # the 25/18 factor's 18), so they score exactly alike.
    if len(h) == 5:
        same = [h[k]["score"] == t[3 + k // 2]["score"] for k in (0, 2, 4)]
        check("hop windows score as the windows of the whole run", all(same),
              [(h[k]["score"], t[3 + k // 2]["score"]) for k in (0, 2, 4)])
# A hop that is no whole number of samples is rounded, and said so.
text = ok("score --hop 0.003 (1.5 samples)", "score", TSRNET, REC, "--channels", "MLII",
          "--from", 30, "--to", 40.008, "--hop", 0.003, "--threads", 2, "--json", "h3.json")
check("rounded hop reported", "not a whole number of samples at 500 Hz: windows every 2 "
      "samples (0.004 s)" in text, text)
if os.path.exists("h3.json"):
    j = json.load(open("h3.json"))
    check("rounded hop used", (j["hop"], j["windows"]) == (2, 3), (j["hop"], j["windows"]))

# 2. TRLS (one channel at 173.61 Hz, windows of 178 samples): class per window.
ok("score trls", "score", TRLS, REC, "--channels", "MLII", "--to", 60, "--threads", 2,
   "--json", "c.json", "--csv", "c.csv", "--plot", "c.png")
if os.path.exists("c.json"):
    j = json.load(open("c.json"))
    names = CHECKS.card(TRLS)["classes"]
    check("class names in the model's order", j["class_names"] == names, j["class_names"])
    n = int(60 * 173.61) // 178
    check("trls windows", j["task"] == "classification" and j["windows"] == n and
          sum(j["classes"].values()) == n, (j["windows"], n, j["classes"]))
    # 360 -> 173.61 Hz is resampled by the nearest ratio with q <= 1000,
    # 163/338: the samples are at 173.609467 Hz and the window times follow
    # them (at the nominal rate they drifted 5.5 ms over 30 min).
    reached = 360 * 163 / 338
    check("the rate reached, and times at it",
          abs(j["rate"] - reached) < 1e-9 and
          abs(j["per_window"][1]["start"] - 178 / reached) < 1e-9, (j["rate"], j["per_window"][1]))
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
stext = ok("score specar", "score", SPECAR, MSL, "--threads", 2, "--json", "s.json", "--csv",
           "s.csv")
ok("score specar --batch 1", "score", SPECAR, MSL, "--threads", 2, "--batch", 1, "--csv", "s1.csv")
if os.path.exists("s.json") and os.path.exists("s1.csv"):
    j = json.load(open("s.json"))
    r, r1 = rows("s.csv"), rows("s1.csv")
    thr = CHECKS.card(SPECAR)["scoring"]["threshold"]
    check("specar windows", (j["kind"], j["task"], j["windows"], j["window"], j["threshold"],
                             j["unscored_tail"]) ==
          ("specar", "anomaly_detection", 20, 100, thr, 51), j)
    # A table states no rate: the report says which one the windows' times use.
    rate = CHECKS.card(SPECAR)["signal"]["sample_rate"]
    want = "assumed" if rate > 0 else "unknown"
    check("specar: the table's rate, assumed or unknown, said so",
          j["input_rate_source"] == want and "give --rate" in stext, (j, stext))
    check("specar alarms: the largest point energy above the card's threshold",
          all(int(x["alarm"]) == int(float(x["score"]) > thr) ==
              int(int(x["points_above"]) > 0) for x in r) and
          j["alarms"] == sum(int(x["alarm"]) for x in r) and 0 < j["alarms"] < 20, r)
    check("specar energies", all(float(x["score"]) >= float(x["energy_mean"]) > 0 for x in r), r)
    diff = max(abs(float(a["score"]) - float(b["score"])) / float(a["score"])
               for a, b in zip(r, r1))
    check("specar batch invariance (1e-4)", len(r1) == 20 and diff < 1e-4, diff)
# A window scores as it does in the whole run when --from cuts the span: only
# the recording's first window takes the largest energy over all its points,
# later ones over their newest hop (the span's first window took all of its).
ok("score specar --hop 50", "score", SPECAR, MSL, "--threads", 2, "--hop", 50, "--csv", "sh.csv")
ok("score specar --hop 50 --from 100", "score", SPECAR, MSL, "--threads", 2, "--hop", 50,
   "--from", 100, "--to", 400, "--csv", "shf.csv")
if os.path.exists("sh.csv") and os.path.exists("shf.csv"):
    whole = {float(x["start_s"]): float(x["score"]) for x in rows("sh.csv")}
    part = [(float(x["start_s"]), float(x["score"])) for x in rows("shf.csv")]
    worst = max(abs(s - whole[t]) / abs(whole[t]) for t, s in part)
    check("--from: windows score as in the whole run (1e-4)",
          [t for t, _ in part] == [100, 150, 200, 250, 300] and worst < 1e-4, (part, worst))

# 4. A CSV table (two numeric columns, one NaN sample) at --rate, channels by
#    name or index: the NaN window is reported, not scored.
with open("x.csv", "w") as f:
    f.write("a,b\n")
    for i in range(2000):
        v = "nan" if i == 500 else f"{math.sin(2 * math.pi * 7 * i / 173.61):.6f}"
        f.write(f"{i},{v}\n")
for ch, name in (("b", "xb"), ("1", "x1")):
    ok(f"score a CSV --channels {ch}", "score", TRLS, "x.csv", "--rate", 173.61, "--channels", ch,
       "--threads", 2, "--csv", f"{name}.csv", "--json", f"{name}.json")
if os.path.exists("xb.json") and os.path.exists("x1.csv"):
    j = json.load(open("xb.json"))
    r = rows("xb.csv")
    check("csv windows", (j["windows"], j["scored"], j["unscored_tail"]) == (11, 10, 2000 - 11 * 178),
          j)
    check("the NaN window", (r[2]["status"], r[2]["class"]) == ("non_finite", "-1") and
          all(x["status"] == "ok" for k, x in enumerate(r) if k != 2), r[2])
    check("a channel by index as by name", open("xb.csv").read() == open("x1.csv").read())
refused("a channel index out of range", "index 2 is out of range", "score", TRLS, "x.csv",
        "--rate", 173.61, "--channels", 2)
# A window whose channel holds one value throughout (a lead off) is flagged
# 'flat' and not classified, as the tfrnn_encoder block does.
with open("flat.csv", "w") as f:
    f.write("b\n")
    for i in range(2000):
        v = 0.0 if 356 <= i < 534 else math.sin(2 * math.pi * 7 * i / 173.61)
        f.write(f"{v:.6f}\n")
ok("score a flat window", "score", TRLS, "flat.csv", "--rate", 173.61, "--channels", "b",
   "--threads", 2, "--csv", "flat_out.csv")
if os.path.exists("flat_out.csv"):
    r = rows("flat_out.csv")
    check("the flat window", [x["status"] for x in r[:4]] == ["ok", "ok", "flat", "ok"] and
          r[2]["class"] == "-1", r[:4])
refused("a channel name twice", "--channels: expected each channel once, found 'b' in places 1 "
        "and 2", "score", TRLS, "x.csv", "--rate", 173.61, "--channels", "b,b")
refused("a channel twice", "--channels: expected each channel once, found channel b in places 1 "
        "and 2 ('1')", "score", TRLS, "x.csv", "--rate", 173.61, "--channels", "b,1")
# A hop past the window (1.03 s) skips the samples between windows: counted
# and said (5 gaps of 347 - 178 samples), not dropped without a word.
text = ok("score --hop past the window", "score", TRLS, "x.csv", "--rate", 173.61, "--channels",
          "b", "--hop", 2, "--threads", 2, "--json", "gap.json")
if os.path.exists("gap.json"):
    j = json.load(open("gap.json"))
    check("samples between windows", (j["windows"], j["hop"], j["unscored_between"]) ==
          (6, 347, 5 * (347 - 178)), j)
    check("the gap said", "skips 845 samples between windows" in text, text)
# A one-column table as pandas writes it: the missing sample is a blank line.
# It stays a sample (NaN), so the windows after it keep their times.
with open("y.csv", "w") as f:
    f.write("b\n")
    for i in range(2000):
        f.write("\n" if i == 500 else f"{math.sin(2 * math.pi * 7 * i / 173.61):.6f}\n")
ok("score a one-column CSV with a blank line", "score", TRLS, "y.csv", "--rate", 173.61,
   "--channels", "b", "--threads", 2, "--csv", "y_out.csv")
if os.path.exists("y_out.csv") and os.path.exists("xb.csv"):
    check("a blank line is the missing sample", open("y_out.csv").read() == open("xb.csv").read())
# Without a header, a blank first line is the first (missing) sample too.
vals = [f"{math.sin(2 * math.pi * 7 * i / 173.61):.6f}" for i in range(1, 2000)]
open("zh.csv", "w").write("b\n\n" + "\n".join(vals) + "\n")
open("zn.csv", "w").write("\n" + "\n".join(vals) + "\n")
for name in ("zh", "zn"):
    ok(f"score {name}.csv", "score", TRLS, f"{name}.csv", "--rate", 173.61, "--channels", 0,
       "--threads", 2, "--csv", f"{name}_out.csv")
if os.path.exists("zh_out.csv") and os.path.exists("zn_out.csv"):
    z = rows("zn_out.csv")
    check("a headerless blank first line is a sample",
          open("zh_out.csv").read() == open("zn_out.csv").read() and
          len(z) == 11 and z[0]["status"] == "non_finite", z[:2])
# A header that is not UTF-8 (Latin-1 "µ"): the JSON replaces it; nothing is
# left half-written.
open("latin.csv", "wb").write(b"a,b\xb5\n" + open("x.csv", "rb").read().split(b"\n", 1)[1])
ok("score a CSV with a Latin-1 header", "score", TRLS, "latin.csv", "--rate", 173.61,
   "--channels", 1, "--threads", 2, "--csv", "latin_out.csv", "--json", "latin.json")
if os.path.exists("latin.json"):
    check("the Latin-1 name replaced in the JSON",
          json.load(open("latin.json"))["channels"] == ["b\ufffd"],
          json.load(open("latin.json"))["channels"])
refused("--normal for a table without annotations", "holds no beat annotations", "score", TRLS,
        "x.csv", "--rate", 173.61, "--channels", "b", "--normal", "N,L", "--csv", "no4.csv")
# Times in the CSV keep their digits far into a recording.
ok("score from 1000 s, every sample", "score", TRLS, REC, "--channels", "MLII", "--from", 1000,
   "--to", 1001.1, "--hop", 1 / 173.61, "--threads", 2, "--csv", "late.csv", "--json",
   "late.json")
if os.path.exists("late.csv") and os.path.exists("late.json"):
    r, j = rows("late.csv"), json.load(open("late.json"))
    starts = [float(x["start_s"]) for x in r]
    check("late windows", len(r) == j["windows"] > 1, len(r))
    check("CSV start times as the JSON's (1e-6 s), all distinct",
          len(set(starts)) == len(starts) and
          max(abs(a - w["start"]) for a, w in zip(starts, j["per_window"])) < 1e-6,
          starts[:4])

# 5. Refusals, each before any output is written.
# A directory or another kind of file named the readers without the tables;
# an empty --csv was taken as none (exit 0); hexadecimal seconds were read.
os.makedirs("adir", exist_ok=True)
refused("a directory", "expected a WFDB record (.hea or its name), an EDF/BDF file or a table "
        "(.csv, .npy), found 'adir' (a directory)", "score", TSRNET, "adir")
refused("an empty --csv", "--csv: expected a value, found an empty one", "score", TSRNET, REC,
        "--csv", "")
refused("hexadecimal seconds", "--hop: expected a decimal number, found '0x10'", "score",
        TSRNET, REC, "--hop", "0x10")
refused("an octal-looking integer", "--batch: expected a decimal number, found '010'", "score",
        TSRNET, REC, "--batch", "010")
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
refused("a hop under one sample", "expected at least one sample", "score", TSRNET, REC,
        "--channels", "MLII", "--hop", 0.0001)
refused("a hop of half a sample", "expected at least one sample", "score", TSRNET, REC,
        "--channels", "MLII", "--hop", 0.001)
refused("--to past the end", "leave --to out", "score", TSRNET, REC, "--channels", "MLII",
        "--from", 1790, "--to", 99999, "--csv", "no5.csv")
refused("an unknown device", "expected auto, cpu, cuda or cuda:N, found 'banana'", "score",
        TSRNET, REC, "--channels", "MLII", "--device", "banana", "--csv", "no7.csv")
refused("an unknown --normal symbol", "expected WFDB beat symbols", "score", TSRNET, REC,
        "--channels", "MLII", "--normal", "N,XYZ", "--csv", "no6.csv")
refused("a threshold for a classifier", "a threshold is for anomaly models", "score", TRLS, REC,
        "--channels", "MLII", "--threshold", 0.5)
refused("the quality gate of a SpecAR-Net model", "only TSRNet models", "score", SPECAR, MSL,
        "--no-quality-gate")
check("no output after a refusal", not any(os.path.exists(f) for f in
                                           ("no1.csv", "no2.csv", "no3.csv", "no4.csv",
                                            "no5.csv", "no6.csv", "no7.csv")))


# An EDF whose signals have two rates (as Sleep-EDF: EEG beside slow
# channels): a Recording holds one rate, so the chosen signals are read
# (--channels), else those at the first signal's rate, the others named.
def edf(path, signals, records):
    """signals: (label, samples per 1-s record); digital = physical, int16."""
    f = lambda v, n: str(v).ljust(n)[:n]
    ns = len(signals)
    h = f(0, 8) + f("X", 80) + f("X", 80) + f("01.01.00", 8) + f("00.00.00", 8)
    h += f(256 * (1 + ns), 8) + f("", 44) + f(records, 8) + f(1, 8) + f(ns, 4)
    for width, vals in ((16, [l for l, _ in signals]), (80, [""] * ns), (8, ["uV"] * ns),
                        (8, [-32768] * ns), (8, [32767] * ns), (8, [-32768] * ns),
                        (8, [32767] * ns), (80, [""] * ns), (8, [n for _, n in signals]),
                        (32, [""] * ns)):
        h += "".join(f(v, width) for v in vals)
    data = b"".join(struct.pack(f"<{n}h", *range(r * n, r * n + n))
                    for r in range(records) for _, n in signals)
    open(path, "wb").write(h.encode("ascii") + data)


edf("mixed.edf", [("EEG", 4), ("Resp", 2)], 10)
text = ok("plot the slow signal of a mixed-rate EDF", "data", "plot", "mixed.edf", "--channels",
          1, "-o", "resp.png")
check("the slow signal alone, at its rate", "1 channel(s), 0.000..10.000 s" in text, text)
text = ok("plot a mixed-rate EDF without --channels", "data", "plot", "mixed.edf", "-o",
          "eeg.png")
check("the other rate named as left out", "left out: Resp (2" in text, text)
text = ok("inspect a mixed-rate EDF", "data", "inspect", "mixed.edf")
check("inspect: kind, per-signal ranges", "EDF file mixed.edf: 10 records of 1 s" in text and
      "4 Hz  40 samples  range 0 .. 39" in text and "2 Hz  20 samples  range 0 .. 19" in text,
      text)
# An output that is an input, or another output, is refused before any work.
shutil.copy(TSRNET, "own.tfm")
before = open("own.tfm", "rb").read()
refused("score --json onto the model", "expected an output other than the input", "score",
        "own.tfm", REC, "--channels", "MLII", "--json", "own.tfm")
refused("score --csv onto --json", "expected an output other than the output", "score",
        "own.tfm", REC, "--channels", "MLII", "--csv", "same.out", "--json", "same.out")
refused("eval --json onto the model", "expected an output other than the input", "eval",
        "tsrnet", "own.tfm", "--json", "own.tfm")
refused("train --json onto -o", "expected an output other than the output", "train", "specar",
        "--preset", "jv", "-o", "t.tfm", "--json", "t.tfm")
refused("data plot onto its recording", "expected an output other than the input", "data",
        "plot", "mixed.edf", "-o", "mixed.edf")
check("the refused outputs left the inputs as they were",
      open("own.tfm", "rb").read() == before and not os.path.exists("same.out")
      and not os.path.exists("t.tfm"))
refused("a channel index past the signals", "channel 2 out of range: expected 0..1", "data",
        "plot", "mixed.edf", "--channels", 2, "-o", "x.png")
# score --channels by index on an EDF: an index into the file's signals (the
# chosen signals were indexed a second time: 1 gave A, 2 was refused).
edf("three.edf", [("A", 174), ("B", 174), ("C", 174)], 12)
for ch, want in (("1", ["B"]), ("2", ["C"]), ("C", ["C"])):
    ok(f"score an EDF --channels {ch}", "score", TRLS, "three.edf", "--channels", ch,
       "--threads", 2, "--json", f"three{ch}.json", "--csv", f"three{ch}.csv")
    if os.path.exists(f"three{ch}.json"):
        got = json.load(open(f"three{ch}.json"))["channels"]
        check(f"EDF --channels {ch}: the file's signal", got == want, got)
if os.path.exists("three2.csv") and os.path.exists("threeC.csv"):
    check("an EDF signal by index as by name", open("three2.csv").read() == open("threeC.csv").read())
# The outputs may not be the record's own files (annotations, signals).
for ext in ("dat", "atr"):
    shutil.copy(REC + "." + ext, "rec2." + ext)
hea = open(REC + ".hea").read().split("\n")
first = next(i for i, l in enumerate(hea) if l.strip() and not l.startswith("#"))
hea[first] = "rec2" + hea[first][len("100"):]  # the record line names the record
open("rec2.hea", "w").write("\n".join(l.replace("100.dat", "rec2.dat") for l in hea))
sums = {e: open("rec2." + e, "rb").read() for e in ("hea", "dat", "atr")}
refused("score --csv onto the record's annotations", "expected an output other than the input",
        "score", TSRNET, "rec2", "--channels", "MLII", "--csv", "rec2.atr")
refused("score --json onto the record's signals", "expected an output other than the input",
        "score", TSRNET, "rec2.hea", "--channels", "MLII", "--json", "rec2.dat")
check("the record's files as they were",
      all(open("rec2." + e, "rb").read() == sums[e] for e in sums))
# ... while an output named after the record is no file of it: written, and
# written again by a second run.
for k in (1, 2):
    ok(f"score into rec2.scores.csv, run {k}", "score", TSRNET, "rec2", "--channels", "MLII",
       "--to", 20, "--threads", 2, "--csv", "rec2.scores.csv")
CHECKS.finish("tfmed score")
