/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
// tfmed.specar in a flowgraph, one test per task: outputs equal to the
// engine's for the same windows, items and tags where the documentation puts
// them, PDUs, NaN handling, and the refusals at construction. (Torch-free
// TU: model files come from engine::write_untrained_specar.)
#include "errors.h"
#include "tags.h"
#include <gnuradio/blocks/message_debug.h>
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/blocks/vector_source.h>
#include <gnuradio/tfmed/specar.h>
#include <gnuradio/top_block.h>
#include <tfmed/data/time_features.h>
#include <tfmed/engine/specar_engine.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <thread>

#include <cmath>
#include <filesystem>
#include <map>

namespace {

using tfmed_test::by_key;
using tfmed_test::field;

constexpr int kCh = 3, kL = 32;

std::string model(const std::string& task, int pred_len = 0, int time_features = 0,
                  bool class_names = true)
{
    tfmed::models::SpecarCard c;
    auto& a = c.arch;
    a.task = task;
    a.seq_len = kL;
    a.pred_len = pred_len;
    a.enc_in = a.c_out = kCh;
    a.d_model = a.d_ff = 4;
    a.e_layers = 1;
    a.conv_layers = 2;
    a.n_fft = a.win_length = 8;
    a.time_features = time_features;
    if (task == "classification") {
        a.num_class = 4;
        if (class_names)
            c.class_names = { "rest", "walk", "run", "fall" };
    }
    c.sample_rate = 10.0;
    c.channel_names = { "x", "y", "z" };
    c.mean = { 1.0, -2.0, 0.5 };
    c.std = { 2.0, 0.5, 1.0 };
    c.threshold = 0.5;
    const auto dir = std::filesystem::temp_directory_path() / "tfmed_specar_block";
    std::filesystem::create_directories(dir);
    const auto p = (dir / (task + std::to_string(pred_len) + "_" +
                           std::to_string(time_features) + (class_names ? "" : "_unnamed") +
                           ".tfm"))
                       .string();
    tfmed::engine::write_untrained_specar(p, c, 5);
    return p;
}

std::vector<float> signal(int n)
{
    std::vector<float> x(static_cast<std::size_t>(n) * kCh);
    for (int t = 0; t < n; ++t)
        for (int c = 0; c < kCh; ++c)
            x[static_cast<std::size_t>(t) * kCh + c] =
                std::sin(0.21f * t + c) * (1.0f + c) + 0.3f * std::cos(0.05f * t * (c + 1));
    return x;
}

struct Run {
    std::vector<float> out;
    std::vector<gr::tag_t> tags;
    std::vector<pmt::pmt_t> pdus;
    std::vector<std::string> texts; //!< the PDUs' payloads
};

Run run(gr::tfmed::specar::sptr blk, const std::vector<float>& x, int out_vlen)
{
    auto tb = gr::make_top_block("specar");
    auto src = gr::blocks::vector_source_f::make(x, false, kCh);
    auto sink = gr::blocks::vector_sink_f::make(out_vlen);
    auto dbg = gr::blocks::message_debug::make();
    tb->connect(src, 0, blk, 0);
    tb->connect(blk, 0, sink, 0);
    tb->msg_connect(blk, "alarm", dbg, "store");
    tb->run();
    Run r{ sink->data(), sink->tags(), {} };
    for (int i = 0; i < dbg->num_messages(); ++i) {
        r.pdus.push_back(pmt::car(dbg->get_message(i)));
        r.texts.push_back(tfmed_test::payload_text(dbg->get_message(i)));
    }
    return r;
}

} // namespace

