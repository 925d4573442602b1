#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Trust through the `tfmed` tool: every defect of the hostile-testing issue
gets a regression check here (damaged and lying model files, `tfmed doctor`,
runs that must not leave a wrong model behind, one run per output, resume
with other settings, bad arguments, NaN data).

Usage: check_trust_cli.py TFMED DATA_DIR OUT_DIR DEMO_MODEL
Exit 77 (skip) when DATA_DIR lacks mitdb_compiled10s.
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib

import numpy as np

TFMED, DATA, OUT, DEMO = sys.argv[1:5]
failures = []


def run(*args, timeout=600, env=None):
    p = subprocess.run([TFMED, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                       env=None if env is None else {**os.environ, **env})
    return p.returncode, p.stdout, p.stderr


def expect_ok(what, *args):
    rc, out, err = run(*args)
    if rc != 0:
        failures.append(f"{what}: exit {rc}\n{out}\n{err}")
    return out + err


def expect_fail(what, want, *args, env=None):
    rc, out, err = run(*args, env=env)
    text = out + err
    if rc == 0 or want not in text:
        failures.append(f"{what}: expected a failure with '{want}', got exit {rc}:\n{text}")
    if "Exception raised from" in text:
        failures.append(f"{what}: a LibTorch backtrace reached the user:\n{text}")
    return text


# --- model files: the container format of include/tfmed/models/model_file.h
def read_tfm(path):
    b = open(path, "rb").read()
    assert b[:8] == b"TFMEDMDL"
    fmt, n = struct.unpack_from("<II", b, 8)
    pos, out = 16, []
    for _ in range(n):
        (ln,) = struct.unpack_from("<H", b, pos)
        name = b[pos + 2:pos + 2 + ln].decode()
        pos += 2 + ln
        (size,) = struct.unpack_from("<Q", b, pos)
        pos += 8 + (4 if fmt >= 2 else 0)
        out.append((name, b[pos:pos + size], pos))
        pos += size
    return out


def write_tfm(path, sections):
    b = b"TFMEDMDL" + struct.pack("<II", 2, len(sections))
    for name, data in sections:
        b += struct.pack("<H", len(name)) + name.encode() + struct.pack("<Q", len(data))
        b += struct.pack("<I", zlib.crc32(data) & 0xFFFFFFFF) + data
    open(path, "wb").write(b)


def with_card(path, edit, src=None):
    secs = [(n, d) for n, d, _ in read_tfm(src or DEMO)]
    card = json.loads(secs[0][1])
    edit(card)
    secs[0] = ("card", json.dumps(card).encode())
    write_tfm(path, secs)


def main():
    if not os.path.exists(os.path.join(DATA, "mitdb_compiled10s", "X_mV.npy")):
        print(f"SKIP: {DATA} lacks mitdb_compiled10s")
        return 77
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    p = lambda name: os.path.join(OUT, name)

    # A small evaluation set: 3 N and 3 V segments (360 Hz rows, labels).
    X = np.load(os.path.join(DATA, "mitdb_compiled10s", "X_mV.npy"))
    np.save(p("six.npy"), X[[0, 1, 2, 160, 161, 162]])
    np.save(p("six_labels.npy"), np.array([0, 0, 0, 1, 1, 1], np.float32))
    evalset = ["--data", p("six.npy"), "--labels", p("six_labels.npy"), "--rate", 360,
               "--split", "all", "--device", "cpu", "--threads", 1]

    # 1. The demo model is sound; doctor says so.
    out = expect_ok("doctor demo", "doctor", DEMO)
    for want in ("every CRC-32 verified", "every name and shape as the card's", "no NaN/Inf",
                 "usable: the blocks and tfmed eval accept it"):
        if want not in out:
            failures.append(f"doctor demo: missing '{want}':\n{out}")

    # 2. One flipped bit in the weights: refused everywhere, naming the section.
    secs = read_tfm(DEMO)
    raw = bytearray(open(DEMO, "rb").read())
    name, data, at = secs[1]
    assert name == "weights"
    raw[at + len(data) // 2] ^= 0x10
    open(p("flipped.tfm"), "wb").write(raw)
    want = "flipped.tfm: the weights section is damaged (expected CRC-32"
    expect_fail("info flipped", want, "info", p("flipped.tfm"))
    expect_fail("eval flipped", want, "eval", "tsrnet", p("flipped.tfm"), *evalset)
    out = expect_fail("doctor flipped", want, "doctor", p("flipped.tfm"))

    # 3. Cards that lie about the weights, or state absurd sizes.
    with_card(p("wide.tfm"), lambda c: c["architecture"].update(width=32))
    expect_fail("card width vs weights",
                "the weights do not fit the card's architecture",
                "eval", "tsrnet", p("wide.tfm"), *evalset)
    expect_fail("doctor wide", "REFUSED  card vs weights", "doctor", p("wide.tfm"))
    with_card(p("leads.tfm"), lambda c: (c["architecture"].update(leads=100000),
                                         c["signal"].update(channels=100000)))
    t0 = time.time()
    expect_fail("100000 leads", "expected 1 to 1024 channels, found 100000",
                "doctor", p("leads.tfm"))
    with_card(p("window.tfm"), lambda c: c["signal"].update(window=10 ** 12))
    expect_fail("1e12 window", "expected a window of at most 67108864 samples, found 1000000000000",
                "eval", "tsrnet", p("window.tfm"), *evalset)
    if time.time() - t0 > 60:
        failures.append("absurd sizes took over a minute to refuse (allocation before checking?)")
    with_card(p("hop0.tfm"), lambda c: c["stft"].update(hop=0))
    expect_fail("hop 0", "expected 1 <= hop <= 125, found 0", "doctor", p("hop0.tfm"))
    with_card(p("nfft1.tfm"), lambda c: c["stft"].update(n_fft=1))
    expect_fail("n_fft 1", "expected 2 <= n_fft <= 65536, found 1", "doctor", p("nfft1.tfm"))
    # The quality gate's section: a 0 Hz high-pass, edges leaving no room
    # for beats and a misspelt threshold are refused by name (all three
    # passed doctor; the first two then flagged or failed every window).
    q = lambda **kw: (lambda c: c.setdefault("quality", {}).update(kw))
    with_card(p("band0.tfm"), q(band_hz=[0, 25]))
    expect_fail("quality band 0 Hz", "expected 0 < band low < band high", "doctor", p("band0.tfm"))
    with_card(p("edge.tfm"), q(edge_s=4.9))
    expect_fail("quality edges", "to hold at least 551 samples", "doctor", p("edge.tfm"))
    # A gate that is off reads none of its thresholds: the card loads.
    with_card(p("off.tfm"), q(enabled=False, edge_s=4.9))
    expect_ok("quality off, edges unchecked", "doctor", p("off.tfm"))
    with_card(p("typo.tfm"), q(kurtosis_mn=99))
    expect_fail("quality typo", "found 'kurtosis_mn'", "doctor", p("typo.tfm"))
    # A format-1 file (no checksums) is reported as such, and the checks
    # its line points to still run: the forward pass among them.
    # (Format 1: the magic, u32 1, then card, weights and optimizer as u64
    # size + bytes.)
    secs = {name: data for name, data, _ in read_tfm(DEMO)}
    b = b"TFMEDMDL" + struct.pack("<I", 1)
    for name in ("card", "weights", "optimizer"):
        data = secs.get(name, b"")
        b += struct.pack("<Q", len(data)) + data
    open(p("format1.tfm"), "wb").write(b)
    out = expect_fail("doctor format 1", "carries no checksums", "doctor", p("format1.tfm"))
    if "forward pass     synthetic window" not in out:
        failures.append(f"doctor format 1: no forward pass line:\n{out}")
    names = ["l%d" % i for i in range(12)]
    with_card(p("leads12.tfm"), lambda c: (c["architecture"].update(leads=12),
                                           c["signal"].update(channels=12, leads=names,
                                                              channel_names=names)))
    expect_fail("12 leads over 1-lead weights", "expected shape [", "doctor", p("leads12.tfm"))

    # 4. No calibrated threshold: eval refuses unless one is given.
    with_card(p("nothr.tfm"), lambda c: c["scoring"].update(threshold=None))
    expect_fail("eval without threshold", "the card has no calibrated alarm threshold",
                "eval", "tsrnet", p("nothr.tfm"), *evalset)
    out = expect_ok("eval --threshold", "eval", "tsrnet", p("nothr.tfm"), *evalset,
                    "--threshold", 0.5)
    if "at the given threshold 0.50000" not in out:
        failures.append(f"eval --threshold: no line for the given threshold:\n{out}")
    expect_fail("doctor without threshold", "REFUSED  threshold", "doctor", p("nothr.tfm"))

    # 5. Bad arguments: one clear line, non-zero exit, no backtrace.
    def smoke_with(**over):
        opts = {"--width": 4, "--d-model": 8, "--batch": 8, "--max-windows": 16, "--threads": 1,
                "--epochs": 1}
        opts.update({"--" + k.replace("_", "-"): v for k, v in over.items()})
        args = ["train", "tsrnet", "--data", "mitdb_compiled10s", "--data-dir", DATA,
                "--device", "cpu"]
        for k, v in opts.items():
            args += [k, v]
        return args
    smoke = smoke_with()
    npy = ["train", "tsrnet", "--data", p("six.npy"), "--epochs", 1, "-o", p("x.tfm")]
    for what, want, args in (
            ("--rate -360", "--rate: expected a finite number > 0, found -360", [*npy, "--rate", -360]),
            ("--rate nan", "--rate: expected a finite number > 0, found nan", [*npy, "--rate", "nan"]),
            ("--threads 100000", "--threads: expected an integer from 0 to 256, found 100000",
             [*smoke_with(threads=100000), "-o", p("x.tfm")]),
            ("--width 0", "--width: expected an integer from 1 to 128, found 0",
             [*smoke_with(width=0), "-o", p("x.tfm")]),
            ("--heads 3", "expected d_model a multiple of heads, found d_model 8, heads 3",
             [*smoke, "--heads", 3, "-o", p("x.tfm")]),
            ("--lr nan", "--lr: expected a finite number > 0, found nan",
             [*smoke, "--lr", "nan", "-o", p("x.tfm")]),
            ("--max-windows -1", "--max-windows: expected an integer from 0 to",
             [*smoke_with(max_windows=-1), "-o", p("x.tfm")]),
            ("--stop-after -1", "--stop-after: expected an integer from 0 to 100000, found -1",
             [*smoke, "--stop-after", -1, "-o", p("x.tfm")])):
        expect_fail(what, want, *args)
    if os.path.exists(p("x.tfm")):
        failures.append("a refused run left x.tfm behind")
    # A report that cannot reach standard output is a failure: `tfmed info
    # MODEL > /dev/full` exited 0.
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            r = subprocess.run([TFMED, "info", DEMO], stdout=full, stderr=subprocess.PIPE,
                               text=True, timeout=60)
        if r.returncode == 0 or "writing to standard output failed" not in r.stderr:
            failures.append(f"info > /dev/full: expected a failure naming standard output, "
                            f"found exit {r.returncode}: {r.stderr.strip()[-200:]}")

    # 6. NaN data: a NaN label is refused; NaN samples are refused naming the
    # windows, or dropped and reported with --drop-invalid.
    lab = np.zeros(6, np.float32)
    lab[4] = np.nan
    np.save(p("nanlab.npy"), lab)
    expect_fail("NaN label", "nanlab.npy: expected class indices (0 = normal, 1, 2, ... abnormal) "
                "as labels, found nan at index 4",
                "train", "tsrnet", "--data", p("six.npy"), "--labels", p("nanlab.npy"), "--rate",
                360, "-o", p("x.tfm"))
    # Labels are class indices (0 = normal): 0.5 or -3 were taken as abnormal,
    # in a .npy as in a CSV's label column.
    for bad, shown in ((0.5, "0.500000"), (-3.0, "-3.000000")):
        lab = np.zeros(6, np.float32)
        lab[2] = bad
        np.save(p("oddlab.npy"), lab)
        expect_fail(f"label {bad}", "oddlab.npy: expected class indices (0 = normal, 1, 2, ... "
                    f"abnormal) as labels, found {shown} at index 2",
                    "eval", "tsrnet", DEMO, "--data", p("six.npy"), "--labels", p("oddlab.npy"),
                    "--rate", 360)
    # (a CSV of windows: a label column and one row of samples per window)
    rows6 = X[[0, 1, 2, 160, 161, 162]]
    with open(p("oddlab.csv"), "w") as f:
        f.write("label," + ",".join(f"s{k}" for k in range(rows6.shape[1])) + "\n")
        for i, row in enumerate(rows6):
            f.write(("0.5" if i == 2 else "0") + "," + ",".join(f"{v:.4f}" for v in row) + "\n")
    expect_fail("CSV label 0.5", "oddlab.csv: expected class indices (0 = normal, 1, 2, ... "
                "abnormal) as labels, found 0.500000 at row 3's label",
                "eval", "tsrnet", DEMO, "--data", p("oddlab.csv"), "--rate", 360)
    Xn = X[:40].copy()
    Xn[[3, 7], 100] = np.nan
    np.save(p("nanwin.npy"), Xn)
    nanrun = ["train", "tsrnet", "--data", p("nanwin.npy"), "--rate", 360, "--width", 4,
              "--d-model", 8, "--batch", 8, "--epochs", 1, "--threads", 1, "--device", "cpu"]
    expect_fail("NaN windows", "2 of 40 windows contain NaN/Inf samples",
                *nanrun, "-o", p("n.tfm"))
    out = expect_ok("--drop-invalid", *nanrun, "--drop-invalid", "-o", p("n.tfm"))
    if "dropped 2 window(s) with NaN/Inf samples (--drop-invalid): " + p("nanwin.npy") + "#3" not in out:
        failures.append(f"--drop-invalid: the dropped windows are not reported:\n{out}")

    # eval on the card's data re-splits the windows it reads with the card's
    # seed: it must read the windows the model trained on (the card's data
    # digest), or the "test" split would hold training windows.
    np.save(p("dig.npy"), X[:40])
    np.save(p("dig_labels.npy"), (np.arange(40) >= 30).astype(np.float32))
    digrun = ["--device", "cpu", "--threads", 1]
    expect_ok("train for the digest", "train", "tsrnet", "--data", p("dig.npy"), "--labels",
              p("dig_labels.npy"), "--rate", 360, "--width", 4, "--d-model", 8, "--batch", 8,
              "--epochs", 1, *digrun, "-o", p("dig.tfm"))
    expect_ok("eval on the card's data", "eval", "tsrnet", p("dig.tfm"), *digrun)
    np.save(p("dig.npy"), X[:40][::-1].copy())
    expect_fail("eval on changed data", "was trained on windows with digest",
                "eval", "tsrnet", p("dig.tfm"), *digrun)
    out = expect_ok("eval on changed data given with --data", "eval", "tsrnet", p("dig.tfm"),
                    "--data", p("dig.npy"), "--labels", p("dig_labels.npy"), "--rate", 360,
                    *digrun)
    if "--data given" not in out:
        failures.append(f"eval --data: the split of other data is not stated:\n{out}")

    # The same from a WFDB record: an invalid sample (-32768 in format 16, read
    # as NaN) makes its windows NaN after resampling; they were dropped
    # without a word before the refuse-or-report step.
    sig = np.round(X[:12].reshape(-1) * 200).astype(np.int16)
    sig[3 * 3600 + 100] = -32768
    sig.tofile(p("nanrec.dat"))
    with open(p("nanrec.hea"), "w") as f:
        cks = (int(sig.astype(np.int64).sum()) + 32768) % 65536 - 32768
        f.write("nanrec 1 360 %d\nnanrec.dat 16 200/mV 16 0 %d %d 0 MLII\n"
                % (sig.size, sig[0], cks))
    wfdbrun = ["train", "tsrnet", "--data", p("nanrec.hea"), "--width", 4, "--d-model", 8,
               "--batch", 4, "--epochs", 1, "--threads", 1, "--device", "cpu"]
    expect_fail("NaN samples in a WFDB record", "windows contain NaN/Inf samples",
                *wfdbrun, "-o", p("nw.tfm"))
    out = expect_ok("--drop-invalid on a WFDB record", *wfdbrun, "--drop-invalid", "-o",
                    p("nw.tfm"))
    if "with NaN/Inf samples (--drop-invalid): " + p("nanrec") + "@" not in out:
        failures.append(f"--drop-invalid: the record's dropped windows are not named:\n{out}")

    # 7. A diverging run fails naming the epoch, and leaves an older file at
    # -o untouched.
    open(p("old.tfm"), "wb").write(b"an older model")
    expect_fail("diverging run", "training diverged: loss",
                *smoke, "--lr", "1e30", "--weight-decay", 0, "-o", p("old.tfm"))
    if open(p("old.tfm"), "rb").read() != b"an older model":
        failures.append("a failed run changed the file at -o")

    # 8. One run per output: a second run into the same -o is refused while
    # the first holds the lock, naming it; after kill -9 the lock is free.
    long_run = [TFMED, *map(str, smoke_with(epochs=200)), "-o", p("locked.tfm")]
    first = subprocess.Popen(long_run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(p("locked.tfm.lock")) and os.path.getsize(p("locked.tfm.lock")) > 0:
            break
        time.sleep(0.05)
    expect_fail("second run into a locked output",
                f"locked.tfm: another run is writing it (pid {first.pid} on ",
                *smoke, "-o", p("locked.tfm"))
    first.send_signal(signal.SIGKILL)
    first.wait()
    expect_ok("a run after kill -9 of the lock holder", *smoke, "-o", p("locked.tfm"))
    if os.path.exists(p("locked.tfm.lock")):
        failures.append("the lock file outlived its run")

    # 9. Resume: other data or architecture refused, naming them; changed
    # optimisation settings only with --allow-changed-settings, recorded.
    base = [*smoke_with(epochs=3), "-o", p("r.tfm")]
    expect_ok("paused run", *base, "--stop-after", 1)
    # The same run again without --resume: it removes the checkpoint and
    # says so (an interrupted run restarted this way lost it without a word).
    out = expect_ok("paused run started over", *base, "--stop-after", 1)
    if "started over: removed the checkpoint " + p("r.tfm.ckpt") not in out:
        failures.append(f"a fresh run over a checkpoint did not say it removed it:\n{out}")
    expect_fail("resume with other data", "max_windows 16 -> 8",
                *smoke_with(epochs=3, max_windows=8), "-o", p("r.tfm"), "--resume")
    expect_fail("resume with another width", "width 4 -> 6",
                *smoke_with(epochs=3, width=6), "-o", p("r.tfm"), "--resume")
    expect_fail("resume with another lr", "add --allow-changed-settings",
                *base, "--resume", "--lr", "5e-4")
    # A damaged checkpoint is refused under --resume, naming the section.
    ck = read_tfm(p("r.tfm.ckpt"))
    good = open(p("r.tfm.ckpt"), "rb").read()
    bad = bytearray(good)
    name, data, at = [sec for sec in ck if sec[0] == "optimizer"][0]
    bad[at + len(data) // 3] ^= 0x01
    open(p("r.tfm.ckpt"), "wb").write(bad)
    expect_fail("resume from a damaged checkpoint",
                "r.tfm.ckpt: the optimizer section is damaged (expected CRC-32",
                *base, "--resume")
    open(p("r.tfm.ckpt"), "wb").write(good)
    expect_ok("resume --allow-changed-settings", *base, "--resume", "--lr", "5e-4",
              "--allow-changed-settings")
    info = expect_ok("info resumed", "info", p("r.tfm"))
    card = json.loads(info[:info.index("\nweights:")])
    hist = card["training"]["history"]
    if [h.get("settings_changed") for h in hist] != [None, "optimizer.lr 0.0001 -> 0.0005", None]:
        failures.append(f"the history does not record the change at epoch 2: {hist}")

    # 10. Gaps found by a second hostile pass.
    # A format-1 file (no checksums) is refused where models are used;
    # doctor says why, and `tfmed upgrade` re-writes it with checksums.
    secs = [(n, d) for n, d, _ in read_tfm(DEMO)]
    b = b"TFMEDMDL" + struct.pack("<I", 1)
    for name in ("card", "weights", "optimizer"):
        data = dict(secs).get(name, b"")
        b += struct.pack("<Q", len(data)) + data
    open(p("fmt1.tfm"), "wb").write(b)
    expect_fail("format 1 in eval", "fmt1.tfm: model file format 1 carries no checksums",
                "eval", "tsrnet", p("fmt1.tfm"), *evalset)
    expect_fail("format 1 in doctor", "REFUSED  file             format 1", "doctor",
                p("fmt1.tfm"))
    out = expect_ok("upgrade format 1", "upgrade", p("fmt1.tfm"), "-o", p("fmt2.tfm"))
    info = expect_ok("info upgraded", "info", p("fmt2.tfm"))
    demo_info = expect_ok("info demo", "info", DEMO)
    digest = lambda t: t.split("FNV-1a 64 ")[1][:16]
    if "file format 2" not in info or digest(info) != digest(demo_info):
        failures.append(f"upgrade: expected format 2 with the same weights:\n{out}\n{info}")
    expect_ok("doctor upgraded", "doctor", p("fmt2.tfm"))
    if "check against the model's source" not in out or "500 Hz" not in out:
        failures.append(f"upgrade: expected the fields nothing can check, listed:\n{out}")
    # A format-1 card has no checksum: a flipped digit in one copy of a field
    # written twice is refused, not sealed under a fresh CRC.
    def fmt1_with(edit, name):
        card = json.loads(dict(secs)["card"])
        edit(card)
        b = b"TFMEDMDL" + struct.pack("<I", 1)
        for sec in ("card", "weights", "optimizer"):
            data = json.dumps(card).encode() if sec == "card" else dict(secs).get(sec, b"")
            b += struct.pack("<Q", len(data)) + data
        open(p(name), "wb").write(b)
        return p(name)
    thr = json.loads(dict(secs)["card"])["scoring"]["threshold"]
    for what, edit, want in (
            ("threshold copy", lambda c: c["scoring"].update(threshold=thr * 4),
             "the card's two copies of the alarm threshold differ: scoring.threshold"),
            ("parameter count", lambda c: c.update(parameters=c["parameters"] + 1),
             "parameters, its network has")):
        expect_fail(f"upgrade of a damaged {what}", want, "upgrade",
                    fmt1_with(edit, "fmt1card.tfm"), "-o", p("fmt1card2.tfm"))
        if os.path.exists(p("fmt1card2.tfm")):
            failures.append(f"upgrade of a damaged {what} wrote its output")
    # Binary outputs are files: a report on standard output would be mixed in.
    for cmd in (["upgrade", p("fmt1.tfm")], ["export", p("fmt2.tfm")]):
        expect_fail(f"{cmd[0]} to /dev/stdout", "/dev/stdout: expected a file path for the",
                    *cmd, "-o", "/dev/stdout")
    # Card fields that used to be ignored, truncated or wrapped.
    for what, edit, want in (
            ("stft convention", lambda c: c["stft"].update(convention="torch"),
             "expected stft.convention 'scipy' (what TSRNet computes), found 'torch'"),
            ("stft window", lambda c: c["stft"].update(window="bogus"),
             "expected stft.window 'hann' (what TSRNet computes), found 'bogus'"),
            ("stft output", lambda c: c["stft"].update(output="power"),
             "expected stft.output 'magnitude' (what TSRNet computes), found 'power'"),
            ("rpeak lead", lambda c: c["preprocessing"].update(rpeak_lead=5),
             "expected 0 <= rpeak_lead <= 1, found 5"),
            ("filter order", lambda c: c["preprocessing"].update(highpass_hz=30.0),
             "expected highpass_hz < lowpass_hz (a pass band), found 30"),
            ("width 16.5", lambda c: c["architecture"].update(width=16.5),
             "expected field 'width' to be an integer, found 16.5"),
            ("width 2^70", lambda c: c["architecture"].update(width=2 ** 70),
             "expected field 'width' to be an integer, found 1.18")):
        with_card(p("edit.tfm"), edit)
        expect_fail("card " + what, want, "doctor", p("edit.tfm"))
    # Does this build draw PNGs at all (libstb-dev)? Without, every --plot is
    # refused for that reason, and the figure checks below do not apply.
    _, out_, err_ = run("info", DEMO, "--history-plot", p("probe.png"))
    draws = "no PNG support" not in out_ + err_
    if not draws:
        print("this build has no PNG support: the --plot checks are skipped")
    # Output paths are checked before any training.
    for opt in ("--json", "--plot") if draws else ("--json",):
        t0 = time.time()
        expect_fail("unwritable " + opt, "nonexistent", *smoke, "-o", p("x.tfm"), opt,
                    "/nonexistent/dir/out")
    if os.path.exists(p("x.tfm")):
        failures.append("a run refused for its output paths left x.tfm behind")

    # 11. A third hostile pass (the new commands and the SpecAR-Net card).
    specar = os.path.join(os.path.dirname(DEMO), "specar_msl_demo.tfm")
    for what, edit, want in (
            ("huge SpecAR-Net", lambda c: c["architecture"].update(d_model=4096, d_ff=8192,
                                                                   e_layers=64, conv_layers=64),
             "expected at most 100,000,000 parameters"),
            ("c_out vs enc_in", lambda c: c["architecture"].update(c_out=54),
             "expected c_out equal to enc_in (55) for anomaly_detection, found 54"),
            ("label_len", lambda c: c["architecture"].update(label_len=-48),
             "expected 0 <= label_len <= 0, found -48"),
            ("num_class on anomaly", lambda c: c["architecture"].update(num_class=7),
             "expected num_class 0 for anomaly_detection, found 7"),
            ("threshold_from", lambda c: c["scoring"].update(threshold_from="bogus"),
             "expected threshold_from 'train' or 'train+test', found 'bogus'"),
            ("negative threshold", lambda c: c["scoring"].update(threshold=-5.0),
             "expected a finite threshold >= 0"),
            ("signal window", lambda c: c["signal"].update(window=50),
             "expected signal.channels 55 and signal.window 100"),
            ("card format", lambda c: c.update(format=2.9),
             "expected field 'format' to be an integer, found 2.9")):
        with_card(p("s_edit.tfm"), edit, specar)
        expect_fail("SpecAR-Net card " + what, want, "doctor", p("s_edit.tfm"))
    with_card(p("t_edit.tfm"), lambda c: c["architecture"].update(width=1024, d_model=4096,
                                                                  heads=1))
    expect_fail("huge TSRNet", "expected 1 <= width <= 128, found 1024", "doctor", p("t_edit.tfm"))
    # A TSRNet score is a weighted squared error: a negative threshold alarms on
    # every window; and the two copies of the channel names must agree.
    with_card(p("t_edit.tfm"), lambda c: c["scoring"].update(threshold=-0.5))
    expect_fail("negative TSRNet threshold", "expected a finite threshold >= 0", "doctor",
                p("t_edit.tfm"))
    with_card(p("t_edit.tfm"), lambda c: c["signal"].update(channel_names=["V5"]))
    expect_fail("TSRNet channel names", 'expected signal.channel_names equal to signal.leads '
                '(["MLII?"]), found ["V5"]', "doctor", p("t_edit.tfm"))
    with_card(p("t_edit.tfm"), lambda c: c.update(quality={"min_beats": 3.9}))
    expect_fail("quality integer", "expected field 'min_beats' to be an integer, found 3.9",
                "doctor", p("t_edit.tfm"))
    # The container: appended bytes, odd or repeated section names.
    open(p("trail.tfm"), "wb").write(open(DEMO, "rb").read() + b"appended")
    expect_fail("appended bytes", "found 8 more byte(s)", "info", p("trail.tfm"))
    secs = [(n, d) for n, d, _ in read_tfm(DEMO)]
    write_tfm(p("dup.tfm"), secs + [("weights", secs[1][1])])
    expect_fail("repeated section", "the weights section appears twice", "doctor", p("dup.tfm"))
    bad = list(secs)
    bad[1] = ("weighus", bad[1][1])  # one flipped bit in the name; its CRC is of the bytes
    write_tfm(p("flipname.tfm"), bad)
    expect_fail("a flipped bit in a section name", "section 1: expected weights, optimizer, "
                "best_weights or torch_rng, found 'weighus' (a damaged name", "info",
                p("flipname.tfm"))
    write_tfm(p("name.tfm"), secs + [("\x1b[31mx", b"")])
    expect_fail("odd section name", "has a damaged name: expected letters, digits and '_', "
                "found '\\x1b[31mx'", "info", p("name.tfm"))
    # upgrade checks the weights' own zip checksums; outputs are never inputs.
    b = bytearray(open(p("fmt1.tfm"), "rb").read())
    b[len(b) // 2] ^= 0x01
    open(p("fmt1bad.tfm"), "wb").write(bytes(b))
    expect_fail("upgrade of damaged weights", "expected an intact LibTorch archive (zip), found "
                "entry", "upgrade", p("fmt1bad.tfm"), "-o", p("fmt1bad2.tfm"))
    expect_fail("export onto its input", "expected an output other than the input",
                "export", p("fmt2.tfm"), "-o", p("fmt2.tfm"))
    expect_fail("export --json unwritable", "/nonexistent", "export", p("fmt2.tfm"), "-o",
                p("e.pt"), "--json", "/nonexistent/x.json")
    expect_fail("import from a device", "expected a regular file", "import", "--model", "tsrnet",
                "--card-from", "/dev/zero", p("e.pt"), "-o", p("x.tfm"))
    # A second output onto the model, or onto the other output, is refused
    # before anything is written (the model stays as it was).
    demo_bytes = open(DEMO, "rb").read()
    open(p("own.tfm"), "wb").write(demo_bytes)
    expect_fail("export --json onto the model", "expected an output other than the input",
                "export", p("own.tfm"), "-o", p("e.pt"), "--json", p("own.tfm"))
    expect_fail("export --json onto -o", "expected an output other than the output",
                "export", p("own.tfm"), "-o", p("e.pt"), "--json", p("e.pt"))
    expect_fail("info --history-plot onto the model", "expected an output other than the input",
                "info", p("own.tfm"), "--history-plot", p("own.tfm"))
    if open(p("own.tfm"), "rb").read() != demo_bytes:
        failures.append("a refused second output changed the model file")
    # upgrade of a file already checksummed writes its copy to -o.
    out = expect_ok("upgrade format 2", "upgrade", p("fmt2.tfm"), "-o", p("fmt2copy.tfm"))
    if (not os.path.exists(p("fmt2copy.tfm")) or "copied to" not in out or
            digest(expect_ok("info copy", "info", p("fmt2copy.tfm"))) != digest(demo_info)):
        failures.append(f"upgrade of a format-2 file: expected its copy at -o:\n{out}")
    for f in ("fmt1bad2.tfm", "e.pt", "x.tfm"):
        if os.path.exists(p(f)):
            failures.append(f"a refused command left {f} behind")

    # An import keeps the card's alarm threshold only for the card's own
    # weights (a round trip); other weights get none (null: refused where
    # alarms are raised until one is given).
    expect_ok("export demo", "export", DEMO, "-o", p("d.pt"))
    out = expect_ok("import own weights", "import", "--model", "tsrnet", "--card-from", DEMO,
                    p("d.pt"), "-o", p("same.tfm"))
    same = json.loads(expect_ok("info same", "info", p("same.tfm")).split("\nweights:")[0])
    if "threshold kept" not in out or same["scoring"]["threshold"] is None:
        failures.append(f"import of the card's own weights lost the threshold:\n{out}")
    try:
        import torch
    except ImportError:
        torch = None
        print("skipped: import with other weights (needs python3-torch)")
    if torch is not None:
        sd = torch.load(p("d.pt"))
        k = sorted(sd)[0]
        sd[k] = sd[k] + 0.01
        torch.save(sd, p("other.pt"))
        out = expect_ok("import other weights", "import", "--model", "tsrnet", "--card-from",
                        DEMO, p("other.pt"), "-o", p("other.tfm"))
        card = json.loads(expect_ok("info other", "info", p("other.tfm")).split("\nweights:")[0])
        if ("dropped (null)" not in out or card["scoring"]["threshold"] is not None or
                card["imported"].get("threshold_dropped") != same["scoring"]["threshold"]):
            failures.append(f"import of other weights kept the borrowed threshold:\n{out}\n"
                            f"{card.get('scoring')} {card.get('imported')}")
        expect_fail("eval of an import without a threshold", "threshold", "eval", "tsrnet",
                    p("other.tfm"), *evalset)
        out = expect_ok("import other weights, --keep-threshold", "import", "--model", "tsrnet",
                        "--card-from", DEMO, p("other.pt"), "-o", p("kept.tfm"),
                        "--keep-threshold")
        kept = json.loads(expect_ok("info kept", "info", p("kept.tfm")).split("\nweights:")[0])
        if kept["scoring"]["threshold"] != same["scoring"]["threshold"] or "kept" not in out:
            failures.append(f"--keep-threshold did not keep it:\n{out}\n{kept.get('scoring')}")
        sd[k] = torch.full_like(sd[k], 1e39, dtype=torch.float64)
        torch.save(sd, p("big.pt"))
        expect_fail("import of float64 beyond float32", "within float32's range", "import",
                    "--model", "tsrnet", "--card-from", DEMO, p("big.pt"), "-o", p("big.tfm"))
        if os.path.exists(p("big.tfm")):
            failures.append("a refused import left big.tfm behind")
    # A card of a later format is refused at import, not written.
    card = json.loads(expect_ok("info demo card", "info", DEMO).split("\nweights:")[0])
    card["format"] = 99
    open(p("later.json"), "w").write(json.dumps(card))
    expect_fail("import with a later card format", "format", "import", "--model", "tsrnet",
                "--card-from", p("later.json"), p("d.pt"), "-o", p("later.tfm"))
    if os.path.exists(p("later.tfm")):
        failures.append("a refused import left later.tfm behind")
    # A model file given as the state dict: named as what it is, with the way
    # to its state dict (it was taken for a Python OrderedDict); a card-from
    # that is no JSON names its file; a card nested beyond bounds is refused
    # (it overflowed the stack of the JSON printer).
    expect_fail("import of a model file as the state dict",
                "found a tfmed model file (`tfmed export` gives its state dict)",
                "import", "--model", "tsrnet", "--card-from", DEMO, DEMO, "-o", p("tfm.tfm"))
    open(p("notjson.json"), "w").write("this is not JSON\n")
    expect_fail("import with a card that is no JSON", p("notjson.json") + ": model card: expected JSON",
                "import", "--model", "tsrnet", "--card-from", p("notjson.json"), p("d.pt"),
                "-o", p("nj.tfm"))
    card["format"] = 2
    open(p("deep.json"), "w").write(json.dumps(card)[:-1] + ', "deep": ' + "[" * 100000 +
                                    "]" * 100000 + "}")
    expect_fail("import with a card nested 100,000 deep", "nesting deeper than 64 levels",
                "import", "--model", "tsrnet", "--card-from", p("deep.json"), p("d.pt"),
                "-o", p("deep.tfm"))
    for f in ("tfm.tfm", "nj.tfm", "deep.tfm"):
        if os.path.exists(p(f)):
            failures.append(f"a refused import left {f} behind")

    # A figure that cannot be drawn (no font on a GPU box) is refused when the
    # command line is read, not after the training it would have ended; a
    # file that is not a font is refused, not parsed (stb_truetype trusts it).
    open(p("not_a_font.ttf"), "w").write("this is no TrueType font\n" * 40)
    # A real font cut short: its table directory points past the end.
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    cases = [(p("no_such_font.ttf"), "found no file"),
             (p("not_a_font.ttf"), "expected a TrueType font")]
    if os.path.exists(dejavu):
        open(p("cut.ttf"), "wb").write(open(dejavu, "rb").read()[:5000])
        cases.append((p("cut.ttf"), "expected a TrueType font"))
    for font, want in cases if draws else ():
        expect_fail(f"train with --plot, TFMED_FONT={os.path.basename(font)}", want,
                    "train", "tsrnet", "--data", p("six.npy"), "--rate", 360, "--epochs", 1,
                    "--plot", p("curves.png"), "-o", p("font.tfm"), env={"TFMED_FONT": font})
        expect_fail(f"info --history-plot, TFMED_FONT={os.path.basename(font)}", want,
                    "info", DEMO, "--history-plot", p("h.png"), env={"TFMED_FONT": font})
    for f in ("font.tfm", "font.tfm.ckpt", "curves.png", "h.png"):
        if os.path.exists(p(f)):
            failures.append(f"a command refused for its figure left {f} behind")

    if failures:
        print("\n\n".join(failures))
        print(f"\n{len(failures)} check(s) failed")
        return 1
    print("trust checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
