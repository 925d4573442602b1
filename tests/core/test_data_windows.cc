/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Dataset layer: resampling, windows labelled from annotations (record 100),
 * per-record splits and k-fold.
 */
#include "data.h"
#include <tfmed/data/windows.h>
#include <tfmed/io/wfdb.h>

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace tfmed;

namespace {

io::Recording sine(double rate, double freq, int64_t n, int channels = 1)
{
    io::Recording r;
    r.sample_rate = rate;
    r.n_samples = n;
    for (int c = 0; c < channels; c++) {
        r.channel_names.push_back("s" + std::to_string(c));
        r.units.push_back("mV");
    }
    for (int64_t t = 0; t < n; t++)
        for (int c = 0; c < channels; c++)
            r.samples.push_back(
                static_cast<float>(std::sin(2 * M_PI * freq * (c + 1) * t / rate)));
    return r;
}

} // namespace

TEST(ResampleTest, SineKeepsItsShapeAtTheNewRate)
{
    // 7 Hz and 14 Hz at 360 Hz -> 500 Hz (ratio 25/18), away from the edges.
    const auto y = data::resample(sine(360.0, 7.0, 3600, 2), 500.0);
    EXPECT_DOUBLE_EQ(y.sample_rate, 500.0);
    EXPECT_EQ(y.n_samples, 5000);
    double err = 0;
    for (int64_t m = 200; m < 4800; m++)
        for (int c = 0; c < 2; c++)
            err = std::max(err, std::abs(y.at(m, c) -
                                         std::sin(2 * M_PI * 7.0 * (c + 1) * m / 500.0)));
    EXPECT_LT(err, 2e-3);
    // Down-sampling removes what the new rate cannot hold: 100 Hz at 500 -> 125 Hz.
    const auto d = data::resample(sine(500.0, 100.0, 5000), 125.0);
    EXPECT_EQ(d.n_samples, 1250);
    double peak = 0;
    for (int64_t m = 100; m < 1150; m++)
        peak = std::max(peak, std::abs(static_cast<double>(d.at(m, 0))));
    EXPECT_LT(peak, 0.01);
    EXPECT_THROW(data::resample(sine(360.0, 1.0, 10), 0.0), std::invalid_argument);
}

