/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Streaming STFT: bit-identical to the batch form under any chunking,
 * multichannel layout, latency accounting, NaN/Inf handling.
 */
#include <tfmed/dsp/stft.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>
#include <random>

using namespace tfmed::dsp;

namespace {

std::vector<StftOptions> configurations()
{
    return {
        StftOptions(125, 63),
        StftOptions(16, 1).convention(Convention::torch).normalized(true).onesided(false),
        StftOptions(15, 1).window(Window::hamming).periodic(false),
        StftOptions(256, 64).win_length(200).convention(Convention::torch),
        StftOptions(64, 16).win_length(48).window(Window::blackman),
        StftOptions(33, 7).convention(Convention::torch).center(false),
        StftOptions(64, 16).convention(Convention::torch).pad_mode(PadMode::constant),
        StftOptions(1024, 256).output(Output::log_power),
        StftOptions(32, 10).center(false).window(Window::rectangle).output(Output::power),
        // torch without centring and a window shorter than n_fft: a frame is
        // torch's only when its n_fft lie inside the signal (the stream gave
        // one more frame than torch.stft and the batch form).
        StftOptions(8, 11).win_length(3).convention(Convention::torch).center(false),
        StftOptions(15, 4).win_length(10).convention(Convention::torch).center(false),
    };
}

// Interleave (C, T) into the GNU Radio layout x[t*C + c].
std::vector<float> interleave(const torch::Tensor& x)
{
    auto t = x.t().contiguous();
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

// Push in random chunks, pulling in random amounts; finish; pull the rest.
std::vector<float> run_stream(StftStream& s,
                              const std::vector<float>& x,
                              int channels,
                              std::mt19937& rng,
                              int max_chunk)
{
    std::vector<float> out;
    std::vector<float> frame_buf;
    std::uniform_int_distribution<int> chunk(0, max_chunk);
    const size_t n = x.size() / channels;
    size_t pos = 0;
    auto drain = [&](size_t limit) {
        frame_buf.resize(std::max<size_t>(1, limit) * s.frame_floats());
        const size_t got = s.pull(frame_buf.data(), limit);
        out.insert(out.end(), frame_buf.begin(), frame_buf.begin() + got * s.frame_floats());
    };
    while (pos < n) {
        const size_t c = std::min<size_t>(chunk(rng), n - pos);
        s.push(x.data() + pos * channels, c);
        pos += c;
        drain(chunk(rng) % 7);
    }
    s.finish();
    while (s.frames_ready() > 0)
        drain(s.frames_ready());
    return out;
}

} // namespace

TEST(StftStreamTest, BitIdenticalToBatchUnderAnyChunking)
{
    torch::manual_seed(7);
    std::mt19937 rng(1234);
    for (const auto& opts : configurations()) {
        for (int channels : { 1, 3, 5 }) { // 5: the 4-channel transpose and one more
            auto x = torch::randn({ channels, 3001 });
            auto batch = stft(x, opts); // (C, F, K) or complex
            if (opts.output() == Output::complex)
                batch = torch::view_as_real(batch); // (C, F, K, 2)
            // Frame-major [K][C][F(,2)] like the stream.
            auto expected = (opts.output() == Output::complex ? batch.permute({ 2, 0, 1, 3 })
                                                              : batch.permute({ 2, 0, 1 }))
                                .contiguous();
            for (int max_chunk : { 1, 5, 64, 700, 5000 }) {
                StftStream s(opts, channels);
                auto got = run_stream(s, interleave(x), channels, rng, max_chunk);
                ASSERT_EQ(got.size(), static_cast<size_t>(expected.numel()))
                    << opts.to_string() << " C=" << channels << " chunk<=" << max_chunk;
                EXPECT_EQ(std::memcmp(got.data(),
                                      expected.data_ptr<float>(),
                                      got.size() * sizeof(float)),
                          0)
                    << opts.to_string() << " C=" << channels << " chunk<=" << max_chunk;
                EXPECT_EQ(s.frames_pulled(), opts.num_frames(3001));
            }
        }
    }
}

TEST(StftStreamTest, FrameIsReadyExactlyWhenItsSamplesHaveArrived)
{
    for (const auto& opts : configurations()) {
        StftStream s(opts, 1);
        std::vector<float> one(1, 0.25f);
        int64_t pulled = 0;
        std::vector<float> buf(s.frame_floats());
        for (int64_t n = 1; n <= 3000; n++) {
            s.push(one.data(), 1);
            // Frame `pulled` becomes ready at the push that reaches samples_needed.
            const bool due = n >= s.samples_needed(pulled);
            ASSERT_EQ(s.frames_ready() > 0, due) << opts.to_string() << " n=" << n;
            while (s.pull(buf.data(), 1) == 1)
                pulled++;
        }
        // Before finish(), exactly the frames fully inside the data are out.
        int64_t expect = 0;
        while (s.samples_needed(expect) <= 3000)
            expect++;
        EXPECT_EQ(pulled, expect) << opts.to_string();
    }
}

TEST(StftStreamTest, NanAndInfMarkOnlyTheFramesThatReadThem)
{
    const auto opts = StftOptions(64, 16).output(Output::magnitude);
    auto x = torch::randn({ 2, 2000 });
    x[1][1000] = std::numeric_limits<float>::quiet_NaN();
    x[0][1500] = std::numeric_limits<float>::infinity();
    StftStream s(opts, 2);
    auto xi = interleave(x);
    s.push(xi.data(), 2000);
    s.finish();
    const size_t k = s.frames_ready();
    std::vector<float> out(k * s.frame_floats());
    std::vector<uint8_t> invalid(k, 7);
    ASSERT_EQ(s.pull(out.data(), k, invalid.data()), k);
    const int bins = s.bins();
    for (size_t f = 0; f < k; f++) {
        // frame f reads samples [16 f - 32, 16 f + 32)
        const int64_t lo = 16 * static_cast<int64_t>(f) - 32, hi = lo + 64;
        const bool has_nan = lo <= 1000 && 1000 < hi;
        const bool has_inf = lo <= 1500 && 1500 < hi;
        EXPECT_EQ(invalid[f], has_nan || has_inf ? 1 : 0) << "frame " << f;
        const float* ch0 = out.data() + f * 2 * bins;
        const float* ch1 = ch0 + bins;
        EXPECT_EQ(std::isnan(ch0[0]), has_inf) << "frame " << f;
        EXPECT_EQ(std::isnan(ch1[bins - 1]), has_nan) << "frame " << f;
    }
    // The frames that did not read a bad sample equal the clean transform.
    auto clean = stft(x.nan_to_num(0, 0, 0), opts); // (2, F, K)
    EXPECT_FLOAT_EQ(out[0], clean[0][0][0].item<float>());
}

TEST(StftStreamTest, PushAfterFinishAndBadChannelsAreErrors)
{
    StftStream s(StftOptions(16, 4), 1);
    float v = 1.0f;
    const std::vector<float> window(16, 1.0f); // scipy: at least one window's worth
    s.push(window.data(), window.size());
    s.finish();
    EXPECT_THROW(s.push(&v, 1), std::logic_error);
    s.reset();
    EXPECT_NO_THROW(s.push(&v, 1));
    EXPECT_THROW(StftStream(StftOptions(16, 4), 0), std::invalid_argument);
    EXPECT_THROW(StftStream(StftOptions(16, 0), 1), std::invalid_argument);
}

TEST(StftStreamTest, StreamShorterThanReflectPaddingIsReportedAtFinish)
{
    // torch, center, reflect, n_fft 16: P = 8, reflection needs at least 9 samples.
    const auto opts = StftOptions(16, 4).convention(Convention::torch);
    std::vector<float> x(8, 0.5f);
    StftStream s(opts, 2);
    s.push(x.data(), 4); // 4 samples per channel
    EXPECT_EQ(s.frames_ready(), 0u);
    try {
        s.finish();
        FAIL() << "expected an error";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()),
                  "StftStream::finish: the stream ended after 4 samples per channel, fewer "
                  "than the minimum of 9 that reflect padding of 8 samples needs "
                  "(torch.stft refuses it too); no frame was produced");
    }
    // Ended with no frames: nothing to pull, finish() again is a no-op, push refused.
    EXPECT_EQ(s.frames_ready(), 0u);
    EXPECT_NO_THROW(s.finish());
    EXPECT_THROW(s.push(x.data(), 1), std::logic_error);
    // reset() starts again; 9 samples are enough (3 frames, as the batch form).
    s.reset();
    std::vector<float> nine(18, 0.5f);
    s.push(nine.data(), 9);
    EXPECT_NO_THROW(s.finish());
    EXPECT_EQ(s.frames_ready(), 3u);
    // An empty stream ends with no frames and no error.
    StftStream empty(opts, 1);
    EXPECT_NO_THROW(empty.finish());
    EXPECT_EQ(empty.frames_ready(), 0u);
}

