/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/train/runtime.h>
#include <tfmed/eval/specar_bench.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/tsrnet_pipeline.h>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "timing.h"

#include <algorithm>
#include <chrono>
#include <functional>

namespace tfmed {
namespace eval {

namespace {


struct Inputs {
    torch::Tensor x, mark, mask;
};

Inputs inputs(const models::SpecarOptions& o, int64_t b, const torch::Device& dev)
{
    Inputs in;
    in.x = torch::randn({ b, o.seq_len, o.enc_in }, dev);
    if (o.task == "classification")
        in.mask = torch::ones({ b, o.seq_len }, dev);
    if ((o.task == "long_term_forecast" || o.task == "imputation") && o.time_features > 0)
        in.mark = torch::rand({ b, o.seq_len, o.time_features }, dev) - 0.5;
    if (o.task == "imputation")
        in.mask = torch::ones_like(in.x);
    return in;
}

} // namespace

std::string specar_twin_kwargs(const models::SpecarOptions& o)
{
    return nlohmann::json{ { "task", o.task },
                           { "seq_len", o.seq_len },
                           { "pred_len", o.pred_len },
                           { "enc_in", o.enc_in },
                           { "c_out", o.c_out },
                           { "num_class", o.num_class },
                           { "d_model", o.d_model },
                           { "d_ff", o.d_ff },
                           { "e_layers", o.e_layers },
                           { "conv_layers", o.conv_layers },
                           { "n_fft", o.n_fft },
                           { "win_len", o.win_length },
                           { "hop_length", o.hop },
                           { "win_func", o.window },
                           { "backbone",
                             o.backbone == "dual" ? "DualChannelConv2d" : "CompelxConv2d" },
                           { "dropout", o.dropout } }
        .dump();
}

SpecarBenchResult bench_specar(const SpecarBenchConfig& c)
{
    c.arch.validate();
    if (c.threads < 1 || c.train_batch < 1 || !(c.seconds > 0))
        throw std::invalid_argument("bench specar: expected threads >= 1, train batch >= 1 and "
                                    "seconds > 0");
    train::set_threads(c.threads);
    const auto dev = models::parse_device(c.device);
    torch::manual_seed(0);
    models::SpecarNet net(c.arch);
    net->to(dev);
    SpecarBenchResult r;
    r.device = dev.str();
    const std::function<void()> sync = [&] {
        if (dev.is_cuda())
            torch::cuda::synchronize();
    };
    for (const auto& p : net->parameters())
        r.parameters += p.numel();
    r.forward_gflop = models::specar_forward_flops(c.arch) / 1e9;
    {
        // The FP32 ceiling at these threads: a large matrix product, the
        // best a dense kernel reaches on this machine in this process.
        const int64_t n = 2048;
        const auto a = torch::randn({ n, n }, dev), b = torch::randn({ n, n }, dev);
        const double s = timed([&] { torch::mm(a, b); }, std::min(1.0, c.seconds), sync);
        r.ceiling_gflops = 2.0 * double(n) * double(n) * double(n) / s / 1e9;
    }
    net->eval();
    {
        torch::NoGradGuard ng;
        for (auto b : c.batches) {
            const auto in = inputs(c.arch, b, dev);
            const double s =
                timed([&] { net->forward(in.x, in.mark, in.mask); }, c.seconds, sync);
            r.windows_per_s.push_back(static_cast<double>(b) / s);
        }
    }
    net->train();
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-4));
    const auto in = inputs(c.arch, c.train_batch, dev);
    r.train_step_s = timed(
        [&] {
            opt.zero_grad();
            net->forward(in.x, in.mark, in.mask).out.square().mean().backward();
            opt.step();
        },
        c.seconds, sync);
    return r;
}

} // namespace eval
} // namespace tfmed
