/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_EVAL_SPECAR_EVAL_H
#define INCLUDED_TFMED_EVAL_SPECAR_EVAL_H

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief SpecAR-Net anomaly detection on MSL, with the protocol stated.
 *
 * \details Test windows of seq_len rows at stride seq_len (every point
 * scored once; no concatenation of overlapping windows, TSLib #561); energy
 * per point = mean over channels of (x - x^)^2. Two thresholds:
 * - **clean**: the card's, from training energies only (streaming-safe);
 * - **reference**: the published scripts' percentile over the training and
 *   test energies together (uses the test data; reported for comparison).
 * F1 without and with point adjustment (TSLib's `adjustment`, which uses the
 * ground truth to expand detections).
 */

namespace tfmed {
namespace eval {

struct SpecarEvalConfig {
    std::string model, data_dir, device = "auto";
    int threads = 0;
    int64_t batch = 32;
};

struct DetectionScores {
    std::string threshold_from; //!< "train" or "train+test"
    double threshold = 0.0;
    double precision = 0.0, recall = 0.0, f1 = 0.0;          //!< raw predictions
    double pa_precision = 0.0, pa_recall = 0.0, pa_f1 = 0.0; //!< point-adjusted
};

struct SpecarEvalResult {
    std::string model, protocol;
    int64_t test_points = 0, anomalous_points = 0, unscored_tail = 0;
    std::vector<DetectionScores> scores; //!< clean, reference
    std::vector<float> energy;           //!< per scored test point
    std::vector<int> label;              //!< per scored test point
    std::string json() const;
};

SpecarEvalResult evaluate_specar(const SpecarEvalConfig& cfg);

} // namespace eval
} // namespace tfmed

#endif
