/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The benchmarks' one timer (internal).
 */
#ifndef INCLUDED_TFMED_LIB_EVAL_TIMING_H
#define INCLUDED_TFMED_LIB_EVAL_TIMING_H

#include <chrono>
#include <functional>

namespace tfmed {
namespace eval {

/*! Seconds per call of `fn`: one warm-up call, then repeated for at least
 *  `seconds` and at least twice. `sync` (a GPU run's: wait for the queued
 *  kernels) follows every call, so the time is the work's, not its launch's. */
inline double timed(const std::function<void()>& fn, double seconds,
                    const std::function<void()>& sync = {})
{
    fn(); // warm-up
    if (sync)
        sync();
    int n = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        fn();
        if (sync)
            sync();
        ++n;
        const double el =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (el >= seconds && n >= 2)
            return el / n;
    }
}

} // namespace eval
} // namespace tfmed

#endif