TEST(StftStreamTest, StreamShorterThanOneFrameIsReportedAtFinish)
{
    const auto opts = StftOptions(64, 16).convention(Convention::torch).center(false);
    std::vector<float> x(40, 1.0f);
    StftStream s(opts, 1);
    s.push(x.data(), 40);
    try {
        s.finish();
        FAIL() << "expected an error";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()),
                  "StftStream::finish: the stream ended after 40 samples per channel, "
                  "fewer than the minimum of 64 that one frame needs; no frame was "
                  "produced");
    }
    EXPECT_EQ(s.frames_ready(), 0u);
}

TEST(StftStreamTest, CountNonfiniteCountsNanAndInfOnly)
{
    const float inf = std::numeric_limits<float>::infinity();
    const float v[] = { 0.0f,
                        -0.0f,
                        1.0f,
                        std::numeric_limits<float>::max(),
                        std::numeric_limits<float>::denorm_min(),
                        inf,
                        -inf,
                        std::numeric_limits<float>::quiet_NaN(),
                        -std::numeric_limits<float>::quiet_NaN() };
    EXPECT_EQ(count_nonfinite(v, 9), 4u);
    EXPECT_EQ(count_nonfinite(v, 5), 0u);
    EXPECT_EQ(count_nonfinite(v, 0), 0u);
}

