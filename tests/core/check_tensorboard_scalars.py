#!/usr/bin/env python3
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/tensorboard_scalars.py: reads what a TensorBoard writer writes, refuses damage.

    check_tensorboard_scalars.py SCRIPT WORKDIR

The event files are built here from the format's definition (TFRecord framing,
Event / Summary / Value protocol buffers), independently of the script's reader;
the CRC-32C is checked against the published check values (RFC 3720 B.4).
"""
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys

script, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(os.path.join(work, "run", "Accuracy_test"))

spec = importlib.util.spec_from_file_location("tbs", script)
tbs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tbs)

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


# CRC-32C check values: "123456789" and RFC 3720 B.4's 32-byte vectors.
check(tbs.crc32c(b"123456789") == 0xE3069283, "crc32c('123456789') = 0xE3069283")
check(tbs.crc32c(bytes(32)) == 0x8A9136AA, "crc32c(32 zero bytes) = 0x8A9136AA")
check(tbs.crc32c(b"\xff" * 32) == 0x62A8AB43, "crc32c(32 bytes 0xFF) = 0x62A8AB43")
check(tbs.crc32c(bytes(range(32))) == 0x46DD794E, "crc32c(0..31) = 0x46DD794E")


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def crc_masked(data):
    # the TFRecord mask, written out here from its definition
    c = tbs.crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def record(payload):
    head = struct.pack("<Q", len(payload))
    return head + struct.pack("<I", crc_masked(head)) + payload + struct.pack("<I", crc_masked(payload))


def scalar_event(step, tag, value, wall=1713496292.0):
    val = field(1, 2, tag.encode()) + field(2, 5, struct.pack("<f", value))
    summary = field(1, 2, val)
    return field(1, 1, struct.pack("<d", wall)) + field(2, 0, varint(step)) + field(5, 2, summary)


curve = [(1, 0.4), (2, 0.4378378), (300, 0.9081081)]
blob = record(field(1, 1, struct.pack("<d", 1.0)) + field(3, 2, b"brain.Event:2"))  # file_version
for step, v in curve:
    blob += record(scalar_event(step, "Accuracy", v))
blob += record(scalar_event(5, "LOSS", 2.4427))
good = os.path.join(work, "run", "Accuracy_test", "events.out.tfevents.1.host.1.5")
with open(good, "wb") as fh:
    fh.write(blob)


def run(*args):
    p = subprocess.run([sys.executable, script, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


rc, out, err = run(os.path.join(work, "run"), "--json")
check(rc == 0, f"a folder is searched for event files (rc {rc}, {err.strip()})")
got = json.loads(out) if rc == 0 else {}
check(list(got) == [good], f"one event file found: {list(got)}")
acc = got.get(good, {}).get("Accuracy", [])
check([s for s, _ in acc] == [1, 2, 300], f"steps in order written: {[s for s, _ in acc]}")
check(all(abs(a[1] - struct.unpack('<f', struct.pack('<f', b))[0]) < 1e-9 for a, (_, b) in zip(acc, curve)),
      "values are the float32 written")
check(got.get(good, {}).get("LOSS") == [[5, struct.unpack('<f', struct.pack('<f', 2.4427))[0]]], "second tag kept apart")

rc, out, err = run(good, "--tag", "LOSS")
check(rc == 0 and out.split() == [good, "LOSS", "5:2.4427"], f"--tag filters: {out.strip()}")

bad = os.path.join(work, "truncated.tfevents")
with open(bad, "wb") as fh:
    fh.write(blob[:-3])
rc, out, err = run(bad)
check(rc == 2 and "truncated record" in err and out == "", f"a truncated file is refused: {err.strip()}")

flipped = bytearray(blob)
flipped[len(blob) - 10] ^= 0x01  # inside the last payload
bad = os.path.join(work, "flipped.tfevents")
with open(bad, "wb") as fh:
    fh.write(flipped)
rc, out, err = run(bad)
check(rc == 2 and "payload CRC mismatch" in err, f"a flipped bit is refused: {err.strip()}")

flipped = bytearray(blob)
flipped[0] ^= 0x40  # the first record's length
with open(bad, "wb") as fh:
    fh.write(flipped)
rc, out, err = run(bad)
check(rc == 2 and "length CRC mismatch at byte 0" in err, f"a damaged length is refused: {err.strip()}")

rc, out, err = run(os.path.join(work, "absent"))
check(rc == 2 and "expected an event file or a folder" in err, f"a missing path is refused: {err.strip()}")
empty = os.path.join(work, "empty")
os.makedirs(empty)
rc, out, err = run(empty)
check(rc == 2 and "no event files" in err, f"a folder without event files is refused: {err.strip()}")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
