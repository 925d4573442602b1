/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DATA_WINDOWS_H
#define INCLUDED_TFMED_DATA_WINDOWS_H

#include <tfmed/io/recording.h>

#include <torch/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

/*!
 * \file
 * \brief From recordings to training tensors: resampling, windowing with
 * labels from annotations, per-record splits and k-fold, all seeded.
 */

namespace tfmed {
namespace data {

/*!
 * \brief Resample a recording to `rate` Hz (band-limited, per channel).
 *
 * \details Polyphase FIR resampling by the rational factor closest to
 * rate / recording rate (denominator <= 1000), with a Kaiser-windowed sinc
 * low-pass (cut-off at the lower Nyquist frequency, 10 zero crossings each
 * side, beta 5), zero-phase: sample 0 stays at time 0. Annotation samples are
 * mapped to the nearest output sample. NaN samples spread over the filter's
 * span. Throws std::invalid_argument for rate <= 0.
 */
io::Recording resample(const io::Recording& r, double rate);

/*!
 * \brief Samples [first, first + count) of `r` resampled to `rate` Hz
 * (count -1: to the end; a count past the end stops there), the output's
 * sample 0 at input sample `first`: the same values as those samples of
 * resample() of the whole recording when `first` is a multiple of the
 * factor's denominator, and in every case no edge at the span's ends (the
 * filter reads the recording on either side). Annotations inside the span,
 * re-based. A rate equal to the recording's gives the slice.
 * \throws std::invalid_argument for rate <= 0 or first outside [0, n_samples]
 */
io::Recording resample_span(const io::Recording& r, double rate, int64_t first, int64_t count);

/*! \brief How to cut windows and label them. */
struct WindowOptions {
    int64_t length = 0; //!< samples per window (> 0)
    int64_t hop = 0;    //!< samples between window starts (> 0; 0 means length)
    /*! Beat symbols that count as normal. A window is abnormal (label 1) when
     *  it contains a beat annotation whose symbol is not in this set. */
    std::set<std::string> normal = { "N" };
    /*! Drop windows holding NaN samples (gaps, invalid samples). */
    bool drop_invalid = true;
};

/*! \brief Windows cut from one or more recordings. */
struct Windows {
    torch::Tensor x;              //!< (N, channels, length) float32
    torch::Tensor label;          //!< (N) int64: 0 normal, 1 abnormal
    std::vector<int64_t> start;   //!< first sample of each window in its recording
    std::vector<int> record;      //!< index of the recording each window came from
    std::vector<int> beats;       //!< beat annotations inside each window
};

/*!
 * \brief Cut `r` into windows of `opt.length` samples every `opt.hop`.
 * \param record_index stored in Windows::record for every window
 * \throws std::invalid_argument for a non-positive length or hop
 */
Windows make_windows(const io::Recording& r, const WindowOptions& opt, int record_index = 0);

/*! \brief Concatenate windows from several recordings (same channels/length). */
Windows concat(const std::vector<Windows>& parts);

/*! \brief Keep the windows at `index` (in that order). */
Windows select(const Windows& w, const std::vector<int64_t>& index);

/*! \brief A split of record indices: no record is in two parts. */
struct Split {
    std::vector<int> train, val, test;
};

/*!
 * \brief Shuffle `n_records` record indices with `seed` and split them by
 * fraction (test first, then validation, the rest train). Deterministic on
 * every platform (own Fisher-Yates over std::mt19937_64). Throws
 * std::invalid_argument when the fractions are outside [0, 1) or sum to >= 1.
 */
Split split_records(int n_records, double val_fraction, double test_fraction, uint64_t seed);

/*! \brief k folds over `n` items (records): fold i tests the i-th of k
 *  near-equal shuffled parts and trains on the rest. */
std::vector<Split> kfold(int n, int k, uint64_t seed);

/*! \brief The seeded permutation of 0..n-1 that split_records and kfold use. */
std::vector<int> permutation(int n, uint64_t seed);

} // namespace data
} // namespace tfmed

#endif
