/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
// tfmed.tfrnn_encoder in flowgraphs: outputs equal to the engine's for the
// same windows (samples and frames), items and tags where the documentation
// puts them, decision PDUs, NaN handling, an upstream stft's changes and the
// refusals. (tfmed.spec_augment: test_spec_augment_block.cc.)
// (Torch-free TU: model files come from engine::write_untrained_trls.)
#include "errors.h"
#include "retuned_stft.h"
#include "signals.h"
#include "tags.h"
#include <gnuradio/blocks/message_debug.h>
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/blocks/vector_source.h>
#include <gnuradio/tfmed/stft.h>
#include <gnuradio/tfmed/tfrnn_encoder.h>
#include <gnuradio/top_block.h>
#include <tfmed/engine/trls_engine.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <map>

namespace {

using tfmed_test::by_key;
using tfmed_test::field;
using tfmed_test::signal;

constexpr int kCh = 2, kL = 64, kFft = 16; // 17 frames of 9 bins per channel

std::string model(int classes, bool minmax = false, double rate = 128.0)
{
    tfmed::engine::UntrainedTrls u;
    u.channels = kCh;
    u.length = kL;
    u.n_fft = kFft;
    u.num_class = classes;
    u.sample_rate = rate;
    u.minmax = minmax;
    const auto dir = std::filesystem::temp_directory_path() / "tfmed_trls_block";
    std::filesystem::create_directories(dir);
    const auto p =
        (dir / ("trls" + std::to_string(classes) + (minmax ? "mm" : "") +
                (rate > 0 ? "" : "_norate") + ".tfm"))
            .string();
    tfmed::engine::write_untrained_trls(p, u, 3);
    return p;
}

struct Run {
    std::vector<float> emb, prob;
    std::vector<gr::tag_t> tags, prob_tags;
    std::vector<pmt::pmt_t> pdus;
    std::vector<std::string> texts; //!< the PDUs' payloads
};

// x through `front` (e.g. a tfmed.stft; none: x goes in as it is) into blk.
Run run_encoder(gr::tfmed::tfrnn_encoder::sptr blk, const std::vector<float>& x, int vlen,
                int emb, int classes, gr::block_sptr front = nullptr)
{
    auto tb = gr::make_top_block("trls");
    auto src = gr::blocks::vector_source_f::make(x, false, vlen);
    auto s0 = gr::blocks::vector_sink_f::make(emb);
    auto dbg = gr::blocks::message_debug::make();
    if (front) {
        tb->connect(src, 0, front, 0);
        tb->connect(front, 0, blk, 0);
    } else {
        tb->connect(src, 0, blk, 0);
    }
    tb->connect(blk, 0, s0, 0);
    gr::blocks::vector_sink_f::sptr s1;
    if (classes > 0) {
        s1 = gr::blocks::vector_sink_f::make(classes);
        tb->connect(blk, 1, s1, 0);
    }
    tb->msg_connect(blk, "decisions", dbg, "store");
    tb->run();
    Run r;
    r.emb = s0->data();
    r.tags = s0->tags();
    if (s1) {
        r.prob = s1->data();
        r.prob_tags = s1->tags();
    }
    for (int i = 0; i < dbg->num_messages(); ++i) {
        r.pdus.push_back(pmt::car(dbg->get_message(i)));
        r.texts.push_back(tfmed_test::payload_text(dbg->get_message(i)));
    }
    return r;
}

} // namespace

