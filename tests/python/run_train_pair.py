#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The training graph and its live twin, as a user runs them: compile
examples/train_tsrnet_headless.grc and examples/ecg_anomaly_headless.grc with
grcc, train a smoke-sized TSRNet on 4 minutes of MIT-BIH record 100 in the
first, then score 20 s of record 208 with the model file it wrote in the
second.

Usage: run_train_pair.py EXAMPLES_DIR OUTDIR TFMED_BIN
"""
import importlib.util
import inspect
import json
import os
import subprocess
import sys

import numpy as np


def load(grc, outdir):
    stem = os.path.splitext(os.path.basename(grc))[0]
    res = subprocess.run(["grcc", "-o", outdir, grc], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"grcc failed on {grc}:\n{res.stdout}\n{res.stderr}")
    spec = importlib.util.spec_from_file_location(stem, os.path.join(outdir, stem + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from gnuradio import gr
    return [c for _, c in inspect.getmembers(mod, inspect.isclass)
            if issubclass(c, gr.top_block) and c.__module__ == stem][0]


def main():
    examples, outdir, tfmed_bin = sys.argv[1:4]
    os.makedirs(outdir, exist_ok=True)
    data = os.environ.get("TFMED_DATA_DIR", "../shared/data")
    record = os.path.join(data, "wfdb_sample", "100")
    if not os.path.exists(record + ".hea"):
        print(f"SKIP: needs {record}.hea (the shared data sets are not here)")
        sys.exit(77)
    model = os.path.join(outdir, "trained.tfm")
    for f in (model, model + ".ckpt"):
        if os.path.exists(f):
            os.remove(f)

    train = load(os.path.join(examples, "train_tsrnet_headless.grc"), outdir)
    tb = train(record=record, nsamples=360 * 240, outfile=model, epochs=2, width=4, d_model=8)
    tb.start()
    tb.wait()
    if not os.path.exists(model):
        sys.exit("the training graph wrote no model file")
    info = subprocess.run([tfmed_bin, "info", model], capture_output=True, text=True, check=True)
    card = json.loads(info.stdout.split("\nweights:")[0])
    assert card["model"] == "tsrnet" and card["signal"]["sample_rate"] == 500, card
    assert card["data"]["source"] == "flowgraph", card["data"]
    assert card["training"]["epochs_done"] == 2, card["training"]
    assert card["scoring"]["threshold"] > 0, card["scoring"]
    print(f"training graph: {card['data']['windows']} windows, "
          f"{card['training']['train_examples']} trained on, threshold "
          f"{card['scoring']['threshold']:.4f}")

    live = load(os.path.join(examples, "ecg_anomaly_headless.grc"), outdir)
    scores_file = os.path.join(outdir, "pair_scores.f32")
    tb = live(nsamples=7200, outfile=scores_file, model=model)
    tb.start()
    tb.wait()
    scores = np.fromfile(scores_file, np.float32)
    # 20 s at 360 Hz -> ~27,750 samples at 500 Hz: windows at 0, 5, 10 s.
    if len(scores) < 2 or not np.isfinite(scores).any():
        sys.exit(f"the live graph gave no scores with the trained model: {scores}")
    print(f"live graph: {len(scores)} scores with the trained model: {scores}")


if __name__ == "__main__":
    main()