TEST(SpecarBlock, AnomalyEnergyPerSampleEqualsTheEngine)
{
    const auto path = model("anomaly_detection");
    const int n = 200;
    const auto x = signal(n);
    tfmed::engine::SpecarEngine eng(path, "cpu", 1);
    for (int hop : { kL, 8, 1 }) { // hop 1: many more windows than one call runs
        SCOPED_TRACE("hop " + std::to_string(hop));
        auto blk = gr::tfmed::specar::make(path, kCh, hop, "cpu", 1, -1.0f);
        EXPECT_EQ(blk->task(), "anomaly_detection");
        EXPECT_EQ(blk->window(), kL);
        const auto r = run(blk, x, 1);
        const int windows = (n - kL) / hop + 1;
        const int scored = kL + (windows - 1) * hop;
        ASSERT_EQ(static_cast<int>(r.out.size()), scored);
        // Item i is the energy of sample i, from the newest window holding it.
        for (int k = 0; k < windows; ++k) {
            const auto e = eng.energy(x.data() + static_cast<std::size_t>(k) * hop * kCh, 1);
            for (int i = k == 0 ? 0 : kL - hop; i < kL; ++i)
                EXPECT_NEAR(r.out[static_cast<std::size_t>(k * hop + i)], e[i], 1e-5 * e[i] + 1e-7)
                    << "window " << k << " position " << i;
        }
        auto tags = by_key(r.tags);
        ASSERT_EQ(tags["tfmed_score"].size(), static_cast<std::size_t>(windows));
        ASSERT_EQ(tags["tfmed_window_start"].size(), static_cast<std::size_t>(windows));
        EXPECT_EQ(tags["tfmed_score"][1].offset, static_cast<uint64_t>(kL));
        EXPECT_EQ(pmt::to_uint64(tags["tfmed_window_start"][1].value), static_cast<uint64_t>(hop));
        // Threshold -1: every window alarms, with its segment.
        ASSERT_EQ(r.pdus.size(), static_cast<std::size_t>(windows));
        EXPECT_EQ(field(r.pdus[1], "type"), "alarm");
        EXPECT_EQ(field(r.pdus[1], "start"), std::to_string(kL));
        EXPECT_EQ(field(r.pdus[1], "end"), std::to_string(hop + kL));
    }
    // The card's threshold (0.5) by default; an untrained network's energies here exceed it
    // only sometimes, so count against the engine.
    auto blk = gr::tfmed::specar::make(path, kCh, kL, "cpu");
    EXPECT_FLOAT_EQ(blk->threshold(), 0.5f);
    const auto r = run(blk, x, 1);
    std::size_t alarms = 0;
    for (int k = 0; k < n / kL; ++k) {
        const auto e = eng.energy(x.data() + static_cast<std::size_t>(k) * kL * kCh, 1);
        alarms += *std::max_element(e.begin(), e.end()) > 0.5f;
    }
    EXPECT_EQ(r.pdus.size(), alarms);
}

// stop(), wait(), start() again (tb->run() twice): GNU Radio gives the block
// new buffers counted from 0, and the block must start over with them: the
// same samples again give the same items and tags at the same offsets.
TEST(SpecarBlock, ARestartedFlowgraphStartsOver)
{
    const auto path = model("anomaly_detection");
    const auto x = signal(200);
    auto blk = gr::tfmed::specar::make(path, kCh, 8, "cpu", 1, -1.0f);
    auto tb = gr::make_top_block("specar_restart");
    auto src = gr::blocks::vector_source_f::make(x, false, kCh);
    auto sink = gr::blocks::vector_sink_f::make(1);
    tb->connect(src, 0, blk, 0);
    tb->connect(blk, 0, sink, 0);
    tb->run();
    const auto out = sink->data();
    const auto tags = sink->tags();
    ASSERT_EQ(static_cast<int>(out.size()), kL + ((200 - kL) / 8) * 8);
    src->rewind();
    sink->reset();
    tb->run();
    // (Equal within float rounding: the windows may batch differently.)
    const auto out2 = sink->data();
    ASSERT_EQ(out2.size(), out.size());
    for (std::size_t i = 0; i < out.size(); ++i)
        EXPECT_NEAR(out2[i], out[i], 1e-5 * std::abs(out[i]) + 1e-7) << i;
    const auto again = sink->tags();
    ASSERT_EQ(again.size(), tags.size());
    for (std::size_t i = 0; i < tags.size(); ++i) {
        EXPECT_EQ(again[i].offset, tags[i].offset) << i;
        EXPECT_TRUE(pmt::eqv(again[i].key, tags[i].key)) << i;
        if (pmt::is_real(tags[i].value))
            EXPECT_NEAR(pmt::to_double(again[i].value), pmt::to_double(tags[i].value),
                        1e-5 * std::abs(pmt::to_double(tags[i].value)));
        else
            EXPECT_TRUE(pmt::equal(again[i].value, tags[i].value)) << i;
    }
    EXPECT_EQ(blk->windows_queued(), static_cast<uint64_t>((200 - kL) / 8 + 1));
}

