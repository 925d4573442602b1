/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_INTERCHANGE_H
#define INCLUDED_TFMED_MODELS_INTERCHANGE_H

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

/*!
 * \file
 * \brief Weights in and out of gr-tfmed model files as plain PyTorch state
 * dicts (`torch.load` / `torch.save` in Python), with the Python references'
 * parameter names; and the one place that builds a network from any card.
 */

namespace tfmed {
namespace models {

/*! \brief The network a card describes, untrained (dispatch on "model"). */
std::shared_ptr<torch::nn::Module> build_module(const std::string& card_json);

/*! \brief Parameters then buffers, with their dotted names (= PyTorch's
 *  `state_dict()` keys). */
std::vector<std::pair<std::string, torch::Tensor>> state_dict(torch::nn::Module& m);

/*!
 * \brief Copy a name -> tensor map into a module: every parameter and buffer
 * must be present with the same shape, and nothing else may be.
 * \throws std::invalid_argument listing the missing, unexpected and
 *         mis-shaped entries (expected vs found)
 */
void load_state_dict(torch::nn::Module& m,
                     const std::vector<std::pair<std::string, torch::Tensor>>& sd,
                     const std::string& what);

/*! \brief One entry of an export: name, shape, float64 sum of the values. */
struct StateEntry {
    std::string name;
    std::vector<int64_t> shape;
    double sum = 0.0;
};

/*!
 * \brief Write a model file's weights (`weights`, or `best_weights` of a
 * checkpoint) as a state dict that Python's `torch.load` reads
 * (torch::pickle_save of a str -> Tensor dict).
 */
std::vector<StateEntry> export_state_dict(const std::string& model_path,
                                          const std::string& out_pt,
                                          const std::string& section = "weights");

/*!
 * \brief Build a model file from a state dict (`torch.save(model.state_dict())`
 * in Python, or an export) and the card of an existing model file or a card
 * JSON file. The card's model kind must equal `kind`. The card's alarm
 * threshold stays only when the weights are card_from's own to the byte (a
 * round trip) or `keep_threshold` says it was calibrated for them; otherwise
 * it is written as null, the old value under `imported.threshold_dropped`.
 */
std::vector<StateEntry> import_state_dict(const std::string& kind,
                                          const std::string& card_from,
                                          const std::string& pt,
                                          const std::string& out,
                                          bool keep_threshold = false);

} // namespace models
} // namespace tfmed

#endif
