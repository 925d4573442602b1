/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_SPECAR_CMD_H
#define INCLUDED_TFMED_APPS_SPECAR_CMD_H

#include <tfmed/eval/specar_eval.h>
#include <tfmed/train/specar_config.h>

#include <string>

namespace tfmed {
namespace apps {

struct SpecarTrainArgs {
    train::SpecarTrainConfig cfg;
    std::string json, plot;
};

struct SpecarEvalArgs {
    eval::SpecarEvalConfig cfg;
    std::string json;
};

int train_specar(const SpecarTrainArgs& a);
int eval_specar(const SpecarEvalArgs& a);

} // namespace apps
} // namespace tfmed

#endif