TEST(ResampleTest, RatesOffByOrdersOfMagnitudeAreRefused)
{
    // `tfmed score X.npy --rate 1e-3` against a 500 Hz model: 14,400 rows
    // would have become 7.2e9 samples (std::bad_alloc or minutes of
    // allocation); 1e-300 overflowed the ratio search and was scored as is.
    auto msg = [](double from, double to, int64_t n) {
        try {
            data::resample(sine(from, 1.0, n), to);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(msg(1e-3, 500.0, 100).find("expected a target rate within 1e-4 to 1e4 times the "
                                         "recording's (0.001000 Hz), found 500.000000 Hz"),
              std::string::npos)
        << msg(1e-3, 500.0, 100);
    EXPECT_NE(msg(1e-300, 500.0, 100).find("expected a target rate within"), std::string::npos);
    EXPECT_NE(msg(5e6, 100.0, 100).find("expected a target rate within"), std::string::npos);
    // Within the bounds, an output beyond 2^31 values is refused before any is made.
    EXPECT_NE(msg(1.0, 1e4, 300000).find("expected at most 2^31 values out, found 3000000000"),
              std::string::npos)
        << msg(1.0, 1e4, 300000);
    // The factor bound: 1000 / 0.1234567 (8100.0066) needs q > 123, so p > 10^6.
    EXPECT_NE(msg(0.1234567, 1000.0, 10).find("expected a factor p/q with p and q up to 10^6"),
              std::string::npos)
        << msg(0.1234567, 1000.0, 10);
    // A ratio no p/q with q <= 1000 reaches: 2e-4 came out as 1/1000, five
    // times the rate asked for.
    EXPECT_NE(msg(500.0, 0.1, 100000).find("expected a factor p/q within 1e-4 of the ratio with "
                                            "q up to 1000, found 1/1000"),
              std::string::npos)
        << msg(500.0, 0.1, 100000);
}

TEST(ResampleTest, AnAnnotationOnTheLastSampleStaysInTheSpan)
{
    // 9 samples at 1/3 give 3 outputs; sample 8 rounded to output 3, past
    // the end, and its beat was lost to the windows.
    auto r = sine(300.0, 1.0, 9);
    r.annotations = { { 0, "N" }, { 4, "V" }, { 8, "N" } };
    const auto d = data::resample(r, 100.0);
    ASSERT_EQ(d.n_samples, 3);
    ASSERT_EQ(d.annotations.size(), 3u);
    EXPECT_EQ(d.annotations[0].sample, 0);
    EXPECT_EQ(d.annotations[1].sample, 1); // 1.33
    EXPECT_EQ(d.annotations[2].sample, 2); // 2.67, the last output
}

TEST(ResampleTest, SpanReadsTheRecordingAroundIt)
{
    // 360 -> 500 Hz is 25/18: a span from a multiple of 18 is exactly that
    // part of the whole recording resampled, ends included.
    auto r = sine(360.0, 7.0, 3600, 2);
    r.annotations = { { 100, "N" }, { 1818, "V" }, { 2000, "N" }, { 3000, "N" } };
    const auto whole = data::resample(r, 500.0);
    const auto span = data::resample_span(r, 500.0, 1818, 720); // 2 s from 5.05 s
    ASSERT_EQ(span.n_samples, 1000);
    EXPECT_DOUBLE_EQ(span.sample_rate, 500.0);
    for (int64_t m = 0; m < span.n_samples; m++)
        for (int c = 0; c < 2; c++)
            ASSERT_EQ(span.at(m, c), whole.at(2525 + m, c)) << m << "," << c;
    ASSERT_EQ(span.annotations.size(), 2u); // V at 1818 and N at 2000, re-based
    EXPECT_EQ(span.annotations[0].sample, 0);
    EXPECT_EQ(span.annotations[1].sample, 253); // 182 * 25 / 18 = 252.8
    // Cutting first puts the filter's zero padding at both ends of the span:
    // outputs between input samples there go wrong (those on an input sample
    // are the sample itself when up-sampling).
    const auto cut = data::resample(io::slice_samples(r, 1818, 720), 500.0);
    ASSERT_EQ(cut.n_samples, 1000);
    EXPECT_EQ(cut.at(0, 1), whole.at(2525, 1));
    EXPECT_GT(std::abs(cut.at(1, 1) - whole.at(2526, 1)), 0.02)
        << cut.at(1, 1) << " vs " << whole.at(2526, 1);
    EXPECT_LT(std::abs(cut.at(500, 1) - whole.at(3025, 1)), 1e-4); // the middle agrees
    // From any other sample the grid starts there: sample 0 is input sample 700.
    const auto odd = data::resample_span(r, 500.0, 700, 1000);
    EXPECT_LT(std::abs(odd.at(0, 0) - r.at(700, 0)), 2e-3);
    EXPECT_LT(std::abs(odd.at(0, 1) - r.at(700, 1)), 2e-3);
    // The recording's own rate gives the slice; a start outside is refused.
    const auto same = data::resample_span(r, 360.0, 10, 5);
    EXPECT_EQ(same.n_samples, 5);
    EXPECT_EQ(same.at(0, 1), r.at(10, 1));
    EXPECT_THROW(data::resample_span(r, 500.0, 3601, 1), std::invalid_argument);
    EXPECT_THROW(data::resample_span(r, 500.0, -1, 1), std::invalid_argument);
}

TEST(ResampleTest, Record100To500HzKeepsBeatsAligned)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    io::WfdbReadOptions o;
    o.length = 36000;
    const auto r = io::read_wfdb(hea.substr(0, hea.size() - 4), o);
    const auto y = data::resample(r, 500.0);
    EXPECT_EQ(y.n_samples, 50000);
    ASSERT_EQ(y.annotations.size(), r.annotations.size());
    // The R peak (maximum of MLII near each N annotation) moves with the label.
    int near = 0, beats = 0;
    for (size_t i = 0; i < r.annotations.size(); i++) {
        if (r.annotations[i].symbol != "N")
            continue;
        beats++;
        const int64_t a = y.annotations[i].sample;
        int64_t best = a;
        for (int64_t t = std::max<int64_t>(0, a - 50); t < std::min<int64_t>(50000, a + 50); t++)
            if (y.at(t, 0) > y.at(best, 0))
                best = t;
        near += std::abs(best - a) <= 10; // within 20 ms
    }
    EXPECT_GT(beats, 100);
    EXPECT_GE(near, beats * 95 / 100);
    // Back to 360 Hz: close to the original where the ECG is band-limited.
    const auto back = data::resample(y, 360.0);
    double err = 0;
    for (int64_t t = 1000; t < 35000; t++)
        err = std::max(err, std::abs(static_cast<double>(back.at(t, 0) - r.at(t, 0))));
    EXPECT_LT(err, 0.05); // mV; the MIT-BIH anti-alias filter leaves little above 180 Hz
}

TEST(WindowsTest, Record100WindowsLabelledByBeats)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    const auto r = io::read_wfdb(hea.substr(0, hea.size() - 4));
    data::WindowOptions o;
    o.length = 3600; // 10 s
    const auto w = data::make_windows(r, o, 7);
    ASSERT_EQ(w.x.sizes(), (std::vector<int64_t>{ 180, 2, 3600 }));
    EXPECT_EQ(w.label.size(0), 180);
    // Independent count: windows holding an A or V beat are abnormal.
    int64_t abnormal = 0, beats = 0, beats_in_windows = 0;
    for (const auto& a : r.annotations)
        beats_in_windows += io::wfdb_is_beat(a.code) && a.sample < 180 * 3600;
    for (int k = 0; k < 180; k++) {
        bool bad = false;
        for (const auto& a : r.annotations)
            if (a.sample >= k * 3600 && a.sample < (k + 1) * 3600 && io::wfdb_is_beat(a.code))
                bad = bad || a.symbol != "N";
        abnormal += bad;
        EXPECT_EQ(w.label[k].item<int64_t>(), bad ? 1 : 0) << "window " << k;
        beats += w.beats[k];
    }
    EXPECT_EQ(w.label.sum().item<int64_t>(), abnormal);
    EXPECT_GT(abnormal, 10);
    EXPECT_EQ(beats, beats_in_windows); // the last 2000 samples are in no window
    EXPECT_GT(beats, 2250);
    EXPECT_EQ(w.record, std::vector<int>(180, 7));
    EXPECT_EQ(w.x[3][1][17].item<float>(), r.at(3 * 3600 + 17, 1));
    // With A counted normal, only windows with the V beat stay abnormal.
    o.normal = { "N", "A" };
    EXPECT_EQ(data::make_windows(r, o).label.sum().item<int64_t>(), 1);
    // Overlapping windows.
    o.hop = 1800;
    EXPECT_EQ(data::make_windows(r, o).x.size(0), (650000 - 3600) / 1800 + 1);
    o.length = 0;
    EXPECT_THROW(data::make_windows(r, o), std::invalid_argument);
}

