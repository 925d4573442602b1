/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_METRICS_H
#define INCLUDED_TFMED_MODELS_METRICS_H

#include <cstdint>
#include <vector>

/*! \file \brief Detection and evaluation metrics (torch-free). */

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

/*
 * Evaluation metrics of the benchmarks (SpecAR-Net's tables, as computed by
 * Time-Series-Library with scikit-learn). Every function throws
 * std::invalid_argument, naming what it expected and what it found, for
 * inputs of different lengths, empty inputs, and labels out of range.
 * Counts are exact; ratios are computed in double.
 */

/*!
 * \brief Fraction of samples with pred[i] == truth[i] (sklearn's
 * accuracy_score). Any label values are allowed.
 */
double accuracy(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred);

/*!
 * \brief Macro-averaged F1 with sklearn's f1_score(average='macro',
 * labels=None) semantics: the unweighted mean of the per-class F1 over the
 * classes present in truth or in pred (the sorted union of their values; a
 * class absent from both is not counted). Per class: precision = tp/(tp+fp)
 * and recall = tp/(tp+fn), each 0 when its denominator is 0 (sklearn's
 * zero_division="warn", which gives 0), F1 = 2PR/(P+R), 0 when P+R == 0.
 * Any label values are allowed.
 */
double macro_f1(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred);

/*!
 * \brief Macro F1 over the classes 0..n_classes-1 (sklearn's
 * f1_score(average='macro', labels=range(n_classes))): every class counts,
 * and a class with no true and no predicted sample has F1 0, which lowers
 * the mean (sklearn 1.2's zero_division="warn" -> 0).
 * \throws std::invalid_argument for n_classes < 1 or a label outside [0, n_classes)
 */
double macro_f1(const std::vector<int64_t>& truth,
                const std::vector<int64_t>& pred,
                int64_t n_classes);

/*!
 * \brief A classifier's macro F1, as TRLS and SpecAR-Net report it: labels
 * checked against [0, n_classes), the mean over the classes present in truth
 * or prediction (sklearn's labels=None, TS-TCC's classification_report), so
 * that a class a small or thinned test part lacks does not count as F1 0.
 * \throws std::invalid_argument for n_classes < 1 or a label outside [0, n_classes)
 */
double classifier_macro_f1(const std::vector<int64_t>& truth,
                           const std::vector<int64_t>& pred,
                           int64_t n_classes);

/*! \brief Binary detection scores, positive class 1. */
struct BinaryScores {
    double precision, recall, f1, accuracy;
    int64_t tp, fp, fn, tn;
};

/*!
 * \brief sklearn's precision_recall_fscore_support(truth, pred,
 * average='binary') (pos_label 1) and accuracy_score(truth, pred), the scores
 * Time-Series-Library reports for anomaly detection. Zero division gives 0:
 * precision 0 when nothing is predicted positive, recall 0 when nothing is
 * truly positive, F1 0 when precision + recall is 0.
 * \throws std::invalid_argument for labels other than 0/1
 */
BinaryScores binary_scores(const std::vector<int>& truth, const std::vector<int>& pred);

/*!
 * \brief Point adjustment as Time-Series-Library's adjustment(gt, pred)
 * (utils/tools.py), applied before binary_scores in its anomaly-detection
 * evaluation: scanning left to right, the first detected point of a true
 * anomaly segment (a maximal run of truth == 1) marks the segment detected,
 * and pred is set to 1 backwards and forwards over that segment; segments
 * without a detected point are left as they are, and pred is unchanged
 * where truth == 0. Kept quirk of the reference: its backward fill stops at
 * index 1 (range(i, 0, -1)), so in a segment that starts at index 0 and is
 * first detected at a later index, pred[0] stays 0.
 * \return the adjusted pred
 * \throws std::invalid_argument for labels other than 0/1
 */
std::vector<int> point_adjust(const std::vector<int>& truth,
                              const std::vector<int>& pred);

/*! \brief Mean squared error over all points (sklearn's mean_squared_error),
 *  accumulated in double. \throws std::invalid_argument also for NaN/inf */
double mse(const std::vector<float>& pred, const std::vector<float>& truth);
/*! \brief Mean absolute error over all points (sklearn's mean_absolute_error). */
double mae(const std::vector<float>& pred, const std::vector<float>& truth);

/*!
 * \brief MSE over the points with evaluate[i] == 1 only. Convention:
 * evaluate is 1 where a point counts, 0 where it does not. For
 * Time-Series-Library's imputation score, which counts the masked (missing,
 * mask == 0) points, pass evaluate[i] = (mask[i] == 0). Points not counted
 * may hold anything (NaN included).
 * \throws std::invalid_argument for evaluate values other than 0/1, no
 *         counted point, or NaN/inf at a counted point
 */
double masked_mse(const std::vector<float>& pred,
                  const std::vector<float>& truth,
                  const std::vector<uint8_t>& evaluate);
/*! \brief MAE over the points with evaluate[i] == 1 (see masked_mse). */
double masked_mae(const std::vector<float>& pred,
                  const std::vector<float>& truth,
                  const std::vector<uint8_t>& evaluate);

/*!
 * \brief Confusion matrix C[t][p] = number of samples of true class t
 * predicted as p, t, p in 0..n_classes-1 (sklearn's
 * confusion_matrix(truth, pred, labels=range(n_classes))).
 * \throws std::invalid_argument for n_classes < 1 or a label outside [0, n_classes)
 */
std::vector<std::vector<int64_t>> confusion_matrix(const std::vector<int64_t>& truth,
                                                   const std::vector<int64_t>& pred,
                                                   int64_t n_classes);

} // namespace models
} // namespace tfmed

#endif
