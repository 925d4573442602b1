/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_METRICS_H
#define INCLUDED_TFMED_MODELS_METRICS_H

#include <cstdint>
#include <vector>

/*! \file \brief Detection metrics (torch-free). */

namespace tfmed {
namespace models {

/*!
 * \brief Area under the ROC curve, positives = label 1 (sklearn's
 * roc_auc_score: ties count one half). NaN scores are not allowed.
 * \throws std::invalid_argument for mismatched sizes, NaN scores, labels other
 *         than 0/1, or a single class
 */
double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels);

/*! \brief ROC points (false-positive rate, true-positive rate), from (0,0) to
 *  (1,1), one point per distinct threshold. */
struct Roc {
    std::vector<double> fpr, tpr, threshold;
};
Roc roc_curve(const std::vector<double>& scores, const std::vector<int>& labels);

} // namespace models
} // namespace tfmed

#endif
