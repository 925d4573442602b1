/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
// tsrnet_scorer in a flowgraph: one score per hop equal to the engine's score
// of that window, tags at the right items, alarm and invalid PDUs, refusal of
// a model that does not fit the stream. (Torch-free TU: the model file comes
// from engine::write_untrained_tsrnet.)
#include "errors.h"
#include <gnuradio/block_detail.h>
#include <gnuradio/blocks/message_debug.h>
#include <gnuradio/blocks/null_sink.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/blocks/vector_source.h>
#include <gnuradio/tfmed/tsrnet_scorer.h>
#include <gnuradio/top_block.h>
#include <tfmed/engine/tsrnet_engine.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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
        // A flagged window: the figure-free reason as the detail symbol, the
        // full text as the UTF-8 payload; an alarm: neither.
        std::size_t len = 0;
        const auto* b = pmt::u8vector_elements(pmt::cdr(dbg->get_message(i)), len);
        const std::string text(reinterpret_cast<const char*>(b), len);
        EXPECT_EQ(pmt::symbol_to_string(pmt::dict_ref(meta, pmt::mp("detail"), pmt::PMT_NIL)),
                  i < 2 ? "" : "lead 0: non_finite");
        EXPECT_EQ(text, i < 2 ? "" : "lead 0: NaN/Inf at sample " + std::to_string(9000 - i * hop));
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

TEST_F(Fixture, ForecastAsksForWhatTheNextWindowLacks)
{
    // The block queues every complete window as its input arrives (up to its
    // queue), so after 8192 samples windows 0-3 are out, the input is all
    // consumed, and the window at 4000 lacks 9000 - 8192 = 808 samples
    // whatever the output space; a fresh block lacks a whole window (5000).
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
    EXPECT_EQ(blk->windows_queued(), 4u);
    EXPECT_EQ(blk->windows_scored(), 4u);
    EXPECT_EQ(blk->queue_depth(), 0);
    gr_vector_int need(1);
    blk->forecast(1, need);
    EXPECT_EQ(need[0], 808);
    blk->forecast(2, need);
    EXPECT_EQ(need[0], 808);
    auto fresh = gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false);
    fresh->forecast(1, need);
    EXPECT_EQ(need[0], 5000);
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
    // A directory or no path at all was "not found" too
    const auto dir = std::filesystem::path(path).parent_path().string();
    EXPECT_EQ(message_of<std::runtime_error>(
                  [&] { gr::tfmed::tsrnet_scorer::make(dir, 1, 500.0, 500, "cpu"); }),
              dir + ": expected a model file, found a directory");
    EXPECT_EQ(message_of<std::runtime_error>(
                  [&] { gr::tfmed::tsrnet_scorer::make("", 1, 500.0, 500, "cpu"); }),
              "expected a model file path, found an empty one");
    // "" was taken for "auto"
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, 500, ""); }),
              "device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', found ''");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, 500, "tpu"); }),
              "device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', found 'tpu'");
}

namespace {

// N streams (different traces) through N scorers made by `make`, in one graph.
struct Run {
    std::vector<std::vector<float>> scores;
    std::vector<std::vector<std::string>> pdus; // "type@start" per stream
    std::vector<gr::tfmed::tsrnet_scorer::sptr> blocks;
};

template <typename Make>
Run run_streams(int streams, int n, int hop, Make make)
{
    auto tb = gr::make_top_block("streams");
    Run r;
    std::vector<gr::blocks::vector_sink_f::sptr> sinks;
    std::vector<gr::blocks::message_debug::sptr> dbgs;
    for (int s = 0; s < streams; ++s) {
        auto x = ecg(n + 137 * s);
        x.erase(x.begin(), x.begin() + 137 * s); // another phase of the beat train
        for (auto& v : x)
            v *= 1.0f + 0.1f * s;
        auto src = gr::blocks::vector_source_f::make(x);
        auto blk = make();
        auto sink = gr::blocks::vector_sink_f::make();
        auto dbg = gr::blocks::message_debug::make();
        tb->connect(src, 0, blk, 0);
        tb->connect(blk, 0, sink, 0);
        tb->msg_connect(blk, "alarm", dbg, "store");
        r.blocks.push_back(blk);
        sinks.push_back(sink);
        dbgs.push_back(dbg);
    }
    tb->run();
    for (int s = 0; s < streams; ++s) {
        r.scores.push_back(sinks[s]->data());
        std::vector<std::string> p;
        for (int i = 0; i < dbgs[s]->num_messages(); ++i) {
            const auto meta = pmt::car(dbgs[s]->get_message(i));
            p.push_back(pmt::symbol_to_string(pmt::dict_ref(meta, pmt::mp("type"), pmt::PMT_NIL)) +
                        "@" +
                        std::to_string(pmt::to_uint64(
                            pmt::dict_ref(meta, pmt::mp("start"), pmt::PMT_NIL))));
        }
        r.pdus.push_back(p);
        // Every tag on every item, in order.
        int k = 0;
        for (const auto& tag : sinks[s]->tags())
            if (pmt::symbol_to_string(tag.key) == "tfmed_window_start")
                EXPECT_EQ(pmt::to_uint64(tag.value), (k++) * static_cast<uint64_t>(hop));
        EXPECT_EQ(k, static_cast<int>(r.scores.back().size()));
    }
    return r;
}

} // namespace

