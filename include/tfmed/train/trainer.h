/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_TRAINER_H
#define INCLUDED_TFMED_TRAIN_TRAINER_H

#include <tfmed/train/events.h>
#include <tfmed/train/options.h>

#include <torch/nn/module.h>
#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

/*!
 * \file
 * \brief The one training loop of gr-tfmed: every model trains through it,
 * from `tfmed train` and from the `trainer_sink` block alike.
 *
 * \details
 * A model plugs in through Task (forward + loss on a batch, a validation
 * metric, its card). The loop owns everything else: seeded shuffling that is
 * the same on every platform, the optimiser (Adam / AdamW) and its schedule
 * (constant, cosine per epoch, step, ReduceLROnPlateau), gradient-norm
 * clipping, validation and model selection (best or last epoch; the
 * validation split, never the test split), early stopping, checkpoints
 * every N epochs or steps written atomically, a resume that continues bit for
 * bit, cancellation, and the progress event stream (events.h).
 *
 * Randomness: everything random in epoch e derives from (seed, e): the
 * shuffle, `torch::manual_seed` (dropout) and the task's std::mt19937_64.
 * A checkpoint taken inside an epoch stores both generators' states, so a
 * resumed run draws exactly what the uninterrupted run drew (on the CPU: a
 * CUDA run's dropout draws come from the CUDA generator, which is reseeded
 * per epoch but not saved inside one). Because torch's generator and the
 * intra-op thread count are process-wide, one run at a time per process: a
 * second concurrent run() is refused.
 */

namespace tfmed {
namespace train {

/*! \brief The model-specific part of training. */
class Task
{
public:
    virtual ~Task() = default;
    /*! The network being trained (its parameters are optimised). */
    virtual torch::nn::Module& module() = 0;
    /*! Training examples: the loop shuffles indices 0 .. train_size()-1. */
    virtual int64_t train_size() const = 0;
    /*! Forward + loss of the training examples `idx` (model in train mode);
     *  `rng` is the loop's seeded generator for the task's own draws. */
    virtual torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64& rng) = 0;
    /*! The validation metric of the current weights (model in eval mode).
     *  A long pass polls stopping() between batches and may return early
     *  (any value): the loop then discards it and validates again on resume. */
    virtual double validate() = 0;
    virtual std::string metric_name() const = 0;
    virtual bool lower_is_better() const { return true; }
    /*! The model card (JSON) for the current state; `training` is the loop's
     *  record (settings, history, best epoch) to embed. */
    virtual std::string card_json(const std::string& training_json) = 0;
    /*! Called after every optimiser step (e.g. an EMA target update). */
    virtual void after_step() {}
    /*! Examples each worker needs per step in data-parallel training (the
     *  global batch must hold this many per worker): 2 where BatchNorm
     *  trains on the shard. */
    virtual int64_t min_shard() const { return 1; }
    /*! The run's cancel flag, set by run() for validate() (null in
     *  data-parallel training, where the workers agree on a stop at a step). */
    void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }
    const std::atomic<bool>* stop_flag() const { return stop_; }
    /*! A cancel was requested: a validation pass may end early. */
    bool stopping() const { return stop_ && stop_->load(); }

private:
    const std::atomic<bool>* stop_ = nullptr;
};

/*! \brief What a run did. */
struct LoopResult {
    bool completed = false;    //!< all epochs (or early stop) done; false: stopped or cancelled
    bool cancelled = false;
    bool early_stopped = false;
    int epochs_done = 0;
    int best_epoch = 0;        //!< 1-based; 0 = none
    double best_metric = 0.0;
    int kept_epoch = 0;        //!< the epoch whose weights the module holds (select best/last)
    double kept_metric = 0.0;  //!< its validation metric (NaN if not finite)
    std::string history_json;  //!< [{epoch, lr, train_loss, <metric>, seconds}, ...]
    std::string training_json; //!< settings + history + selection, as embedded in cards
};

/*!
 * \brief The kept epoch in words for summaries: "best epoch 5 (val_mse
 * 0.12036)", or with select 'last' and another best epoch "epoch 8, the last
 * (val_mse 0.12362; best: epoch 5, 0.12036)".
 */
std::string selection_text(const LoopResult& r, const std::string& metric_name);

/*!
 * \brief This process's one training run at a time: runs seed torch's global
 * generator and set the intra-op threads, so two at once would change each
 * other's draws. run() takes it; the train_* entry points take it before
 * their own seeding and thread set-up and hold it across all their stages
 * (TRLS: pre-training, then the head), so a second run is refused before it
 * touches anything. Re-entrant on the thread that holds it.
 * \throws std::runtime_error when another thread holds it
 */
class RunLease
{
public:
    RunLease();
    ~RunLease();
    RunLease(const RunLease&) = delete;
    RunLease& operator=(const RunLease&) = delete;
};

/*!
 * \brief A fresh run (no resume) supersedes an old checkpoint at `checkpoint`
 * (it would be replaced after the first epoch anyway): removed now, so that
 * a cancelled run never leaves a stale one that looks like its own. Only
 * the writing rank removes it. Returns whether there was one, for
 * LoopOptions::superseded_checkpoint.
 */
bool start_fresh(const std::string& checkpoint);

/*!
 * \brief Run the loop on `task`. On completion the task's module holds the
 * selected weights (best or last). With `resume`, continues from
 * `opts.checkpoint` (its settings must match; the task's data too).
 * \param cancel polled between steps and, through Task::stopping(), by the
 *        validation pass; when set, returns after the last complete
 *        checkpoint is on disk (no partial file). Set during validation, the
 *        epoch's finished steps are kept: with a checkpoint path the loop
 *        writes one at the end of the epoch's steps, and a resume from it
 *        validates that epoch (the uninterrupted run, bit for bit).
 * \throws std::runtime_error on a diverging loss or a non-finite gradient
 *         (naming the epoch and step)
 */
LoopResult run(Task& task,
               const LoopOptions& opts,
               const torch::Device& device,
               bool resume,
               const EventSink& events,
               const std::atomic<bool>* cancel = nullptr);

} // namespace train
} // namespace tfmed

#endif