TEST(SpecarBlock, NonFiniteSamplesGiveInvalidWindowsNotScores)
{
    const auto path = model("anomaly_detection");
    auto x = signal(3 * kL);
    x[static_cast<std::size_t>(kL + 5) * kCh + 1] = NAN; // in window 1 only
    const auto r = run(gr::tfmed::specar::make(path, kCh, kL, "cpu", 1, 1e9f), x, 1);
    ASSERT_EQ(r.out.size(), static_cast<std::size_t>(3 * kL));
    for (int i = 0; i < 3 * kL; ++i)
        EXPECT_EQ(std::isnan(r.out[static_cast<std::size_t>(i)]), i >= kL && i < 2 * kL) << i;
    auto tags = by_key(r.tags);
    ASSERT_EQ(tags["tfmed_invalid"].size(), 1u);
    EXPECT_EQ(tags["tfmed_invalid"][0].offset, static_cast<uint64_t>(kL));
    EXPECT_EQ(pmt::symbol_to_string(tags["tfmed_invalid"][0].value), "non_finite");
    ASSERT_EQ(r.pdus.size(), 1u);
    EXPECT_EQ(field(r.pdus[0], "type"), "invalid");
    EXPECT_EQ(field(r.pdus[0], "detail"), "non_finite_input"); // a fixed symbol
    EXPECT_EQ(r.texts[0], "a non-finite input sample");        // the payload
}

TEST(SpecarBlock, ForecastOneVectorPerHop)
{
    const int P = 8, hop = 10, n = 100;
    const auto x = signal(n);
    for (int tf : { 0, 4 }) {
        SCOPED_TRACE("time features " + std::to_string(tf));
        const auto path = model("long_term_forecast", P, tf);
        const double t0 = 1.7e9; // UTC seconds of sample 0
        auto blk = gr::tfmed::specar::make(path, kCh, hop, "cpu", 1, NAN, t0, P * kCh);
        EXPECT_EQ(blk->out_vlen(), P * kCh);
        const auto r = run(blk, x, P * kCh);
        const int windows = (n - kL) / hop + 1;
        ASSERT_EQ(r.out.size(), static_cast<std::size_t>(windows * P * kCh));
        tfmed::engine::SpecarEngine eng(path, "cpu", 1);
        for (int k = 0; k < windows; ++k) {
            std::vector<float> marks;
            for (int t = 0; tf && t < kL; ++t) {
                const auto f = tfmed::data::hourly_time_features(
                    static_cast<int64_t>(t0 + (k * hop + t) / 10.0));
                marks.insert(marks.end(), f.begin(), f.end());
            }
            const auto y = eng.forecast(x.data() + static_cast<std::size_t>(k) * hop * kCh,
                                        tf ? marks.data() : nullptr, 1);
            for (int i = 0; i < P * kCh; ++i)
                EXPECT_NEAR(r.out[static_cast<std::size_t>(k * P * kCh + i)], y[i],
                            1e-5 * std::abs(y[i]) + 1e-6);
        }
        // Without the card's time features the engine refuses (the network
        // ran without its temporal embedding: other numbers).
        if (tf)
            EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>(
                          [&] { eng.forecast(x.data(), nullptr, 1); }),
                      "SpecAR-Net: the model takes 4 time features per step, none were given");
        auto tags = by_key(r.tags);
        ASSERT_EQ(tags["tfmed_forecast_start"].size(), static_cast<std::size_t>(windows));
        EXPECT_EQ(pmt::to_uint64(tags["tfmed_forecast_start"][2].value),
                  static_cast<uint64_t>(2 * hop + kL));
        if (tf) {
            // The time features matter: another start time, another forecast.
            const auto other =
                run(gr::tfmed::specar::make(path, kCh, hop, "cpu", 1, NAN, t0 + 6 * 3600.0),
                    x, P * kCh);
            EXPECT_NE(other.out, r.out);
        }
    }
}

