#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The model-file container of include/tfmed/models/model_file.h, written
independently of the C++ reader so the trust checks (and the fuzz seeds,
tests/fuzz/make_seeds.py) can damage and forge
files: "TFMEDMDL", u32 format, then (format 2) u32 count and per section a
u16 name length, the name, u64 size, u32 CRC-32 and the bytes; format 1
(no checksums) has the card, weights and optimizer as u64 size + bytes."""
import json
import struct
import zlib

MAGIC = b"TFMEDMDL"


def read(path):
    """[(name, bytes, offset of the bytes in the file)] of a format-2 file."""
    b = open(path, "rb").read()
    assert b[:8] == MAGIC, f"{path}: not a tfmed model file"
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


def sections(path):
    """{name: bytes} of a model file."""
    return {name: data for name, data, _ in read(path)}


def encode(secs):
    """The bytes of a format-2 file with correct CRC-32s: `secs` is [(name, bytes)]."""
    b = MAGIC + struct.pack("<II", 2, len(secs))
    for name, data in secs:
        b += struct.pack("<H", len(name)) + name.encode() + struct.pack("<Q", len(data))
        b += struct.pack("<I", zlib.crc32(data) & 0xFFFFFFFF) + data
    return b


def encode_format1(secs, card=None):
    """The bytes of a format-1 file (no checksums) from {name: bytes},
    optionally with another card (a dict)."""
    b = MAGIC + struct.pack("<I", 1)
    for name in ("card", "weights", "optimizer"):
        data = json.dumps(card).encode() if name == "card" and card is not None \
            else secs.get(name, b"")
        b += struct.pack("<Q", len(data)) + data
    return b


def write(path, secs):
    """Format 2 with correct CRC-32s: `secs` is [(name, bytes)]."""
    open(path, "wb").write(encode(secs))


def write_format1(path, secs, card=None):
    """Format 1 (no checksums) from {name: bytes}, optionally with another card."""
    open(path, "wb").write(encode_format1(secs, card))
    return path


def with_card(path, edit, src):
    """A copy of `src` whose card `edit(card)` changed, sealed with fresh CRCs
    (a card that lies, not a damaged one)."""
    secs = [(n, d) for n, d, _ in read(src)]
    card = json.loads(secs[0][1])
    edit(card)
    secs[0] = ("card", json.dumps(card).encode())
    write(path, secs)
    return path
