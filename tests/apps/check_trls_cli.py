#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""`tfmed train trls` and `tfmed eval trls` at smoke size on the real Bonn EEG
(Epilepsy) and BasicMotions sets: the split sizes each protocol implies, the
model file (card, head, scaling) and its reading by `tfmed info`, k-fold
evaluation with every mode (JSON and figures), resume, and the refusals.

Usage: check_trls_cli.py TFMED DATA_DIR OUT_DIR
Exit 77 (skip) when DATA_DIR lacks the Bonn EEG or UEA sets.
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_check import Checks  # noqa: E402

TFMED, DATA, OUT = sys.argv[1:4]
for need in ("bonn_eeg/epilepsy178/X_int16.npy", "uea/BasicMotions/BasicMotions_TRAIN.ts"):
    if not os.path.exists(os.path.join(DATA, need)):
        print(f"SKIP: {need} not under {DATA} (the shared data sets are not on this machine)")
        sys.exit(77)
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
os.chdir(OUT)
ENV = dict(os.environ, TFMED_DATA_DIR=DATA)
SMALL = ["--threads", "2", "--hidden", "16", "--f-h", "16", "--blocks", "1"]


CHECKS = Checks(TFMED, ENV)
run, ok, refused, check, png = (CHECKS.run, CHECKS.ok, CHECKS.refused, CHECKS.check,
                                 CHECKS.png)
card = CHECKS.card
failures = CHECKS.failures


# 1. Pre-train + linear head on 500 Epilepsy windows (100 seizure, 400 rest):
#    TS-TCC split 20 % test (100), 20 % of the rest validation (80), 320 train.
text = ok("train trls", "train", "trls", "--data", "epilepsy", "--max-windows", 500,
          "--epochs", 2, "--head-epochs", 100, "--head-batch", 64, "--threads", 2, "-o", "e.tfm",
          "--json", "e.json")
if os.path.exists("e.json"):
    j = json.load(open("e.json"))
    check("train windows", j["windows"] == {"train": 320, "val": 80, "test": 100}, j["windows"])
    check("pretrain epochs", j["pretrain_epochs"] == 2, j)
    check("scores in [0, 1]", all(0 <= j[s][m] <= 1 for s in ("val", "test")
                                  for m in ("accuracy", "macro_f1")), j)
    # Two pre-training epochs and a head already beat the majority class (80 %).
    check("linear accuracy above the majority rate", j["test"]["accuracy"] > 0.8, j["test"])
    check("parameters", j["parameters"] > 0, j)
check("summary", "linear evaluation on 100 test windows" in text, text)
check("checkpoint", os.path.exists("e.tfm.ckpt"), "no checkpoint")
info = ok("info", "info", "e.tfm")
for want in ('"model": "trls"', '"num_class": 2', '"kind": "minmax"', "seizure",
             '"window": 178', '"sample_rate": 173.61'):
    check("info shows " + want, want in info, info[:1500])

# Doctor, and the export read by the Python twin with every name and shape.
text = ok("doctor", "doctor", "e.tfm")
check("doctor forward pass", "forward pass     synthetic window: embedding of 320 values, "
      "2 probabilities, all finite" in text, text)
rc, text = run("doctor", "e.tfm.ckpt")
check("doctor on a checkpoint", rc == 1 and "a pre-training checkpoint" in text, text)
ok("export", "export", "e.tfm", "-o", "e.pt")
try:
    import torch
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "reference"))
    import trls_twin as tw
    e_card = json.loads(info[:info.index("\nweights:")])
    a = dict(e_card["architecture"])
    net = tw.TrlsClassifier(tw.TrlsConfig(**a))
    net.load_state_dict(torch.load("e.pt"), strict=True)
    check("twin parameters", tw.count_parameters(net) == e_card["parameters"],
          e_card["parameters"])
except ImportError as e:
    print(f"note: the export is not read back by the twin here ({e})")

# The standardised probe: trained on standardised representations, saved
# folded into a head on raw ones (a wrong fold would miss the majority rate).
text = ok("train trls --probe standardised", "train", "trls", "--data", "epilepsy",
          "--max-windows", 500, "--epochs", 2, "--head-epochs", 100, "--head-batch", 64,
          "--threads", 2, "--probe", "standardised", "-o", "s.tfm", "--json", "s.json")
