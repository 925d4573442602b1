/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tfmed.stft in real flowgraphs: frames equal the core batch STFT, tags land on
 * the frame that contains their sample, NaN frames are tagged, setters are
 * safe while the graph runs, bad parameters fail in make().
 */
#include "errors.h"
#include <gnuradio/blocks/head.h>
#include <gnuradio/blocks/null_source.h>
#include <gnuradio/blocks/throttle.h>
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/blocks/vector_source.h>
#include <gnuradio/tfmed/stft.h>
#include <gnuradio/top_block.h>
#include <tfmed/dsp/stft.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <tuple>

namespace dsp = tfmed::dsp;

namespace {

std::vector<float> random_signal(size_t n, unsigned seed)
{
    torch::manual_seed(seed);
    auto x = torch::randn({ static_cast<int64_t>(n) });
    return std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + n);
}

// Frame-major reference [K][C][F] from the core batch form.
torch::Tensor reference(const std::vector<float>& interleaved,
                        int channels,
                        const dsp::StftOptions& o)
{
    const int64_t t = interleaved.size() / channels;
    auto x = torch::from_blob(const_cast<float*>(interleaved.data()), { t, channels })
                 .t()
                 .contiguous();
    return dsp::stft(x, o).permute({ 2, 0, 1 }).contiguous();
}

// source -> block -> sink; with `rate` > 0 a throttle paces the source at
// that many samples per second.
std::vector<float> run_graph(const std::vector<float>& x,
                             int channels,
                             gr::tfmed::stft::sptr block,
                             std::vector<gr::tag_t> tags_in,
                             std::vector<gr::tag_t>* tags_out,
                             double rate = 0.0)
{
    auto tb = gr::make_top_block("test");
    auto src = gr::blocks::vector_source_f::make(x, false, channels, tags_in);
    auto snk = gr::blocks::vector_sink_f::make(channels * block->bins());
    if (rate > 0) {
        auto pace = gr::blocks::throttle::make(sizeof(float) * channels, rate / channels);
        tb->connect(src, 0, pace, 0);
        tb->connect(pace, 0, block, 0);
    } else {
        tb->connect(src, 0, block, 0);
    }
    tb->connect(block, 0, snk, 0);
    tb->run();
    if (tags_out)
        *tags_out = snk->tags();
    return snk->data();
}

} // namespace

TEST(StftBlockTest, FramesEqualTheCoreBatchStft)
{
    struct Case {
        int channels, n_fft, hop;
        const char* convention;
        bool normalized, onesided;
        const char* output;
    };
    for (const Case& c : std::vector<Case>{ { 1, 125, 63, "scipy", false, true, "magnitude" },
                                            { 12, 125, 63, "scipy", false, true, "magnitude" },
                                            { 1, 16, 1, "torch", true, false, "power" },
                                            { 2, 256, 64, "torch", false, true, "log_power" },
                                            { 3, 1024, 256, "scipy", false, true, "power" } }) {
        auto x = random_signal(20000 * c.channels, 3);
        auto blk = gr::tfmed::stft::make(c.channels, c.n_fft, c.hop, 0, "hann", true,
                                         c.convention, true, "reflect", c.normalized,
                                         c.onesided, c.output);
        auto got = run_graph(x, c.channels, blk, {}, nullptr);
        auto o = dsp::StftOptions(c.n_fft, c.hop)
                     .convention(dsp::parse_convention(c.convention))
                     .normalized(c.normalized)
                     .onesided(c.onesided)
                     .output(dsp::parse_output(c.output));
        auto ref = reference(x, c.channels, o);
        // Every frame whose samples all arrived is emitted; the end-boundary frames
        // (which need the end of the stream) are not.
        dsp::StftStream probe(o, 1);
        int64_t complete = 0;
        while (probe.samples_needed(complete) <= 20000)
            complete++;
        const int64_t per = c.channels * blk->bins();
        ASSERT_EQ(static_cast<int64_t>(got.size()), complete * per) << o.to_string();
        EXPECT_EQ(std::memcmp(got.data(), ref.data_ptr<float>(), got.size() * sizeof(float)),
                  0)
            << o.to_string() << " channels " << c.channels;
    }
}

