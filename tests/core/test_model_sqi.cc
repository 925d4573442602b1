/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The signal-quality gate (models/sqi.h): each reason on a signal made for
 * it, the card round trip, and the flag rates on real ECG and generated
 * artefacts (../shared/data; skipped without it).
 */
#include "../support/errors.h"

#include <tfmed/data/window_set.h>
#include <tfmed/eval/quality_eval.h>
#include <tfmed/models/sqi.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <vector>

using namespace tfmed;
using tfmed_test::message_of;

namespace {

constexpr double kFs = 500.0;
constexpr int64_t kN = 5000, kBegin = 100, kLen = 4800;

// An ECG-like trace in mV: an R wave (8 ms Gaussian) and S wave every `rr`
// seconds, small P and T waves, 0.02 mV of noise and a slow baseline wander.
std::vector<float> synthetic_ecg(double rr = 0.83, double pt = 1.0)
{
    std::vector<float> x(kN, 0.0f);
    const auto noise = eval::SplitMix64(11).normal(kN);
    for (int64_t t = 0; t < kN; ++t)
        x[t] = static_cast<float>(0.02 * noise[t] + 0.1 * std::sin(2 * M_PI * 0.3 * t / kFs));
    auto g = [](double s, double c, double w) { return std::exp(-0.5 * std::pow((s - c) / w, 2)); };
    for (double r = 0.3; r < kN / kFs; r += rr)
        for (int64_t t = 0; t < kN; ++t) {
            const double s = t / kFs;
            x[t] += static_cast<float>(1.2 * g(s, r, 0.008) - 0.3 * g(s, r + 0.025, 0.01) +
                                       pt * (0.12 * g(s, r - 0.16, 0.02) + 0.25 * g(s, r + 0.25, 0.04)));
        }
    return x;
}

models::LeadQuality assess(const std::vector<float>& x)
{
    return models::lead_quality(x.data(), kN, 1, kFs, kBegin, kLen, {});
}

} // namespace

TEST(Quality, EachReasonOnASignalMadeForIt)
{
    const auto ecg = assess(synthetic_ecg());
    EXPECT_FALSE(ecg.poor()) << ecg.describe({});
    EXPECT_EQ(ecg.beats, 10); // R at 1.13 ... 8.60 s: the beats whose -0.2/+0.4 s fit
    EXPECT_GT(ecg.beat_match, 0.99);
    EXPECT_GT(ecg.kurtosis, 10.0);

    // White noise: kurtosis ~3, beats that do not repeat.
    std::vector<float> noise(kN);
    auto g = eval::SplitMix64(7).normal(kN);
    for (int64_t t = 0; t < kN; ++t)
        noise[t] = static_cast<float>(0.5 * g[t]);
    const auto n = assess(noise);
    EXPECT_TRUE(n.reasons & models::kLowKurtosis) << n.describe({});
    EXPECT_NEAR(n.kurtosis, 3.0, 0.3);
    EXPECT_LT(n.beat_match, 0.6);

    // Flat: a constant and a tiny wobble.
    EXPECT_EQ(assess(std::vector<float>(kN, 0.7f)).reasons & models::kFlat, models::kFlat);
    // Clipped at 40 % of the R height: one plateau per beat.
    auto clipped = synthetic_ecg();
    for (auto& v : clipped)
        v = std::min(v, 0.55f);
    const auto c = assess(clipped);
    EXPECT_TRUE(c.reasons & models::kSaturation) << c.describe({});
    EXPECT_GE(c.saturation_runs, 10);
    // Mains at 50 Hz over the ECG, 20x its amplitude: out of band.
    auto mains = synthetic_ecg();
    for (int64_t t = 0; t < kN; ++t)
        mains[t] += static_cast<float>(10.0 * std::sin(2 * M_PI * 50 * t / kFs));
    const auto m = assess(mains);
    EXPECT_TRUE(m.reasons & models::kOutOfBand) << m.describe({});
    // A long pause: QRS complexes 4 s apart (2 fit), nothing between.
    auto pause = synthetic_ecg(4.0, 0.0);
    const auto p = assess(pause);
    EXPECT_TRUE(p.reasons & models::kTooFewBeats) << p.describe({});
    EXPECT_EQ(models::quality_reasons(models::kLowKurtosis | models::kSaturation),
              "low_kurtosis+saturation");
}

