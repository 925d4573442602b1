/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_TRLS_H
#define INCLUDED_TFMED_MODELS_TRLS_H

#include <tfmed/dsp/stft_options.h>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/rnn.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief TRLS (Xie et al., 2024): the TFRNN encoder, the BYOL-style
 * pre-training network and the classifier built on the encoder (MODELS.md 3).
 *
 * \details
 * No reference code was published. What the paper states is kept (three TFR
 * blocks, LSTM default, dropout 0.2, Conv1d k=1 f -> f_h, a time pyramid of
 * K = 5 max-pooled scales with global average pooling, per-scale projector and
 * predictor, EMA target tau = 0.7, loss 2 - 2 cos averaged over scales and
 * symmetrised); what it leaves open follows MODELS.md 3.2, each a knob:
 *
 * - input: the spectrogram image (N, F, T) of spectrogram(): the core STFT
 *   (torch convention, Hann, centred, hop n_fft/4) magnitude, log1p, min-max
 *   per sample to [0, 1]; C channels stack their bins, F = C * (n_fft/2 + 1);
 * - TFR block: time RNN over T (input F, hidden `hidden`) -> Linear -> F,
 *   dropout, residual, LayerNorm(F); then frequency RNN over F (input T) ->
 *   Linear -> T, dropout, residual, then LayerNorm over the bins of each
 *   frame (freq_norm "bins") or, as the first version read MODELS.md 3.2,
 *   over the frames of each bin (freq_norm "time", LayerNorm(T)). The latter
 *   gives every bin of the block's output zero mean over time, so after the
 *   k=1 reduction the time average R_1 is a constant until the LayerNorm's
 *   gain departs from 1, and the bins' energies never reach the pooled
 *   representation. With multichannel
 *   "features" the frequency RNN runs over the n_fft/2 + 1 bins with the C
 *   channels' frames as its input (C * T) instead of over the stacked C * F;
 * - rnn "lstm" (default), "gru", "rnn" (tanh) or "tcn" (Conv1d k 3 dilation
 *   1, ReLU, Conv1d k 3 dilation 2, ReLU; non-causal, "same" length);
 * - projector and predictor per scale: Linear -> BatchNorm1d -> ReLU ->
 *   Linear (proj_hidden, proj_out).
 */

namespace tfmed {
namespace models {

struct TrlsOptions {
    int64_t channels = 1;         //!< input channels C
    int64_t length = 178;         //!< samples per window
    int64_t n_fft = 32;           //!< 32 short series, 128 long ones (paper)
    int64_t hop = 0;              //!< 0 = n_fft / 4
    std::string multichannel = "stack"; //!< "stack" or "features" (see file doc)
    /*! The frequency path's LayerNorm: "bins" (over the F bins of each
     *  frame) or "time" (over the T frames of each bin; model files made
     *  before this option, whose cards do not name it). See the file doc. */
    std::string freq_norm = "bins";
    std::string rnn = "lstm";     //!< lstm | gru | rnn | tcn
    int64_t hidden = 64;          //!< RNN hidden size
    int64_t blocks = 3;           //!< TFR blocks
    int64_t f_h = 64;             //!< Conv1d output features (frequency -> f_h)
    int64_t scales = 5;           //!< K, time pyramid scales
    double dropout = 0.2;
    int64_t proj_hidden = 256, proj_out = 128;
    int64_t num_class = 0;        //!< classifier head (0 = encoder only)
    /*! Image scaling after log1p: "window" (min-max per window, MODELS.md
     *  3.2) or "dataset" ((v - image_lo) / (image_hi - image_lo) clamped to
     *  [0, 1], the bounds fitted on the training images: keeps the relative
     *  amplitude of windows, which per-window scaling removes). */
    std::string image_norm = "window";
    double image_lo = 0.0, image_hi = 1.0;

    int64_t effective_hop() const { return hop > 0 ? hop : n_fft / 4; }
    int64_t bins() const { return n_fft / 2 + 1; }        //!< per channel
    int64_t features() const { return channels * bins(); } //!< F of the image
    int64_t frames() const;                                //!< T of the image
    int64_t embedding() const { return scales * f_h; }     //!< K * f_h
    /*! The STFT the front end computes (torch convention, Hann, centred,
     *  reflect, magnitude). */
    dsp::StftOptions stft() const;
    /*! \throws std::invalid_argument naming the bad field, its value and the
     *  expected range (e.g. a window too short for K scales) */
    void validate() const;
    std::string to_string() const;
};

/*!
 * \brief The TRLS front end: (N, C, L) float series -> (N, C * bins, T)
 * images in [0, 1]: log_magnitude() then normalise_image().
 * \throws std::invalid_argument when the shape is not (N, channels, length)
 */
torch::Tensor spectrogram(const torch::Tensor& x, const TrlsOptions& o);

/*! \brief log1p of the STFT magnitude, (N, C * bins, T). */
torch::Tensor log_magnitude(const torch::Tensor& x, const TrlsOptions& o);

/*! \brief log1p(magnitude) images (N, F, T) scaled to [0, 1] by
 *  `o.image_norm` (per window: zeros where max == min). */
torch::Tensor normalise_image(const torch::Tensor& log_magnitude, const TrlsOptions& o);

/*! One sequence model along an axis: (B, S, in) -> (B, S, hidden). */
class SeqNetImpl : public torch::nn::Module
{
public:
    SeqNetImpl(const std::string& kind, int64_t in, int64_t hidden);
    torch::Tensor forward(const torch::Tensor& x);

private:
    std::string kind_;
    torch::nn::LSTM lstm{ nullptr };
    torch::nn::GRU gru{ nullptr };
    torch::nn::RNN rnn{ nullptr };
    torch::nn::Conv1d tcn1{ nullptr }, tcn2{ nullptr };
};
TORCH_MODULE(SeqNet);

/*! One TFR block on (B, T, F). */
class TfrBlockImpl : public torch::nn::Module
{
public:
    explicit TfrBlockImpl(const TrlsOptions& o);
    torch::Tensor forward(const torch::Tensor& x);

