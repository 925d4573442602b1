/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TRLS evaluation splits (trls_parts.h, internal): windows dealt one by one
 * (TS-TCC's, every published figure), class by class, or as whole
 * recordings; the scores' macro-F1; the pre-training loss that is reported.
 */
#include "../support/data.h"
#include "../support/errors.h"

#include "trls_parts.h"

#include <tfmed/data/windows.h>
#include <tfmed/train/trls_trainer.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace tfmed;
using namespace tfmed::train;
using tfmed_test::message_of;

namespace {

// 3 classes: 12, 6 and 3 recordings of 4 windows each, interleaved.
trls::Labelled toy()
{
    trls::Labelled d;
    std::vector<int64_t> y;
    const int recs[3] = { 12, 6, 3 };
    for (int c = 0; c < 3; ++c)
        for (int r = 0; r < recs[c]; ++r)
            for (int w = 0; w < 4; ++w) {
                y.push_back(c);
                d.recordings.push_back("c" + std::to_string(c) + "/r" + std::to_string(r));
            }
    // Interleaved (i -> 5i mod 84, a bijection): a recording's windows are not neighbours.
    std::vector<int64_t> yy;
    std::vector<std::string> rr;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const std::size_t j = (i * 5) % y.size();
        yy.push_back(y[j]);
        rr.push_back(d.recordings[j]);
    }
    d.y = torch::tensor(yy, torch::kLong);
    d.recordings = rr;
    d.x = torch::zeros({ static_cast<int64_t>(yy.size()), 1, 8 });
    d.class_names = { "a", "b", "c" };
    return d;
}

std::map<int64_t, int64_t> counts(const trls::Labelled& d, const std::vector<int64_t>& idx)
{
    std::map<int64_t, int64_t> m;
    for (auto i : idx)
        m[d.y[i].item<int64_t>()]++;
    return m;
}

void expect_partition(const trls::Parts& p, int64_t n)
{
    std::vector<int64_t> all;
    for (const auto* v : { &p.train, &p.val, &p.test })
        all.insert(all.end(), v->begin(), v->end());
    std::sort(all.begin(), all.end());
    ASSERT_EQ(static_cast<int64_t>(all.size()), n);
    for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(all[static_cast<std::size_t>(i)], i);
}

} // namespace

TEST(TrlsSplit, WindowsAreTsTccsShuffleCutIntoRuns)
{
    const auto d = toy();
    const int64_t N = d.x.size(0);
    const auto perm = data::permutation(static_cast<int>(N), 42);
    std::vector<int64_t> union_test;
    for (int k = 0; k < 5; ++k) {
        const auto p = trls::split(d, 5, k, 42, "windows");
        expect_partition(p, N);
        std::vector<int64_t> want;
        for (int64_t i = 0; i < N; ++i)
            if (i * 5 / N == k)
                want.push_back(perm[static_cast<std::size_t>(i)]);
        std::sort(want.begin(), want.end());
        EXPECT_EQ(p.test, want) << "fold " << k + 1;
        EXPECT_EQ(p.name, "fold " + std::to_string(k + 1) + " of 5");
        union_test.insert(union_test.end(), p.test.begin(), p.test.end());
    }
    std::sort(union_test.begin(), union_test.end());
    EXPECT_EQ(static_cast<int64_t>(std::unique(union_test.begin(), union_test.end()) -
                                   union_test.begin()),
              N);
    // TS-TCC's once: 20 % test, 20 % of the rest validation.
    const auto t = trls::split(d, 1, 0, 42, "windows");
    expect_partition(t, N);
    EXPECT_EQ(t.test.size(), 17u); // round(84 * 0.2)
    EXPECT_EQ(t.val.size(), 13u);  // round(67 * 0.2)
}

TEST(TrlsSplit, StratifiedHoldsEveryClassInProportion)
{
    const auto d = toy(); // 48, 24 and 12 windows
    const int64_t N = d.x.size(0);
    std::set<int64_t> seen;
    for (int k = 0; k < 5; ++k) {
        const auto p = trls::split(d, 5, k, 42, "stratified");
        expect_partition(p, N);
        EXPECT_EQ(p.name, "fold " + std::to_string(k + 1) + " of 5, stratified by class");
        const auto c = counts(d, p.test);
        const int64_t n[3] = { 48, 24, 12 };
        for (int64_t cls = 0; cls < 3; ++cls) {
            const auto got = c.count(cls) ? c.at(cls) : 0;
            EXPECT_GE(got, n[cls] / 5) << "fold " << k + 1 << " class " << cls;
            EXPECT_LE(got, n[cls] / 5 + 1) << "fold " << k + 1 << " class " << cls;
        }
        EXPECT_GE(p.test.size(), 16u);
        EXPECT_LE(p.test.size(), 17u);
        for (auto i : p.test)
            EXPECT_TRUE(seen.insert(i).second) << "window " << i << " tested twice";
    }
    EXPECT_EQ(static_cast<int64_t>(seen.size()), N);
    const auto t = trls::split(d, 1, 0, 42, "stratified");
    expect_partition(t, N);
    const auto c = counts(d, t.test);
    EXPECT_EQ(c.at(0), 10); // round(48 * 0.2)
    EXPECT_EQ(c.at(1), 5);  // round(24 * 0.2)
    EXPECT_EQ(c.at(2), 2);  // round(12 * 0.2)
}

