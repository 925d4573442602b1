#!/usr/bin/env python3
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the seed corpora of the fuzz targets: OUT/<target>/<seed>.

Seeds are hand-made inputs (always), plus small pieces of the real files in the
shared data folder when it exists (never committed: they are copied, cut down or
rewritten here at build time). Standard library only (no numpy): the .npy and
EDF seeds are assembled byte by byte.

Usage: make_seeds.py --out DIR [--data-dir DIR]
"""

import argparse
import json
import os
import random
import re
import shutil
import struct
import sys

# The model-file container's one test writer (tests/apps/tfm_file.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "apps"))
import tfm_file  # noqa: E402

TARGETS = (
    "fuzz_wfdb_header",
    "fuzz_wfdb_signal",
    "fuzz_wfdb_annotation",
    "fuzz_edf",
    "fuzz_ts",
    "fuzz_npy",
    "fuzz_csv",
    "fuzz_table_stream",
    "fuzz_model_file",
    "fuzz_card",
)

# Selectors of fuzz_wfdb_signal (the first byte picks the header; the table there
# has at most 40 entries).
SIGNAL_SELECTORS = 40


class Corpus:
    def __init__(self, out, target):
        self.dir = os.path.join(out, target)
        os.makedirs(self.dir)
        self.count = 0

    def add(self, name, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        with open(os.path.join(self.dir, safe), "wb") as f:
            f.write(data)
        self.count += 1


def read(path, limit=None):
    with open(path, "rb") as f:
        return f.read() if limit is None else f.read(limit)


def noise(n, seed):
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


# ---------------------------------------------------------------------------
# WFDB
# ---------------------------------------------------------------------------

WFDB_HEADERS = {
    "record_only": "rec 0\n",
    "annotations_only": "rec 0 360 650000\n",
    "two_signals": "# comment\nrec 2 360 10 10:20:30 01/02/2003\n"
    "rec.dat 212 200(1024)/mV 11 1024 995 -22131 0 MLII\n"
    "rec.dat 212 200 11 1024 1011 20052 0 V5\n# trailing\n",
    "counter": "rec 1 250/1000(12.5) 100\n"
    "rec.dat 16x4:2+128 0/uV 16 0 0 0 0 desc with spaces\n",
    "multi_fixed": "rec/3 2 125 300\nseg1 100\n~ 100\nseg2 100\n",
    "multi_variable": "rec/3 4 125 200\nrec_layout 0\nseg1 150\n~ 50\n",
    "layout": "rec_layout 4 125 0\n~ 0 1/mV 10 0 0 0 0 II\n~ 0 1 10 0 0 0 0 V\n"
    "~ 0 1 10 0 0 0 0 PLETH\n~ 0 1 10 0 0 0 0 RESP\n",
    "flac": "rec 1 250 10\nrec.dat 516 200 16 0 0 0 0 x\n",
    "crlf": "rec 1 250 10\r\nrec.dat 16\r\n",
    # Fuzz finding: white space other than ' ' and '\t' inside a signal line.
    "finding_cr_in_line": "r 1 125\n\v\r\r\nr.dat 80 49/mV 8 0 7 26 0\rII \n",
}

WFDB_ANNOTATIONS = {
    # NOTQRS with a time, N at 18, SKIP, V, SUB, CHN, NUM, AUX "(AFIB", end.
    "all_kinds": struct.pack("<H", (1 << 10) | 18)
    + struct.pack("<H", 59 << 10)
    + struct.pack(">H", 0)
    + struct.pack("<H", 1000)
    + struct.pack("<H", (5 << 10) | 7)
    + struct.pack("<H", (61 << 10) | 3)
    + struct.pack("<H", (62 << 10) | 1)
    + struct.pack("<H", (60 << 10) | 0x3FF)
    + struct.pack("<H", (63 << 10) | 5)
    + b"(AFIB\0"
    + struct.pack("<H", 0),
    "no_end": struct.pack("<HH", (1 << 10) | 5, (1 << 10) | 300),
    "notqrs": struct.pack("<HH", 17, 0),
    "odd": b"\x05",
    # Fuzz finding: an empty AUX string as the last word.
    "finding_aux_at_end": b"\x05\x04\x00\xfc",
}


def wfdb_seeds(out, data):
    hea = Corpus(out, "fuzz_wfdb_header")
    sig = Corpus(out, "fuzz_wfdb_signal")
    ann = Corpus(out, "fuzz_wfdb_annotation")
    for name, text in WFDB_HEADERS.items():
        hea.add(name + ".hea", text)
    for name, b in WFDB_ANNOTATIONS.items():
        ann.add(name + ".atr", b)
    for v in range(SIGNAL_SELECTORS):
        for n in (0, 7, 64, 301):
            sig.add("v%02d_noise%d" % (v, n), bytes([v]) + noise(n, 1000 * v + n))

    wfdb = os.path.join(data, "wfdb_sample") if data else None
    if not wfdb or not os.path.isdir(wfdb):
        return
    for root, _dirs, files in os.walk(wfdb):
        for f in sorted(files):
            if f.endswith(".hea") and os.path.getsize(os.path.join(root, f)) <= 4096:
                rel = os.path.relpath(os.path.join(root, f), wfdb)
                hea.add("real_" + rel, read(os.path.join(root, f)))
    for f, limit in (("100.atr", 2048), ("1003.atr", 2048), ("100.qrs", 2048),
                     ("huge.qrs", None), ("12726.anI", None), ("03700181.sqrs", None)):
        p = os.path.join(wfdb, f)
        if os.path.exists(p):
            ann.add("real_" + f, read(p, limit))
    # The single-format selectors 0..9 of fuzz_wfdb_signal (formats 8, 16, 24,
    # 32, 61, 80, 160, 212, 310, 311) on the start of binformats.d<k>.
    binformats = {8: 0, 16: 1, 61: 2, 80: 3, 160: 4, 212: 5, 310: 6, 311: 7, 24: 8,
                  32: 9}
    for v, fmt in enumerate((8, 16, 24, 32, 61, 80, 160, 212, 310, 311)):
        p = os.path.join(wfdb, "binformats.d%d" % binformats[fmt])
        if os.path.exists(p):
            sig.add("v%02d_binformats_fmt%d" % (v, fmt), bytes([v]) + read(p, 240))
    p = os.path.join(wfdb, "100.dat")
    if os.path.exists(p):  # selector 10: record 100's two format-212 signals
        sig.add("v10_100dat", bytes([10]) + read(p, 60))


# ---------------------------------------------------------------------------
# EDF
# ---------------------------------------------------------------------------


def field(value, width):
    s = str(value).encode("latin-1")
    assert len(s) <= width, (value, width)
    return s + b" " * (width - len(s))


def edf(signals, records, duration, reserved="", n_records=None, bdf=False,
        patient="X X X X", recording="Startdate X X X X"):
    """An EDF/BDF file. signals: dicts with label, spr and optional pmin, pmax,
    dmin, dmax, dim; records: list of bytes, one per data record."""
    ns = len(signals)
    head = (b"\xffBIOSEMI" if bdf else field("0", 8)) + field(patient, 80)
    head += field(recording, 80) + field("01.01.01", 8) + field("00.00.00", 8)
    head += field(256 * (ns + 1), 8) + field(reserved, 44)
    head += field(len(records) if n_records is None else n_records, 8)
    head += field(duration, 8) + field(ns, 4)
    cols = (("label", 16, ""), ("transducer", 80, ""), ("dim", 8, "uV"),
            ("pmin", 8, -100), ("pmax", 8, 100), ("dmin", 8, -32768),
            ("dmax", 8, 32767), ("prefilter", 80, ""), ("spr", 8, 1),
            ("reserved", 32, ""))
    for key, width, default in cols:
        for s in signals:
            head += field(s.get(key, default), width)
    return head + b"".join(records)


def tal_block(tals, size):
    b = b"".join(tals)
    assert len(b) <= size
    return b + b"\0" * (size - len(b))


def edf_seeds(out, data):
    c = Corpus(out, "fuzz_edf")
    two = [{"label": "EEG A", "spr": 4}, {"label": "EEG B", "spr": 4, "dim": "mV"}]
    rec = lambda r: struct.pack("<8h", *[(r * 8 + k) * 1000 - 20000 for k in range(8)])
    c.add("edf_plain", edf(two, [rec(0), rec(1)], 1))
    c.add("edf_unknown_count", edf(two, [rec(0), rec(1), rec(2)], 0.5, n_records=-1))
    ann = {"label": "EDF Annotations", "spr": 16, "dmin": -32768, "dmax": 32767}
    tk = lambda t: ("+%s\x14\x14\0" % t).encode()
    spike = b"+0.5\x150.2\x14spike\x14\0"
    c.add("edfplus_c", edf(two + [ann],
                           [rec(0) + tal_block([tk(0), spike], 32),
                            rec(1) + tal_block([tk(1)], 32)], 1, reserved="EDF+C"))
    c.add("edfplus_d", edf(two + [ann],
                           [rec(0) + tal_block([tk(0)], 32),
                            rec(1) + tal_block([tk(3), b"-1\x14before\x14x\x14\0"], 32)],
                           1, reserved="EDF+D"))
    c.add("annotations_only", edf([dict(ann, spr=20)],
                                  [tal_block([tk(0), b"+12.5\x14Lights off\x14\0"], 40)],
                                  0, reserved="EDF+C"))
    bdf_rec = lambda r: b"".join(struct.pack("<i", (r * 3 + k) * 100000 - 400000)[:3]
                                 for k in range(3))
    c.add("bdf", edf([{"label": "Fp1", "spr": 3, "dmin": -8388608, "dmax": 8388607}],
                     [bdf_rec(0), bdf_rec(1)], 1, bdf=True, reserved="24BIT"))
    c.add("header_only_256", edf(two, [], 1)[:256])
    # Fuzz finding: an EDF+D onset 10^8 s after the first record (GBs of gap).
    c.add("finding_huge_gap", edf(two + [ann],
                                  [rec(0) + tal_block([tk(0)], 32),
                                   rec(1) + tal_block([tk("100000000")], 32)],
                                  1, reserved="EDF+D"))

    wfdb = os.path.join(data, "wfdb_sample") if data else None
    if not wfdb or not os.path.isdir(wfdb):
        return
    p = os.path.join(wfdb, "test_generator_2.edf")
    if os.path.exists(p):
        # The real header, cut to its first data record (count rewritten to 1),
        # and the same cut short in the middle of the record (an error case).
        b = read(p, 256)
        ns = int(b[252:256])
        head = read(p, 256 * (ns + 1))
        spr = [int(head[256 + 216 * ns + 8 * i:256 + 216 * ns + 8 * i + 8])
               for i in range(ns)]
        record_bytes = 2 * sum(spr)
        first = read(p, 256 * (ns + 1) + record_bytes)
        one = first[:236] + field(1, 8) + first[244:]
        c.add("real_test_generator_2_1rec", one)
        c.add("real_test_generator_2_truncated", one[:len(one) - record_bytes // 2])
    p = os.path.join(wfdb, "test_edfann.edf")
    if os.path.exists(p):
        # Annotation-only EDF+: keep the first TALs, shrink the signal to them.
        b = read(p)
        tals = b[512:]
        cut = 0
        while cut < 600:
            nxt = tals.find(b"\x14\x00", cut)
            if nxt < 0:
                break
            cut = nxt + 2
        body = tals[:cut] + (b"\0" if cut % 2 else b"")
        spr = len(body) // 2
        h = bytearray(b[:512])
        h[256 + 216:256 + 224] = field(spr, 8)
        c.add("real_test_edfann_cut", bytes(h) + body)


# ---------------------------------------------------------------------------
# .ts
# ---------------------------------------------------------------------------

TS_SEEDS = {
    "multivariate": "# comment\n@problemName Toy\n@timeStamps false\n@missing false\n"
    "@univariate false\n@dimensions 2\n@equalLength true\n@seriesLength 3\n"
    "@classLabel true a b\n@data\n1,2,3:4,5,6:a\n0.5,?,-1e3:+2,3,4:b\n",
    "inferred": "@problemName X\n@data\n1,2,3:4,5\n6,7:8,9,10\n",
    "timestamps": "@timeStamps true\n@univariate true\n@targetLabel true\n@data\n"
    "(2007-01-01 00:00:00,241.9),(2007-01-02 00:00:00,?):3.5\n"
    "(1,2),(2,3),(3,4):-1\n",
    "unequal": "@univariate true\n@equalLength false\n@seriesLength 4\n"
    "@classLabel true 1 2 3\n@data\n1,2:1\n1,2,3,4:3\n",
    "missing_data": "@problemName Y\n@dimensions 1\n",
    # Fuzz finding: the largest int as @dimensions, with a class label.
    "finding_max_dimensions": "@dimensions 2147483647\n@classLabel true a\n@data\n1:a\n",
}


def ts_seeds(out, data):
    c = Corpus(out, "fuzz_ts")
    for name, text in TS_SEEDS.items():
        c.add(name + ".ts", text)
    uea = os.path.join(data, "uea") if data else None
    if not uea or not os.path.isdir(uea):
        return
    for rel in ("BasicMotions/BasicMotions_TRAIN.ts",
                "JapaneseVowels/JapaneseVowels_TRAIN.ts"):
        p = os.path.join(uea, rel)
        if not os.path.exists(p):
            continue
        # The header and the first cases, cut at a line end, at most ~8 KB
        # (whole files make every fuzzing iteration slow).
        lines = read(p).split(b"\n")
        keep, size, cases = [], 0, 0
        in_data = False
        for line in lines:
            if in_data and (size + len(line) > 8192 or cases == 3):
                break
            keep.append(line)
            size += len(line) + 1
            if in_data and line.strip() and not line.startswith(b"#"):
                cases += 1
            if line.strip().lower().startswith(b"@data"):
                in_data = True
        c.add("real_" + os.path.basename(p), b"\n".join(keep) + b"\n")


# ---------------------------------------------------------------------------
# .npy
# ---------------------------------------------------------------------------


def npy_raw(header, payload, version=1):
    """A .npy file with the header dictionary text `header`, padded as numpy pads."""
    pre = 10 if version == 1 else 12
    total = pre + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    n = len(header)
    length = struct.pack("<H", n) if version == 1 else struct.pack("<I", n)
    magic = b"\x93NUMPY" + bytes([version, 0])
    return magic + length + header.encode("latin-1") + payload


def npy(descr, shape, payload, version=1, fortran=False):
    dims = ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, "True" if fortran else "False", dims)
    return npy_raw(header, payload, version)


def npy_seeds(out, data):
    c = Corpus(out, "fuzz_npy")
    c.add("f4_2x3", npy("<f4", (2, 3), struct.pack("<6f", 0, 1, -2, 3.5, 1e30, -0.0)))
    c.add("f8_3", npy("<f8", (3,), struct.pack("<3d", 1, 2, 3)))
    c.add("f2_2", npy("<f2", (2,), struct.pack("<2H", 0x3C00, 0x7E00)))
    c.add("i1_4", npy("|i1", (4,), bytes([0, 127, 128, 255])))
    c.add("i2_2x2_v2", npy("<i2", (2, 2), struct.pack("<4h", 1, -1, 32767, -32768), 2))
    c.add("i4_v3", npy("<i4", (1, 1, 2), struct.pack("<2i", 5, -5), 3))
    c.add("i8", npy("<i8", (2,), struct.pack("<2q", 2 ** 40, -(2 ** 62))))
    c.add("u1", npy("|u1", (3,), bytes([1, 2, 255])))
    c.add("u2", npy("<u2", (1,), struct.pack("<H", 65535)))
    c.add("u4", npy("<u4", (1,), struct.pack("<I", 2 ** 32 - 1)))
    c.add("u8", npy("<u8", (1,), struct.pack("<Q", 2 ** 64 - 1)))
    c.add("b1", npy("|b1", (3,), bytes([0, 1, 2])))
    c.add("scalar", npy("<f4", (), struct.pack("<f", 7)))
    c.add("empty", npy("<f4", (0, 5), b""))
    c.add("fortran_vector", npy("<f4", (1, 2), struct.pack("<2f", 1, 2), fortran=True))
    c.add("big_endian", npy(">f4", (1,), struct.pack(">f", 1)))
    c.add("structured", npy_raw("{'descr': [('a', '<f4')], 'fortran_order': False, "
                                "'shape': (1,), }", b"\0" * 4))
    c.add("short", b"\x93NUMPY\x01\x00\xff\xff{")
    if not data or not os.path.isdir(data):
        return
    # Real headers (their dtypes and padding), with the shape cut down to a
    # few rows of the real data.
    for rel in ("mitdb_compiled10s/X_mV.npy", "bonn_eeg/epilepsy178/X_int16.npy",
                "bonn_eeg/epilepsy178/y_uci.npy", "msl/test/C-2.npy"):
        p = os.path.join(data, rel)
        if not os.path.exists(p):
            continue
        head = read(p, 4096)
        if head[6] != 1:
            continue
        hlen = struct.unpack("<H", head[8:10])[0]
        text = head[10:10 + hlen].decode("latin-1")
        m = re.search(r"'descr':\s*'([^']*)'", text)
        shape = re.search(r"'shape':\s*\(([^)]*)\)", text)
        if not m or not shape:
            continue
        dims = [int(x) for x in shape.group(1).replace("L", "").split(",") if x.strip()]
        item = int(m.group(1)[2:])
        small = [min(n, 2) for n in dims[:1]] + [min(n, 6) for n in dims[1:]]
        count = 1
        for n in small:
            count *= n
        payload = read(p, 10 + hlen + count * item)[10 + hlen:]
        c.add("real_" + rel, npy(m.group(1), small, payload))


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

CSV_SEEDS = {
    "numeric": "a,b,c\n1,2,3\n4.5,-6e2,\n+7,NaN,NA\n",
    "text_first": "\xef\xbb\xbfdate,x,y\r\n2016-07-01 00:00:00,1,2\r\n\r\n"
    "2016-07-01 01:00:00,N/A,#N/A\r\n",
    "quoted": 'id,"name, quoted","x"\n"1","2",3\n" 4 ","5""","null"\n',
    "tabs": "a\tb\n1\t2\n3\t\n",
    "header_only": "only,a,header\n",
    "ragged": "a,b\n1\n",
}