TEST(SpecarBlock, StreamsShareOneEngineWithTheirOwnClocks)
{
    // Three forecast streams with time features, each with its own start
    // time, through one shared engine that batches across them: every stream
    // gets the forecasts a private engine gives it (its own time features, not
    // a neighbour's), one engine serves all three.
    const int P = 8, hop = 4, n = 100; // 18 windows per stream
    const auto path = model("long_term_forecast", P, 4);
    const auto x = signal(n);
    auto run3 = [&](bool share, int max_batch) {
        auto tb = gr::make_top_block("specar3");
        std::vector<gr::tfmed::specar::sptr> blks;
        std::vector<gr::blocks::vector_sink_f::sptr> sinks;
        for (int s = 0; s < 3; ++s) {
            auto src = gr::blocks::vector_source_f::make(x, false, kCh);
            auto blk = gr::tfmed::specar::make(path, kCh, hop, "cpu", 1, NAN,
                                               1.7e9 + 5 * 3600.0 * s, P * kCh, share,
                                               max_batch, 20.0);
            sinks.push_back(gr::blocks::vector_sink_f::make(P * kCh));
            tb->connect(src, 0, blk, 0);
            tb->connect(blk, 0, sinks.back(), 0);
            blks.push_back(blk);
        }
        tb->run();
        std::vector<std::vector<float>> out;
        for (int s = 0; s < 3; ++s) {
            out.push_back(sinks[s]->data());
            EXPECT_EQ(blks[s]->windows_emitted(), 18u);
            EXPECT_EQ(blks[s]->queue_depth(), 0);
        }
        return std::make_pair(out, blks[0]->serving());
    };
    const auto [ref, ref_serving] = run3(false, 1);
    const auto [many, many_serving] = run3(true, 8);
    for (int s = 0; s < 3; ++s) {
        ASSERT_EQ(ref[s].size(), 18u * P * kCh);
        ASSERT_EQ(many[s].size(), ref[s].size());
        for (std::size_t i = 0; i < ref[s].size(); ++i)
            EXPECT_NEAR(many[s][i], ref[s][i], 1e-5f * (1.0f + std::abs(ref[s][i])))
                << "stream " << s << " value " << i;
    }
    EXPECT_NE(ref[0], ref[1]); // the clocks differ, so do the forecasts
    EXPECT_EQ(nlohmann::json::parse(ref_serving)["streams"], 1) << ref_serving;
    EXPECT_EQ(nlohmann::json::parse(many_serving)["streams"], 3) << many_serving;
    EXPECT_EQ(nlohmann::json::parse(many_serving)["windows"], 54) << many_serving;
    EXPECT_NE(nlohmann::json::parse(many_serving)["largest_batch"], 1) << many_serving;
}

TEST(SpecarBlock, ImputationFillsGapsAndPassesObservedSamples)
{
    const auto path = model("imputation", 0, 4);
    const int n = 3 * kL + 7; // the 7 after the last window are not output
    const auto truth = signal(n);
    auto x = truth;
    int gaps = 0;
    for (int t = 3; t < n; t += 11) {
        x[static_cast<std::size_t>(t) * kCh + (t % kCh)] = NAN;
        gaps += t < 3 * kL;
    }
    for (int t = 40; t < 45; ++t) // a dropped sensor: all channels
        for (int c = 0; c < kCh; ++c)
            x[static_cast<std::size_t>(t) * kCh + c] = NAN;
    auto blk = gr::tfmed::specar::make(path, kCh, 0, "cpu", 1, NAN, 0.0, kCh);
    EXPECT_EQ(blk->hop(), kL);
    const auto r = run(blk, x, kCh);
    ASSERT_EQ(r.out.size(), static_cast<std::size_t>(3 * kL * kCh));
    tfmed::engine::SpecarEngine eng(path, "cpu", 1);
    for (int k = 0; k < 3; ++k) {
        std::vector<float> marks;
        for (int t = 0; t < kL; ++t) {
            const auto f = tfmed::data::hourly_time_features(
                static_cast<int64_t>((k * kL + t) / 10.0));
            marks.insert(marks.end(), f.begin(), f.end());
        }
        const auto y = eng.impute(x.data() + static_cast<std::size_t>(k) * kL * kCh,
                                  marks.data(), 1);
        for (int i = 0; i < kL * kCh; ++i) {
            const auto at = static_cast<std::size_t>(k * kL * kCh + i);
            ASSERT_TRUE(std::isfinite(r.out[at])) << at;
            if (std::isfinite(x[at]))
                EXPECT_EQ(r.out[at], x[at]) << "observed samples pass unchanged";
            else
                EXPECT_NEAR(r.out[at], y[static_cast<std::size_t>(i)], 1e-5);
        }
    }
    auto tags = by_key(r.tags);
    std::size_t rows = 0;
    for (int t = 0; t < 3 * kL; ++t) {
        bool any = false;
        for (int c = 0; c < kCh; ++c)
            any |= std::isnan(x[static_cast<std::size_t>(t) * kCh + c]);
        rows += any;
    }
    ASSERT_EQ(tags["tfmed_imputed"].size(), rows);
    for (const auto& t : tags["tfmed_imputed"])
        if (t.offset == 41)
            EXPECT_EQ(pmt::to_long(t.value), kCh);
    EXPECT_GT(gaps, 0);
}

