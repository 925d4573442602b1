#!/usr/bin/env python3
"""Print the scalar curves stored in TensorBoard event files, without TensorBoard.

    scripts/tensorboard_scalars.py PATH... [--tag SUBSTRING] [--json]

PATH is an event file (events.out.tfevents.*) or a folder searched for them.
One line per file and tag: the file, the tag, then step:value for every scalar
in the order written. Used to read the training curves a reference
implementation committed beside its code (README, SpecAR-Net: the published
code's own JapaneseVowels run), so they can be set beside ours.

The format is TFRecord: per record a little-endian uint64 length, the masked
CRC-32C of those 8 bytes, the payload (an `Event` protocol buffer), the masked
CRC-32C of the payload. Both CRCs are checked; a truncated or corrupted file is
refused with the offset and what was expected. Only what scalars need is
decoded: Event.step (field 2) and Event.summary (5) -> Summary.value (1) ->
Value.tag (1) and Value.simple_value (2).
"""
import argparse
import json
import os
import struct
import sys


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    """CRC-32C (Castagnoli), as TFRecord uses; crc32c(b"123456789") == 0xE3069283."""
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(blob, name):
    """The payloads of a TFRecord file, CRCs checked."""
    i = 0
    while i < len(blob):
        if len(blob) - i < 12:
            raise ValueError(f"{name}: truncated record header at byte {i}: "
                             f"expected 12 bytes, found {len(blob) - i}")
        head = blob[i:i + 8]
        (n,) = struct.unpack("<Q", head)
        (crc,) = struct.unpack("<I", blob[i + 8:i + 12])
        if crc != masked_crc(head):
            raise ValueError(f"{name}: length CRC mismatch at byte {i}: expected "
                             f"{masked_crc(head):#010x}, found {crc:#010x}")
        if len(blob) - i - 12 < n + 4:
            raise ValueError(f"{name}: truncated record at byte {i}: expected "
                             f"{n + 4} bytes of payload and CRC, found {len(blob) - i - 12}")
        data = blob[i + 12:i + 12 + n]
        (crc,) = struct.unpack("<I", blob[i + 12 + n:i + 16 + n])
        if crc != masked_crc(data):
            raise ValueError(f"{name}: payload CRC mismatch in the record at byte {i}")
        yield data
        i += 16 + n


def _varint(b, i):
    r = s = 0
    while True:
        if i >= len(b):
            raise ValueError("truncated varint")
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def fields(b):
    """(field number, wire type, value) of one protocol-buffer message."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        f, t = key >> 3, key & 7
        if t == 0:
            v, i = _varint(b, i)
        elif t == 1:
            v, i = b[i:i + 8], i + 8
        elif t == 5:
            v, i = b[i:i + 4], i + 4
        elif t == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError(f"unsupported wire type {t} for field {f}")
        yield f, t, v


def scalars(path):
    """{tag: [(step, value), ...]} of one event file."""
    out = {}
    with open(path, "rb") as fh:
        blob = fh.read()
    for rec in records(blob, path):
        step = 0
        values = []
        for f, t, v in fields(rec):
            if f == 2 and t == 0:
                step = v
            elif f == 5 and t == 2:
                for f2, t2, v2 in fields(v):
                    if f2 != 1 or t2 != 2:
                        continue
                    tag, val = None, None
                    for f3, t3, v3 in fields(v2):
                        if f3 == 1 and t3 == 2:
                            tag = v3.decode("utf-8", "replace")
                        elif f3 == 2 and t3 == 5:
                            (val,) = struct.unpack("<f", v3)
                    if tag is not None and val is not None:
                        values.append((tag, val))
        for tag, val in values:
            out.setdefault(tag, []).append((step, val))
    return out


def event_files(paths):
    found = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                found += [os.path.join(root, n) for n in names if "tfevents" in n]
        elif os.path.isfile(p):
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: expected an event file or a folder, found nothing")
    return sorted(found)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--tag", default="", help="only tags containing this")
    ap.add_argument("--json", action="store_true", help="one JSON object {file: {tag: [[step, value]]}}")
    args = ap.parse_args(argv)
    try:
        files = event_files(args.paths)
        if not files:
            raise FileNotFoundError(f"no event files (events.out.tfevents.*) under {' '.join(args.paths)}")
        result = {}
        for f in files:
            s = {t: v for t, v in scalars(f).items() if args.tag in t}
            if s:
                result[f] = s
    except (OSError, ValueError) as e:
        print(f"tensorboard_scalars: {e}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(result, sys.stdout)
        print()
    else:
        for f, s in result.items():
            for tag, pts in s.items():
                print(f, tag, " ".join(f"{st}:{v:.4f}" for st, v in pts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
