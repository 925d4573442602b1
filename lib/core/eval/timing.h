/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The benchmarks' one timer (internal).
 */
#ifndef INCLUDED_TFMED_LIB_EVAL_TIMING_H
#define INCLUDED_TFMED_LIB_EVAL_TIMING_H

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace tfmed {
namespace eval {

/*! Seconds per call of `fn`: one warm-up call, then repeated for at least
 *  `seconds` and at least 3 times; the median call (a call slowed by
 *  another process, or a page-fault burst, moves it less than the mean).
 *  `sync` (a GPU run's: wait for the queued kernels) follows every call, so
 *  the time is the work's, not its launch's. tests/reference/twin_timing.py
 *  times the Python twins the same way. */
inline double timed(const std::function<void()>& fn, double seconds,
                    const std::function<void()>& sync = {})
{
    fn(); // warm-up
    if (sync)
        sync();
    std::vector<double> calls;
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        const auto c0 = std::chrono::steady_clock::now();
        fn();
        if (sync)
            sync();
        const auto c1 = std::chrono::steady_clock::now();
        calls.push_back(std::chrono::duration<double>(c1 - c0).count());
        if (std::chrono::duration<double>(c1 - t0).count() >= seconds && calls.size() >= 3)
            break;
    }
    std::sort(calls.begin(), calls.end());
    const std::size_t n = calls.size();
    return n % 2 ? calls[n / 2] : 0.5 * (calls[n / 2 - 1] + calls[n / 2]);
}

} // namespace eval
} // namespace tfmed

#endif
