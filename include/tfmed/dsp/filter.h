/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DSP_FILTER_H
#define INCLUDED_TFMED_DSP_FILTER_H

#include <array>
#include <cstddef>
#include <vector>

/*!
 * \file
 * \brief Second-order IIR sections and zero-phase filtering, numerically the
 * same as SciPy's `butter`, `iirnotch` and `filtfilt` (torch-free).
 *
 * \details
 * TSRNet's preprocessing (MODELS.md 1.1) runs HeartPy's `filter_signal`,
 * i.e. `scipy.signal.filtfilt(b, a, x)` with default arguments (odd extension
 * of 3 * max(len(a), len(b)) samples at each end, initial conditions from
 * `lfilter_zi` scaled by the first sample of each pass). tests/golden/
 * gen_filter_golden.py checks these functions against SciPy.
 */

namespace tfmed {
namespace dsp {

/*! \brief One second-order section: b0..b2 over a0..a2 (a0 = 1). */
struct Biquad {
    std::array<double, 3> b{ 1.0, 0.0, 0.0 };
    std::array<double, 3> a{ 1.0, 0.0, 0.0 };
};

/*!
 * \brief Order-2 Butterworth low- or high-pass, `scipy.signal.butter(2,
 * cutoff / (fs / 2), btype)` (bilinear transform with pre-warping).
 * \throws std::invalid_argument unless 0 < cutoff_hz < fs / 2
 */
Biquad butter2(double cutoff_hz, double fs, bool highpass);

/*!
 * \brief `scipy.signal.iirnotch(w0, Q, fs)`, formula for formula. TSRNet's
 * 35 Hz, Q = 0.005 (a -3 dB width of 7000 Hz) is the identity at 500 Hz
 * only because tan(pi 7000 / fs) = 0 there (and at 250, 1000 Hz...); at
 * other rates it low-passes, cancels or diverges (TsrnetPrep::validate
 * refuses those). Reproduced literally, as MODELS.md asks.
 * \throws std::invalid_argument unless 0 < w0_hz < fs / 2 and q > 0
 */
Biquad iirnotch(double w0_hz, double q, double fs);

/*! \brief Direct-form-II-transposed filtering from state `zi` (updated). */
void lfilter(const Biquad& f, const double* x, double* y, std::size_t n,
             std::array<double, 2>& zi);

/*! \brief `scipy.signal.lfilter_zi`: the steady state for a unit step. */
std::array<double, 2> lfilter_zi(const Biquad& f);

/*!
 * \brief `scipy.signal.filtfilt(b, a, x)` with SciPy's defaults (odd
 * padding of 9 samples per end for a biquad).
 * \throws std::invalid_argument when x has 9 samples or fewer (SciPy's
 *         "The length of the input vector x must be greater than padlen")
 */
std::vector<double> filtfilt(const Biquad& f, const std::vector<double>& x);

} // namespace dsp
} // namespace tfmed

#endif
