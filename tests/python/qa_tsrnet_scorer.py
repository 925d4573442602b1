#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""QA for tfmed.tsrnet_scorer from Python with the shipped demo model: the
binding, the card, refusal of a mismatched stream, one score per hop on record
208 from python3-scipy, alarm PDUs consistent with the scores; the trust
contract: a model without a calibrated threshold is refused, every NaN score
leaves with a tfmed_invalid tag and an invalid PDU (a fixed reason, the one-line
text as its payload), and the
signal-quality gate flags noise that the network alone would score."""

import json
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time

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

    def test_small_upstream_buffer_and_restart(self):
        # 500-Hz samples straight from a source, so that a second run sees
        # exactly the first run's input.
        x = np.array(tfmed.scipy_ecg()[:360 * 40])
        x500 = np.interp(np.arange(20000) / 500.0, np.arange(len(x)) / 360.0, x)
        tb = gr.top_block()
        src = blocks.vector_source_f(x500.astype(np.float32).tolist(), False)
        blk = tfmed.tsrnet_scorer(tfmed.demo_model(), 1, 500.0, 2500, "cpu")
        snk = blocks.vector_sink_f()
        tb.connect(src, blk, snk)
        tb.run()
        first = np.array(snk.data())
        self.assertEqual(len(first), 7)  # starts 0, 2500, ..., 15000 of 20000
        # An upstream buffer of about 2,000 items, under half a window (GNU
        # Radio sizes it to twice the hop at least): a block that asks for
        # more than that at once is retired, and no window is ever scored.
        def hop_1000(cap):
            tb2 = gr.top_block()
            src2 = blocks.vector_source_f(x500.astype(np.float32).tolist(), False)
            if cap:
                src2.set_max_output_buffer(cap)
            blk2 = tfmed.tsrnet_scorer(tfmed.demo_model(), 1, 500.0, 1000, "cpu")
            snk2 = blocks.vector_sink_f()
            tb2.connect(src2, blk2, snk2)
            tb2.run()
            return np.array(snk2.data())
        # Scores equal to float rounding, not bit for bit: the worker batches
        # whatever windows are queued, and a matrix product over another
        # batch size may round the last bit differently (seen under load).
        same = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=0)
        wide = hop_1000(0)
        self.assertEqual(len(wide), 16)
        same(wide[::5], first[::2])  # starts 0, 5000, 10000, 15000
        same(hop_1000(2048), wide)
        # The same flowgraph run again (stop, wait, start): the block starts
        # from the new run's first sample, as a fresh block would.
        src.rewind()
        snk.reset()
        tb.run()
        same(np.array(snk.data()), first)
        starts = [pmt.to_uint64(t.value) for t in snk.tags()
                  if pmt.symbol_to_string(t.key) == "tfmed_window_start"]
        self.assertEqual(starts, [2500 * k for k in range(7)])

    def test_upstream_that_writes_in_pairs(self):
        # blocks.repeat(2) writes whole pairs (output_multiple 2): into a
        # buffer of 2,048 items it stops at 2,046. A block that asked for all
        # the buffer can hold (2,047) when its window is larger waited for an
        # item that never came, the repeat for room that never came: the
        # graph hung with no error. 20,000 samples become 40,000: the demo
        # model's windows of 5,000 every 1,000 samples, 36 of them.
        x = np.array(tfmed.scipy_ecg()[:360 * 40])
        x500 = np.interp(np.arange(20000) / 500.0, np.arange(len(x)) / 360.0, x)
        tb = gr.top_block()
        src = blocks.vector_source_f(x500.astype(np.float32).tolist(), False)
        rep = blocks.repeat(gr.sizeof_float, 2)
        rep.set_max_output_buffer(2048)
        blk = tfmed.tsrnet_scorer(tfmed.demo_model(), 1, 500.0, 1000, "cpu")
        snk = blocks.vector_sink_f()
        tb.connect(src, rep, blk, snk)
        tb.start()
        done = threading.Event()
        threading.Thread(target=lambda: (tb.wait(), done.set()), daemon=True).start()
        finished = done.wait(120)
        if not finished:
            tb.stop()
            done.wait(30)
        self.assertTrue(finished, "the graph did not finish in 120 s (%d windows scored)"
                        % len(snk.data()))
        self.assertEqual(len(snk.data()), 36)

    def test_stop_of_a_live_graph_drops_the_queued_windows(self):
        # A live graph (a source that never ends) stopped while its windows
        # wait in the engine: nobody takes their scores (a new run starts
        # from sample 0), so the engine drops them unrun instead of spending
        # up to `queue` windows of network time after tb.wait() returned.
        x = np.array(tfmed.scipy_ecg()[:360 * 40])
        x500 = np.interp(np.arange(20000) / 500.0, np.arange(len(x)) / 360.0, x)
        tb = gr.top_block()
        src = blocks.vector_source_f(x500.astype(np.float32).tolist(), True)
        blk = tfmed.tsrnet_scorer(tfmed.demo_model(), 1, 500.0, 250, "cpu",
                                  max_batch=1, queue=16)
        tb.connect(src, blk, blocks.null_sink(gr.sizeof_float))
        tb.start()
        deadline = time.monotonic() + 60
        # The source outruns the network: the queue fills and stays full.
        while blk.queue_depth() < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        depth = blk.queue_depth()
        tb.stop()
        tb.wait()
        self.assertGreaterEqual(depth, 8)
        # Until every queued window is accounted for: the batch in hand run,
        # the others dropped (the old feeder ran them all, ~0.1 s each here).
        queued = blk.windows_queued()
        s = json.loads(blk.serving())
        while (s["windows"] + s["discarded"] < queued and
               time.monotonic() < deadline + 30):
            time.sleep(0.05)
            s = json.loads(blk.serving())
        # Every queued window was run or dropped; only the batch in hand
        # (max_batch 1) and results already back could run after the stop.
        self.assertEqual(s["windows"] + s["discarded"], queued, s)
        self.assertGreaterEqual(s["discarded"], 1, s)
        self.assertEqual(s["queued"], 0, s)
        # And the block runs again from its first sample.
        src2 = blocks.vector_source_f(x500.astype(np.float32).tolist(), False)
        snk = blocks.vector_sink_f()
        tb.disconnect_all()
        tb.connect(src2, blk, snk)
        tb.run()
        self.assertEqual(len(snk.data()), 61)  # starts 0, 250, ..., 15000 of 20000

    def test_tfmed_score_equals_the_block(self):
        # The samples the block scored (record 208 resampled by GNU Radio),
        # saved as a 500-Hz table and scored by `tfmed score` at the same hop:
        # the same scores, statuses and alarms.
        tool = os.environ.get("TFMED_BIN", "")
        if not tool:
            self.skipTest("needs the tfmed tool (TFMED_BIN)")
        x = tfmed.scipy_ecg()[:360 * 40]
        tb = gr.top_block()
        res = filter.rational_resampler_fff(25, 18)
        blk = tfmed.tsrnet_scorer(tfmed.demo_model(), 1, 500.0, 2500, "cpu")
        seen, snk = blocks.vector_sink_f(), blocks.vector_sink_f()
        tb.connect(blocks.vector_source_f(x.tolist(), False), res, blk, snk)
        tb.connect(res, seen)
        tb.run()
        d = tempfile.mkdtemp(prefix="tfmed_score_")
        try:
            np.save(os.path.join(d, "x.npy"), np.array(seen.data(), dtype=np.float32))
            subprocess.run([tool, "score", tfmed.demo_model(), os.path.join(d, "x.npy"),
                            "--rate", "500", "--hop", "5", "--threads", "1",
                            "--json", os.path.join(d, "s.json")], check=True,
                           capture_output=True)
            with open(os.path.join(d, "s.json")) as f:
                j = json.load(f)
        finally:
            shutil.rmtree(d)
        block = np.array(snk.data())
        self.assertEqual(j["windows"], len(block))
        self.assertAlmostEqual(j["threshold"], blk.threshold(), places=6)  # float32 there
        np.testing.assert_allclose([w["score"] for w in j["per_window"]], block, rtol=1e-5)
        self.assertEqual([w["alarm"] for w in j["per_window"]],
                         [bool(v > j["threshold"]) for v in block])
        self.assertTrue(0 < sum(w["alarm"] for w in j["per_window"]) < len(block), block)

    def test_shared_engine_from_python(self):
        # Three wards' worth of record 208 (other offsets) through scorers that
        # share one engine: the serving keywords, one engine (same key, three
        # streams), scores equal to an unshared scorer's, the counters.
        x = tfmed.scipy_ecg()
        tb = gr.top_block()
        blks, snks = [], []
        for s in range(3):
            src = blocks.vector_source_f(x[360 * 10 * s:360 * (10 * s + 30)].tolist(), False)
            res = filter.rational_resampler_fff(25, 18)
            blk = tfmed.tsrnet_scorer(tfmed.demo_model(), 1, 500.0, 2500, "cpu", share=True,
                                      max_batch=4, max_wait_ms=50.0, queue=8, deadline_ms=0.0)
            snk = blocks.vector_sink_f()
            tb.connect(src, res, blk, snk)
            blks.append(blk)
            snks.append(snk)
        alone = tfmed.tsrnet_scorer(tfmed.demo_model(), 1, 500.0, 2500, "cpu", share=False)
        src = blocks.vector_source_f(x[:360 * 30].tolist(), False)
        res = filter.rational_resampler_fff(25, 18)
        snk_alone = blocks.vector_sink_f()
        tb.connect(src, res, alone, snk_alone)
        tb.run()
        serving = [json.loads(b.serving()) for b in blks]
        self.assertEqual(len({s["key"] for s in serving}), 1)
        self.assertEqual(serving[0]["streams"], 3)
        self.assertEqual(json.loads(alone.serving())["streams"], 1)
        self.assertEqual(json.loads(alone.serving())["key"], "")
        for b, snk in zip(blks, snks):
            self.assertEqual(len(snk.data()), 4)  # 30 s: windows at 0, 5, 10, 15 s
            self.assertEqual(b.windows_queued(), 4)
            self.assertEqual(b.windows_scored(), 4)
            self.assertEqual(b.queue_depth(), 0)
            self.assertEqual(b.overruns(), 0)
            self.assertEqual(len(b.latencies()), 4)
        self.assertEqual(serving[0]["windows"], 12)
        np.testing.assert_allclose(snks[0].data(), snk_alone.data(), rtol=1e-5)
        with self.assertRaisesRegex(ValueError, "expected max_batch in \\[1, 4096\\], found 0"):
            tfmed.tsrnet_scorer(tfmed.demo_model(), 1, 500.0, 2500, "cpu", max_batch=0)

    def run_scorer(self, x, model, threshold=float("nan"), quality_gate=True):
        tb = gr.top_block()
        src = blocks.vector_source_f(np.asarray(x, np.float32).tolist(), False)
        blk = tfmed.tsrnet_scorer(model, 1, 500.0, 2500, "cpu", threshold, 1, quality_gate)
        snk = blocks.vector_sink_f()
        dbg = blocks.message_debug()
        tb.connect(src, blk, snk)
        tb.msg_connect(blk, "alarm", dbg, "store")
        tb.run()
        scores = np.array(snk.data())
        invalid = {t.offset: pmt.symbol_to_string(t.value) for t in snk.tags()
                   if pmt.symbol_to_string(t.key) == "tfmed_invalid"}
        pdus = []
        for k in range(dbg.num_messages()):
            m = dbg.get_message(k)
            p = pmt.to_python(pmt.car(m))
            # The full text (figures included) is the payload, UTF-8 bytes.
            p["text"] = bytes(pmt.u8vector_elements(pmt.cdr(m))).decode()
            pdus.append(p)
        return scores, invalid, pdus

    def test_quality_gate_flags_noise(self):
        # 20 s of white noise at 500 Hz: 3 windows. Without the gate the
        # network scores noise like ECG; with it, every window is flagged.
        rng = np.random.default_rng(5)
        noise = 0.3 * rng.standard_normal(10000)
        scores, invalid, pdus = self.run_scorer(noise, tfmed.demo_model())
        self.assertEqual(len(scores), 3)
        self.assertTrue(np.all(np.isnan(scores)), scores)
        self.assertEqual(invalid, {0: "poor_quality", 1: "poor_quality", 2: "poor_quality"})
        self.assertEqual([p["type"] for p in pdus], ["invalid"] * 3)
        self.assertTrue(all(p["status"] == "poor_quality" for p in pdus))
        self.assertRegex(pdus[0]["text"], "^lead 0: noise-like: kurtosis [0-9.]+ < 4.5")
        # The meta's detail is a symbol (interned for the life of the process):
        # the reason without figures, the same for every noisy window.
        for p in pdus:
            self.assertRegex(p["detail"], r"^lead 0: low_kurtosis(\+[a-z_]+)*$")
        ungated, inv2, _ = self.run_scorer(noise, tfmed.demo_model(), quality_gate=False)
        self.assertEqual(inv2, {})
        self.assertTrue(np.all(np.isfinite(ungated)), ungated)

    def test_trust_contract(self):
        exe = os.environ.get("TFMED_BIN")
        if not exe:
            self.skipTest("TFMED_BIN not set (the tfmed tool is not built)")
        import torch
        tmp = tempfile.mkdtemp(prefix="tfmed_qa_trust_")
        try:
            demo = tfmed.demo_model()
            pt = os.path.join(tmp, "w.pt")
            subprocess.run([exe, "export", demo, "-o", pt], check=True, capture_output=True)
            sd = torch.load(pt)
            card = json.loads(tfmed.tsrnet_scorer(demo, 1, 500.0, 2500, "cpu").card_json())
            # 1. A card without a calibrated threshold (an interrupted run).
            card["scoring"]["threshold"] = None
            cj = os.path.join(tmp, "card.json")
            with open(cj, "w") as f:
                json.dump(card, f)
            nothr = os.path.join(tmp, "nothr.tfm")
            subprocess.run([exe, "import", "--model", "tsrnet", "--card-from", cj, pt, "-o", nothr],
                           check=True, capture_output=True)
            with self.assertRaisesRegex(ValueError, "has no calibrated alarm threshold"):
                tfmed.tsrnet_scorer(nothr, 1, 500.0, 2500, "cpu")
            blk = tfmed.tsrnet_scorer(nothr, 1, 500.0, 2500, "cpu", 0.5)
            self.assertAlmostEqual(blk.threshold(), 0.5)
            with self.assertRaisesRegex(ValueError, "no calibrated threshold"):
                blk.set_threshold(float("nan"))
            # 1b. One flipped bit in the weights: refused at construction,
            # naming the file and the section.
            raw = bytearray(open(demo, "rb").read())
            raw[len(raw) // 2] ^= 0x04
            flipped = os.path.join(tmp, "flipped.tfm")
            open(flipped, "wb").write(raw)
            with self.assertRaisesRegex(RuntimeError, "flipped.tfm: the weights section is "
                                        "damaged \\(expected CRC-32"):
                tfmed.tsrnet_scorer(flipped, 1, 500.0, 2500, "cpu")
            # 2. Finite weights that make every score non-finite (they
            # overflow float; NaN weights are refused by import): tagged and
            # reported, whatever the cause, with a fixed reason and a one-line text.
            for k in [k for k, v in sd.items() if v.is_floating_point()]:
                sd[k] = torch.full_like(sd[k], 3e38)
            torch.save(dict(sd), pt)
            nan_model = os.path.join(tmp, "nan.tfm")
            card["scoring"]["threshold"] = 0.5
            with open(cj, "w") as f:
                json.dump(card, f)
            subprocess.run([exe, "import", "--model", "tsrnet", "--card-from", cj, pt, "-o",
                            nan_model, "--keep-threshold"], check=True, capture_output=True)
            x = tfmed.scipy_ecg()[:360 * 20]
            x500 = np.interp(np.arange(10000) / 500.0, np.arange(len(x)) / 360.0, x)
            scores, invalid, pdus = self.run_scorer(x500, nan_model)
            self.assertEqual(len(scores), 3)
            self.assertTrue(np.all(np.isnan(scores)), scores)
            self.assertEqual(invalid, {0: "score_non_finite", 1: "score_non_finite",
                                       2: "score_non_finite"})
            self.assertEqual(len(pdus), 3)
            for p in pdus:
                self.assertEqual((p["type"], p["status"]), ("invalid", "score_non_finite"))
                self.assertEqual(p["detail"], "non_finite_score")
                self.assertEqual(p["text"], "the network gave a non-finite score (NaN)")
                self.assertTrue(math.isnan(p["score"]))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    gr_unittest.run(qa_tsrnet_scorer)
