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

#include <cmath>
#include <complex>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>

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
    // Below the smallest normal float VOLK's log2 is wrong (-382 dB for 1e-40).
    EXPECT_EQ(message(StftOptions(16, 4).log_floor(1e-40f)).rfind(
                  "STFT option 'log_floor': expected a finite value >= 1.1754944e-38 (the "
                  "smallest normal float), found 9.99", 0),
              0u);
    EXPECT_EQ(message(StftOptions(16, 4).log_floor(1.2e-38f)), "no error");
    // A window summing to 0 under scipy's 1 / sum(window) scaling.
    EXPECT_EQ(message(StftOptions(2, 1).periodic(false)),
              "STFT option 'window': expected a window whose values do not sum to 0 (the scipy "
              "convention divides by the sum), found hann of 2 points, symmetric");
    EXPECT_NE(message(StftOptions(2, 1).periodic(false).window(Window::blackman)), "no error");
    EXPECT_EQ(message(StftOptions(2, 1)), "no error"); // periodic Hann 2: [0, 1]
    EXPECT_EQ(message(StftOptions(2, 1).periodic(false).convention(Convention::torch)),
              "no error"); // torch does not divide by the sum
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

namespace {

std::string option_error(const StftOptions& o)
{
    try {
        o.validate();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "no error";
}

template <typename F>
std::string torch_error(F&& f)
{
    try {
        f();
    } catch (const c10::Error& e) {
        return e.what_without_backtrace();
    }
    return "no error";
}

// Frame k of the scipy or torch convention (center, zero padding) by a direct
// DFT in double: the reference for the large-amplitude tests.
std::vector<std::complex<double>>
reference_frame(const std::vector<double>& x, const StftOptions& o, int64_t k)
{
    const auto w = o.window_values();
    const int n = o.n_fft(), W = o.effective_win_length();
    const int64_t first = k * o.hop() + o.first_sample_offset();
    std::vector<std::complex<double>> X(o.n_bins());
    for (int b = 0; b < o.n_bins(); b++) {
        std::complex<double> acc = 0.0;
        for (int i = 0; i < W; i++) {
            const int64_t j = first + i;
            const double v = j >= 0 && j < static_cast<int64_t>(x.size()) ? x[j] : 0.0;
            acc += w[i] * v *
                   std::polar(1.0, -2.0 * M_PI * b * (o.window_offset() + i) / n);
        }
        X[b] = acc * o.scale();
    }
    return X;
}

// 1e30 * (a tone + a smaller tone) for the first `loud` samples, then
// unit-amplitude noise: finite float input whose |X| is far above 1.8e19.
std::vector<double> loud_signal(int64_t n, int64_t loud)
{
    std::vector<double> x(n);
    std::mt19937 rng(5);
    std::normal_distribution<double> g;
    for (int64_t t = 0; t < n; t++)
        x[t] = t < loud ? 1e30 * (std::sin(0.3 * t) + 0.25 * std::cos(1.1 * t))
                        : g(rng);
    for (auto& v : x)
        v = static_cast<float>(v); // the reference sees the float samples
    return x;
}

torch::Tensor as_float_tensor(const std::vector<double>& x)
{
    return torch::tensor(x, torch::kDouble).to(torch::kFloat);
}

} // namespace

TEST(StftOptionsTest, RefusesOptionsTheConventionWouldIgnore)
{
    EXPECT_EQ(option_error(StftOptions(64, 16).normalized(true)),
              "STFT option 'normalized': expected false with the scipy convention (it "
              "scales by 1/sum(window), scaling='spectrum'; normalized applies to the "
              "torch convention only), found true");
    EXPECT_EQ(option_error(StftOptions(64, 16).pad_mode(PadMode::constant)),
              "STFT option 'pad_mode': expected the default 'reflect' (unused) with the "
              "scipy convention (it always pads zeros, boundary='zeros'; pad_mode applies "
              "to the torch convention with center = true only), found 'constant'");
    // Also when scipy does not pad at all.
    EXPECT_EQ(option_error(StftOptions(64, 16).center(false).pad_mode(PadMode::constant))
                  .substr(0, 60),
              "STFT option 'pad_mode': expected the default 'reflect' (unus");
    EXPECT_EQ(option_error(StftOptions(64, 16)
                               .convention(Convention::torch)
                               .center(false)
                               .pad_mode(PadMode::constant)),
              "STFT option 'pad_mode': expected the default 'reflect' (unused) with "
              "center = false (no boundary padding; pad_mode applies to the torch "
              "convention with center = true only), found 'constant'");
    // What the conventions do use stays accepted.
    EXPECT_EQ(option_error(StftOptions(64, 16)), "no error");
    EXPECT_EQ(option_error(StftOptions(64, 16).convention(Convention::torch).normalized(true)),
              "no error");
    EXPECT_EQ(option_error(
                  StftOptions(64, 16).convention(Convention::torch).pad_mode(PadMode::constant)),
              "no error");
    EXPECT_EQ(option_error(StftOptions(64, 16).convention(Convention::torch).center(false)),
              "no error");
    // The batch form refuses them too (it validates first).
    EXPECT_THROW(stft(torch::zeros({ 500 }), StftOptions(64, 16).normalized(true)),
                 std::invalid_argument);
}

TEST(StftOptionsTest, MinimumLengthOfEachConvention)
{
    auto torch_opts = StftOptions(16, 4).convention(Convention::torch);
    EXPECT_EQ(torch_opts.min_length(), 9); // reflect: T > n_fft/2
    EXPECT_EQ(StftOptions(16, 4).convention(Convention::torch).pad_mode(PadMode::constant)
                  .min_length(),
              1);
    EXPECT_EQ(torch_opts.center(false).min_length(), 16);
    // scipy, centre: scipy.signal.stft shortens its window to a shorter
    // signal (its numbers differ from a 125-point window's), so W samples.
    EXPECT_EQ(StftOptions(125, 63).min_length(), 125);
    EXPECT_EQ(StftOptions(125, 63).center(false).min_length(), 125);
    EXPECT_EQ(StftOptions(64, 16).win_length(48).center(false).min_length(), 48);
    // min_length is where the batch form starts to produce frames.
    for (const auto& o :
         { StftOptions(16, 4).convention(Convention::torch).center(false),
           StftOptions(125, 63).center(false),
           StftOptions(64, 16).win_length(48).center(false) }) {
        EXPECT_EQ(o.num_frames(o.min_length() - 1), 0) << o.to_string();
        EXPECT_EQ(o.num_frames(o.min_length()), 1) << o.to_string();
    }
}

TEST(StftOptionsTest, ShortInputIsAnErrorNamingLengthAndMinimum)
{
    // Reflection: T must exceed the padding (torch.stft refuses it as well).
    auto reflect = StftOptions(16, 4).convention(Convention::torch);
    EXPECT_NE(torch_error([&] { stft(torch::zeros({ 3, 8 }), reflect); })
                  .find("stft: reflect padding of 8 samples needs more than that many "
                        "samples, found T = 8 (minimum 9, shape [3, 8])"),
              std::string::npos);
    EXPECT_EQ(stft(torch::zeros({ 3, 9 }), reflect).size(-1), 3);
    // No padding: shorter than one frame gave 0 frames before; now an error.
    auto nocenter = StftOptions(64, 16).convention(Convention::torch).center(false);
    const auto msg = torch_error([&] { stft(torch::zeros({ 40 }), nocenter); });
    EXPECT_NE(msg.find("stft: one frame needs at least 64 samples, found T = 40 (shape [40]"),
              std::string::npos)
        << msg;
    // Both paths (kernel and torch::stft) refuse it.
    EXPECT_THROW(stft_torch(torch::zeros({ 40 }, torch::kDouble), nocenter), c10::Error);
    EXPECT_THROW(stft(torch::zeros({ 62 }), StftOptions(125, 63).center(false)), c10::Error);
    EXPECT_THROW(stft(torch::zeros({ 0 }), StftOptions(125, 63)), c10::Error);
    EXPECT_THROW(stft(torch::zeros({ 124 }), StftOptions(125, 63)), c10::Error);
    EXPECT_EQ(stft(torch::zeros({ 125 }), StftOptions(125, 63)).size(-1), 3);
}

TEST(StftLargeValuesTest, MagnitudeOfFiniteLoudInputIsFiniteAndCorrect)
{
    const auto x = loud_signal(600, 600);
    for (const auto& base : { StftOptions(64, 16),
                              StftOptions(64, 16)
                                  .convention(Convention::torch)
                                  .pad_mode(PadMode::constant) }) {
        const auto o = StftOptions(base).output(Output::magnitude);
        const int64_t frames = o.num_frames(600);
        // Kernel path (float32 on the CPU) and the torch::stft path in float32.
        for (int path = 0; path < 2; path++) {
            auto y = path == 0 ? stft(as_float_tensor(x), o) : stft_torch(as_float_tensor(x), o);
            ASSERT_EQ(y.sizes(), (std::vector<int64_t>{ o.n_bins(), frames }));
            auto ya = y.accessor<float, 2>();
            double peak = 0.0, worst = 0.0;
            for (int64_t k = 0; k < frames; k++) {
                const auto X = reference_frame(x, o, k);
                for (int b = 0; b < o.n_bins(); b++) {
                    ASSERT_TRUE(std::isfinite(ya[b][k]))
                        << o.to_string() << " path " << path << " bin " << b << " frame " << k;
                    peak = std::max(peak, std::abs(X[b]));
                    worst = std::max(worst, std::abs(ya[b][k] - std::abs(X[b])));
                }
            }
            EXPECT_GT(peak, 1e29); // far beyond sqrt(FLT_MAX) = 1.8e19
            EXPECT_LE(worst, 1e-5 * peak) << o.to_string() << " path " << path;
        }
        // log-power: finite and 20 log10 |X| (power itself would overflow).
        const auto lo = StftOptions(base).output(Output::log_power);
        for (int path = 0; path < 2; path++) {
            auto y = path == 0 ? stft(as_float_tensor(x), lo) : stft_torch(as_float_tensor(x), lo);
            auto ya = y.accessor<float, 2>();
            const auto X = reference_frame(x, lo, 10);
            double top = 0.0;
            for (const auto& v : X)
                top = std::max(top, 10.0 * std::log10(std::norm(v)));
            EXPECT_GT(top, 580.0); // |X|^2 > 1e58, far beyond FLT_MAX
            for (int b = 0; b < lo.n_bins(); b++) {
                ASSERT_TRUE(std::isfinite(ya[b][10])) << "path " << path << " bin " << b;
                const double ref = 10.0 * std::log10(std::max(std::norm(X[b]), 1e-10));
                // float arithmetic: accurate where the bin is within 60 dB of the peak
                if (ref < top - 60.0)
                    continue;
                EXPECT_NEAR(ya[b][10], ref, 1e-3) << lo.to_string() << " path " << path
                                                  << " bin " << b;
            }
        }
    }
}

TEST(StftLargeValuesTest, PowerOverflowIsInfAndCountedPerFrame)
{
    // Loud for the first 300 samples, unit noise after: the late frames are finite.
    const auto x = loud_signal(800, 300);
    const auto o = StftOptions(64, 16).output(Output::power);
    const int64_t frames = o.num_frames(800);
    auto y = stft(as_float_tensor(x), o).t().contiguous(); // (frames, bins)
    const double fmax = std::numeric_limits<float>::max();
    int64_t overflowing_frames = 0, clean_frames = 0;
    for (int64_t k = 0; k < frames; k++) {
        const auto X = reference_frame(x, o, k);
        size_t expected = 0;
        bool near_limit = false;
        for (const auto& v : X) {
            expected += std::norm(v) > fmax;
            near_limit |= std::abs(std::norm(v) / fmax - 1.0) < 1e-3;
        }
        if (near_limit)
            continue; // float rounding decides; none in this signal in practice
        const float* row = y.data_ptr<float>() + k * o.n_bins();
        EXPECT_EQ(count_nonfinite(row, o.n_bins()), expected) << "frame " << k;
        for (int b = 0; b < o.n_bins(); b++) {
            const double p = std::norm(X[b]);
            if (p > fmax)
                EXPECT_EQ(row[b], std::numeric_limits<float>::infinity());
            else
                EXPECT_NEAR(row[b], p, 1e-5 * std::max(p, 1.0) + 1e-3) << k << " " << b;
        }
        overflowing_frames += expected > 0;
        clean_frames += expected == 0;
    }
    EXPECT_GT(overflowing_frames, 10);
    EXPECT_GT(clean_frames, 10);
}
