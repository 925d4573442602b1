/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SpecAR-Net's tasks on their benchmarks (models/specar_data.h): window
 * counts of each protocol (TSLib's data loaders), batches, the imputation
 * masks, the losses and the evaluation pass. Real data from ../shared/data;
 * skipped with a message when absent.
 */
#include "../support/data.h"
#include "../support/errors.h"

#include <tfmed/data/benchmarks.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/specar_data.h>

#include <gtest/gtest.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

using namespace tfmed;
using tfmed_test::message_of;

namespace {

models::SpecarOptions tiny(const std::string& task)
{
    models::SpecarOptions o;
    o.task = task;
    o.d_model = o.d_ff = 4;
    o.e_layers = 1;
    o.conv_layers = 2;
    o.n_fft = o.win_length = 4;
    o.enc_in = o.c_out = 7;
    o.seq_len = 96;
    if (task == "long_term_forecast") {
        o.pred_len = 24;
        o.label_len = 48;
    }
    return o;
}

std::vector<int64_t> range(int64_t n)
{
    std::vector<int64_t> v;
    for (int64_t i = 0; i < n; ++i)
        v.push_back(i);
    return v;
}

} // namespace

TEST(SpecarData, WindowStartsAndThinning)
{
    EXPECT_EQ(models::window_starts(0, 10, 4, 3), (std::vector<int64_t>{ 0, 3, 6 }));
    EXPECT_EQ(models::window_starts(5, 9, 4, 1), (std::vector<int64_t>{ 5 }));
    EXPECT_TRUE(models::window_starts(0, 3, 4, 1).empty());
    models::SpecarWindows w;
    w.task = "imputation";
    w.starts = range(10);
    w.thin(4);
    EXPECT_EQ(w.starts, (std::vector<int64_t>{ 0, 2, 5, 7 }));
    w.thin(0);
    EXPECT_EQ(w.size(), 4);
}

TEST(SpecarData, EttWindowsFollowTheInformerSplit)
{
    TFMED_REQUIRE_DATA(p, "ett/ETTh1.csv");
    const auto dir = tfmed_test::data_dir();
    auto f = tiny("long_term_forecast");
    f.pred_len = 96;
    const auto d = models::specar_data(dir, "ETTh1", f, "clean", "file", 1);
    // TSLib Dataset_ETT_hour: len = border2 - border1 - seq_len - pred_len + 1.
    EXPECT_EQ(d.train.size(), 8640 - 192 + 1);
    EXPECT_EQ(d.val.size(), (11520 - 8544) - 192 + 1);
    EXPECT_EQ(d.test.size(), (14400 - 11424) - 192 + 1);
    EXPECT_EQ(d.test.starts.front(), 11424);
    EXPECT_EQ(d.channel_names.back(), "OT");
    EXPECT_NEAR(d.sample_rate, 1.0 / 3600.0, 1e-12);
    const auto b = models::specar_batch(d.test, { 0, 5 }, torch::kCPU);
    ASSERT_EQ(b.x.sizes(), (std::vector<int64_t>{ 2, 96, 7 }));
    ASSERT_EQ(b.mark.sizes(), (std::vector<int64_t>{ 2, 96, 4 }));
    ASSERT_EQ(b.target.sizes(), (std::vector<int64_t>{ 2, 96, 7 }));
    EXPECT_TRUE(torch::equal(b.target[1], d.test.series.narrow(0, 11424 + 5 + 96, 96)));
    // Standardised with train statistics: train rows have mean 0, std 1.
    const auto tr = d.train.series.narrow(0, 0, 8640);
    EXPECT_LT(tr.mean(0).abs().max().item<float>(), 1e-4);
    EXPECT_NEAR(tr.std(0, false).mean().item<float>(), 1.0, 1e-4);

    const auto imp = models::specar_data(dir, "ETTh2", tiny("imputation"), "clean", "file", 4, 8);
    EXPECT_EQ(imp.train.size(), (8640 - 96) / 4 + 1);
    EXPECT_EQ(imp.val.size(), (11520 - 8544) - 96 + 1);
    EXPECT_EQ(imp.test.size(), ((14400 - 11424) - 96) / 8 + 1);
    auto nf = tiny("imputation");
    nf.time_features = 0;
    EXPECT_FALSE(models::specar_batch(models::specar_data(dir, "ETTh1", nf, "clean", "file", 1)
                                          .test,
                                      { 0 }, torch::kCPU)
                     .mark.defined());
}

TEST(SpecarData, NonFiniteCellsAreRefusedWhereTheyAre)
{
    // A NaN cell reached the scaler and every window: `tfmed eval specar`
    // printed MSE nan with exit 0, `train specar` blamed divergence.
    TFMED_REQUIRE_DATA(p, "ett/ETTh1.csv");
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / "tfmed_specar_nan";
    fs::create_directories(dir / "ett");
    std::ifstream in(tfmed_test::data_dir() + "/ett/ETTh1.csv");
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line))
        lines.push_back(line);
    ASSERT_GT(lines.size(), 14401u);
    for (const std::string cell : { "nan", "" }) {
        auto copy = lines;
        // Data row 5000, column MUFL (the third value): replaced.
        auto& l = copy[5000];
        std::size_t a = 0;
        for (int k = 0; k < 3; ++k)
            a = l.find(',', a) + 1;
        const std::size_t b = l.find(',', a);
        l = l.substr(0, a) + cell + l.substr(b);
        {
            std::ofstream out(dir / "ett" / "ETTh1.csv");
            for (const auto& x : copy)
                out << x << "\n";
        }
        EXPECT_EQ(message_of<std::runtime_error>(
                      [&] { data::load_ett(dir.string(), "ETTh1"); }),
                  (dir / "ett" / "ETTh1.csv").string() +
                      ": data row 5000, column 'MUFL': expected a finite value, found nan (a "
                      "missing or non-numeric cell)")
            << "cell '" << cell << "'";
    }
    fs::remove_all(dir);
}