// serving() printed its numbers with snprintf, which follows LC_NUMERIC: in
// a Qt flowgraph (QCoreApplication calls setlocale(LC_ALL, "")) under de_DE
// it wrote "mean_batch": 0,000 and json.loads failed. A German locale is
// compiled for the test where glibc's localedef and its sources are there.
TEST_F(Fixture, ServingIsJsonInAnyLocale)
{
    const auto dir = std::filesystem::temp_directory_path() / "tfmed_test_locale";
    std::filesystem::create_directories(dir);
    const auto cmd = "localedef -i de_DE -f UTF-8 '" + (dir / "de_DE.UTF-8").string() +
                     "' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
        GTEST_SKIP() << "localedef could not compile de_DE.UTF-8 (glibc's locales package)";
    ::setenv("LOCPATH", dir.c_str(), 1);
    if (!std::setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
        ::unsetenv("LOCPATH");
        GTEST_SKIP() << "de_DE.UTF-8 compiled but not loadable";
    }
    char probe[16];
    std::snprintf(probe, sizeof probe, "%.1f", 1.5);
    auto blk = gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, 500, "cpu", NAN, 1, false);
    const auto text = blk->serving();
    std::setlocale(LC_NUMERIC, "C");
    ::unsetenv("LOCPATH");
    std::filesystem::remove_all(dir);
    EXPECT_STREQ(probe, "1,5"); // the locale was in force
    const auto j = nlohmann::json::parse(text); // throws on "0,000"
    EXPECT_EQ(j["streams"], 1);
    EXPECT_EQ(j["mean_batch"], 0.0);
    EXPECT_EQ(text.rfind("{\"key\":", 0), 0u) << text; // the documented order
}

TEST_F(Fixture, SharedEngineEqualsSeparateEngines)
{
    const int streams = 4, n = 12000, hop = 500; // 15 windows per stream
    auto separate = [&] {
        return gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false,
                                              /*share=*/false, /*max_batch=*/1);
    };
    const auto ref = run_streams(streams, n, hop, separate);
    for (const auto& b : ref.blocks)
        EXPECT_EQ(nlohmann::json::parse(b->serving())["streams"], 1);

    // Shared, unbatched: the same kernels on the same windows, bit for bit.
    const auto one = run_streams(streams, n, hop, [&] {
        return gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false, true, 1);
    });
    // Shared and batched across the streams: LibTorch's CPU kernels sum in an
    // order that depends on the batch size, so equal to float rounding.
    const auto many = run_streams(streams, n, hop, [&] {
        return gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false, true, 8,
                                              20.0);
    });
    for (int s = 0; s < streams; ++s) {
        ASSERT_EQ(ref.scores[s].size(), 15u);
        ASSERT_EQ(one.scores[s].size(), 15u);
        ASSERT_EQ(many.scores[s].size(), 15u);
        for (int k = 0; k < 15; ++k) {
            ASSERT_TRUE(std::isfinite(ref.scores[s][k]));
            EXPECT_EQ(one.scores[s][k], ref.scores[s][k]) << "stream " << s << " window " << k;
            EXPECT_NEAR(many.scores[s][k], ref.scores[s][k], 1e-5f * std::abs(ref.scores[s][k]))
                << "stream " << s << " window " << k;
        }
        EXPECT_EQ(one.pdus[s], ref.pdus[s]);
        EXPECT_EQ(many.pdus[s], ref.pdus[s]);
    }
    // One engine for the four blocks, which batched across them.
    const auto j = nlohmann::json::parse(many.blocks[0]->serving());
    EXPECT_EQ(j["streams"], streams);
    EXPECT_EQ(j["windows"], streams * 15);
    EXPECT_GT(j["largest_batch"].get<int>(), 1);
    EXPECT_LE(j["largest_batch"].get<int>(), 8);
    for (const auto& b : many.blocks)
        EXPECT_EQ(nlohmann::json::parse(b->serving())["key"], j["key"]);
    const auto keys = tfmed::engine::shared_server_keys();
    EXPECT_EQ(std::count(keys.begin(), keys.end(), j["key"].get<std::string>()), 1);
}