if os.path.exists("s.json"):
    check("standardised probe above the majority rate",
          json.load(open("s.json"))["test"]["accuracy"] > 0.8, open("s.json").read())
    check("probe on the card", card("s.tfm")["metrics"]["probe"] == "standardised", "probe")

# Fine-tuning instead of the linear head: 300 windows -> 60 test.
# The head starts as the standardised probe (LP-FT).
text = ok("train trls --head finetune", "train", "trls", "--data", "epilepsy", "--max-windows", 300,
          "--epochs", 1, "--head", "finetune", "--finetune-start", "probe", "--head-epochs", 2,
          *SMALL, "-o", "ft.tfm")
check("fine-tuned summary", "fine-tuned on 60 test windows" in text, text)
if os.path.exists("ft.tfm"):
    m = card("ft.tfm")["metrics"]
    check("fine-tuned card", m["protocol"].startswith("fine-tuned") and
          m["probe"] == "standardised (the LP-FT start)", m)

# 2. Resume: the checkpoint continues to a third epoch; other data is refused.
ok("resume", "train", "trls", "--data", "epilepsy", "--max-windows", 500, "--epochs", 3,
   "--head-epochs", 5, "--threads", 2, "-o", "e.tfm", "--json", "e3.json", "--resume",
   "--allow-changed-settings")
if os.path.exists("e3.json"):
    check("resumed to 3 epochs", json.load(open("e3.json"))["pretrain_epochs"] == 3,
          open("e3.json").read())
refused("--finetune-start with a linear head", "--finetune-start: only with --head finetune",
        "train", "trls", "--data", "epilepsy", "--finetune-start", "probe", "-o", "no.tfm")
refused("--probe when fine-tuning", "--probe: only with --head linear", "train", "trls",
        "--data", "epilepsy", "--head", "finetune", "--probe", "raw", "-o", "no.tfm")
refused("--probe without a linear probe", "--probe: only for the linear probes", "eval", "trls",
        "--data", "epilepsy", "--supervised", "--probe", "standardised")
refused("a label percentage twice", "--finetune: expected each percentage once, found "
        "10 twice", "eval", "trls", "--data", "basicmotions", "--finetune", "10,10")
refused("--finetune-start without --finetune", "--finetune-start: only with --finetune", "eval",
        "trls", "--data", "epilepsy", "--linear", "--finetune-start", "probe")
refused("resume on other data", "differs", "train", "trls", "--data", "epilepsy",
        "--max-windows", 400, "--epochs", 3, "--threads", 2, "-o", "e.tfm", "--resume")
if os.path.exists("e.tfm"):
    # The card names the windows, labels and split by a digest (other data of
    # the same size is refused on resume, not trained on).
    dg = card("e.tfm")["data"].get("digest", "")
    check("data digest", len(dg) == 16 and all(ch in "0123456789abcdef" for ch in dg), dg)

# 3. k-fold evaluation with every mode on BasicMotions (80 cases, 6 channels, no scaling).
text = ok("eval trls", "eval", "trls", "--data", "basicmotions", "--scaling", "none",
          "--folds", 5, "--fold", 2, "--linear", "--finetune", "10,100", "--supervised",
          "--random-init", "--sparsity", 50, "--snr", 0, "--epochs", 1, "--head-epochs", 3, *SMALL,
          "--out-dir", "ev", "--json", "ev.json")
if os.path.exists("ev.json"):
    j = json.load(open("ev.json"))
    f = j["per_fold"]
    check("one fold", len(f) == 1 and f[0]["fold"] == 2, f)
    check("6:2:2 of 80", (f[0]["train"], f[0]["val"], f[0]["test"]) == (48, 16, 16), f[0])
    for mode in ("linear", "finetune_10", "finetune_100", "supervised", "random_init",
                 "linear_sparsity_50", "linear_snr_0", "random_init_sparsity_50",
                 "random_init_snr_0"):
        check("mode " + mode, mode in j["summary"] and j["summary"][mode]["folds"] == 1,
              list(j["summary"]))
    check("pre-trained for the linear probe", j["pretrain_epochs"] == 1, j["pretrain_epochs"])
    check("probe and fine-tuning start recorded",
          (j["probe"], j["finetune_start"]) == ("raw", "random"), j)
    check("architecture from the data", j["architecture"]["channels"] == 6 and
          j["architecture"]["length"] == 100 and j["architecture"]["hop"] == 4, j["architecture"])