TEST(TfrnnEncoderBlock, SamplesEqualTheEngine)
{
    const auto path = model(3);
    tfmed::engine::TrlsEngine eng(path, "cpu", 1);
    const int E = static_cast<int>(eng.embedding());
    ASSERT_EQ(E, 24);
    const int n = 300;
    auto x = signal(n, kCh);
    for (int hop : { 0, 20 }) {
        SCOPED_TRACE("hop " + std::to_string(hop));
        auto blk = gr::tfmed::tfrnn_encoder::make(path, "samples", kCh, hop, "cpu", 1, 128.0);
        const int h = hop ? hop : kL;
        EXPECT_EQ(blk->window(), kL);
        EXPECT_EQ(blk->hop(), h);
        const auto r = run_encoder(blk, x, kCh, E, 3);
        const int windows = (n - kL) / h + 1;
        ASSERT_EQ(static_cast<int>(r.emb.size()), windows * E);
        ASSERT_EQ(static_cast<int>(r.prob.size()), windows * 3);
        for (int k = 0; k < windows; ++k) {
            std::vector<float> e, p;
            eng.from_samples(x.data() + static_cast<std::size_t>(k) * h * kCh, 1, e, p);
            for (int i = 0; i < E; ++i)
                EXPECT_NEAR(r.emb[static_cast<std::size_t>(k * E + i)], e[i], 1e-5) << k;
            double sum = 0;
            for (int i = 0; i < 3; ++i) {
                EXPECT_NEAR(r.prob[static_cast<std::size_t>(k * 3 + i)], p[i], 1e-6) << k;
                sum += p[i];
            }
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
        auto tags = by_key(r.tags);
        ASSERT_EQ(tags["tfmed_window_start"].size(), static_cast<std::size_t>(windows));
        ASSERT_EQ(tags["tfmed_label"].size(), static_cast<std::size_t>(windows));
        ASSERT_EQ(tags["tfmed_probabilities"].size(), static_cast<std::size_t>(windows));
        EXPECT_EQ(tags["tfmed_window_start"][1].offset, 1u);
        EXPECT_EQ(pmt::to_uint64(tags["tfmed_window_start"][1].value), static_cast<uint64_t>(h));
        // The class tag is the arg-max of the item's probabilities.
        const auto c1 = pmt::to_long(tags["tfmed_class"][1].value);
        const float* p1 = r.prob.data() + 3;
        EXPECT_EQ(c1, std::max_element(p1, p1 + 3) - p1);
        EXPECT_EQ(pmt::symbol_to_string(tags["tfmed_label"][1].value), "class" + std::to_string(c1));
        EXPECT_EQ(by_key(r.prob_tags)["tfmed_label"].size(), static_cast<std::size_t>(windows));
        ASSERT_EQ(r.pdus.size(), static_cast<std::size_t>(windows));
        EXPECT_EQ(field(r.pdus[1], "type"), "decision");
        EXPECT_EQ(field(r.pdus[1], "class"), std::to_string(c1));
        EXPECT_EQ(field(r.pdus[1], "start"), std::to_string(h));
        EXPECT_NEAR(std::stod(field(r.pdus[1], "time_s")), h / 128.0, 1e-9);
    }
    // A NaN sample: that window is NaN, tagged and reported; the others are not.
    x[static_cast<std::size_t>(70) * kCh] = std::nanf("");
    auto blk = gr::tfmed::tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1);
    const auto r = run_encoder(blk, x, kCh, E, 3);
    EXPECT_TRUE(std::isfinite(r.emb[0]));
    EXPECT_TRUE(std::isnan(r.emb[E]));
    EXPECT_TRUE(std::isnan(r.prob[3]));
    auto tags = by_key(r.tags);
    ASSERT_EQ(tags["tfmed_invalid"].size(), 1u);
    EXPECT_EQ(tags["tfmed_invalid"][0].offset, 1u);
    EXPECT_EQ(field(r.pdus[1], "type"), "invalid");
    EXPECT_EQ(field(r.pdus[1], "detail"), "non_finite_input");
    EXPECT_EQ(r.texts[1], "a non-finite input value");
    EXPECT_EQ(r.texts[0], ""); // a decision carries no text

    // A channel held at one value over a whole window (a lead off, a gap
    // filled with zeros) is not classified: its image is blank, and a made-up
    // decision would look as plausible as any.
    auto y = signal(n, kCh);
    for (int t = kL; t < 2 * kL; ++t)
        y[static_cast<std::size_t>(t) * kCh + 1] = 0.0f; // window 1, channel 1
    const auto f = run_encoder(gr::tfmed::tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1),
                               y, kCh, E, 3);
    EXPECT_TRUE(std::isfinite(f.emb[0]));
    EXPECT_TRUE(std::isnan(f.emb[E]));
    EXPECT_TRUE(std::isnan(f.prob[3]));
    EXPECT_TRUE(std::isfinite(f.prob[6]));
    auto ft = by_key(f.tags);
    ASSERT_EQ(ft["tfmed_invalid"].size(), 1u);
    EXPECT_EQ(ft["tfmed_invalid"][0].offset, 1u);
    EXPECT_EQ(pmt::symbol_to_string(ft["tfmed_invalid"][0].value), "flat");
    EXPECT_EQ(ft["tfmed_label"].size(), static_cast<std::size_t>(n / kL - 1));
    EXPECT_EQ(field(f.pdus[1], "detail"), "flat_input");
    EXPECT_EQ(f.texts[1], "a channel held one value over the whole window (a lead off?)");

    // Frames (3 steps x 2 channels x 2 bins): a channel whose frames are all
    // alike (a constant lead: DC and leakage, not a blank image) is flat too;
    // one that varies in any bin is not.
    std::vector<float> fr = { 1, 2, 5, 0, /**/ 3, 4, 5, 0, /**/ 1, 7, 5, 0,   // channel 1 flat
                              1, 2, 5, 0, /**/ 3, 4, 5, 0, /**/ 1, 7, 5, 1 }; // not
    EXPECT_EQ(tfmed::engine::trls_flat_windows(fr.data(), 2, 3, 2, 2),
              (std::vector<uint8_t>{ 1, 0 }));
    EXPECT_EQ(tfmed::engine::trls_flat_windows(fr.data(), 1, 6, 2), (std::vector<uint8_t>{ 0 }));
}

