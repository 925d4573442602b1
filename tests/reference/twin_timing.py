#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""How every bench twin times a step: as the C++ benches do (one warm-up call, then
repeats until `seconds` have passed and at least two calls were made)."""
import time


def timed(fn, seconds):
    """Seconds per call of fn()."""
    fn()  # warm-up
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - t0
        if el >= seconds and n >= 2:
            return el / n
