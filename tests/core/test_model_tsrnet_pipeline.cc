/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
// TSRNet around the network: filters, preprocessing and spectrogram against
// SciPy (tests/golden/gen_tsrnet_golden.py), masks, loss, scores, model files.
#include "../support/errors.h"
#include "../support/npy.h"

#include <tfmed/dsp/filter.h>
#include <tfmed/dsp/stft_options.h>
#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/models/weights.h>

#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

using namespace tfmed;
using tfmed_test::message_of;

namespace {

std::string golden(const std::string& name)
{
    const char* dir = std::getenv("TFMED_GOLDEN_DIR");
    return dir ? std::string(dir) + "/" + name : std::string();
}

#define REQUIRE_GOLDEN()                                                                   \
    do {                                                                                   \
        if (golden("input.npy").empty() || !std::filesystem::exists(golden("input.npy"))) \
            GTEST_SKIP() << "TFMED_GOLDEN_DIR has no TSRNet golden files (needs "           \
                            "python3-scipy: tests/golden/gen_tsrnet_golden.py)";          \
    } while (0)

models::TsrnetCard small_card(int64_t leads = 2)
{
    models::TsrnetCard c;
    c.leads = leads;
    c.width = 4;
    c.d_model = 8;
    c.heads = 2;
    return c;
}

} // namespace

TEST(TsrnetFilters, CoefficientsMatchScipy)
{
    REQUIRE_GOLDEN();
    std::ifstream f(golden("coeffs.json"));
    const auto j = nlohmann::json::parse(f);
    auto check = [&](const char* name, const dsp::Biquad& q) {
        for (int i = 0; i < 3; ++i) {
            EXPECT_NEAR(q.b[i], j[name][0][i].get<double>(), 1e-14) << name << " b" << i;
            EXPECT_NEAR(q.a[i], j[name][1][i].get<double>(), 1e-14) << name << " a" << i;
        }
    };
    check("highpass", dsp::butter2(1.0, 500.0, true));
    check("lowpass", dsp::butter2(25.0, 500.0, false));
    check("notch", dsp::iirnotch(35.0, 0.005, 500.0));
}

TEST(TsrnetFilters, FiltfiltMatchesScipy)
{
    REQUIRE_GOLDEN();
    const auto in = tfmed_test::load_npy(golden("input.npy")).to(torch::kDouble);
    const auto want = tfmed_test::load_npy(golden("filtered.npy"));
    for (int c = 0; c < 2; ++c) {
        auto col = in.select(1, c).contiguous();
        std::vector<double> v(col.data_ptr<double>(), col.data_ptr<double>() + col.numel());
        v = dsp::filtfilt(dsp::butter2(1.0, 500.0, true), v);
        v = dsp::filtfilt(dsp::iirnotch(35.0, 0.005, 500.0), v);
        v = dsp::filtfilt(dsp::butter2(25.0, 500.0, false), v);
        double worst = 0.0;
        for (std::size_t t = 0; t < v.size(); ++t)
            worst = std::max(worst, std::abs(v[t] - want[t][c].item<double>()));
        EXPECT_LT(worst, 1e-9) << "lead " << c;
    }
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [] { dsp::filtfilt(dsp::Biquad{}, std::vector<double>(9, 0.0)); }),
              "filtfilt: expected more than 9 samples (the padding length), found 9");
    EXPECT_EQ(message_of<std::invalid_argument>([] { dsp::butter2(250.0, 500.0, false); }),
              "butter2 cutoff: expected 0 < frequency < 250.000000 Hz (Nyquist), found "
              "250.000000");
}

TEST(TsrnetPrep, WindowAndSpectrogramMatchScipy)
{
    REQUIRE_GOLDEN();
    const auto in = tfmed_test::load_npy(golden("input.npy")).contiguous(); // (5000, 2)
    const auto want = tfmed_test::load_npy(golden("prepared.npy"));         // (4800, 2)
    models::TsrnetPrep p;
    const auto w = models::prepare_window(in.data_ptr<float>(), 2, p);
    ASSERT_EQ(w.status, models::WindowStatus::ok) << w.detail;
    const auto got = torch::from_blob(const_cast<float*>(w.x.data()), { 4800, 2 }).clone();
    EXPECT_LT((got - want).abs().max().item<float>(), 1e-6f);
    EXPECT_FLOAT_EQ(got.select(1, 0).max().item<float>() <= 1.0f, true);

    const auto card = small_card();
    const auto spec = models::tsrnet_spectrogram(want.unsqueeze(0), models::stft_of(card));
    const auto want_spec = tfmed_test::load_npy(golden("spec.npy")); // (63, 78, 2)
    ASSERT_EQ(spec.sizes(), (std::vector<int64_t>{ 1, 63, 78, 2 }));
    EXPECT_LT((spec[0] - want_spec).abs().max().item<float>(),
              2e-6f * want_spec.abs().max().item<float>());
}

