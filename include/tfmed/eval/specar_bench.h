/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_EVAL_SPECAR_BENCH_H
#define INCLUDED_TFMED_EVAL_SPECAR_BENCH_H

#include <tfmed/models/specar_options.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief `tfmed bench specar`: inference windows/s and seconds per training
 * step of a SpecAR-Net configuration in LibTorch (C++), and the achieved
 * GFLOP/s of its convolutions and linear layers.
 */

namespace tfmed {
namespace eval {

struct SpecarBenchConfig {
    models::SpecarOptions arch;
    std::vector<int64_t> batches{ 1, 128 }; //!< inference batch sizes
    int64_t train_batch = 16;
    int threads = 2;
    double seconds = 3.0; //!< per measurement, at least 2 repetitions
    std::string device = "cpu";
};

struct SpecarBenchResult {
    std::vector<double> windows_per_s; //!< per batch size
    double train_step_s = 0.0;
    double forward_gflop = 0.0;        //!< per window
    double ceiling_gflops = 0.0;       //!< a 2048^3 matrix product at the same threads
    int64_t parameters = 0;
    std::string device; //!< the device the network ran on ("cpu", "cuda:0")
};

SpecarBenchResult bench_specar(const SpecarBenchConfig& c);

/*! The arguments of tests/reference/specar_twin.py's SpecARConfig (JSON). */
std::string specar_twin_kwargs(const models::SpecarOptions& o);

} // namespace eval
} // namespace tfmed

#endif
