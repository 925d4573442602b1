/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DSP_RPEAKS_H
#define INCLUDED_TFMED_DSP_RPEAKS_H

#include <cstdint>
#include <vector>

/*!
 * \file
 * \brief R-peak detection equivalent to HeartPy 1.2 `process()`'s
 * `working_data['peaklist']`, which TSRNet's Peak-based Error uses
 * (MODELS.md 1.6). Torch-free.
 *
 * \details
 * 1. If the 0.1th percentile (linear interpolation) is negative, its absolute
 *    value is added to the signal.
 * 2. Rolling mean: a centred moving average of int(0.75 fs) samples with
 *    half-sample-symmetric ("reflect") edges (scipy uniform_filter1d).
 * 3. For each threshold ma_perc in {5, 10, ..., 300} %: threshold = rolling mean
 *    + mean(rolling mean) * ma_perc / 100; every run of samples above it gives
 *    one peak at its maximum (HeartPy's run boundaries, which put the last
 *    sample of a run into the next run's search, are reproduced); a first peak
 *    within 150 ms of the start is dropped; rrsd = std of the RR intervals (ms).
 * 4. The threshold with the smallest rrsd among those with rrsd > 0.1 ms and
 *    40 <= bpm <= 180 wins; none: no peaks (HeartPy's BadSignalWarning).
 */

namespace tfmed {
namespace dsp {

/*! \brief Detector settings; defaults are HeartPy's. */
struct RpeakOptions {
    double window_s = 0.75; //!< rolling-mean window, seconds
    double bpm_min = 40.0;
    double bpm_max = 180.0;
};

/*! \brief Detected peaks (sample indices, ascending) and what was chosen. */
struct Rpeaks {
    std::vector<int64_t> peaks; //!< empty when no threshold qualified
    double ma_perc = 0.0;       //!< chosen threshold, % of the mean rolling mean
    double rrsd_ms = 0.0;       //!< RR standard deviation at that threshold
    double bpm = 0.0;           //!< peaks per minute at that threshold
    bool ok() const { return !peaks.empty(); }
};

/*!
 * \brief Detect R peaks in one ECG lead sampled at `fs` Hz.
 * \throws std::invalid_argument when fs <= 0, when the rolling-mean window is
 *         shorter than one sample or when x holds NaN/Inf
 */
Rpeaks detect_rpeaks(const std::vector<double>& x, double fs, const RpeakOptions& opt = {});

/*! \brief Agreement between detected and reference beats. */
struct BeatMatch {
    int64_t true_positives = 0, false_positives = 0, false_negatives = 0;
    double sensitivity() const;           //!< TP / (TP + FN)
    double positive_predictivity() const; //!< TP / (TP + FP)
};

/*!
 * \brief Match detected peaks to reference beat samples one to one (nearest
 * first, within `tolerance` samples; both lists ascending).
 */
BeatMatch match_beats(const std::vector<int64_t>& detected,
                      const std::vector<int64_t>& reference, int64_t tolerance);

} // namespace dsp
} // namespace tfmed

#endif
