/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/models/tsrnet.h>

#include <torch/torch.h>

#include <cmath>

namespace tfmed {
namespace models {

namespace nn = torch::nn;

void TsrnetOptions::validate() const
{
    TORCH_CHECK(leads_ > 0, "TsrnetOptions: leads must be > 0, found ", leads_);
    TORCH_CHECK(length_ % 32 == 0 && length_ / 32 >= 15,
                "TsrnetOptions: length must be a multiple of 32 and >= 480 (five "
                "stride-2 convolutions, then kernel 15), found ",
                length_);
    TORCH_CHECK(spec_bins_ >= 13 && spec_frames_ >= 13,
                "TsrnetOptions: the spectrogram must be at least 13 x 13 (six valid 3x3 "
                "convolutions), found ",
                spec_bins_, " x ", spec_frames_);
    TORCH_CHECK(d_model_ > 0 && heads_ > 0 && d_model_ % heads_ == 0,
                "TsrnetOptions: d_model must be a positive multiple of heads, found d_model ",
                d_model_, ", heads ", heads_);
    TORCH_CHECK(width_ > 0, "TsrnetOptions: width must be > 0, found ", width_);
}

MultiHeadedAttentionImpl::MultiHeadedAttentionImpl(int64_t heads,
                                                   int64_t d_model,
                                                   double dropout_p)
    : h_(heads), d_k_(d_model / heads)
{
    linear_layers = register_module("linear_layers", nn::ModuleList());
    for (int i = 0; i < 3; i++)
        linear_layers->push_back(nn::Linear(d_model, d_model));
    output_linear = register_module("output_linear", nn::Linear(d_model, d_model));
    dropout = register_module("dropout", nn::Dropout(dropout_p));
}

torch::Tensor MultiHeadedAttentionImpl::forward(const torch::Tensor& q_in,
                                                const torch::Tensor& k_in,
                                                const torch::Tensor& v_in)
{
    const int64_t b = q_in.size(0);
    auto project = [&](int i, const torch::Tensor& x) {
        return linear_layers[i]->as<nn::Linear>()->forward(x).view({ b, -1, h_, d_k_ })
            .transpose(1, 2);
    };
    const auto q = project(0, q_in), k = project(1, k_in), v = project(2, v_in);
    auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(d_k_));
    auto attn = dropout->forward(torch::softmax(scores, -1));
    auto x = torch::matmul(attn, v).transpose(1, 2).contiguous().view({ b, -1, h_ * d_k_ });
    return output_linear->forward(x);
}

AnnotatedLayerNormImpl::AnnotatedLayerNormImpl(int64_t features, double eps) : eps_(eps)
{
    a_2 = register_parameter("a_2", torch::ones({ features }));
    b_2 = register_parameter("b_2", torch::zeros({ features }));
}

torch::Tensor AnnotatedLayerNormImpl::forward(const torch::Tensor& x)
{
    // Unbiased standard deviation and eps added to it: the reference's choice,
    // not torch::nn::LayerNorm's.
    const auto mean = x.mean(-1, true);
    const auto std = x.std(-1, /*unbiased=*/true, /*keepdim=*/true);
    return a_2 * (x - mean) / (std + eps_) + b_2;
}

MainSequentialImpl::MainSequentialImpl(nn::Sequential seq)
{
    main = register_module("main", seq);
}

namespace {

auto lrelu() { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true)); }

nn::Sequential encoder_1d(int64_t in, int64_t d_model, int64_t width)
{
    nn::Sequential s;
    s->push_back(nn::Conv1d(nn::Conv1dOptions(in, width, 4).stride(2).padding(1)));
    s->push_back(lrelu());
    int64_t c = width;
    for (int i = 0; i < 4; i++, c *= 2) {
        s->push_back(nn::Conv1d(nn::Conv1dOptions(c, 2 * c, 4).stride(2).padding(1)));
        s->push_back(nn::BatchNorm1d(2 * c));
        s->push_back(lrelu());
    }
    s->push_back(nn::Conv1d(nn::Conv1dOptions(c, d_model, 15)));
    return s;
}

nn::Sequential encoder_2d(int64_t in, int64_t d_model, int64_t width)
{
    nn::Sequential s;
    s->push_back(nn::Conv2d(nn::Conv2dOptions(in, width, 3)));
    s->push_back(lrelu());
    int64_t c = width;
    for (int i = 0; i < 4; i++, c *= 2) {
        s->push_back(nn::Conv2d(nn::Conv2dOptions(c, 2 * c, 3)));
        s->push_back(nn::BatchNorm2d(2 * c));
        s->push_back(lrelu());
    }
    s->push_back(nn::Conv2d(nn::Conv2dOptions(c, d_model, 3)));
    return s;
}

nn::Sequential decoder_1d(int64_t d_model, int64_t out, int64_t width)
{
    nn::Sequential s;
    int64_t c = 16 * width;
    s->push_back(nn::ConvTranspose1d(nn::ConvTranspose1dOptions(d_model, c, 15)));
    s->push_back(nn::BatchNorm1d(c));
    s->push_back(nn::ReLU(true));
    for (int i = 0; i < 4; i++, c /= 2) {
        s->push_back(
            nn::ConvTranspose1d(nn::ConvTranspose1dOptions(c, c / 2, 4).stride(2).padding(1)));
        s->push_back(nn::BatchNorm1d(c / 2));
        s->push_back(nn::ReLU(true));
    }
    s->push_back(nn::ConvTranspose1d(nn::ConvTranspose1dOptions(c, out, 4).stride(2).padding(1)));
    s->push_back(nn::Tanh());
    return s;
}

} // namespace

