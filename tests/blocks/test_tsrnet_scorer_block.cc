/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
// tsrnet_scorer in a flowgraph: one score per hop equal to the engine's score
// of that window, tags at the right items, alarm and invalid PDUs, refusal of
// a model that does not fit the stream. (Torch-free TU: the model file comes
// from engine::write_untrained_tsrnet.)
#include "errors.h"
#include <gnuradio/blocks/message_debug.h>
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/blocks/vector_source.h>
#include <gnuradio/tfmed/tsrnet_scorer.h>
#include <gnuradio/top_block.h>
#include <tfmed/engine/tsrnet_engine.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace {

struct Fixture : ::testing::Test {
    std::string path;
    tfmed::models::TsrnetCard card;
    void SetUp() override
    {
        const auto dir = std::filesystem::temp_directory_path() / "tfmed_scorer_test";
        std::filesystem::create_directories(dir);
        path = (dir / "tiny.tfm").string();
        card.leads = 1;
        card.width = 4;
        card.d_model = 8;
        card.threshold = 0.5;
        tfmed::engine::write_untrained_tsrnet(path, card, 7);
    }
};

// An irregular beat train (about 70 bpm) on a slow baseline, 500 Hz.
std::vector<float> ecg(int n)
{
    std::vector<float> x(n);
    for (int t = 0; t < n; ++t)
        x[t] = 0.1f * std::sin(t * 0.002f);
    for (int r = 200, i = 0; r < n; r += 400 + (i++ % 3) * 35)
        for (int t = std::max(0, r - 12); t < std::min(n, r + 13); ++t)
            x[t] += std::exp(-0.5f * (t - r) * (t - r) / 16.0f);
    return x;
}

} // namespace

TEST_F(Fixture, OneScorePerHopEqualToTheEngine)
{
    const int hop = 1000, n = 9000;
    auto x = ecg(n);
    auto tb = gr::make_top_block("scorer");
    auto src = gr::blocks::vector_source_f::make(x);
    // The quality gate off: this noiseless trace has flat baseline troughs
    // that the saturation index takes for clipping (the gate has its own tests).
    auto blk = gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false);
    auto sink = gr::blocks::vector_sink_f::make();
    tb->connect(src, 0, blk, 0);
    tb->connect(blk, 0, sink, 0);
    tb->run();
    const auto& s = sink->data();
    ASSERT_EQ(s.size(), 5u); // windows starting at 0, 1000, ..., 4000
    EXPECT_EQ(blk->window(), 5000);
    EXPECT_FLOAT_EQ(blk->threshold(), 0.5f);

    tfmed::engine::TsrnetEngine eng(path, "cpu", 1, false);
    for (int k = 0; k < 5; ++k) {
        const auto r = eng.score(x.data() + k * hop, 1)[0];
        ASSERT_TRUE(r.scored()) << r.detail;
        EXPECT_NEAR(s[k], r.score, 1e-5 * std::abs(r.score)) << "window " << k;
    }
    int scores = 0, starts = 0;
    for (const auto& tag : sink->tags()) {
        const auto key = pmt::symbol_to_string(tag.key);
        if (key == "tfmed_score") {
            EXPECT_FLOAT_EQ(static_cast<float>(pmt::to_double(tag.value)), s[tag.offset]);
            ++scores;
        } else if (key == "tfmed_window_start") {
            EXPECT_EQ(pmt::to_uint64(tag.value), tag.offset * hop);
            ++starts;
        }
    }
    EXPECT_EQ(scores, 5);
    EXPECT_EQ(starts, 5);
}

