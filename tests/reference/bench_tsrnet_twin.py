#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The Python side of `tfmed bench tsrnet`: the same network (the twin, tsrnet_twin.py)
at the same threads and batches, timed the same way: windows/s of scoring (spectrogram,
the three deterministic masked passes as one batch, weighted error, plain and Peak-based
scores) in inference mode, and one training step (spectrogram, random masks, forward,
loss, backward, AdamW).

Usage: bench_tsrnet_twin.py CONFIG_JSON
CONFIG_JSON: {"arch": {"leads": L, "width": W, "d_model": D}, "threads": T,
              "seconds": S, "batches": [1, 32], "train_batch": B}
Prints one JSON line: {"torch": version, "parameters": N, "forward": {"1": windows/s,
...}, "train_step_s": seconds}.
"""
import json
import os
import random
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tsrnet_twin as tw  # noqa: E402
from twin_timing import timed  # noqa: E402


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(int(c["threads"]))
    a = c["arch"]
    torch.manual_seed(0)
    net = tw.Tsrnet(a["leads"], a["width"], a["d_model"]).eval()
    out = {"torch": torch.__version__, "forward": {},
           "parameters": sum(p.numel() for p in net.parameters())}
    t = net.length
    with torch.inference_mode():
        for b in c["batches"]:
            x = torch.rand(b, t, a["leads"]) * 2 - 1
            pm = torch.ones(b, t)
            out["forward"][str(b)] = b / timed(lambda: tw.score_windows(net, x, pm), c["seconds"])
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
    xb = torch.rand(c["train_batch"], t, a["leads"]) * 2 - 1
    rng = random.Random(1)

    def step():
        spec = tw.spectrogram(xb)
        tm, sm = torch.zeros(t), torch.zeros(spec.size(2))
        for p in rng.sample(range(100), 30):
            tm[p * (t // 100):(p + 1) * (t // 100)] = 1
        sm[rng.sample(range(66), 20)] = 1
        x_hat, s = net(xb * (1 - tm).view(1, -1, 1), spec * (1 - sm).view(1, 1, -1, 1))
        loss = (torch.exp(-s) * (x_hat - xb).square()).mean() + s.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    out["train_step_s"] = timed(step, c["seconds"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
