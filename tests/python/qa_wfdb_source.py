#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""QA for tfmed.wfdb_source on MIT-BIH record 100 (../shared/data/wfdb_sample)."""

import os
import struct
import unittest

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import tfmed

DATA = os.environ.get("TFMED_DATA_DIR", "../shared/data")
RECORD = os.path.join(DATA, "wfdb_sample", "100")


def read_212_first_frames(path, n):
    """Format 212 decoded independently of the C++ reader (first n frames, 2 signals)."""
    with open(path, "rb") as f:
        raw = f.read(3 * n)
    out = []
    for i in range(n):
        b0, b1, b2 = raw[3 * i:3 * i + 3]
        s0 = b0 | ((b1 & 0x0F) << 8)
        s1 = b2 | ((b1 & 0xF0) << 4)
        out.append([s - 4096 if s & 0x800 else s for s in (s0, s1)])
    return np.array(out)


@unittest.skipUnless(os.path.exists(RECORD + ".hea"),
                     f"needs {RECORD}.hea: the shared data sets are not on this machine")
class qa_wfdb_source(gr_unittest.TestCase):

    def setUp(self):
        self.tb = gr.top_block()

    def tearDown(self):
        self.tb = None

    def test_001_samples_equal_an_independent_decode(self):
        src = tfmed.wfdb_source(RECORD, [0, 1], length=1000)
        snk = blocks.vector_sink_f(2)
        self.tb.connect(src, snk)
        self.tb.run()
        y = np.array(snk.data()).reshape(-1, 2)
        self.assertEqual(y.shape, (1000, 2))
        ref = (read_212_first_frames(RECORD + ".dat", 1000) - 1024) / 200.0
        np.testing.assert_allclose(y, ref, rtol=0, atol=1e-6)
        self.assertEqual(src.channel_names(), ["MLII", "V5"])
        self.assertEqual(src.sample_rate(), 360.0)

    def test_001b_a_second_run_replays_from_the_start(self):
        # tb.run() again replays the recording from its first sample, with the
        # stream's description tags, also when repeating behind a head block.
        for repeat, n in ((False, 1000), (True, 1500)):
            src = tfmed.wfdb_source(RECORD, [], False, repeat, 0, 1000)
            head = blocks.head(gr.sizeof_float * 2, n)
            snk = blocks.vector_sink_f(2)
            tb = gr.top_block()
            tb.connect(src, head, snk)
            tb.run()
            first = np.array(snk.data()).reshape(-1, 2)
            keys = [(t.offset, pmt.symbol_to_string(t.key)) for t in snk.tags()]
            self.assertEqual(first.shape, (n, 2))
            self.assertIn((0, "sample_rate"), keys)
            head.reset()
            snk.reset()
            tb.run()
            np.testing.assert_array_equal(np.array(snk.data()).reshape(-1, 2), first)
            self.assertEqual([(t.offset, pmt.symbol_to_string(t.key)) for t in snk.tags()], keys)

    def test_002_annotation_tags(self):
        src = tfmed.wfdb_source(RECORD, [0], length=3600)
        snk = blocks.vector_sink_f(1)
        self.tb.connect(src, snk)
        self.tb.run()
        ann = [(t.offset, pmt.to_python(t.value)) for t in snk.tags()
               if pmt.symbol_to_string(t.key) == "annotation"]
        self.assertEqual(len(ann), 14)
        self.assertEqual(ann[0][0], 18)
        self.assertEqual(ann[0][1]["symbol"], "+")
        self.assertEqual(ann[0][1]["aux"], "(N")
        # the eighth beat of record 100 is an atrial premature beat
        self.assertEqual([a[1]["symbol"] for a in ann[1:]], ["N"] * 7 + ["A"] + ["N"] * 5)
        self.assertEqual(ann[1][0], 77)

    def test_003_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "cannot open WFDB header"):
            tfmed.wfdb_source(RECORD + "_missing")
        with self.assertRaisesRegex(ValueError, "channel index 5 out of range: expected 0..1"):
            tfmed.wfdb_source(RECORD, [5])

    def test_004_multi_frequency_sampling_modes(self):
        """test01_00s_frame: frame rate 500 Hz, ECG_2 at 2 samples per frame.
        Decoded independently (format 16, gain 100, baseline 0)."""
        rec = os.path.join(DATA, "wfdb_sample", "test01_00s_frame")
        raw = np.fromfile(os.path.join(DATA, "wfdb_sample", "test01_00s.dat"), "<i2")
        frames = raw[:4 * 400].reshape(-1, 4).astype(np.float64)  # e1, e2a, e2b, e3
        e1, e2a, e2b, e3 = (frames[:, k] / 100.0 for k in range(4))

        def play(sampling, n):
            self.tb = gr.top_block()
            src = tfmed.wfdb_source(rec, [], length=n, annotator="", sampling=sampling)
            snk = blocks.vector_sink_f(3)
            self.tb.connect(src, snk)
            self.tb.run()
            return src.sample_rate(), np.array(snk.data()).reshape(-1, 3)

        rate, y = play("frame_average", 400)
        self.assertEqual(rate, 500.0)
        self.assertEqual(y.shape, (400, 3))
        np.testing.assert_allclose(y[:, 0], e1, atol=1e-6)
        np.testing.assert_allclose(y[:, 2], e3, atol=1e-6)
        # WFDB's integer average: within half a digital unit of the exact mean
        self.assertLessEqual(np.abs(y[:, 1] - (e2a + e2b) / 2).max(), 0.005 + 1e-6)
        self.assertGreater(np.abs(y[:, 1] - (e2a + e2b) / 2).max(), 0)  # some odd sums
        rate, m = play("frame_mean", 400)
        np.testing.assert_allclose(m[:, 1], (e2a + e2b) / 2, atol=1e-6)
        rate, h = play("high_rate", 800)
        self.assertEqual(rate, 1000.0)
        np.testing.assert_allclose(h[0::2, 1], e2a, atol=1e-6)
        np.testing.assert_allclose(h[1::2, 1], e2b, atol=1e-6)
        np.testing.assert_allclose(h[1::2, 0], e1, atol=1e-6)  # the slow channel held
        with self.assertRaisesRegex(ValueError, "sampling"):
            tfmed.wfdb_source(rec, [], sampling="fastest")


