/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/eval/train_bench.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/distributed.h>
#include <tfmed/train/runtime.h>
#include <tfmed/train/trainer.h>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace tfmed {
namespace eval {

namespace {

// TSRNet's training loss (models::training_loss, as the trainer) on
// synthetic windows; validation is left out of the timing (it returns at once).
class BenchTask : public train::Task
{
public:
    BenchTask(const models::TsrnetCard& card, torch::Tensor x, torch::Device dev)
        : card_(card), net_(models::options_of(card)), x_(std::move(x)), dev_(dev),
          stft_(models::stft_of(card))
    {
        net_->to(dev_);
    }
    torch::nn::Module& module() override { return *net_; }
    int64_t train_size() const override { return x_.size(0); }
    torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64& rng) override
    {
        const auto xb = x_.index_select(0, torch::tensor(idx, torch::kLong)).to(dev_);
        return models::training_loss(net_, card_, stft_, xb, rng);
    }
    double validate() override { return 0.0; }
    std::string metric_name() const override { return "none"; }
    std::string card_json(const std::string&) override { return "{}"; }
    int64_t parameters() const { return models::count_parameters(*net_); }

private:
    models::TsrnetCard card_;
    models::Tsrnet net_;
    torch::Tensor x_;
    torch::Device dev_;
    dsp::StftOptions stft_;
};

} // namespace

std::string TrainBenchResult::json() const
{
    return nlohmann::json{ { "world", world },
                           { "threads", threads },
                           { "parameters", parameters },
                           { "step_s", step_s },
                           { "samples_per_s", samples_per_s } }
        .dump();
}

TrainBenchResult bench_train(const TrainBenchConfig& a)
{
    // (The clock starts at the last warm-up step: without one the timed steps
    // held the loop's set-up and the cold first step.)
    if (a.batch < 1 || a.steps < 1 || a.warmup < 1)
        throw std::invalid_argument("bench train: expected batch >= 1, steps >= 1 and warm-up "
                                    ">= 1, found " + std::to_string(a.batch) + ", " +
                                    std::to_string(a.steps) + ", " + std::to_string(a.warmup));
    train::set_threads(a.threads);
    const auto dev = models::parse_device(a.device);
    models::TsrnetCard card;
    card.leads = a.leads;
    card.width = a.width;
    card.d_model = a.d_model;
    card.validate();
    torch::manual_seed(0);
    const int64_t n = (a.steps + a.warmup) * a.batch;
    const auto x = torch::rand({ n, card.prep.crop_length, card.leads }) * 2 - 1;
    BenchTask task(card, x, dev);
    train::LoopOptions lo;
    lo.epochs = 1;
    lo.batch = a.batch;
    lo.select = "last";
    lo.schedule.name = "constant";
    double t_warm = 0.0, t_end = 0.0;
    const auto events = [&](const train::Event& e) {
        if (e.kind != train::Event::Kind::step)
            return;
        if (e.step == a.warmup)
            t_warm = e.elapsed_s;
        t_end = e.elapsed_s;
    };
    train::run(task, lo, dev, false, events);
    TrainBenchResult r;
    r.world = train::dist::world_size();
    r.threads = at::get_num_threads();
    r.parameters = task.parameters();
    r.step_s = (t_end - t_warm) / static_cast<double>(a.steps);
    r.samples_per_s = static_cast<double>(a.batch) / r.step_s;
    return r;
}

} // namespace eval
} // namespace tfmed
