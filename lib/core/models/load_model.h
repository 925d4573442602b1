/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading a model file into its card and network (internal): one place for
 * the checks every model kind's loader makes.
 */
#ifndef INCLUDED_TFMED_LIB_MODELS_LOAD_MODEL_H
#define INCLUDED_TFMED_LIB_MODELS_LOAD_MODEL_H

#include <tfmed/models/model_file.h>
#include <tfmed/models/weights.h>

#include <torch/types.h>

#include <stdexcept>
#include <string>

namespace tfmed {
namespace models {

/*!
 * \brief Read `path` as a `kind` model: the card's common fields, the card
 * (Card::from_json), a `weights` section that fits Net(card.arch); the net
 * on `device` in eval mode. Every error is a std::runtime_error naming the file.
 */
template <typename Card, typename Net>
void load_model(const std::string& path, const char* kind, const torch::Device& device,
                Card& card, Net& net)
{
    const auto parts = read_model_file(path, true);
    try {
        check_card(path, card_head(parts.card_json), { kind });
        card = Card::from_json(parts.card_json);
    } catch (const std::invalid_argument& e) {
        const std::string m = e.what();
        throw std::runtime_error(m.rfind(path, 0) == 0 ? m : path + ": " + m);
    }
    if (!parts.has("weights"))
        throw std::runtime_error(path + ": expected a weights section, found none");
    net = Net(card.arch);
    try {
        load_weights_bytes(*net, parts.section("weights"), torch::kCPU,
                           path + ": the weights section");
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(e.what());
    }
    net->to(device);
    net->eval();
}

} // namespace models
} // namespace tfmed

#endif
