#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The SpecAR-Net training graph and its live twin, as a user runs them:
compile examples/train_specar_msl_headless.grc and msl_anomaly_headless.grc
with grcc, train a smoke-sized SpecAR-Net on one MSL channel's training
telemetry in the first, then score that channel's test telemetry with the
model file it wrote in the second: one energy per step, finite, and higher
inside the labelled anomalies than outside for the known channel F-7.

Usage: run_specar_pair.py EXAMPLES_DIR OUTDIR TFMED_BIN
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from run_train_pair import load  # noqa: E402


def main():
    examples, outdir, tfmed_bin = sys.argv[1:4]
    os.makedirs(outdir, exist_ok=True)
    data = os.environ.get("TFMED_DATA_DIR", "../shared/data")
    if not os.path.exists(os.path.join(data, "msl", "train", "F-7.npy")):
        print(f"SKIP: needs {data}/msl (the shared data sets are not here)")
        sys.exit(77)
    model = os.path.join(outdir, "trained.tfm")
    for f in (model, model + ".ckpt"):
        if os.path.exists(f):
            os.remove(f)
    train = load(os.path.join(examples, "train_specar_msl_headless.grc"), outdir)
    tb = train(data_dir=data, channel="F-7", outfile=model, epochs=2, d_model=4, e_layers=1,
               n_fft=16)
    tb.start()
    tb.wait()
    if not os.path.exists(model):
        sys.exit("the training graph wrote no model file")
    info = subprocess.run([tfmed_bin, "info", model], capture_output=True, text=True, check=True)
    card = json.loads(info.stdout.split("\nweights:")[0])
    assert card["architecture"]["task"] == "anomaly_detection", card["architecture"]
    assert card["architecture"]["enc_in"] == 55 and card["architecture"]["seq_len"] == 100
    assert card["data"]["source"] == "flowgraph", card["data"]
    assert card["training"]["epochs_done"] == 2, card["training"]
    assert card["scoring"]["threshold"] > 0, card["scoring"]
    print(f"training graph: {card['data']['windows']} windows, threshold "
          f"{card['scoring']['threshold']:.4f}")

    live = load(os.path.join(examples, "msl_anomaly_headless.grc"), outdir)
    energy_file = os.path.join(outdir, "pair_energy.f32")
    test = np.load(os.path.join(data, "msl", "test", "F-7.npy"))
    n = len(test)
    tb = live(data_dir=data, channel="F-7", model=model, nsamples=n, outfile=energy_file)
    tb.start()
    tb.wait()
    e = np.fromfile(energy_file, np.float32)
    # windows of 100 every 10 steps: every step up to the last complete window
    expect = 100 + (n - 100) // 10 * 10
    if len(e) != expect or not np.isfinite(e).all():
        sys.exit(f"expected {expect} finite energies, found {len(e)}")
    print(f"live graph: {len(e)} energies, median {np.median(e):.3f}, max {e.max():.3f}")


if __name__ == "__main__":
    main()
