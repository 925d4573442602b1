/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_SPECAR_H
#define INCLUDED_TFMED_MODELS_SPECAR_H

#include <tfmed/models/specar_card.h>
#include <tfmed/models/specar_options.h>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

/*!
 * \file
 * \brief SpecAR-Net (Dong et al., IJCAI-24), exactly as the reference code
 * (MODELS.md 2.1): token embedding, SpecAR blocks (STFT of every embedded
 * feature, frequency attention, multi-scale dilated complex convolutions),
 * one shared LayerNorm between blocks, and the four task heads, plus the
 * temporal-order-preserving (TOP) head and loss (MODELS.md 2.2).
 *
 * \details Submodule and parameter names are the reference's, so its
 * state dicts import (models/interchange.h): `enc_embedding.value_embedding.
 * tokenConv.weight`, `model.<i>.cnn.<k>[.<j>].conv_r/conv_i`, `model.<i>.l0`,
 * `model.<i>.l2`, `layer_norm`, `projection`, `predict_linear`, `conv1d`,
 * `l1`. Two of the reference's state-dict entries are not parameters here:
 * the positional table `enc_embedding.position_embedding.pe` (1 x 100000 x
 * d_model, a fixed function, computed for the lengths used) and
 * `model.<i>.single_ComplexConv_dila0` (the same module as `cnn.0`,
 * registered twice in the reference); export writes and import checks both.
 *
 * The STFT is the core one (dsp::stft_torch, the torch convention: centred,
 * reflect padding, normalised, two-sided), differentiable. Complex values
 * are carried as real (Re, Im) pairs, so every kernel is a real one.
 */

namespace tfmed {
namespace models {

/*! \brief Two real Conv2d on (Re, Im): the reference's ComplexConv2d. */
class ComplexConv2dImpl : public torch::nn::Module
{
public:
    ComplexConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t dilation,
                      int64_t padding, bool dual);
    /*! [Re; Im] stacked on channels (B, 2 in, H, W) -> [Re; Im] (B, 2 out, H', W') */
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Conv2d conv_r{ nullptr }, conv_i{ nullptr };

private:
    /*! The stacked weight and bias from conv_r and conv_i. */
    std::pair<torch::Tensor, torch::Tensor> stacked() const;

    bool dual_;
    // Without grad (inference) the stacked weight is kept until a parameter
    // changes (version counter, storage or device), so a window does not
    // rebuild (and oneDNN re-pack) the weights of every conv.
    std::mutex cache_mutex_;
    torch::Tensor cached_w_, cached_b_;
    std::array<int64_t, 4> cached_version_{};
    std::array<const void*, 4> cached_ptr_{};
    // The storages the cache was built from, held so that their addresses
    // cannot be reused by a replacement (set_data, to()) before we compare.
    std::array<c10::Storage, 4> cached_storage_{};
};
TORCH_MODULE(ComplexConv2d);

/*! \brief One SpecAR block: (B, T, D) -> (B, T, D). */
class SpecarBlockImpl : public torch::nn::Module
{
public:
    explicit SpecarBlockImpl(const SpecarOptions& o);
    torch::Tensor forward(const torch::Tensor& h);
    /*! The block's STFT of h (B, T, D): (re, im), each (B, D, F, frames). */
    std::pair<torch::Tensor, torch::Tensor> spectrum(const torch::Tensor& h) const;

    torch::nn::ModuleList cnn{ nullptr };
    torch::nn::Linear l0{ nullptr }, l2{ nullptr };

private:
    SpecarOptions o_;
    dsp::StftOptions stft_;
};
TORCH_MODULE(SpecarBlock);

/*! \brief What the network returns: the task's output and the TOP head's series. */
struct SpecarOutput {
    torch::Tensor out;        //!< AD/imputation (B, seq_len, c_out); forecast (B, pred_len, c_out); classification logits (B, num_class)
    torch::Tensor seq_series; //!< (B, T) for forecasting and imputation; undefined otherwise
};

class SpecarNetImpl : public torch::nn::Module
{
public:
    explicit SpecarNetImpl(const SpecarOptions& o);

    /*!
     * \param x (B, seq_len, N)
     * \param x_mark (B, seq_len, time_features) or undefined (AD, classification)
     * \param mask imputation: (B, seq_len, N), 1 = observed; classification:
     *        the padding mask (B, seq_len), 1 = data; else undefined
     */
    SpecarOutput forward(const torch::Tensor& x, const torch::Tensor& x_mark = {},
                         const torch::Tensor& mask = {});

    /*! The embedding (B, L, D) of x (and x_mark when defined). */
    torch::Tensor embed(const torch::Tensor& x, const torch::Tensor& x_mark);
    /*! The sinusoidal position table (L, D) (the reference's `pe[:, :L]`). */
    torch::Tensor positions(int64_t L) const;

    const SpecarOptions& options() const { return o_; }

    torch::nn::Conv1d token_conv{ nullptr };   // enc_embedding.value_embedding.tokenConv
    torch::nn::Linear temporal{ nullptr };     // enc_embedding.temporal_embedding.embed
    torch::nn::ModuleList blocks{ nullptr };   // model
    torch::nn::LayerNorm layer_norm{ nullptr };
    torch::nn::Linear projection{ nullptr }, predict_linear{ nullptr };
    torch::nn::Conv1d conv1d{ nullptr };       // TOP head
    torch::nn::Linear l1{ nullptr };
    torch::nn::Dropout dropout{ nullptr };

private:
    torch::Tensor encode(torch::Tensor h);
    torch::Tensor top_series(const torch::Tensor& h);
    SpecarOptions o_;
    torch::Tensor pe_; // the position table of the network's own T steps (read-only)
};
TORCH_MODULE(SpecarNet);

/*!
 * \brief The temporal-order-preserving loss of MODELS.md 2.2 on a series q
 * (B, L): sum over b, t of (q / max_t q - t / (L - 1))^2, the max detached.
 * \param part "whole", "input" (first seq_len steps) or "prediction" (last
 *        pred_len steps)
 */
torch::Tensor top_loss(const torch::Tensor& seq_series, const std::string& part,
                       int64_t seq_len, int64_t pred_len);

/*! \brief A SpecAR-Net model file, loaded: the card and the network (eval mode). */
struct LoadedSpecar {
    SpecarCard card;
    SpecarNet net{ nullptr };
};

/*!
 * \brief Read a SpecAR-Net model file: checksums, card ranges, every weight
 * checked against the card's architecture (names, shapes).
 * \throws std::runtime_error naming the file and what does not fit
 */
LoadedSpecar load_specar(const std::string& path, const torch::Device& device);

/*! \brief Write a model file (atomically): card (with the parameter count) and weights. */
void save_specar(const std::string& path, SpecarCard card, SpecarNet& net);

/*! \brief The reference's state-dict entries that are not parameters here
 *  (`...position_embedding.pe`, `...single_ComplexConv_dila0...`), added for
 *  export so that the reference loads the dict strictly. */
void add_reference_entries(SpecarNet& net,
                           std::vector<std::pair<std::string, torch::Tensor>>& sd);

/*! \brief Check and remove those entries from a reference state dict before
 *  import. \throws std::invalid_argument when they disagree with the rest */
void remove_reference_entries(SpecarNet& net,
                              std::vector<std::pair<std::string, torch::Tensor>>& sd,
                              const std::string& what);

} // namespace models
} // namespace tfmed

#endif
