/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TRLS (models/trls.h, dsp/augment.h): the augmentations against torchvision's
 * functional ops and their random draws against the documented distributions;
 * the front end, the TFRNN encoder, the classifier and the BYOL loss against
 * the Python twin for fixed weights (tests/golden/gen_trls_golden.py); shapes,
 * parameter counts by hand, the EMA update and bad options.
 */
#include "../support/errors.h"
#include "../support/npy.h"
#include "../support/state_dict.h"

#include <tfmed/dsp/augment.h>
#include <tfmed/engine/trls_engine.h>
#include <tfmed/models/fused_lstm.h>
#include <tfmed/models/trls.h>
#include <tfmed/models/trls_card.h>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

using namespace tfmed;
using tfmed_test::load_npy;
using tfmed_test::message_of;

namespace {

std::string golden_dir()
{
    const char* d = std::getenv("TFMED_GOLDEN_DIR");
    return d ? d : "";
}

bool have_golden()
{
    return !golden_dir().empty() && std::filesystem::exists(golden_dir() + "/cases.json");
}

#define REQUIRE_GOLDEN()                                                                     \
    if (!have_golden())                                                                      \
    GTEST_SKIP() << "no TRLS golden files (tests/golden/gen_trls_golden.py needs "           \
                    "python3-torch and python3-torchvision)"

// Copy every parameter and buffer by name; the name sets must be equal.
void load_into(torch::nn::Module& m, const std::map<std::string, torch::Tensor>& sd)
{
    torch::NoGradGuard ng;
    std::map<std::string, torch::Tensor> own;
    for (const auto& p : m.named_parameters())
        own[p.key()] = p.value();
    for (const auto& b : m.named_buffers())
        own[b.key()] = b.value();
    ASSERT_EQ(own.size(), sd.size());
    for (auto& [k, t] : own) {
        ASSERT_TRUE(sd.count(k)) << "the twin has no " << k;
        ASSERT_EQ(sd.at(k).sizes(), t.sizes()) << k;
        t.copy_(sd.at(k));
    }
}

models::TrlsOptions options_of(const nlohmann::json& c)
{
    models::TrlsOptions o;
    o.channels = c["channels"];
    o.length = c["length"];
    o.n_fft = c["n_fft"];
    o.hop = c["hop"];
    o.multichannel = c["multichannel"];
    o.freq_norm = c["freq_norm"];
    o.rnn = c["rnn"];
    o.hidden = c["hidden"];
    o.blocks = c["blocks"];
    o.f_h = c["f_h"];
    o.scales = c["scales"];
    o.dropout = c["dropout"];
    o.proj_hidden = c["proj_hidden"];
    o.proj_out = c["proj_out"];
    o.num_class = c["num_class"];
    return o;
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, double tol, const char* what)
{
    ASSERT_EQ(a.sizes(), b.sizes()) << what;
    const double d = (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
    EXPECT_LE(d, tol) << what;
}

} // namespace

TEST(TrlsAugment, FixedParametersEqualTorchvision)
{
    REQUIRE_GOLDEN();
    const std::string dir = golden_dir() + "/augment";
    const auto img = load_npy(dir + "/img.npy");
    ASSERT_EQ(img.sizes(), (torch::IntArrayRef{ 1, 17, 23 }));
    std::ifstream f(dir + "/cases.json");
    const auto cases = nlohmann::json::parse(f);
    ASSERT_EQ(cases.size(), 7u);
    int clamped = 0;
    for (const auto& [name, c] : cases.items()) {
        SCOPED_TRACE(name);
        const auto want = load_npy(dir + "/" + c["file"].get<std::string>());
        torch::Tensor got;
        const std::string op = c["op"];
        if (op == "brightness")
            got = augment::brightness(img, c["arg"].get<double>());
        else if (op == "contrast")
            got = augment::contrast(img, c["arg"].get<double>());
        else if (op == "blur")
            got = augment::gaussian_blur(img, c["arg"][0].get<int64_t>(), c["arg"][1].get<double>());
        else
            got = augment::time_flip(img);
        expect_close(got, want, 2e-7, name.c_str());
        clamped += (want == 1.0f).sum().item<int64_t>() > 1;
    }
    EXPECT_GE(clamped, 2) << "the cases must exercise the clamp at 1";
    // A batch (N, F, T) gives each image its own contrast mean.
    auto two = torch::cat({ img, img * 0.5 });
    auto c2 = augment::contrast(two, 0.7);
    expect_close(c2[0], augment::contrast(img, 0.7)[0], 0, "batch contrast 0");
    expect_close(c2[1], augment::contrast(img * 0.5, 0.7)[0], 0, "batch contrast 1");
}

TEST(TrlsAugment, MasksAndBadArguments)
{
    auto img = torch::rand({ 2, 5, 7 });
    auto t = augment::time_mask(img, 2, 3);
    EXPECT_EQ(t.narrow(2, 2, 3).abs().sum().item<double>(), 0.0);
    EXPECT_TRUE(torch::equal(t.narrow(2, 0, 2), img.narrow(2, 0, 2)));
    auto fm = augment::freq_mask(img, 4, 1, 0.5);
    EXPECT_TRUE(torch::all(fm.narrow(1, 4, 1) == 0.5).item<bool>());
    EXPECT_NE(message_of<std::invalid_argument>([&] { augment::time_mask(img, 5, 3); }).find("start + width <= 7"),
              std::string::npos);
    EXPECT_NE(message_of<std::invalid_argument>([&] { augment::gaussian_blur(img, 4, 1.0); }).find("odd kernel"),
              std::string::npos);
    EXPECT_NE(message_of<std::invalid_argument>([&] { augment::gaussian_blur(img, 11, 1.0); }).find("5 x 7"),
              std::string::npos);
    EXPECT_NE(message_of<std::invalid_argument>([&] { augment::brightness(img, -1); }).find("factor >= 0"),
              std::string::npos);
    augment::ViewOptions v;
    v.flip_p = 1.5;
    EXPECT_NE(message_of<std::invalid_argument>([&] { v.validate(); }).find("flip_p: expected a probability in [0, 1], found 1.5"),
              std::string::npos);
    EXPECT_NE(message_of<std::invalid_argument>([&] { augment::view(img, augment::ViewOptions(), 1, { 0 }, 0); })
                  .find("expected 2 sample ids, found 1"),
              std::string::npos);
}

TEST(TrlsAugment, DrawsFollowTheDocumentedDistributions)
{
    // n draws per check; a proportion p is within 5 sigma of its expectation.
    const int n = 20000;
    auto v1 = augment::ViewOptions::view1();
    auto v2 = augment::ViewOptions::view2();
    v2.time_mask = 6;
    v2.freq_mask = 4;
    int jit = 0, flip1 = 0, flip2 = 0, cfirst = 0, blur = 0;
    double bsum = 0, bmin = 9, bmax = 0, csum = 0, ssum = 0, smin = 9, smax = 0;
    std::vector<int> tw(7, 0);
    int64_t tw_over = 0, fs_over = 0;
    for (int i = 0; i < n; ++i) {
        const auto a = augment::draw_view(v1, 17, 23, 42, static_cast<uint64_t>(i), 0);
        const auto b = augment::draw_view(v2, 17, 23, 42, static_cast<uint64_t>(i), 1);
        if (a.jitter) {
            ++jit;
            bsum += a.brightness;
            csum += a.contrast;
            bmin = std::min(bmin, a.brightness);
            bmax = std::max(bmax, a.brightness);
            cfirst += a.contrast_first;
        }
        flip1 += a.flip;
        flip2 += b.flip;
        EXPECT_FALSE(a.blur);
        EXPECT_FALSE(b.jitter);
        blur += b.blur;
        ssum += b.sigma;
        smin = std::min(smin, b.sigma);
        smax = std::max(smax, b.sigma);
        tw[static_cast<std::size_t>(b.time_width)]++;
        tw_over += b.time_start + b.time_width > 23;
        fs_over += b.freq_start + b.freq_width > 17;
    }
    auto within = [&](double count, double p, int trials) {
        const double sd = std::sqrt(trials * p * (1 - p));
        return std::abs(count - trials * p) <= 5 * sd;
    };
    EXPECT_TRUE(within(jit, 0.8, n)) << jit;
    EXPECT_TRUE(within(flip1, 0.5, n)) << flip1;
    EXPECT_TRUE(within(flip2, 0.5, n)) << flip2;
    EXPECT_TRUE(within(cfirst, 0.5, jit)) << cfirst;
    EXPECT_EQ(blur, n);
    // U[0.6, 1.4]: mean 1, sd 0.8 / sqrt(12); U[0.1, 2]: mean 1.05.
    EXPECT_NEAR(bsum / jit, 1.0, 5 * 0.8 / std::sqrt(12.0 * jit));
    EXPECT_NEAR(csum / jit, 1.0, 5 * 0.8 / std::sqrt(12.0 * jit));
    EXPECT_NEAR(ssum / n, 1.05, 5 * 1.9 / std::sqrt(12.0 * n));
    EXPECT_GE(bmin, 0.6);
    EXPECT_LT(bmax, 1.4);
    EXPECT_LT(bmin, 0.61);
    EXPECT_GT(bmax, 1.39);
    EXPECT_GE(smin, 0.1);
    EXPECT_LT(smax, 2.0);
    // Mask widths uniform on 0..6, always inside the image.
    for (int w = 0; w <= 6; ++w)
        EXPECT_TRUE(within(tw[static_cast<std::size_t>(w)], 1.0 / 7, n)) << w << " " << tw[w];
    EXPECT_EQ(tw_over, 0);
    EXPECT_EQ(fs_over, 0);
    // Reproducible per (seed, id, view), independent of the batch.
    const auto x = torch::rand({ 3, 17, 23 });
    const auto a = augment::view(x, v1, 5, { 10, 11, 12 }, 0);
    const auto b = augment::view(x.narrow(0, 1, 1), v1, 5, { 11 }, 0);
    EXPECT_TRUE(torch::equal(a[1], b[0]));
    EXPECT_FALSE(torch::equal(a, augment::view(x, v1, 6, { 10, 11, 12 }, 0)));
}

TEST(TrlsAugment, TimeDomainBaselines)
{
    auto x = torch::randn({ 4, 2, 50 });
    const std::vector<int64_t> ids{ 0, 1, 2, 3 };
    // Permutation keeps every sample (a rearrangement per channel, same for both channels).
    const auto p = augment::time_domain(x, "permutation", 0, 5, 3, ids);
    for (int n = 0; n < 4; ++n)
        for (int c = 0; c < 2; ++c)
            EXPECT_TRUE(torch::equal(std::get<0>(p[n][c].sort()), std::get<0>(x[n][c].sort())));
    // Scaling: one factor per channel.
    const auto s = augment::time_domain(x, "scaling", 0.1, 0, 3, ids);
    const auto k = s / x;
    EXPECT_LT((k - k.mean(2, true)).abs().max().item<double>(), 1e-4);
    // Jitter: residual sd close to sigma over 400 points.
    const auto big = torch::zeros({ 8, 1, 5000 });
    const auto j = augment::time_domain(big, "jitter", 0.3, 0, 3, { 0, 1, 2, 3, 4, 5, 6, 7 });
    EXPECT_NEAR(j.std().item<double>(), 0.3, 0.005);
    EXPECT_NEAR(j.mean().item<double>(), 0.0, 0.005);
    EXPECT_NE(message_of<std::invalid_argument>([&] { augment::time_domain(x, "warp", 0.1, 0, 3, ids); })
                  .find("jitter, scaling or permutation, found 'warp'"),
              std::string::npos);
    // Two views of a batch differ (one stream per sample served both, so a
    // BYOL pair of time-domain views was one view twice); a view repeats.
    const auto v0 = augment::time_domain(x, "jitter", 0.1, 0, 3, ids, 0);
    const auto v1 = augment::time_domain(x, "jitter", 0.1, 0, 3, ids, 1);
    EXPECT_FALSE(torch::equal(v0, v1));
    EXPECT_TRUE(torch::equal(v1, augment::time_domain(x, "jitter", 0.1, 0, 3, ids, 1)));
    // Refused up front: an unknown kind with no sample, a series of no point.
    EXPECT_THROW(augment::time_domain(torch::zeros({ 0, 1, 5 }), "warp", 0.1, 0, 3, {}),
                 std::invalid_argument);
    EXPECT_THROW(augment::time_domain(torch::zeros({ 1, 1, 0 }), "permutation", 0, 3, 3, { 0 }),
                 std::invalid_argument);
}

TEST(Trls, FrontEndEqualsTheTwin)
{
    REQUIRE_GOLDEN();
    const auto x = load_npy(golden_dir() + "/front/x.npy");
    models::TrlsOptions o;
    o.channels = 2;
    o.length = 64;
    o.n_fft = 16;
    o.scales = 3;
    const auto img = models::spectrogram(x, o);
    ASSERT_EQ(img.sizes(), (torch::IntArrayRef{ 3, 18, 17 }));
    expect_close(img, load_npy(golden_dir() + "/front/img.npy"), 2e-6, "front end");
    EXPECT_NEAR(img[0].min().item<double>(), 0.0, 0.0);
    EXPECT_NEAR(img[0].max().item<double>(), 1.0, 1e-7);
    auto od = o;
    od.image_norm = "dataset";
    od.image_lo = 0.5;
    od.image_hi = 2.5;
    expect_close(models::spectrogram(x, od), load_npy(golden_dir() + "/front/img_dataset.npy"),
                 2e-6, "front end, dataset scaling");
    od.image_hi = 0.5;
    EXPECT_NE(message_of<std::invalid_argument>([&] { od.validate(); })
                  .find("expected finite image_lo < image_hi"),
              std::string::npos);
    // A constant series has max == min: zeros, not NaN.
    EXPECT_EQ(models::spectrogram(torch::zeros({ 1, 2, 64 }), o).abs().sum().item<double>(), 0.0);
    EXPECT_NE(message_of<std::invalid_argument>([&] { models::spectrogram(torch::zeros({ 1, 3, 64 }), o); })
                  .find("expected series (N, 2, 64), found [1, 3, 64]"),
              std::string::npos);
}

TEST(Trls, NetworksEqualTheTwin)
{
    REQUIRE_GOLDEN();
    std::ifstream f(golden_dir() + "/cases.json");
    const auto cases = nlohmann::json::parse(f);
    int n = 0;
    for (const auto& [name, c] : cases.items()) {
        if (name[0] == '_')
            continue;
        ++n;
        SCOPED_TRACE(name);
        const std::string dir = golden_dir() + "/" + name;
        const auto o = options_of(c["config"]);
        torch::NoGradGuard ng;
        models::TrlsClassifier clf(o);
        load_into(*clf, tfmed_test::read_state_dict(dir + "/state_dict.pt"));
        clf->eval();
        EXPECT_EQ(models::count_parameters(*clf), c["classifier_parameters"].get<int64_t>());
        const auto img = load_npy(dir + "/img.npy");
        expect_close(clf->embed(img), load_npy(dir + "/emb.npy"), 2e-5, "embedding");
        expect_close(clf->forward(img), load_npy(dir + "/logits.npy"), 2e-5, "logits");

        auto po = o;
        po.dropout = 0.0;
        models::Trls trls(po);
        load_into(*trls, tfmed_test::read_state_dict(dir + "/trls_state_dict.pt"));
        trls->train();
        EXPECT_EQ(models::count_parameters(*trls), c["trls_parameters"].get<int64_t>());
        std::ifstream lf(dir + "/losses.json");
        const auto losses = nlohmann::json::parse(lf);
        const auto v1 = load_npy(dir + "/v1.npy"), v2 = load_npy(dir + "/v2.npy");
        // LibTorch's LSTM is the twin's: equal to 2e-5. The fused recurrence rounds
        // differently (about 1e-7 in the embeddings, equal above to 2e-5); the
        // projectors' BatchNorm over 4 windows and the negatives' logits / 0.2
        // magnify that in the loss: equal to 3e-5 of its size. With freq_norm "time"
        // R_1 is nearly the same for every window, so that BatchNorm divides the
        // rounding by a small spread: 6e-5 there (measured 3.5e-5).
        const bool by_time = c["config"]["freq_norm"] == "time";
        for (const bool fused : { false, true }) {
            SCOPED_TRACE(fused ? "fused LSTM" : "LibTorch LSTM");
            models::set_fused_lstm(fused);
            const double a = losses["loss"].get<double>(), b = losses["loss_negatives"].get<double>();
            const double rel = fused ? (by_time ? 6e-5 : 3e-5) : 0.0;
            EXPECT_NEAR(trls->loss(v1, v2).item<double>(), a, 2e-5 + rel * std::abs(a));
            EXPECT_NEAR(trls->loss(v1, v2, 0.5).item<double>(), b, 2e-5 + rel * std::abs(b));
        }
        models::set_fused_lstm(true);
    }
    EXPECT_EQ(n, 7);
}

TEST(Trls, ParameterCountsByHand)
{
    // Epilepsy default: 1 channel, 178 samples, n_fft 32 (17 bins), hop 8 -> 23 frames.
    models::TrlsOptions o;
    o.num_class = 2;
    ASSERT_EQ(o.features(), 17);
    ASSERT_EQ(o.frames(), 23);
    const int64_t H = 64, F = 17, T = 23;
    auto lstm = [&](int64_t in) { return 4 * H * (in + H) + 8 * H; };
    // The frequency path's LayerNorm has 2 F parameters (over the bins, the
    // default) or 2 T (over the frames: freq_norm "time").
    const int64_t block = lstm(F) + (H * F + F) + 2 * F + lstm(T) + (H * T + T) + 2 * F;
    const int64_t encoder = 3 * block + (F * 64 + 64);
    models::TrlsClassifier clf(o);
    EXPECT_EQ(models::count_parameters(*clf), encoder + 5 * 64 * 2 + 2);
    EXPECT_EQ(encoder + 5 * 64 * 2 + 2, 141894);
    {
        auto ot = o;
        ot.freq_norm = "time";
        models::TrlsClassifier clf_time(ot);
        EXPECT_EQ(models::count_parameters(*clf_time), encoder + 3 * 2 * (T - F) + 5 * 64 * 2 + 2);
        EXPECT_EQ(models::count_parameters(*clf_time), 141930); // the first version's
    }
    auto mlp = [](int64_t in, int64_t hid, int64_t out) {
        return in * hid + hid + 2 * hid + hid * out + out;
    };
    models::Trls trls(o);
    EXPECT_EQ(models::count_parameters(*trls),
              2 * encoder + 5 * (2 * mlp(64, 256, 128) + mlp(128, 256, 128)));
    // Only the online half trains.
    EXPECT_EQ(models::count_parameters(*trls, true),
              encoder + 5 * (mlp(64, 256, 128) + mlp(128, 256, 128)));
    if (have_golden()) {
        std::ifstream f(golden_dir() + "/cases.json");
        const auto e = nlohmann::json::parse(f)["_epilepsy_default"];
        EXPECT_EQ(models::count_parameters(*clf), e["classifier_parameters"].get<int64_t>());
        EXPECT_EQ(models::count_parameters(*trls), e["trls_parameters"].get<int64_t>());
    }
}

TEST(Trls, ShapesEmaAndOptions)
{
    models::TrlsOptions o;
    o.channels = 3;
    o.length = 128;
    o.n_fft = 32;
    o.hidden = 16;
    o.f_h = 12;
    o.proj_hidden = 32;
    o.proj_out = 16;
    o.num_class = 6;
    for (const char* mc : { "stack", "features" }) {
        o.multichannel = mc;
        models::TrlsClassifier clf(o);
        const auto img = models::spectrogram(torch::randn({ 5, 3, 128 }), o);
        ASSERT_EQ(img.sizes(), (torch::IntArrayRef{ 5, 51, 17 }));
        EXPECT_EQ(clf->embed(img).sizes(), (torch::IntArrayRef{ 5, 60 }));
        EXPECT_EQ(clf->forward(img).sizes(), (torch::IntArrayRef{ 5, 6 }));
    }
    // EMA: target <- 0.7 target + 0.3 online, the online half untouched.
    models::Trls t(o);
    {
        torch::NoGradGuard ng;
        for (auto& p : t->encoder->parameters())
            p.add_(1.0);
    }
    const auto before_t = t->target_encoder->parameters()[0].clone();
    const auto online = t->encoder->parameters()[0].clone();
    t->update_target(0.7);
    expect_close(t->target_encoder->parameters()[0], before_t * 0.7 + online * 0.3, 1e-6, "ema");
    EXPECT_TRUE(torch::equal(t->encoder->parameters()[0], online));
    EXPECT_FALSE(t->target_encoder->parameters()[0].requires_grad());
    // Bad options name the field.
    models::TrlsOptions bad;
    bad.scales = 6; // 23 frames cannot be halved 5 times
    EXPECT_NE(message_of<std::invalid_argument>([&] { bad.validate(); }).find("expected at least 32 frames"),
              std::string::npos);
    bad = models::TrlsOptions();
    bad.rnn = "transformer";
    EXPECT_NE(message_of<std::invalid_argument>([&] { bad.validate(); })
                  .find("expected lstm, gru, rnn or tcn, found 'transformer'"),
              std::string::npos);
    bad = models::TrlsOptions();
    bad.freq_norm = "frames";
    EXPECT_NE(message_of<std::invalid_argument>([&] { bad.validate(); })
                  .find("freq_norm: expected bins or time, found 'frames'"),
              std::string::npos);
    bad = models::TrlsOptions();
    bad.length = 10;
    EXPECT_NE(message_of<std::invalid_argument>([&] { bad.validate(); }).find("needs windows of at least 17 samples, found 10"),
              std::string::npos);
    models::TrlsClassifier enc(models::TrlsOptions{});
    EXPECT_NE(message_of<std::logic_error>([&] { enc->forward(torch::zeros({ 1, 17, 23 })); }).find("no linear head"),
              std::string::npos);
    EXPECT_NE(message_of<std::invalid_argument>([&] { enc->embed(torch::zeros({ 1, 17, 22 })); })
                  .find("expected spectrograms (B, 17, 23), found [1, 17, 22]"),
              std::string::npos);
    EXPECT_GT(models::tfrnn_forward_flops(models::TrlsOptions{}), 1e6);
}

// The card names the frequency-path norm; a card written before the option
// (no key) is a "time" model, whose LayerNorm weights have T entries.
TEST(Trls, CardFrequencyNorm)
{
    models::TrlsCard c;
    c.sample_rate = 173.61;
    c.channel_names = { "EEG" };
    EXPECT_EQ(models::TrlsCard::from_json(c.to_json()).arch.freq_norm, "bins");
    c.arch.freq_norm = "time";
    EXPECT_EQ(models::TrlsCard::from_json(c.to_json()).arch.freq_norm, "time");
    auto j = nlohmann::json::parse(models::TrlsCard().to_json());
    j["signal"]["sample_rate"] = 173.61;
    j["architecture"].erase("freq_norm");
    const auto old = models::TrlsCard::from_json(j.dump());
    EXPECT_EQ(old.arch.freq_norm, "time");
    models::TrlsClassifier clf(old.arch);
    EXPECT_EQ(clf->encoder->blocks[0]->as<models::TfrBlock>()->freq_norm->weight.size(0), 23);
    j["architecture"]["freq_norm"] = "bins";
    models::TrlsClassifier clf_bins(models::TrlsCard::from_json(j.dump()).arch);
    EXPECT_EQ(clf_bins->encoder->blocks[0]->as<models::TfrBlock>()->freq_norm->weight.size(0), 17);
}

// The card's stft section states the front end; numbers that the
// architecture does not give describe another STFT and are refused (the
// section's hop, n_fft and frame counts were not compared).
TEST(Trls, CardStftSectionMustMatchTheArchitecture)
{
    models::TrlsCard c;
    c.sample_rate = 173.61;
    const auto j = nlohmann::json::parse(c.to_json());
    EXPECT_NO_THROW(models::TrlsCard::from_json(j.dump()));
    const std::vector<std::pair<std::string, std::string>> cases = {
        { "hop", "model card: expected stft.hop 8 (from the architecture), found 3" },
        { "n_fft", "model card: expected stft.n_fft 32 (from the architecture), found 3" },
        { "frames", "model card: expected stft.frames 23 (from the architecture), found 3" },
        { "bins", "model card: expected stft.bins 17 (from the architecture), found 3" },
    };
    for (const auto& [key, want] : cases) {
        auto k = j;
        k["stft"][key] = 3;
        EXPECT_EQ(message_of<std::invalid_argument>([&] { models::TrlsCard::from_json(k.dump()); }),
                  want);
    }
    auto k = j;
    k["stft"]["center"] = false;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { models::TrlsCard::from_json(k.dump()); }),
              "model card: expected stft.center true (the TRLS front end), found false");
    // Dataset-wide image bounds without the bounds read as [0, 1]: nearly
    // every log1p magnitude (5 to 10) clamped to 1.
    k = j;
    k["architecture"]["image_norm"] = "dataset";
    k["architecture"]["image_lo"] = 0.5;
    k["architecture"]["image_hi"] = 9.0;
    EXPECT_EQ(models::TrlsCard::from_json(k.dump()).arch.image_hi, 9.0);
    k["architecture"].erase("image_hi");
    EXPECT_EQ(message_of<std::invalid_argument>([&] { models::TrlsCard::from_json(k.dump()); }),
              "model card: architecture.image_norm 'dataset' expected image_lo and image_hi (the "
              "training set's bounds), found image_lo only");
    // hop 0 is n_fft / 4: 0 for an FFT of 2 or 3 points, named as such.
    models::TrlsOptions o;
    o.n_fft = 3;
    o.hop = 0;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "trls hop: 0 means n_fft / 4, which is 0 for n_fft 3; expected a hop of 1 .. 3 "
              "for so short an FFT");
}

