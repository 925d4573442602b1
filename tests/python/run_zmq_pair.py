#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Streams across hosts: examples/ecg_sensor_host.grc and ecg_scoring_host.grc
on localhost, in two processes, against the same graph in one process.

Usage: run_zmq_pair.py EXAMPLES_DIR OUTDIR

The sensor host (a subprocess) replays MIT-BIH record 100 (60 s, as fast as
the link takes) into a ZMQ PUSH socket with tags; the scoring host (this
process, from its compiled .grc; it runs until stopped, as a server) pulls it, scores it with the demo TSRNet and
publishes alarm PDUs on ZMQ PUB, which a ZMQ SUB in this process receives
(alarm level: the median score of the single run, so that half the windows
alarm).
Checked against wfdb_source -> resampler -> scorer in one graph:
  - the samples and the source's tags (sample_rate, annotation, ...) arrive
    unchanged, at the same offsets;
  - the scores are the single graph's to float rounding (1e-5 relative: the
    shared engine batches windows as they arrive, and LibTorch's CPU kernels
    round by batch size; README, serving), with the same tags;
  - the alarm PDUs are the single graph's field for field (scores to the same
    rounding), and a monitor receives exactly the scorer's PDUs over ZMQ
    PUB/SUB.
Skipped (77) without ../shared/data.
"""
import importlib.util
import inspect
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pmt
from gnuradio import blocks, filter, gr, tfmed, zeromq

EXAMPLES, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)
DATA = os.environ.get("TFMED_DATA_DIR", "../shared/data")
RECORD = os.path.join(DATA, "wfdb_sample", "100")
if not os.path.exists(RECORD + ".hea"):
    print(f"SKIP run_zmq_pair: needs {RECORD}.hea (the shared data sets are not here)")
    sys.exit(77)
N = 360 * 60
WALL = {"latency_s", "late_s", "wall_time", "time", "arrival"}
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def compile_grc(stem):
    r = subprocess.run(["grcc", "-o", OUT, os.path.join(EXAMPLES, stem + ".grc")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"grcc failed on {stem}.grc:\n{r.stdout}\n{r.stderr}")
    return os.path.join(OUT, stem + ".py")


def load_class(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return [c for _, c in inspect.getmembers(mod, inspect.isclass)
            if issubclass(c, gr.top_block) and c.__module__ == stem][0]


def tags_of(sink):
    return [(t.offset, pmt.symbol_to_string(t.key), pmt.write_string(t.value))
            for t in sink.tags()]


def pdu_fields(msgs):
    out = []
    for m in msgs:
        meta = pmt.to_python(pmt.car(m))
        fields = {k: v for k, v in meta.items() if k not in WALL}
        # The payload: a flagged window's full text (UTF-8), empty for an alarm.
        fields["payload"] = bytes(pmt.u8vector_elements(pmt.cdr(m))).decode(errors="replace")
        out.append(fields)
    return out


def same_pdus(a, b):
    """Same PDUs, field for field; scores to float rounding (1e-5 relative)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x.keys() != y.keys():
            return False
        for k in x:
            if isinstance(x[k], float) and isinstance(y[k], float):
                if abs(x[k] - y[k]) > 1e-5 * max(1.0, abs(x[k])):
                    return False
            elif x[k] != y[k]:
                return False
    return True


def scorer(model):
    return tfmed.tsrnet_scorer(model, 1, 500.0, 2500, device="auto", threshold=float("nan"),
                               threads=1)


model = tfmed.demo_model()

# The single graph ------------------------------------------------------------
def single(threshold):
    tb = gr.top_block()
    src = tfmed.wfdb_source(RECORD, [0], False, False, 0, N, "atr", "high_rate")
    raw = blocks.vector_sink_f()
    rs = filter.rational_resampler_fff(25, 18)
    sc = scorer(model)
    sc.set_threshold(threshold)
    out = blocks.vector_sink_f()
    log = blocks.message_debug()
    tb.connect(src, raw)
    tb.connect(src, rs, sc, out)
    tb.msg_connect(sc, "alarm", log, "store")
    tb.run()
    return raw, out, log


# Record 100 is normal: an alarm level at the median score makes alarms to compare.
_, first, _ = single(float("nan"))
THRESHOLD = float(np.median(np.array(first.data(), np.float32)))
raw1, sc1, log1 = single(THRESHOLD)
alarms1 = [log1.get_message(i) for i in range(log1.num_messages())]

# Two processes ----------------------------------------------------------------
sensor_py = compile_grc("ecg_sensor_host")
scoring_cls = load_class(compile_grc("ecg_scoring_host"))
p_stream, p_mon, p_alarm = free_port(), free_port(), free_port()
host = scoring_cls(sensor=f"tcp://127.0.0.1:{p_stream}", alarms=f"tcp://127.0.0.1:{p_alarm}",
                   model="", outfile=os.path.join(OUT, "zmq_scores.f32"))
