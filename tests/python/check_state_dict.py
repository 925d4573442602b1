#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""Python side of the export/import round trip (tests/apps/check_training_core.cmake).

Usage: check_state_dict.py EXPORTED.pt EXPORT.json OUT.pt

Loads a `tfmed export` file with torch.load, checks every name, shape and sum
against the manifest `tfmed export --json` wrote, checks the names are the
Python reference's (TSRNet's state_dict keys), then writes it back with
torch.save as a plain dict (OUT.pt), as an OrderedDict (OUT_ordered.pt: what
model.state_dict() gives, which LibTorch cannot read), for the refusals.
"""
import json
import sys
from collections import OrderedDict

import torch


def main():
    pt, manifest, out = sys.argv[1:4]
    sd = torch.load(pt)
    want = json.load(open(manifest))
    assert isinstance(sd, dict), type(sd)
    assert list(sd) == [e["name"] for e in want], (list(sd)[:5], [e["name"] for e in want][:5])
    for e in want:
        t = sd[e["name"]]
        assert list(t.shape) == e["shape"], (e["name"], t.shape, e["shape"])
        s = t.double().sum().item()
        assert abs(s - e["sum"]) <= 1e-9 * max(1.0, abs(e["sum"])), (e["name"], s, e["sum"])
    # The reference TSRNet's attributes (MODELS.md 1.3).
    prefixes = sorted({k.split(".")[0] for k in sd})
    assert prefixes == ["attn1", "conv_spec1", "layer_norm1", "mlp", "spec_encoder",
                        "time_decoder", "time_encoder"], prefixes
    torch.save(dict(sd), out)
    torch.save(OrderedDict(sd), out[:-3] + "_ordered.pt")
    print(f"torch.load: {len(sd)} tensors, {sum(t.numel() for t in sd.values())} values; "
          f"top-level modules {prefixes}")


if __name__ == "__main__":
    main()