TEST(StftBlockTest, ComplexOutputCarriesGrComplexItems)
{
    auto x = random_signal(4800, 5);
    auto blk = gr::tfmed::stft::make(1, 125, 63, 0, "hann", true, "scipy", true, "reflect",
                                     false, true, "complex");
    EXPECT_EQ(blk->output_signature()->sizeof_stream_item(0), 63 * sizeof(gr_complex));
    auto tb = gr::make_top_block("complex");
    auto src = gr::blocks::vector_source_f::make(x);
    auto snk = gr::blocks::vector_sink_c::make(63);
    tb->connect(src, 0, blk, 0);
    tb->connect(blk, 0, snk, 0);
    tb->run();
    auto ref = dsp::stft(torch::from_blob(x.data(), { 4800 }),
                         dsp::StftOptions(125, 63).output(dsp::Output::complex));
    ASSERT_EQ(snk->data().size(), 76u * 63u); // 78 frames, the last 2 need the end
    for (int k : { 0, 1, 40, 75 })
        for (int b : { 0, 1, 31, 62 }) {
            auto r = ref[b][k];
            EXPECT_EQ(snk->data()[k * 63 + b],
                      gr_complex(torch::real(r).item<float>(), torch::imag(r).item<float>()));
        }
}

TEST(StftBlockTest, TagsMoveToTheFrameContainingTheirSample)
{
    auto x = random_signal(5000, 9);
    std::vector<gr::tag_t> in;
    // scipy 125/63: frame k is centred on 63 k and the nearest centre wins.
    const std::vector<std::pair<uint64_t, uint64_t>> sample_to_frame = {
        { 0, 0 }, { 31, 0 }, { 32, 1 }, { 63, 1 }, { 1000, 16 }, { 4000, 63 }
    };
    for (auto [s, f] : sample_to_frame) {
        gr::tag_t t;
        t.offset = s;
        t.key = pmt::intern("annotation");
        t.value = pmt::from_uint64(s);
        in.push_back(t);
    }
    std::vector<gr::tag_t> out;
    run_graph(x, 1, gr::tfmed::stft::make(1, 125, 63), in, &out);
    ASSERT_EQ(out.size(), sample_to_frame.size());
    for (size_t i = 0; i < out.size(); i++) {
        EXPECT_EQ(pmt::to_uint64(out[i].value), sample_to_frame[i].first);
        EXPECT_EQ(out[i].offset, sample_to_frame[i].second)
            << "tag at sample " << sample_to_frame[i].first;
        EXPECT_EQ(pmt::symbol_to_string(out[i].key), "annotation");
    }
}

TEST(StftBlockTest, NanInputGivesNanFramesAndAnInvalidTag)
{
    auto x = random_signal(2 * 3000, 11); // 2 channels interleaved
    x[2 * 1000 + 1] = NAN;                // channel 1, sample 1000
    std::vector<gr::tag_t> tags;
    auto blk = gr::tfmed::stft::make(2, 64, 32);
    auto y = run_graph(x, 2, blk, {}, &tags);
    const int bins = blk->bins();
    // Frames k with [32k - 32, 32k + 32) containing 1000: k = 31, 32.
    std::vector<uint64_t> flagged;
    for (const auto& t : tags) {
        ASSERT_EQ(pmt::symbol_to_string(t.key), "tfmed_invalid");
        flagged.push_back(t.offset);
        auto chans = pmt::s32vector_elements(t.value);
        EXPECT_EQ(chans, std::vector<int32_t>{ 1 });
    }
    EXPECT_EQ(flagged, (std::vector<uint64_t>{ 31, 32 }));
    EXPECT_TRUE(std::isnan(y[(31 * 2 + 1) * bins]));
    EXPECT_FALSE(std::isnan(y[(31 * 2 + 0) * bins])); // channel 0 is clean
    EXPECT_FALSE(std::isnan(y[(33 * 2 + 1) * bins]));
}

