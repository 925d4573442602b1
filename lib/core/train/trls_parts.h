/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal: the TRLS pieces the trainer (trls_trainer.cc) and the
 * evaluation (trls_eval.cc) share, defined in trls_parts.cc (fit in
 * trls_trainer.cc).
 */
#ifndef INCLUDED_TFMED_TRAIN_TRLS_PARTS_H
#define INCLUDED_TFMED_TRAIN_TRLS_PARTS_H

#include <tfmed/models/trls.h>
#include <tfmed/models/trls_card.h>
#include <tfmed/train/trainer.h>
#include <tfmed/train/trls_trainer.h>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <atomic>
#include <string>
#include <vector>

namespace tfmed {
namespace train {
namespace trls {

struct Labelled {
    torch::Tensor x; // (N, C, L) float
    torch::Tensor y; // (N) long
    std::vector<std::string> class_names, channel_names;
    double sample_rate = 0.0;
    std::string description;
    // Per window, the recording it was cut from; empty when the data do not say.
    std::vector<std::string> recordings;
};

struct Parts {
    std::vector<int64_t> train, val, test;
    std::string name;
};

// Everything one split needs: data, images, the card's fixed part.
struct Run {
    const TrlsTrainConfig& cfg;
    const Labelled& d;
    Parts parts;
    models::TrlsCard card;
    torch::Tensor imgs;
    torch::Device dev;
    const EventSink& events;
    const std::atomic<bool>* cancel;
    // Views made outside (a flowgraph's spec_augment): when defined, imgs is
    // view 1 and views2 view 2 of each window, used as they are.
    torch::Tensor views2 = {};
};

struct HeadResult {
    TrlsScores val, test;
    std::vector<int64_t> test_pred;
    bool completed = false;
    int64_t train_windows = 0;             //!< the labelled windows it was fitted on
    models::TrlsClassifier net{ nullptr }; //!< the fine-tuned network (tune())
};

Labelled load(const TrlsTrainConfig& cfg);

// The loop's validation metric at its last epoch (the weights kept by
// selection "last"); NaN when the history is empty.
double last_metric(const LoopResult& res);
// The metric of the weights the loop kept: the best epoch's under selection
// "best", else the last epoch's.
double kept_metric(const LoopResult& res, const std::string& select);

// TS-TCC: 20 % test, then 20 % of the rest validation; or fold k of `folds`.
// `how`: "windows" (one by one, TS-TCC), "stratified" (class by class) or
// "recording" (whole recordings, class by class; needs d.recordings).
Parts split(const Labelled& d, int folds, int k, uint64_t seed, const std::string& how);

torch::Tensor take(const torch::Tensor& t, const std::vector<int64_t>& idx);

std::vector<int64_t> to_vec(const torch::Tensor& t);

// The card's scaling for this split, fitted per the configuration.
void fit_scaling(models::TrlsCard& card, const Labelled& d, const Parts& p,
                 const std::string& how);

torch::Tensor images_of(const models::TrlsCard& card, const torch::Tensor& x);

TrlsScores scores(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred,
                  int64_t classes);

nlohmann::json scores_json(const TrlsScores& s);

// Embeddings of every window by the frozen encoder (eval mode).
torch::Tensor embed_all(models::Tfrnn& enc, const torch::Tensor& imgs, torch::Device dev);

Run prepare(const TrlsTrainConfig& cfg, const Labelled& d, Parts p, torch::Device dev,
            const EventSink& events, const std::atomic<bool>* cancel);

// Pre-train; returns the online encoder (nullptr when cancelled).
models::Tfrnn pretrain(Run& r, const std::string& checkpoint, bool resume, LoopResult* lr);

// Linear evaluation: a Linear head on frozen representations.
HeadResult linear_head(Run& r, models::TrlsClassifier& clf, const torch::Tensor& test_imgs);

// A classifier for `arch` whose encoder starts from `enc` (parameters and
// buffers; a random start when `enc` is null).
models::TrlsClassifier classifier_from(const models::Tfrnn& enc, const models::TrlsOptions& arch);

// The run's classifier: its card's architecture with one output per class of
// its data, the encoder from `enc` (random when null), on the run's device.
models::TrlsClassifier classifier_for(const Run& r, const models::Tfrnn& enc);

// Fine-tuning (encoder from `init`) or the supervised baseline (init null)
// on `percent` of the training part (class-proportional, seeded).
HeadResult tune(Run& r, const models::Tfrnn& init, double percent);

double mean_of(const std::vector<double>& v);

double std_of(const std::vector<double>& v);
/*! A flowgraph's labels (negative ones as 0) as dense class indices: the
 *  labels present, in order, become 0..K-1; returns their names (the labels
 *  as text, or names[label] where given). {1, 5} -> indices {0, 1}, names
 *  {"1", "5"}. */
std::vector<std::string> dense_labels(const std::vector<int>& labels, torch::Tensor& y,
                                      const std::vector<std::string>& names = {});

torch::Device device_of(const TrlsTrainConfig& cfg);

/*! Pre-train, then (with_head) the linear head or fine-tuning; writes the model. */
TrlsTrainResult fit(const TrlsTrainConfig& cfg, const Labelled& d, bool with_head,
                    const EventSink& events, const std::atomic<bool>* cancel);

} // namespace trls
} // namespace train
} // namespace tfmed

#endif
