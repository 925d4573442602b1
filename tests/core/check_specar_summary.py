#!/usr/bin/env python3
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/specar_summary.py: the README's SpecAR-Net tables from eval JSONs.

    check_specar_summary.py SCRIPT WORKDIR

Writes the JSONs `tfmed eval specar` writes (only the keys the summary reads)
for a few runs of eval_specar.sh's names, then checks the Markdown rows
against means and sample standard deviations computed here by hand.
"""
import json
import os
import shutil
import subprocess
import sys

script, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []


def check(cond, what, got=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(f"{what}: {got}")


def put(name, obj):
    with open(os.path.join(work, name + ".eval.json"), "w") as f:
        json.dump(obj, f)


def msl(f1, pa_f1):
    return {"scores": [
        {"threshold_from": "train", "f1": f1, "pa_precision": 0.9, "pa_recall": 0.8,
         "pa_f1": pa_f1},
        {"threshold_from": "train+test", "f1": f1 / 2, "pa_precision": 0.5, "pa_recall": 0.5,
         "pa_f1": 0.5}]}


# Classification: three seeds of one protocol, mean ± sample std.
for seed, acc in ((1, 0.97), (2, 0.98), (3, 0.96)):
    put(f"jv-reference-{seed}", {"accuracy": acc, "macro_f1": acc - 0.01})
# MSL: seed 668 is msl-P, the others msl-P-SEED; a lone clean run.
put("msl-reference", msl(0.04, 0.868))
put("msl-reference-1", msl(0.05, 0.866))
put("msl-reference-2", msl(0.06, 0.870))
put("msl-clean", msl(0.03, 0.87))
# Forecasting: four horizons give the average; a missing one gives none.
for h, mse in (("96", 0.40), ("192", 0.45), ("336", 0.50), ("720", 0.55)):
    put(f"etth1-{h}-notop", {"mse": mse, "mae": mse - 0.05})
put("etth2-96", {"mse": 0.35, "mae": 0.38})
# A non-finite figure is written as null by the C++: printed as nan.
put("etth1-impute-0.5", {"mse": None, "mae": 0.2})

r = subprocess.run([sys.executable, script, work], capture_output=True, text=True)
check(r.returncode == 0, "the summary runs", r.stderr)
rows = [line.strip() for line in r.stdout.splitlines()]


def has(row, what):
    check(row in rows, what, "\n".join(rows))


has("| JapaneseVowels | reference | 97.0 ± 1.0 (n=3) | 96.0 ± 1.0 (n=3) | 98.4 |",
    "classification: mean ± sample std over three seeds")
check(not any(row.startswith("| JapaneseVowels | clean") for row in rows),
      "no row for a protocol that did not run")
# PA F1 (86.8, 86.6, 87.0): mean 86.80, std 0.20; raw (4, 5, 6): 5.00 ± 1.00.
has("| reference (n=3) | train | 5.00 ± 1.00 | 90.00 ± 0.00 / 80.00 ± 0.00 / 86.80 ± 0.20 "
    "| 89.97 / 74.87 / 81.72 |", "MSL: seeds 668, 1, 2 in one row per threshold")
has("| reference (n=3) | train+test | 2.50 ± 0.50 | 50.00 ± 0.00 / 50.00 ± 0.00 / 50.00 ± 0.00 "
    "| 89.97 / 74.87 / 81.72 |", "MSL: the train+test threshold row")
has("| clean (n=1) | train | 3.00 | 90.00 / 80.00 / 87.00 | 89.97 / 74.87 / 81.72 |",
    "MSL: one seed, no ±")
has("| ETTh1 | average | - | | 0.475 | | 0.498 |", "forecast average over the four horizons")
has("| ETTh1 | 96 | - | - | 0.400 | 0.350 | |", "forecast row without the TOP run")
check(not any(row.startswith("| ETTh2 | average") for row in rows), "no average from one horizon")
has("| ETTh1 | 50 % | nan | 0.200 | 0.098 |", "a null MSE is nan, not a crash")

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
