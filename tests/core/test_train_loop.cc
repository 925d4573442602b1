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

namespace {

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

std::string tmp(const std::string& name)
{
    const auto d = std::filesystem::temp_directory_path() / "tfmed_train_loop_test";
    std::filesystem::create_directories(d);
    return (d / name).string();
}

bool same_weights(torch::nn::Module& a, torch::nn::Module& b)
{
    auto pa = a.parameters(), pb = b.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        if (!torch::equal(pa[i], pb[i]))
            return false;
    return true;
}

train::LoopOptions options(const std::string& ckpt)
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

} // namespace

TEST(TrainLoop, ResumeInsideAnEpochIsBitExact)
{
    // The uninterrupted run.
    ToyTask a;
    auto o = options(tmp("a.ckpt"));
    o.select = "last";
    const auto ra = train::run(a, o, torch::kCPU, false, {});
    ASSERT_TRUE(ra.completed);
    EXPECT_EQ(ra.epochs_done, 4);

    // The same run with a checkpoint every 5 steps, cancelled in epoch 2
    // after step 7 (the last checkpoint: epoch 2, step 7), then resumed.
    ToyTask b;
    o.checkpoint = tmp("b.ckpt");
    o.checkpoint_every_steps = 5;
    std::atomic<bool> cancel{ false };
    int checkpoints = 0;
    const auto rb = train::run(
        b, o, torch::kCPU, false,
        [&](const train::Event& e) {
            if (e.kind == train::Event::Kind::checkpoint)
                ++checkpoints;
            if (e.kind == train::Event::Kind::step && e.epoch == 2 && e.step == 7)
                cancel = true;
        },
        &cancel);
    EXPECT_TRUE(rb.cancelled);
    EXPECT_FALSE(rb.completed);
    // Global steps 5 (epoch 1), end of epoch 1, 10 (epoch 2 step 2), 15 (epoch 2 step 7).
    EXPECT_EQ(checkpoints, 4);
    const auto card = nlohmann::json::parse(models::read_model_file(o.checkpoint, false).card_json);
    EXPECT_EQ(card["training"]["state"]["epochs_done"], 1);
    EXPECT_EQ(card["training"]["state"]["step"], 7);

    ToyTask c; // with other weights: all state comes from the checkpoint
    {
        torch::NoGradGuard ng;
        for (auto& p : c.module().parameters())
            p.add_(1.0);
    }
    const auto rc = train::run(c, o, torch::kCPU, true, {});
    ASSERT_TRUE(rc.completed);
    EXPECT_TRUE(same_weights(a.module(), c.module()));
    const auto ha = nlohmann::json::parse(ra.history_json),
               hc = nlohmann::json::parse(rc.history_json);
    ASSERT_EQ(ha.size(), hc.size());
    for (std::size_t i = 0; i < ha.size(); ++i) {
        EXPECT_EQ(ha[i]["train_loss"], hc[i]["train_loss"]) << "epoch " << i + 1;
        EXPECT_EQ(ha[i]["val_mse"], hc[i]["val_mse"]) << "epoch " << i + 1;
    }
}