TEST(SpecarBlock, ClassificationOneDecisionPerWindow)
{
    const auto path = model("classification");
    const int n = 4 * kL + 3;
    const auto x = signal(n);
    auto blk = gr::tfmed::specar::make(path, kCh, 0, "cpu");
    EXPECT_EQ(blk->class_names(), (std::vector<std::string>{ "rest", "walk", "run", "fall" }));
    const auto r = run(blk, x, 1);
    ASSERT_EQ(r.out.size(), 4u);
    tfmed::engine::SpecarEngine eng(path, "cpu", 1);
    auto tags = by_key(r.tags);
    ASSERT_EQ(tags["tfmed_label"].size(), 4u);
    ASSERT_EQ(tags["tfmed_probabilities"].size(), 4u);
    ASSERT_EQ(r.pdus.size(), 4u);
    for (int k = 0; k < 4; ++k) {
        const auto p = eng.classify(x.data() + static_cast<std::size_t>(k) * kL * kCh, 1);
        const auto best = std::max_element(p.begin(), p.end()) - p.begin();
        EXPECT_EQ(r.out[static_cast<std::size_t>(k)], static_cast<float>(best));
        EXPECT_EQ(pmt::symbol_to_string(tags["tfmed_label"][k].value),
                  blk->class_names()[static_cast<std::size_t>(best)]);
        const auto probs = pmt::f32vector_elements(tags["tfmed_probabilities"][k].value);
        ASSERT_EQ(probs.size(), 4u);
        double sum = 0;
        for (int c = 0; c < 4; ++c) {
            EXPECT_NEAR(probs[c], p[c], 1e-6);
            sum += probs[c];
        }
        EXPECT_NEAR(sum, 1.0, 1e-5);
        EXPECT_EQ(field(r.pdus[k], "type"), "decision");
        EXPECT_EQ(field(r.pdus[k], "start"), std::to_string(k * kL));
    }
}

// A classifier's card without class names (hand-written, imported): the
// class indices name the classes (was an empty result per window and a read
// past an empty vector in work()).
TEST(SpecarBlock, AClassifierWithoutClassNamesUsesTheIndices)
{
    const auto path = model("classification", 0, 0, false);
    auto blk = gr::tfmed::specar::make(path, kCh, 0, "cpu");
    EXPECT_EQ(blk->class_names(), (std::vector<std::string>{ "0", "1", "2", "3" }));
    const auto r = run(blk, signal(2 * kL), 1);
    ASSERT_EQ(r.out.size(), 2u);
    auto tags = by_key(r.tags);
    ASSERT_EQ(tags["tfmed_probabilities"].size(), 2u);
    EXPECT_EQ(pmt::f32vector_elements(tags["tfmed_probabilities"][0].value).size(), 4u);
    EXPECT_EQ(pmt::symbol_to_string(tags["tfmed_label"][0].value),
              std::to_string(static_cast<int>(r.out[0])));
}