TEST(Quality, OptionsRoundTripAndRanges)
{
    models::QualityOptions o;
    o.kurtosis_min = 5.0;
    o.beat_match_min = 0.8;
    const auto back = models::QualityOptions::from_json(o.to_json());
    EXPECT_EQ(back.to_json(), o.to_json());
    EXPECT_DOUBLE_EQ(back.kurtosis_min, 5.0);
    o.band_high_hz = 300.0;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(500.0, kLen); }),
              "model card: quality: expected band high below Nyquist (250 Hz), found 300");
    o = {};
    o.beat_match_min = 2.0;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(500.0, kLen); }),
              "model card: quality: expected -1 <= beat_match_min <= 1, found 2");
    // The high-pass needs a cutoff above 0 Hz (butter2 refused it later, in
    // every window, without naming the card).
    o = {};
    o.band_low_hz = 0.0;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(500.0, kLen); }),
              "model card: quality: expected 0 < band low < band high (band_hz: the high-pass "
              "and low-pass cutoffs), found 0");
    // Edges that leave no room for min_beats beats (4.9 s of a 9.6-s crop
    // passed, then every window came out "flat").
    o = {};
    o.edge_s = 4.9;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(500.0, kLen); }),
              "model card: quality: expected the crop less both edges (4800 - 2 x 2450 samples "
              "at 500 Hz) to hold at least 551 samples (min_beats 3 beat windows of 0.6 s, "
              "0.25 s apart at the closest), found -100: lower edge_s or min_beats");
    // 3 beats of 301 samples (-0.2 .. +0.4 s) 125 samples apart: 551.
    o.edge_s = 4.25; // 4800 - 4250 = 550
    EXPECT_THROW(o.validate(500.0, kLen), std::invalid_argument);
    o.edge_s = 4.249; // 4800 - 2 x 2124.5 -> 2 x 2125 (rounded): 550 again
    EXPECT_THROW(o.validate(500.0, kLen), std::invalid_argument);
    o.edge_s = 4.248; // 4800 - 2 x 2124 = 552
    EXPECT_NO_THROW(o.validate(500.0, kLen));

    // A misspelt key, a band of three values.
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [] { models::QualityOptions::from_json(R"({"kurtosis_mn": 99})"); }),
              "model card: quality: expected one of enabled, method, band_hz, edge_s, amp_min, "
              "kurtosis_min, beat_match_min, min_beats, beat_window_s, saturation_runs_max, "
              "saturation_fraction_max, in_band_min, found 'kurtosis_mn'");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [] { models::QualityOptions::from_json(R"({"band_hz": [1, 25, 999]})"); }),
              "model card: quality: expected band_hz as [low, high] (two numbers), found "
              "[1,25,999]");
    EXPECT_EQ(models::QualityOptions::from_json(R"({"band_hz": [2, 30]})").band_low_hz, 2.0);
}

TEST(Quality, WhatIsAssessedAndWhatIsRefused)
{
    // Plateaus outside the crop (the first 100 samples) are not the model's
    // business: before, they counted as clipping.
    auto x = synthetic_ecg();
    for (int64_t t = 0; t < 60; ++t)
        x[t] = 1.6f;
    for (int64_t t = 70; t < 90; ++t)
        x[t] = -0.6f;
    const auto q = assess(x);
    EXPECT_EQ(q.saturation_runs, 0) << q.describe({});
    EXPECT_FALSE(q.poor()) << q.describe({});
    // The same plateaus inside the crop are.
    for (int64_t t : { 2000, 3000, 4000 })
        for (int64_t k = 0; k < 30; ++k)
            x[t + k] = 1.6f;
    EXPECT_TRUE(assess(x).reasons & models::kSaturation);
    // A non-finite sample is refused, not read as a missing beat.
    auto bad = synthetic_ecg();
    bad[2500] = NAN;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { assess(bad); }),
              "lead_quality: expected finite samples, found nan at sample 2500 (windows with "
              "NaN/Inf are non_finite, not assessed)");
    const auto ecg = synthetic_ecg();
    EXPECT_EQ(message_of<std::invalid_argument>([&] {
                  models::lead_quality(ecg.data(), kN, 1, kFs, 300, kN, {});
              }),
              "lead_quality: expected a crop inside the window of 5000 samples, found [300, "
              "5300)");
    // One beat and min_beats 1: nothing to match it with, no "inconsistent"
    // (a wide one, 40 ms: the lobes the high-pass puts beside a narrow pulse
    // are peaks of |z| of their own).
    models::QualityOptions one;
    one.min_beats = 1;
    auto single = std::vector<float>(kN, 0.0f);
    const auto noise = eval::SplitMix64(3).normal(kN);
    for (int64_t t = 0; t < kN; ++t)
        single[t] = static_cast<float>(0.01 * noise[t] +
                                       1.2 * std::exp(-0.5 * std::pow((t / kFs - 5.0) / 0.04, 2)));
    const auto s1 = models::lead_quality(single.data(), kN, 1, kFs, kBegin, kLen, one);
    EXPECT_EQ(s1.beats, 1) << s1.describe(one);
    EXPECT_FALSE(s1.reasons & models::kInconsistentBeats) << s1.describe(one);
}

