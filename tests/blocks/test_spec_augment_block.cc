/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
// tfmed.spec_augment in flowgraphs: the reproducible per-window views equal
// to the engine's, tags that follow their frames, non-finite and
// out-of-range input counted, stft_mismatch frame by frame (StftTransitions),
// thread-safe setters and the refusals. (Torch-free TU.)
#include "../../lib/blocks/upstream_stft.h" // StftTransitions (internal)
#include "errors.h"
#include "retuned_stft.h"
#include "signals.h"
#include "tags.h"
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/blocks/vector_source.h>
#include <gnuradio/tfmed/spec_augment.h>
#include <gnuradio/tfmed/stft.h>
#include <gnuradio/top_block.h>
#include <tfmed/engine/augment_engine.h>

#include <gtest/gtest.h>

#include <cmath>

namespace {

using tfmed_test::by_key;
using tfmed_test::signal;

constexpr int kCh = 2, kFft = 16; // 17 frames of 9 bins per channel

// Frames `f` of `V` values through `blk` in a graph run to its end: the sink.
gr::blocks::vector_sink_f::sptr through(const std::vector<float>& f, int V, gr::block_sptr blk)
{
    auto tb = gr::make_top_block("aug");
    auto src = gr::blocks::vector_source_f::make(f, false, V);
    auto sink = gr::blocks::vector_sink_f::make(V);
    tb->connect(src, 0, blk, 0);
    tb->connect(blk, 0, sink, 0);
    tb->run();
    return sink;
}

} // namespace

TEST(SpecAugmentBlock, ViewsPerWindowEqualTheEngineAndReproduce)
{
    const int V = 18, T = 17, windows = 5;
    auto f = signal(T * windows, V);
    for (auto& v : f)
        v = std::abs(v);
    auto views = [&](const std::string& preset, int view, uint64_t seed) {
        const auto sink = through(f, V, gr::tfmed::spec_augment::make(V, T, preset, seed, view, true));
        return std::make_pair(sink->data(), sink->tags());
    };
    const auto a = views("view1", 0, 9);
    ASSERT_EQ(a.first.size(), f.size());
    const std::size_t per = static_cast<std::size_t>(T) * V;
    int flips = 0;
    for (int w = 0; w < windows; ++w) {
        std::vector<float> want(per);
        const auto d = tfmed::engine::augment_window(f.data() + w * per, want.data(), T, V,
                                                     tfmed::augment::ViewOptions::view1(), true,
                                                     9, static_cast<uint64_t>(w), 0);
        flips += d.flip;
        for (std::size_t i = 0; i < per; ++i)
            ASSERT_EQ(a.first[w * per + i], want[i]) << "window " << w << " value " << i;
        float lo = 1, hi = 0;
        for (std::size_t i = 0; i < per; ++i)
            lo = std::min(lo, want[i]), hi = std::max(hi, want[i]);
        EXPECT_GE(lo, 0.0f);
        EXPECT_LE(hi, 1.0f);
    }
    auto tags = by_key(a.second)["tfmed_augment"];
    ASSERT_EQ(tags.size(), static_cast<std::size_t>(windows));
    EXPECT_EQ(tags[2].offset, static_cast<uint64_t>(2 * T));
    int tag_flips = 0;
    for (const auto& t : tags)
        tag_flips += pmt::to_bool(pmt::dict_ref(t.value, pmt::mp("flip"), pmt::PMT_F));
    EXPECT_EQ(tag_flips, flips);
    // Same seed and view: the same stream; another view or seed: another one.
    EXPECT_EQ(views("view1", 0, 9).first, a.first);
    EXPECT_NE(views("view1", 1, 9).first, a.first);
    EXPECT_NE(views("view2", 1, 9).first, a.first);
}