TEST(TrainLoop, CancelDuringValidationKeepsTheEpochsSteps)
{
    ToyTask a; // the uninterrupted run
    auto o = options(tmp("va.ckpt"));
    const auto ra = train::run(a, o, torch::kCPU, false, {});
    ASSERT_TRUE(ra.completed);

    // The same run, a stop requested while epoch 2 validates (a Ctrl-C, a
    // flowgraph's stop): the pass sees it through the task, and the epoch's
    // eight finished steps are kept in a checkpoint at their end.
    ToyTask b;
    o.checkpoint = tmp("vb.ckpt");
    std::filesystem::remove(o.checkpoint);
    std::atomic<bool> cancel{ false };
    bool seen = false;
    b.metric_override = [&](int v) {
        if (v == 2)
            cancel = true;
        seen = seen || b.stopping();
        torch::NoGradGuard ng;
        return torch::mse_loss(b.net->forward(b.xv), b.yv).item<double>();
    };
    std::string stop_message;
    const auto rb = train::run(
        b, o, torch::kCPU, false,
        [&](const train::Event& e) {
            if (e.kind == train::Event::Kind::stopped)
                stop_message = e.message;
        },
        &cancel);
    EXPECT_TRUE(seen);
    EXPECT_TRUE(rb.cancelled);
    EXPECT_FALSE(rb.completed);
    EXPECT_EQ(rb.epochs_done, 1);
    EXPECT_EQ(nlohmann::json::parse(rb.history_json).size(), 1u); // epoch 2 not recorded
    EXPECT_EQ(stop_message, "cancelled in epoch 2 during its validation; last checkpoint: " +
                                o.checkpoint + " (epoch 2 step 8)");
    EXPECT_EQ(b.stop_flag(), nullptr); // the task's flag is the loop's only while it runs
    const auto card = nlohmann::json::parse(models::read_model_file(o.checkpoint, false).card_json);
    EXPECT_EQ(card["training"]["state"]["epochs_done"], 1);
    EXPECT_EQ(card["training"]["state"]["step"], 8);

    // Cancelled again in the same validation on resume: that checkpoint stands.
    ToyTask c;
    std::atomic<bool> again{ true };
    const auto rc = train::run(c, o, torch::kCPU, true, {}, &again);
    EXPECT_TRUE(rc.cancelled);
    EXPECT_EQ(c.validations, 1);
    EXPECT_EQ(nlohmann::json::parse(models::read_model_file(o.checkpoint, false).card_json)
                  ["training"]["state"]["step"],
              8);

    // The resume validates epoch 2 without a step, then trains epochs 3 and 4:
    // the uninterrupted run, bit for bit.
    ToyTask d;
    const auto rd = train::run(d, o, torch::kCPU, true, {});
    ASSERT_TRUE(rd.completed);
    EXPECT_EQ(d.validations, 3);
    EXPECT_EQ(d.calls, 16); // epochs 3 and 4
    EXPECT_TRUE(same_weights(a.module(), d.module()));
    EXPECT_EQ(ra.best_epoch, rd.best_epoch);
    const auto ha = nlohmann::json::parse(ra.history_json),
               hd = nlohmann::json::parse(rd.history_json);
    ASSERT_EQ(ha.size(), hd.size());
    for (std::size_t i = 0; i < ha.size(); ++i) {
        EXPECT_EQ(ha[i]["train_loss"], hd[i]["train_loss"]) << "epoch " << i + 1;
        EXPECT_EQ(ha[i]["val_mse"], hd[i]["val_mse"]) << "epoch " << i + 1;
    }

    // Without a checkpoint path the stop is the same (no checkpoint to write).
    ToyTask e;
    auto on = options("");
    std::atomic<bool> stop{ false };
    e.metric_override = [&](int v) {
        stop = v == 1;
        return 1.0;
    };
    const auto re = train::run(e, on, torch::kCPU, false, {}, &stop);
    EXPECT_TRUE(re.cancelled);
    EXPECT_EQ(re.epochs_done, 0);
}

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

