#
# Copyright 2026 gr-tfmed authors.
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""How every bench twin times a step: as the C++ benches do (lib/core/eval/timing.h:
one warm-up call, then repeats until `seconds` have passed and at least three calls
were made; the median call)."""
import statistics
import time


def timed(fn, seconds):
    """Seconds per call of fn(): the median of the timed calls."""
    fn()  # warm-up
    calls, t0 = [], time.perf_counter()
    while True:
        c0 = time.perf_counter()
        fn()
        c1 = time.perf_counter()
        calls.append(c1 - c0)
        if c1 - t0 >= seconds and len(calls) >= 3:
            return statistics.median(calls)