TEST(TsrnetPrep, PeakWindowsAndQuirkOffset)
{
    // 10 s at 500 Hz with beats every ~1.2 s (peak windows do not touch); lead 1 (lead II) carries them.
    models::TsrnetPrep p;
    std::vector<float> x(5000 * 2, 0.0f);
    std::vector<int64_t> at;
    for (int64_t r = 330, i = 0; r < 4950; r += 600 + (i++ % 2) * 30)
        at.push_back(r);
    for (int64_t r : at)
        for (int64_t t = r - 15; t <= r + 15; ++t)
            x[t * 2 + 1] = x[t * 2] = static_cast<float>(std::exp(-0.5 * std::pow((t - r) / 5.0, 2)));
    const auto w = models::prepare_window(x.data(), 2, p);
    ASSERT_EQ(w.status, models::WindowStatus::ok) << w.detail;
    ASSERT_FALSE(w.rpeaks.empty());
    // Corrected: a kept peak r (window coordinates) covers [r-100-240, r-100+240).
    const int64_t r = w.rpeaks[1];
    EXPECT_NEAR(static_cast<double>(r), static_cast<double>(at[1]), 2.0);
    EXPECT_EQ(w.peak_mask[r - 100 - 240], 1.0f);
    EXPECT_EQ(w.peak_mask[r - 100 + 239], 1.0f);
    EXPECT_EQ(w.peak_mask[r - 100 + 240 + 30], 0.0f); // the gap before the next window
    p.peak_offset_quirk = true;                         // the reference: not shifted
    const auto q = models::prepare_window(x.data(), 2, p);
    EXPECT_EQ(q.peak_mask[r - 240], 1.0f);
    EXPECT_EQ(q.peak_mask[r + 239], 1.0f);
    EXPECT_EQ(q.peak_mask[r - 100 - 240], 0.0f);
}

TEST(TsrnetPrep, FlagsUnusableWindows)
{
    models::TsrnetPrep p;
    std::vector<float> x(5000, 0.25f);
    auto w = models::prepare_window(x.data(), 1, p);
    EXPECT_EQ(w.status, models::WindowStatus::flat);
    EXPECT_EQ(w.detail, "lead 0: range 0.000000 below 0.000100");
    EXPECT_EQ(w.reason, "lead 0: flat"); // no figures: the PDU's symbol
    x[1234] = NAN;
    w = models::prepare_window(x.data(), 1, p);
    EXPECT_EQ(w.status, models::WindowStatus::non_finite);
    EXPECT_EQ(w.detail, "lead 0: NaN/Inf at sample 1234");
    EXPECT_EQ(w.reason, "lead 0: non_finite");
    for (int t = 0; t < 5000; ++t)
        x[t] = static_cast<float>(std::sin(t * 0.001)); // no beats
    w = models::prepare_window(x.data(), 1, p);
    EXPECT_EQ(w.status, models::WindowStatus::no_rpeaks);
    EXPECT_EQ(w.reason, "lead 0: no_rpeaks");
}

TEST(TsrnetPrep, TheReferenceNotchOnlyWhereItIsTheIdentity)
{
    // iirnotch(35 Hz, Q 0.005) is the identity where 7000 / fs is whole; a
    // card at another rate low-passed (360 Hz: gain 0.17 at 10 Hz), cancelled
    // (400 Hz) or diverged (128 Hz) the ECG and still loaded.
    auto at = [](double fs) { // 10-s windows, uncropped
        models::TsrnetPrep p;
        p.sample_rate = fs;
        p.window = p.crop_length = static_cast<int64_t>(10 * fs);
        p.crop_begin = 0;
        return p;
    };
    for (const double fs : { 500.0, 250.0, 1000.0, 200.0, 100.0 }) // (200, 100: a2 = 1 + 1e-14)
        EXPECT_NO_THROW(at(fs).validate()) << fs;
    for (const double fs : { 360.0, 400.0, 128.0 }) {
        auto p = at(fs);
        const auto m = tfmed_test::message_of<std::invalid_argument>([&] { p.validate(); });
        EXPECT_NE(m.find("expected a stable notch that keeps the QRS band"), std::string::npos)
            << fs << ": " << m;
        EXPECT_NE(m.find(fs == 128.0 ? "unstable" : "gain "), std::string::npos) << m;
        p.notch_hz = 0.0; // off
        EXPECT_NO_THROW(p.validate()) << fs;
        p.notch_hz = 50.0; // a real mains notch
        p.notch_q = 30.0;
        EXPECT_NO_THROW(p.validate()) << fs;
    }
    // A filter that diverges anyway (a card never validated) flags the
    // window: it read as a flat zero lead and was scored.
    const auto p = at(128.0);
    std::vector<float> x(1280);
    for (int t = 0; t < 1280; ++t)
        x[t] = static_cast<float>(std::sin(t * 0.3));
    const auto w = models::prepare_window(x.data(), 1, p);
    EXPECT_EQ(w.status, models::WindowStatus::non_finite);
    EXPECT_EQ(w.reason, "lead 0: filter_non_finite");
}

