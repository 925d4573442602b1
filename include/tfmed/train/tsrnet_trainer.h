/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_TSRNET_TRAINER_H
#define INCLUDED_TFMED_TRAIN_TSRNET_TRAINER_H

#include <tfmed/data/window_set.h>
#include <tfmed/train/trainer.h>
#include <tfmed/train/tsrnet_config.h>

#include <atomic>
#include <cstdint>
#include <string>

/*!
 * \file
 * \brief TSRNet training: the anomaly protocol (normal windows only, seeded
 * split, selection on the validation score, alarm threshold calibrated on the
 * normal training windows) over the one training loop. `tfmed train tsrnet`
 * and the trainer_sink block both call train_tsrnet().
 */

namespace tfmed {
namespace train {

/*!
 * \brief Train TSRNet. The model file is written (atomically) only when the
 * run completes; checkpoints go to OUT.ckpt as the loop options say.
 * \param windows windows already at 500 Hz / the card's window (the
 *        trainer_sink's); nullptr: load `cfg.data`
 * \throws std::invalid_argument / std::runtime_error naming the problem
 */
TsrnetTrainResult train_tsrnet(const TsrnetTrainConfig& cfg,
                               const EventSink& events,
                               const std::atomic<bool>* cancel = nullptr,
                               const data::WindowSet* windows = nullptr);

/*! What a run trained on, as 16 hex digits (FNV-1a over the windows' float
 *  samples and labels): the card's `data.digest`. Resuming and `eval
 *  tsrnet` on the card's data compare it with the data they read. */
std::string tsrnet_data_digest(const data::WindowSet& set);


} // namespace train
} // namespace tfmed

#endif
