/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_SPECAR_CARD_H
#define INCLUDED_TFMED_MODELS_SPECAR_CARD_H

#include <tfmed/models/model_file.h>
#include <tfmed/models/specar_options.h>

#include <limits>
#include <string>
#include <vector>

/*!
 * \file
 * \brief The model card of a SpecAR-Net model file (torch-free): the
 * architecture and task, the stream it takes (channels, rate, window), the
 * standardisation fitted on the training data, the anomaly threshold or the
 * class names, and provenance.
 */

namespace tfmed {
namespace models {

struct SpecarCard {
    SpecarOptions arch;
    double sample_rate = 1.0;               //!< Hz of one step (telemetry: 1)
    std::vector<std::string> channel_names; //!< enc_in names
    std::vector<double> mean, std;          //!< train standardisation per channel (empty: none)
    // Anomaly detection: per-point energy = mean over channels of (x - x^)^2.
    double threshold = std::numeric_limits<double>::quiet_NaN();
    double anomaly_ratio = 1.0;             //!< percent of training energies above the threshold
    std::string threshold_from = "train";   //!< "train" energies (clean), or "train+test" (reference)
    std::vector<std::string> class_names;   //!< classification
    std::string data_json = "{}", metrics_json = "{}", training_json = "{}";
    std::string version;
    int64_t parameters = 0;

    std::string to_json() const;
    /*! \throws std::invalid_argument naming a missing, malformed or out-of-range field */
    static SpecarCard from_json(const std::string& json);
    void validate() const;
};

/*! \brief Just the card of a SpecAR-Net model file. */
SpecarCard read_specar_card(const std::string& path);

} // namespace models
} // namespace tfmed

#endif