TEST(TsrnetMasks, TrainingDrawsAreDistinctAndSeeded)
{
    models::TsrnetMasking m;
    m.spec_range = 66; // the reference's range(0, 66)
    std::mt19937_64 a(668), b(668);
    const auto ma = models::train_masks(m, 4800, 78, a);
    const auto mb = models::train_masks(m, 4800, 78, b);
    EXPECT_TRUE(torch::equal(ma.time, mb.time));
    EXPECT_EQ(ma.time.sum().item<float>(), 30 * 48);
    EXPECT_EQ(ma.spec.sum().item<float>(), 20);
    EXPECT_EQ(ma.spec.slice(0, 66).sum().item<float>(), 0); // frames 66-77 never masked
    // Whole patches: each 48-sample patch is all masked or all kept.
    const auto patches = ma.time.view({ 100, 48 });
    EXPECT_TRUE(torch::equal(patches.amin(1), patches.amax(1)));
    const auto next = models::train_masks(m, 4800, 78, a);
    EXPECT_FALSE(torch::equal(next.time, ma.time));
}

TEST(TsrnetMasks, InferencePassesAsTheReference)
{
    models::TsrnetMasking m;
    EXPECT_EQ(m.passes(), 3);
    for (int64_t j = 0; j < 3; ++j) {
        const auto mk = models::inference_masks(m, 4800, 78, j);
        EXPECT_EQ(mk.time.sum().item<float>(), 30 * 48);
        for (int64_t k = 0; k < 30; ++k) {
            EXPECT_EQ(mk.time[48 * j + 160 * k].item<float>(), 1.0f);
            EXPECT_EQ(mk.time[48 * j + 160 * k + 47].item<float>(), 1.0f);
            EXPECT_EQ(mk.time[(48 * j + 160 * k + 48) % 4800].item<float>(),
                      j == 2 ? 0.0f : 0.0f);
        }
        for (int64_t f = 0; f < 78; ++f)
            EXPECT_EQ(mk.spec[f].item<float>(), (f >= j && (f - j) % 3 == 0 && f < 60) ? 1.0f : 0.0f)
                << "pass " << j << " frame " << f;
    }
}

TEST(TsrnetLoss, FormulaAndScores)
{
    const auto x = torch::zeros({ 1, 4, 2 });
    const auto xh = torch::full({ 1, 4, 2 }, 0.5);
    const auto s = torch::tensor({ 0.0f, 1.0f, 0.0f, 1.0f }).view({ 1, 4, 1 });
    // mean(exp(-s) * 0.25) + mean(s) = 0.25 * (1 + e^-1) / 2 + 0.5
    EXPECT_NEAR(models::tsrnet_loss(x, xh, s).item<double>(),
                0.25 * (1 + std::exp(-1.0)) / 2 + 0.5, 1e-6);

    torch::manual_seed(1);
    auto card = small_card();
    models::Tsrnet net(models::options_of(card));
    const auto xin = torch::rand({ 2, 4800, 2 }) * 2 - 1;
    auto pm = torch::zeros({ 2, 4800 });
    pm[0].slice(0, 1000, 1480) = 1;
    const auto sc = models::score_windows(net, card, xin, pm);
    ASSERT_EQ(sc.plain.sizes(), (std::vector<int64_t>{ 2 }));
    EXPECT_GT(sc.plain[0].item<float>(), 0.0f);
    EXPECT_TRUE(std::isfinite(sc.peak[0].item<float>()));
    EXPECT_TRUE(std::isnan(sc.peak[1].item<float>())); // empty peak mask
    // Batching does not change a window's score.
    const auto one = models::score_windows(net, card, xin.slice(0, 0, 1), pm.slice(0, 0, 1));
    EXPECT_NEAR(one.plain[0].item<float>(), sc.plain[0].item<float>(), 1e-5);
}

