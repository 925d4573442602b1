/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_SPECAR_TRAINER_H
#define INCLUDED_TFMED_TRAIN_SPECAR_TRAINER_H

#include <tfmed/train/events.h>
#include <tfmed/train/specar_config.h>

#include <atomic>

/*!
 * \file
 * \brief SpecAR-Net training through the one loop (train::run): anomaly
 * detection as the reference (reconstruction of the unmasked window, MSE;
 * the threshold calibrated afterwards on training energies).
 */

namespace tfmed {
namespace train {

/*!
 * \brief Train, calibrate and write the model file (only when the run completes).
 * \throws std::invalid_argument / std::runtime_error naming what is wrong
 */
SpecarTrainResult train_specar(const SpecarTrainConfig& cfg,
                               const EventSink& events = {},
                               const std::atomic<bool>* cancel = nullptr);

/*!
 * \brief Anomaly detection from `n` windows gathered by a flowgraph
 * (trainer_sink): seq_len x enc_in samples each, time-major, in stream order.
 * The last `val_fraction` of them validate; the standardisation and the
 * threshold come from the others.
 */
SpecarTrainResult train_specar_windows(const SpecarTrainConfig& cfg, const float* windows,
                                       int64_t n, double sample_rate, double val_fraction,
                                       const EventSink& events = {},
                                       const std::atomic<bool>* cancel = nullptr);

} // namespace train
} // namespace tfmed

#endif