TsrnetImpl::TsrnetImpl(const TsrnetOptions& o) : options_(o)
{
    o.validate();
    const int64_t d = o.d_model();
    time_encoder = register_module("time_encoder", MainSequential(encoder_1d(o.leads(), d, o.width())));
    time_decoder = register_module("time_decoder", MainSequential(decoder_1d(d, o.leads() + 1, o.width())));
    spec_encoder = register_module("spec_encoder", MainSequential(encoder_2d(o.leads(), d, o.width())));
    conv_spec1 = register_module(
        "conv_spec1",
        nn::Conv1d(nn::Conv1dOptions(d * (o.spec_bins() - 12), d, 3).padding(1).bias(false)));
    const int64_t tokens = o.time_tokens() + o.spec_tokens();
    mlp = register_module("mlp",
                          nn::Sequential(nn::Linear(tokens, o.time_tokens()),
                                         nn::LayerNorm(nn::LayerNormOptions({ o.time_tokens() })),
                                         nn::ReLU()));
    attn1 = register_module("attn1", MultiHeadedAttention(o.heads(), d, o.dropout()));
    drop = register_module("drop", nn::Dropout(o.dropout()));
    layer_norm1 = register_module("layer_norm1", AnnotatedLayerNorm(d));
}

torch::Tensor TsrnetImpl::attend(const torch::Tensor& x)
{
    return layer_norm1->forward(x + drop->forward(attn1->forward(x, x, x)));
}

std::tuple<torch::Tensor, torch::Tensor> TsrnetImpl::forward(const torch::Tensor& x,
                                                             const torch::Tensor& spec)
{
    const auto& o = options_;
    TORCH_CHECK(x.dim() == 3 && x.size(1) == o.length() && x.size(2) == o.leads(),
                "Tsrnet: expected the time series as (B, ", o.length(), ", ", o.leads(),
                "), found ", x.sizes());
    TORCH_CHECK(spec.dim() == 4 && spec.size(0) == x.size(0) &&
                    spec.size(1) == o.spec_bins() && spec.size(2) == o.spec_frames() &&
                    spec.size(3) == o.leads(),
                "Tsrnet: expected the spectrogram as (", x.size(0), ", ", o.spec_bins(), ", ",
                o.spec_frames(), ", ", o.leads(), "), found ", spec.sizes());
    auto t = time_encoder->forward(x.transpose(-1, 1));        // (B, d, time_tokens)
    auto s = spec_encoder->forward(spec.permute({ 0, 3, 1, 2 })); // (B, d, F-12, K-12)
    s = conv_spec1->forward(s.contiguous().view({ s.size(0), s.size(1) * s.size(2), s.size(3) }));
    auto z = torch::cat({ t, s }, -1).transpose(-1, 1); // (B, tokens, d)
    // The same attention block twice, with shared weights, as the reference does.
    z = attend(attend(z)).transpose(-1, 1);              // (B, d, tokens)
    auto y = time_decoder->forward(mlp->forward(z)).transpose(-1, 1); // (B, T, L+1)
    return { y.narrow(-1, 0, o.leads()), y.narrow(-1, o.leads(), 1) };
}

int64_t count_parameters(const torch::nn::Module& m)
{
    int64_t n = 0;
    for (const auto& p : m.parameters())
        if (p.requires_grad())
            n += p.numel();
    return n;
}

double tsrnet_forward_flops(const TsrnetOptions& o)
{
    const double T = static_cast<double>(o.length()), L = static_cast<double>(o.leads()),
                 w = static_cast<double>(o.width()), d = static_cast<double>(o.d_model()),
                 F = static_cast<double>(o.spec_bins()), K = static_cast<double>(o.spec_frames()),
                 nt = static_cast<double>(o.time_tokens()), ns = static_cast<double>(o.spec_tokens());
    double mac = 0.0;
    // Time encoder: k4 s2 convolutions halve the length, then k15 valid.
    mac += w * L * 4 * (T / 2);
    for (double c = w, len = T / 4; c < 16 * w; c *= 2, len /= 2)
        mac += 2 * c * c * 4 * len;
    mac += d * 16 * w * 15 * nt;
    // Spectrogram encoder: valid 3x3 convolutions, 2 bins and frames fewer each.
    mac += w * L * 9 * (F - 2) * (K - 2);
    double c = w;
    for (int i = 2; i <= 5; ++i, c *= 2)
        mac += 2 * c * c * 9 * (F - 2 * i) * (K - 2 * i);
    mac += d * c * 9 * (F - 12) * (K - 12);
    mac += d * d * (F - 12) * 3 * ns; // conv_spec1
    // The attention block twice: Q, K, V, output; Q K^T and attention x V.
    const double n = nt + ns;
    mac += 2 * (4 * n * d * d + 2 * n * n * d);
    mac += d * n * nt; // MLP Linear(tokens -> time tokens) on every feature row
    // Decoder: k15 from the time tokens, then k4 s2 transposed convolutions.
    mac += nt * d * 16 * w * 15;
    double len = T / 32;
    for (double ch = 16 * w; ch > w; ch /= 2, len *= 2)
        mac += len * ch * (ch / 2) * 4;
    mac += (T / 2) * w * (L + 1) * 4;
    return 2.0 * mac;
}

} // namespace models
} // namespace tfmed