TEST(SpecarData, ImputationMasksAreSeededAndHideAtTheRate)
{
    TFMED_REQUIRE_DATA(p, "ett/ETTh1.csv");
    const auto d =
        models::specar_data(tfmed_test::data_dir(), "ETTh1", tiny("imputation"), "clean", "file", 1);
    const auto idx = range(64);
    const auto a = models::specar_batch(d.train, idx, torch::kCPU, 0.25, 7);
    const auto b = models::specar_batch(d.train, idx, torch::kCPU, 0.25, 7);
    const auto c = models::specar_batch(d.train, idx, torch::kCPU, 0.25, 8);
    EXPECT_TRUE(torch::equal(a.mask, b.mask));
    EXPECT_FALSE(torch::equal(a.mask, c.mask));
    const double hidden = 1.0 - a.mask.mean().item<double>();
    EXPECT_NEAR(hidden, 0.25, 0.01); // 43,008 Bernoulli draws: sd 0.0021
    EXPECT_EQ(a.x.masked_select(a.mask == 0).abs().sum().item<float>(), 0.0f);
    EXPECT_TRUE(torch::equal(a.x.masked_select(a.mask > 0), a.target.masked_select(a.mask > 0)));
}

TEST(SpecarData, EvaluationMasksDoNotDependOnTheBatch)
{
    // `tfmed eval specar --batch 16` hid other points than `--batch 32`
    // (batch k drawn from seed + k): MSE 0.0976 against 0.1015 on 64 windows.
    TFMED_REQUIRE_DATA(p, "ett/ETTh1.csv");
    const auto o = tiny("imputation");
    auto d = models::specar_data(tfmed_test::data_dir(), "ETTh1", o, "clean", "file", 1);
    d.test.thin(70); // two whole blocks of 32 and a partial one of 6
    ASSERT_EQ(d.test.size(), 70);
    torch::manual_seed(5);
    models::SpecarNet net(o);
    net->eval();
    const auto a = models::specar_pass(net, d.test, 32, torch::kCPU, 0.25, 2021);
    for (const int64_t batch : { 1, 7, 16, 70 }) {
        SCOPED_TRACE(batch);
        const auto b = models::specar_pass(net, d.test, batch, torch::kCPU, 0.25, 2021);
        EXPECT_EQ(b.count, a.count);
        EXPECT_NEAR(b.sum_sq, a.sum_sq, 1e-6 * a.sum_sq); // (float kernels per batch size)
    }
    // A window alone has the mask it has in the pass: row i % 32 of block
    // i / 32's draw from seed + i / 32 (the last block drawn at its size).
    for (const int64_t i : { int64_t(0), int64_t(33), int64_t(69) }) {
        SCOPED_TRACE(i);
        const auto one = models::specar_batch(d.test, { i }, torch::kCPU, 0.25, 2021,
                                              models::kSpecarMaskBlock);
        const int64_t j = i / 32, size = std::min<int64_t>(32, 70 - j * 32);
        auto gen = at::detail::createCPUGenerator(2021 + j);
        const auto expect = (torch::rand({ size, 96, 7 }, gen)[i - j * 32] > 0.25).to(torch::kFloat);
        EXPECT_TRUE(torch::equal(one.mask[0], expect));
    }
    // The old pass at batch 32 (batch k from seed + k) is the new one: the
    // figures measured before keep their hidden points.
    auto gen = at::detail::createCPUGenerator(2021 + 1);
    const auto old = (torch::rand({ 32, 96, 7 }, gen) > 0.25).to(torch::kFloat);
    std::vector<int64_t> second;
    for (int64_t i = 32; i < 64; ++i)
        second.push_back(i);
    EXPECT_TRUE(torch::equal(models::specar_batch(d.test, second, torch::kCPU, 0.25, 2021, 32).mask,
                             old));
    // A pass needs a batch and a block.
    EXPECT_THROW(models::specar_pass(net, d.test, 0, torch::kCPU, 0.25), std::invalid_argument);
}

