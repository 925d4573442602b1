/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_TSRNET_CARD_H
#define INCLUDED_TFMED_MODELS_TSRNET_CARD_H

#include <tfmed/models/model_file.h>
#include <tfmed/models/sqi.h>
#include <tfmed/models/tsrnet_prep.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

/*!
 * \file
 * \brief The model card of a TSRNet model file (torch-free: the card can be
 * read without LibTorch). The file format is model_file.h's.
 *
 * \details The card says everything a user of the weights needs:
 * architecture, sample rate, leads, window, STFT, preprocessing, masking,
 * score and its alarm threshold, training data and metrics.
 */

namespace tfmed {
namespace models {

/*! \brief Masking (MODELS.md 1.4). */
struct TsrnetMasking {
    int64_t time_patches = 100; //!< patches the crop is cut into
    int64_t time_masked = 30;   //!< patches masked per draw / per pass
    int64_t spec_masked = 20;   //!< spectrogram frames masked
    /*! Frames that may be masked: 0 = all (default); the reference draws
     *  from range(0, 66) of 78 frames (`spec_range = 66`). */
    int64_t spec_range = 0;
    /*! Deterministic inference passes (time_patches / time_masked). */
    int64_t passes() const { return time_masked > 0 ? time_patches / time_masked : 1; }
};

/*! \brief Limits on TSRNet's sizes, each far beyond the paper's (width 32,
 *  d_model 50, 4.4 M parameters) and together below what a machine holds
 *  (a card is refused before anything is built from it). */
constexpr int64_t kMaxTsrnetWidth = 128;
constexpr int64_t kMaxTsrnetDModel = 1024;

/*! \brief Everything known about a trained TSRNet. */
struct TsrnetCard {
    // Architecture (TsrnetOptions)
    int64_t leads = 12;
    int64_t spec_bins = 63, spec_frames = 78;
    int64_t d_model = 50, heads = 2, width = 32;
    double dropout = 0.1;
    // Signal
    std::vector<std::string> lead_names;
    TsrnetPrep prep;
    int64_t n_fft = 125, hop = 63; //!< scipy-convention Hann magnitude STFT
    TsrnetMasking masking;
    // Signal-quality gate before scoring (models/sqi.h); cards without a
    // `quality` section get the defaults.
    QualityOptions quality;
    // Scoring
    std::string score = "peak"; //!< "peak" (Peak-based Error) or "plain"
    double threshold = std::numeric_limits<double>::quiet_NaN(); //!< alarm level
    double threshold_quantile = 0.99; //!< of normal training-window scores
    int64_t calibration_windows = 0;
    // Provenance (JSON objects, free-form)
    std::string data_json = "{}";
    std::string metrics_json = "{}";
    std::string training_json = "{}";
    std::string version;
    int64_t parameters = 0;

    /*! Samples per window at `prep.sample_rate`. */
    int64_t window() const { return prep.window; }

    std::string to_json() const;
    /*! \throws std::invalid_argument naming a missing or malformed field */
    static TsrnetCard from_json(const std::string& json);
    /*! \throws std::invalid_argument naming the inconsistency */
    void validate() const;
};

/*! \brief Just the card. */
TsrnetCard read_card(const std::string& path);

} // namespace models
} // namespace tfmed

#endif
