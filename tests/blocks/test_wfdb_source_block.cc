/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tfmed.wfdb_source on MIT-BIH record 100: samples and tag offsets equal the
 * files, repeat tags every pass, real-time pacing holds the rate back.
 */
#include "errors.h"
#include "data.h"
#include <gnuradio/blocks/head.h>
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/tfmed/wfdb_source.h>
#include <gnuradio/top_block.h>
#include <tfmed/io/wfdb.h>

#include <gtest/gtest.h>

#include <chrono>

namespace {

std::string record_100(const std::string& hea) { return hea.substr(0, hea.size() - 4); }

std::vector<gr::tag_t> tags_with_key(const std::vector<gr::tag_t>& all, const char* key)
{
    std::vector<gr::tag_t> out;
    for (const auto& t : all)
        if (pmt::symbol_to_string(t.key) == key)
            out.push_back(t);
    return out;
}

} // namespace

TEST(WfdbSourceTest, SamplesAndAnnotationTagsMatchTheFiles)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    const auto rec = tfmed::io::read_wfdb(record_100(hea));
    auto src = gr::tfmed::wfdb_source::make(record_100(hea), { 1, 0 }, false, false, 36000,
                                            72000);
    EXPECT_EQ(src->channels(), 2);
    EXPECT_EQ(src->channel_names(), (std::vector<std::string>{ "V5", "MLII" }));
    // Both replay blocks are used through one interface.
    gr::tfmed::recording_source::sptr any = src;
    EXPECT_EQ(any->n_samples(), 72000);
    EXPECT_DOUBLE_EQ(any->sample_rate(), 360.0);
    auto snk = gr::blocks::vector_sink_f::make(2);
    auto tb = gr::make_top_block("wfdb");
    tb->connect(src, 0, snk, 0);
    tb->run();
    const auto& y = snk->data();
    ASSERT_EQ(y.size(), 2u * 72000);
    for (int64_t t : { 0, 1, 35999, 71999 }) {
        EXPECT_EQ(y[2 * t], rec.at(36000 + t, 1));
        EXPECT_EQ(y[2 * t + 1], rec.at(36000 + t, 0));
    }
    // Every .atr annotation in [36000, 108000) is tagged at its exact sample.
    const auto ann = tags_with_key(snk->tags(), "annotation");
    std::vector<const tfmed::io::Annotation*> want;
    for (const auto& a : rec.annotations)
        if (a.sample >= 36000 && a.sample < 108000)
            want.push_back(&a);
    ASSERT_EQ(ann.size(), want.size());
    ASSERT_GT(ann.size(), 200u); // ~75 beats a minute over 200 s
    for (size_t i = 0; i < ann.size(); i++) {
        EXPECT_EQ(ann[i].offset, static_cast<uint64_t>(want[i]->sample - 36000));
        const auto sym = pmt::dict_ref(ann[i].value, pmt::intern("symbol"), pmt::PMT_NIL);
        EXPECT_EQ(pmt::symbol_to_string(sym), want[i]->symbol);
    }
    const auto rate = tags_with_key(snk->tags(), "sample_rate");
    ASSERT_EQ(rate.size(), 1u);
    EXPECT_EQ(rate[0].offset, 0u);
    EXPECT_DOUBLE_EQ(pmt::to_double(rate[0].value), 360.0);
    const auto names = tags_with_key(snk->tags(), "channel_names");
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(pmt::symbol_to_string(pmt::vector_ref(names[0].value, 0)), "V5");
    const auto units = tags_with_key(snk->tags(), "units");
    ASSERT_EQ(units.size(), 1u);
    EXPECT_EQ(pmt::symbol_to_string(pmt::vector_ref(units[0].value, 1)), "mV");
}

TEST(WfdbSourceTest, RepeatTagsEveryPass)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    // 10 s of record 100 (samples 0..3599) hold 14 annotations.
    auto src = gr::tfmed::wfdb_source::make(record_100(hea), { 0 }, false, true, 0, 3600);
    EXPECT_EQ(src->n_annotations(), 14u);
    auto head = gr::blocks::head::make(sizeof(float), 3 * 3600);
    auto snk = gr::blocks::vector_sink_f::make(1);
    auto tb = gr::make_top_block("repeat");
    tb->connect(src, 0, head, 0);
    tb->connect(head, 0, snk, 0);
    tb->run();
    ASSERT_EQ(snk->data().size(), 3u * 3600);
    EXPECT_EQ(snk->data()[0], snk->data()[3600]);
    EXPECT_EQ(snk->data()[17], snk->data()[2 * 3600 + 17]);
    const auto ann = tags_with_key(snk->tags(), "annotation");
    ASSERT_EQ(ann.size(), 3u * 14);
    for (size_t i = 0; i < 14; i++) {
        EXPECT_EQ(ann[i + 14].offset, ann[i].offset + 3600);
        EXPECT_EQ(ann[i + 28].offset, ann[i].offset + 7200);
    }
    EXPECT_EQ(tags_with_key(snk->tags(), "sample_rate").size(), 1u);
}

TEST(WfdbSourceTest, RealtimeHoldsTheSampleRate)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    // 180 samples at 360 Hz are half a second of signal: paced, they cannot
    // leave in much less (a lower bound only: a slow machine takes longer).
    auto src = gr::tfmed::wfdb_source::make(record_100(hea), {}, true, false, 0, 180);
    auto snk = gr::blocks::vector_sink_f::make(2);
    auto tb = gr::make_top_block("realtime");
    tb->connect(src, 0, snk, 0);
    const auto t0 = std::chrono::steady_clock::now();
    tb->run();
    const double dt =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(snk->data().size(), 360u);
    EXPECT_GE(dt, 0.45);
}

TEST(WfdbSourceTest, MakeRejectsBadRecordsAndSelections)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    auto msg = [](auto&& f) { return tfmed_test::message_of<std::invalid_argument>(f); };
    const std::string rec = record_100(hea);
    EXPECT_EQ(msg([&] { gr::tfmed::wfdb_source::make(rec, { 0, 2 }); }),
              "tfmed.wfdb_source: channel index 2 out of range: expected 0..1 for " + rec +
                  " (2 channels)");
    EXPECT_EQ(msg([&] { gr::tfmed::wfdb_source::make(rec, {}, false, false, -5); }),
              "tfmed.wfdb_source: " + rec + ": start: expected 0..650000, found -5");
    EXPECT_NE(msg([&] { gr::tfmed::wfdb_source::make(rec + "x"); })
                  .find("100x.hea: cannot open WFDB header"),
              std::string::npos);
}
