/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
// The HeartPy-equivalent R-peak detector: behaviour on constructed signals,
// and agreement with the cardiologists' beat labels of MIT-BIH record 100.
#include "../support/data.h"
#include "../support/errors.h"

#include <tfmed/dsp/rpeaks.h>
#include <tfmed/dsp/stats.h>
#include <tfmed/io/wfdb.h>
#include <tfmed/models/rpeak_check.h>

#include <gtest/gtest.h>

#include <cmath>

using namespace tfmed;

namespace {
// Gaussian "R waves" of width 10 ms at the given samples, on a zero baseline.
std::vector<double> spikes(int64_t n, double fs, const std::vector<int64_t>& at)
{
    std::vector<double> x(static_cast<std::size_t>(n), 0.0);
    for (int64_t p : at)
        for (int64_t t = std::max<int64_t>(0, p - 20); t < std::min(n, p + 21); ++t)
            x[static_cast<std::size_t>(t)] += std::exp(-0.5 * std::pow((t - p) / (0.01 * fs), 2));
    return x;
}
} // namespace

TEST(Rpeaks, FindsEveryBeatOfAnIrregularRhythm)
{
    const double fs = 500.0;
    std::vector<int64_t> at;
    int64_t p = 300;
    for (int i = 0; p < 4800; ++i) {
        at.push_back(p);
        p += 400 + (i % 3) * 20; // 72-83 bpm, RR varies (HeartPy needs rrsd > 0.1 ms)
    }
    const auto r = dsp::detect_rpeaks(spikes(5000, fs, at), fs);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.peaks, at);
    EXPECT_GT(r.rrsd_ms, 0.1);
    EXPECT_NEAR(r.bpm, at.size() / 10.0 * 60.0, 1e-9);
}

TEST(Rpeaks, DropsAFirstPeakWithin150ms)
{
    const double fs = 500.0;
    std::vector<int64_t> at{ 50, 450, 870, 1290, 1690, 2110, 2530, 2930, 3350, 3770, 4170, 4590 };
    const auto r = dsp::detect_rpeaks(spikes(5000, fs, at), fs);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.peaks, std::vector<int64_t>(at.begin() + 1, at.end()));
}

TEST(Rpeaks, RejectsRhythmsHeartPyRejects)
{
    const double fs = 500.0;
    // Perfectly regular: rrsd = 0 is not > 0.1 ms, as in HeartPy.
    std::vector<int64_t> regular;
    for (int64_t p = 250; p < 5000; p += 400)
        regular.push_back(p);
    EXPECT_FALSE(dsp::detect_rpeaks(spikes(5000, fs, regular), fs).ok());
    // 20 bpm is outside 40-180 bpm at every threshold.
    EXPECT_FALSE(dsp::detect_rpeaks(spikes(5000, fs, { 1000, 4100 }), fs).ok());
    EXPECT_FALSE(dsp::detect_rpeaks(std::vector<double>(5000, 0.3), fs).ok());
}

// One beat in a 1-s window: no interval, rrsd Inf at every threshold. HeartPy
// keeps the first qualifying threshold (min() over equal values, 5 %); the
// detector found none (`rrsd < best` against an Inf start).
TEST(Rpeaks, OneBeatKeepsTheFirstThresholdAsHeartPy)
{
    const double fs = 500.0;
    std::vector<double> x(500);
    for (int i = 0; i < 500; ++i)
        x[static_cast<std::size_t>(i)] = 0.1 + std::exp(-0.5 * std::pow((i - 250) / 5.0, 2));
    const auto r = dsp::detect_rpeaks(x, fs);
    EXPECT_EQ(r.peaks, std::vector<int64_t>{ 250 });
    EXPECT_EQ(r.ma_perc, 5.0);
}

