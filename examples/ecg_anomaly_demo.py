#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Live ECG anomaly detection: TSRNet scoring MIT-BIH record 208 in a flowgraph.

Record 208 (5 min at 360 Hz, MLII, shipped with Debian's python3-scipy, full of
premature ventricular beats) is replayed, resampled to the model's 500 Hz by a
rational resampler (25/18) and scored by tfmed.tsrnet_scorer: one score per
hop (5 s) over 10-s windows. Alarms arrive as PDUs on the scorer's 'alarm'
port and are printed as they happen (with the window's time in the record);
at the end a PNG shows the trace, the score with its threshold and the alarms.

    ecg_anomaly_demo.py [--model FILE] [--out DIR] [--realtime] [--hop-s S]
                        [--threshold T] [--device auto|cpu|cuda:N]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import pmt
from gnuradio import blocks, filter, gr

from gnuradio import tfmed


class AlarmLog(gr.basic_block):
    """Prints each alarm / invalid-window PDU as it arrives and keeps them."""

    def __init__(self):
        gr.basic_block.__init__(self, "alarm_log", None, None)
        self.events = []
        self.message_port_register_in(pmt.intern("in"))
        self.set_msg_handler(pmt.intern("in"), self.handle)

    def handle(self, msg):
        meta = pmt.to_python(pmt.car(msg))
        self.events.append(meta)
        t = meta["time_s"]
        when = f"{int(t // 60)}:{t % 60:04.1f}"
        if meta["type"] == "alarm":
            print(f"ALARM   {when} (window {t:6.1f}-{t + 10:6.1f} s): score "
                  f"{meta['score']:.4f} > {meta['threshold']:.4f}", flush=True)
        else:
            # The payload is the full text (figures included) as UTF-8 bytes.
            text = bytes(pmt.u8vector_elements(pmt.cdr(msg))).decode(errors="replace") \
                or meta["detail"]
            print(f"INVALID {when} (window {t:6.1f}-{t + 10:6.1f} s): {meta['status']}: "
                  f"{text}", flush=True)


def run(args):
    x = tfmed.scipy_ecg()
    fs_in = tfmed.SCIPY_ECG_RATE
    model = args.model or tfmed.demo_model()
    tb = gr.top_block("ecg_anomaly_demo")
    src = blocks.vector_source_f(x.tolist(), False)
    res = filter.rational_resampler_fff(25, 18)  # 360 Hz -> 500 Hz
    threshold = float("nan") if args.threshold is None else args.threshold
    scorer = tfmed.tsrnet_scorer(model, 1, 500.0, int(args.hop_s * 500), args.device,
                                 threshold, args.threads)
    card = json.loads(scorer.card_json())
    snk = blocks.vector_sink_f()
    log = AlarmLog()
    chain = [src]
    if args.realtime:
        chain.append(blocks.throttle(gr.sizeof_float, fs_in, True))
    tb.connect(*chain, res, scorer, snk)
    tb.msg_connect(scorer, "alarm", log, "in")
    print(f"model {model}: {card['parameters']} parameters, {card['signal']['sample_rate']:.0f} Hz, "
          f"{card['signal']['window']}-sample windows, {card['scoring']['score']} score, "
          f"threshold {scorer.threshold():.4f}, device {scorer.device()}", flush=True)
    t0 = time.perf_counter()
    tb.run()
    dt = time.perf_counter() - t0
    time.sleep(0.1)  # let the last messages reach the log
    scores = np.array(snk.data(), dtype=np.float32)
    return x, fs_in, scores, log.events, scorer.threshold(), dt, card


def plot(x, fs, scores, events, threshold, hop_s, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a0, a1) = plt.subplots(2, 1, figsize=(12, 6), sharex=True,
                                 gridspec_kw={"height_ratios": [1.3, 1]})
    t = np.arange(len(x)) / fs
    a0.plot(t, x, lw=0.4, color="k")
    a0.set_ylabel("ECG (mV)")
    a0.set_title("MIT-BIH record 208 (python3-scipy) -> resampler -> tfmed.tsrnet_scorer")
    starts = np.arange(len(scores)) * hop_s
    for e in events:
        if e["type"] == "alarm":
            a0.axvspan(e["time_s"], e["time_s"] + 10, color="tab:red", alpha=0.08, lw=0)
    a1.plot(starts + 5, scores, "o-", ms=3, color="tab:blue", label="score (window centre)")
    a1.axhline(threshold, color="tab:red", ls="--", lw=1, label="alarm threshold")
    al = [e for e in events if e["type"] == "alarm"]
    a1.plot([e["time_s"] + 5 for e in al], [e["score"] for e in al], "v", color="tab:red",
            label="alarm")
    a1.set_ylabel("TSRNet score")
    a1.set_xlabel("time (s)")
    a1.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model file (default: the shipped demo model)")
    ap.add_argument("--out", default="out", help="folder for the PNG (default: out)")
    ap.add_argument("--realtime", action="store_true", help="replay at 360 samples/s")
    ap.add_argument("--hop-s", type=float, default=5.0, help="seconds between windows")
    ap.add_argument("--threshold", type=float, help="alarm level (default: the card's)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.hop_s <= 0:
        sys.exit(f"--hop-s: expected > 0, found {args.hop_s}")
    x, fs, scores, events, thr, dt, card = run(args)
    alarms = sum(e["type"] == "alarm" for e in events)
    invalid = sum(e["type"] == "invalid" for e in events)
    dur = len(x) / fs
    print(f"scored {len(scores)} windows of {dur:.0f} s of ECG in {dt:.1f} s "
          f"({dur / dt:.0f}x real time): {alarms} alarms, {invalid} invalid windows")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "ecg_anomaly.png")
    plot(x, fs, scores, events, thr, args.hop_s, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