TEST(TsrnetScores, FlaggedWindowsGetNaNNeverAScore)
{
    // Four raw windows (1 lead, 5000 samples): beats, flat, NaN, no beats.
    auto w = torch::zeros({ 4, 1, 5000 });
    for (int64_t r = 330, i = 0; r < 4950; r += 600 + (i++ % 2) * 30)
        for (int64_t t = r - 15; t <= r + 15; ++t)
            w[0][0][t] = std::exp(-0.5 * std::pow((t - r) / 5.0, 2));
    w[1].fill_(0.3);
    w[2][0][777] = NAN;
    for (int64_t t = 0; t < 5000; ++t)
        w[3][0][t] = std::sin(t * 0.001);
    auto card = small_card(1);
    const auto b = models::prepare_batch(w, card.prep);
    EXPECT_EQ(b.status, (std::vector<models::WindowStatus>{
                            models::WindowStatus::ok, models::WindowStatus::flat,
                            models::WindowStatus::non_finite, models::WindowStatus::no_rpeaks }));
    EXPECT_EQ(b.detail[2], "lead 0: NaN/Inf at sample 777");
    EXPECT_EQ(b.reason, (std::vector<std::string>{ "", "lead 0: flat", "lead 0: non_finite",
                                                   "lead 0: no_rpeaks" }));
    torch::manual_seed(2);
    models::Tsrnet net(models::options_of(card));
    const auto sc = models::score_prepared(net, card, b, torch::kCPU, 3);
    EXPECT_TRUE(std::isfinite(sc.plain[0].item<float>()) && std::isfinite(sc.peak[0].item<float>()));
    EXPECT_TRUE(std::isnan(sc.plain[1].item<float>()) && std::isnan(sc.peak[1].item<float>()));
    EXPECT_TRUE(std::isnan(sc.plain[2].item<float>()) && std::isnan(sc.peak[2].item<float>()));
    EXPECT_TRUE(std::isfinite(sc.plain[3].item<float>()) && std::isnan(sc.peak[3].item<float>()));
    // The same as scoring the good window alone.
    const auto one = models::score_windows(net, card, b.x.slice(0, 0, 1), b.peak_mask.slice(0, 0, 1));
    EXPECT_NEAR(one.plain[0].item<float>(), sc.plain[0].item<float>(), 1e-5);
    // A stop (a cancelled training's validation) leaves the windows not reached NaN.
    std::atomic<bool> stop{ true };
    const auto cut = models::score_prepared(net, card, b, torch::kCPU, 3, &stop);
    EXPECT_TRUE(std::isnan(cut.plain[0].item<float>()) && std::isnan(cut.plain[3].item<float>()));
}

