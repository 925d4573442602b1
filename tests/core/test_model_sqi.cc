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
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(500.0); }),
              "model card: quality: expected band high below Nyquist (250 Hz), found 300");
    o = {};
    o.beat_match_min = 2.0;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(500.0); }),
              "model card: quality: expected -1 <= beat_match_min <= 1, found 2");
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
