#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The Python side of `tfmed bench trls`: the same network (the twin, trls_twin.py) at
the same threads and batches, timed the same way: encoder windows/s in eval mode on
random spectrogram images, and one pre-training step (two views through online and
target networks, the symmetrised loss, backward, Adam, the EMA update).

Usage: bench_trls_twin.py CONFIG_JSON
CONFIG_JSON: {"arch": {...TrlsConfig names...}, "threads": T, "seconds": S,
              "batches": [1, 128], "train_batch": B}
Prints one JSON line: {"torch": version, "parameters": N (encoder + head), "forward":
{"1": windows/s, ...}, "train_step_s": seconds}.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trls_twin as tw  # noqa: E402
from twin_timing import timed  # noqa: E402


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(int(c["threads"]))
    cfg = tw.TrlsConfig(**c["arch"])
    torch.manual_seed(0)
    clf = tw.TrlsClassifier(cfg).eval()
    out = {"torch": torch.__version__, "forward": {},
           "parameters": sum(p.numel() for p in clf.parameters())}
    with torch.no_grad():
        for b in c["batches"]:
            img = torch.rand(b, cfg.features, cfg.frames)
            out["forward"][str(b)] = b / timed(lambda: clf.embed(img), c["seconds"])
    net = tw.Trls(cfg).train()
    opt = torch.optim.Adam(net.parameters(), lr=3e-4, betas=(0.9, 0.99), weight_decay=1e-4)
    v1 = torch.rand(c["train_batch"], cfg.features, cfg.frames)
    v2 = torch.rand(c["train_batch"], cfg.features, cfg.frames)

    def step():
        opt.zero_grad()
        net.loss(v1, v2).backward()
        opt.step()
        net.update_target(0.7)
    out["train_step_s"] = timed(step, c["seconds"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
