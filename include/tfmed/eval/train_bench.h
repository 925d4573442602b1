/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_EVAL_TRAIN_BENCH_H
#define INCLUDED_TFMED_EVAL_TRAIN_BENCH_H

#include <cstdint>
#include <string>

/*!
 * \file
 * \brief `tfmed bench train`: training steps per second of the one training
 * loop (tfmed::train::run) on a TSRNet of a given size and synthetic 12-lead
 * windows, in whatever world this process has joined (distributed.h). The
 * command starts 1, 2, ... workers and compares them (torch-free header).
 */

namespace tfmed {
namespace eval {

struct TrainBenchConfig {
    int64_t leads = 12, width = 8, d_model = 50; //!< TSRNet size (width 32 = paper)
    int64_t batch = 32;    //!< global batch (split across the workers)
    int64_t steps = 12;    //!< timed steps (after `warmup` more)
    int64_t warmup = 2;
    std::string device = "cpu";
    int threads = 0;       //!< per worker; 0 = the host's cores / local workers
};

struct TrainBenchResult {
    int world = 1;
    int threads = 0;         //!< intra-op threads of each worker
    int64_t parameters = 0;
    double step_s = 0.0;     //!< wall seconds per global step (rank 0's clock)
    double samples_per_s = 0.0;
    std::string json() const;
};

/*! \throws std::invalid_argument naming a bad setting */
TrainBenchResult bench_train(const TrainBenchConfig& cfg);

} // namespace eval
} // namespace tfmed

#endif
