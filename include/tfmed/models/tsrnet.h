/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_TSRNET_H
#define INCLUDED_TFMED_MODELS_TSRNET_H

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <tuple>

/*!
 * \file
 * \brief TSRNet (Bui et al., ISBI 2024): restoration of a masked ECG from its
 * masked time series and masked spectrogram, with an uncertainty channel.
 *
 * \details
 * The network of MODELS.md section 1.3. Submodule names equal the attribute
 * names of the Python reference (time_encoder.main.N, spec_encoder.main.N,
 * conv_spec1, attn1.linear_layers.N, attn1.output_linear, layer_norm1.a_2/b_2,
 * mlp.N, time_decoder.main.N) so reference weights map one to one.
 *
 * Shapes for batch B, L leads, T samples, a spectrogram of F bins x K frames:
 *   x (B, T, L) and S (B, F, K, L) -> x_hat (B, T, L) and s (B, T, 1),
 * both tanh-bounded. At the reference size (12 leads, 4800 samples, 63 x 78
 * spectrogram) the model has 4,394,009 parameters.
 *
 * Constraints: T divisible by 32 with T/32 >= 15 (the time encoder halves the
 * length five times, then a kernel-15 convolution gives T/32 - 14 tokens);
 * F >= 13 and K >= 13 (six valid 3 x 3 convolutions give (F-12) x (K-12)).
 */

namespace tfmed {
namespace models {

/*! \brief Sizes of a TSRNet. Defaults: the reference 12-lead model. */
struct TsrnetOptions {
    TsrnetOptions(int64_t leads = 12) : leads_(leads) {}
    TORCH_ARG(int64_t, leads);
    TORCH_ARG(int64_t, length) = 4800;     //!< samples per window (T)
    TORCH_ARG(int64_t, spec_bins) = 63;    //!< spectrogram bins (F)
    TORCH_ARG(int64_t, spec_frames) = 78;  //!< spectrogram frames (K)
    TORCH_ARG(int64_t, d_model) = 50;      //!< token width
    TORCH_ARG(int64_t, heads) = 2;
    /*! Channels of the first convolution; the encoders double them four
     *  times (32 -> 512 at the reference size). Smaller widths give the
     *  small CPU demo models; 32 is the paper's network. */
    TORCH_ARG(int64_t, width) = 32;
    TORCH_ARG(double, dropout) = 0.1;

public: // TORCH_ARG leaves the section private
    /*! Tokens from the time branch (136 at the reference size). */
    int64_t time_tokens() const { return length_ / 32 - 14; }
    /*! Tokens from the spectrogram branch (66 at the reference size). */
    int64_t spec_tokens() const { return spec_frames_ - 12; }
    /*! Throws c10::Error naming the violated constraint. */
    void validate() const;
};

/*! \brief The reference's multi-head self-attention (Q, K, V, output Linear). */
class MultiHeadedAttentionImpl : public torch::nn::Module
{
public:
    MultiHeadedAttentionImpl(int64_t heads, int64_t d_model, double dropout);
    torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);

    torch::nn::ModuleList linear_layers;
    torch::nn::Linear output_linear{ nullptr };
    torch::nn::Dropout dropout{ nullptr };

private:
    int64_t h_, d_k_;
};
TORCH_MODULE(MultiHeadedAttention);

/*! \brief The reference's LayerNorm: a (x - mean) / (unbiased std + eps) + b. */
class AnnotatedLayerNormImpl : public torch::nn::Module
{
public:
    explicit AnnotatedLayerNormImpl(int64_t features, double eps = 1e-6);
    torch::Tensor forward(const torch::Tensor& x);

    torch::Tensor a_2, b_2;

private:
    double eps_;
};
TORCH_MODULE(AnnotatedLayerNorm);

/*! \brief A Sequential registered under "main", as the reference's encoder
 *  and decoder classes hold theirs (keys "time_encoder.main.0.weight", ...). */
class MainSequentialImpl : public torch::nn::Module
{
public:
    explicit MainSequentialImpl(torch::nn::Sequential seq);
    torch::Tensor forward(const torch::Tensor& x) { return main->forward(x); }
    torch::nn::Sequential main;
};
TORCH_MODULE(MainSequential);

/*! \brief TSRNet. forward() returns (x_hat, s). */
class TsrnetImpl : public torch::nn::Module
{
public:
    explicit TsrnetImpl(const TsrnetOptions& options = {});

    /*!
     * \param x time series (B, T, L), masked
     * \param spec magnitude spectrogram (B, F, K, L), masked
     * \return restored series (B, T, L) and uncertainty (B, T, 1)
     */
    std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x,
                                                     const torch::Tensor& spec);

    const TsrnetOptions& options() const { return options_; }

    MainSequential time_encoder{ nullptr }, spec_encoder{ nullptr },
        time_decoder{ nullptr };
    torch::nn::Sequential mlp{ nullptr };
    torch::nn::Conv1d conv_spec1{ nullptr };
    MultiHeadedAttention attn1{ nullptr };
    AnnotatedLayerNorm layer_norm1{ nullptr };
    torch::nn::Dropout drop{ nullptr };

private:
    torch::Tensor attend(const torch::Tensor& x);
    TsrnetOptions options_;
};
TORCH_MODULE(Tsrnet);

/*! \brief Number of trainable parameters of a module. */
int64_t count_parameters(const torch::nn::Module& m);

/*!
 * \brief Floating-point operations of one forward pass of one window
 * (2 per multiply-add of the convolutions, transposed convolutions, linear
 * layers and attention products; normalisations and activations not
 * counted). Scoring a window runs three such passes.
 */
double tsrnet_forward_flops(const TsrnetOptions& o);

} // namespace models
} // namespace tfmed

#endif