TEST(StftBlockTest, LoudFiniteInputGivesFiniteMagnitudeAndTaggedPowerOverflow)
{
    // Channel 1 is 1e30 x noise (finite): its power passes FLT_MAX.
    auto x = random_signal(2 * 3000, 17);
    for (size_t t = 0; t < 3000; t++)
        x[2 * t + 1] *= 1e30f;
    {
        std::vector<gr::tag_t> tags;
        auto y = run_graph(x, 2, gr::tfmed::stft::make(2, 64, 32), {}, &tags);
        EXPECT_TRUE(tags.empty()) << "magnitude stays finite";
        for (float v : y)
            ASSERT_TRUE(std::isfinite(v));
    }
    std::vector<gr::tag_t> tags;
    auto blk = gr::tfmed::stft::make(
        2, 64, 32, 0, "hann", true, "scipy", true, "reflect", false, true, "power");
    auto y = run_graph(x, 2, blk, {}, &tags);
    const size_t frames = y.size() / (2 * blk->bins());
    ASSERT_GT(frames, 80u);
    ASSERT_EQ(tags.size(), frames) << "every frame of channel 1 overflows";
    for (size_t i = 0; i < tags.size(); i++) {
        EXPECT_EQ(pmt::symbol_to_string(tags[i].key), "tfmed_overflow");
        EXPECT_EQ(tags[i].offset, i);
        EXPECT_EQ(pmt::s32vector_elements(tags[i].value), std::vector<int32_t>{ 1 });
        EXPECT_TRUE(std::isfinite(y[(i * 2 + 0) * blk->bins()])); // channel 0 is clean
    }
}

TEST(StftBlockTest, AFirstFrameLongerThanTheInputBufferStillComes)
{
    // n_fft 32768 behind GNU Radio's default buffer (16 Ki floats): forecast()
    // asked for the whole first frame at once and the scheduler stopped the
    // block (no frame at all). The frames must equal the core's.
    const int64_t n = 100000;
    auto x = random_signal(n, 11);
    for (auto [n_fft, hop, conv] : { std::tuple{ 32768, 256, "torch" },
                                     std::tuple{ 65536, 1024, "scipy" } }) {
        auto blk = gr::tfmed::stft::make(1, n_fft, hop, 0, "hann", true, conv);
        auto got = run_graph(x, 1, blk, {}, nullptr);
        const auto o = dsp::StftOptions(n_fft, hop).convention(dsp::parse_convention(conv));
        dsp::StftStream probe(o, 1);
        int64_t complete = 0;
        while (probe.samples_needed(complete) <= n)
            complete++;
        ASSERT_GT(complete, 0);
        ASSERT_EQ(static_cast<int64_t>(got.size()), complete * blk->bins()) << o.to_string();
        const auto ref = reference(x, 1, o);
        EXPECT_EQ(std::memcmp(got.data(), ref.data_ptr<float>(), got.size() * sizeof(float)), 0)
            << o.to_string();
    }
    // 16 channels of 4096 (hop 1024, no centring): the first frame is 64 Ki
    // floats, the whole default buffer.
    auto x16 = random_signal(16 * 20000, 12);
    auto blk = gr::tfmed::stft::make(16, 4096, 1024, 0, "hann", true, "torch", false);
    auto got = run_graph(x16, 16, blk, {}, nullptr);
    EXPECT_EQ(got.size(), size_t(16) * 2049 * ((20000 - 4096) / 1024 + 1));
}