TEST(TrlsSplit, RecordingKeepsEachRecordingInOnePart)
{
    const auto d = toy();
    const int64_t N = d.x.size(0);
    std::set<std::string> tested;
    for (int k = 0; k < 5; ++k) {
        const auto p = trls::split(d, 5, k, 42, "recording");
        expect_partition(p, N);
        EXPECT_EQ(p.name,
                  "fold " + std::to_string(k + 1) + " of 5, whole recordings (21) stratified by class");
        std::map<std::string, int> part_of;
        int part = 0;
        for (const auto* v : { &p.train, &p.val, &p.test }) {
            for (auto i : *v) {
                const auto& r = d.recordings[static_cast<std::size_t>(i)];
                const auto [it, fresh] = part_of.emplace(r, part);
                EXPECT_EQ(it->second, part) << r << " in two parts, fold " << k + 1;
            }
            ++part;
        }
        std::set<std::string> recs;
        for (auto i : p.test)
            recs.insert(d.recordings[static_cast<std::size_t>(i)]);
        EXPECT_EQ(p.test.size(), recs.size() * 4); // whole recordings only
        EXPECT_GE(recs.size(), 4u);                // 21 recordings over 5 parts
        EXPECT_LE(recs.size(), 5u);
        for (const auto& r : recs)
            EXPECT_TRUE(tested.insert(r).second) << r << " tested twice";
    }
    EXPECT_EQ(tested.size(), 21u);
}

TEST(TrlsSplit, BadSplitsAreRefusedNamingWhy)
{
    auto d = toy();
    EXPECT_NE(message_of<std::invalid_argument>([&] { trls::split(d, 2, 0, 42, "windows"); })
                  .find("--folds 2: one part tests and the other validates"),
              std::string::npos);
    auto bare = d;
    bare.recordings.clear();
    EXPECT_NE(message_of<std::invalid_argument>([&] { trls::split(bare, 5, 0, 42, "recording"); })
                  .find("do not name their recording (expected epilepsy or epilepsy5"),
              std::string::npos);
    auto mixed = d;
    for (std::size_t i = 0; i < mixed.recordings.size(); ++i)
        if (mixed.y[static_cast<int64_t>(i)].item<int64_t>() == 1)
            mixed.recordings[i] = "c0/r0";
    EXPECT_NE(message_of<std::invalid_argument>([&] { trls::split(mixed, 5, 0, 42, "recording"); })
                  .find("recording c0/r0 holds windows of class a and b"),
              std::string::npos);
}

TEST(TrlsSplit, BonnRecordingsAre500Of23Windows)
{
    TFMED_REQUIRE_DATA(path, "bonn_eeg/epilepsy178/rows.csv");
    TrlsTrainConfig cfg;
    cfg.data = "epilepsy";
    cfg.data_dir = tfmed_test::data_dir();
    const auto d = trls::load(cfg);
    ASSERT_EQ(d.recordings.size(), 11500u);
    std::map<std::string, int> per;
    for (const auto& r : d.recordings)
        per[r]++;
    EXPECT_EQ(per.size(), 500u);
    for (const auto& [r, n] : per)
        EXPECT_EQ(n, 23) << r;
    EXPECT_EQ(per.count("raw/S/S001.txt"), 1u);
    // TS-TCC's split tests windows whose recordings also train; whole
    // recordings do not: 20 of the 100 seizure and 80 of the 400 others.
    const auto w = trls::split(d, 5, 0, 42, "windows");
    std::set<std::string> train_recs;
    for (auto i : w.train)
        train_recs.insert(d.recordings[static_cast<std::size_t>(i)]);
    int shared = 0;
    for (auto i : w.test)
        shared += train_recs.count(d.recordings[static_cast<std::size_t>(i)]) > 0;
    EXPECT_GT(shared, 2000); // of 2300
    const auto p = trls::split(d, 5, 0, 42, "recording");
    train_recs.clear();
    for (auto i : p.train)
        train_recs.insert(d.recordings[static_cast<std::size_t>(i)]);
    std::set<std::string> test_recs;
    for (auto i : p.test) {
        EXPECT_EQ(train_recs.count(d.recordings[static_cast<std::size_t>(i)]), 0u);
        test_recs.insert(d.recordings[static_cast<std::size_t>(i)]);
    }
    EXPECT_EQ(test_recs.size(), 100u);
    const auto c = counts(d, p.test);
    EXPECT_EQ(c.at(1), 20 * 23);
    EXPECT_EQ(c.at(0), 80 * 23);
}

