/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one training loop (tfmed::train::run) on a small regression task whose
 * loss uses both random sources (dropout through torch's generator, target
 * noise through the loop's std::mt19937_64).
 */
#include "../support/errors.h"
#include "../support/toy_task.h"

#include <tfmed/models/model_file.h>
#include <tfmed/models/weights.h>
#include <tfmed/train/specar_trainer.h>
#include <tfmed/train/runtime.h>
#include <tfmed/train/trainer.h>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

using namespace tfmed;
using tfmed_test::message_of;

using namespace toy_loop;

TEST(TrainLoop, OneRunAtATimeRefusedBeforeItTouchesAnything)
{
    ToyTask t; // (seeds torch's generator itself)
    std::promise<void> held, done;
    auto release = done.get_future().share();
    std::thread other([&] {
        const train::RunLease lease; // a run on another thread (a trainer_sink's)
        held.set_value();
        release.wait();
    });
    held.get_future().wait();
    const std::string busy = "training: another training run is in progress in this process "
                             "(runs share torch's global generator); run one at a time";
    torch::manual_seed(123);
    const auto want = torch::rand({ 4 });
    torch::manual_seed(123);
    const int threads = at::get_num_threads();
    EXPECT_EQ(message_of<std::runtime_error>([&] { train::run(t, options(""), torch::kCPU, false, {}); }),
              busy);
    // An entry point is refused before its own seeding and thread set-up.
    train::SpecarTrainConfig cfg;
    cfg.threads = threads == 1 ? 2 : 1;
    EXPECT_EQ(message_of<std::runtime_error>([&] {
                  train::train_specar_windows(cfg, nullptr, 0, 1.0, 0.2, {}, nullptr);
              }),
              busy);
    EXPECT_TRUE(torch::equal(torch::rand({ 4 }), want)); // the other run's draws untouched
    EXPECT_EQ(at::get_num_threads(), threads);
    done.set_value();
    other.join();
    {
        const train::RunLease a, b; // re-entrant on one thread
    }
    EXPECT_TRUE(train::run(t, options(""), torch::kCPU, false, {}).completed);
}

TEST(TrainLoop, SchedulesGiveTheDocumentedRates)
{
    auto lrs = [](train::LoopOptions o) {
        ToyTask t;
        std::vector<double> v;
        for (const auto& h : nlohmann::json::parse(train::run(t, o, torch::kCPU, false, {}).history_json))
            v.push_back(h["lr"].get<double>());
        return v;
    };
    auto o = options("");
    o.optimizer.lr = 0.1;
    const auto cos = lrs(o);
    ASSERT_EQ(cos.size(), 4u);
    EXPECT_DOUBLE_EQ(cos[0], 0.1);
    EXPECT_DOUBLE_EQ(cos[1], 0.1 * 0.5 * (1 + std::cos(M_PI / 4)));
    EXPECT_DOUBLE_EQ(cos[2], 0.05);
    o.schedule.name = "step";
    o.schedule.step_size = 2;
    o.schedule.gamma = 0.5;
    EXPECT_EQ(lrs(o), (std::vector<double>{ 0.1, 0.1, 0.05, 0.05 }));
    o.schedule.name = "constant";
    EXPECT_EQ(lrs(o), (std::vector<double>(4, 0.1)));
    // Plateau: a metric that never improves after epoch 1 cuts the rate once
    // patience (1) is exceeded: epochs 1-3 at 0.1, then 0.01.
    o.schedule.name = "plateau";
    o.schedule.patience = 1;
    o.schedule.factor = 0.1;
    o.select = "last";
    ToyTask t;
    t.metric_override = [](int) { return 1.0; };
    std::vector<double> v;
    for (const auto& h : nlohmann::json::parse(train::run(t, o, torch::kCPU, false, {}).history_json))
        v.push_back(h["lr"].get<double>());
    ASSERT_EQ(v.size(), 4u);
    EXPECT_DOUBLE_EQ(v[0], 0.1);
    EXPECT_DOUBLE_EQ(v[1], 0.1);
    EXPECT_DOUBLE_EQ(v[2], 0.1);
    EXPECT_NEAR(v[3], 0.01, 1e-15);
}

TEST(TrainLoop, EarlyStoppingKeepsTheBestEpoch)
{
    ToyTask t;
    // Metric: best at epoch 2, worse afterwards.
    t.metric_override = [](int k) { return k == 2 ? 0.5 : 1.0 + k; };
    auto o = options(tmp("early.ckpt"));
    o.epochs = 10;
    o.patience = 2;
    std::string best_weights;
    const auto r = train::run(t, o, torch::kCPU, false, [&](const train::Event& e) {
        if (e.kind == train::Event::Kind::epoch && e.best)
            best_weights = models::weights_bytes(t.module());
    });
    EXPECT_TRUE(r.completed);
    EXPECT_TRUE(r.early_stopped);
    EXPECT_EQ(r.epochs_done, 4);
    EXPECT_EQ(r.best_epoch, 2);
    EXPECT_DOUBLE_EQ(r.best_metric, 0.5);
    EXPECT_EQ(models::weights_bytes(t.module()), best_weights);

    // Resuming the early-stopped checkpoint trains no further epoch.
    ToyTask u;
    u.metric_override = [](int) { return 0.0; };
    const auto ru = train::run(u, o, torch::kCPU, true, {});
    EXPECT_TRUE(ru.completed);
    EXPECT_TRUE(ru.early_stopped);
    EXPECT_EQ(ru.epochs_done, 4);
    EXPECT_EQ(u.validations, 0);
    EXPECT_EQ(models::weights_bytes(u.module()), best_weights);

    // With the patience changed (allowed), the rule is applied again: patience 0
    // never stops, so epochs 5 to 10 run, the change recorded at epoch 5.
    ToyTask v;
    v.metric_override = [](int k) { return 0.4 - 0.01 * k; };
    auto p = o;
    p.patience = 0;
    p.allow_changed_settings = true;
    const auto rv = train::run(v, p, torch::kCPU, true, {});
    EXPECT_TRUE(rv.completed);
    EXPECT_FALSE(rv.early_stopped);
    EXPECT_EQ(rv.epochs_done, 10);
    EXPECT_EQ(v.validations, 6);
    EXPECT_EQ(rv.best_epoch, 10);
    const auto h = nlohmann::json::parse(rv.history_json);
    ASSERT_EQ(h.size(), 10u);
    EXPECT_EQ(h[4]["settings_changed"].get<std::string>(), "patience 2 -> 0");
}

TEST(TrainLoop, TiesImproveKeepsTheLaterEpochAndRestartsPatience)
{
    // Validation accuracy 0.5, 0.7, 0.7, 0.7, 0.6, 0.6, ...: without ties the
    // first 0.7 (epoch 2) stays the best and patience 2 stops after epoch 4;
    // with them (TSLib) epoch 4 is the best and the run stops after epoch 6.
    auto metric = [](int k) { return k == 1 ? 0.5 : k <= 4 ? 0.7 : 0.6; };
    struct Acc : ToyTask {
        bool lower_is_better() const override { return false; }
    };
    for (bool ties : { false, true }) {
        SCOPED_TRACE(ties ? "ties improve" : "ties do not");
        Acc t;
        t.metric_override = metric;
        auto o = options(tmp(ties ? "ties1.ckpt" : "ties0.ckpt"));
        o.epochs = 10;
        o.patience = 2;
        o.ties_improve = ties;
        std::string best_weights;
        const auto r = train::run(t, o, torch::kCPU, false, [&](const train::Event& e) {
            if (e.kind == train::Event::Kind::epoch && e.best)
                best_weights = models::weights_bytes(t.module());
        });
        EXPECT_TRUE(r.early_stopped);
        EXPECT_EQ(r.best_epoch, ties ? 4 : 2);
        EXPECT_EQ(r.epochs_done, ties ? 6 : 4);
        EXPECT_DOUBLE_EQ(r.best_metric, 0.7);
        EXPECT_EQ(models::weights_bytes(t.module()), best_weights);
        // Recorded only when on (older checkpoints compare equal); turning it
        // off on resume is a change like any other.
        const auto s = nlohmann::json::parse(r.training_json)["settings"];
        EXPECT_EQ(s.contains("ties_improve"), ties);
        if (ties) {
            o.ties_improve = false;
            o.epochs = 12;
            Acc u;
            EXPECT_NE(message_of<std::invalid_argument>(
                          [&] { train::run(u, o, torch::kCPU, true, {}); })
                          .find("ties_improve (dropped)"),
                      std::string::npos);
        }
    }
}

TEST(TrainLoop, ClearFailures)
{
    {
        ToyTask t;
        t.nan_at_epoch_step = 8 + 3; // epoch 2, step 3
        EXPECT_EQ(message_of<std::runtime_error>(
                      [&] { train::run(t, options(""), torch::kCPU, false, {}); }),
                  "training diverged: loss nan at epoch 2, step 3");
    }
    {
        // A finite loss with a NaN gradient: refused before the step, the
        // checkpoint of epoch 1 left as it was.
        ToyTask t;
        t.grad_nan_at_epoch_step = 8 + 3;
        auto o = options(tmp("gradnan.ckpt"));
        std::filesystem::remove(o.checkpoint);
        std::string after_epoch1;
        const auto msg = message_of<std::runtime_error>([&] {
            train::run(t, o, torch::kCPU, false, [&](const train::Event& e) {
                if (e.kind == train::Event::Kind::epoch && e.epoch == 1)
                    after_epoch1 = models::weights_bytes(t.module());
            });
        });
        EXPECT_EQ(msg.rfind("training diverged: gradient norm ", 0), 0u) << msg;
        EXPECT_NE(msg.find(" at epoch 2, step 3 (the loss was "), std::string::npos) << msg;
        EXPECT_EQ(models::read_model_file(o.checkpoint, true).section("weights"), after_epoch1);
    }
    {
        ToyTask t;
        t.metric_override = [](int) { return NAN; };
        EXPECT_EQ(message_of<std::runtime_error>(
                      [&] { train::run(t, options(""), torch::kCPU, false, {}); }),
                  "training: no epoch gave a finite val_mse (every validation was NaN/Inf); no "
                  "model written");
    }
    {
        ToyTask t;
        auto o = options(tmp("pause.ckpt"));
        o.stop_after = 1;
        const auto r = train::run(t, o, torch::kCPU, false, {});
        EXPECT_FALSE(r.completed);
        EXPECT_EQ(r.epochs_done, 1);
        o.stop_after = 0;
        o.batch = 16;
        o.optimizer.lr = 0.5;
        EXPECT_EQ(message_of<std::invalid_argument>(
                      [&] { train::run(t, o, torch::kCPU, true, {}); }),
                  o.checkpoint +
                      ": resume with other training settings than the checkpoint's: batch 8 -> "
                      "16, optimizer.lr 0.01 -> 0.5 (add --allow-changed-settings to apply them "
                      "from where the checkpoint left off, recorded in the history)");
        // The seed is never changed by a resume, even with the flag.
        o.allow_changed_settings = true;
        o.seed = 99;
        EXPECT_EQ(message_of<std::invalid_argument>(
                      [&] { train::run(t, o, torch::kCPU, true, {}); }),
                  o.checkpoint + ": resume cannot change the seed or the optimiser kind "
                                 "(batch 8 -> 16, optimizer.lr 0.01 -> 0.5, seed 7 -> 99)");
    }
    auto o = options("");
    o.schedule.name = "linear";
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "training: expected schedule constant, cosine, step or plateau, found 'linear'");
    o = options("");
    o.batch = 0;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "training: expected batch >= 1, found 0");
}

