/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_TSRNET_CMD_H
#define INCLUDED_TFMED_APPS_TSRNET_CMD_H

#include <tfmed/eval/tsrnet_eval.h>
#include <tfmed/train/tsrnet_config.h>

#include <string>

namespace tfmed {
namespace apps {

struct TsrnetTrainArgs {
    train::TsrnetTrainConfig cfg;
    std::string json, plot;
};

struct TsrnetEvalArgs {
    eval::TsrnetEvalConfig cfg;
    std::string json, roc;
};

struct TsrnetBenchArgs {
    eval::TsrnetBenchConfig cfg;
    std::string json;
};

int train_tsrnet(const TsrnetTrainArgs& a);
int eval_tsrnet(const TsrnetEvalArgs& a);
int bench_tsrnet(const TsrnetBenchArgs& a);
int model_info(const std::string& path, const std::string& history_plot = "");
int system_info();
int model_export(const std::string& model, const std::string& out, const std::string& section,
                 const std::string& json);
int model_import(const std::string& kind, const std::string& card_from, const std::string& pt,
                 const std::string& out);
int data_rpeaks(const std::string& path, const std::string& channel, double window_s,
                double tolerance_s, const std::string& json);

} // namespace apps
} // namespace tfmed

#endif
