#!/usr/bin/python3
#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""The Python side of `tfmed bench specar`: the same network (the twin,
specar_twin.py) at the same threads and batches, timed the same way.

Usage: bench_specar_twin.py CONFIG_JSON
CONFIG_JSON: {"arch": {...SpecarOptions names...}, "threads": T, "seconds": S,
              "batches": [1, 128], "train_batch": B}
Prints one JSON line: {"torch": version, "parameters": N, "forward": {"1": windows/s,
...}, "train_step_s": seconds}.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import specar_twin as tw  # noqa: E402
from twin_timing import timed  # noqa: E402


def inputs(cfg, b):
    x = torch.randn(b, cfg.seq_len, cfg.enc_in)
    if cfg.task_name == "classification":
        return (x, torch.ones(b, cfg.seq_len), None, None)
    if cfg.task_name in ("long_term_forecast", "imputation"):
        mark = torch.rand(b, cfg.seq_len, 4) - 0.5
        if cfg.task_name == "imputation":
            return (x, mark, None, None, torch.ones_like(x))
        return (x, mark, None, None)
    return (x, None, None, None)


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(int(c["threads"]))
    a = dict(c["arch"])
    cfg = tw.SpecARConfig.from_kwargs(**a)
    torch.manual_seed(0)
    net = tw.SpecARNet(cfg)
    out = {"torch": torch.__version__, "forward": {},
           "parameters": sum(p.numel() for p in net.parameters())}
    net.eval()
    with torch.no_grad():
        for b in c["batches"]:
            args = inputs(cfg, b)
            out["forward"][str(b)] = b / timed(lambda: net(*args), c["seconds"])
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    args = inputs(cfg, c["train_batch"])

    def step():
        opt.zero_grad()
        y = net(*args)
        y = y[0] if isinstance(y, tuple) else y
        y.square().mean().backward()
        opt.step()
    out["train_step_s"] = timed(step, c["seconds"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
