/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_EVAL_TSRNET_EVAL_H
#define INCLUDED_TFMED_EVAL_TSRNET_EVAL_H

#include <tfmed/data/window_spec.h>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

/*!
 * \file
 * \brief TSRNet evaluation (ROC-AUC of the plain and Peak-based scores on a
 * split, per abnormal class, alarm behaviour at the card's threshold) and its
 * benchmark, as library code: `tfmed eval / bench tsrnet` only parse and print.
 */

namespace tfmed {
namespace eval {

struct TsrnetEvalConfig {
    std::string model;
    data::WindowSetSpec data; //!< used when data_given; otherwise the card's
    bool data_given = false;
    std::string split = "test"; //!< test or all (val: refused, normal windows only)
    bool literal_test_prep = false; //!< the reference's unnormalised test windows
    std::string device = "auto";
    int threads = 0;
    int64_t batch = 32;
    /*! Alarm threshold; NaN = the card's. A card without one is refused
     *  unless this is given. */
    double threshold = std::numeric_limits<double>::quiet_NaN();
};

/*! \brief One score kind's ROC. */
struct ScoreRoc {
    std::string kind;       //!< "plain" or "peak"
    double auc = 0.0;       //!< NaN when it cannot be computed (one class)
    std::string auc_error;  //!< why not
    int64_t windows = 0;    //!< scored windows
    int64_t flagged = 0;    //!< windows that could not be scored
    std::map<std::string, double> by_class; //!< N vs each abnormal class
    std::vector<double> fpr, tpr;
};

struct TsrnetEvalResult {
    std::string model, data, split;
    bool test_normalized = true;
    int64_t windows = 0;
    std::map<std::string, int64_t> classes;
    std::vector<ScoreRoc> scores; //!< plain, peak
    bool at_threshold = false;    //!< the card has a threshold
    double threshold = 0.0, tpr = 0.0, fpr = 0.0;
    bool threshold_given = false; //!< from --threshold, not the card
    std::string score_kind;       //!< the card's score
    std::string note;             //!< e.g. which split of a given data set
    std::string json() const;
};

/*! \throws std::invalid_argument / std::runtime_error naming the problem */
TsrnetEvalResult evaluate_tsrnet(const TsrnetEvalConfig& cfg);

struct TsrnetBenchConfig {
    std::string model; //!< empty: a fresh network of the sizes below
    int64_t leads = 12, width = 32, d_model = 50;
    std::string device = "auto";
    int threads = 0;
    double seconds = 3.0;
    std::vector<int64_t> batches{ 1, 32 }; //!< scoring batch sizes (windows)
    int64_t train_batch = 32;
};

struct TsrnetBenchResult {
    std::string header;      //!< what was measured, on what
    double window_s = 10.0;  //!< seconds of signal per window
    std::vector<int64_t> batches;
    std::vector<double> windows_per_s; //!< scoring (`passes` masked passes), per batch
    int64_t passes = 3;                //!< masked forward passes per scored window (the card's)
    double preprocess_s = 0.0, train_step_s = 0.0;
    int64_t parameters = 0;
    int64_t leads = 0, width = 0, d_model = 0;
    int threads = 0; //!< intra-op threads used
    double score_gflop = 0.0; //!< per window: three forward passes
    std::string device;       //!< the device the network ran on ("cpu", "cuda:0")
    std::string json() const;
};

TsrnetBenchResult bench_tsrnet(const TsrnetBenchConfig& cfg);

} // namespace eval
} // namespace tfmed

#endif