TEST(TrainLoop, SelectLastReportsTheKeptEpoch)
{
    ToyTask t;
    t.metric_override = [](int v) { return v == 1 ? 0.1 : 0.2 + 0.01 * v; }; // best: epoch 1
    auto o = options("");
    o.select = "last";
    const auto r = train::run(t, o, torch::kCPU, false, {});
    ASSERT_TRUE(r.completed);
    EXPECT_EQ(r.best_epoch, 1);
    EXPECT_EQ(r.kept_epoch, 4);
    EXPECT_DOUBLE_EQ(r.kept_metric, 0.24);
    EXPECT_EQ(train::selection_text(r, "val_mse"),
              "epoch 4, the last (val_mse 0.24000; best: epoch 1, 0.10000)");
    ToyTask u;
    u.metric_override = t.metric_override;
    o.select = "best";
    const auto b = train::run(u, o, torch::kCPU, false, {});
    EXPECT_EQ(b.kept_epoch, 1);
    EXPECT_EQ(train::selection_text(b, "val_mse"), "best epoch 1 (val_mse 0.10000)");
}

// Example i's loss is i whatever the weights: the epoch's loss is the mean
// over examples, not over batches (9 examples in batches 4, 4, 1: the
// singleton would weigh a third).
class IndexLossTask : public train::Task
{
public:
    IndexLossTask() { w = m.register_parameter("w", torch::zeros({ 1 })); }
    torch::nn::Module& module() override { return m; }
    int64_t train_size() const override { return 9; }
    torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64&) override
    {
        const auto v = torch::tensor(idx, torch::kDouble).to(torch::kFloat);
        return (v + w * 0).mean();
    }
    double validate() override { return 1.0; }
    std::string metric_name() const override { return "val_mse"; }
    std::string card_json(const std::string& training) override
    {
        return nlohmann::json{ { "model", "toy" }, { "format", 2 },
                               { "training", nlohmann::json::parse(training) } }
            .dump();
    }
    torch::nn::Module m;
    torch::Tensor w;
};

