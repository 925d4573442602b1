/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal: a TrainerConfig's options (JSON) as each model's training
 * settings (trainer_options.cc), for the trainer engine.
 */
#ifndef INCLUDED_TFMED_ENGINE_TRAINER_OPTIONS_H
#define INCLUDED_TFMED_ENGINE_TRAINER_OPTIONS_H

#include <tfmed/engine/trainer_engine.h>
#include <tfmed/train/specar_trainer.h>
#include <tfmed/train/trls_trainer.h>

#include <nlohmann/json.hpp>

namespace tfmed {
namespace engine {

/*! The options object of a config ("" = {}); \throws std::invalid_argument
 *  when it is not a JSON object. */
nlohmann::json options_object(const TrainerConfig& c);

/*! SpecAR-Net's run settings; *val_fraction: the share of windows kept for
 *  validation. \throws std::invalid_argument naming a bad or unknown key */
train::SpecarTrainConfig specar_config(const TrainerConfig& c, double* val_fraction);

/*! TRLS's run settings. \throws std::invalid_argument naming a bad or
 *  unknown key */
train::TrlsTrainConfig trls_config(const TrainerConfig& c);

} // namespace engine
} // namespace tfmed

#endif /* INCLUDED_TFMED_ENGINE_TRAINER_OPTIONS_H */
