/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_SPECAR_CMD_H
#define INCLUDED_TFMED_APPS_SPECAR_CMD_H

#include <tfmed/eval/specar_bench.h>
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

struct SpecarBenchArgs {
    std::string preset = "msl";
    eval::SpecarBenchConfig cfg;
    std::string twin;                      //!< bench_specar_twin.py ("" = search)
    std::string python = "/usr/bin/python3";
    bool no_twin = false;
    std::string json;
};

int train_specar(const SpecarTrainArgs& a);
int bench_specar(const SpecarBenchArgs& a);
int eval_specar(const SpecarEvalArgs& a);

} // namespace apps
} // namespace tfmed

#endif
