/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_EVAL_QUALITY_EVAL_H
#define INCLUDED_TFMED_EVAL_QUALITY_EVAL_H

#include <tfmed/models/sqi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Evaluation of the signal-quality gate (models/sqi.h): how often it
 * flags real ECG (it must not) and generated artefacts (it must).
 *
 * \details Real windows (10 s at 360 Hz, resampled to 500 Hz as the model
 * takes them): the 80 N segments of `mitdb_compiled10s` and every 10-s
 * window of MIT-BIH record 100, each lead (negatives); the S, V, F, Q
 * segments (abnormal rhythms: the gate must pass them on to the model).
 * Artefacts, generated with a seeded splitmix64 (seed = category base +
 * index) at 360 Hz: white noise (0.01-2 mV), band-limited noise, flat lines,
 * ECG clipped at 30-60 % of its excursion, electrode-motion-like artefact
 * (random walk, baseline steps, biphasic transients, a 1-10 Hz burst) alone
 * and added to real ECG at 0 and -6 dB SNR in the model's band, white noise
 * added at 0 and -6 dB, and 50/60 Hz mains at -20 dB. For information:
 * electrode motion at 0 / -6 dB measured over the full band (mostly below
 * 1 Hz, so the model's high-pass removes most of it) and at +6 dB in band.
 */

namespace tfmed {
namespace eval {

/*! The windows of the evaluation: TSRNet's 10 s at 500 Hz, crop 100 + 4800. */
constexpr double kQualityRate = 500.0;
constexpr int64_t kQualityWindow = 5000, kQualityCropBegin = 100, kQualityCropLength = 4800;

struct QualityCategory {
    std::string name;
    std::string role; //!< "negative" (real ECG), "abnormal" (real arrhythmia), "artefact", "info"
    int64_t windows = 0, flagged = 0;
    std::map<std::string, int64_t> reasons; //!< per reason, windows with it
    double rate() const { return windows ? double(flagged) / double(windows) : 0.0; }
};

struct QualityEvalResult {
    std::vector<QualityCategory> categories;
    models::QualityOptions options;
    std::string json() const;
};

/*!
 * \param data_dir the shared data folder (mitdb_compiled10s, wfdb_sample)
 * \throws std::runtime_error naming a missing data file
 */
QualityEvalResult evaluate_quality(const std::string& data_dir,
                                   const models::QualityOptions& options = {});

/*! \brief The generator of the artefacts: splitmix64 with Box-Muller normals. */
class SplitMix64
{
public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}
    uint64_t next();
    double uniform();                    //!< [0, 1), 53 bits
    std::vector<double> normal(int64_t n); //!< pairs (cos, sin) of Box-Muller
private:
    uint64_t state_;
};

/*! \brief Unit-variance electrode-motion-like artefact (n samples at fs). */
std::vector<double> electrode_motion(uint64_t seed, int64_t n, double fs);

} // namespace eval
} // namespace tfmed

#endif