def csv_seeds(out, data):
    c = Corpus(out, "fuzz_csv")
    for name, text in CSV_SEEDS.items():
        c.add(name + ".csv", text)
    if not data or not os.path.isdir(data):
        return
    for rel in ("ett/ETTh1.csv", "msl/labeled_anomalies.csv",
                "mitdb_compiled10s/labels.csv", "bonn_eeg/epilepsy178/rows.csv"):
        p = os.path.join(data, rel)
        if os.path.exists(p):
            head = read(p, 2048)
            c.add("real_" + rel, head[:head.rfind(b"\n") + 1])


def demo_card(root, name="tsrnet_demo_mitdb.tfm"):
    """The card of a shipped demo model."""
    p = os.path.join(root, "models", name)
    return tfm_file.sections(p)["card"] if os.path.exists(p) else None


def model_seeds(out):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    card = demo_card(root) or json.dumps({"model": "tsrnet", "format": 2}).encode()
    c = Corpus(out, "fuzz_model_file")
    c.add("demo_card_only.tfm", tfm_file.encode([("card", card)]))
    c.add("demo_small_weights.tfm", tfm_file.encode([("card", card), ("weights", b"PK\x03\x04" + bytes(60))]))
    c.add("format1.tfm", tfm_file.encode_format1({"card": card, "weights": bytes(16)}))
    c.add("bad_crc.tfm", tfm_file.encode([("card", card)])[:-1] + b"!")
    c.add("huge_section.tfm", b"TFMEDMDL" + struct.pack("<II", 2, 1) + struct.pack("<H", 4) +
          b"card" + struct.pack("<QI", 1 << 60, 0))
    c.add("empty.tfm", b"")
    k = Corpus(out, "fuzz_card")
    k.add("demo.json", card)
    specar = demo_card(root, "specar_msl_demo.tfm")
    if specar:
        c.add("specar_card_only.tfm", tfm_file.encode([("card", specar)]))
        k.add("specar_msl.json", specar)
        k.add("specar_forecast.json", demo_card(root, "specar_etth1_forecast_demo.tfm") or b"{}")
    try:
        json.loads(card)
    except ValueError:
        return
    for name, edit in (("leads_100000", lambda j: j["architecture"].update(leads=100000)),
                       ("window_1e12", lambda j: j["signal"].update(window=10 ** 12)),
                       ("hop_0", lambda j: j["stft"].update(hop=0)),
                       ("n_fft_1", lambda j: j["stft"].update(n_fft=1)),
                       ("width_0", lambda j: j["architecture"].update(width=0)),
                       ("heads_3", lambda j: j["architecture"].update(heads=3)),
                       ("threshold_null", lambda j: j["scoring"].update(threshold=None)),
                       ("quality_string", lambda j: j.update(quality="x")),
                       ("no_signal", lambda j: j.pop("signal"))):
        v = json.loads(card)
        try:
            edit(v)
        except (KeyError, TypeError):
            continue
        k.add(name + ".json", json.dumps(v))