TEST(TfrnnEncoderBlock, FramesAndAnEncoderWithoutHead)
{
    const auto path = model(0);
    tfmed::engine::TrlsEngine eng(path, "cpu", 1);
    const int E = static_cast<int>(eng.embedding()), T = static_cast<int>(eng.frames());
    const int V = kCh * static_cast<int>(eng.bins());
    ASSERT_EQ(T, 17);
    ASSERT_EQ(V, 18);
    const int n = 60; // frames
    auto f = signal(n, V);
    for (auto& v : f)
        v = std::abs(v); // magnitudes
    auto blk = gr::tfmed::tfrnn_encoder::make(path, "frames", kCh, 8, "cpu", 1);
    EXPECT_EQ(blk->window(), T);
    EXPECT_TRUE(blk->class_names().empty());
    const auto r = run_encoder(blk, f, V, E, 0);
    const int windows = (n - T) / 8 + 1;
    ASSERT_EQ(static_cast<int>(r.emb.size()), windows * E);
    for (int k = 0; k < windows; ++k) {
        std::vector<float> e, p;
        eng.from_frames(f.data() + static_cast<std::size_t>(k) * 8 * V, 1, e, p);
        EXPECT_TRUE(p.empty());
        for (int i = 0; i < E; ++i)
            EXPECT_NEAR(r.emb[static_cast<std::size_t>(k * E + i)], e[i], 1e-5) << k;
    }
    EXPECT_TRUE(r.pdus.empty());
    EXPECT_EQ(by_key(r.tags)["tfmed_window_start"].size(), static_cast<std::size_t>(windows));
}