TEST(SpecarBlock, RefusesWhatDoesNotFitTheStream)
{
    using tfmed_test::message_of;
    const auto ad = model("anomaly_detection");
    const auto imp = model("imputation");
    const auto fc = model("long_term_forecast", 8);
    EXPECT_EQ(message_of<std::invalid_argument>([&] { gr::tfmed::specar::make(ad, 2); }),
              "tfmed.specar: model " + ad +
                  " (anomaly_detection) expects 3 channel(s), the stream has 2");
    EXPECT_EQ(message_of<std::invalid_argument>([&] { gr::tfmed::specar::make(ad, kCh, 33); }),
              "tfmed.specar: anomaly detection scores every sample: expected hop 1..32 (the "
              "window), found 33");
    EXPECT_EQ(message_of<std::invalid_argument>([&] { gr::tfmed::specar::make(imp, kCh, 8); }),
              "tfmed.specar: imputation fills non-overlapping windows: expected hop 32 (the "
              "window) or 0, found 8");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::specar::make(fc, kCh, 1, "cpu", 1, NAN, 0.0, 3); }),
              "tfmed.specar: model " + fc +
                  " (long_term_forecast) outputs vectors of 24, out_vlen says 3");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::specar::make(ad, kCh, 0, "cpu", 1, INFINITY); }),
              "tfmed.specar: expected a finite threshold (or NaN: the card's), found inf");
    // A forecaster raises no alarms: it takes the block's NaN default, also
    // through set_threshold (a GRC callback fires with it), and nothing else.
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::specar::make(fc, kCh, 1, "cpu", 1, 0.5f); }),
              "tfmed.specar: model " + fc +
                  " (long_term_forecast) raises no alarms: expected threshold NaN (only "
                  "anomaly detection models take one), found 0.500000");
    {
        auto blk = gr::tfmed::specar::make(fc, kCh, 1, "cpu");
        blk->set_threshold(NAN);
        EXPECT_TRUE(std::isnan(blk->threshold()));
        EXPECT_EQ(message_of<std::invalid_argument>([&] { blk->set_threshold(0.5f); }),
                  "tfmed.specar: this model (long_term_forecast) raises no alarms: expected "
                  "threshold NaN (only anomaly detection models take one), found 0.500000");
        auto an = gr::tfmed::specar::make(ad, kCh, 0, "cpu");
        an->set_threshold(0.25f);
        EXPECT_FLOAT_EQ(an->threshold(), 0.25f);
        an->set_threshold(NAN); // back to the card's
        EXPECT_FLOAT_EQ(an->threshold(), 0.5f);
    }
    {
        // A forecaster of one channel of three was accepted (its output then
        // broadcast to every channel): such a card is refused by the core, so
        // no model file holds one.
        tfmed::models::SpecarCard c;
        c.arch.task = "long_term_forecast";
        c.arch.seq_len = kL;
        c.arch.pred_len = 8;
        c.arch.enc_in = kCh;
        c.arch.c_out = 1;
        c.arch.d_model = c.arch.d_ff = 4;
        c.arch.e_layers = 1;
        c.arch.conv_layers = 2;
        c.arch.n_fft = c.arch.win_length = 8;
        c.sample_rate = 10.0;
        c.channel_names = { "x", "y", "z" };
        const auto one = (std::filesystem::temp_directory_path() / "tfmed_specar_block" /
                          "c_out1.tfm")
                             .string();
        std::filesystem::remove(one);
        EXPECT_EQ(message_of<std::invalid_argument>(
                      [&] { tfmed::engine::write_untrained_specar(one, c, 5); }),
                  "SpecAR-Net: expected c_out equal to enc_in (3) for long_term_forecast, "
                  "found 1");
        EXPECT_FALSE(std::filesystem::exists(one));
    }
    // The time features' clock: a NaN start_time was cast to an integer (UB).
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::specar::make(ad, kCh, 0, "cpu", 1, NAN, NAN); }),
              "tfmed.specar: start_time: expected a finite time in seconds since 1970 within "
              "+-1e15, found nan");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::specar::make(ad, kCh, 0, "cpu", 1, NAN, 1e300); }),
              "tfmed.specar: start_time: expected a finite time in seconds since 1970 within "
              "+-1e15, found 1e+300"); // (std::to_string: all 301 digits)
    // A typo asking for 100,000 threads is refused at construction, not
    // obeyed inside work().
    const std::string max = std::to_string(4 * std::max(1u, std::thread::hardware_concurrency()));
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { gr::tfmed::specar::make(ad, kCh, 1, "cpu", 100000); }),
              "SpecarEngine: expected threads from 1 to " + max +
                  " (4 x the cores), found 100000");
}
