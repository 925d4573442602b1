/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DATA_WINDOW_SET_H
#define INCLUDED_TFMED_DATA_WINDOW_SET_H

#include <tfmed/data/window_spec.h>

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Labelled windows in memory, from a named set, a WFDB record, a
 * `.npy` / `.csv` window table, or a flowgraph (the trainer_sink), at a
 * model's rate and window length; and the anomaly-detection split (train on
 * normal windows only). What `tfmed train`, `tfmed eval` and the trainer_sink
 * share.
 */

namespace tfmed {
namespace data {

/*! \brief Labelled windows. */
struct WindowSet {
    torch::Tensor x;                        //!< (N, channels, window) float32 at the model rate
    std::vector<int> label;                 //!< 0 normal, 1 abnormal
    std::vector<std::string> cls;           //!< class per window ("N", "V", ..., "abnormal")
    std::vector<std::string> ids;           //!< where each window came from
    std::vector<std::string> channel_names;
    std::vector<std::string> dropped;       //!< ids of windows dropped for NaN/Inf (drop_invalid)
    std::string spec_json = "{}";           //!< how to load it again (goes into the card)
};

/*!
 * \brief Load windows of `window` samples at `rate` Hz (resampled with
 * data::resample when the source rate differs; longer rows are cut to
 * `window`).
 * \throws std::invalid_argument naming what was expected and found
 */
WindowSet load_window_set(const WindowSetSpec& spec, double rate, int64_t window);

/*! \brief Indices into a WindowSet. */
struct SplitIndex {
    std::vector<int64_t> train, val, test;
};

/*!
 * \brief The anomaly-detection split: the normal windows are shuffled with
 * `spec.seed` and split test / validation / train by fraction
 * (data::split_records); every abnormal window goes to test. Training never
 * sees an abnormal window and model selection uses the validation normals.
 * `spec.max_windows` caps the training part.
 */
SplitIndex split_normal_only(const WindowSet& set, const WindowSetSpec& spec);

/*! \brief $TFMED_DATA_DIR, or ../shared/data. */
std::string default_data_dir();

} // namespace data
} // namespace tfmed

#endif
