/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_TSRNET_PIPELINE_H
#define INCLUDED_TFMED_MODELS_TSRNET_PIPELINE_H

#include <tfmed/dsp/stft_options.h>
#include <tfmed/models/tsrnet.h>
#include <tfmed/models/tsrnet_card.h>

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <string>

/*!
 * \file
 * \brief Everything around the TSRNet network: spectrogram, masks, loss,
 * scores (MODELS.md 1.2 and 1.4-1.6), devices and model files.
 */

namespace tfmed {
namespace models {

/*! \brief Architecture options from a card. */
TsrnetOptions options_of(const TsrnetCard& card);

/*! \brief The card's STFT: scipy convention, periodic Hann, magnitude. */
dsp::StftOptions stft_of(const TsrnetCard& card);

/*! \brief Magnitude spectrograms of x (B, T, L) -> (B, F, K, L). */
torch::Tensor tsrnet_spectrogram(const torch::Tensor& x, const dsp::StftOptions& stft);

/*! \brief One mask draw: time (T) and frame (K) masks, 1 = masked. */
struct Masks {
    torch::Tensor time; //!< (T) float, 1 where samples are zeroed
    torch::Tensor spec; //!< (K) float, 1 where frames are zeroed
};

/*! \brief Training masks: time_masked distinct patches and spec_masked
 *  distinct frames, drawn with `rng` (portable: own bounded draws). */
Masks train_masks(const TsrnetMasking& m, int64_t T, int64_t K, std::mt19937_64& rng);

/*! \brief Deterministic inference masks of pass j (MODELS.md 1.4). */
Masks inference_masks(const TsrnetMasking& m, int64_t T, int64_t K, int64_t pass);

/*! \brief x (B, T, L) with the masked samples zeroed. */
torch::Tensor mask_time(const torch::Tensor& x, const torch::Tensor& time_mask);
/*! \brief spec (B, F, K, L) with the masked frames zeroed. */
torch::Tensor mask_spec(const torch::Tensor& spec, const torch::Tensor& frame_mask);

/*! \brief exp(-s) (x_hat - x)^2, shape (B, T, L). */
torch::Tensor weighted_error(const torch::Tensor& x, const torch::Tensor& x_hat,
                             const torch::Tensor& s);

/*! \brief The uncertainty-aware loss: mean(exp(-s)(x_hat-x)^2) + mean(s). */
torch::Tensor tsrnet_loss(const torch::Tensor& x, const torch::Tensor& x_hat,
                          const torch::Tensor& s);

/*! \brief TSRNet's training loss on a batch: the spectrogram of x (B, T, L)
 *  (on the model's device), the card's training masks drawn from `rng`, the
 *  masked forward pass and tsrnet_loss. The one definition the trainer, the
 *  benches and the GPU test use. */
torch::Tensor training_loss(Tsrnet& model, const TsrnetCard& card, const dsp::StftOptions& stft,
                            const torch::Tensor& x, std::mt19937_64& rng);

/*! \brief Per-window scores, each the mean over the inference passes. */
struct Scores {
    torch::Tensor plain; //!< (B) mean weighted error
    torch::Tensor peak;  //!< (B) Peak-based Error (NaN where the mask is empty)
};

/*!
 * \brief Windows per forward pass when scoring on the CPU: the widest
 * activation of one forward (every pass) kept near 64 MiB, so that larger
 * batches do not run slower per window than small ones (1 window of the
 * paper-size network x 3 passes already needs 22 MB there).
 */
int64_t score_chunk(const TsrnetCard& card);

/*!
 * \brief Score prepared windows: all passes of up to score_chunk() windows
 * in one batch (pass-major), in eval and inference mode; on the CPU larger
 * batches run as consecutive chunks.
 * \param x (B, T, L) prepared crops, on the model's device
 * \param peak_mask (B, T), 1 inside peak windows
 */
Scores score_windows(Tsrnet& model, const TsrnetCard& card, const torch::Tensor& x,
                     const torch::Tensor& peak_mask);

/*!
 * \brief "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
 * \throws std::invalid_argument for anything else, or CUDA without a GPU
 */
torch::Device parse_device(const std::string& name);

/*! \brief A model file's card, model (on `device`) and optimiser bytes. */
struct LoadedTsrnet {
    TsrnetCard card;
    Tsrnet model{ nullptr };
    std::string optimizer_state;
};

/*! \brief Load a model file or checkpoint. \throws std::runtime_error */
LoadedTsrnet load_tsrnet(const std::string& path, const torch::Device& device);

/*! \brief Save atomically; the card's parameter count is filled in. */
void save_tsrnet(const std::string& path, TsrnetCard card, Tsrnet& model,
                 const std::string& optimizer_state = {});

/*! \brief A tensor's values as doubles, in order (scores for metrics). */
std::vector<double> to_doubles(const torch::Tensor& t);

/*! \brief Raw windows prepared for the network (prepare_window on each). */
struct PreparedBatch {
    torch::Tensor x;                 //!< (N, T, L); zeros where a window has no signal
    torch::Tensor peak_mask;         //!< (N, T)
    std::vector<WindowStatus> status;
    std::vector<std::string> detail; //!< why a window was flagged
    std::vector<std::string> reason; //!< the same without figures (PreparedWindow::reason)
    std::vector<int64_t> rpeaks;     //!< R peaks found per window
};

/*! \brief Prepare raw windows (N, leads, window), on the CPU. */
PreparedBatch prepare_batch(const torch::Tensor& windows, const TsrnetPrep& prep);

/*!
 * \brief Score prepared windows, `batch` at a time on `device`, only those
 * with a signal (has_signal). NaN marks what cannot be scored: both scores of a
 * window with NaN/Inf or a flat lead, the Peak-based Error of a window without
 * R peaks. Returns CPU tensors (N).
 * \param stop when set (polled before each batch), scoring ends early and the
 *        windows not reached stay NaN (a cancelled training's validation or
 *        calibration)
 */
Scores score_prepared(Tsrnet& model, const TsrnetCard& card, const PreparedBatch& b,
                      const torch::Device& device, int64_t batch,
                      const std::atomic<bool>* stop = nullptr);

} // namespace models
} // namespace tfmed

#endif