TEST(Quality, FlutterAndPausesAreFlaggedNotScored)
{
    // The documented limit of the gate (models/sqi.h): ventricular flutter,
    // a 5 Hz quasi-sinusoid of 1 mV, has kurtosis about 1.5-2 and comes out
    // poor_quality; a monitor must route such windows to a technical alarm.
    std::vector<float> vfl(kN);
    const auto g = eval::SplitMix64(5).normal(kN);
    for (int64_t t = 0; t < kN; ++t)
        vfl[t] = static_cast<float>(std::sin(2 * M_PI * 5.0 * t / kFs) + 0.02 * g[t]);
    const auto q = assess(vfl);
    EXPECT_TRUE(q.reasons & models::kLowKurtosis) << q.describe({});
    EXPECT_LT(q.kurtosis, 2.5);
}

TEST(Quality, TheArtefactGeneratorIsTheDocumentedOne)
{
    // splitmix64 check values (seed 1) and Box-Muller normals.
    eval::SplitMix64 r(1);
    EXPECT_NEAR(r.uniform(), 0.56656158, 1e-8);
    EXPECT_NEAR(r.uniform(), 0.74578176, 1e-8);
    EXPECT_NEAR(r.uniform(), 0.97100275, 1e-8);
    const auto g = eval::SplitMix64(1).normal(3);
    EXPECT_NEAR(g[0], -0.03426732, 1e-7);
    EXPECT_NEAR(g[1], -1.29260853, 1e-7);
    EXPECT_NEAR(g[2], -2.50006749, 1e-7);
    const auto em = eval::electrode_motion(4400, 3600, 360.0);
    double m = 0, v = 0;
    for (double x : em)
        m += x / em.size();
    for (double x : em)
        v += (x - m) * (x - m) / em.size();
    EXPECT_NEAR(m, 0.0, 1e-9);
    EXPECT_NEAR(v, 1.0, 1e-9);
}

TEST(Quality, FlagRatesOnRealEcgAndArtefacts)
{
    const auto dir = data::default_data_dir();
    if (!std::filesystem::exists(dir + "/mitdb_compiled10s/X_mV.npy") ||
        !std::filesystem::exists(dir + "/wfdb_sample/100.hea"))
        GTEST_SKIP() << "shared data not found under " << dir
                     << " (set TFMED_DATA_DIR); the gate's real-data rates are not checked";
    const auto r = eval::evaluate_quality(dir);
    ASSERT_EQ(r.categories.size(), 21u);
    for (const auto& c : r.categories) {
        SCOPED_TRACE(c.name);
        if (c.role == "negative") {
            EXPECT_LE(c.rate(), 0.02); // real normal ECG passes
        } else if (c.role == "artefact") {
            EXPECT_GE(c.rate(), 0.95); // every artefact kind is flagged
        } else if (c.role == "abnormal") {
            EXPECT_LE(c.rate(), 0.10); // arrhythmias go on to the model
        }
    }
    EXPECT_EQ(r.categories[0].windows, 80);
    EXPECT_EQ(r.categories[1].windows, 180);
    EXPECT_EQ(r.categories[2].windows, 180);
}