TEST(TrainLoop, EpochLossIsTheMeanOverExamples)
{
    IndexLossTask t;
    auto o = options("");
    o.epochs = 2;
    o.batch = 4;
    std::vector<double> step_loss;
    const auto r = train::run(t, o, torch::kCPU, false, [&](const train::Event& e) {
        if (e.kind == train::Event::Kind::step)
            step_loss.push_back(e.loss);
    });
    ASSERT_TRUE(r.completed);
    const auto h = nlohmann::json::parse(r.history_json);
    ASSERT_EQ(h.size(), 2u);
    for (const auto& e : h)
        EXPECT_NEAR(e["train_loss"].get<double>(), 4.0, 1e-6); // (0 + ... + 8) / 9
    ASSERT_EQ(step_loss.size(), 6u); // 3 steps per epoch; the last step's running mean is the epoch's
    EXPECT_NEAR(step_loss[2], 4.0, 1e-6);
    EXPECT_NEAR(step_loss[5], 4.0, 1e-6);
}

TEST(TrainLoop, ScheduleAndOptimiserOptionsAreCheckedUpFront)
{
    auto o = options("");
    o.schedule.name = "step";
    o.schedule.gamma = INFINITY; // failed later as "training diverged: loss -nan"
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "training: expected step_size >= 1 and 0 < gamma <= 1 for the step schedule, "
              "found 10 and inf");
    o.schedule.gamma = 1e300;
    EXPECT_THROW(o.validate(), std::invalid_argument);
    o = options("");
    o.schedule.name = "plateau";
    o.schedule.min_lr = 0.1; // above the rate: a "cut" raised it
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "training: expected 0 <= min_lr <= the learning rate 0.01 for the plateau "
              "schedule, found 0.1");
    o.schedule.min_lr = NAN;
    EXPECT_THROW(o.validate(), std::invalid_argument);
    o = options("");
    o.optimizer.eps = 0.0;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "training: expected an optimiser eps > 0, found 0");
}

