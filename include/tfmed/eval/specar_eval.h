/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_EVAL_SPECAR_EVAL_H
#define INCLUDED_TFMED_EVAL_SPECAR_EVAL_H

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

/*!
 * \file
 * \brief SpecAR-Net on its test split, per task, with the protocol stated.
 *
 * - **anomaly** (MSL): test windows of seq_len rows at stride seq_len (every
 *   point scored once; no concatenation of overlapping windows, TSLib #561);
 *   energy per point = mean over channels of (x - x^)^2. Two thresholds:
 *   the card's, from training energies only (clean, streaming-safe), and
 *   the published scripts' percentile over training and test energies
 *   together (reference; uses the test data). F1 without and with point
 *   adjustment (TSLib's `adjustment`, which uses the ground truth).
 * - **classify** (UEA): accuracy, macro-F1 and the confusion matrix on the
 *   TEST file (the card's data record says which protocol chose the epoch).
 * - **forecast** (ETT): MSE / MAE over every horizon point of the test
 *   windows at stride 1 (the reference), in standardised units.
 * - **impute** (ETT): MSE / MAE over the hidden points of the test windows,
 *   points hidden i.i.d. at the mask rate with a fixed seed.
 */

namespace tfmed {
namespace eval {

struct SpecarEvalConfig {
    std::string model, data_dir, device = "auto";
    int threads = 0;
    int64_t batch = 32;
    int64_t stride = 0;       //!< test windows' stride; 0 = the protocol's (ETT: 1, MSL: seq_len)
    int64_t max_windows = 0;  //!< > 0: at most this many test windows, evenly spread
    double mask_rate = 0.0;   //!< imputation; 0 = the card's training rate
    uint64_t seed = 2021;     //!< imputation masks
    std::string plot;         //!< PNG path ("" = none)
};

struct DetectionScores {
    std::string threshold_from; //!< "train" or "train+test"
    double threshold = 0.0;
    double precision = 0.0, recall = 0.0, f1 = 0.0;          //!< raw predictions
    double pa_precision = 0.0, pa_recall = 0.0, pa_f1 = 0.0; //!< point-adjusted
};

struct SpecarEvalResult {
    std::string model, task, data, protocol;
    int64_t windows = 0;
    // anomaly detection
    int64_t test_points = 0, anomalous_points = 0, unscored_tail = 0;
    std::vector<DetectionScores> scores; //!< clean, reference
    std::vector<float> energy;           //!< per scored test point
    std::vector<int> label;              //!< per scored test point
    // classification
    double accuracy = 0.0, macro_f1 = 0.0;
    /*! A card standardised per file (the reference): the accuracy with the
     *  training statistics, as the `specar` block standardises a live
     *  window (NaN when the card used the training statistics anyway). */
    double accuracy_train_stats = std::numeric_limits<double>::quiet_NaN();
    std::vector<std::vector<int64_t>> confusion; //!< [truth][predicted]
    std::vector<std::string> class_names;
    // forecasting / imputation
    double mse = 0.0, mae = 0.0, mask_rate = 0.0;
    int64_t points = 0;
    /*! One test window's last channel, for the figure: forecast = input then
     *  truth / prediction over the horizon; imputation = truth, the filled
     *  window and which points were hidden. */
    std::string example_channel;
    std::vector<float> example_input, example_truth, example_output;
    std::vector<uint8_t> example_hidden;
    std::string json() const;
};

/*! \throws std::invalid_argument / std::runtime_error naming what is wrong */
SpecarEvalResult evaluate_specar(const SpecarEvalConfig& cfg);

} // namespace eval
} // namespace tfmed

#endif
