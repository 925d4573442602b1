/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_SPECAR_CMD_H
#define INCLUDED_TFMED_APPS_SPECAR_CMD_H

#include <tfmed/train/specar_config.h>

#include <string>

namespace tfmed {
namespace apps {

struct SpecarTrainArgs {
    train::SpecarTrainConfig cfg;
    std::string json, plot;
};

struct SpecarEvalArgs {
    std::string model, data_dir, device = "auto", json, plot;
    int threads = 0;
    int64_t batch = 32;
};

int train_specar(const SpecarTrainArgs& a);
int eval_specar(const SpecarEvalArgs& a);

} // namespace apps
} // namespace tfmed

#endif
