/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal: the training loop's run (trainer.cc: the epochs, steps,
 * selection; loop_checkpoint.cc: the world's checks, checkpoints and the
 * resume). What it records lives in loop_state.h.
 */
#ifndef INCLUDED_TFMED_TRAIN_LOOP_H
#define INCLUDED_TFMED_TRAIN_LOOP_H

#include <tfmed/train/trainer.h>

#include "loop_state.h"

#include <nlohmann/json.hpp>
#include <torch/optim/optimizer.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace tfmed {
namespace train {
namespace loop {

// One run of the loop: the task, the settings and where the run stands.
// run() (trainer.cc) is its sequence: the world's checks, the resume, then epochs
// of steps, validation, selection and checkpoints.
struct Loop {
    Task& task;
    const LoopOptions& o;
    const torch::Device& device;
    const bool resume;
    const EventSink& events;
    const std::atomic<bool>* const cancel;
    torch::nn::Module& net;
    const int64_t N;     // training examples
    const int64_t steps; // per epoch
    const bool lower;    // the metric: lower is better
    const json settings;
    std::unique_ptr<torch::optim::Optimizer> opt;
    // Data parallel (distributed.h): W ranks share every global batch.
    const bool dp;
    const int W, R;

    State st;
    std::string changed; // settings changed by this resume ("" = none)
    // (st.pending_change carries them into the history of the next epoch to
    // end, through mid-epoch checkpoints and further resumes)
    std::string best_weights;
    std::string torch_rng;
    std::string checkpoint_digest; // weights and optimizer state of the checkpoint read
    LoopResult res;
    std::string last_checkpoint;
    std::chrono::steady_clock::time_point t0;
    int start_epoch = 0;
    int64_t start_step = 0;
    int64_t steps_run = 0;
    int64_t steps_total = 0;
    // The last finished epoch's metric (a resumed run's from its history).
    double last_metric = NAN;

    Loop(Task& t,
         const LoopOptions& opts,
         const torch::Device& dev,
         bool resuming,
         const EventSink& sink,
         const std::atomic<bool>* stop);

    void emit(const Event& e) const
    {
        if (events)
            events(e);
    }
    double elapsed() const
    {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

    LoopResult run();
    void check_world() const;
    void read_checkpoint();
    void start_from_checkpoint();
    std::string training_json(bool with_state) const;
    std::string position() const;
    void write_checkpoint(const torch::Tensor* gen_state);
    void checkpoint_inside_epoch(int64_t done, double loss_sum, const std::mt19937_64& rng);
    void emit_started() const;
    LoopResult cancelled(int e, int64_t b);
    double world_step(int e, int64_t b, uint64_t es, const std::vector<int>& order,
                      std::mt19937_64& rng, bool& stop);
    enum class After { next, early_stop, pause };
    After end_epoch(int e, double lr, double metric, double loss_sum, bool epoch_checkpoint_due);
    LoopResult paused();
    LoopResult completed();
};

} // namespace loop
} // namespace train
} // namespace tfmed

#endif /* INCLUDED_TFMED_TRAIN_LOOP_H */