TEST(StftStreamTest, LoudFramesStayFiniteExceptOverflowingPower)
{
    // Finite samples of 1e30 on channel 1; channel 0 is unit noise.
    auto x = torch::randn({ 2, 1500 });
    x[1] *= 1e30f;
    ASSERT_TRUE(torch::isfinite(x).all().item<bool>());
    const auto xi = interleave(x);
    for (Output kind : { Output::magnitude, Output::log_power, Output::power }) {
        StftStream s(StftOptions(64, 16).output(kind), 2);
        s.push(xi.data(), 1500);
        s.finish();
        const size_t k = s.frames_ready();
        std::vector<float> out(k * s.frame_floats());
        std::vector<uint8_t> invalid(k, 7);
        ASSERT_EQ(s.pull(out.data(), k, invalid.data()), k);
        const int bins = s.bins();
        size_t over = 0;
        for (size_t f = 0; f < k; f++) {
            EXPECT_EQ(count_nonfinite(out.data() + f * 2 * bins, bins), 0u) << f;
            const size_t o = count_nonfinite(out.data() + (f * 2 + 1) * bins, bins);
            // Never invalid; flagged as overflow exactly where a value is +-inf.
            EXPECT_EQ(invalid[f], o > 0 ? kFrameOverflow : 0) << "frame " << f;
            over += o;
        }
        if (kind == Output::power)
            EXPECT_GT(over, k * bins / 2) << "power > FLT_MAX is +inf";
        else
            EXPECT_EQ(over, 0u) << to_string(kind);
    }
}

// Finite samples so loud that the float FFT overflows (the torch convention
// has no 1/sum(w) scaling): the frames are valid, computed exactly in double;
// only the bins beyond the float range are +inf (the block tags them
// tfmed_overflow), none NaN, none flagged invalid.
TEST(StftStreamTest, FftOverflowOfFiniteInputIsNotInvalid)
{
    for (auto out : { Output::magnitude, Output::complex, Output::log_power }) {
        const auto opts = StftOptions(64, 16)
                              .convention(Convention::torch)
                              .pad_mode(PadMode::constant)
                              .output(out);
        StftStream s(opts, 1);
        std::vector<float> x(600, 3e38f);
        s.push(x.data(), x.size());
        s.finish();
        std::vector<float> buf(s.frame_floats() * 64);
        std::vector<uint8_t> invalid(64, 7);
        const size_t n = s.pull(buf.data(), 64, invalid.data());
        ASSERT_GT(n, 10u);
        const size_t k = opts.output() == Output::complex ? 2 : 1;
        size_t flagged = 0;
        for (size_t f = 0; f < n; f++) {
            const float* v = buf.data() + f * s.frame_floats();
            const bool inf = count_nonfinite(v, s.frame_floats()) > 0;
            EXPECT_EQ(invalid[f], inf ? kFrameOverflow : 0) << "frame " << f;
            flagged += inf;
            for (size_t i = 0; i < s.frame_floats(); i++)
                ASSERT_FALSE(std::isnan(v[i])) << "frame " << f << " float " << i;
        }
        // |X| and X beyond FLT_MAX at DC in the full frames; 10 log10 |X|^2 never.
        if (out == Output::log_power)
            EXPECT_EQ(flagged, 0u);
        else
            EXPECT_GT(flagged, n / 2);
        // A full frame (frame 5): the DC bin is sum(hann) * 3e38 = 9.6e39,
        // beyond FLT_MAX: +inf in magnitude; 10 log10 |X|^2 = 799.6 dB.
        const float* mid = buf.data() + 5 * s.frame_floats();
        if (out == Output::magnitude) {
            EXPECT_EQ(mid[0], std::numeric_limits<float>::infinity());
            EXPECT_LT(mid[10], 1e33f); // far from DC: finite (1e-7 of DC: window rounding)
        } else if (out == Output::log_power) {
            EXPECT_NEAR(mid[0], 20.0 * std::log10(32.0 * 3e38), 1e-3);
        } else {
            EXPECT_EQ(mid[0], std::numeric_limits<float>::infinity());
            EXPECT_TRUE(std::isfinite(mid[2 * 10]));
        }
        (void)k;
    }
}