// Frames from an upstream tfmed.stft are checked against the card's front
// end: another hop (or window, output...) gives believable probabilities
// from the wrong image, so such windows are invalid, never scored.
TEST(TfrnnEncoderBlock, FramesOfAnotherStftAreInvalid)
{
    const auto path = model(3);
    tfmed::engine::TrlsEngine eng(path, "cpu", 1);
    const int V = kCh * static_cast<int>(eng.bins());
    auto run = [&](int stft_hop, const std::string& output) {
        return run_encoder(gr::tfmed::tfrnn_encoder::make(path, "frames", kCh, 8, "cpu", 1),
                           signal(600, kCh), kCh, static_cast<int>(eng.embedding()), 3,
                           gr::tfmed::stft::make(kCh, kFft, stft_hop, 0, "hann", true, "torch",
                                                 true, "reflect", false, true, output));
    };
    ASSERT_EQ(V, 18);
    // The card's STFT (n_fft 16, hop 4): every window scored.
    const auto good = run(4, "magnitude");
    ASSERT_GT(good.emb.size(), 0u);
    EXPECT_TRUE(by_key(good.tags)["tfmed_invalid"].empty());
    for (float v : good.prob)
        EXPECT_TRUE(std::isfinite(v));
    // Hop 8 and log power: every window invalid, the PDU naming both STFTs.
    for (const auto& [hop, output] :
         std::vector<std::pair<int, std::string>>{ { 8, "magnitude" }, { 4, "log_power" } }) {
        const auto bad = run(hop, output);
        const auto windows = bad.prob.size() / 3;
        ASSERT_GT(windows, 0u) << hop << output;
        EXPECT_EQ(by_key(bad.tags)["tfmed_invalid"].size(), windows) << hop << output;
        for (float v : bad.prob)
            EXPECT_TRUE(std::isnan(v));
        for (float v : bad.emb)
            EXPECT_TRUE(std::isnan(v));
        ASSERT_EQ(bad.pdus.size(), windows);
        EXPECT_EQ(field(bad.pdus[0], "detail"), "stft_mismatch");
        EXPECT_NE(bad.texts[0].find("the upstream tfmed.stft is stft(n_fft=16, hop=" +
                                    std::to_string(hop)),
                  std::string::npos)
            << bad.texts[0];
        EXPECT_NE(bad.texts[0].find("the model's front end is stft(n_fft=16, hop=4, "
                                    "win_length=16, window=hann periodic, convention=torch, "
                                    "center=1, pad_mode=reflect, normalized=0, onesided=1, "
                                    "output=magnitude) on 2 channel(s)"),
                  std::string::npos)
            << bad.texts[0];
    }
}

// The stft's output changed while the graph runs (log power, then the
// card's magnitude): windows over frames made before the change are
// invalid, those after it scored, the boundary at the first frame the stft
// made with the new settings (not where the encoder happened to read).
TEST(TfrnnEncoderBlock, AnStftChangedMidStreamSwitchesAtItsFrame)
{
    const auto path = model(3);
    tfmed::engine::TrlsEngine eng(path, "cpu", 1);
    auto g = tfmed_test::retuned_stft("retune", kCh, kFft);
    const auto& st = g.stft;
    auto blk = gr::tfmed::tfrnn_encoder::make(path, "frames", kCh, 8, "cpu", 1);
    auto s0 = gr::blocks::vector_sink_f::make(static_cast<int>(eng.embedding()));
    auto s1 = gr::blocks::vector_sink_f::make(3);
    g.tb->connect(st, 0, blk, 0);
    g.tb->connect(blk, 0, s0, 0);
    g.tb->connect(blk, 1, s1, 0);
    tfmed_test::run_switching_to_magnitude(g);
    uint64_t first = 0;
    st->settings(first);
    EXPECT_EQ(st->settings_changes(), 1u);
    const auto prob = s1->data();
    const auto windows = prob.size() / 3;
    ASSERT_GT(first, 17u);
    ASSERT_LT(first + 17, windows * 8) << "the change came after the last window";
    std::map<uint64_t, bool> invalid;
    for (const auto& t : s1->tags())
        if (pmt::symbol_to_string(t.key) == "tfmed_invalid")
            invalid[t.offset] = true;
    int before = 0, after = 0;
    for (std::size_t k = 0; k < windows; ++k) {
        const uint64_t a = 8 * k, b = a + 17; // frames [a, b)
        const bool nan = std::isnan(prob[3 * k]);
        if (a >= first) {
            EXPECT_FALSE(nan || invalid.count(k)) << "window " << k << " after frame " << first;
            ++after;
        } else {
            EXPECT_TRUE(nan && invalid.count(k)) << "window " << k << " [" << a << ", " << b
                                                 << ") holds frames before " << first;
            ++before;
        }
    }
    EXPECT_GT(before, 0);
    EXPECT_GT(after, 0);
}

