/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal: what the training loop (trainer.cc) records in checkpoints and
 * cards, and the per-epoch schedule (loop_state.cc).
 */
#ifndef INCLUDED_TFMED_TRAIN_LOOP_STATE_H
#define INCLUDED_TFMED_TRAIN_LOOP_STATE_H

#include <tfmed/train/events.h>
#include <tfmed/train/options.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace tfmed {
namespace train {
namespace loop {

using nlohmann::json;

/*! The settings object of cards and checkpoints (what a resume compares). */
json settings_of(const LoopOptions& o);

// Everything the loop carries between epochs; saved in checkpoints.
struct State {
    int epochs_done = 0;
    int64_t step = 0;       // > 0: inside epoch epochs_done, after this many steps
    double loss_sum = 0.0;  // of the partial epoch: sum of step loss x its examples
    bool loss_per_example = true; // false: an older checkpoint's sum of batch means
    std::string rng;        // std::mt19937_64 of the partial epoch
    int best_epoch = 0;
    double best_metric = NAN;
    int bad_epochs = 0;     // early stopping
    double lr = NAN;        // plateau: the current learning rate
    double plateau_best = NAN;
    int plateau_bad = 0;
    bool early_stopped = false;
    // Settings a resume changed, not yet written into an epoch's history entry
    // (kept across a mid-epoch checkpoint and a second resume from it).
    std::string pending_change;
    json history = json::array();
};

json state_json(const State& s);
/*! \throws nlohmann::json::exception for a malformed record */
State state_from(const json& training);
/*! v better than ref (a finite v beats a non-finite ref; with ties_improve an equal v counts). */
bool better(double v, double ref, bool lower, bool ties_improve = false);
/*! The learning rate of epoch e (0-based) under o's schedule. */
double scheduled_lr(const LoopOptions& o, int e, const State& s);
/*! The differences between two settings objects, one "key: a -> b" each. */
std::string differences(const json& was, const json& now, const std::string& prefix = "");

} // namespace loop
} // namespace train
} // namespace tfmed

#endif
