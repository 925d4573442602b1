/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_TSRNET_CONFIG_H
#define INCLUDED_TFMED_TRAIN_TSRNET_CONFIG_H

#include <tfmed/data/window_spec.h>
#include <tfmed/train/options.h>

#include <cstdint>
#include <string>

/*!
 * \file
 * \brief A TSRNet training run's settings and result (torch-free); the run
 * is train_tsrnet() in tsrnet_trainer.h.
 */

namespace tfmed {
namespace train {

/*! \brief Everything a TSRNet training run needs. */
struct TsrnetTrainConfig {
    data::WindowSetSpec data; //!< ignored when windows are passed in
    std::string out = "tsrnet.tfm"; //!< model file; the checkpoint is OUT.ckpt
    LoopOptions loop;         //!< seed: loop.seed (also data.seed for the split)
    // Architecture and scoring (TsrnetCard)
    int64_t width = 32, d_model = 50, heads = 2;
    std::string score = "peak";
    double quantile = 0.99;
    bool reference_quirks = false;
    std::string device = "auto";
    int threads = 0;      //!< intra-op threads; 0 = all cores
    bool resume = false;

    /*! The defaults of `tfmed train tsrnet`: AdamW (weight decay 1e-5),
     *  cosine per epoch, lr 1e-4, 50 epochs, batch 32, selection on the best
     *  validation score, a checkpoint every epoch. */
    TsrnetTrainConfig();
};

/*! \brief What a run produced. */
struct TsrnetTrainResult {
    bool completed = false;    //!< false: stopped (stop_after) or cancelled; no model file
    std::string model_path;    //!< written when completed
    std::string checkpoint;
    int epochs_done = 0, best_epoch = 0;
    double best_val_score = 0.0;
    double threshold = 0.0;
    int64_t calibration_windows = 0, train_windows = 0, val_windows = 0, test_windows = 0;
    int64_t parameters = 0;
    std::string history_json, training_json, metrics_json;
    std::string summary;       //!< one line for people
};

} // namespace train
} // namespace tfmed

#endif
