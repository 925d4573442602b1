#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Mean +- std over the per-fold JSON files of `tfmed eval trls --fold k`
(scripts/eval_trls.sh), as the README's Markdown table.

Usage: trls_summary.py FOLD1.json FOLD2.json ...
"""
import json
import statistics
import sys


def main(paths):
    scores = {}
    for p in paths:
        j = json.load(open(p))
        for fold in j["per_fold"]:
            for mode, v in fold.items():
                if isinstance(v, dict):
                    t = v.get("test", v)
                    if "accuracy" in t:
                        scores.setdefault(mode, []).append((t["accuracy"], t["macro_f1"]))
    print("| mode | accuracy % | macro-F1 % | folds |")
    print("|---|---|---|---|")
    for mode, v in scores.items():
        acc = [100 * a for a, _ in v]
        f1 = [100 * f for _, f in v]
        sd = (lambda x: statistics.stdev(x) if len(x) > 1 else 0.0)
        print(f"| {mode} | {statistics.mean(acc):.2f} ± {sd(acc):.2f} | "
              f"{statistics.mean(f1):.2f} ± {sd(f1):.2f} | {len(v)} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
