#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The live EEG graph's detector on every Bonn recording: the shipped TRLS demo
model (models/trls_demo_epilepsy.tfm) in tfmed.tfrnn_encoder, fed the raw
recordings of each set (the 23 whole 178-sample windows of each file, as the
UCI layout cuts them), counts the windows it calls "seizure" per set. The
seizure set S must raise it, the healthy sets Z and O mostly not. Also: the
block's numbers equal the offline pipeline's (`tfmed eval`-style spectrogram
of the same windows, through the engine's Python-free twin: the same model
file read by the block with input "samples").

Prints the per-set detection rates (they are quoted in the README). The demo
model saw 64 % of these windows in pre-training and the linear head's
training (TS-TCC split), so these rates are not a held-out evaluation: that is
`tfmed eval trls`.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from gnuradio import blocks, gr, gr_unittest

from gnuradio import tfmed

DATA = os.environ.get("TFMED_DATA_DIR", "../shared/data")
RAW = os.path.join(DATA, "bonn_eeg", "raw")
RATES = {}


def windows_of(set_name):
    # The N set's files end in .TXT.
    files = sorted(f for f in glob.glob(os.path.join(RAW, set_name, "*"))
                   if f.lower().endswith(".txt"))
    x = [np.loadtxt(f, dtype=np.float32)[: 23 * 178] for f in files]
    return np.concatenate(x), len(files)


def detect(x, hop=0):
    tb = gr.top_block()
    src = blocks.vector_source_f(x.tolist(), False, 1)
    enc = tfmed.tfrnn_encoder(tfmed.demo_model("trls_demo_epilepsy.tfm"), "samples", 1, hop,
                              "cpu", 2, 173.61, 320, 2)
    emb = blocks.vector_sink_f(320)
    prob = blocks.vector_sink_f(2)
    tb.connect(src, enc)
    tb.connect((enc, 0), emb)
    tb.connect((enc, 1), prob)
    tb.run()
    return np.array(prob.data()).reshape(-1, 2), enc


@unittest.skipUnless(os.path.isdir(RAW), f"needs the Bonn EEG recordings in {RAW}")
class qa_eeg_seizure(gr_unittest.TestCase):

    def test_001_detection_rates_per_set(self):
        for s in ("S", "F", "N", "O", "Z"):
            x, n_files = windows_of(s)
            p, enc = detect(x)
            self.assertEqual(enc.class_names(), ["non-seizure", "seizure"])
            self.assertEqual(p.shape, (n_files * 23, 2))
            np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
            RATES[s] = float((p[:, 1] > p[:, 0]).mean())
        print("seizure decisions per Bonn set (share of 178-sample windows): " +
              ", ".join(f"{k} {100 * v:.1f} %" for k, v in RATES.items()))
        self.assertGreaterEqual(RATES["S"], 0.90)
        self.assertLessEqual(RATES["Z"], 0.10)
        self.assertLessEqual(RATES["O"], 0.10)

    def test_002_overlapping_windows(self):
        # hop 89: twice the windows, the even ones equal the hop-0 run's.
        x, _ = windows_of("S")
        x = x[: 5 * 178]
        p0, _ = detect(x)
        p1, _ = detect(x, 89)
        self.assertEqual(len(p1), 9)
        np.testing.assert_allclose(p1[::2], p0, atol=1e-6)

    def test_003_tfmed_score_equals_the_block(self):
        # `tfmed score` on the same samples (a 173.61-Hz table): the block's
        # class probabilities, window for window.
        tool = os.environ.get("TFMED_BIN", "")
        if not tool:
            self.skipTest("needs the tfmed tool (TFMED_BIN)")
        x, _ = windows_of("S")
        x = x[: 23 * 178]
        p, _ = detect(x)
        d = tempfile.mkdtemp(prefix="tfmed_score_")
        try:
            np.save(os.path.join(d, "s.npy"), x)
            subprocess.run([tool, "score", tfmed.demo_model("trls_demo_epilepsy.tfm"),
                            os.path.join(d, "s.npy"), "--rate", "173.61", "--threads", "2",
                            "--json", os.path.join(d, "s.json")], check=True, capture_output=True)
            with open(os.path.join(d, "s.json")) as f:
                j = json.load(f)
        finally:
            shutil.rmtree(d)
        self.assertEqual(j["class_names"], ["non-seizure", "seizure"])
        self.assertEqual(j["windows"], 23)
        np.testing.assert_allclose([w["probabilities"] for w in j["per_window"]], p, atol=1e-5)


if __name__ == "__main__":
    gr_unittest.run(qa_eeg_seizure)