// A card without a rate: the stream's sample_rate times the decisions, and a
// deadline needs one of the two (decisions were timed in samples, the
// overrun deadline in items, both labelled seconds).
TEST(TfrnnEncoderBlock, ACardWithoutARateTakesTheStreams)
{
    const auto path = model(3, false, 0.0);
    const auto x = signal(kL * 3, kCh);
    const auto timed = run_encoder(
        gr::tfmed::tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1, 32.0), x, kCh, 24, 3);
    ASSERT_EQ(timed.pdus.size(), 3u);
    for (int k = 0; k < 3; ++k)
        EXPECT_DOUBLE_EQ(
            pmt::to_double(pmt::dict_ref(timed.pdus[k], pmt::mp("time_s"), pmt::PMT_NIL)),
            k * kL / 32.0);
    const auto untimed = run_encoder(
        gr::tfmed::tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1), x, kCh, 24, 3);
    ASSERT_EQ(untimed.pdus.size(), 3u);
    EXPECT_TRUE(std::isnan(
        pmt::to_double(pmt::dict_ref(untimed.pdus[1], pmt::mp("time_s"), pmt::PMT_NIL))));
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>([&] {
                  gr::tfmed::tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1, 0.0, 0, -1,
                                                 true, 16, 2.0, 64, 500.0);
              }).find("needs the stream's rate: model " + path + " names none; pass sample_rate"),
              std::string::npos);
}

TEST(TfrnnEncoderBlock, SharedEngineAcrossStreams)
{
    // Three streams (other phases and gains) through encoders sharing one
    // engine: the same embeddings and probabilities as separate engines
    // (bit for bit without batching, to float rounding with it), one engine
    // for the three, batches across them. Without a GPU the second stream
    // names its device "auto": the same CPU is the same engine.
    const auto path = model(3);
    const int hop = 16, n = 64 + 15 * hop; // 16 windows per stream
    const bool auto_is_cpu =
        gr::tfmed::tfrnn_encoder::make(path, "samples", kCh, hop, "auto", 1, 128.0, 0, -1, false,
                                       1, 20.0)
            ->device() == "cpu";
    auto run3 = [&](bool share, int max_batch) {
        auto tb = gr::make_top_block("trls3");
        std::vector<gr::tfmed::tfrnn_encoder::sptr> blks;
        std::vector<gr::blocks::vector_sink_f::sptr> e, p;
        for (int s = 0; s < 3; ++s) {
            auto x = signal(n + 7 * s, kCh);
            x.erase(x.begin(), x.begin() + 7 * s * kCh);
            for (auto& v : x)
                v *= 1.0f + 0.2f * s;
            auto src = gr::blocks::vector_source_f::make(x, false, kCh);
            auto blk = gr::tfmed::tfrnn_encoder::make(path, "samples", kCh, hop,
                                                      s == 1 && auto_is_cpu ? "auto" : "cpu",
                                                      1, 128.0, 0, -1,
                                                      share, max_batch, 20.0);
            e.push_back(gr::blocks::vector_sink_f::make(blk->embedding_size()));
            p.push_back(gr::blocks::vector_sink_f::make(3));
            tb->connect(src, 0, blk, 0);
            tb->connect(blk, 0, e.back(), 0);
            tb->connect(blk, 1, p.back(), 0);
            blks.push_back(blk);
        }
        tb->run();
        std::vector<std::vector<float>> out;
        for (int s = 0; s < 3; ++s) {
            auto v = e[s]->data();
            const auto& q = p[s]->data();
            v.insert(v.end(), q.begin(), q.end());
            out.push_back(v);
            EXPECT_EQ(blks[s]->windows_emitted(), 16u);
            EXPECT_EQ(blks[s]->queue_depth(), 0);
        }
        return std::make_pair(out, blks[0]->serving());
    };
    const auto [ref, ref_serving] = run3(false, 1);
    const auto [one, one_serving] = run3(true, 1);
    const auto [many, many_serving] = run3(true, 8);
    for (int s = 0; s < 3; ++s) {
        ASSERT_EQ(ref[s].size(), 16u * (24 + 3));
        ASSERT_EQ(one[s].size(), ref[s].size());
        ASSERT_EQ(many[s].size(), ref[s].size());
        for (std::size_t i = 0; i < ref[s].size(); ++i) {
            ASSERT_TRUE(std::isfinite(ref[s][i]));
            EXPECT_EQ(one[s][i], ref[s][i]) << "stream " << s << " value " << i;
            EXPECT_NEAR(many[s][i], ref[s][i], 1e-5f * (1.0f + std::abs(ref[s][i])))
                << "stream " << s << " value " << i;
        }
    }
    EXPECT_EQ(nlohmann::json::parse(ref_serving)["streams"], 1) << ref_serving;
    EXPECT_EQ(nlohmann::json::parse(many_serving)["streams"], 3) << many_serving;
    EXPECT_EQ(nlohmann::json::parse(many_serving)["windows"], 48) << many_serving;
    EXPECT_NE(nlohmann::json::parse(many_serving)["largest_batch"], 1) << many_serving;
}

