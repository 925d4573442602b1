/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The training loop's checkpoints, resumes and cancellation
 * (tfmed::train::run) on the toy task of tests/support/toy_task.h: a resume
 * continues bit for bit, settings change only when asked and are recorded.
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

TEST(TrainResume, ResumeInsideAnEpochIsBitExact)
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

TEST(TrainResume, CancelDuringValidationKeepsTheEpochsSteps)
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

TEST(TrainResume, ResumeWithBestSelectionAfterLastNeedsTheBestWeights)
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

TEST(TrainResume, ChangedSettingsOnResumeOnlyWithTheFlagAndRecorded)
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
TEST(TrainResume, StepCheckpointsOnAnEpochsLastStepAreWritten)
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

TEST(TrainResume, ChangedSettingsSurviveAMidEpochCheckpointAndASecondResume)
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
TEST(TrainResume, ResumeWithOtherThreadsIsRecorded)
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


TEST(TrainResume, AFreshRunOverAnEarlierCheckpointSaysSo)
{
    // An interrupted run started again without --resume lost its checkpoint
    // without a word: start_fresh() removes it and says whether there was
    // one, and the started event names it; a first run says nothing.
    ToyTask t;
    const auto path = tmp("fresh.ckpt");
    std::filesystem::remove(path);
    auto o = options(path);
    o.stop_after = 1;
    auto started = [](std::string& msg) {
        return [&msg](const train::Event& e) {
            if (e.kind == train::Event::Kind::started)
                msg = e.message;
        };
    };
    std::string first, again;
    o.superseded_checkpoint = train::start_fresh(path);
    EXPECT_FALSE(o.superseded_checkpoint);
    ASSERT_FALSE(train::run(t, o, torch::kCPU, false, started(first)).completed);
    EXPECT_EQ(first.find("started over"), std::string::npos) << first;
    ASSERT_TRUE(std::filesystem::exists(path));
    o.superseded_checkpoint = train::start_fresh(path);
    EXPECT_TRUE(o.superseded_checkpoint);
    EXPECT_FALSE(std::filesystem::exists(path));
    ToyTask t2;
    ASSERT_FALSE(train::run(t2, o, torch::kCPU, false, started(again)).completed);
    EXPECT_NE(again.find("; started over: removed the checkpoint " + path +
                         " of an earlier run (--resume would have continued it)"),
              std::string::npos)
        << again;
}