# --scaling auto on a multi-channel set is no scaling (TS-TCC's min-max per
# time index is single-channel: 'auto' failed on BasicMotions).
ok("eval trls basicmotions, auto scaling", "eval", "trls", "--data", "basicmotions", "--folds", 5,
   "--fold", 2, "--random-init", "--head-epochs", 1, *SMALL, "--json", "auto.json")
if os.path.exists("auto.json"):
    j = json.load(open("auto.json"))
    check("auto scaling of 6 channels", j["scaling"] == "none", j["scaling"])
    check("one fold has no spread", j["summary"]["random_init"]["accuracy_std"] is None,
          j["summary"])
# The random_init baseline alone: no pre-training runs (its options are
# refused, not ignored), and its probe is the one of the run above.
refused("pre-training options without pre-training", "--lr: a pre-training option; "
        "--supervised and --random-init alone pre-train nothing", "eval", "trls", "--data",
        "basicmotions", "--random-init", "--lr", 0.05)
# It draws no figure: it needs no font (it was refused without one) and
# refuses a figure folder rather than leave it empty.
nofont_ri = Checks(TFMED, dict(ENV, TFMED_FONT=os.path.join(OUT, "no_such_font.ttf")))
nofont_ri.ok("eval trls --random-init without a font", "eval", "trls", "--data", "basicmotions",
             "--scaling", "none", "--folds", 5, "--fold", 2, "--random-init", "--head-epochs", 3,
             *SMALL, "--json", "ri1.json")
failures.extend(nofont_ri.failures)
refused("a figure folder where nothing is drawn", "--out-dir: only where figures are drawn",
        "eval", "trls", "--data", "basicmotions", "--random-init", "--out-dir", "ri")
# A file as the figures' folder: named (it was a std::filesystem message).
open("notafolder", "w").write("x\n")
refused("a file as the figure folder", "--out-dir: expected a folder for the figures, found "
        "'notafolder' (not a folder)", "eval", "trls", "--data", "basicmotions", "--scaling",
        "none", "--folds", 5, "--fold", 2, "--linear", "--epochs", 1, "--head-epochs", 3,
        *SMALL, "--out-dir", "notafolder")
if all(os.path.exists(f) for f in ("ev.json", "ri1.json")):
    r1 = json.load(open("ri1.json"))
    check("random_init only", list(r1["summary"]) == ["random_init"], list(r1["summary"]))
    check("random_init without pre-training",
          "pretrain_val_byol_loss" not in r1["per_fold"][0] and r1["pretrain_epochs"] == 0,
          (r1["per_fold"][0], r1["pretrain_epochs"]))
    same = [r["per_fold"][0]["random_init"] for r in (r1, json.load(open("ev.json")))]
    check("random_init independent of pre-training", same[0] == same[1], same)
# Whole Bonn recordings (23 windows each) per part, and the scaling that goes
# with a clean split (auto: fitted on the training part); TS-TCC's split by
# windows keeps its min-max over all windows (the card of section 1).
ok("eval trls --split recording", "eval", "trls", "--data", "epilepsy", "--split", "recording",
   "--folds", 5, "--fold", 1, "--random-init", "--head-epochs", 2, *SMALL, "--json", "rec.json")
if os.path.exists("rec.json"):
    j = json.load(open("rec.json"))
    f = j["per_fold"][0]
    check("split by recording", (j["split_by"], j["scaling"]) == ("recording", "train") and
          "whole recordings (500) stratified by class" in f["split"], (j["split_by"], f))
    # 100 of the 500 recordings test (20 seizure, 80 other), 100 validate.
    check("recording parts", (f["train"], f["val"], f["test"]) == (6900, 2300, 2300), f)
    check("probe's labelled windows", f["random_init"]["train_windows"] == 6900, f)
if os.path.exists("e.tfm"):
    check("TS-TCC split keeps its scaling", card("e.tfm")["data"].get("scaling") == "all",
          card("e.tfm")["data"])
refused("two folds", "--folds: expected 1 (TS-TCC's split) or 3 .. 20, found 2", "eval", "trls",
        "--data", "epilepsy", "--folds", 2, "--linear", "--out-dir", "f2")
refused("recordings unknown", "--split recording: the windows of this data set do not name "
        "their recording", "eval", "trls", "--data", "ecg5000", "--split", "recording",
        "--random-init", "--head-epochs", 1)