TEST(WindowsTest, NanWindowsAreDroppedOrKept)
{
    auto r = sine(100.0, 1.0, 1000);
    r.samples[250] = NAN;
    data::WindowOptions o;
    o.length = 100;
    EXPECT_EQ(data::make_windows(r, o).x.size(0), 9);
    o.drop_invalid = false;
    EXPECT_EQ(data::make_windows(r, o).x.size(0), 10);
}

TEST(SplitTest, RecordsNeverShareSplitsAndSeedsRepeat)
{
    const auto s = data::split_records(48, 0.125, 0.25, 42);
    EXPECT_EQ(s.test.size(), 12u);
    EXPECT_EQ(s.val.size(), 6u);
    EXPECT_EQ(s.train.size(), 30u);
    std::set<int> all;
    for (const auto* part : { &s.train, &s.val, &s.test })
        for (int i : *part)
            EXPECT_TRUE(all.insert(i).second) << "record " << i << " in two splits";
    EXPECT_EQ(all.size(), 48u);
    const auto again = data::split_records(48, 0.125, 0.25, 42);
    EXPECT_EQ(again.test, s.test);
    EXPECT_NE(data::split_records(48, 0.125, 0.25, 43).test, s.test);
    // The permutation is our own Fisher-Yates on mt19937_64: the same numbers
    // with every standard library.
    EXPECT_EQ(data::permutation(8, 1), data::permutation(8, 1));
    const auto p = data::permutation(1000, 5);
    EXPECT_EQ(std::set<int>(p.begin(), p.end()).size(), 1000u);
    EXPECT_THROW(data::split_records(10, 0.5, 0.5, 1), std::invalid_argument);
}

TEST(SplitTest, KfoldCoversEveryRecordOnceAsTest)
{
    const auto folds = data::kfold(23, 5, 9);
    ASSERT_EQ(folds.size(), 5u);
    std::vector<int> seen(23, 0);
    for (const auto& f : folds) {
        EXPECT_EQ(f.test.size() + f.train.size(), 23u);
        EXPECT_GE(f.test.size(), 4u);
        EXPECT_LE(f.test.size(), 5u);
        for (int i : f.test)
            seen[i]++;
        for (int i : f.train)
            EXPECT_EQ(std::count(f.test.begin(), f.test.end(), i), 0);
    }
    EXPECT_EQ(seen, std::vector<int>(23, 1));
    EXPECT_THROW(data::kfold(3, 5, 1), std::invalid_argument);
}
