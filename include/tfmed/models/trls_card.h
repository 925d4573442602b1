/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_TRLS_CARD_H
#define INCLUDED_TFMED_MODELS_TRLS_CARD_H

#include <tfmed/models/model_file.h>
#include <tfmed/models/trls.h>

#include <torch/types.h>

#include <string>
#include <vector>

/*!
 * \file
 * \brief The TRLS model card and model files.
 *
 * \details
 * A TRLS file holds the encoder (and, after a linear evaluation or a
 * fine-tuning, the linear head) as a TrlsClassifier in its `weights`
 * section. The card carries what a stream must match (channels, window,
 * sample rate), the front end, the input scaling the model was trained with
 * (TS-TCC's min-max per time index, `min` / `max` of `window` values each, or
 * none), the class names of the head, and the pre-training recipe.
 */

namespace tfmed {
namespace models {

struct TrlsCard {
    TrlsOptions arch;
    double sample_rate = 0.0;               //!< Hz; 0 when the data set has none
    std::vector<std::string> channel_names; //!< arch.channels names
    std::string scaling = "none";           //!< "none" or "minmax" (per time index)
    std::vector<double> scale_min, scale_max; //!< minmax: arch.length values each
    std::vector<std::string> class_names;   //!< arch.num_class names (head only)
    std::string pretraining_json = "{}";    //!< views, tau, negatives, epochs
    std::string data_json = "{}", metrics_json = "{}", training_json = "{}";
    std::string version;
    int64_t parameters = 0;

    std::string to_json() const;
    /*! \throws std::invalid_argument naming a missing, malformed or out-of-range field */
    static TrlsCard from_json(const std::string& json);
    void validate() const;
    /*! Apply the card's scaling to raw windows (N, C, L) (a copy). */
    torch::Tensor scale(const torch::Tensor& x) const;
};

struct LoadedTrls {
    TrlsCard card;
    TrlsClassifier net{ nullptr };
};

/*! \throws std::runtime_error naming the file and what is wrong */
LoadedTrls load_trls(const std::string& path, const torch::Device& device);
/*! Write `net` with `card` (parameters counted here), atomically. */
void save_trls(const std::string& path, TrlsCard card, TrlsClassifier& net);
TrlsCard read_trls_card(const std::string& path);

} // namespace models
} // namespace tfmed

#endif