raw2 = blocks.vector_sink_f()
sc2 = blocks.vector_sink_f()
log2 = blocks.message_debug()
host.scorer.set_threshold(THRESHOLD)
host.connect(host.pull, raw2)
host.connect(host.scorer, sc2)
host.msg_connect(host.scorer, "alarm", log2, "store")
# A monitor on the alarm PUB, as another host would subscribe.
mon = gr.top_block()
sub = zeromq.sub_msg_source(f"tcp://127.0.0.1:{p_alarm}", 100, False)
log3 = blocks.message_debug()
mon.msg_connect(sub, "out", log3, "store")
host.start()
mon.start()
# The monitor's subscription must reach the PUB before any alarm (PUB/SUB
# drops what a subscriber has not yet asked for): probe PDUs through the
# host's alarm publisher until one arrives.
probe = pmt.cons(pmt.to_pmt({"type": "probe"}), pmt.PMT_NIL)
t_probe = time.time()
while log3.num_messages() == 0:
    if time.time() - t_probe > 30:
        sys.exit("the monitor never received a probe PDU from the alarm publisher in 30 s")
    host.alarm_pub.to_basic_block()._post(pmt.intern("in"), probe)
    time.sleep(0.1)
time.sleep(0.3)  # probes still on their way
n_probes = log3.num_messages()
t0 = time.time()
sensor = subprocess.Popen([sys.executable, sensor_py, "--record", RECORD, "--nsamples", str(N),
                           "--realtime", "0", "--address", f"tcp://127.0.0.1:{p_stream}",
                           "--monitor-address", f"tcp://127.0.0.1:{p_mon}"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
# The scoring host runs until stopped (a server): wait for the single graph's
# number of scores, at most 120 s.
while time.time() - t0 < 120 and (len(sc2.data()) < len(sc1.data()) or
                                   log2.num_messages() < log1.num_messages()):
    time.sleep(0.1)
dt = time.time() - t0
try:
    out, _ = sensor.communicate(timeout=30)
except subprocess.TimeoutExpired:
    sensor.kill()
    out, _ = sensor.communicate()
while time.time() - t0 < 120 and log3.num_messages() - n_probes < log1.num_messages():
    time.sleep(0.1)  # the last alarm PDUs cross the PUB/SUB hop
time.sleep(0.2)
mon.stop()
mon.wait()
host.stop()
host.wait()
alarms2 = [log2.get_message(i) for i in range(log2.num_messages())]
alarms3 = [m for m in (log3.get_message(i) for i in range(log3.num_messages()))
           if pmt.to_python(pmt.car(m)).get("type") != "probe"]
print(f"two hosts: {N} samples in {dt:.2f} s; sensor host exit {sensor.returncode}")

x1, x2 = np.array(raw1.data(), np.float32), np.array(raw2.data(), np.float32)
check(len(x1) == N and len(x2) == N and np.array_equal(x1, x2),
      f"the {N} samples cross the hop unchanged ({len(x2)} received)")
t1, t2 = tags_of(raw1), tags_of(raw2)
keys = sorted({k for _, k, _ in t1})
check(t1 == t2 and "sample_rate" in keys and "annotation" in keys,
      f"the source's {len(t1)} tags ({', '.join(keys)}) arrive at the same offsets "
      f"with the same values ({len(t2)} received)")
s1, s2 = np.array(sc1.data(), np.float32), np.array(sc2.data(), np.float32)
n_scored = int(np.isfinite(s1).sum())
rel = float(np.nanmax(np.abs(s1 - s2) / np.maximum(1.0, np.abs(s1)))) if len(s1) == len(s2) else 1.0
check(len(s1) > 0 and n_scored >= 5 and len(s1) == len(s2) and rel <= 1e-5
      and np.array_equal(np.isnan(s1), np.isnan(s2)),
      f"scores equal the single graph's to float rounding ({len(s2)} items, {n_scored} "
      f"windows scored, max rel diff {rel:.1e} <= 1e-5)")
st1 = [t for t in tags_of(sc1) if t[1].startswith("tfmed_")]
st2 = [t for t in tags_of(sc2) if t[1].startswith("tfmed_")]
check(len(st1) > 0 and [t[:2] for t in st1] == [t[:2] for t in st2],
      f"the scorer's {len(st1)} tags are the same ({', '.join(sorted({t[1] for t in st1}))})")
f1, f2, f3 = pdu_fields(alarms1), pdu_fields(alarms2), pdu_fields(alarms3)
check(len(f1) > 0 and same_pdus(f1, f2),
      f"the scorer's {len(f1)} alarm PDU(s) equal the single graph's ({len(f2)})")
check(f3 == f2, f"the {len(f3)} PDU(s) a monitor received over ZMQ PUB/SUB equal them exactly")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("the two-host graphs equal the single graph")
