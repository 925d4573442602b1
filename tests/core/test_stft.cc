/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The STFT against scipy.signal.stft and torch.stft, through golden files
 * written by tests/golden/gen_stft_golden.py.
 */
#include "npy.h"
#include <tfmed/dsp/stft.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

using namespace tfmed::dsp;

namespace {

struct GoldenCase {
    std::string name;
    StftOptions opts;
    torch::Tensor x; // (C, T) float32
    torch::Tensor z; // (C, F, K) complex128 (from complex64)
};

std::string golden_dir()
{
    const char* d = std::getenv("TFMED_GOLDEN_DIR");
    return d ? d : "";
}

std::vector<GoldenCase> load_cases()
{
    std::vector<GoldenCase> cases;
    std::ifstream f(golden_dir() + "/manifest.json");
    if (!f)
        return cases;
    const auto manifest = nlohmann::json::parse(f);
    for (const auto& c : manifest) {
        GoldenCase g;
        g.name = c["name"];
        g.opts = StftOptions(c["n_fft"], c["hop"])
                     .win_length(c["win_length"])
                     .window(parse_window(c["window"]))
                     .periodic(c["periodic"])
                     .convention(parse_convention(c["convention"]))
                     .center(c["center"])
                     .pad_mode(parse_pad_mode(c["pad_mode"]))
                     .normalized(c["normalized"])
                     .onesided(c["onesided"]);
        const std::string base = golden_dir() + "/" + g.name;
        g.x = tfmed_test::load_npy(base + ".input.npy");
        g.z = tfmed_test::load_npy(base + ".output.npy").to(torch::kComplexDouble);
        EXPECT_EQ(g.z.size(1), c["bins"].get<int64_t>());
        EXPECT_EQ(g.z.size(2), c["frames"].get<int64_t>());
        cases.push_back(g);
    }
    return cases;
}

#define REQUIRE_GOLDEN(cases)                                                            \
    if (cases.empty())                                                                   \
    GTEST_SKIP() << "no golden files in TFMED_GOLDEN_DIR='" << golden_dir()              \
                 << "': run tests/golden/gen_stft_golden.py DIR (needs python3-scipy, " \
                    "python3-torch), or run through ctest"

// |a - b| <= atol + rtol |b| element-wise, with a readable report.
void expect_close(const torch::Tensor& a,
                  const torch::Tensor& b,
                  double atol,
                  double rtol,
                  const std::string& what)
{
    ASSERT_EQ(a.sizes(), b.sizes()) << what;
    auto err = (a - b).abs().to(torch::kDouble);
    auto lim = atol + rtol * b.abs().to(torch::kDouble);
    auto excess = (err - lim).max().item<double>();
    EXPECT_LE(excess, 0.0) << what << ": max |a-b| = " << err.max().item<double>()
                           << " at flat index " << (err - lim).argmax().item<int64_t>()
                           << " (atol " << atol << ", rtol " << rtol << ")";
}

// The reference in each output kind, computed in double from the complex golden.
torch::Tensor reference(const torch::Tensor& z, Output kind, float floor)
{
    return stft_output(z, StftOptions().output(kind).log_floor(floor));
}

} // namespace

TEST(StftGoldenTest, TsrnetCaseIs63By78)
{
    auto cases = load_cases();
    REQUIRE_GOLDEN(cases);
    const auto& g = cases.at(0);
    ASSERT_EQ(g.name, "tsrnet_scipy_125_63");
    // MODELS.md 1.2: nperseg 125 on 4800 samples -> 63 bins x 78 frames.
    auto y = stft(g.x, g.opts);
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{ 1, 63, 78 }));
    EXPECT_EQ(g.opts.num_frames(4800), 78);
    EXPECT_EQ(g.opts.n_bins(), 63);
}

TEST(StftGoldenTest, KernelPathMatchesReferencesInEveryOutputKind)
{
    auto cases = load_cases();
    REQUIRE_GOLDEN(cases);
    ASSERT_EQ(cases.size(), 12u);
    for (const auto& g : cases) {
        // float32 arithmetic: errors scale with the largest bin of the case.
        const double peak = g.z.abs().max().item<double>();
        for (Output kind : { Output::complex, Output::magnitude, Output::power }) {
            auto y = stft(g.x, StftOptions(g.opts).output(kind));
            auto ref = reference(g.z, kind, 1e-10f);
            const double scale = kind == Output::power ? peak * peak : peak;
            expect_close(y.to(ref.scalar_type()), ref, 2e-6 * scale, 1e-4,
                         g.name + " / " + to_string(kind));
        }
        // log-power in dB: absolute error where the power is well above the floor.
        auto y = stft(g.x, StftOptions(g.opts).output(Output::log_power).log_floor(1e-6f));
        auto ref = reference(g.z, Output::log_power, 1e-6f);
        auto strong = ref > 10.0 * std::log10(peak * peak) - 60.0;
        expect_close(y.to(torch::kDouble).masked_select(strong), ref.masked_select(strong),
                     2e-3, 0.0, g.name + " / log_power (top 60 dB)");
        EXPECT_GE(y.min().item<float>(), -60.0f - 1e-3f) << g.name << ": floor 1e-6 is -60 dB";
    }
}

