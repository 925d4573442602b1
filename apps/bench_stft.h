/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_BENCH_STFT_H
#define INCLUDED_TFMED_APPS_BENCH_STFT_H

#include <vector>

namespace tfmed {
namespace apps {

struct StftCase {
    int n_fft;
    int hop;
};

/*! Input samples per second; 0 where a measurement is not available. */
struct StftBenchRow {
    StftCase c;
    double core = 0, fftw = 0, block = 0, gnuradio = 0;
};

/*! Measure every case for about `seconds` per measurement (single channel,
 *  Hann, scipy convention, magnitude output). */
std::vector<StftBenchRow> bench_stft(const std::vector<StftCase>& cases,
                                     double seconds,
                                     bool with_graphs);

} // namespace apps
} // namespace tfmed

#endif
