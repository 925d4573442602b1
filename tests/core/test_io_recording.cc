/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * io::Recording's span helpers, in memory (no data needed).
 */
#include "errors.h"
#include <tfmed/io/recording.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>

using namespace tfmed::io;

namespace {

std::string error_of(const std::function<void()>& f)
{
    return tfmed_test::message_of<ReadError>(f);
}

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

} // namespace

// slice_samples copies a span (the offline scorer's chunks); select_samples
// keeps it in place. Both re-base the annotations inside and refuse a start
// outside the recording.
TEST(RecordingTest, SliceSamplesCopiesASpanAndLeavesTheRecording)
{
    Recording r;
    r.source = "mem";
    r.sample_rate = 100;
    r.channel_names = { "a", "b" };
    r.units = { "mV", "uV" };
    r.n_samples = 10;
    for (int t = 0; t < 10; ++t)
        for (int c = 0; c < 2; ++c)
            r.samples.push_back(static_cast<float>(10 * t + c));
    for (int64_t at : { 1, 4, 7, 9 }) {
        Annotation a;
        a.sample = at;
        a.symbol = "N";
        r.annotations.push_back(a);
    }
    const Recording s = slice_samples(r, 3, 5);
    ASSERT_EQ(s.n_samples, 5);
    EXPECT_EQ(s.channel_names, r.channel_names);
    EXPECT_EQ(s.units, r.units);
    EXPECT_EQ(s.sample_rate, 100);
    for (int t = 0; t < 5; ++t)
        for (int c = 0; c < 2; ++c)
            EXPECT_EQ(s.at(t, c), 10 * (t + 3) + c);
    ASSERT_EQ(s.annotations.size(), 2u); // 4 and 7 lie in [3, 8), 1 and 9 do not
    EXPECT_EQ(s.annotations[0].sample, 1);
    EXPECT_EQ(s.annotations[1].sample, 4);
    EXPECT_EQ(r.n_samples, 10); // the source is untouched
    EXPECT_EQ(r.samples.size(), 20u);
    EXPECT_EQ(r.annotations.size(), 4u);

    EXPECT_EQ(slice_samples(r, 8, -1).n_samples, 2);  // -1: to the end
    EXPECT_EQ(slice_samples(r, 6, 100).n_samples, 4); // stops at the end
    EXPECT_EQ(slice_samples(r, 10, 5).n_samples, 0);
    EXPECT_TRUE(contains(error_of([&] { slice_samples(r, 11, 1); }),
                         "mem: start: expected 0..10, found 11"));
    EXPECT_TRUE(contains(error_of([&] { slice_samples(r, -1, 1); }),
                         "start: expected 0..10, found -1"));

    Recording in_place = r;
    select_samples(in_place, 3, 5);
    EXPECT_EQ(in_place.samples, s.samples);
    ASSERT_EQ(in_place.annotations.size(), 2u);
    EXPECT_EQ(in_place.annotations[1].sample, 4);
    Recording whole = r;
    select_samples(whole, 0, -1);
    EXPECT_EQ(whole.samples, r.samples);
    EXPECT_EQ(whole.annotations.size(), 4u);
}