TEST(StftGoldenTest, TorchPathMatchesReferencesInDouble)
{
    auto cases = load_cases();
    REQUIRE_GOLDEN(cases);
    for (const auto& g : cases) {
        auto y = stft(g.x.to(torch::kDouble), StftOptions(g.opts).output(Output::complex));
        ASSERT_EQ(y.scalar_type(), torch::kComplexDouble);
        // The golden files are complex64: agreement is limited by that rounding.
        const double peak = g.z.abs().max().item<double>();
        expect_close(y, g.z, 1e-6 * peak, 1e-6, g.name + " / torch path");
    }
}

TEST(StftGoldenTest, MultichannelKeepsLeadingDimensions)
{
    auto cases = load_cases();
    REQUIRE_GOLDEN(cases);
    for (const auto& g : cases) {
        if (g.x.size(0) == 1)
            continue;
        auto y = stft(g.x.unsqueeze(0), StftOptions(g.opts).output(Output::magnitude));
        EXPECT_EQ(y.dim(), 4);
        EXPECT_EQ(y.size(1), g.x.size(0));
        // Each channel equals the single-channel transform of that channel.
        for (int64_t c = 0; c < g.x.size(0); c++)
            EXPECT_TRUE(torch::equal(
                y[0][c], stft(g.x[c], StftOptions(g.opts).output(Output::magnitude))))
                << g.name << " channel " << c;
    }
}

TEST(StftOptionsTest, RejectsBadParametersWithClearMessages)
{
    auto message = [](const StftOptions& o) {
        try {
            o.validate();
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message(StftOptions(0, 1)), "STFT option 'n_fft': expected > 0, found 0");
    EXPECT_EQ(message(StftOptions(16, -2)), "STFT option 'hop': expected > 0, found -2");
    EXPECT_EQ(message(StftOptions(16, 4).win_length(17)),
              "STFT option 'win_length': expected 0 (= n_fft) or 1..16 (<= n_fft), found 17");
    EXPECT_EQ(message(StftOptions(16, 17)),
              "STFT option 'hop': expected <= win_length (16) for the scipy convention "
              "(noverlap >= 0), found 17");
    EXPECT_EQ(message(StftOptions(16, 17).convention(Convention::torch)), "no error");
    EXPECT_EQ(message(StftOptions(16, 4).log_floor(0.0f)).substr(0, 31),
              "STFT option 'log_floor': expect");
    EXPECT_THROW(parse_window("kaiser"), std::invalid_argument);
    try {
        parse_output("db");
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()),
                  "STFT option 'output': expected one of 'complex', 'magnitude', "
                  "'power', 'log_power', found 'db'");
    }
    EXPECT_EQ(parse_convention("torch"), Convention::torch);
    EXPECT_EQ(parse_pad_mode("constant"), PadMode::constant);
}

TEST(StftOptionsTest, TensorErrorsNameExpectedAndFound)
{
    auto opts = StftOptions(16, 4).convention(Convention::torch);
    try {
        stft(torch::zeros({ 2, 8 }), opts);
        FAIL() << "expected an error";
    } catch (const c10::Error& e) {
        EXPECT_NE(std::string(e.what()).find("reflect padding of 8 samples needs more than "
                                             "that many samples, found T = 8"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(stft(torch::zeros({ 4 }, torch::kInt), opts), c10::Error);
    EXPECT_THROW(stft(torch::zeros({ 100 }), StftOptions(0, 1)), std::invalid_argument);
}

TEST(StftOptionsTest, GeometryOfBothConventions)
{
    // scipy: P = W/2, frames = 1 + ceil((L + 2P - W)/hop)
    auto s = StftOptions(125, 63);
    EXPECT_EQ(s.left_pad(), 62);
    EXPECT_EQ(s.center_offset(), 0); // frame k centred at 63 k
    EXPECT_EQ(s.num_frames(4800), 78);
    EXPECT_EQ(s.right_pad(4800), 62 + 52); // MODELS.md 1.2: 62 + 52 zeros at the end
    // torch: P = n_fft/2, frames = 1 + floor((L + 2P - n_fft)/hop)
    auto t = StftOptions(16, 1).convention(Convention::torch);
    EXPECT_EQ(t.num_frames(300), 301);
    EXPECT_EQ(t.center_offset(), 0);
    EXPECT_EQ(StftOptions(512, 128).convention(Convention::torch).center(false).num_frames(
                  1000),
              4);
    EXPECT_DOUBLE_EQ(s.scale(), 1.0 / 62.5); // periodic Hann 125 sums to 62.5
}

TEST(WindowTest, PeriodicAndSymmetricCosineWindows)
{
    auto h = make_window(Window::hann, 4, true);
    EXPECT_DOUBLE_EQ(h[0], 0.0);
    EXPECT_DOUBLE_EQ(h[1], 0.5);
    EXPECT_DOUBLE_EQ(h[2], 1.0);
    EXPECT_DOUBLE_EQ(h[3], 0.5);
    auto hs = make_window(Window::hamming, 5, false);
    EXPECT_NEAR(hs[0], 0.08, 1e-15);
    EXPECT_NEAR(hs[2], 1.0, 1e-15);
    EXPECT_NEAR(hs[4], 0.08, 1e-15);
    auto b = make_window(Window::blackman, 3, false);
    EXPECT_NEAR(b[0], 0.0, 1e-15);
    EXPECT_NEAR(b[1], 1.0, 1e-15);
    EXPECT_EQ(make_window(Window::rectangle, 7, true), std::vector<double>(7, 1.0));
}