refused("robustness without a linear probe", "expected --linear or --random-init", "eval",
        "trls", "--data", "basicmotions", "--folds", 5, "--fold", 2, "--finetune", 10,
        "--sparsity", 50)
for name in ("trls_basicmotions_embedding.png", "trls_basicmotions_label_fraction.png"):
    check("figure " + name, os.path.exists(os.path.join("ev", name)) and
          png(os.path.join("ev", name)), text)

# 4. The benchmark prints C++ and twin figures (never asserted as times).
text = ok("bench trls", "bench", "trls", "--seconds", 0.2, "--batches", "1,4", "--train-batch",
          4, "--json", "b.json")
if os.path.exists("b.json"):
    j = json.load(open("b.json"))
    check("bench parameters", j["parameters"] == 141894, j)
    check("bench C++ figures", set(j["cpp"]["forward"]) == {"1", "4"} and
          j["cpp"]["train_step_s"] > 0, j)
    check("bench twin figures", isinstance(j["twin"], dict) and
          set(j["twin"]["forward"]) == {"1", "4"} and j["twin"]["parameters"] == 141894, j["twin"])
    check("bench LibTorch-LSTM figures", set(j["cpp_libtorch_lstm"]["forward"]) == {"1", "4"} and
          j["cpp_libtorch_lstm"]["train_step_s"] > 0, j)
check("bench table", "encoder, batch 4" in text and "pre-training step, batch 4" in text and
      "C++ with LibTorch's LSTM in place of the fused recurrence" in text, text)

# A twin whose Python prints a line after its result (a warning at exit):
# the result is still read (the text after it made the bench fail after its
# C++ half).
real = os.path.join(sys.path[0], "..", "reference", "bench_trls_twin.py")  # (this folder)
with open("twin_warns.py", "w") as f:
    f.write("import os, runpy, sys\n"
            f"real = {os.path.abspath(real)!r}\n"
            "sys.path.insert(0, os.path.dirname(real))\n"
            "sys.argv[0] = real\n"
            "try:\n"
            "    runpy.run_path(real, run_name='__main__')\n"
            "finally:\n"
            "    print('UserWarning: a line after the result')\n")
text = ok("bench trls, twin printing after its result", "bench", "trls", "--seconds", 0.1,
          "--batches", "1", "--train-batch", 4, "--twin", "twin_warns.py", "--json", "b2.json")
j = json.load(open("b2.json")) if os.path.exists("b2.json") else {}
check("twin read despite the line after it", isinstance(j.get("twin"), dict) and
      j["twin"].get("parameters") == 141894, j.get("twin"))

# 5. Refusals name what was expected and what was found.
refused("unknown data", "expected epilepsy, epilepsy5, mitdb, ecg5000 or basicmotions, found 'har'",
        "train", "trls", "--data", "har", "-o", "x.tfm")
refused("min-max on 6 channels", "use --scaling none for 6 channels", "train", "trls",
        "--data", "basicmotions", "--scaling", "train", "-o", "x.tfm", "--epochs", 1)
refused("too many scales", "expected at least 64 frames", "train", "trls", "--data", "epilepsy",
        "--scales", 7, "-o", "x.tfm")
refused("bad label percentage", "--finetune", "eval", "trls", "--finetune", "0")
refused("bad probe", "--probe: whitened not in {raw,standardised}", "eval", "trls", "--probe",
        "whitened")
refused("bad fine-tuning start", "--finetune-start", "eval", "trls", "--finetune-start", "zero")
refused("bad fold", "--fold: expected 1 .. 3, found 4", "eval", "trls", "--folds", 3,
        "--fold", 4)
check("no model from refused runs", not os.path.exists("x.tfm"), "x.tfm written")
# Without a font the evaluation's figures cannot be drawn: refused before the
# folds run (and before its figure folder is made), not after them.
nofont = Checks(TFMED, dict(ENV, TFMED_FONT=os.path.join(OUT, "no_such_font.ttf")))
nofont.refused("eval without a font", "nofont_figs: cannot draw the PNG figures here", "eval",
               "trls", "--data", "epilepsy", "--folds", 5, "--fold", 1, "--epochs", 1,
               "--out-dir", "nofont_figs")
failures.extend(nofont.failures)
check("no figure folder from the refused evaluation", not os.path.exists("nofont_figs"),
      "nofont_figs made")

if failures:
    print("\n\n".join(failures))
    sys.exit(1)
print("tfmed train/eval trls: all checks passed")