TEST(StftBlockTest, TagPlacementDoesNotDependOnHowTheStreamIsCut)
{
    // hop 64 beyond n_fft 16 (torch, centred; frame k reads samples 64 k - 8
    // .. 64 k + 7). 340, 596 and 852 lie after their nearest frame's window
    // (320, 576, 832 +- 8): that frame may have left before they are read, so
    // they go to the next one, 6 / 10 / 14, whatever the scheduler's chunks
    // (5 / 9 / 13 or 6 / 10 / 14 before, by chunking). 610 lies before frame
    // 10's centre and inside nothing: frame 10 still reads later samples.
    auto x = random_signal(2000, 13);
    std::vector<gr::tag_t> in;
    for (uint64_t s : { 340, 596, 610, 852 }) {
        gr::tag_t t;
        t.offset = s;
        t.key = pmt::intern("annotation");
        t.value = pmt::from_uint64(s);
        in.push_back(t);
    }
    for (int max_out : { 0, 1, 3 }) {
        auto blk = gr::tfmed::stft::make(1, 16, 64, 0, "hann", true, "torch");
        if (max_out > 0)
            blk->set_max_noutput_items(max_out);
        std::vector<gr::tag_t> out;
        const auto y = run_graph(x, 1, blk, in, &out);
        // Every frame whose samples arrived comes out (frame 31 needs 1992).
        EXPECT_EQ(y.size(), 32u * blk->bins()) << "max_noutput_items " << max_out;
        ASSERT_EQ(out.size(), 4u) << "max_noutput_items " << max_out;
        const std::vector<uint64_t> want = { 6, 10, 10, 14 };
        for (size_t i = 0; i < 4; ++i)
            EXPECT_EQ(out[i].offset, want[i])
                << "tag at " << pmt::to_uint64(out[i].value) << ", max_noutput_items "
                << max_out;
    }
}

TEST(StftBlockTest, StreamShorterThanReflectPaddingEndsWithoutFrames)
{
    // torch, reflect, n_fft 16: the first frame needs 9 samples; 5 give none,
    // and stop() logs a warning (no error leaves the scheduler).
    auto blk = gr::tfmed::stft::make(1, 16, 4, 0, "hann", true, "torch");
    auto y = run_graph(std::vector<float>(5, 1.0f), 1, blk, {}, nullptr);
    EXPECT_TRUE(y.empty());
}

