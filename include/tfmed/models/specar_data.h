/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_SPECAR_DATA_H
#define INCLUDED_TFMED_MODELS_SPECAR_DATA_H

#include <tfmed/models/specar.h>

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief SpecAR-Net's four tasks on their benchmarks, in one place: the
 * splits as windows, a batch of them, the training loss and the evaluation
 * pass. The trainer, `tfmed eval specar` and `tfmed bench specar` all use
 * these, so a protocol changes in one place.
 */

namespace tfmed {
namespace models {

/*! \brief One split as windows. */
struct SpecarWindows {
    std::string task;           //!< SpecarOptions::task
    // Series tasks (anomaly detection, forecasting, imputation):
    torch::Tensor series;       //!< (T, N) standardised
    torch::Tensor marks;        //!< (T, 4) time features, or undefined
    std::vector<int64_t> starts; //!< first row of each window
    int64_t seq_len = 0, pred_len = 0;
    // Classification:
    torch::Tensor x, mask, y;   //!< (n, L, N), (n, L) 1 = data, (n) class

    int64_t size() const;
    /*! Keep at most `n` windows, evenly spread over the split (0 = all). */
    void thin(int64_t n);
};

/*! \brief A batch: the network's inputs and the truth. */
struct SpecarBatch {
    torch::Tensor x;      //!< (B, seq_len, N)
    torch::Tensor mark;   //!< (B, seq_len, 4) or undefined
    torch::Tensor mask;   //!< classification: padding (B, L); imputation: observed (B, L, N)
    torch::Tensor target; //!< AD/imputation: x; forecast: (B, pred_len, N); classification: (B)
};

/*!
 * \brief Windows `idx` on `device`. Imputation hides each point with
 * probability `mask_rate` (i.i.d., TSLib's `rand <= rate`) and zeroes the
 * hidden inputs. `mask_block` 0 (training): one draw for the whole batch from
 * `seed`. `mask_block` B > 0 (evaluation): every window keeps its own mask
 * whatever the batch: windows are dealt into blocks of B by index, block j
 * drawn at once from seed + j, so the hidden points depend on (rate, seed,
 * B) and the window, not on how a pass batches them.
 */
SpecarBatch specar_batch(const SpecarWindows& w, const std::vector<int64_t>& idx,
                         const torch::Device& device, double mask_rate = 0.0,
                         uint64_t seed = 0, int64_t mask_block = 0);

/*! The evaluation's mask block: 32 windows (the hidden points of every
 *  `tfmed eval specar` figure, whatever its `--batch`). */
constexpr int64_t kSpecarMaskBlock = 32;

/*!
 * \brief The reference's training loss: AD = MSE of the reconstruction;
 * classification = cross-entropy; forecasting = MSE + top_weight * TOP loss
 * of the prediction part; imputation = MSE on the hidden points +
 * top_weight * TOP loss of the input part.
 */
torch::Tensor specar_loss(SpecarNet& net, const SpecarBatch& b, double top_weight);

/*! \brief What an evaluation pass gathers. */
struct SpecarTally {
    double sum_sq = 0.0, sum_abs = 0.0; //!< forecast: all horizon points; imputation: hidden points; AD: all
    int64_t count = 0;
    std::vector<float> energy;          //!< AD: per point of each window, in window order
    std::vector<int64_t> predicted, truth; //!< classification
    double mse() const { return count ? sum_sq / static_cast<double>(count) : 0.0; }
    double mae() const { return count ? sum_abs / static_cast<double>(count) : 0.0; }
};

/*!
 * \brief Run the network over every window (no gradients, eval mode is the
 * caller's), `batch` at a time. Imputation hides the points of
 * specar_batch()'s evaluation masks (blocks of `mask_block` windows from
 * seed + block), so a pass is repeatable and independent of `batch`.
 * \param stop when set (polled before each batch), the pass ends early and
 *        the tally holds the batches before it (a cancelled training's
 *        validation or calibration)
 */
SpecarTally specar_pass(SpecarNet& net, const SpecarWindows& w, int64_t batch,
                        const torch::Device& device, double mask_rate = 0.0,
                        uint64_t seed = 2021, int64_t mask_block = kSpecarMaskBlock,
                        const std::atomic<bool>* stop = nullptr);

/*! \brief Row indices [begin, end - span] at `stride`: windows of `span` rows. */
std::vector<int64_t> window_starts(int64_t begin, int64_t end, int64_t span, int64_t stride);

/*! \brief A benchmark prepared for a task and protocol. */
struct SpecarData {
    SpecarWindows train, val, test;
    SpecarWindows calibration;              //!< AD: all train rows in non-overlapping windows
    std::vector<std::string> channel_names, class_names;
    std::vector<double> mean, std;          //!< the train standardisation
    double sample_rate = 1.0;
    int64_t seq_len = 0;                    //!< classification: from the data
    std::string json;                       //!< the card's data record
    std::string description;                //!< one line for the log
    std::string validation;                 //!< where the validation windows come from
};

/*!
 * \brief Load `data` ("msl", "JapaneseVowels", "BasicMotions", "ETTh1",
 * "ETTh2") for `arch.task` under `protocol` ("clean" or "reference", see
 * SpecarTrainConfig).
 * \throws std::invalid_argument when the data does not serve the task
 */
SpecarData specar_data(const std::string& dir, const std::string& data,
                       const SpecarOptions& arch, const std::string& protocol,
                       const std::string& uea_norm, int64_t train_stride,
                       int64_t eval_stride = 0);

} // namespace models
} // namespace tfmed

#endif