// Tags ride on frames (stft's labels and annotations): a flipped window
// moves them with their frames. A non-finite input value is counted in the
// window's tfmed_augment tag (it is set to 0 before augmenting).
TEST(SpecAugmentBlock, TagsFollowTheirFramesAndNonFiniteInputIsCounted)
{
    const int V = 18, T = 17, windows = 8;
    auto f = signal(T * windows, V);
    for (auto& v : f)
        v = std::abs(v);
    f[(3 * T + 5) * V + 2] = std::nanf("");
    std::vector<gr::tag_t> in_tags;
    for (int w = 0; w < windows; ++w) {
        gr::tag_t t;
        t.offset = static_cast<uint64_t>(w * T + 2);
        t.key = pmt::intern("mark");
        t.value = pmt::from_long(w);
        in_tags.push_back(t);
    }
    auto tb = gr::make_top_block("aug_tags");
    auto src = gr::blocks::vector_source_f::make(f, false, V, in_tags);
    auto blk = gr::tfmed::spec_augment::make(V, T, "view1", 9, 0, true);
    auto sink = gr::blocks::vector_sink_f::make(V);
    tb->connect(src, 0, blk, 0);
    tb->connect(blk, 0, sink, 0);
    tb->run();
    auto tags = by_key(sink->tags());
    const auto& aug = tags["tfmed_augment"];
    const auto& marks = tags["mark"];
    ASSERT_EQ(aug.size(), static_cast<std::size_t>(windows));
    ASSERT_EQ(marks.size(), static_cast<std::size_t>(windows));
    int flips = 0;
    for (int w = 0; w < windows; ++w) {
        const bool flip = pmt::to_bool(pmt::dict_ref(aug[w].value, pmt::mp("flip"), pmt::PMT_F));
        flips += flip;
        const uint64_t want = static_cast<uint64_t>(w * T + (flip ? T - 1 - 2 : 2));
        bool found = false;
        for (const auto& m : marks)
            found = found || (pmt::to_long(m.value) == w && m.offset == want);
        EXPECT_TRUE(found) << "window " << w << (flip ? " (flipped)" : "");
        const auto bad = pmt::dict_ref(aug[w].value, pmt::mp("non_finite"), pmt::PMT_NIL);
        if (w == 3)
            EXPECT_EQ(pmt::to_long(bad), 1);
        else
            EXPECT_TRUE(pmt::is_null(bad)) << "window " << w;
    }
    EXPECT_GT(flips, 0); // the check above saw a flipped window
    EXPECT_LT(flips, windows);
    for (float v : sink->data())
        ASSERT_TRUE(std::isfinite(v));

    // Without `normalise` the input must be an image in [0, 1] (the jitter
    // clamps to it): values outside are counted per window, not hidden.
    std::vector<float> g(static_cast<std::size_t>(T * 2 * V));
    for (std::size_t i = 0; i < g.size(); ++i)
        g[i] = 0.5f + 0.4f * std::sin(0.1f * static_cast<float>(i));
    g[(T + 3) * V + 1] = 7.0f; // window 1
    g[(T + 4) * V + 1] = -2.0f;
    auto sink2 = through(g, V, gr::tfmed::spec_augment::make(V, T, "view1", 9, 0, false));
    const auto aug2 = by_key(sink2->tags())["tfmed_augment"];
    ASSERT_EQ(aug2.size(), 2u);
    EXPECT_TRUE(pmt::is_null(pmt::dict_ref(aug2[0].value, pmt::mp("out_of_range"), pmt::PMT_NIL)));
    EXPECT_EQ(pmt::to_long(pmt::dict_ref(aug2[1].value, pmt::mp("out_of_range"), pmt::PMT_NIL)), 2);

    // With the front end on, an upstream tfmed.stft must give magnitudes:
    // dB values made views of something else, without a word.
    for (const std::string output : { "magnitude", "log_power" }) {
        auto tb3 = gr::make_top_block("aug_upstream");
        auto src3 = gr::blocks::vector_source_f::make(signal(400, kCh), false, kCh);
        auto st = gr::tfmed::stft::make(kCh, kFft, 4, 0, "hann", true, "torch", true, "reflect",
                                        false, true, output);
        const int bins = kCh * (kFft / 2 + 1);
        auto aug = gr::tfmed::spec_augment::make(bins, 17, "view1", 9, 0, true);
        auto sink3 = gr::blocks::vector_sink_f::make(bins);
        tb3->connect(src3, 0, st, 0);
        tb3->connect(st, 0, aug, 0);
        tb3->connect(aug, 0, sink3, 0);
        tb3->run();
        const auto tagged = by_key(sink3->tags())["tfmed_augment"];
        ASSERT_GT(tagged.size(), 0u) << output;
        for (const auto& t : tagged)
            EXPECT_EQ(pmt::is_true(pmt::dict_ref(t.value, pmt::mp("stft_mismatch"), pmt::PMT_F)),
                      output != "magnitude")
                << output;
    }
}