TEST(TfrnnEncoderBlock, RefusesStreamsThatDoNotFit)
{
    const auto path = model(3);
    using gr::tfmed::tfrnn_encoder;
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>(
                  [&] { tfrnn_encoder::make(path, "samples", 3); })
                  .find("expects 2 channel(s), the stream has 3"),
              std::string::npos);
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>(
                  [&] { tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1, 250.0); })
                  .find("trained at 128.000000 Hz, the stream is at 250.000000 Hz"),
              std::string::npos);
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>(
                  [&] { tfrnn_encoder::make(path, "windows", kCh); })
                  .find("expected 'samples' or 'frames', found 'windows'"),
              std::string::npos);
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>(
                  [&] { tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1, 0.0, 320); })
                  .find("gives embeddings of 24 values (K x f_h), the graph expects 320"),
              std::string::npos);
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>(
                  [&] { tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1, 0.0, 24, 2); })
                  .find("has 3 classes, the graph expects 2"),
              std::string::npos);
    // A negative or NaN rate was taken as "unknown", -5 classes as "any".
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>(
                  [&] { tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1, -173.61); }),
              "tfmed.tfrnn_encoder: expected sample_rate > 0 in Hz (0: unknown), found "
              "-173.610000");
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>(
                  [&] { tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1, NAN); }),
              "tfmed.tfrnn_encoder: expected sample_rate > 0 in Hz (0: unknown), found nan");
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>(
                  [&] { tfrnn_encoder::make(path, "samples", kCh, 0, "cpu", 1, 0.0, 0, -5); }),
              "tfmed.tfrnn_encoder: expected classes >= 0 (-1: not checked), found -5");
    const auto mm = model(3, true);
    EXPECT_NE(tfmed_test::message_of<std::invalid_argument>(
                  [&] { tfrnn_encoder::make(mm, "frames", kCh); })
                  .find("cannot apply to STFT frames"),
              std::string::npos);
    EXPECT_NE(tfmed_test::message_of<std::runtime_error>(
                  [&] { tfrnn_encoder::make("/nonexistent.tfm", "samples", kCh); })
                  .find("/nonexistent.tfm"),
              std::string::npos);
}