// The linear probe trains on standardised representations and is saved
// taking raw ones: the folded head's logits equal the standardised ones.
TEST(Trls, FoldStandardisation)
{
    torch::manual_seed(3);
    torch::nn::Linear head(7, 3);
    const auto f = torch::randn({ 50, 7 }) * torch::linspace(0.01, 30.0, 7) + 5.0;
    const auto mu = f.mean(0);
    const auto sd = f.std(0, false);
    torch::Tensor want;
    {
        torch::NoGradGuard ng;
        want = head->forward((f - mu) / sd);
    }
    models::fold_standardisation(head, mu, sd);
    torch::NoGradGuard ng;
    const auto got = head->forward(f);
    expect_close(got, want, 1e-4, "folded logits");
    EXPECT_TRUE(torch::equal(got.argmax(1), want.argmax(1)));
    // Bad statistics are named.
    EXPECT_NE(message_of<std::invalid_argument>([&] {
                  models::fold_standardisation(head, mu.narrow(0, 0, 6), sd);
              }).find("expected mu and sd of (7,), found [6] and [7]"),
              std::string::npos);
    EXPECT_NE(message_of<std::invalid_argument>([&] {
                  models::fold_standardisation(head, mu, sd * 0);
              }).find("expected every sd > 0, found 0"),
              std::string::npos);
}