TEST(StftBlockTest, MakeRejectsBadParametersWithClearMessages)
{
    auto msg = [](auto&& f) { return tfmed_test::message_of<std::invalid_argument>(f); };
    EXPECT_EQ(msg([] { gr::tfmed::stft::make(1, 0, 1); }),
              "STFT option 'n_fft': expected > 0, found 0");
    EXPECT_EQ(msg([] { gr::tfmed::stft::make(1, 64, 0); }),
              "STFT option 'hop': expected > 0, found 0");
    EXPECT_EQ(msg([] { gr::tfmed::stft::make(1, 64, 16, 65); }),
              "STFT option 'win_length': expected 0 (= n_fft) or 1..64 (<= n_fft), found 65");
    EXPECT_EQ(msg([] { gr::tfmed::stft::make(1, 64, 16, 0, "kaiser"); }),
              "STFT option 'window': expected one of 'hann', 'hamming', 'blackman', "
              "'rectangle', 'triang', found 'kaiser'");
    EXPECT_EQ(msg([] { gr::tfmed::stft::make(1, 64, 16, 0, "hann", true, "matlab"); }),
              "STFT option 'convention': expected one of 'scipy', 'torch', found 'matlab'");
    EXPECT_EQ(msg([] {
                  gr::tfmed::stft::make(1, 64, 16, 0, "hann", true, "scipy", true, "reflect",
                                        false, true, "phase");
              }),
              "STFT option 'output': expected one of 'complex', 'magnitude', 'power', "
              "'log_power', found 'phase'");
    EXPECT_EQ(msg([] {
                  gr::tfmed::stft::make(1, 64, 16, 0, "hann", true, "scipy", true, "reflect",
                                        true);
              }).substr(0, 70),
              "STFT option 'normalized': expected false with the scipy convention (it");
    EXPECT_EQ(msg([] {
                  gr::tfmed::stft::make(1, 64, 16, 0, "hann", true, "scipy", true, "constant");
              }).substr(0, 57),
              "STFT option 'pad_mode': expected the default 'reflect' (u");
    EXPECT_EQ(msg([] { gr::tfmed::stft::make(0, 64, 16); }),
              "tfmed.stft: 'channels' expected > 0, found 0");
    // Sizes GNU Radio's buffers cannot hold: refused here, not an allocation
    // of 69 GB (killed) or a GNU Radio io_signature error
    EXPECT_EQ(msg([] { gr::tfmed::stft::make(1 << 26, 256, 4); }),
              "tfmed.stft: output items (one frame of every channel): expected at most 64 "
              "MiB, found 67108864 channel(s) x 129 bins x 4 bytes = 34628173824 bytes");
    EXPECT_EQ(msg([] {
                  gr::tfmed::stft::make(1, 1 << 30, 4, 0, "hann", true, "torch", true,
                                        "reflect", false, true, "complex");
              }),
              "tfmed.stft: output items (one frame of every channel): expected at most 64 "
              "MiB, found 1 channel(s) x 536870913 bins x 8 bytes = 4294967304 bytes");
    // the input side: a frame's n_fft samples of every channel wait in the buffer
    EXPECT_EQ(msg([] { gr::tfmed::stft::make(1 << 19, 40, 8); }),
              "tfmed.stft: one frame's input (n_fft samples of every channel): expected at "
              "most 64 MiB, found 524288 channel(s) x n_fft 40 x 4 bytes = 83886080 bytes");
    auto blk = gr::tfmed::stft::make(1, 64, 16);
    EXPECT_THROW(blk->set_output("complex"), std::invalid_argument);
    EXPECT_THROW(blk->set_log_floor(-1.0f), std::invalid_argument);
    EXPECT_THROW(blk->set_window("triangle"), std::invalid_argument);
}

TEST(StftBlockTest, SettersWhileRunningSwitchWholeFrames)
{
    // A GUI thread flips the window while the graph runs: every frame must be
    // exactly a Hann frame or exactly a Blackman frame, never a torn mixture.
    // The source is paced (200 ms for the whole signal) so that the flips
    // overlap the run even when the machine is busy: unpaced, the graph could
    // finish between the GUI thread's first two flips (seen once under a
    // parallel ctest run, every frame Blackman).
    auto x = random_signal(200000, 13);
    auto hann = dsp::stft(torch::from_blob(x.data(), { 200000 }), dsp::StftOptions(64, 32));
    auto black = dsp::stft(torch::from_blob(x.data(), { 200000 }),
                           dsp::StftOptions(64, 32).window(dsp::Window::blackman));
    auto blk = gr::tfmed::stft::make(1, 64, 32);
    std::atomic<bool> done{ false };
    std::thread gui([&] {
        for (int i = 0; !done; i++) {
            blk->set_window(i % 2 ? "hann" : "blackman");
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
    });
    auto y = run_graph(x, 1, blk, {}, nullptr, 1e6);
    done = true;
    gui.join();
    const int bins = 33;
    const int64_t frames = y.size() / bins;
    ASSERT_GT(frames, 6000);
    int n_hann = 0, n_black = 0;
    auto h = hann.t().contiguous(), b = black.t().contiguous();
    for (int64_t k = 0; k < frames; k++) {
        const float* f = y.data() + k * bins;
        const bool is_h = !std::memcmp(f, h[k].data_ptr<float>(), bins * sizeof(float));
        const bool is_b = !std::memcmp(f, b[k].data_ptr<float>(), bins * sizeof(float));
        ASSERT_TRUE(is_h || is_b) << "frame " << k << " is neither window";
        n_hann += is_h, n_black += is_b;
    }
    EXPECT_GT(n_hann, 0);
    EXPECT_GT(n_black, 0);
}
