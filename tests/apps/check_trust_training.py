#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Trust in training runs through the `tfmed` tool: bad arguments, NaN data
and labels, the card's data digest, diverging runs, one run per output (the
lock), resume with other settings, and outputs and figures checked before
any training. Model files themselves: check_trust_model_files.py.

Usage: check_trust_training.py TFMED DATA_DIR OUT_DIR DEMO_MODEL
Exit 77 (skip) when DATA_DIR lacks mitdb_compiled10s.
"""
import os
import signal
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfm_file as tfm  # noqa: E402
from trust_common import C, DATA, DEMO, TFMED, p, start  # noqa: E402


def main():
    X = start()

    # 1. Bad arguments: one clear line, non-zero exit, no backtrace.
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
        C.refused(what, want, *args)
    C.absent("a refused run", p("x.tfm"))

    # 2. NaN data: a NaN label is refused; NaN samples are refused naming the
    # windows, or dropped and reported with --drop-invalid.
    lab = np.zeros(6, np.float32)
    lab[4] = np.nan
    np.save(p("nanlab.npy"), lab)
    C.refused("NaN label", "nanlab.npy: expected class indices (0 = normal, 1, 2, ... abnormal) "
              "as labels, found nan at index 4",
              "train", "tsrnet", "--data", p("six.npy"), "--labels", p("nanlab.npy"), "--rate",
              360, "-o", p("x.tfm"))
    # Labels are class indices (0 = normal): 0.5 or -3 were taken as abnormal,
    # in a .npy as in a CSV's label column.
    for bad, shown in ((0.5, "0.500000"), (-3.0, "-3.000000")):
        lab = np.zeros(6, np.float32)
        lab[2] = bad
        np.save(p("oddlab.npy"), lab)
        C.refused(f"label {bad}", "oddlab.npy: expected class indices (0 = normal, 1, 2, ... "
                  f"abnormal) as labels, found {shown} at index 2",
                  "eval", "tsrnet", DEMO, "--data", p("six.npy"), "--labels", p("oddlab.npy"),
                  "--rate", 360)
    # (a CSV of windows: a label column and one row of samples per window)
    rows6 = X[[0, 1, 2, 160, 161, 162]]
    with open(p("oddlab.csv"), "w") as f:
        f.write("label," + ",".join(f"s{k}" for k in range(rows6.shape[1])) + "\n")
        for i, row in enumerate(rows6):
            f.write(("0.5" if i == 2 else "0") + "," + ",".join(f"{v:.4f}" for v in row) + "\n")
    C.refused("CSV label 0.5", "oddlab.csv: expected class indices (0 = normal, 1, 2, ... "
              "abnormal) as labels, found 0.500000 at row 3's label",
              "eval", "tsrnet", DEMO, "--data", p("oddlab.csv"), "--rate", 360)
    Xn = X[:40].copy()
    Xn[[3, 7], 100] = np.nan
    np.save(p("nanwin.npy"), Xn)
    nanrun = ["train", "tsrnet", "--data", p("nanwin.npy"), "--rate", 360, "--width", 4,
              "--d-model", 8, "--batch", 8, "--epochs", 1, "--threads", 1, "--device", "cpu"]
    C.refused("NaN windows", "2 of 40 windows contain NaN/Inf samples",
              *nanrun, "-o", p("n.tfm"))
    out = C.ok("--drop-invalid", *nanrun, "--drop-invalid", "-o", p("n.tfm"))
    if "dropped 2 window(s) with NaN/Inf samples (--drop-invalid): " + p("nanwin.npy") + "#3" not in out:
        C.failures.append(f"--drop-invalid: the dropped windows are not reported:\n{out}")

    # eval on the card's data re-splits the windows it reads with the card's
    # seed: it must read the windows the model trained on (the card's data
    # digest), or the "test" split would hold training windows.
    np.save(p("dig.npy"), X[:40])
    np.save(p("dig_labels.npy"), (np.arange(40) >= 30).astype(np.float32))
    digrun = ["--device", "cpu", "--threads", 1]
    C.ok("train for the digest", "train", "tsrnet", "--data", p("dig.npy"), "--labels",
         p("dig_labels.npy"), "--rate", 360, "--width", 4, "--d-model", 8, "--batch", 8,
         "--epochs", 1, *digrun, "-o", p("dig.tfm"))
    C.ok("eval on the card's data", "eval", "tsrnet", p("dig.tfm"), *digrun)
    np.save(p("dig.npy"), X[:40][::-1].copy())
    C.refused("eval on changed data", "was trained on windows with digest",
              "eval", "tsrnet", p("dig.tfm"), *digrun)
    out = C.ok("eval on changed data given with --data", "eval", "tsrnet", p("dig.tfm"),
               "--data", p("dig.npy"), "--labels", p("dig_labels.npy"), "--rate", 360,
               *digrun)
    if "--data given" not in out:
        C.failures.append(f"eval --data: the split of other data is not stated:\n{out}")

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
    C.refused("NaN samples in a WFDB record", "windows contain NaN/Inf samples",
              *wfdbrun, "-o", p("nw.tfm"))
    out = C.ok("--drop-invalid on a WFDB record", *wfdbrun, "--drop-invalid", "-o",
               p("nw.tfm"))
    if "with NaN/Inf samples (--drop-invalid): " + p("nanrec") + "@" not in out:
        C.failures.append(f"--drop-invalid: the record's dropped windows are not named:\n{out}")

    # 3. A diverging run fails naming the epoch, and leaves an older file at
    # -o untouched.
    open(p("old.tfm"), "wb").write(b"an older model")
    C.refused("diverging run", "training diverged: loss",
              *smoke, "--lr", "1e30", "--weight-decay", 0, "-o", p("old.tfm"))
    if open(p("old.tfm"), "rb").read() != b"an older model":
        C.failures.append("a failed run changed the file at -o")

    # 4. One run per output: a second run into the same -o is refused while
    # the first holds the lock, naming it; after kill -9 the lock is free.
    long_run = [TFMED, *map(str, smoke_with(epochs=200)), "-o", p("locked.tfm")]
    first = subprocess.Popen(long_run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(p("locked.tfm.lock")) and os.path.getsize(p("locked.tfm.lock")) > 0:
            break
        time.sleep(0.05)
    C.refused("second run into a locked output",
              f"locked.tfm: another run is writing it (pid {first.pid} on ",
              *smoke, "-o", p("locked.tfm"))
    first.send_signal(signal.SIGKILL)
    first.wait()
    C.ok("a run after kill -9 of the lock holder", *smoke, "-o", p("locked.tfm"))
    if os.path.exists(p("locked.tfm.lock")):
        C.failures.append("the lock file outlived its run")

    # 5. Resume: other data or architecture refused, naming them; changed
    # optimisation settings only with --allow-changed-settings, recorded.
    base = [*smoke_with(epochs=3), "-o", p("r.tfm")]
    C.ok("paused run", *base, "--stop-after", 1)
    # The same run again without --resume: it removes the checkpoint and
    # says so (an interrupted run restarted this way lost it without a word).
    out = C.ok("paused run started over", *base, "--stop-after", 1)
    if "started over: removed the checkpoint " + p("r.tfm.ckpt") not in out:
        C.failures.append(f"a fresh run over a checkpoint did not say it removed it:\n{out}")
    C.refused("resume with other data", "max_windows 16 -> 8",
              *smoke_with(epochs=3, max_windows=8), "-o", p("r.tfm"), "--resume")
    C.refused("resume with another width", "width 4 -> 6",
              *smoke_with(epochs=3, width=6), "-o", p("r.tfm"), "--resume")
    C.refused("resume with another lr", "add --allow-changed-settings",
              *base, "--resume", "--lr", "5e-4")
    # A damaged checkpoint is refused under --resume, naming the section.
    ck = tfm.read(p("r.tfm.ckpt"))
    good = open(p("r.tfm.ckpt"), "rb").read()
    bad = bytearray(good)
    name, data, at = [sec for sec in ck if sec[0] == "optimizer"][0]
    bad[at + len(data) // 3] ^= 0x01
    open(p("r.tfm.ckpt"), "wb").write(bad)
    C.refused("resume from a damaged checkpoint",
              "r.tfm.ckpt: the optimizer section is damaged (expected CRC-32",
              *base, "--resume")
    open(p("r.tfm.ckpt"), "wb").write(good)
    C.ok("resume --allow-changed-settings", *base, "--resume", "--lr", "5e-4",
         "--allow-changed-settings")
    hist = C.card(p("r.tfm"))["training"]["history"]
    if [h.get("settings_changed") for h in hist] != [None, "optimizer.lr 0.0001 -> 0.0005", None]:
        C.failures.append(f"the history does not record the change at epoch 2: {hist}")

    # Does this build draw PNGs at all (libstb-dev)? Without, every --plot is
    # refused for that reason, and the figure checks below do not apply.
    draws = "no PNG support" not in C.run("info", DEMO, "--history-plot", p("probe.png"))[1]
    if not draws:
        print("this build has no PNG support: the --plot checks are skipped")
    # 6. Output paths and figures are checked before any training.
    for opt in ("--json", "--plot") if draws else ("--json",):
        C.refused("unwritable " + opt, "nonexistent", *smoke, "-o", p("x.tfm"), opt,
                  "/nonexistent/dir/out")
    C.absent("a run refused for its output paths", p("x.tfm"))

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
        C.refused(f"train with --plot, TFMED_FONT={os.path.basename(font)}", want,
                  "train", "tsrnet", "--data", p("six.npy"), "--rate", 360, "--epochs", 1,
                  "--plot", p("curves.png"), "-o", p("font.tfm"), env={"TFMED_FONT": font})
        C.refused(f"info --history-plot, TFMED_FONT={os.path.basename(font)}", want,
                  "info", DEMO, "--history-plot", p("h.png"), env={"TFMED_FONT": font})
    C.absent("a command refused for its figure",
             *map(p, ("font.tfm", "font.tfm.ckpt", "curves.png", "h.png")))

    C.finish(os.path.splitext(os.path.basename(__file__))[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