TEST(TrlsScores, MacroF1OverThePresentClassesAsSklearn)
{
    // Classes 2..4 absent from truth and prediction (a small fold's test part):
    // sklearn's labels=None averages over {0, 1}: (0.8 + 2/3) / 2.
    const auto s = trls::scores({ 0, 0, 1, 1 }, { 0, 0, 1, 0 }, 5);
    EXPECT_NEAR(s.macro_f1, (0.8 + 2.0 / 3.0) / 2, 1e-12);
    EXPECT_DOUBLE_EQ(s.accuracy, 0.75);
    // A class predicted but never true counts (F1 0), as sklearn's.
    const auto t = trls::scores({ 0, 0, 1, 1 }, { 0, 2, 1, 1 }, 5);
    EXPECT_NEAR(t.macro_f1, (2.0 / 3.0 + 1.0 + 0.0) / 3, 1e-12);
    EXPECT_NE(message_of<std::invalid_argument>([&] { trls::scores({ 0, 5 }, { 0, 1 }, 5); }),
              "no error"); // labels outside the data set's classes
}

TEST(TrlsScores, ThePretrainingLossReportedIsTheKeptEncoders)
{
    LoopResult r;
    r.best_metric = 0.5;
    r.history_json = R"([{"epoch": 1, "lr": 3e-4, "train_loss": 1.0, "val_byol_loss": 0.5},
                         {"epoch": 2, "lr": 3e-4, "train_loss": 0.9, "val_byol_loss": 0.7}])";
    EXPECT_DOUBLE_EQ(trls::last_metric(r), 0.7);
    EXPECT_DOUBLE_EQ(trls::kept_metric(r, "last"), 0.7);
    EXPECT_DOUBLE_EQ(trls::kept_metric(r, "best"), 0.5);
    r.history_json.clear();
    EXPECT_TRUE(std::isnan(trls::last_metric(r)));
}

// Seven view pairs: the last fifth that validates is one pair. Its loss was
// skipped (the loss refused batches under 2 even in eval mode) and reported
// as 0, a perfect score that early stopping and "best" selection believed.
TEST(TrlsScores, OneValidationWindowHasItsLoss)
{
    TrlsTrainConfig cfg;
    cfg.scaling = "none";
    cfg.arch.hidden = 8;
    cfg.arch.f_h = 8;
    cfg.arch.proj_hidden = 16;
    cfg.arch.proj_out = 8;
    cfg.pretrain.epochs = 2;
    cfg.pretrain.batch = 4;
    cfg.threads = 1;
    cfg.device = "cpu";
    const auto dir = std::filesystem::temp_directory_path() / "tfmed_trls_one_val";
    std::filesystem::create_directories(dir);
    cfg.out = (dir / "views.tfm").string();
    models::TrlsOptions a = cfg.arch;
    a.length = 178;
    const int64_t n = 7, T = a.frames(), F = a.features();
    torch::manual_seed(3);
    const auto views = torch::rand({ n, 2, T, F });
    const auto r = train_trls_views(cfg, views.data_ptr<float>(), n, 178, 1, 173.61);
    ASSERT_TRUE(r.completed);
    EXPECT_EQ(r.val_windows, 1);
    EXPECT_TRUE(std::isfinite(r.pretrain_val_loss));
    EXPECT_GT(r.pretrain_val_loss, 0.01); // 2 - 2 cos of untrained networks: far from 0
    std::filesystem::remove_all(dir);
}

// A flowgraph's labels become the head's classes in order: {0, 5} made a
// head of six classes (four never seen), 1-based tags lost their names.
TEST(TrlsSplit, FlowgraphLabelsBecomeDenseClassIndices)
{
    torch::Tensor y;
    EXPECT_EQ(trls::dense_labels({ 0, 5, 0, 5, 5 }, y), (std::vector<std::string>{ "0", "5" }));
    EXPECT_TRUE(torch::equal(y, torch::tensor(std::vector<int64_t>{ 0, 1, 0, 1, 1 })));
    EXPECT_EQ(trls::dense_labels({ 3, 1, 2, 5, 4, 1 }, y),
              (std::vector<std::string>{ "1", "2", "3", "4", "5" })); // ECG5000's 1..5
    EXPECT_TRUE(torch::equal(y, torch::tensor(std::vector<int64_t>{ 2, 0, 1, 4, 3, 0 })));
    EXPECT_EQ(trls::dense_labels({ 1, 1, -2 }, y), (std::vector<std::string>{ "0", "1" }));
    EXPECT_TRUE(torch::equal(y, torch::tensor(std::vector<int64_t>{ 1, 1, 0 })));
    EXPECT_EQ(trls::dense_labels({ 1, 1, 1 }, y).size(), 1u); // one class: no head
}