TEST(TrainLoop, ResumeWithBestSelectionAfterLastNeedsTheBestWeights)
{
    // Selected 'last' for two epochs, the first the better; resumed with
    // 'best': the first epoch's weights were never kept, so it is refused
    // before any training; from a checkpoint whose last epoch is its best,
    // those are the weights.
    ToyTask t;
    t.metric_override = [](int k) { return k == 1 ? 0.5 : 1.0; };
    auto o = options(tmp("select.ckpt"));
    o.select = "last";
    o.stop_after = 2;
    ASSERT_FALSE(train::run(t, o, torch::kCPU, false, {}).completed);
    auto p = o;
    p.select = "best";
    p.stop_after = 0;
    p.allow_changed_settings = true;
    ToyTask u;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { train::run(u, p, torch::kCPU, true, {}); }),
              o.checkpoint + ": the checkpoint kept no weights of its best epoch (1; it selected "
                             "the last epoch): expected select 'last' to resume it");
    EXPECT_EQ(u.validations, 0);

    ToyTask a;
    a.metric_override = [](int k) { return 1.0 - 0.1 * k; }; // each epoch better
    auto q = options(tmp("select2.ckpt"));
    q.select = "last";
    q.stop_after = 2;
    std::string second;
    train::run(a, q, torch::kCPU, false, [&](const train::Event& e) {
        if (e.kind == train::Event::Kind::epoch && e.epoch == 2)
            second = models::weights_bytes(a.module());
    });
    auto r = q;
    r.select = "best";
    r.stop_after = 0;
    r.allow_changed_settings = true;
    ToyTask b;
    b.metric_override = [](int) { return 5.0; }; // epochs 3 and 4 worse: epoch 2 stays best
    const auto rb = train::run(b, r, torch::kCPU, true, {});
    EXPECT_EQ(rb.best_epoch, 2);
    EXPECT_EQ(models::weights_bytes(b.module()), second);
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

TEST(TrainLoop, ChangedSettingsOnResumeOnlyWithTheFlagAndRecorded)
{
    // Paused after epoch 1; resumed with another lr, batch and weight decay:
    // the history says from which epoch they held, and the loop used them.
    ToyTask t;
    auto o = options(tmp("changed.ckpt"));
    o.schedule.name = "constant";
    o.stop_after = 1;
    ASSERT_FALSE(train::run(t, o, torch::kCPU, false, {}).completed);
    o.stop_after = 0;
    o.optimizer.lr = 0.002;
    o.batch = 16;
    o.optimizer.weight_decay = 0.5;
    o.allow_changed_settings = true;
    std::vector<double> lrs;
    const auto r = train::run(t, o, torch::kCPU, true, [&](const train::Event& e) {
        if (e.kind == train::Event::Kind::epoch)
            lrs.push_back(e.lr);
    });
    ASSERT_TRUE(r.completed);
    const auto h = nlohmann::json::parse(r.history_json);
    ASSERT_EQ(h.size(), 4u);
    EXPECT_FALSE(h[0].contains("settings_changed"));
    EXPECT_EQ(h[1]["settings_changed"].get<std::string>(),
              "batch 8 -> 16, optimizer.lr 0.01 -> 0.002, optimizer.weight_decay 0.0 -> 0.5");
    EXPECT_FALSE(h[2].contains("settings_changed"));
    EXPECT_FALSE(h[3].contains("settings_changed"));
    EXPECT_DOUBLE_EQ(h[0]["lr"].get<double>(), 0.01);
    EXPECT_EQ(lrs, (std::vector<double>{ 0.002, 0.002, 0.002 }));
    // The recorded settings are the new ones; the optimiser uses the new
    // weight decay (the archive's old one does not come back).
    const auto tr = nlohmann::json::parse(r.training_json);
    EXPECT_EQ(tr["settings"]["batch"].get<int>(), 16);
    EXPECT_DOUBLE_EQ(tr["settings"]["optimizer"]["weight_decay"].get<double>(), 0.5);

    // Inside an epoch the batch cannot change.
    ToyTask u;
    auto p = options(tmp("mid.ckpt"));
    p.checkpoint_every_steps = 3;
    std::atomic<bool> cancel{ false };
    int steps = 0;
    train::run(u, p, torch::kCPU, false, [&](const train::Event& e) {
        if (e.kind == train::Event::Kind::step && ++steps == 4)
            cancel = true;
    }, &cancel);
    p.batch = 4;
    p.allow_changed_settings = true;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { train::run(u, p, torch::kCPU, true, {}); }),
              p.checkpoint + ": the checkpoint is inside an epoch; the batch size can change "
                             "only at an epoch boundary (resume from an epoch checkpoint)");
}