TEST(TrainLoop, GradientClippingBoundsTheFirstStep)
{
    // The gradients left after the first step have the clipped global norm.
    struct Probe : ToyTask {
        torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64& rng) override
        {
            return ToyTask::loss(idx, rng) * 1e6; // huge gradients
        }
    };
    Probe t;
    auto o = options("");
    o.epochs = 1;
    o.clip_grad_norm = 0.25;
    o.select = "last";
    double norm = -1;
    train::run(t, o, torch::kCPU, false, [&](const train::Event& e) {
        if (e.kind == train::Event::Kind::step && e.step == 1) {
            double s = 0;
            for (const auto& p : t.module().parameters())
                s += p.grad().pow(2).sum().item<double>();
            norm = std::sqrt(s);
        }
    });
    EXPECT_NEAR(norm, 0.25, 1e-4);
}

// Workers started together on one host share its cores by LOCAL_WORLD_SIZE;
// "4x" or 0 read as 1 (each worker took every core): refused by name.
TEST(TrainLoop, LocalWorldSizeIsParsedStrictly)
{
    const int before = at::get_num_threads();
    for (const char* bad : { "4x", "0", "99999999999" }) {
        ::setenv("LOCAL_WORLD_SIZE", bad, 1);
        EXPECT_EQ(message_of<std::invalid_argument>([] { train::set_threads(0); }),
                  std::string("LOCAL_WORLD_SIZE: expected the workers on this host, 1 .. 65536, "
                              "found '") + bad + "'");
    }
    for (const char* good : { "1", "" }) { // empty: unset (an unset shell variable)
        ::setenv("LOCAL_WORLD_SIZE", good, 1);
        EXPECT_NO_THROW(train::set_threads(0));
    }
    ::unsetenv("LOCAL_WORLD_SIZE");
    at::set_num_threads(before);
}