TEST(Rpeaks, BadInputIsNamed)
{
    std::vector<double> x(100, 0.0);
    x[3] = NAN;
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>([&] { dsp::detect_rpeaks(x, 500); }),
              "detect_rpeaks: expected finite samples, found NaN or Inf");
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>(
                  [&] { dsp::detect_rpeaks({ 1.0, 2.0 }, 1.0); }),
              "detect_rpeaks: expected a rolling-mean window of at least one sample, found "
              "window_s * fs = 0.750000");
}

TEST(Stats, QuantileInterpolatesLikeNumpy)
{
    // numpy.percentile([4, 1, 3, 2], [0, 10, 50, 99, 100]) = 1, 1.3, 2.5, 3.97, 4
    const std::vector<double> v{ 4, 1, 3, 2 };
    EXPECT_DOUBLE_EQ(dsp::quantile(v, 0.0), 1.0);
    EXPECT_DOUBLE_EQ(dsp::quantile(v, 0.1), 1.3);
    EXPECT_DOUBLE_EQ(dsp::quantile(v, 0.5), 2.5);
    EXPECT_NEAR(dsp::quantile(v, 0.99), 3.97, 1e-12);
    EXPECT_DOUBLE_EQ(dsp::quantile(v, 1.0), 4.0);
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>([] { dsp::quantile({}, 0.5); }),
              "quantile: expected values, found none");
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>([&] { dsp::quantile(v, 1.5); }),
              "quantile: expected 0 <= q <= 1, found 1.500000");
    // NaN broke the sort (undefined) and returned a finite threshold.
    EXPECT_EQ(tfmed_test::message_of<std::invalid_argument>(
                  [] { dsp::quantile({ 1.0, std::nan(""), 3.0, INFINITY }, 0.5); }),
              "quantile: expected finite values, found 2 NaN/Inf of 4");
}

TEST(Rpeaks, MatchesBeatsOneToOne)
{
    // 10 and 12 both lie near 11; only one may count.
    const auto m = dsp::match_beats({ 10, 12, 100, 300 }, { 11, 105, 200 }, 5);
    EXPECT_EQ(m.true_positives, 2);
    EXPECT_EQ(m.false_positives, 2);
    EXPECT_EQ(m.false_negatives, 1);
    EXPECT_DOUBLE_EQ(m.sensitivity(), 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(m.positive_predictivity(), 0.5);
}

// Record 100 (MLII, 30 min, 2,273 cardiologist-labelled beats): the detector
// as TSRNet uses it must find >= 99 % of the beats (within +-50 ms) with >= 99 %
// of its detections on a beat.
TEST(Rpeaks, Record100AgreesWithTheCardiologists)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    const auto rec = io::read_wfdb(hea.substr(0, hea.size() - 4));
    models::RpeakCheckOptions o;
    o.channel = 0; // MLII
    o.window_s = 0.0;
    const auto whole = models::check_rpeaks(rec, o);
    EXPECT_EQ(whole.beats, 2273);
    EXPECT_GE(whole.match.sensitivity(), 0.99);
    EXPECT_GE(whole.match.positive_predictivity(), 0.99);
    o.window_s = 10.0; // as the scorer sees it: 10-s windows, each on its own
    const auto windowed = models::check_rpeaks(rec, o);
    EXPECT_EQ(windowed.windows, 181);
    EXPECT_EQ(windowed.windows_without_peaks, 0);
    EXPECT_GE(windowed.match.positive_predictivity(), 0.99);
    std::printf("record 100 MLII, whole record: Se %.4f +P %.4f (TP %lld FP %lld FN %lld)\n"
                "record 100 MLII, 10-s windows: Se %.4f +P %.4f (TP %lld FP %lld FN %lld)\n",
                whole.match.sensitivity(), whole.match.positive_predictivity(),
                (long long)whole.match.true_positives, (long long)whole.match.false_positives,
                (long long)whole.match.false_negatives, windowed.match.sensitivity(),
                windowed.match.positive_predictivity(), (long long)windowed.match.true_positives,
                (long long)windowed.match.false_positives,
                (long long)windowed.match.false_negatives);
}
