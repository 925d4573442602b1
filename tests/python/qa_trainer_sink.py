#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""QA for tfmed.trainer_sink and tfmed.annotation_labeler: a training graph
gives the same weights as `tfmed train tsrnet` on the same windows, settings
and seed (windows per item and cut from a stream alike); progress PDUs;
refusals at construction; the memory limit; stop() mid-training keeps the
last checkpoint and writes no model; annotation labels on record 100."""

import json
import os
import re
import subprocess
import tempfile
import time
import unittest

import numpy as np
import pmt
from gnuradio import blocks, gr, gr_unittest

from gnuradio import tfmed

TFMED = os.environ.get("TFMED_BIN", "")
DATA = os.environ.get("TFMED_DATA_DIR", "")
SETTINGS = {"epochs": 2, "batch": 8, "lr": 1e-3, "width": 4, "d_model": 8, "seed": 3}


def ecg_like_windows(n, abnormal, seed=5):
    """n windows of 10 s at 500 Hz, one lead: R-like spikes every ~0.8 s on a
    wandering baseline with noise; the last `abnormal` windows have wide,
    inverted beats."""
    rng = np.random.default_rng(seed)
    t = np.arange(5000) / 500.0
    x = np.zeros((n, 1, 5000), np.float32)
    for i in range(n):
        sig = 0.1 * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 6)) + 0.02 * rng.standard_normal(5000)
        beat = rng.uniform(0.0, 0.5)
        wide = i >= n - abnormal
        while beat < 10.0:
            w = 0.04 if wide else 0.012
            sig += (-0.8 if wide else 1.2) * np.exp(-0.5 * ((t - beat) / w) ** 2)
            beat += rng.uniform(0.7, 0.9)
        x[i, 0] = sig
    y = np.zeros(n, np.int64)
    y[n - abnormal:] = 1
    return x, y


def digest(path):
    out = subprocess.run([TFMED, "info", path], check=True, capture_output=True, text=True).stdout
    return re.search(r"FNV-1a 64 ([0-9a-f]+)", out).group(1)


def messages(dbg):
    return [pmt.to_python(pmt.car(dbg.get_message(k))) for k in range(dbg.num_messages())]


class PausingSource(gr.sync_block):
    """Plays `x` with a tfmed_label tag (1) at each stream position in
    `tag_at`; holds at sample `pause` until `go` is set."""

    def __init__(self, x, tag_at, pause):
        gr.sync_block.__init__(self, "pausing_source", [], [np.float32])
        self.x, self.tag_at, self.pause, self.pos, self.go = x, tag_at, pause, 0, False

    def work(self, input_items, output_items):
        out = output_items[0]
        if self.pos >= len(self.x):
            return -1
        k = min(len(out), (len(self.x) if self.go else self.pause) - self.pos)
        if k <= 0:
            time.sleep(0.005)
            return 0
        out[:k] = self.x[self.pos:self.pos + k]
        for p in self.tag_at:
            if self.pos <= p < self.pos + k:  # nitems_written restarts at a restart
                self.add_item_tag(0, self.nitems_written(0) + p - self.pos,
                                  pmt.intern("tfmed_label"), pmt.from_long(1))
        self.pos += k
        return k


class qa_trainer_sink(gr_unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tfmed_trainer_sink_")

    def graph(self, x, y, out, hop, settings=SETTINGS, max_windows=1000):
        """source of windows `x` (labels `y` as tags) -> trainer_sink; its
        progress PDUs stored by a message_debug."""
        tb = gr.top_block()
        n = x.shape[0]
        if hop == 0:
            tags = [gr.tag_utils.python_to_tag((i, pmt.intern("tfmed_label"), pmt.from_long(1)))
                    for i in range(n) if y[i]]
            src = blocks.vector_source_f(x.reshape(-1).tolist(), False, 5000, tags)
        else:
            # End to end; a label tag on one sample inside each abnormal window
            # (uint64 here: any number type is a label).
            tags = [gr.tag_utils.python_to_tag((i * 5000 + 1234, pmt.intern("tfmed_label"),
                                                pmt.from_uint64(1))) for i in range(n) if y[i]]
            src = blocks.vector_source_f(x.reshape(-1).tolist(), False, 1, tags)
        snk = tfmed.trainer_sink("tsrnet", out, 1, 500.0, 5000, hop, json.dumps(settings),
                                 max_windows, "cpu", 1)
        dbg = blocks.message_debug()
        tb.connect(src, snk)
        tb.msg_connect(snk, "progress", dbg, "store")
        return tb, snk, dbg

    def run_graph(self, x, y, out, hop):
        tb, snk, dbg = self.graph(x, y, out, hop)
        tb.run()
        return snk, messages(dbg)

    def cli_train(self, x, y, epochs, *more):
        """`tfmed train tsrnet` on windows `x`, labels `y` with SETTINGS'
        values (epochs and `more` as given); the model file's path."""
        np.save(os.path.join(self.dir, "x.npy"), x)
        np.save(os.path.join(self.dir, "y.npy"), y.astype(np.float32))
        cli = os.path.join(self.dir, "cli.tfm")
        subprocess.run([TFMED, "train", "tsrnet", "--data", os.path.join(self.dir, "x.npy"),
                        "--rate", "500", "--labels", os.path.join(self.dir, "y.npy"),
                        "--width", "4", "--d-model", "8", "--epochs", epochs, "--batch", "8",
                        "--lr", "1e-3", "--seed", "3", "--threads", "1", "--device", "cpu",
                        *more, "-o", cli], check=True, capture_output=True)
        return cli

    @unittest.skipUnless(TFMED, "TFMED_BIN not set (the tfmed tool is not built)")
    def test_same_model_as_tfmed_train(self):
        x, y = ecg_like_windows(24, 4)
        want = digest(self.cli_train(x, y, "2"))
        for hop in (0, 5000):
            out = os.path.join(self.dir, "graph%d.tfm" % hop)
            snk, msgs = self.run_graph(x, y, out, hop)
            self.assertEqual(snk.state(), "finished")
            self.assertEqual(snk.windows(), 24)
            self.assertEqual(snk.normal_windows(), 20)
            self.assertEqual(snk.model_path(), out)
            self.assertEqual(digest(out), want, "hop %d" % hop)
            types = [m["type"] for m in msgs]
            self.assertEqual(types[0], "started")
            self.assertEqual(types.count("epoch"), 2)
            self.assertIn("checkpoint", types)
            self.assertEqual(types[-1], "finished")
            self.assertEqual(msgs[-1]["path"], out)
            epochs = [m for m in msgs if m["type"] == "epoch"]
            self.assertEqual([m["epoch"] for m in epochs], [1, 2])
            self.assertTrue(all(np.isfinite(m["loss"]) and np.isfinite(m["metric"])
                                for m in epochs))
            card = json.loads(subprocess.run([TFMED, "info", out], capture_output=True,
                                             text=True).stdout.split("\nweights:")[0])
            self.assertEqual(card["data"]["source"], "flowgraph")
            self.assertEqual(card["data"]["windows"], 24)
            self.assertGreater(card["scoring"]["threshold"], 0)

    @unittest.skipUnless(TFMED, "TFMED_BIN not set (the tfmed tool is not built)")
    def test_schedule_as_tfmed_train(self):
        # The schedule's parameters reach the loop as tfmed train's
        # --schedule step --step-size 1 --gamma 0.5 do: the same weights, and
        # the rate halves every epoch in the progress PDUs.
        x, y = ecg_like_windows(24, 4)
        cli = self.cli_train(x, y, "3", "--schedule", "step", "--step-size", "1",
                             "--gamma", "0.5")
        out = os.path.join(self.dir, "step.tfm")
        tb, snk, dbg = self.graph(x, y, out, 0, dict(SETTINGS, epochs=3, schedule="step",
                                                      step_size=1, gamma=0.5))
        tb.run()
        self.assertEqual(snk.state(), "finished")
        self.assertEqual(digest(out), digest(cli))
        lrs = [m["lr"] for m in messages(dbg) if m["type"] == "epoch"]
        np.testing.assert_allclose(lrs, [1e-3, 5e-4, 2.5e-4], rtol=1e-12)
        # and differ from the default schedule's (cosine) weights
        self.assertNotEqual(digest(out), digest(self.run_graph(x, y, os.path.join(
            self.dir, "cos.tfm"), 0)[0].model_path()))

    def test_refusals(self):
        out = os.path.join(self.dir, "m.tfm")
        with self.assertRaisesRegex(ValueError, "TSRNet expects windows of 5000 samples at "
                                    "500.000000 Hz, found 3600 samples at 360.000000 Hz"):
            tfmed.trainer_sink("tsrnet", out, 1, 360.0, 3600, 0)
        # NaN compared unequal to nothing and was taken for 500 Hz
        with self.assertRaisesRegex(ValueError, "TSRNet expects windows of 5000 samples at "
                                    "500.000000 Hz, found 5000 samples at nan Hz"):
            tfmed.trainer_sink("tsrnet", out, 1, float("nan"), 5000, 0)
        with self.assertRaisesRegex(ValueError, "unknown key 'epoch'"):
            tfmed.trainer_sink("tsrnet", out, 1, 500.0, 5000, 0, '{"epoch": 3}')
        with self.assertRaisesRegex(ValueError,
                                    "expected model 'tsrnet', 'specar', 'trls' or 'trls_views', "
                                    "found 'cnn'"):
            tfmed.trainer_sink("cnn", out, 1, 500.0, 5000, 0)
        with self.assertRaisesRegex(ValueError, "unknown key 'width' for trls"):
            tfmed.trainer_sink("trls", out, 1, 173.61, 178, 0, '{"width": 8}')
        with self.assertRaisesRegex(ValueError, "--probe: expected standardised or raw, "
                                    "found 'whitened'"):
            tfmed.trainer_sink("trls", out, 1, 173.61, 178, 0, '{"probe": "whitened"}')
        with self.assertRaisesRegex(ValueError, "expected scaling none, found train"):
            tfmed.trainer_sink("trls_views", out, 1, 173.61, 178, 0, '{"scaling": "train"}')
        with self.assertRaisesRegex(ValueError, "expected image_norm window, found dataset"):
            tfmed.trainer_sink("trls_views", out, 1, 173.61, 178, 0, '{"image_norm": "dataset"}')
        with self.assertRaisesRegex(ValueError, "a flowgraph trains SpecAR-Net anomaly "
                                    "detection; preset 'jv' is classification"):
            tfmed.trainer_sink("specar", out, 12, 1.0, 29, 0, '{"preset": "jv"}')
        with self.assertRaisesRegex(ValueError, "unknown key 'width' for specar"):
            tfmed.trainer_sink("specar", out, 55, 1.0, 100, 0, '{"width": 8}')
        with self.assertRaisesRegex(ValueError, "the folder /nonexistent does not exist"):
            tfmed.trainer_sink("tsrnet", "/nonexistent/m.tfm", 1, 500.0, 5000, 0)
        with self.assertRaisesRegex(ValueError, "expected hop >= 0"):
            tfmed.trainer_sink("tsrnet", out, 1, 500.0, 5000, -1)
        # at construction, not after the stream has been gathered
        with self.assertRaisesRegex(ValueError, "trainer: expected threads from 0 \\(all cores\\) to "):
            tfmed.trainer_sink("tsrnet", out, 1, 500.0, 5000, 0, "{}", 20000, "cpu", 100000)
        # Values of the wrong kind (nlohmann took true as 1, 2.9 as 2 and -1
        # as 2^64 - 1) and out of range, all at construction.
        for model, ch, rate, w, opts, want in (
                ("tsrnet", 1, 500.0, 5000, {"epochs": True},
                 "'epochs' has the wrong type: expected an integer, found true"),
                ("tsrnet", 1, 500.0, 5000, {"epochs": 2.9},
                 "'epochs' has the wrong type: expected an integer, found 2.9"),
                ("tsrnet", 1, 500.0, 5000, {"batch": 16.7}, "'batch' has the wrong type"),
                ("tsrnet", 1, 500.0, 5000, {"seed": -1},
                 "'seed' has the wrong type: expected an integer >= 0, found -1"),
                ("tsrnet", 1, 500.0, 5000, {"lr": "1e-3"},
                 "'lr' has the wrong type: expected a number"),
                ("tsrnet", 1, 500.0, 5000, {"drop_invalid": 1},
                 "'drop_invalid' has the wrong type: expected true or false"),
                ("tsrnet", 1, 500.0, 5000, {"val_fraction": 0.9, "test_fraction": 0.5},
                 "val_fraction \\+ test_fraction < 1, found 0.900000 and 0.500000"),
                ("tsrnet", 1, 500.0, 5000, {"val_fraction": 0},
                 "expected val_fraction > 0"),
                ("tsrnet", 1, 500.0, 5000, {"max_train_windows": -1},
                 "expected max_train_windows >= 0"),
                # The card's bounds, at construction (found after the stream)
                ("tsrnet", 1, 500.0, 5000, {"width": 100000},
                 "expected 1 <= width <= 128 and d_model <= 1024 a positive multiple of "
                 "heads, found width 100000"),
                ("tsrnet", 1, 500.0, 5000, {"d_model": 100000, "heads": 1},
                 "d_model 100000, heads 1"),
                ("tsrnet", 1, 500.0, 5000, {"d_model": 8, "heads": 16},
                 "d_model 8, heads 16"),

                ("specar", 55, 1.0, 100, {"anomaly_ratio": 500},
                 "expected a percentage in \\(0, 100\\), found 500"),
                ("specar", 55, 1.0, 100, {"val_fraction": 1.5},
                 "expected 0 < val_fraction < 1, found 1.5"),
                ("specar", 55, 1.0, 100, {"max_train_windows": -3}, "expected >= 0, found -3"),
                ("specar", 55, 1.0, 100, {"preset": 5},
                 "'preset' has the wrong type: expected a string, found 5"),
                # How tags become labels (every model)
                ("specar", 55, 1.0, 100, {"labels": "sometimes"},
                 "expected labels 'auto', 'events' or 'held', found 'sometimes'"),
                ("tsrnet", 1, 500.0, 5000, {"classes": []},
                 "'classes' has the wrong type: expected a non-empty list of class names"),
                ("trls", 1, 173.61, 178, {"classes": ["rest", 1]},
                 "expected a non-empty list of class names, found \\[\"rest\",1\\]"),
                ("trls", 1, 173.61, 178, {"classes": ["rest", "rest"]},
                 "class 'rest' named twice in classes"),
                ("trls_views", 1, 173.61, 178, {"classes": ["rest", "seizure"]},
                 "trls_views trains without labels; expected no classes, found 2"),
                # A schedule's parameters beside another schedule, refused
                # (as tfmed train's); out of range, the loop's own message
                ("tsrnet", 1, 500.0, 5000, {"gamma": 0.5},
                 "'gamma' is a parameter of the step schedule; expected schedule 'step' "
                 "beside it, found 'cosine'"),
                ("specar", 55, 1.0, 100, {"schedule": "step", "plateau_factor": 0.5},
                 "'plateau_factor' is a parameter of the plateau schedule; expected "
                 "schedule 'plateau' beside it, found 'step'"),
                ("trls", 1, 173.61, 178, {"schedule": "step", "gamma": 2},
                 "expected step_size >= 1 and 0 < gamma <= 1 for the step schedule, "
                 "found 10 and 2"),
                ("tsrnet", 1, 500.0, 5000, {"schedule": "plateau", "plateau_patience": 1.5},
                 "'plateau_patience' has the wrong type: expected an integer, found 1.5")):
            with self.assertRaisesRegex(ValueError, want, msg=str(opts)):
                tfmed.trainer_sink(model, out, ch, rate, w, 0, json.dumps(opts))

    def test_specar_graph_ends_with_finished(self):
        # The last PDU of a completed run is `finished` with the model path
        # for every model (SpecAR-Net's graphs ended on `checkpoint`).
        out = os.path.join(self.dir, "specar.tfm")
        tb = gr.top_block()
        src = blocks.vector_source_f(np.sin(np.arange(2000) * 0.1).astype(np.float32).tolist())
        snk = tfmed.trainer_sink("specar", out, 1, 1.0, 100, 50, json.dumps(
            {"epochs": 1, "batch": 4, "d_model": 8, "d_ff": 8, "e_layers": 1}), 1000, "cpu", 1)
        dbg = blocks.message_debug()
        tb.connect(src, snk)
        tb.msg_connect(snk, "progress", dbg, "store")
        tb.run()
        msgs = messages(dbg)
        self.assertEqual(snk.state(), "finished")
        self.assertEqual(snk.windows(), 39)
        self.assertEqual([m["type"] for m in msgs if m["type"] != "step"],
                         ["started", "started", "epoch", "checkpoint", "finished"])
        self.assertEqual(msgs[-1]["path"], out)
        self.assertEqual((msgs[-1]["epoch"], msgs[-1]["epochs"]), (1, 1))
        self.assertEqual(msgs[-1]["metric_name"], msgs[-3]["metric_name"])
        self.assertIn("threshold", msgs[-1]["message"])
        self.assertTrue(os.path.exists(out))

    def test_empty_stream_fails(self):
        # GNU Radio retires a sink that never got an item without calling
        # its work(): the run ends failed, not "gathering", and no model.
        out = os.path.join(self.dir, "empty.tfm")
        tb = gr.top_block()
        snk = tfmed.trainer_sink("specar", out, 1, 1.0, 100, 50, '{"epochs": 1}', 1000, "cpu", 1)
        tb.connect(blocks.vector_source_f([], False, 1), snk)
        tb.run()
        self.assertEqual(snk.state(), "failed")
        self.assertFalse(os.path.exists(out))

    def test_nan_windows_refused_or_dropped_as_tfmed_train(self):
        # tfmed train refuses windows with NaN samples, or leaves them out
        # with --drop-invalid; the sink did neither (TSRNet trained on with
        # the window in its split).
        x, y = ecg_like_windows(12, 2)
        x[3, 0, 100] = np.nan
        out = os.path.join(self.dir, "nan.tfm")
        tb, snk, dbg = self.graph(x, y, out, 0)
        tb.run()
        msgs = messages(dbg)
        self.assertEqual(snk.state(), "failed")
        self.assertEqual(msgs[-1]["type"], "error")
        self.assertIn("window 3 of the stream (0-based) holds NaN/Inf samples",
                      msgs[-1]["message"])
        self.assertFalse(os.path.exists(out))
        tb, snk, dbg = self.graph(x, y, out, 0, dict(SETTINGS, drop_invalid=True))
        tb.run()
        msgs = messages(dbg)
        self.assertEqual(snk.state(), "finished")
        self.assertEqual(snk.windows(), 11)
        self.assertEqual(snk.normal_windows(), 9)
        self.assertIn("windows from the caller (flowgraph): 11 windows", msgs[0]["message"])
        self.assertTrue(os.path.exists(out))

    def test_memory_limit(self):
        x, y = ecg_like_windows(6, 0)
        out = os.path.join(self.dir, "limit.tfm")
        tb, snk, dbg = self.graph(x, y, out, 0, max_windows=4)
        tb.run()
        msgs = messages(dbg)
        self.assertEqual(snk.state(), "failed")
        self.assertEqual(msgs[-1]["type"], "error")
        self.assertIn("more than max_windows = 4 windows reached the sink", msgs[-1]["message"])
        self.assertFalse(os.path.exists(out))

    def test_stop_while_training(self):
        x, y = ecg_like_windows(12, 0)
        out = os.path.join(self.dir, "stopped.tfm")
        tb, snk, dbg = self.graph(x, y, out, 0, dict(SETTINGS, epochs=500))
        tb.start()
        deadline = time.time() + 120
        while time.time() < deadline and "checkpoint" not in [m["type"] for m in messages(dbg)]:
            time.sleep(0.05)
        self.assertEqual(snk.state(), "training")
        tb.stop()
        tb.wait()
        self.assertEqual(snk.state(), "stopped")
        self.assertFalse(os.path.exists(out))
        self.assertTrue(os.path.exists(out + ".ckpt"))
        self.assertEqual([f for f in os.listdir(self.dir) if ".tmp" in f], [])

    def test_lock_unlock_while_gathering(self):
        """GNU Radio's restart counts nitems_read() from 0 again and loses
        what waited in the input buffer: windows are not cut across the gap
        and the labels after it stay on their windows (before: every label
        after the restart was lost, abnormal windows trained as normal)."""
        x, y = ecg_like_windows(12, 4)
        out = os.path.join(self.dir, "restarted.tfm")
        tb = gr.top_block()
        src = PausingSource(x.reshape(-1), [i * 5000 + 1234 for i in range(12) if y[i]], 30100)
        snk = tfmed.trainer_sink("tsrnet", out, 1, 500.0, 5000, 5000, json.dumps(SETTINGS),
                                 1000, "cpu", 1)
        tb.connect(src, snk)
        tb.start()
        deadline = time.time() + 60
        while snk.windows() < 6 and time.time() < deadline:
            time.sleep(0.01)
        self.assertEqual(snk.windows(), 6)  # 30,100 samples sent, the last held back
        tb.lock()
        tb.unlock()
        src.go = True
        tb.wait()
        # Windows 0-5, then the 99 samples of window 6 dropped and the held
        # sample lost: 29,900 samples from 30,100 on make 5 more windows
        # (30,100 + 5,000 k), three of them holding a label (41,234,
        # 46,234, 51,234; 56,234 falls in the incomplete last one).
        self.assertEqual(snk.windows(), 11)
        self.assertEqual(snk.normal_windows(), 8)
        self.assertEqual(snk.state(), "finished")

    def test_table_source_labels_hold_until_the_next(self):
        """A table_source label column is tagged where it changes (text): the
        label holds until the next tag. A CSV of 2,000 rows labelled 1 from
        row 1,250 to 1,449 gives windows of 100 (hop 100) 12, 13 and 14 the
        label 1 (window 13 has no tag on its samples: it trained as normal,
        and window 14 took the 0 tagged at row 1,450). Text class names need
        the `classes` option (they counted as 1, every class alike)."""
        rng = np.random.default_rng(3)
        def table(name, names):
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write("state,x\n")  # (a CSV's text column must be its first)
                for i in range(2000):
                    f.write(f"{names[1250 <= i < 1450]},{rng.standard_normal():.4f}\n")
            return path
        small = {"epochs": 1, "batch": 4, "d_model": 8, "d_ff": 8, "e_layers": 1, "seed": 1}
        def run(path, hop=100, **opts):
            tb = gr.top_block()
            src = tfmed.table_source(path, ["x"], 100.0, "", "state")
            out = os.path.join(self.dir, f"{os.path.basename(path)}{len(opts)}_{hop}.tfm")
            snk = tfmed.trainer_sink("specar", out, 1, 100.0, 100, hop,
                                     json.dumps(dict(small, **opts)), 1000, "cpu", 1)
            dbg = blocks.message_debug()
            tb.connect(src, snk)
            tb.msg_connect(snk, "progress", dbg, "store")
            tb.run()
            return snk, messages(dbg), out
        numbers = table("numbers.csv", ["0", "1"])
        for opts, normal in (({}, 17), ({"labels": "held"}, 17), ({"labels": "events"}, 19)):
            snk, msgs, out = run(numbers, **opts)
            self.assertEqual(snk.windows(), 20, opts)
            self.assertEqual(snk.normal_windows(), normal, opts)
            self.assertEqual(snk.state(), "finished", opts)
            self.assertTrue(os.path.exists(out))
        # Overlapping windows (every 50 rows, 39 of them): held, the five
        # that start at rows 1,200 to 1,400 hold a row labelled 1; as
        # events, the two holding row 1,250's tag.
        for opts, normal in (({}, 34), ({"labels": "events"}, 37)):
            snk, msgs, out = run(numbers, hop=50, **opts)
            self.assertEqual((snk.windows(), snk.normal_windows()), (39, normal), opts)
        names = table("names.csv", ["rest", "seizure"])
        snk, msgs, out = run(names)
        self.assertEqual(snk.state(), "failed")
        self.assertEqual(msgs[-1]["type"], "error")
        self.assertIn("tfmed_label 'rest' is text, not a class index: name the classes in the "
                      "options", msgs[-1]["message"])
        self.assertFalse(os.path.exists(out))
        snk, msgs, out = run(names, classes=["rest", "seizure"])
        self.assertEqual((snk.windows(), snk.normal_windows()), (20, 17))
        self.assertEqual(snk.state(), "finished")
        snk, msgs, out = run(names, classes=["rest", "walking"])
        self.assertEqual(snk.state(), "failed")
        self.assertIn("tfmed_label 'seizure' is not one of the options' classes",
                      msgs[-1]["message"])

    def test_labeler_with_edf_annotations(self):
        """EDF+ annotations carry no WFDB code (0): with beats_only they get no
        label and are counted as skipped; beats_only=False labels them by
        their text. A WFDB rhythm annotation ('+', code 28) is skipped too."""
        def ann(offset, symbol, code):
            d = pmt.make_dict()
            d = pmt.dict_add(d, pmt.intern("symbol"), pmt.intern(symbol))
            d = pmt.dict_add(d, pmt.intern("code"), pmt.from_long(code))
            return gr.tag_utils.python_to_tag((offset, pmt.intern("annotation"), d))

        tags = [ann(3, "N", 1), ann(5, "+", 28), ann(7, "seizure", 0), ann(9, "rest", 0)]

        def run(beats_only):
            tb = gr.top_block()
            src = blocks.vector_source_f([0.0] * 12, False, 1, tags)
            lab = tfmed.annotation_labeler(1, "N,rest", beats_only)
            snk = blocks.vector_sink_f()
            tb.connect(src, lab, snk)
            tb.run()
            labels = sorted((t.offset, pmt.to_long(t.value)) for t in snk.tags()
                            if pmt.symbol_to_string(t.key) == "tfmed_label")
            return lab, labels

        lab, labels = run(True)
        self.assertEqual(labels, [(3, 0)])
        self.assertEqual((lab.normal_labels(), lab.abnormal_labels(), lab.skipped()), (1, 0, 3))
        lab, labels = run(False)
        self.assertEqual(labels, [(3, 0), (5, 1), (7, 1), (9, 0)])
        self.assertEqual((lab.normal_labels(), lab.abnormal_labels(), lab.skipped()), (2, 2, 0))

    @unittest.skipUnless(DATA and os.path.exists(os.path.join(DATA, "wfdb_sample", "100.hea")),
                         "../shared/data/wfdb_sample/100 is absent")
    def test_labels_on_record_100(self):
        tb = gr.top_block()
        src = tfmed.wfdb_source(os.path.join(DATA, "wfdb_sample", "100"), [0])
        lab = tfmed.annotation_labeler(1, "N")
        snk = blocks.vector_sink_f()
        tb.connect(src, lab, snk)
        tb.run()
        labels = [(t.offset, pmt.to_long(t.value)) for t in snk.tags()
                  if pmt.symbol_to_string(t.key) == "tfmed_label"]
        # 2273 beats: 2239 N, 33 A, 1 V; the rhythm annotation gets no label.
        self.assertEqual(len(labels), 2273)
        self.assertEqual(sum(1 for _, v in labels if v == 0), 2239)
        self.assertEqual(lab.normal_labels(), 2239)
        self.assertEqual(lab.abnormal_labels(), 34)
        self.assertEqual(lab.skipped(), 1)  # the rhythm annotation, counted
        anns = {t.offset for t in snk.tags() if pmt.symbol_to_string(t.key) == "annotation"}
        self.assertTrue({o for o, _ in labels} <= anns)
        with self.assertRaisesRegex(ValueError, "expected at least one normal symbol"):
            tfmed.annotation_labeler(1, " , ")
        # With beats_only, a list without a beat symbol labelled every beat
        # abnormal; without it, any symbol is a label
        with self.assertRaisesRegex(ValueError, "with beats_only, expected at least one normal "
                                    "symbol that is a WFDB beat annotation .*, found 'normal'"):
            tfmed.annotation_labeler(1, "normal")
        tfmed.annotation_labeler(1, "normal", False)


    @unittest.skipUnless(os.path.isdir(os.path.join(DATA, "bonn_eeg", "raw")),
                         "needs the Bonn EEG recordings in TFMED_DATA_DIR")
    def test_trls_on_bonn_eeg(self):
        """Eight real recordings (S001-S004 seizure, label 1; Z001-Z004
        healthy, 0), 23 windows of 178 each, cut from the stream by the sink:
        TRLS pre-trains and fits the 2-class head; without labels the encoder
        alone is the model. tfrnn_encoder loads both."""
        raw = os.path.join(DATA, "bonn_eeg", "raw")
        parts, tags = [], []
        for k, name in enumerate(["S/S001", "S/S002", "S/S003", "S/S004",
                                  "Z/Z001", "Z/Z002", "Z/Z003", "Z/Z004"]):
            parts.append(np.loadtxt(os.path.join(raw, name + ".txt"), dtype=np.float32)[:23 * 178])
            if name[0] == "S":  # every window of a seizure recording
                tags += [gr.tag_utils.python_to_tag(((k * 23 + w) * 178, pmt.intern("tfmed_label"),
                                                     pmt.from_long(1))) for w in range(23)]
        x = np.concatenate(parts)
        settings = {"epochs": 1, "head_epochs": 30, "hidden": 16, "f_h": 16, "seed": 4}
        for labelled in (True, False):
            out = os.path.join(self.dir, f"trls_{labelled}.tfm")
            tb = gr.top_block()
            src = blocks.vector_source_f(x.tolist(), False, 1, tags if labelled else [])
            # The labelled run fits the standardised probe (folded into the head).
            probe = {"probe": "standardised"} if labelled else {}
            snk = tfmed.trainer_sink("trls", out, 1, 173.61, 178, 178,
                                     json.dumps({**settings, **probe}),
                                     1000, "cpu", 2)
            dbg = blocks.message_debug()
            tb.connect(src, snk)
            tb.msg_connect(snk, "progress", dbg, "store")
            tb.run()
            self.assertEqual(snk.model_path(), out)
            self.assertEqual(snk.windows(), 184)
            self.assertEqual(snk.normal_windows(), 92 if labelled else 184)
            card = json.loads(subprocess.run([TFMED, "info", out], check=True,
                                             capture_output=True, text=True).stdout.split("\nweights:")[0]) \
                if TFMED else None
            enc = tfmed.tfrnn_encoder(out, "samples", 1, 0, "cpu", 1, 173.61, 80,
                                      2 if labelled else 0)
            self.assertEqual(enc.embedding_size(), 80)
            self.assertEqual(enc.class_names(), ["0", "1"] if labelled else [])
            if card:
                # 184 windows: 37 test, 29 validation, 118 pre-train (and fit the head).
                self.assertEqual(card["data"]["train_windows"], 118)
                self.assertEqual(card["data"]["test_windows"], 37)
                self.assertEqual(card["architecture"]["num_class"], 2 if labelled else 0)
                if labelled:
                    self.assertEqual(card["metrics"]["probe"], "standardised")
                self.assertEqual(card["signal"]["sample_rate"], 173.61)
            kinds = [m["type"] for m in messages(dbg) if isinstance(m, dict) and "type" in m]
            self.assertEqual(kinds[-1], "finished")
    @unittest.skipUnless(os.path.isdir(os.path.join(DATA, "bonn_eeg", "raw")),
                         "needs the Bonn EEG recordings in TFMED_DATA_DIR")
    def test_trls_views_made_in_the_graph(self):
        """Four real recordings, played twice: stft -> two spec_augment (same
        seed, views 0 and 1, normalised) -> trainer_sink trls_views. The sink
        pairs 23 frames of each input per window of 178 samples, pre-trains
        on the views as they came, and writes the encoder that tfrnn_encoder
        loads for frames. Views that are not images in [0, 1] are refused."""
        raw = os.path.join(DATA, "bonn_eeg", "raw")
        x = np.concatenate([np.loadtxt(os.path.join(raw, n + ".txt"), dtype=np.float32)
                            for n in ("S/S001", "S/S002", "Z/Z001", "Z/Z002")])
        x = np.concatenate([x, x])  # two passes: fresh views of the same windows
        frames = len(x) // 8        # the stft block at hop 8: one frame per 8 samples
        settings = {"hidden": 16, "f_h": 16, "seed": 4, "n_fft": 32, "batch": 16}
        def run(x, out, frames_per_window=23, normalise=True, output="magnitude"):
            """x -> stft -> two spec_augment -> trainer_sink trls_views; the sink
            and its progress PDUs."""
            tb = gr.top_block()
            src = blocks.vector_source_f(x.tolist(), False)
            stft = tfmed.stft(1, 32, 8, 0, "hann", True, "torch", True, "reflect", False, True,
                              output)
            v1 = tfmed.spec_augment(17, frames_per_window, "view1", 11, 0, normalise)
            v2 = tfmed.spec_augment(17, frames_per_window, "view2", 11, 1, normalise)
            snk = tfmed.trainer_sink("trls_views", out, 1, 173.61, 178, 0, json.dumps(settings),
                                     5000, "cpu", 2)
            dbg = blocks.message_debug()
            tb.connect(src, stft)
            tb.connect(stft, v1, (snk, 0))
            tb.connect(stft, v2, (snk, 1))
            tb.msg_connect(snk, "progress", dbg, "store")
            tb.run()
            return snk, [m for m in messages(dbg) if isinstance(m, dict) and "type" in m]

        def refused(snk, msgs, out, what):
            self.assertEqual(snk.state(), "failed")
            self.assertEqual(msgs[-1]["type"], "error")
            self.assertIn(what, msgs[-1]["message"])
            self.assertFalse(os.path.exists(out))

        out = os.path.join(self.dir, "views.tfm")
        snk, msgs = run(x, out)
        kinds = [m["type"] for m in msgs]
        self.assertEqual(snk.state(), "finished", kinds)
        self.assertEqual(snk.model_path(), out)
        self.assertIn(snk.windows(), (frames // 23, frames // 23 - 1))
        self.assertEqual(kinds[-1], "finished")
        # One run over what came (the passes are the epochs).
        self.assertEqual(max(m["epochs"] for m in msgs if m["type"] == "epoch"), 1)
        enc = tfmed.tfrnn_encoder(out, "frames", 1, 0, "cpu", 1, 173.61, 80, 0)
        self.assertEqual(enc.embedding_size(), 80)
        self.assertEqual(enc.class_names(), [])
        if TFMED:
            card = json.loads(subprocess.run([TFMED, "info", out], check=True,
                                             capture_output=True,
                                             text=True).stdout.split("\nweights:")[0])
            n = snk.windows()
            self.assertEqual(card["architecture"]["num_class"], 0)
            self.assertEqual(card["data"]["data"], "flowgraph views")
            self.assertEqual(card["data"]["val_windows"], max(1, n // 5))
            self.assertEqual(card["data"]["train_windows"], n - max(1, n // 5))

        # Views that are not images (no normalise): refused after gathering.
        out = os.path.join(self.dir, "views_raw.tfm")
        refused(*run(x, out, normalise=False), out,
                "expected views scaled to [0, 1] (spec_augment with normalise)")
        # spec_augment cutting windows of 20 frames where the model's are 23:
        # refused, naming both, no model.
        out = os.path.join(self.dir, "views_misaligned.tfm")
        refused(*run(x[:8 * 4097], out, frames_per_window=20), out,
                "expected spec_augment windows of 23 frames on input 0 (the model's STFT of 178 "
                "samples), found one starting at frame 20")
        # Views of power frames (spec_augment flags them stft_mismatch; its
        # min-max keeps them in [0, 1]): refused, no model. They trained.
        out = os.path.join(self.dir, "views_power.tfm")
        refused(*run(x[:8 * 4097], out, output="power"), out,
                "the views of window 0 on input 0 are not of STFT magnitudes")


if __name__ == "__main__":
    gr_unittest.run(qa_trainer_sink)
