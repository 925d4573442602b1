/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_EVAL_TRLS_BENCH_H
#define INCLUDED_TFMED_EVAL_TRLS_BENCH_H

#include <tfmed/models/trls.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief `tfmed bench trls`: the TFRNN encoder's windows per second (batch 1
 * and 128, eval mode, spectrogram images in) and the seconds of one
 * pre-training step (two views through online and target networks, the
 * symmetrised loss, backward, Adam, the EMA update), on random images: the
 * network alone, as the Python twin measures it.
 */

namespace tfmed {
namespace eval {

struct TrlsBenchConfig {
    models::TrlsOptions arch;
    std::vector<int64_t> batches{ 1, 128 };
    int64_t train_batch = 32;
    int threads = 2;
    double seconds = 3.0;
    std::string device = "cpu";
};

struct TrlsBenchResult {
    std::vector<double> windows_per_s;
    double train_step_s = 0.0;
    //! The same with LibTorch's LSTM in place of the fused recurrence
    //! (models/fused_lstm.h); empty / 0 where the fused one does not apply.
    std::vector<double> libtorch_lstm_windows_per_s;
    double libtorch_lstm_train_step_s = 0.0;
    double forward_gflop = 0.0; //!< encoder, per window
    int64_t parameters = 0;     //!< encoder + head
    std::string device;         //!< the device the network ran on ("cpu", "cuda:0")
};

TrlsBenchResult bench_trls(const TrlsBenchConfig& c);

} // namespace eval
} // namespace tfmed

#endif
