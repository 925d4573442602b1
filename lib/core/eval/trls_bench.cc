/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/eval/trls_bench.h>
#include <tfmed/models/fused_lstm.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/runtime.h>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "timing.h"

#include <chrono>
#include <functional>

namespace tfmed {
namespace eval {


TrlsBenchResult bench_trls(const TrlsBenchConfig& c)
{
    train::check_threads(c.threads, 1, "bench trls");
    train::set_threads(c.threads);
    c.arch.validate();
    const auto dev = models::parse_device(c.device);
    const auto& o = c.arch;
    TrlsBenchResult r;
    r.device = dev.str();
    const std::function<void()> sync = [&] {
        if (dev.is_cuda())
            torch::cuda::synchronize();
    };
    torch::manual_seed(0);
    models::TrlsClassifier clf(o);
    clf->to(dev);
    clf->eval();
    r.parameters = models::count_parameters(*clf);
    r.forward_gflop = models::tfrnn_forward_flops(o) * 1e-9;
    auto run = [&](std::vector<double>& windows_per_s, double& step_s) {
        {
            torch::NoGradGuard ng;
            for (auto b : c.batches) {
                const auto img = torch::rand({ b, o.features(), o.frames() }, dev);
                windows_per_s.push_back(static_cast<double>(b) /
                                        timed([&] { clf->embed(img); }, c.seconds, sync));
            }
        }
        torch::manual_seed(0);
        models::Trls net(o);
        net->to(dev);
        net->train();
        torch::optim::Adam opt(
            net->parameters(),
            torch::optim::AdamOptions(3e-4).betas({ 0.9, 0.99 }).weight_decay(1e-4));
        const auto v1 = torch::rand({ c.train_batch, o.features(), o.frames() }, dev);
        const auto v2 = torch::rand({ c.train_batch, o.features(), o.frames() }, dev);
        step_s = timed(
            [&] {
                opt.zero_grad();
                net->loss(v1, v2).backward();
                opt.step();
                net->update_target(0.7);
            },
            c.seconds, sync);
    };
    run(r.windows_per_s, r.train_step_s);
    if (o.rnn == "lstm" && dev.is_cpu() && models::fused_lstm_enabled()) {
        models::set_fused_lstm(false);
        try {
            run(r.libtorch_lstm_windows_per_s, r.libtorch_lstm_train_step_s);
        } catch (...) {
            models::set_fused_lstm(true);
            throw;
        }
        models::set_fused_lstm(true);
    }
    return r;
}

} // namespace eval
} // namespace tfmed