def table_stream_seeds(out):
    """fuzz_table_stream: the CSV, .npy and .ts seeds behind selector bytes
    (extension, rate or times, time and label columns), and a table with a
    date column and labels."""
    c = Corpus(out, "fuzz_table_stream")
    for target, ext in (("fuzz_csv", 0), ("fuzz_npy", 1), ("fuzz_ts", 2)):
        src = os.path.join(out, target)
        for name in sorted(os.listdir(src))[:40]:
            body = read(os.path.join(src, name))
            for flags in (0, 8 | 4, 16):
                c.add("%s_%d_%s" % (target[5:], flags, name), bytes([ext | flags]) + body)
    ett = ("date,HUFL,OT,label\n2016-07-01 00:00:00,5.8,30.5,0\n"
           "2016-07-01 01:00:00,5.6,27.7,0\n2016-07-01 02:00:00,5.0,27.7,1\n"
           "2016-07-01 03:00:00,5.0,25.5,1\n")
    for flags in (0, 4 | 8, 4 | 8 | 16, 16):
        c.add("ett_%d.csv" % flags, bytes([flags]) + ett.encode())
    c.add("times_gap.csv", bytes([4 | 8]) + b"date,a\n0,1\n1,2\n3,3\n")
    c.add("time_text", bytes([3]) + b"2016-02-29 23:59:59")
    # Fuzz finding: 2^31 declared dimensions and no case (a column per dimension).
    c.add("finding_ts_dimensions_no_case",
          bytes([2]) + b"@dimensions 2147483647\n@classLabel true a\n@data\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="folder for <target>/ seed folders")
    ap.add_argument("--data-dir", default="",
                    help="the shared data folder (../shared/data); optional")
    args = ap.parse_args()
    data = args.data_dir if args.data_dir and os.path.isdir(args.data_dir) else ""
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    wfdb_seeds(args.out, data)
    edf_seeds(args.out, data)
    ts_seeds(args.out, data)
    npy_seeds(args.out, data)
    csv_seeds(args.out, data)
    table_stream_seeds(args.out)
    model_seeds(args.out)
    counts = []
    for t in TARGETS:
        counts.append("%s %d" % (t, len(os.listdir(os.path.join(args.out, t)))))
    print("seeds (%s): %s" % ("real data + hand-made" if data else "hand-made only",
                             ", ".join(counts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
