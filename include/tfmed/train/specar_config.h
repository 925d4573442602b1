/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_SPECAR_CONFIG_H
#define INCLUDED_TFMED_TRAIN_SPECAR_CONFIG_H

#include <tfmed/models/specar_options.h>
#include <tfmed/train/options.h>

#include <cstdint>
#include <string>

/*!
 * \file
 * \brief What `tfmed train specar` takes (torch-free): the task, the data and
 * its protocol, the architecture (named presets of the reference scripts,
 * every knob overridable) and the loop options.
 */

namespace tfmed {
namespace train {

struct SpecarTrainConfig {
    /*! "msl" (anomaly detection, the shared MSL channels). */
    std::string data = "msl";
    std::string data_dir;             //!< "" = $TFMED_DATA_DIR or ../shared/data
    /*! "clean": validation carved from the last 20 % of train, threshold from
     *  train energies; "reference": validation = the test split (the
     *  published scripts' protocol). */
    std::string protocol = "clean";
    int64_t train_stride = 1;         //!< rows between training windows (1 = reference)
    int64_t max_train_windows = 0;    //!< > 0: the first this many (smoke runs)
    double anomaly_ratio = 1.0;       //!< percent of train energies above the threshold
    models::SpecarOptions arch;
    std::string out = "specar.tfm";
    LoopOptions loop;
    std::string device = "auto";
    int threads = 0;
    bool resume = false;

    /*! A reference configuration by name ("msl", "smd", "smap", "swat", "psm"):
     *  architecture and loop as the published scripts. \throws std::invalid_argument */
    void apply_preset(const std::string& name);
    SpecarTrainConfig(); //!< the "msl" preset
};

struct SpecarTrainResult {
    bool completed = false;
    std::string model_path, checkpoint;
    int epochs_done = 0, best_epoch = 0;
    double best_val_loss = 0.0, threshold = 0.0;
    int64_t train_windows = 0, val_windows = 0, parameters = 0;
    std::string history_json, training_json;
    std::string summary;
};

} // namespace train
} // namespace tfmed

#endif