// A review of the loop: a step checkpoint due on an epoch's last step was
// dropped (`b + 1 < steps`) unless that epoch's own checkpoint was due;
// changed settings vanished from the history when a mid-epoch checkpoint
// taken after the change was resumed; select 'last' reported the best epoch.
TEST(TrainLoop, StepCheckpointsOnAnEpochsLastStepAreWritten)
{
    ToyTask t;
    auto o = options(tmp("laststep.ckpt"));
    o.batch = 30; // 2 steps per epoch
    o.checkpoint_every = 3;
    o.checkpoint_every_steps = 2; // due at the end of every epoch
    std::vector<int> after; // the epochs done in each checkpoint written
    train::run(t, o, torch::kCPU, false, [&](const train::Event& e) {
        if (e.kind == train::Event::Kind::checkpoint)
            after.push_back(nlohmann::json::parse(models::read_model_file(o.checkpoint, false)
                                                      .card_json)["training"]["state"]
                                ["epochs_done"]
                                    .get<int>());
    });
    EXPECT_EQ(after, (std::vector<int>{ 1, 2, 3, 4 }));
    // Every step: mid-epoch after step 1, the epoch's after step 2.
    ToyTask u;
    o.checkpoint_every_steps = 1;
    int n = 0;
    train::run(u, o, torch::kCPU, false, [&](const train::Event& e) {
        n += e.kind == train::Event::Kind::checkpoint;
    });
    EXPECT_EQ(n, 8);
}

TEST(TrainLoop, ChangedSettingsSurviveAMidEpochCheckpointAndASecondResume)
{
    ToyTask t;
    auto o = options(tmp("twice.ckpt"));
    o.schedule.name = "constant";
    o.stop_after = 1;
    ASSERT_FALSE(train::run(t, o, torch::kCPU, false, {}).completed);
    // Resumed with another rate, cancelled in epoch 2 after a step checkpoint.
    o.stop_after = 0;
    o.optimizer.lr = 0.005;
    o.allow_changed_settings = true;
    o.checkpoint_every_steps = 1;
    std::atomic<bool> cancel{ false };
    const auto r1 = train::run(
        t, o, torch::kCPU, true,
        [&](const train::Event& e) {
            if (e.kind == train::Event::Kind::step && e.epoch == 2 && e.step == 3)
                cancel = true;
        },
        &cancel);
    ASSERT_TRUE(r1.cancelled);
    // Resumed again with the same (new) settings: the change is recorded at
    // epoch 2, where it first held.
    o.allow_changed_settings = false;
    const auto r2 = train::run(t, o, torch::kCPU, true, {});
    ASSERT_TRUE(r2.completed);
    const auto h = nlohmann::json::parse(r2.history_json);
    ASSERT_EQ(h.size(), 4u);
    EXPECT_EQ(h[1].value("settings_changed", std::string()), "optimizer.lr 0.01 -> 0.005");
    EXPECT_FALSE(h[2].contains("settings_changed"));
}

// Another thread count changes the last bits of every step: a resume on
// another machine is allowed, and the history says where it started.
TEST(TrainLoop, ResumeWithOtherThreadsIsRecorded)
{
    const int threads = at::get_num_threads();
    ToyTask t;
    auto o = options(tmp("threads.ckpt"));
    o.stop_after = 1;
    at::set_num_threads(1);
    ASSERT_FALSE(train::run(t, o, torch::kCPU, false, {}).completed);
    o.stop_after = 0;
    at::set_num_threads(2);
    const auto r = train::run(t, o, torch::kCPU, true, {});
    at::set_num_threads(threads);
    ASSERT_TRUE(r.completed);
    const auto h = nlohmann::json::parse(r.history_json);
    EXPECT_EQ(h[1].value("settings_changed", std::string()), "threads 1 -> 2");
    EXPECT_EQ(nlohmann::json::parse(r.training_json)["threads"], 2);
    EXPECT_EQ(nlohmann::json::parse(r.training_json)["device"], "cpu");
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