class qa_wfdb_source_written(gr_unittest.TestCase):
    """Records this test writes itself (no shared data needed)."""

    @staticmethod
    def write_record(folder, annotation_words):
        # one signal, format 16, 100 Hz, 40 samples 0..39 (gain 1)
        with open(os.path.join(folder, "r.hea"), "w") as f:
            f.write("r 1 100 40\nr.dat 16 1 16 0 0 780 0 A\n")  # checksum: sum 0..39
        np.arange(40, dtype="<i2").tofile(os.path.join(folder, "r.dat"))
        with open(os.path.join(folder, "r.atr"), "wb") as f:
            f.write(struct.pack("<%dH" % (len(annotation_words) + 1), *annotation_words, 0))

    @staticmethod
    def skip(n):  # WFDB's SKIP: code 59, then a 32-bit interval, high word first
        u = n & 0xFFFFFFFF
        return [59 << 10, u >> 16, u & 0xFFFF]

    def test_out_of_order_annotations_are_tagged_in_stream_order(self):
        # N at 30, then a SKIP back to V at 10 and A at 20: the file's order
        # is 30, 10, 20; a single cursor over that order passed over 10 and 20.
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            words = [(1 << 10) | 30] + self.skip(-25) + [(5 << 10) | 5, (8 << 10) | 10]
            self.write_record(d, words)
            src = tfmed.wfdb_source(os.path.join(d, "r"))
            src.set_max_noutput_items(8)  # five calls of work(): the cursor moves on
            snk = blocks.vector_sink_f(1)
            tb = gr.top_block()
            tb.connect(src, snk)
            tb.run()
        self.assertEqual(src.n_annotations(), 3)
        ann = [(t.offset, pmt.to_python(t.value)["symbol"]) for t in snk.tags()
               if pmt.symbol_to_string(t.key) == "annotation"]
        self.assertEqual(ann, [(10, "V"), (20, "A"), (30, "N")])
        np.testing.assert_array_equal(np.array(snk.data()), np.arange(40, dtype=float))

    def test_an_annotation_before_the_first_sample_is_refused(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            self.write_record(d, [(1 << 10) | 5] + self.skip(-10) + [(1 << 10) | 1])
            with self.assertRaisesRegex(ValueError, r"annotation 2 time.*>= 0.*-4"):
                tfmed.wfdb_source(os.path.join(d, "r"))


if __name__ == "__main__":
    unittest.main()  # both classes