TEST(SpecarData, LossesAreTheReferenceCombinations)
{
    TFMED_REQUIRE_DATA(p, "ett/ETTh1.csv");
    const auto dir = tfmed_test::data_dir();
    torch::manual_seed(3);
    for (const std::string task : { "imputation", "long_term_forecast" }) {
        const auto o = tiny(task);
        models::SpecarNet net(o);
        net->eval(); // no dropout: repeated forwards agree
        const auto d = models::specar_data(dir, "ETTh1", o, "clean", "file", 1);
        const auto b = models::specar_batch(d.train, { 3, 40, 900 }, torch::kCPU, 0.3, 11);
        torch::NoGradGuard ng;
        const auto plain = models::specar_loss(net, b, 0.0).item<double>();
        const auto with = models::specar_loss(net, b, 0.5).item<double>();
        SCOPED_TRACE(task);
        if (task == "imputation") {
            const auto r = net->forward(b.x, b.mark, b.mask);
            const auto h = b.mask == 0;
            const auto mse =
                (r.out.masked_select(h) - b.target.masked_select(h)).pow(2).mean().item<double>();
            EXPECT_NEAR(plain, mse, 1e-6);
            EXPECT_NEAR(with - plain,
                        0.5 * models::top_loss(r.seq_series, "input", 96, 0).item<double>(), 1e-4);
        } else {
            const auto r = net->forward(b.x, b.mark);
            ASSERT_EQ(r.out.sizes(), (std::vector<int64_t>{ 3, 24, 7 }));
            EXPECT_NEAR(plain, (r.out - b.target).pow(2).mean().item<double>(), 1e-6);
            EXPECT_NEAR(with - plain,
                        0.5 * models::top_loss(r.seq_series, "prediction", 96, 24).item<double>(),
                        1e-4);
        }
    }
}