TEST_F(Fixture, AlarmsAndFlaggedWindows)
{
    const int hop = 2500, n = 12500; // windows at 0, 2500, 5000, 7500
    auto x = ecg(n);
    for (int t = 9000; t < 9100; ++t)
        x[t] = NAN; // inside windows 2 and 3 only (5000-9999, 7500-12499)
    auto tb = gr::make_top_block("scorer");
    auto src = gr::blocks::vector_source_f::make(x);
    auto blk = gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", -1.0f, 1, false);
    auto sink = gr::blocks::vector_sink_f::make();
    auto dbg = gr::blocks::message_debug::make();
    tb->connect(src, 0, blk, 0);
    tb->connect(blk, 0, sink, 0);
    tb->msg_connect(blk, "alarm", dbg, "store");
    tb->run();
    const auto& s = sink->data();
    ASSERT_EQ(s.size(), 4u);
    EXPECT_TRUE(std::isfinite(s[0]) && std::isfinite(s[1]));
    EXPECT_TRUE(std::isnan(s[2]) && std::isnan(s[3]));
    ASSERT_EQ(dbg->num_messages(), 4); // threshold -1: both scored windows alarm
    std::vector<std::string> types;
    for (int i = 0; i < 4; ++i) {
        const auto meta = pmt::car(dbg->get_message(i));
        types.push_back(pmt::symbol_to_string(pmt::dict_ref(meta, pmt::mp("type"), pmt::PMT_NIL)));
        const auto start = pmt::to_uint64(pmt::dict_ref(meta, pmt::mp("start"), pmt::PMT_NIL));
        EXPECT_EQ(start, static_cast<uint64_t>(i * hop));
        EXPECT_DOUBLE_EQ(pmt::to_double(pmt::dict_ref(meta, pmt::mp("time_s"), pmt::PMT_NIL)),
                         i * hop / 500.0);
    }
    EXPECT_EQ(types, (std::vector<std::string>{ "alarm", "alarm", "invalid", "invalid" }));
    int invalid = 0;
    for (const auto& tag : sink->tags())
        if (pmt::symbol_to_string(tag.key) == "tfmed_invalid") {
            EXPECT_EQ(pmt::symbol_to_string(tag.value), "non_finite");
            ++invalid;
        }
    EXPECT_EQ(invalid, 2);
    blk->set_threshold(NAN); // back to the card's
    EXPECT_FLOAT_EQ(blk->threshold(), 0.5f);
}

TEST_F(Fixture, ForecastAsksForWhatTheNextWindowsLack)
{
    // The block takes input only as far as the windows it may emit need, so
    // after 8192 samples windows 0-3 are out, samples 4000-7999 are
    // buffered, and the window at 4000 lacks 1000 samples; a fresh block
    // lacks a whole window (5000), two windows 6000.
    const int hop = 1000;
    const auto x = ecg(8192);
    auto tb = gr::make_top_block("scorer");
    auto src = gr::blocks::vector_source_f::make(x);
    auto blk = gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false);
    auto sink = gr::blocks::vector_sink_f::make();
    tb->connect(src, 0, blk, 0);
    tb->connect(blk, 0, sink, 0);
    tb->run();
    EXPECT_EQ(sink->data().size(), 4u);
    gr_vector_int need(1);
    blk->forecast(1, need);
    EXPECT_EQ(need[0], 1000);
    blk->forecast(2, need);
    EXPECT_EQ(need[0], 2000);
    auto fresh = gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false);
    fresh->forecast(1, need);
    EXPECT_EQ(need[0], 5000);
    fresh->forecast(2, need);
    EXPECT_EQ(need[0], 6000);
}

TEST_F(Fixture, RefusesAModelThatDoesNotFitTheStream)
{
    using tfmed_test::message_of;
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::tsrnet_scorer::make(path, 1, 360.0, 500, "cpu"); }),
              "tsrnet_scorer: model " + path +
                  " expects 1 lead(s) at 500.000000 Hz, the stream has 1 lead(s) at "
                  "360.000000 Hz (resample and select leads upstream)");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::tsrnet_scorer::make(path, 12, 500.0, 500, "cpu"); }),
              "tsrnet_scorer: model " + path +
                  " expects 1 lead(s) at 500.000000 Hz, the stream has 12 lead(s) at "
                  "500.000000 Hz (resample and select leads upstream)");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, 0, "cpu"); }),
              "tsrnet_scorer: expected hop >= 1, found 0");
    EXPECT_EQ(message_of<std::runtime_error>(
                  [&] { gr::tfmed::tsrnet_scorer::make(path + ".none", 1, 500.0, 500, "cpu"); }),
              path + ".none: model file not found");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, 500, "tpu"); }),
              "device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', found 'tpu'");
}
