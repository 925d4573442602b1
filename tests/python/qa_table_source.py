#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""QA for tfmed.table_source: CSV (with a date column and a label column),
NPY and UEA .ts files written here, and ETTh1 from ../shared/data when present;
then table_source -> specar (imputation) with NaN gaps, using a model trained
by `tfmed train specar` when the tool and ETT are here; and the specar block's
anomaly scores on an MSL table against `tfmed score` on the same file."""

import csv
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import tfmed

DATA = os.environ.get("TFMED_DATA_DIR", "../shared/data")
ETT = os.path.join(DATA, "ett", "ETTh1.csv")
TFMED_BIN = os.environ.get("TFMED_BIN", "")
MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")


def run(src, vlen):
    tb = gr.top_block()
    sink = blocks.vector_sink_f(vlen)
    tb.connect(src, sink)
    tb.run()
    tags = {}
    for t in sink.tags():
        tags.setdefault(pmt.symbol_to_string(t.key), []).append((t.offset, t.value))
    return np.array(sink.data()).reshape(-1, vlen), tags


class qa_table_source(gr_unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tfmed_table_")

    def write(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def test_csv_columns_time_and_labels(self):
        rows = ["date,a,b,state"]
        for i in range(12):
            rows.append(f"2016-07-01 {i:02d}:00:00,{i * 0.5},{-i},{0 if i < 5 else 2}")
        p = self.write("t.csv", "\n".join(rows) + "\n")
        src = tfmed.table_source(p, ["b", "a"], 0.0, "date", "state")
        self.assertAlmostEqual(src.sample_rate(), 1 / 3600.0, places=12)
        self.assertEqual(src.channel_names(), ["b", "a"])
        x, tags = run(src, 2)
        np.testing.assert_array_equal(x[:, 0], -np.arange(12))
        np.testing.assert_array_equal(x[:, 1], 0.5 * np.arange(12))
        self.assertEqual([(o, pmt.symbol_to_string(v)) for o, v in tags["tfmed_label"]],
                         [(0, "0"), (5, "2")])
        self.assertEqual(tags["sample_rate"][0][0], 0)
        # every numeric column but the time and label columns, at a given rate
        src = tfmed.table_source(p, [], 2.0, "", "state", False, False, 3, 4)
        self.assertEqual(src.channel_names(), ["a", "b"])
        x, tags = run(src, 2)
        np.testing.assert_array_equal(x[:, 1], -np.arange(3, 7))
        self.assertEqual([(o, pmt.symbol_to_string(v)) for o, v in tags["tfmed_label"]],
                         [(0, "0"), (2, "2")])

    def test_npy_and_ts(self):
        a = np.arange(30, dtype=np.float32).reshape(10, 3)
        p = os.path.join(self.dir, "a.npy")
        np.save(p, a)
        x, _ = run(tfmed.table_source(p, ["2", "0"], 5.0), 2)
        np.testing.assert_array_equal(x, a[:, [2, 0]])
        ts = self.write("p.ts", "@problemName p\n@timeStamps false\n@univariate false\n"
                        "@dimensions 2\n@equalLength false\n@classLabel true up down\n@data\n"
                        "1,2,3:4,5,6:up\n7,8:9,10:down\n")
        src = tfmed.table_source(ts, [], 10.0)
        self.assertEqual(src.channel_names(), ["dim0", "dim1"])
        x, tags = run(src, 2)
        np.testing.assert_array_equal(x, [[1, 4], [2, 5], [3, 6], [7, 9], [8, 10]])
        self.assertEqual([(o, pmt.symbol_to_string(v)) for o, v in tags["tfmed_label"]],
                         [(0, "up"), (3, "down")])
        # regression targets are tagged as numbers at each case's first sample
        ts = self.write("r.ts", "@problemName r\n@timeStamps false\n@univariate true\n"
                        "@equalLength false\n@targetLabel true\n@data\n1,2,3:0.25\n7,8:-4\n")
        x, tags = run(tfmed.table_source(ts, [], 10.0), 1)
        np.testing.assert_array_equal(x[:, 0], [1, 2, 3, 7, 8])
        self.assertEqual([(o, pmt.symbol_to_string(v)) for o, v in tags["tfmed_label"]],
                         [(0, "0.25"), (3, "-4")])

    def test_refusals_name_what_was_expected(self):
        p = self.write("t.csv", "t,a\n0,1\n1,2\n2,3\n4,3\n")
        cases = [
            ((p, ["z"], 1.0), "columns: expected one of t, a"),
            ((p, ["a"], 0.0, "t"), "found row 3 at 2 s, 0.3076923077 samples off the grid (a gap"),
            ((self.write("nan.csv", "t,a\n0,1\n1,2\n,3\n3,4\n"), ["a"], 0.0, "t"),
             "time column t row 3: expected a time, found an empty or non-finite value"),
            ((p, ["a"], 1.0, "", "", False, False, 4, 0), "expected at least one sample"),
            ((p, ["a"], 1.0, "", "", False, False, 0, 0), "expected at least one sample"),
            ((p, ["a"], 1.0, "", "", False, False, 0, -5), "length: expected -1 (to the end)"),
            ((self.write("h.csv", "a,b\n"), [], 1.0), "expected at least one sample"),
            ((p, ["a"], 0.0), "sample_rate: expected a rate > 0 Hz (or a time column)"),
            ((p + ".xls", ["a"], 1.0), "extension: expected .csv, .txt, .npy or .ts, found '.xls'"),
        ]
        for args, want in cases:
            with self.assertRaises(ValueError) as cm:
                tfmed.table_source(*args)
            self.assertIn(want, str(cm.exception))
            self.assertIn("tfmed.table_source", str(cm.exception))

    def test_rate_from_rounded_times(self):
        # times printed to 6 decimals at 128 Hz (a median step gave 127.992
        # Hz and refused sample_rate=128), and to 3 decimals at 360 Hz
        for rate, fmt, tol, rows in ((128.0, "%.6f", 1e-6, 2000), (360.0, "%.3f", 1e-4, 2000),
                                     (360.0, "%.3f", 1e-4, 1074), (360.0, "%.3f", 5e-3, 17),
                                     (256.0, "%.6f", 1e-6, 2000)):
            t = np.arange(rows) / rate
            p = self.write("r.csv", "t,a\n" + "".join(f"{fmt % v},{i}\n" for i, v in enumerate(t)))
            src = tfmed.table_source(p, ["a"], 0.0, "t")
            self.assertLess(abs(src.sample_rate() / rate - 1.0), tol)  # (last - first) / rows
            self.assertEqual(tfmed.table_source(p, ["a"], rate, "t").sample_rate(), rate)
            if rows >= 1000:  # 1 % off drifts 10 samples over 1,000 rows
                with self.assertRaisesRegex(ValueError, "sample_rate: expected"):
                    tfmed.table_source(p, ["a"], rate * 1.01, "t")

    @unittest.skipUnless(os.path.exists(ETT), f"needs {ETT}: the shared data sets are not here")
    def test_ett_rate_from_dates(self):
        src = tfmed.table_source(ETT, ["OT"], 0.0, "date", "", False, False, 100, 48)
        self.assertAlmostEqual(src.sample_rate(), 1 / 3600.0, places=12)
        x, _ = run(src, 1)
        self.assertEqual(x.shape, (48, 1))
        with open(ETT) as f:
            ot = [float(l.rsplit(",", 1)[1]) for l in f.readlines()[101:149]]
        np.testing.assert_allclose(x[:, 0], ot, rtol=1e-6)

    def impute_model(self):
        model = os.path.join(self.dir, "impute.tfm")
        subprocess.run([TFMED_BIN, "train", "specar", "--preset", "etth1-impute",
                        "--time-features", "0", "--epochs", "1", "--max-windows", "32",
                        "--max-val-windows", "8", "--d-model", "4", "--d-ff", "4",
                        "--e-layers", "1", "--conv-layers", "2", "--threads", "2",
                        "-o", model], check=True, capture_output=True,
                       env=dict(os.environ, TFMED_DATA_DIR=DATA))
        return model

    def run_gaps(self, model):
        """ETTh1 rows 11520.. through specar (imputation) with OT dropped for
        20 hours in the second window and LULL for all of the third (a channel
        with nothing observed in its window): the gaps, the output, the
        truth, the output's tags."""
        cols = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
        src = tfmed.table_source(ETT, cols, 0.0, "date", "", False, False, 11520, 96 * 3)
        tb = gr.top_block()
        truth = blocks.vector_sink_f(7)
        gap = np.zeros((96 * 3, 7), dtype=np.float32)
        gap[120:140, 6] = np.nan
        gap[192:288, 5] = np.nan
        drop = blocks.vector_source_f(gap.ravel().tolist(), False, 7)
        add = blocks.add_vff(7)
        blk = tfmed.specar(model, 7, 0, "cpu", 1)
        self.assertEqual(blk.task(), "imputation")
        out = blocks.vector_sink_f(7)
        tb.connect(src, (add, 0))
        tb.connect(drop, (add, 1))
        tb.connect(add, blk, out)
        tb.connect(src, truth)
        tb.run()
        y = np.array(out.data()).reshape(-1, 7)
        t = np.array(truth.data()).reshape(-1, 7)
        self.assertEqual(y.shape, (96 * 3, 7))
        return gap, y, t, out.tags(), blk

    def test_overflowing_fills_are_flagged_observed_samples_kept(self):
        # Finite weights that overflow float (NaN weights are refused by
        # import): every filled value is non-finite. Such windows went out
        # tagged only tfmed_imputed; observed samples must pass unchanged.
        if not TFMED_BIN or not os.path.exists(ETT):
            self.skipTest("needs ETTh1 and the tfmed tool (TFMED_BIN)")
        import torch
        model = self.impute_model()
        pt = os.path.join(self.dir, "w.pt")
        cj = os.path.join(self.dir, "card.json")
        subprocess.run([TFMED_BIN, "export", model, "-o", pt], check=True, capture_output=True)
        sd = torch.load(pt)
        for k in [k for k, v in sd.items() if v.is_floating_point()]:
            if not k.endswith("position_embedding.pe"):  # (a fixed table, checked by import)
                sd[k] = torch.full_like(sd[k], 3e38)
        torch.save(dict(sd), pt)
        with open(cj, "w") as f:
            f.write(tfmed.specar(model, 7, 0, "cpu", 1).card_json())
        big = os.path.join(self.dir, "big.tfm")
        subprocess.run([TFMED_BIN, "import", "--model", "specar", "--card-from", cj, pt, "-o", big],
                       check=True, capture_output=True)
        gap, y, t, tags, _ = self.run_gaps(big)
        keep = np.isfinite(gap)
        np.testing.assert_array_equal(y[keep], t[keep])
        self.assertFalse(np.isfinite(y[~keep]).any())
        invalid = {o.offset: pmt.symbol_to_string(o.value) for o in tags
                   if pmt.symbol_to_string(o.key) == "tfmed_invalid"}
        self.assertEqual(invalid, {96: "non_finite_output", 192: "non_finite_output"})

    def test_dropped_sensor_repaired_live(self):
        if not TFMED_BIN or not os.path.exists(ETT):
            self.skipTest("needs ETTh1 and the tfmed tool (TFMED_BIN)")
        model = self.impute_model()
        gap, y, t, tags, blk = self.run_gaps(model)
        self.assertTrue(np.isfinite(y).all())
        keep = np.isfinite(gap)
        np.testing.assert_array_equal(y[keep], t[keep])  # observed samples pass unchanged
        filled = [o for o in tags if pmt.symbol_to_string(o.key) == "tfmed_imputed"]
        self.assertEqual([o.offset for o in filled], list(range(120, 140)) + list(range(192, 288)))
        self.assertEqual({pmt.to_long(o.value) for o in filled}, {1})
        self.assertFalse([o for o in tags if pmt.symbol_to_string(o.key) == "tfmed_invalid"])
        card = json.loads(blk.card_json())
        self.assertEqual(card["architecture"]["time_features"], 0)

    def test_specar_block_scores_as_tfmed_score(self):
        # Overlapping windows (hop 50 of 100): the block tags each window with
        # the largest energy of its newest hop; `tfmed score` reports the same.
        msl = os.path.join(DATA, "msl", "test", "C-2.npy")
        model = os.path.join(MODELS, "specar_msl_demo.tfm")
        if not (TFMED_BIN and os.path.exists(msl)):
            self.skipTest("needs the tfmed tool and ../shared/data/msl")
        out = os.path.join(self.dir, "s.csv")
        subprocess.run([TFMED_BIN, "score", model, msl, "--hop", "50", "--threads", "2",
                        "--csv", out], check=True, capture_output=True)
        with open(out) as f:
            want = [float(r["score"]) for r in csv.DictReader(f)]
        self.assertEqual(len(want), (2051 - 100) // 50 + 1)
        tb = gr.top_block()
        blk = tfmed.specar(model, 55, 50, "cpu", 2)
        self.assertEqual(blk.task(), "anomaly_detection")
        sink = blocks.vector_sink_f(1)
        tb.connect(tfmed.table_source(msl, [], 1.0), blk, sink)
        tb.run()
        got = [pmt.to_double(t.value) for t in sorted(sink.tags(), key=lambda t: t.offset)
               if pmt.symbol_to_string(t.key) == "tfmed_score"]
        self.assertEqual(len(got), len(want))
        np.testing.assert_allclose(got, want, rtol=1e-4)


if __name__ == "__main__":
    gr_unittest.run(qa_table_source)
