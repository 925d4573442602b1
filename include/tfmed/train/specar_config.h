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
#include <vector>

/*!
 * \file
 * \brief What `tfmed train specar` takes (torch-free): the task, the data and
 * its protocol, the architecture (named presets of the reference scripts,
 * every knob overridable) and the loop options.
 */

namespace tfmed {
namespace train {

struct SpecarTrainConfig {
    /*! The data set: "msl" (anomaly detection), "JapaneseVowels" or
     *  "BasicMotions" (classification, UEA), "ETTh1" or "ETTh2" (forecasting
     *  and imputation). */
    std::string data = "msl";
    std::string data_dir;             //!< "" = $TFMED_DATA_DIR or ../shared/data
    /*! "clean": validation carved from the training split (the last 20 % of
     *  MSL's rows; a stratified 20 % of a UEA train file); the threshold from
     *  train energies. "reference": validation = the test split (the
     *  published scripts for MSL and UEA). ETT has its own validation months
     *  in both. */
    std::string protocol = "clean";
    /*! UEA standardisation: "file" (each file by its own statistics, as the
     *  reference) or "train" (the train file's statistics for both). */
    std::string uea_norm = "file";
    int64_t train_stride = 1;         //!< rows between training windows (1 = reference)
    int64_t max_train_windows = 0;    //!< > 0: at most this many (smoke runs): series tasks the first ones, classification spread evenly
    int64_t max_val_windows = 0;      //!< > 0: at most this many validation windows, spread evenly
    double anomaly_ratio = 1.0;       //!< percent of train energies above the threshold
    double mask_rate = 0.125;         //!< imputation: fraction of points hidden
    /*! Weight of the temporal-order-preserving loss (forecasting: prediction
     *  part; imputation: input part); 0 trains without it. */
    double top_weight = 0.001;
    models::SpecarOptions arch;
    std::string out = "specar.tfm";
    LoopOptions loop;
    std::string device = "auto";
    int threads = 0;
    bool resume = false;

    /*! A reference configuration by name: architecture, data and loop as the
     *  published scripts. \throws std::invalid_argument listing the names */
    void apply_preset(const std::string& name);
    /*! The preset names, in help order. */
    static std::vector<std::string> presets();
    /*! Ranges of the run's own settings (anomaly ratio, mask rate, TOP
     *  weight, window caps). \throws std::invalid_argument naming the first */
    void validate() const;
    SpecarTrainConfig(); //!< the "msl" preset
};

struct SpecarTrainResult {
    bool completed = false;
    std::string model_path, checkpoint;
    int epochs_done = 0, best_epoch = 0;
    double best_val_loss = 0.0, threshold = 0.0;
    std::string metric_name;          //!< "val_loss", "val_mse" or "val_accuracy"
    int64_t train_windows = 0, val_windows = 0, parameters = 0;
    std::string history_json, training_json;
    std::string summary;
};

} // namespace train
} // namespace tfmed

#endif