TEST_F(Fixture, AFullQueueHoldsInputAndLosesNothing)
{
    // Queue of one window, batch of one: each block must stop taking input
    // until its score is out; every window still arrives, in order.
    const int streams = 3, n = 20000, hop = 250; // 61 windows per stream
    const auto r = run_streams(streams, n, hop, [&] {
        return gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false, true, 1,
                                              0.0, /*queue=*/1);
    });
    for (int s = 0; s < streams; ++s) {
        EXPECT_EQ(r.scores[s].size(), 61u);
        EXPECT_EQ(r.blocks[s]->windows_queued(), 61u);
        EXPECT_EQ(r.blocks[s]->windows_scored(), 61u);
        EXPECT_EQ(r.blocks[s]->latencies().size(), 61u);
    }
    const auto j = nlohmann::json::parse(r.blocks[0]->serving());
    EXPECT_LE(j["max_queued"].get<int>(), streams); // bounded by streams x queue
}

TEST_F(Fixture, LateScoresAreTaggedOverrun)
{
    // A score cannot leave before its window is computed: with a deadline
    // of 1 ns window 0 is late; with 10^9 ms no window is.
    const int n = 9000, hop = 1000;
    auto late = run_streams(1, n, hop, [&] {
        return gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false, true, 16,
                                              2.0, 32, 1e-6);
    });
    EXPECT_GE(late.blocks[0]->overruns(), 1u);
    EXPECT_EQ(std::count(late.pdus[0].begin(), late.pdus[0].end(), "overrun@0"), 1);
    auto fine = run_streams(1, n, hop, [&] {
        return gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false, true, 16,
                                              2.0, 32, 1e9);
    });
    EXPECT_EQ(fine.blocks[0]->overruns(), 0u);
    for (const auto& p : fine.pdus[0])
        EXPECT_EQ(p.find("overrun"), std::string::npos);
    EXPECT_THROW(gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false, true,
                                                0),
                 std::invalid_argument);
}

TEST_F(Fixture, TagsRetainedOnTheOutputAreBounded)
{
    // GNU Radio prunes a buffer's tags only once every reader is a whole
    // buffer length past them (gr::buffer::prune_tags): with the default
    // 16 Ki float items the scorer's port would keep the tags of its last
    // 16 Ki windows (hours of a stream, MBs per stream). Its buffer is one
    // page (1024 items), and within it nothing is pruned yet: 5 windows, 10
    // tags still held after a null sink read them.
    const int hop = 1000, n = 9000;
    const auto x = ecg(n);
    auto tb = gr::make_top_block("retention");
    auto src = gr::blocks::vector_source_f::make(x);
    auto blk = gr::tfmed::tsrnet_scorer::make(path, 1, 500.0, hop, "cpu", NAN, 1, false);
    auto sink = gr::blocks::null_sink::make(sizeof(float));
    tb->connect(src, 0, blk, 0);
    tb->connect(blk, 0, sink, 0);
    tb->run();
    ASSERT_EQ(blk->nitems_written(0), 5u);
    EXPECT_EQ(blk->max_output_buffer(0), 1024);
    EXPECT_EQ(blk->detail()->output(0)->bufsize(), 1024);
    std::vector<gr::tag_t> kept;
    sink->detail()->input(0)->get_tags_in_range(kept, 0, 5, sink->unique_id());
    EXPECT_EQ(kept.size(), 10u);
}