// The upstream stft changed its output while the graph ran (log power, then
// magnitude): a window is flagged by the frames it holds, from the first
// frame the stft made with the new settings on. (It was flagged by the call
// that read it: after the change, windows of power frames still waiting in
// the input lost the flag.)
TEST(SpecAugmentBlock, AnStftChangedMidStreamFlagsWindowsByTheirFrames)
{
    auto g = tfmed_test::retuned_stft("aug_retune", kCh, kFft);
    const auto& st = g.stft;
    const int bins = kCh * (kFft / 2 + 1);
    auto aug = gr::tfmed::spec_augment::make(bins, 17, "view1", 9, 0, true);
    auto sink = gr::blocks::vector_sink_f::make(bins);
    g.tb->connect(st, 0, aug, 0);
    g.tb->connect(aug, 0, sink, 0);
    tfmed_test::run_switching_to_magnitude(g);
    uint64_t first = 0;
    st->settings(first);
    ASSERT_EQ(st->settings_changes(), 1u);
    const auto tagged = by_key(sink->tags())["tfmed_augment"];
    const uint64_t windows = tagged.size();
    ASSERT_GT(first, 17u);
    ASSERT_LT(first + 17, windows * 17) << "the change came after the last window";
    int before = 0, after = 0;
    for (const auto& t : tagged) {
        const uint64_t a = t.offset; // frames [a, a + 17)
        const bool flagged =
            pmt::is_true(pmt::dict_ref(t.value, pmt::mp("stft_mismatch"), pmt::PMT_F));
        EXPECT_EQ(flagged, a < first) << "window at frame " << a << ", magnitudes from frame "
                                      << first;
        ++(a < first ? before : after);
    }
    EXPECT_GT(before, 0);
    EXPECT_GT(after, 0);
}

// Two changes of an stft's settings before its next frame share that frame:
// the first made no frame and judges none (a window of magnitudes around it
// was flagged, and a trls_views training refused it).
TEST(StftTransitions, ChangesWithoutAFrameJudgeNone)
{
    gr::tfmed::StftTransitions t;
    t.note(0, "");
    t.note(40, "power");
    t.note(40, ""); // back to magnitude before frame 40 was made
    EXPECT_EQ(t.mismatch(30, 47), nullptr);
    EXPECT_FALSE(t.latest_mismatched());
    t.note(60, "dB");
    EXPECT_EQ(t.mismatch(43, 60), nullptr);
    ASSERT_NE(t.mismatch(50, 67), nullptr);
    EXPECT_EQ(*t.mismatch(50, 67), "dB");
    EXPECT_TRUE(t.latest_mismatched());
    // A change reported for an earlier frame (the no-stft path after a
    // restart) lands on the latest transition's and supersedes it.
    t.note(10, "");
    EXPECT_EQ(t.mismatch(59, 76), nullptr);
    EXPECT_FALSE(t.latest_mismatched());
}