TEST(TsrnetModelFile, RoundTripAndErrors)
{
    const auto dir = std::filesystem::temp_directory_path() / "tfmed_model_file_test";
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "m.tfm").string();
    auto card = small_card(1);
    card.lead_names = { "MLII" };
    card.threshold = 0.125;
    card.data_json = R"({"set":"unit"})";
    torch::manual_seed(3);
    models::Tsrnet net(models::options_of(card));
    models::save_tsrnet(path, card, net);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

    const auto read = models::read_card(path);
    EXPECT_EQ(read.leads, 1);
    EXPECT_EQ(read.lead_names, std::vector<std::string>{ "MLII" });
    EXPECT_DOUBLE_EQ(read.threshold, 0.125);
    EXPECT_EQ(read.parameters, models::count_parameters(*net));
    EXPECT_EQ(nlohmann::json::parse(read.data_json)["set"], "unit");

    auto loaded = models::load_tsrnet(path, torch::kCPU);
    net->eval();
    const auto x = torch::rand({ 1, 4800, 1 });
    const auto sp = models::tsrnet_spectrogram(x, models::stft_of(card));
    torch::NoGradGuard ng;
    EXPECT_TRUE(torch::equal(std::get<0>(net->forward(x, sp)),
                             std::get<0>(loaded.model->forward(x, sp))));

    // The engine scores raw windows through the same path.
    engine::TsrnetEngine eng(path, "cpu", 1);
    EXPECT_EQ(eng.device(), "cpu");
    std::vector<float> flat(5000, 1.0f);
    const auto r = eng.score(flat.data(), 1);
    EXPECT_EQ(r[0].status, models::WindowStatus::flat);
    EXPECT_TRUE(std::isnan(r[0].score));

    // Truncated and foreign files.
    std::string bytes;
    {
        std::ifstream f(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(f), {});
    }
    {
        std::ofstream f(path + ".cut", std::ios::binary);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 100));
    }
    // The message says how much was expected where, and how much the file has.
    const std::string cut_msg =
        message_of<std::runtime_error>([&] { models::load_tsrnet(path + ".cut", torch::kCPU); });
    EXPECT_EQ(cut_msg.rfind(path + ".cut: truncated model file: expected ", 0), 0u) << cut_msg;
    EXPECT_NE(cut_msg.find(" byte(s) (the weights section) at byte "), std::string::npos)
        << cut_msg;
    EXPECT_NE(cut_msg.find("(the file ends at " + std::to_string(bytes.size() - 100) + ")"),
              std::string::npos)
        << cut_msg;

    // A NaN weight loaded without a word (every score NaN: windows flagged
    // non_finite, no alarm ever); it is refused by name, tfmed doctor still
    // loads it to say so.
    {
        models::Tsrnet bad(models::options_of(card));
        torch::NoGradGuard ng2;
        bad->named_parameters()[bad->named_parameters().keys()[3]].view(-1)[0] =
            std::numeric_limits<float>::quiet_NaN();
        models::save_tsrnet(path + ".nan", card, bad);
        const std::string name = bad->named_parameters().keys()[3];
        const std::string nan_msg = message_of<std::runtime_error>(
            [&] { models::load_tsrnet(path + ".nan", torch::kCPU); });
        EXPECT_NE(nan_msg.find("expected finite weights, found NaN/Inf in " + name +
                               " (every output would be NaN)"),
                  std::string::npos)
            << nan_msg;
        EXPECT_THROW(engine::TsrnetEngine(path + ".nan", "cpu", 1), std::exception);
        models::Tsrnet lenient(models::options_of(card));
        const auto f = models::read_model_file(path + ".nan");
        models::load_weights_bytes(*lenient, f.section("weights"), torch::kCPU, "doctor", false);
        EXPECT_TRUE(std::isnan(
            lenient->named_parameters()[name].view(-1)[0].item<float>()));
    }
    {
        std::ofstream f(path + ".txt");
        f << "hello world, not a model";
    }
    EXPECT_EQ(message_of<std::runtime_error>([&] { models::read_card(path + ".txt"); }),
              path + ".txt: expected a tfmed model file (magic 'TFMEDMDL'), found something else");
    if (!torch::cuda::is_available())
        EXPECT_EQ(message_of<std::invalid_argument>([] { models::parse_device("cuda:0"); }),
                  "device: 'cuda:0' requested, but this LibTorch sees no CUDA device");
    EXPECT_EQ(models::parse_device("auto").str(),
              torch::cuda::is_available() ? "cuda:0" : "cpu");
    EXPECT_EQ(message_of<std::invalid_argument>([] { models::parse_device("gpu"); }),
              "device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', found 'gpu'");
    // "cuda:" meant cuda:0; a 12-digit index threw stoi's out_of_range.
    for (const char* d : { "cuda:", "cuda:99999999999", "cuda:x" })
        EXPECT_EQ(message_of<std::invalid_argument>([&] { models::parse_device(d); }),
                  std::string("device: expected 'cuda:N' with a number N, found '") + d + "'");
    std::filesystem::remove_all(dir);
}

// A card whose n_fft exceeds the crop validated (the scipy convention
// counted frames of a window longer than the signal) and then failed on
// every window; refused by name.
TEST(TsrnetModelFile, NfftLongerThanTheCropIsRefused)
{
    auto card = small_card(1);
    card.n_fft = 1024;
    card.hop = 32;
    card.prep.crop_length = 512;
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>([&] { card.validate(); }),
              "model card: expected n_fft <= the crop length 512 samples, found 1024");
    EXPECT_EQ(dsp::StftOptions(1024, 32).num_frames(512), 0);
}

TEST(TsrnetModel, WidthKeepsTheReferenceAtDefault)
{
    EXPECT_EQ(models::count_parameters(*models::Tsrnet(models::TsrnetOptions(12))), 4394009);
    // The CPU demo size used by the README's main job.
    EXPECT_EQ(models::count_parameters(
                  *models::Tsrnet(models::TsrnetOptions(1).width(8).d_model(16))),
              335402);
}
