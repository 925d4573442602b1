#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Trust in model files through the `tfmed` tool: damaged and lying files
(flipped bits, cards that disagree with their weights, absurd sizes, odd
sections), `tfmed doctor`, format-1 files and `upgrade`, `export` and
`import` (thresholds kept only for a card's own weights), and outputs that
must never overwrite their inputs. The training side is check_trust_training.py.

Usage: check_trust_model_files.py TFMED DATA_DIR OUT_DIR DEMO_MODEL
Exit 77 (skip) when DATA_DIR lacks mitdb_compiled10s.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfm_file as tfm  # noqa: E402
from trust_common import C, DEMO, TFMED, p, start  # noqa: E402


def with_card(path, edit, src=DEMO):
    return tfm.with_card(path, edit, src)


def main():
    start()
    np.save(p("six_labels.npy"), np.array([0, 0, 0, 1, 1, 1], np.float32))
    evalset = ["--data", p("six.npy"), "--labels", p("six_labels.npy"), "--rate", 360,
               "--split", "all", "--device", "cpu", "--threads", 1]

    # 1. The demo model is sound; doctor says so.
    out = C.ok("doctor demo", "doctor", DEMO)
    for want in ("every CRC-32 verified", "every name and shape as the card's", "no NaN/Inf",
                 "usable: the blocks and tfmed eval accept it"):
        if want not in out:
            C.failures.append(f"doctor demo: missing '{want}':\n{out}")

    # 2. One flipped bit in the weights: refused everywhere, naming the section.
    secs = tfm.read(DEMO)
    raw = bytearray(open(DEMO, "rb").read())
    name, data, at = secs[1]
    assert name == "weights"
    raw[at + len(data) // 2] ^= 0x10
    open(p("flipped.tfm"), "wb").write(raw)
    want = "flipped.tfm: the weights section is damaged (expected CRC-32"
    C.refused("info flipped", want, "info", p("flipped.tfm"))
    C.refused("eval flipped", want, "eval", "tsrnet", p("flipped.tfm"), *evalset)
    out = C.refused("doctor flipped", want, "doctor", p("flipped.tfm"))

    # 3. Cards that lie about the weights, or state absurd sizes.
    with_card(p("wide.tfm"), lambda c: c["architecture"].update(width=32))
    C.refused("card width vs weights",
              "the weights do not fit the card's architecture",
              "eval", "tsrnet", p("wide.tfm"), *evalset)
    C.refused("doctor wide", "REFUSED  card vs weights", "doctor", p("wide.tfm"))
    with_card(p("leads.tfm"), lambda c: (c["architecture"].update(leads=100000),
                                         c["signal"].update(channels=100000)))
    t0 = time.time()
    C.refused("100000 leads", "expected 1 to 1024 channels, found 100000",
              "doctor", p("leads.tfm"))
    with_card(p("window.tfm"), lambda c: c["signal"].update(window=10 ** 12))
    C.refused("1e12 window", "expected a window of at most 67108864 samples, found 1000000000000",
              "eval", "tsrnet", p("window.tfm"), *evalset)
    if time.time() - t0 > 60:
        C.failures.append("absurd sizes took over a minute to refuse (allocation before checking?)")
    with_card(p("hop0.tfm"), lambda c: c["stft"].update(hop=0))
    C.refused("hop 0", "expected 1 <= hop <= 125, found 0", "doctor", p("hop0.tfm"))
    with_card(p("nfft1.tfm"), lambda c: c["stft"].update(n_fft=1))
    C.refused("n_fft 1", "expected 2 <= n_fft <= 65536, found 1", "doctor", p("nfft1.tfm"))
    # The quality gate's section: a 0 Hz high-pass, edges leaving no room
    # for beats and a misspelt threshold are refused by name (all three
    # passed doctor; the first two then flagged or failed every window).
    q = lambda **kw: (lambda c: c.setdefault("quality", {}).update(kw))
    with_card(p("band0.tfm"), q(band_hz=[0, 25]))
    C.refused("quality band 0 Hz", "expected 0 < band low < band high", "doctor", p("band0.tfm"))
    with_card(p("edge.tfm"), q(edge_s=4.9))
    C.refused("quality edges", "to hold at least 551 samples", "doctor", p("edge.tfm"))
    # A gate that is off reads none of its thresholds: the card loads.
    with_card(p("off.tfm"), q(enabled=False, edge_s=4.9))
    C.ok("quality off, edges unchecked", "doctor", p("off.tfm"))
    with_card(p("typo.tfm"), q(kurtosis_mn=99))
    C.refused("quality typo", "found 'kurtosis_mn'", "doctor", p("typo.tfm"))
    # A format-1 file (no checksums) is reported as such, and the checks
    # its line points to still run: the forward pass among them.
    secs = tfm.sections(DEMO)
    fmt1 = tfm.write_format1(p("fmt1.tfm"), secs)
    out = C.refused("doctor format 1", "carries no checksums", "doctor", fmt1)
    if "forward pass     synthetic window" not in out:
        C.failures.append(f"doctor format 1: no forward pass line:\n{out}")
    names = ["l%d" % i for i in range(12)]
    with_card(p("leads12.tfm"), lambda c: (c["architecture"].update(leads=12),
                                           c["signal"].update(channels=12, leads=names,
                                                              channel_names=names)))
    C.refused("12 leads over 1-lead weights", "expected shape [", "doctor", p("leads12.tfm"))

    # 4. No calibrated threshold: eval refuses unless one is given.
    with_card(p("nothr.tfm"), lambda c: c["scoring"].update(threshold=None))
    C.refused("eval without threshold", "the card has no calibrated alarm threshold",
              "eval", "tsrnet", p("nothr.tfm"), *evalset)
    out = C.ok("eval --threshold", "eval", "tsrnet", p("nothr.tfm"), *evalset,
               "--threshold", 0.5)
    if "at the given threshold 0.50000" not in out:
        C.failures.append(f"eval --threshold: no line for the given threshold:\n{out}")
    C.refused("doctor without threshold", "REFUSED  threshold", "doctor", p("nothr.tfm"))

    # 5. A report that cannot reach standard output is a failure: `tfmed info
    # MODEL > /dev/full` exited 0.
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            r = subprocess.run([TFMED, "info", DEMO], stdout=full, stderr=subprocess.PIPE,
                               text=True, timeout=60)
        if r.returncode == 0 or "writing to standard output failed" not in r.stderr:
            C.failures.append(f"info > /dev/full: expected a failure naming standard output, "
                              f"found exit {r.returncode}: {r.stderr.strip()[-200:]}")

    # 6. Format 1, upgrade and card fields (a second hostile pass).
    # A format-1 file (no checksums) is refused where models are used;
    # doctor says why, and `tfmed upgrade` re-writes it with checksums.
    C.refused("format 1 in eval", "fmt1.tfm: model file format 1 carries no checksums",
              "eval", "tsrnet", p("fmt1.tfm"), *evalset)
    C.refused("format 1 in doctor", "REFUSED  file             format 1", "doctor",
              p("fmt1.tfm"))
    out = C.ok("upgrade format 1", "upgrade", p("fmt1.tfm"), "-o", p("fmt2.tfm"))
    info = C.ok("info upgraded", "info", p("fmt2.tfm"))
    demo_info = C.ok("info demo", "info", DEMO)
    digest = lambda t: t.split("FNV-1a 64 ")[1][:16]
    if "file format 2" not in info or digest(info) != digest(demo_info):
        C.failures.append(f"upgrade: expected format 2 with the same weights:\n{out}\n{info}")
    C.ok("doctor upgraded", "doctor", p("fmt2.tfm"))
    if "check against the model's source" not in out or "500 Hz" not in out:
        C.failures.append(f"upgrade: expected the fields nothing can check, listed:\n{out}")
    # A format-1 card has no checksum: a flipped digit in one copy of a field
    # written twice is refused, not sealed under a fresh CRC.
    def fmt1_with(edit, name):
        card = json.loads(secs["card"])
        edit(card)
        return tfm.write_format1(p(name), secs, card)
    thr = json.loads(secs["card"])["scoring"]["threshold"]
    for what, edit, want in (
            ("threshold copy", lambda c: c["scoring"].update(threshold=thr * 4),
             "the card's two copies of the alarm threshold differ: scoring.threshold"),
            ("parameter count", lambda c: c.update(parameters=c["parameters"] + 1),
             "parameters, its network has")):
        C.refused(f"upgrade of a damaged {what}", want, "upgrade",
                  fmt1_with(edit, "fmt1card.tfm"), "-o", p("fmt1card2.tfm"))
        C.absent(f"upgrade of a damaged {what}", p("fmt1card2.tfm"))
    # Binary outputs are files: a report on standard output would be mixed in.
    for cmd in (["upgrade", p("fmt1.tfm")], ["export", p("fmt2.tfm")]):
        C.refused(f"{cmd[0]} to /dev/stdout", "/dev/stdout: expected a file path for the",
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
        C.refused("card " + what, want, "doctor", p("edit.tfm"))
    # 7. A third hostile pass (the new commands and the SpecAR-Net card).
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
        C.refused("SpecAR-Net card " + what, want, "doctor", p("s_edit.tfm"))
    with_card(p("t_edit.tfm"), lambda c: c["architecture"].update(width=1024, d_model=4096,
                                                                  heads=1))
    C.refused("huge TSRNet", "expected 1 <= width <= 128, found 1024", "doctor", p("t_edit.tfm"))
    # A TSRNet score is a weighted squared error: a negative threshold alarms on
    # every window; and the two copies of the channel names must agree.
    with_card(p("t_edit.tfm"), lambda c: c["scoring"].update(threshold=-0.5))
    C.refused("negative TSRNet threshold", "expected a finite threshold >= 0", "doctor",
              p("t_edit.tfm"))
    with_card(p("t_edit.tfm"), lambda c: c["signal"].update(channel_names=["V5"]))
    C.refused("TSRNet channel names", 'expected signal.channel_names equal to signal.leads '
              '(["MLII?"]), found ["V5"]', "doctor", p("t_edit.tfm"))
    with_card(p("t_edit.tfm"), lambda c: c.update(quality={"min_beats": 3.9}))
    C.refused("quality integer", "expected field 'min_beats' to be an integer, found 3.9",
              "doctor", p("t_edit.tfm"))
    # The container: appended bytes, odd or repeated section names.
    open(p("trail.tfm"), "wb").write(open(DEMO, "rb").read() + b"appended")
    C.refused("appended bytes", "found 8 more byte(s)", "info", p("trail.tfm"))
    listed = [(n, d) for n, d, _ in tfm.read(DEMO)]
    tfm.write(p("dup.tfm"), listed + [("weights", listed[1][1])])
    C.refused("repeated section", "the weights section appears twice", "doctor", p("dup.tfm"))
    bad = list(listed)
    bad[1] = ("weighus", bad[1][1])  # one flipped bit in the name; its CRC is of the bytes
    tfm.write(p("flipname.tfm"), bad)
    C.refused("a flipped bit in a section name", "section 1: expected weights, optimizer, "
              "best_weights or torch_rng, found 'weighus' (a damaged name", "info",
              p("flipname.tfm"))
    tfm.write(p("name.tfm"), listed + [("\x1b[31mx", b"")])
    C.refused("odd section name", "has a damaged name: expected letters, digits and '_', "
              "found '\\x1b[31mx'", "info", p("name.tfm"))
    # upgrade checks the weights' own zip checksums; outputs are never inputs.
    b = bytearray(open(p("fmt1.tfm"), "rb").read())
    b[len(b) // 2] ^= 0x01
    open(p("fmt1bad.tfm"), "wb").write(bytes(b))
    C.refused("upgrade of damaged weights", "expected an intact LibTorch archive (zip), found "
              "entry", "upgrade", p("fmt1bad.tfm"), "-o", p("fmt1bad2.tfm"))
    C.refused("export onto its input", "expected an output other than the input",
              "export", p("fmt2.tfm"), "-o", p("fmt2.tfm"))
    C.refused("export --json unwritable", "/nonexistent", "export", p("fmt2.tfm"), "-o",
              p("e.pt"), "--json", "/nonexistent/x.json")
    C.refused("import from a device", "expected a regular file", "import", "--model", "tsrnet",
              "--card-from", "/dev/zero", p("e.pt"), "-o", p("x.tfm"))
    # A second output onto the model, or onto the other output, is refused
    # before anything is written (the model stays as it was).
    demo_bytes = open(DEMO, "rb").read()
    open(p("own.tfm"), "wb").write(demo_bytes)
    C.refused("export --json onto the model", "expected an output other than the input",
              "export", p("own.tfm"), "-o", p("e.pt"), "--json", p("own.tfm"))
    C.refused("export --json onto -o", "expected an output other than the output",
              "export", p("own.tfm"), "-o", p("e.pt"), "--json", p("e.pt"))
    C.refused("info --history-plot onto the model", "expected an output other than the input",
              "info", p("own.tfm"), "--history-plot", p("own.tfm"))
    if open(p("own.tfm"), "rb").read() != demo_bytes:
        C.failures.append("a refused second output changed the model file")
    # upgrade of a file already checksummed writes its copy to -o.
    out = C.ok("upgrade format 2", "upgrade", p("fmt2.tfm"), "-o", p("fmt2copy.tfm"))
    if (not os.path.exists(p("fmt2copy.tfm")) or "copied to" not in out or
            digest(C.ok("info copy", "info", p("fmt2copy.tfm"))) != digest(demo_info)):
        C.failures.append(f"upgrade of a format-2 file: expected its copy at -o:\n{out}")
    C.absent("a refused command", *map(p, ("fmt1bad2.tfm", "e.pt", "x.tfm")))

    # An import keeps the card's alarm threshold only for the card's own
    # weights (a round trip); other weights get none (null: refused where
    # alarms are raised until one is given).
    C.ok("export demo", "export", DEMO, "-o", p("d.pt"))
    out = C.ok("import own weights", "import", "--model", "tsrnet", "--card-from", DEMO,
               p("d.pt"), "-o", p("same.tfm"))
    same = C.card(p("same.tfm"))
    if "threshold kept" not in out or same["scoring"]["threshold"] is None:
        C.failures.append(f"import of the card's own weights lost the threshold:\n{out}")
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
        out = C.ok("import other weights", "import", "--model", "tsrnet", "--card-from",
                   DEMO, p("other.pt"), "-o", p("other.tfm"))
        card = C.card(p("other.tfm"))
        if ("dropped (null)" not in out or card["scoring"]["threshold"] is not None or
                card["imported"].get("threshold_dropped") != same["scoring"]["threshold"]):
            C.failures.append(f"import of other weights kept the borrowed threshold:\n{out}\n"
                              f"{card.get('scoring')} {card.get('imported')}")
        C.refused("eval of an import without a threshold", "threshold", "eval", "tsrnet",
                  p("other.tfm"), *evalset)
        out = C.ok("import other weights, --keep-threshold", "import", "--model", "tsrnet",
                   "--card-from", DEMO, p("other.pt"), "-o", p("kept.tfm"),
                   "--keep-threshold")
        kept = C.card(p("kept.tfm"))
        if kept["scoring"]["threshold"] != same["scoring"]["threshold"] or "kept" not in out:
            C.failures.append(f"--keep-threshold did not keep it:\n{out}\n{kept.get('scoring')}")
        sd[k] = torch.full_like(sd[k], 1e39, dtype=torch.float64)
        torch.save(sd, p("big.pt"))
        C.refused("import of float64 beyond float32", "within float32's range", "import",
                  "--model", "tsrnet", "--card-from", DEMO, p("big.pt"), "-o", p("big.tfm"))
        C.absent("a refused import", p("big.tfm"))
    # A card of a later format is refused at import, not written.
    card = C.card(DEMO)
    card["format"] = 99
    open(p("later.json"), "w").write(json.dumps(card))
    C.refused("import with a later card format", "format", "import", "--model", "tsrnet",
              "--card-from", p("later.json"), p("d.pt"), "-o", p("later.tfm"))
    C.absent("a refused import", p("later.tfm"))
    # A model file given as the state dict: named as what it is, with the way
    # to its state dict (it was taken for a Python OrderedDict); a card-from
    # that is no JSON names its file; a card nested beyond bounds is refused
    # (it overflowed the stack of the JSON printer).
    C.refused("import of a model file as the state dict",
              "found a tfmed model file (`tfmed export` gives its state dict)",
              "import", "--model", "tsrnet", "--card-from", DEMO, DEMO, "-o", p("tfm.tfm"))
    open(p("notjson.json"), "w").write("this is not JSON\n")
    C.refused("import with a card that is no JSON", p("notjson.json") + ": model card: expected JSON",
              "import", "--model", "tsrnet", "--card-from", p("notjson.json"), p("d.pt"),
              "-o", p("nj.tfm"))
    card["format"] = 2
    open(p("deep.json"), "w").write(json.dumps(card)[:-1] + ', "deep": ' + "[" * 100000 +
                                    "]" * 100000 + "}")
    C.refused("import with a card nested 100,000 deep", "nesting deeper than 64 levels",
              "import", "--model", "tsrnet", "--card-from", p("deep.json"), p("d.pt"),
              "-o", p("deep.tfm"))
    C.absent("a refused import", *map(p, ("tfm.tfm", "nj.tfm", "deep.tfm")))

    C.finish(os.path.splitext(os.path.basename(__file__))[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
