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
/*! `tfmed eval quality`: flag rates of the signal-quality gate on real ECG and
 *  generated artefacts; thresholds from `model`'s card, or the defaults. */
int eval_quality(const std::string& data_dir, const std::string& model, const std::string& json);
int bench_tsrnet(const TsrnetBenchArgs& a);
int model_info(const std::string& path, const std::string& history_plot = "");
/*! `tfmed doctor`: verify a model file (checksums, card ranges, card vs
 *  weights, finite weights, threshold, a forward pass) and print what a block
 *  or command would refuse. Exit status 1 when anything would be refused. */
int model_doctor(const std::string& path);
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