TEST(SpecAugmentBlock, SettersAndRefusals)
{
    using gr::tfmed::spec_augment;
    auto blk = spec_augment::make(18, 17, "view2", 1, 1);
    blk->set_jitter(0.5, 0.2, 0.3);
    blk->set_masks(4, 2);
    EXPECT_NE(blk->settings().find("jitter p 0.5 (brightness 0.2, contrast 0.3)"), std::string::npos);
    EXPECT_NE(blk->settings().find("time mask <= 4, frequency mask <= 2"), std::string::npos);
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>([&] { blk->set_flip(2.0); })
                  .find("flip_p: expected a probability in [0, 1], found 2"),
              std::string::npos);
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>([&] { blk->set_blur(1, 41, 0.1, 2); })
                  .find("blur_kernel: expected an odd size in 1..31, found 41"),
              std::string::npos);
    auto narrow = spec_augment::make(18, 8, "view1");
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>([&] { narrow->set_blur(1, 17, 0.1, 2); })
                  .find("too large for 18 x 8 windows"),
              std::string::npos);
    // A refused setting changes nothing.
    EXPECT_NE(blk->settings().find("flip p 0.5"), std::string::npos);
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>([] { spec_augment::make(18, 17, "view3"); })
                  .find("expected 'view1' or 'view2', found 'view3'"),
              std::string::npos);
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>([] { spec_augment::make(0, 17); })
                  .find("expected vlen >= 1, found 0"),
              std::string::npos);
    // Masks wider than the window (clamped when drawn, yet shown as set)
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>([&] { blk->set_masks(18, 2); }),
              "tfmed.spec_augment: expected mask widths of at most the window's 17 frames "
              "(time) and 18 values per frame (frequency), found time 18 and frequency 2");
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>([&] { blk->set_masks(17, 19); }),
              "");
    blk->set_masks(17, 18); // the whole window is a valid bound
    // A window GNU Radio's buffers cannot hold: make() accepted it and the
    // graph hung ("Buffer too small for min_noutput_items")
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>(
                  [] { spec_augment::make(34, 1 << 30); }),
              "tfmed.spec_augment: windows: expected at most 64 MiB, found vlen 34 x "
              "1073741824 frames x 4 bytes = 146028888064 bytes");
}

// With masks on, each window's tag gives the masks drawn, as (first, width),
// and the output is the engine's for the same draws.
TEST(SpecAugmentBlock, MaskDrawsAreTagged)
{
    const int V = 18, T = 17, windows = 6;
    auto f = signal(T * windows, V);
    for (auto& v : f)
        v = std::abs(v);
    auto blk = gr::tfmed::spec_augment::make(V, T, "view1", 4, 0, true);
    blk->set_masks(5, 6);
    const auto sink = through(f, V, blk);
    auto opts = tfmed::augment::ViewOptions::view1();
    opts.time_mask = 5;
    opts.freq_mask = 6;
    const auto tags = by_key(sink->tags())["tfmed_augment"];
    ASSERT_EQ(tags.size(), static_cast<std::size_t>(windows));
    const std::size_t per = static_cast<std::size_t>(T) * V;
    int64_t widths = 0;
    for (int w = 0; w < windows; ++w) {
        std::vector<float> want(per);
        const auto d = tfmed::engine::augment_window(f.data() + w * per, want.data(), T, V, opts,
                                                     true, 4, static_cast<uint64_t>(w), 0);
        for (std::size_t i = 0; i < per; ++i)
            ASSERT_EQ(sink->data()[w * per + i], want[i]) << "window " << w << " value " << i;
        const auto tm = pmt::dict_ref(tags[w].value, pmt::mp("time_mask"), pmt::PMT_NIL);
        const auto fm = pmt::dict_ref(tags[w].value, pmt::mp("freq_mask"), pmt::PMT_NIL);
        ASSERT_TRUE(pmt::is_tuple(tm) && pmt::is_tuple(fm)) << "window " << w;
        EXPECT_EQ(pmt::to_long(pmt::tuple_ref(tm, 0)), d.time_start);
        EXPECT_EQ(pmt::to_long(pmt::tuple_ref(tm, 1)), d.time_width);
        EXPECT_EQ(pmt::to_long(pmt::tuple_ref(fm, 0)), d.freq_start);
        EXPECT_EQ(pmt::to_long(pmt::tuple_ref(fm, 1)), d.freq_width);
        EXPECT_LE(d.time_width, 5);
        EXPECT_LE(d.freq_width, 6);
        widths += d.time_width + d.freq_width;
    }
    EXPECT_GT(widths, 0); // the masks were drawn, not all empty
    // Without masks the tag has no mask entries
    const auto plain = through(f, V, gr::tfmed::spec_augment::make(V, T, "view1", 4, 0, true));
    for (const auto& t : by_key(plain->tags())["tfmed_augment"])
        EXPECT_FALSE(pmt::dict_has_key(t.value, pmt::mp("time_mask")));
}