TEST(SpecarData, UeaLayoutAndProtocols)
{
    TFMED_REQUIRE_DATA(p, "uea/JapaneseVowels/JapaneseVowels_TRAIN.ts");
    const auto dir = tfmed_test::data_dir();
    models::SpecarOptions o;
    o.task = "classification";
    const auto ref = models::specar_data(dir, "JapaneseVowels", o, "reference", "file", 1);
    EXPECT_EQ(ref.seq_len, 29);
    EXPECT_EQ(ref.train.size(), 270);
    EXPECT_EQ(ref.val.size(), 370); // validation = TEST (the reference)
    EXPECT_EQ(ref.test.size(), 370);
    EXPECT_EQ(ref.class_names.size(), 9u);
    EXPECT_EQ(ref.channel_names.size(), 12u);
    ASSERT_EQ(ref.train.x.sizes(), (std::vector<int64_t>{ 270, 29, 12 }));
    // Per-file standardisation over the unpadded rows (sample std); padding 0.
    for (const auto* w : { &ref.train, &ref.test }) {
        const auto rows =
            w->x.reshape({ -1, 12 }).index_select(0, w->mask.reshape({ -1 }).nonzero().flatten());
        EXPECT_LT(rows.mean(0).abs().max().item<float>(), 1e-4);
        EXPECT_NEAR(rows.std(0, true).min().item<float>(), 1.0, 1e-4);
        EXPECT_EQ((w->x * (1 - w->mask).unsqueeze(-1)).abs().sum().item<float>(), 0.0f);
    }
    // JapaneseVowels cases are 7..29 steps long.
    EXPECT_EQ(ref.train.mask.sum(1).min().item<float>(), 7.0f);
    const auto clean = models::specar_data(dir, "JapaneseVowels", o, "clean", "file", 1);
    EXPECT_EQ(clean.train.size(), 216); // every fifth case of each class validates
    EXPECT_EQ(clean.val.size(), 54);
    std::map<int64_t, int> per_class;
    for (int64_t i = 0; i < clean.val.size(); ++i)
        per_class[clean.val.y[i].item<int64_t>()]++;
    EXPECT_EQ(per_class.size(), 9u);
    for (const auto& [k, n] : per_class)
        EXPECT_EQ(n, 6) << "class " << k;
    // The train statistics applied to TEST: its mean is no longer exactly 0.
    const auto tn = models::specar_data(dir, "JapaneseVowels", o, "reference", "train", 1);
    EXPECT_TRUE(torch::allclose(tn.train.x, ref.train.x));
    EXPECT_FALSE(torch::allclose(tn.test.x, ref.test.x, 1e-3, 1e-3));
}

TEST(SpecarData, MslProtocolsAndTheEnergyPass)
{
    TFMED_REQUIRE_DATA(p, "msl/labeled_anomalies.csv");
    const auto dir = tfmed_test::data_dir();
    models::SpecarOptions o; // the MSL preset's shape: 55 channels, window 100
    o.d_model = o.d_ff = 4;
    o.e_layers = 1;
    o.conv_layers = 2;
    const auto clean = models::specar_data(dir, "msl", o, "clean", "file", 7);
    const auto ref = models::specar_data(dir, "msl", o, "reference", "file", 1);
    const int64_t rows = clean.calibration.series.size(0);
    const int64_t test_rows = clean.test.series.size(0);
    const int64_t fit = rows - rows / 5;
    EXPECT_EQ(clean.train.size(), (fit - 100) / 7 + 1);
    EXPECT_EQ(clean.val.size(), (rows - fit) / 100);
    EXPECT_EQ(ref.train.size(), rows - 100 + 1);
    EXPECT_EQ(ref.val.size(), test_rows / 100); // validation = test (the reference)
    EXPECT_EQ(clean.test.size(), test_rows / 100);
    EXPECT_EQ(clean.calibration.size(), rows / 100);
    EXPECT_EQ(clean.test.y.size(0), test_rows);
    EXPECT_EQ(clean.channel_names.size(), 55u);

    torch::manual_seed(1);
    models::SpecarNet net(o);
    net->eval();
    auto w = clean.test;
    w.thin(5);
    const auto t = models::specar_pass(net, w, 2, torch::kCPU);
    ASSERT_EQ(t.energy.size(), 500u);
    ASSERT_EQ(t.count, 500 * 55);
    double mean_energy = 0;
    for (float e : t.energy)
        mean_energy += e;
    EXPECT_NEAR(mean_energy / 500.0, t.mse(), 1e-6 * t.mse()); // energy = mean over channels
    // A stop (a cancelled training's calibration) ends the pass at a batch.
    std::atomic<bool> stop{ true };
    const auto s = models::specar_pass(net, w, 2, torch::kCPU, 0.0, 2021,
                                       models::kSpecarMaskBlock, &stop);
    EXPECT_EQ(s.count, 0);
    EXPECT_TRUE(s.energy.empty());
}

