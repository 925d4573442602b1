#!/usr/bin/python3
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tables of scripts/eval_specar.sh's results (Markdown), beside the paper's."""
import glob
import json
import os
import re
import statistics
import sys

out = sys.argv[1]


def denull(v):
    """The C++ writes a non-finite figure as null: read it as NaN (printed "nan")."""
    if v is None:
        return float("nan")
    if isinstance(v, dict):
        return {k: denull(x) for k, x in v.items()}
    if isinstance(v, list):
        return [denull(x) for x in v]
    return v


ev = {os.path.basename(p)[:-len(".eval.json")]: denull(json.load(open(p)))
      for p in glob.glob(f"{out}/*.eval.json")}


def ms(v, scale=1.0, fmt="{:.1f}", count=True):
    """Mean ± sample std of v (times scale), with "(n=...)" unless count is False."""
    v = [x * scale for x in v]
    if not v:
        return "-"
    if len(v) == 1:
        return fmt.format(v[0])
    n = f" (n={len(v)})" if count else ""
    return (fmt + " ± " + fmt).format(statistics.mean(v), statistics.stdev(v)) + n


def epochs(name):
    try:
        return json.load(open(f"{out}/{name}.train.json"))["best_epoch"]
    except (OSError, KeyError):
        return "?"


rows = []
for ds, key, paper in (("JapaneseVowels", "jv", "98.4"), ("BasicMotions", "bm", "-")):
    for p in ("reference", "clean"):
        names = sorted(n for n in ev if re.fullmatch(f"{key}-{p}-\\d+", n))
        if names:
            rows.append(f"| {ds} | {p} | {ms([ev[n]['accuracy'] for n in names], 100)} | "
                        f"{ms([ev[n]['macro_f1'] for n in names], 100)} | {paper} |")
if rows:
    print("| classification | protocol | accuracy % | macro-F1 % | paper accuracy % |")
    print("|---|---|---|---|---|")
    print("\n".join(rows), "\n")

paper_imp = {"etth1": (0.044, 0.061, 0.079, 0.098), "etth2": (0.038, 0.042, 0.047, 0.056)}
rows = []
for d, pp in paper_imp.items():
    for r, p in zip(("0.125", "0.25", "0.375", "0.5"), pp):
        n = f"{d}-impute-{r}"
        if n in ev:
            rows.append(f"| {d.upper().replace('ETTH', 'ETTh')} | {float(r) * 100:g} % | "
                        f"{ev[n]['mse']:.3f} | {ev[n]['mae']:.3f} | {p} |")
if rows:
    print("| imputation | masked | MSE | MAE | paper MSE |")
    print("|---|---|---|---|---|")
    print("\n".join(rows), "\n")

rows = []
for p in ("clean", "reference"):
    # msl-P is seed 668, msl-P-SEED the others (MSL_SEEDS): mean ± std over them
    names = sorted(n for n in ev if re.fullmatch(f"msl-{p}(-\\d+)?", n))
    if not names:
        continue
    for t in [s["threshold_from"] for s in ev[names[0]]["scores"]]:
        sc = [next(s for s in ev[n]["scores"] if s["threshold_from"] == t) for n in names]
        f = lambda k: ms([s[k] for s in sc], 100, "{:.2f}", count=False)
        rows.append(f"| {p} (n={len(sc)}) | {t} | {f('f1')} | {f('pa_precision')} / {f('pa_recall')} / "
                    f"{f('pa_f1')} | 89.97 / 74.87 / 81.72 |")
if rows:
    print("| MSL training protocol | threshold from | F1 % | P / R / F1 % point-adjusted | paper (PA) |")
    print("|---|---|---|---|---|")
    print("\n".join(rows), "\n")

paper_fc = {"etth1": 0.498, "etth2": 0.429}
rows = []
hs_all = ("96", "192", "336", "720")
cell = lambda key, k: f"{ev[key][k]:.3f}" if key in ev else "-"
for d, p in paper_fc.items():
    name = d.replace("etth", "ETTh")
    for h in hs_all:
        if f"{d}-{h}" in ev or f"{d}-{h}-notop" in ev:
            rows.append(f"| {name} | {h} | {cell(f'{d}-{h}', 'mse')} | {cell(f'{d}-{h}', 'mae')} | "
                        f"{cell(f'{d}-{h}-notop', 'mse')} | {cell(f'{d}-{h}-notop', 'mae')} | |")
    avg = lambda suffix: (f"{statistics.mean(ev[f'{d}-{h}{suffix}']['mse'] for h in hs_all):.3f}"
                          if all(f"{d}-{h}{suffix}" in ev for h in hs_all) else "-")
    if avg("") != "-" or avg("-notop") != "-":
        rows.append(f"| {name} | average | {avg('')} | | {avg('-notop')} | | {p} |")
if rows:
    print("| forecasting 96 -> H | H | MSE | MAE | MSE, no TOP loss | MAE, no TOP loss | paper average MSE |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
