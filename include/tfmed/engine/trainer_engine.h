/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_ENGINE_TRAINER_ENGINE_H
#define INCLUDED_TFMED_ENGINE_TRAINER_ENGINE_H

#include <tfmed/train/events.h>
#include <tfmed/train/tsrnet_config.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Torch-free front of the training core for the trainer_sink block:
 * gather labelled windows from plain buffers, then train on a worker thread
 * through the same train_tsrnet() that `tfmed train tsrnet` runs, with the
 * progress events queued for the block to publish.
 */

namespace tfmed {
namespace engine {

/*! \brief What to train, from the block's parameters. */
struct TrainerConfig {
    //! model kind: tsrnet, specar (anomaly detection), trls (from windows) or
    //! trls_views (TRLS from two views per window made in the flowgraph:
    //! add_window() then takes view 1's frames_per_window() frames of
    //! frame_floats() values, then view 2's)
    std::string model = "tsrnet";
    std::string out;              //!< model file; the checkpoint is OUT.ckpt
    int64_t channels = 1;         //!< channels per sample
    double sample_rate = 500.0;   //!< Hz of the windows
    int64_t window = 5000;        //!< samples per window
    int64_t max_windows = 20000;  //!< windows held in memory at most
    std::string device = "auto";
    int threads = 0;
    /*! Training settings as JSON (keys: epochs, batch, lr, weight_decay,
     *  optimizer, schedule, clip_grad, select, patience, checkpoint_every,
     *  seed, val_fraction, test_fraction, max_train_windows, width, d_model,
     *  heads, score, quantile; drop_invalid, labels and classes for every
     *  model: the last two the block's, see label_mode()); unknown keys,
     *  values of the wrong type (true for an integer, 2.9 for epochs, -1 for
     *  a seed) and values out of range are refused at construction. */
    std::string options_json = "{}";
};

/*!
 * \brief The model's run settings from a TrainerConfig (what the engine
 * trains with). \throws std::invalid_argument naming a bad or unknown key
 */
train::TsrnetTrainConfig tsrnet_config(const TrainerConfig& c);

/*! \brief What a finished run left. */
struct TrainerResult {
    bool completed = false;
    std::string model_path; //!< "" unless completed
    std::string summary;
};

/*! \brief Gathers windows, then trains on its own thread. */
class TrainerEngine
{
public:
    /*! \throws std::invalid_argument when the model kind, rate or window
     *  does not fit the model, or an option is bad */
    explicit TrainerEngine(const TrainerConfig& config);
    ~TrainerEngine(); //!< cancels and joins a running training
    TrainerEngine(const TrainerEngine&) = delete;
    TrainerEngine& operator=(const TrainerEngine&) = delete;

    /*! \brief Add one window: `window` samples x `channels`, time-major.
     *  label 0 = normal, anything else abnormal. A window with NaN/Inf
     *  samples is refused, as `tfmed train` refuses it, or left out and
     *  counted with the option `"drop_invalid": true`.
     *  \throws std::length_error past max_windows, std::invalid_argument
     *  for a NaN/Inf window without drop_invalid */
    void add_window(const float* samples, int label);
    int64_t windows() const;
    /*! \brief The windows left out for NaN/Inf samples (drop_invalid), as
     *  one line naming the first of them ("" when none). */
    std::string dropped() const;
    /*! \brief trls_views: values per frame (bins x channels) and frames per
     *  window (the model's STFT of `window` samples); 0 for other models. */
    int64_t frame_floats() const;
    int64_t frames_per_window() const;
    int64_t normal_windows() const;
    /*! \brief Option `labels`: how the block turns `tfmed_label` tags into
     *  window labels: "events" (a tag marks one sample: a window takes the
     *  largest label on its samples, as annotation_labeler's beats), "held"
     *  (a tag holds until the next: a window takes the largest label in
     *  force on its samples, as a table_source label column), or "auto"
     *  (the default: held when the first tag is text, as table_source's are,
     *  else events). */
    const std::string& label_mode() const;
    /*! \brief Option `classes`: text labels in index order (the first is
     *  class 0, normal for the anomaly models); empty when not given. */
    const std::vector<std::string>& class_names() const;

    /*! \brief Start training on the gathered windows (worker thread). */
    void start();
    bool started() const;
    /*! \brief True once the worker has ended (completed, failed or cancelled). */
    bool done() const;
    /*! \brief Wait up to `ms` for new events or the end; returns the queued events. */
    std::vector<train::Event> wait_events(int ms);
    /*! \brief Ask the worker to stop after the current step, and join it. */
    void cancel();
    /*! \brief The worker's error ("" when none). */
    std::string error() const;
    /*! \brief The run's result (valid once done()). */
    TrainerResult result() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d_;
};

} // namespace engine
} // namespace tfmed

#endif