TEST(SpecarData, RefusesDataThatDoesNotServeTheTask)
{
    models::SpecarOptions o;
    o.task = "classification";
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { models::specar_data("/nonexistent", "msl", o, "clean", "file", 1); }),
              "--data msl serves --task anomaly; found task 'classification'");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { models::specar_data("/nonexistent", "ETTh3", o, "clean", "file", 1); }),
              "--data: expected msl, JapaneseVowels, BasicMotions, ETTh1 or ETTh2, found 'ETTh3'");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { models::specar_data("/nonexistent", "msl", o, "final", "file", 1); }),
              "--protocol: expected clean or reference, found 'final'");
    o.task = "imputation";
    o.time_features = 3;
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { models::specar_data("/nonexistent", "ETTh1", o, "clean", "file", 1); }),
              "--time-features: ETT gives 4 (timeF at freq h) or 0, found 3");
}

// The ETT loader's StandardScaler is the one of MSL (data::column_scale): fitted
// on the 8,640 training rows, a constant column keeps scale 1 (sklearn) instead
// of turning every value into NaN. A fixture written here, always run.
TEST(SpecarData, EttScalerFitsTrainRowsAndKeepsAConstantColumn)
{
    namespace fs = std::filesystem;
    const auto dir = fs::path(::testing::TempDir()) / "tfmed_ett_constant";
    fs::remove_all(dir);
    fs::create_directories(dir / "ett");
    {
        std::ofstream f(dir / "ett" / "ETTh1.csv");
        f << "date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT\n";
        for (int r = 0; r < 14400; ++r) {
            const int day = r / 24, hour = r % 24;
            char date[32];
            std::snprintf(date, sizeof date, "2016-%02d-%02d %02d:00:00", 1 + day / 28 % 12,
                          1 + day % 28, hour);
            f << date << ',' << r % 7 << ",0.1";
            for (int c = 2; c < 7; ++c)
                f << ',' << (r < 8640 ? (r % 2 ? 1.0 : -1.0) * c : 100.0 + c);
            f << '\n';
        }
    }
    const auto s = data::load_ett(dir.string(), "ETTh1");
    fs::remove_all(dir);
    EXPECT_EQ(s.mean[1].item<float>(), 0.1f);
    EXPECT_EQ(s.std[1].item<float>(), 1.0f); // constant (0.1 is inexact): scale 1, values 0
    EXPECT_TRUE(torch::isfinite(s.values).all().item<bool>());
    EXPECT_EQ(s.values.select(1, 1).abs().max().item<float>(), 0.0f);
    // Column 2 alternates -2, 2 on the training rows: mean 0, population std 2;
    // the later rows (102) are scaled with the training statistics.
    EXPECT_NEAR(s.std[2].item<float>(), 2.0, 1e-6);
    EXPECT_NEAR(s.values[0][2].item<float>(), -1.0, 1e-6);
    EXPECT_NEAR(s.values[9000][2].item<float>(), 51.0, 1e-4);
}
