#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""QA for tfmed.tsrnet_scorer from Python with the shipped demo model: the
binding, the card, refusal of a mismatched stream, one score per hop on record
208 from python3-scipy, alarm PDUs consistent with the scores."""

import json
import math

import numpy as np
import pmt
from gnuradio import blocks, filter, gr, gr_unittest

from gnuradio import tfmed


class qa_tsrnet_scorer(gr_unittest.TestCase):

    def test_card_and_refusal(self):
        model = tfmed.demo_model()
        blk = tfmed.tsrnet_scorer(model, 1, 500.0, 2500, "cpu")
        card = json.loads(blk.card_json())
        self.assertEqual(card["model"], "tsrnet")
        self.assertEqual(card["architecture"]["leads"], 1)
        self.assertEqual(blk.window(), 5000)
        self.assertAlmostEqual(blk.threshold(), card["scoring"]["threshold"], places=6)
        blk.set_threshold(0.25)
        self.assertAlmostEqual(blk.threshold(), 0.25, places=6)
        with self.assertRaisesRegex(ValueError, "expects 1 lead\\(s\\) at 500.000000 Hz, the "
                                    "stream has 1 lead\\(s\\) at 360.000000 Hz"):
            tfmed.tsrnet_scorer(model, 1, 360.0, 2500, "cpu")

    def test_record_208(self):
        x = tfmed.scipy_ecg()[:360 * 40]  # 40 s
        tb = gr.top_block()
        src = blocks.vector_source_f(x.tolist(), False)
        res = filter.rational_resampler_fff(25, 18)
        blk = tfmed.tsrnet_scorer(tfmed.demo_model(), 1, 500.0, 2500, "cpu", 0.0)
        snk = blocks.vector_sink_f()
        dbg = blocks.message_debug()
        tb.connect(src, res, blk, snk)
        tb.msg_connect(blk, "alarm", dbg, "store")
        tb.run()
        scores = np.array(snk.data())
        # 40 s -> 20000 samples at 500 Hz (less the resampler's tail): windows
        # start every 5 s, the last complete one at 25 s.
        self.assertEqual(len(scores), 6)
        self.assertTrue(np.all(np.isfinite(scores)), scores)
        # Threshold 0: every scored window raises an alarm, in order.
        self.assertEqual(dbg.num_messages(), 6)
        for k in range(6):
            meta = pmt.to_python(pmt.car(dbg.get_message(k)))
            self.assertEqual(meta["type"], "alarm")
            self.assertEqual(meta["start"], 2500 * k)
            self.assertAlmostEqual(meta["time_s"], 5.0 * k)
            self.assertAlmostEqual(meta["score"], scores[k], places=5)
        starts = [pmt.to_uint64(t.value) for t in snk.tags()
                  if pmt.symbol_to_string(t.key) == "tfmed_window_start"]
        self.assertEqual(starts, [2500 * k for k in range(6)])


if __name__ == "__main__":
    gr_unittest.run(qa_tsrnet_scorer)