// The fused CPU recurrence (models/fused_lstm.h) against LibTorch's LSTM with the
// same parameters: outputs and the gradients of input, weights and biases, for
// odd sizes (a remainder in every vector loop), the TFRNN's sizes, one sequence
// and many (the sequences spread over the threads).
TEST(Trls, FusedLstmEqualsLibTorchs)
{
    const char* cap = std::getenv("ATEN_CPU_CAPABILITY");
    std::printf("fused LSTM loops: %s (ATEN_CPU_CAPABILITY %s)\n", models::fused_lstm_isa().c_str(),
                cap ? cap : "unset");
    if (cap && std::string(cap) == "default")
        EXPECT_EQ(models::fused_lstm_isa(), "default");
    torch::manual_seed(7);
    struct Case {
        int64_t B, T, I, H;
    };
    for (const auto& c : { Case{ 3, 7, 5, 6 }, Case{ 1, 23, 17, 64 }, Case{ 33, 17, 23, 64 },
                           Case{ 2, 1, 4, 3 } }) {
        SCOPED_TRACE("B " + std::to_string(c.B) + " T " + std::to_string(c.T) + " I " +
                     std::to_string(c.I) + " H " + std::to_string(c.H));
        torch::nn::LSTM ref(torch::nn::LSTMOptions(c.I, c.H).batch_first(true));
        {
            // Larger weights than the default init drive the gates into saturation too.
            torch::NoGradGuard ng;
            for (auto& p : ref->parameters())
                p.uniform_(-1.5, 1.5);
        }
        const auto x0 = torch::randn({ c.B, c.T, c.I }) * 2;
        const auto dy = torch::randn({ c.B, c.T, c.H });
        auto x1 = x0.clone().requires_grad_(true);
        auto y1 = std::get<0>(ref->forward(x1));
        (y1 * dy).sum().backward();
        std::vector<torch::Tensor> g1 = { x1.grad() };
        for (auto& p : ref->all_weights()) {
            g1.push_back(p.grad().clone());
            p.mutable_grad().zero_();
        }
        auto x2 = x0.clone().requires_grad_(true);
        const auto w = ref->all_weights();
        auto y2 = models::fused_lstm(x2, w[0], w[1], w[2], w[3]);
        // Equal to 2e-5 (gradients 3e-5 of their largest): saturated gates over 17
        // steps of pre-activations up to about 30 leave float32 rounding of that
        // order, and the reference's BLAS sums in a CPU-dependent order (the
        // baseline instance on an Emerald Rapids Xeon: output 1.14e-5 off, d input
        // 1.15 x its former bound of 2e-5 of the largest; other CPUs were within
        // 1e-5).
        expect_close(y2, y1, 2e-5, "output");
        (y2 * dy).sum().backward();
        std::vector<torch::Tensor> g2 = { x2.grad() };
        for (auto& p : ref->all_weights())
            g2.push_back(p.grad());
        const char* names[] = { "d input", "d weight_ih", "d weight_hh", "d bias_ih",
                                "d bias_hh" };
        for (std::size_t k = 0; k < g1.size(); ++k) {
            const double scale = std::max(1.0, g1[k].abs().max().item<double>());
            expect_close(g2[k], g1[k], 3e-5 * scale, names[k]);
        }
        // Without grad: the same output, nothing recorded.
        torch::NoGradGuard ng;
        const auto y3 = models::fused_lstm(x0, w[0], w[1], w[2], w[3]);
        EXPECT_FALSE(y3.requires_grad());
        expect_close(y3, y1.detach(), 2e-5, "output without grad");
    }
    // The TFRNN with and without it: the same embedding and the same BYOL gradients.
    models::TrlsOptions o;
    o.dropout = 0.0;
    models::Trls net(o);
    net->train();
    auto v1 = torch::rand({ 8, 17, 23 });
    const auto v2 = torch::rand({ 8, 17, 23 });
    std::vector<std::string> names = { "loss" };
    auto grads = [&](bool fused) {
        models::set_fused_lstm(fused);
        net->zero_grad();
        const auto l = net->loss(v1, v2);
        l.backward();
        std::vector<torch::Tensor> g = { l.detach() };
        for (auto& p : net->encoder->named_parameters()) {
            g.push_back(p.value().grad().clone());
            names.push_back(p.key());
        }
        return g;
    };
    // The BYOL loss is ill-conditioned in places (the last LayerNorm's gain, the
    // reduction's bias under BatchNorm): there LibTorch's own gradients move by
    // as much when the input moves by 1e-6. So each gradient must agree to
    // 2e-5 of its size, or within 4x LibTorch's own response to that nudge.
    const auto ga = grads(false), gb = grads(true);
    const auto keep = v1.clone();
    v1.add_(torch::randn_like(v1) * 1e-6);
    const auto gc = grads(false);
    v1.copy_(keep);
    models::set_fused_lstm(true);
    ASSERT_TRUE(models::fused_lstm_enabled());
    ASSERT_EQ(ga.size(), gb.size());
    for (std::size_t k = 0; k < ga.size(); ++k) {
        const double size = ga[k].abs().max().item<double>();
        const double nudge = (gc[k] - ga[k]).abs().max().item<double>();
        const double d = (gb[k] - ga[k]).abs().max().item<double>();
        EXPECT_LE(d, std::max(2e-5 * size, 4 * nudge)) << names[k];
    }
    // Bad input names what was expected.
    const auto w = torch::zeros({ 8, 2 });
    EXPECT_NE(message_of<std::invalid_argument>([&] {
                  models::fused_lstm(torch::zeros({ 1, 3, 5 }), torch::zeros({ 8, 4 }), w,
                                     torch::zeros({ 8 }), torch::zeros({ 8 }));
              }).find("expected weight_ih (8, 5), found [8, 4]"),
              std::string::npos);
    EXPECT_NE(message_of<std::invalid_argument>([&] {
                  models::fused_lstm(torch::zeros({ 1, 3, 4 }, torch::kDouble),
                                     torch::zeros({ 8, 4 }), w, torch::zeros({ 8 }),
                                     torch::zeros({ 8 }));
              }).find("expected float32, found Double"),
              std::string::npos);
}

// Building an engine set the constructing thread's LibTorch thread count to
// the engine's (with an OpenMP LibTorch, the count new threads start with):
// a GUI that built a one-thread encoder ran everything after on one thread.
TEST(Trls, AnEngineLeavesItsBuildersThreadsAlone)
{
    const auto path = (std::filesystem::temp_directory_path() / "tfmed_trls_engine_threads.tfm")
                          .string();
    engine::UntrainedTrls u;
    engine::write_untrained_trls(path, u, 1);
    const int before = at::get_num_threads();
    at::set_num_threads(2);
    {
        engine::TrlsEngine e(path, "cpu", 1);
        EXPECT_EQ(at::get_num_threads(), 2);
    }
    at::set_num_threads(before);
    std::filesystem::remove(path);
}
