/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The toy task of the training loop's tests (test_train_loop.cc,
 * test_train_resume.cc): a small regression whose loss uses both random
 * sources (dropout through torch's generator, target noise through the
 * loop's std::mt19937_64), with hooks for failures and metrics.
 */
#ifndef INCLUDED_TFMED_TEST_TOY_TASK_H
#define INCLUDED_TFMED_TEST_TOY_TASK_H

#include <tfmed/train/trainer.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace toy_loop {

using namespace tfmed;

struct ToyNetImpl : torch::nn::Module {
    ToyNetImpl()
    {
        fc1 = register_module("fc1", torch::nn::Linear(4, 16));
        drop = register_module("drop", torch::nn::Dropout(0.2));
        fc2 = register_module("fc2", torch::nn::Linear(16, 1));
    }
    torch::Tensor forward(const torch::Tensor& x) { return fc2(drop(torch::tanh(fc1(x)))); }
    torch::nn::Linear fc1{ nullptr }, fc2{ nullptr };
    torch::nn::Dropout drop{ nullptr };
};
TORCH_MODULE(ToyNet);

class ToyTask : public train::Task
{
public:
    explicit ToyTask(uint64_t seed = 1)
    {
        torch::manual_seed(seed);
        net = ToyNet();
        x = torch::randn({ 60, 4 });
        y = x.matmul(torch::tensor({ 1.0f, -2.0f, 0.5f, 0.0f })).unsqueeze(1);
        xv = torch::randn({ 20, 4 });
        yv = xv.matmul(torch::tensor({ 1.0f, -2.0f, 0.5f, 0.0f })).unsqueeze(1);
    }
    torch::nn::Module& module() override { return *net; }
    int64_t train_size() const override { return x.size(0); }
    torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64& rng) override
    {
        const auto i = torch::tensor(idx, torch::kLong);
        auto t = y.index_select(0, i).clone();
        std::uniform_real_distribution<float> u(-0.05f, 0.05f);
        for (int64_t k = 0; k < t.size(0); ++k)
            t[k][0] += u(rng);
        const auto l = torch::mse_loss(net->forward(x.index_select(0, i)), t);
        ++calls;
        if (grad_nan_at_epoch_step > 0 && calls == grad_nan_at_epoch_step) // loss finite, gradient NaN
            return l + torch::sqrt(net->parameters()[0] * 0).sum();
        return nan_at_epoch_step > 0 && calls == nan_at_epoch_step ? l * NAN : l;
    }
    double validate() override
    {
        ++validations;
        if (metric_override)
            return metric_override(validations);
        torch::NoGradGuard ng;
        return torch::mse_loss(net->forward(xv), yv).item<double>();
    }
    std::string metric_name() const override { return "val_mse"; }
    std::string card_json(const std::string& training) override
    {
        return nlohmann::json{ { "model", "toy" },
                               { "format", 2 },
                               { "training", nlohmann::json::parse(training) } }
            .dump();
    }
    ToyNet net{ nullptr };
    torch::Tensor x, y, xv, yv;
    int validations = 0;
    int64_t nan_at_epoch_step = 0, grad_nan_at_epoch_step = 0, calls = 0;
    std::function<double(int)> metric_override;
};

inline std::string tmp(const std::string& name)
{
    const auto d = std::filesystem::temp_directory_path() / "tfmed_train_loop_test";
    std::filesystem::create_directories(d);
    return (d / name).string();
}

inline bool same_weights(torch::nn::Module& a, torch::nn::Module& b)
{
    auto pa = a.parameters(), pb = b.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        if (!torch::equal(pa[i], pb[i]))
            return false;
    return true;
}

inline train::LoopOptions options(const std::string& ckpt)
{
    train::LoopOptions o;
    o.epochs = 4;
    o.batch = 8; // 8 steps per epoch (60 examples)
    o.optimizer.lr = 1e-2;
    o.schedule.name = "cosine";
    o.seed = 7;
    o.checkpoint = ckpt;
    return o;
}

} // namespace toy_loop

#endif
