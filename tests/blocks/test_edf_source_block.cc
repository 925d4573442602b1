/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tfmed.edf_source on test_generator_2.edf: samples equal the reader's, the
 * EDF+ annotation is tagged, and the stream agrees with its WFDB twin played
 * by tfmed.wfdb_source within the EDF quantisation.
 */
#include "errors.h"
#include "data.h"
#include <gnuradio/blocks/vector_sink.h>
#include <gnuradio/tfmed/edf_source.h>
#include <gnuradio/tfmed/wfdb_source.h>
#include <gnuradio/top_block.h>
#include <tfmed/io/edf.h>

#include <gtest/gtest.h>

#include <cmath>

namespace {

std::vector<float> play(gr::basic_block_sptr src, int vlen, std::vector<gr::tag_t>* tags)
{
    auto snk = gr::blocks::vector_sink_f::make(vlen);
    auto tb = gr::make_top_block("play");
    tb->connect(src, 0, snk, 0);
    tb->run();
    if (tags)
        *tags = snk->tags();
    return snk->data();
}

} // namespace

TEST(EdfSourceTest, SamplesTagsAndTheWfdbTwinAgree)
{
    TFMED_REQUIRE_DATA(edf, "wfdb_sample/test_generator_2.edf");
    const auto f = tfmed::io::read_edf(edf);
    // Signals 0 (squarewave) and 3 (ECG), seconds 10..20.
    auto src = gr::tfmed::edf_source::make(edf, { 0, 3 }, false, false, 2000, 2000);
    EXPECT_EQ(src->channel_names(), (std::vector<std::string>{ "squarewave", "ECG" }));
    EXPECT_DOUBLE_EQ(src->sample_rate(), 200.0);
    std::vector<gr::tag_t> tags;
    const auto y = play(src, 2, &tags);
    ASSERT_EQ(y.size(), 4000u);
    for (int t : { 0, 1, 999, 1999 }) {
        EXPECT_EQ(y[2 * t], f.signals[0].samples[2000 + t]);
        EXPECT_EQ(y[2 * t + 1], f.signals[3].samples[2000 + t]);
    }
    // The WFDB twin through wfdb_source: equal within half an EDF step.
    const std::string twin = edf.substr(0, edf.size() - 4);
    auto wsrc = gr::tfmed::wfdb_source::make(twin, { 0, 3 }, false, false, 2000, 2000);
    const auto w = play(wsrc, 2, nullptr);
    ASSERT_EQ(w.size(), y.size());
    const double half_step0 = f.signals[0].gain() / 2, half_step3 = f.signals[3].gain() / 2;
    double worst = 0;
    for (size_t i = 0; i < w.size(); i++) {
        const double lim = (i % 2 ? half_step3 : half_step0) + 1e-4;
        worst = std::max(worst, std::abs(static_cast<double>(w[i]) - y[i]) / lim);
    }
    EXPECT_LE(worst, 1.0);
    // Whole file: "RECORD START" tagged at sample 0 ("REC STOP" lies at the end).
    auto all = gr::tfmed::edf_source::make(edf, { 1 });
    EXPECT_EQ(all->n_samples(), 120000);
    play(all, 1, &tags);
    int found = 0;
    for (const auto& t : tags)
        if (pmt::symbol_to_string(t.key) == "annotation") {
            EXPECT_EQ(t.offset, 0u);
            EXPECT_EQ(pmt::symbol_to_string(
                          pmt::dict_ref(t.value, pmt::intern("aux"), pmt::PMT_NIL)),
                      "RECORD START");
            found++;
        }
    EXPECT_EQ(found, 1);
}

TEST(EdfSourceTest, MakeRejectsBadFilesAndSelections)
{
    TFMED_REQUIRE_DATA(edf, "wfdb_sample/test_generator_2.edf");
    TFMED_REQUIRE_DATA(ann, "wfdb_sample/test_edfann.edf");
    auto msg = [](auto&& f) { return tfmed_test::message_of<std::invalid_argument>(f); };
    EXPECT_EQ(msg([&] { gr::tfmed::edf_source::make(edf, { 11 }); }),
              "tfmed.edf_source: channel index 11 out of range: expected 0..10 for " + edf +
                  " (11 signals)");
    EXPECT_EQ(msg([&] { gr::tfmed::edf_source::make(ann); }),
              "tfmed.edf_source: " + ann +
                  ": expected at least one ordinary signal, found none (annotations only)");
    EXPECT_NE(msg([&] { gr::tfmed::edf_source::make(edf + ".missing"); })
                  .find("tfmed.edf_source: " + edf + ".missing"),
              std::string::npos);
}
