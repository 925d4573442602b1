/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_TSRNET_CMD_H
#define INCLUDED_TFMED_APPS_TSRNET_CMD_H

#include <cstdint>
#include <string>
#include <vector>

namespace tfmed {
namespace apps {

/*! Where windows come from and how they are split. */
struct EcgDataArgs {
    std::string data = "mitdb_compiled10s"; //!< named set, WFDB record (.hea) or .npy
    std::string data_dir;                   //!< for named sets; default $TFMED_DATA_DIR or ../shared/data
    double rate = 0.0;                      //!< .npy: sample rate of the rows
    std::string labels;                     //!< .npy: labels .npy (0 normal)
    std::vector<std::string> channels;      //!< WFDB: channel names (default: first)
    uint64_t seed = 668;
    double val_fraction = 0.2, test_fraction = 0.2; //!< of the normal windows
    int64_t max_windows = 0; //!< > 0: keep at most this many normal training windows
};

struct TsrnetTrainArgs {
    EcgDataArgs data;
    std::string out = "tsrnet.tfm";
    int epochs = 50, batch = 32;
    double lr = 1e-4, weight_decay = 1e-5;
    int64_t width = 32, d_model = 50, heads = 2;
    std::string score = "peak";
    double quantile = 0.99;
    bool reference_quirks = false;
    std::string device = "auto";
    int threads = 0;
    bool resume = false;
    int stop_after = 0; //!< > 0: stop after this many epochs in this invocation
    std::string json, plot;
};

struct TsrnetEvalArgs {
    std::string model;
    EcgDataArgs data; //!< empty data: the card's
    bool data_given = false;
    std::string split = "test";
    bool literal_test_prep = false; //!< the reference's unnormalised test windows
    std::string device = "auto";
    int threads = 0, batch = 32;
    std::string json, roc;
};

struct TsrnetBenchArgs {
    std::string model; //!< empty: a fresh network of the sizes below
    int64_t leads = 12, width = 32, d_model = 50;
    std::string device = "auto";
    int threads = 0;
    double seconds = 3.0;
    std::string json;
};

int train_tsrnet(const TsrnetTrainArgs& a);
int eval_tsrnet(const TsrnetEvalArgs& a);
int bench_tsrnet(const TsrnetBenchArgs& a);
int model_info(const std::string& path);
int data_rpeaks(const std::string& path, const std::string& channel, double window_s,
                double tolerance_s, const std::string& json);

} // namespace apps
} // namespace tfmed

#endif