    SeqNet time_rnn{ nullptr }, freq_rnn{ nullptr };
    torch::nn::Linear time_out{ nullptr }, freq_out{ nullptr };
    torch::nn::LayerNorm time_norm{ nullptr }, freq_norm{ nullptr };
    torch::nn::Dropout drop{ nullptr };

private:
    TrlsOptions o_;
    bool stack_;          //!< channels stacked on the frequency axis
    bool norm_over_time_; //!< freq_norm "time": LayerNorm over each bin's frames
};
TORCH_MODULE(TfrBlock);

/*! \brief The TFRNN encoder: image (B, F, T) -> K representations (B, f_h). */
class TfrnnImpl : public torch::nn::Module
{
public:
    explicit TfrnnImpl(const TrlsOptions& o);
    /*! R_1 .. R_K. */
    std::vector<torch::Tensor> forward(const torch::Tensor& img);
    /*! The K representations concatenated: (B, K * f_h). */
    torch::Tensor embed(const torch::Tensor& img);

    torch::nn::ModuleList blocks{ nullptr };
    torch::nn::Conv1d reduce{ nullptr }; //!< F -> f_h, kernel 1

private:
    TrlsOptions o_;
};
TORCH_MODULE(Tfrnn);

/*! Linear -> BatchNorm1d -> ReLU -> Linear. */
torch::nn::Sequential make_mlp(int64_t in, int64_t hidden, int64_t out);

/*! \brief BYOL-style pre-training network (online + EMA target). */
class TrlsImpl : public torch::nn::Module
{
public:
    explicit TrlsImpl(const TrlsOptions& o);
    /*!
     * \brief The symmetrised loss of two views (B, F, T) of the same samples:
     * mean over scales of 2 - 2 cos(predictor(projector(online(v1))),
     * target_projector(target(v2))), plus the same with the views swapped.
     * With `negatives` > 0, adds that weight times an InfoNCE term over the
     * batch (the paper's "with negative samples" ablation; temperature 0.2).
     * \throws std::invalid_argument for a training-mode batch under 2 (the
     * projectors' BatchNorm); in eval mode one window is a batch.
     */
    torch::Tensor loss(const torch::Tensor& v1, const torch::Tensor& v2, double negatives = 0.0);
    /*! target <- tau * target + (1 - tau) * online (parameters only). */
    void update_target(double tau);
    /*! Copy the online weights into the target (the start of training). */
    void reset_target();

    Tfrnn encoder{ nullptr }, target_encoder{ nullptr };
    torch::nn::ModuleList projectors{ nullptr }, predictors{ nullptr },
        target_projectors{ nullptr };

private:
    TrlsOptions o_;
};
TORCH_MODULE(Trls);

/*! \brief The encoder with an optional linear head: what model files hold. */
class TrlsClassifierImpl : public torch::nn::Module
{
public:
    explicit TrlsClassifierImpl(const TrlsOptions& o);
    /*! Embedding (B, K * f_h) of images (B, F, T). */
    torch::Tensor embed(const torch::Tensor& img) { return encoder->embed(img); }
    /*! Class logits (B, num_class). \throws std::logic_error without a head */
    torch::Tensor forward(const torch::Tensor& img);
    const TrlsOptions& options() const { return o_; }

    Tfrnn encoder{ nullptr };
    torch::nn::Linear head{ nullptr };

private:
    TrlsOptions o_;
};
TORCH_MODULE(TrlsClassifier);

/*!
 * \brief Fold an input standardisation into a Linear layer: afterwards
 * head(f) equals what head((f - mu) / sd) was (the linear probe trains on
 * standardised representations and is saved taking raw ones). mu and sd are
 * (in_features,), sd > 0. \throws std::invalid_argument on other shapes or
 * a non-positive sd
 */
void fold_standardisation(torch::nn::Linear& head, const torch::Tensor& mu,
                          const torch::Tensor& sd);

/*! Parameters of `m` (all, or only those that require gradients). */
int64_t count_parameters(torch::nn::Module& m, bool trainable_only = false);

/*!
 * \brief Multiply-accumulates x 2 of one encoder forward on one window
 * (RNN gate products, linear maps, the reduction conv): the FLOP count the
 * benchmark divides by.
 */
double tfrnn_forward_flops(const TrlsOptions& o);

} // namespace models
} // namespace tfmed

#endif
