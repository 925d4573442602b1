/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/stft.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/weights.h>

#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <stdexcept>

#include "load_model.h"

namespace tfmed {
namespace models {

namespace nn = torch::nn;

namespace {

bool forecasting(const SpecarOptions& o) { return o.task == "long_term_forecast"; }

// Instance normalisation per channel over time (mean detached, biased
// variance + 1e-5), as the reference's anomaly and forecasting heads.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> instance_norm(const torch::Tensor& x)
{
    const auto mean = x.mean(1, true).detach();
    const auto c = x - mean;
    const auto std = torch::sqrt(c.var(1, /*unbiased=*/false, /*keepdim=*/true) + 1e-5);
    return { c / std, mean, std };
}

} // namespace

ComplexConv2dImpl::ComplexConv2dImpl(int64_t in, int64_t out, int64_t kernel,
                                     int64_t dilation, int64_t padding, bool dual)
    : dual_(dual)
{
    auto opt = nn::Conv2dOptions(in, out, kernel).stride(1).padding(padding).dilation(dilation);
    conv_r = register_module("conv_r", nn::Conv2d(opt));
    conv_i = register_module("conv_i", nn::Conv2d(opt));
}

std::pair<torch::Tensor, torch::Tensor> ComplexConv2dImpl::stacked() const
{
    const auto &wr = conv_r->weight, &wi = conv_i->weight, &br = conv_r->bias,
               &bi = conv_i->bias;
    if (dual_) // Re through conv_r, Im through -conv_i: two groups.
        return { torch::cat({ wr, -wi }, 0), torch::cat({ br, -bi }) };
    // The reference runs Re and Im through both real convs (each adding its
    // bias): Re' = conv_r(Re) - conv_i(Im), Im' = conv_r(Im) + conv_i(Re).
    // That is one real convolution over the stacked channels with the block
    // weight [[Wr, -Wi], [Wi, Wr]] and bias [b_r - b_i; b_r + b_i]: the same
    // products, but 2C' output channels per call instead of C' (twice the
    // vector width oneDNN can fill: SpecAR-Net's C' is 8 for MSL), and the
    // output stays stacked for the next conv of the branch.
    return { torch::cat({ torch::cat({ wr, -wi }, 1), torch::cat({ wi, wr }, 1) }, 0),
             torch::cat({ br - bi, br + bi }) };
}

torch::Tensor ComplexConv2dImpl::forward(const torch::Tensor& x)
{
    const auto& o = conv_r->options;
    using std::get; // c10::variant (LibTorch 1.x) or std::variant (2.x): ADL picks the get
    const torch::IntArrayRef dil = o.dilation(),
                             pad = get<torch::ExpandingArray<2>>(o.padding());
    const int64_t groups = dual_ ? 2 : 1;
    if (torch::GradMode::is_enabled()) {
        const auto [w, b] = stacked();
        return torch::conv2d(x, w, b, 1, pad, dil, groups);
    }
    torch::Tensor w, b;
    {
        const torch::Tensor* p[4] = { &conv_r->weight, &conv_i->weight, &conv_r->bias,
                                      &conv_i->bias };
        std::lock_guard<std::mutex> lock(cache_mutex_);
        bool valid = cached_w_.defined() && cached_w_.device() == p[0]->device() &&
                     cached_w_.scalar_type() == p[0]->scalar_type();
        for (int k = 0; k < 4 && valid; ++k)
            valid = p[k]->storage().is_alias_of(cached_storage_[k]) &&
                    cached_version_[k] == static_cast<int64_t>(p[k]->_version()) &&
                    cached_ptr_[k] == p[k]->data_ptr();
        if (!valid) {
            std::tie(cached_w_, cached_b_) = stacked();
            for (int k = 0; k < 4; ++k) {
                cached_version_[k] = static_cast<int64_t>(p[k]->_version());
                cached_ptr_[k] = p[k]->data_ptr();
                cached_storage_[k] = p[k]->storage();
            }
        }
        w = cached_w_;
        b = cached_b_;
    }
    return torch::conv2d(x, w, b, 1, pad, dil, groups);
}

SpecarBlockImpl::SpecarBlockImpl(const SpecarOptions& o) : o_(o), stft_(o.stft())
{
    const bool dual = o.backbone == "dual";
    const int64_t D = o.d_model, Dff = o.d_ff, T = o.T(), H = o.hop;
    cnn = register_module("cnn", nn::ModuleList());
    cnn->push_back(ComplexConv2d(D, D, 1, 1, 0, dual));
    for (int64_t k = 1; k < o.conv_layers; ++k) {
        nn::Sequential branch;
        branch->push_back(ComplexConv2d(D, Dff, 3, k, k, dual));
        branch->push_back(ComplexConv2d(Dff, D, 3, k, k, dual));
        cnn->push_back(branch);
    }
    l0 = register_module("l0", nn::Linear(2, 1));
    l2 = register_module("l2", nn::Linear((T + H) / H, T)); // used only when hop != 1
}

std::pair<torch::Tensor, torch::Tensor> SpecarBlockImpl::spectrum(const torch::Tensor& h) const
{
    const auto z = dsp::stft_torch(h.transpose(1, 2), stft_); // (B, D, F, frames) complex
    return { torch::real(z).contiguous(), torch::imag(z).contiguous() };
}

torch::Tensor SpecarBlockImpl::forward(const torch::Tensor& h)
{
    const int64_t T = h.size(1);
    auto [zr, zi] = spectrum(h);
    // Frequency attention: G = Z Z^T over frames (not conjugated),
    // A = sigmoid(Re G) + i sigmoid(Im G), Y = A Z.
    const auto zrT = zr.transpose(-1, -2), ziT = zi.transpose(-1, -2);
    const auto ar = torch::sigmoid(torch::matmul(zr, zrT) - torch::matmul(zi, ziT));
    const auto ai = torch::sigmoid(torch::matmul(zr, ziT) + torch::matmul(zi, zrT));
    const auto yr = torch::matmul(ar, zr) - torch::matmul(ai, zi);
    const auto yi = torch::matmul(ar, zi) + torch::matmul(ai, zr);
    // Branches: complex ReLU of each, mean over branches and over frequency,
    // then Linear(2 -> 1) on (Re, Im). The reference applies the Linear to
    // the (B, D, F, L) grid and then averages over F; the Linear is affine,
    // so it commutes with both means: here it is applied to the (B, D, L)
    // means (the same numbers up to float rounding, without the stacked
    // grid and its K = 2 matrix product, forward and backward).
    const int64_t D = zr.size(1);
    const auto y = torch::cat({ yr, yi }, 1); // [Re; Im] on channels
    torch::Tensor acc;
    for (std::size_t k = 0; k < cnn->size(); ++k) {
        torch::Tensor b;
        if (k == 0) {
            b = cnn->ptr<ComplexConv2dImpl>(0)->forward(y);
        } else {
            auto seq = cnn->ptr<nn::SequentialImpl>(k);
            b = seq->ptr<ComplexConv2dImpl>(1)->forward(seq->ptr<ComplexConv2dImpl>(0)->forward(y));
        }
        b = torch::relu(b).mean(2); // (B, 2D, L)
        acc = k == 0 ? b : acc + b;
    }
    const auto sr = acc.narrow(1, 0, D), si = acc.narrow(1, D, D);
    const double m = static_cast<double>(cnn->size());
    const auto w = l0->weight.squeeze(0); // (2)
    auto s = (sr * w[0] + si * w[1]) / m + l0->bias; // (B, D, L)
    s = o_.hop == 1 ? s.narrow(2, 0, T) : l2(s);
    return s.permute({ 0, 2, 1 });
}

namespace {
// The reference's sinusoidal table (L, D), float32 throughout as there.
torch::Tensor position_table(int64_t L, int64_t D)
{
    const auto pos = torch::arange(L, torch::kFloat).unsqueeze(1);
    const auto freqs =
        torch::exp(torch::arange(0, D, 2, torch::kFloat) * (-(std::log(10000.0) / D)));
    auto pe = torch::zeros({ L, D });
    pe.index_put_({ torch::indexing::Slice(), torch::indexing::Slice(0, D, 2) },
                  torch::sin(pos * freqs));
    pe.index_put_({ torch::indexing::Slice(), torch::indexing::Slice(1, D, 2) },
                  torch::cos(pos * freqs).narrow(1, 0, D / 2));
    return pe;
}
} // namespace

SpecarNetImpl::SpecarNetImpl(const SpecarOptions& o) : o_(o)
{
    o.validate();
    const int64_t D = o.d_model, T = o.T();
    // Registration order is the reference's (the same draws under one seed).
    blocks = register_module("model", nn::ModuleList());
    for (int64_t i = 0; i < o.e_layers; ++i)
        blocks->push_back(SpecarBlock(o));
    auto emb = std::make_shared<nn::Module>();
    auto value = std::make_shared<nn::Module>();
    token_conv = value->register_module(
        "tokenConv", nn::Conv1d(nn::Conv1dOptions(o.enc_in, D, 3)
                                    .padding(1)
                                    .padding_mode(torch::kCircular)
                                    .bias(false)));
    nn::init::kaiming_normal_(token_conv->weight, 0.0, torch::kFanIn, torch::kLeakyReLU);
    emb->register_module("value_embedding", value);
    if (o.time_features > 0) { // 0: a stream without timestamps (ours)
        auto temporal_emb = std::make_shared<nn::Module>();
        temporal = temporal_emb->register_module(
            "embed", nn::Linear(nn::LinearOptions(o.time_features, D).bias(false)));
        emb->register_module("temporal_embedding", temporal_emb);
    }
    dropout = emb->register_module("dropout", nn::Dropout(o.dropout));
    register_module("enc_embedding", emb);
    layer_norm = register_module("layer_norm", nn::LayerNorm(nn::LayerNormOptions({ D })));
    if (forecasting(o))
        predict_linear = register_module("predict_linear", nn::Linear(o.seq_len, T));
    if (o.task == "classification")
        projection = register_module("projection", nn::Linear(D * o.seq_len, o.num_class));
    else
        projection = register_module("projection", nn::Linear(D, o.c_out));
    conv1d = register_module(
        "conv1d", nn::Conv1d(nn::Conv1dOptions(T, T, 3).stride(2).padding(1)));
    l1 = register_module("l1", nn::Linear(D / 2, 1));
    pe_ = position_table(std::max(o.seq_len, T), D);
}

torch::Tensor SpecarNetImpl::positions(int64_t L) const
{
    // The network's own lengths come from the table built with it (no cache
    // written while forward() may run on other threads); longer tables (the
    // reference's whole buffer, for export) are computed on demand.
    return L <= pe_.size(0) ? pe_.narrow(0, 0, L) : position_table(L, o_.d_model);
}

torch::Tensor SpecarNetImpl::embed(const torch::Tensor& x, const torch::Tensor& x_mark)
{
    auto h = token_conv(x.transpose(1, 2)).transpose(1, 2);
    if (x_mark.defined()) {
        TORCH_CHECK(!temporal.is_empty(),
                    "SpecAR-Net: time features given to a network built without them");
        h = h + temporal(x_mark);
    }
    return dropout(h + positions(x.size(1)).to(h.device()).unsqueeze(0));
}

torch::Tensor SpecarNetImpl::encode(torch::Tensor h)
{
    for (std::size_t i = 0; i < blocks->size(); ++i)
        h = layer_norm(blocks->ptr<SpecarBlockImpl>(i)->forward(h));
    return h;
}

torch::Tensor SpecarNetImpl::top_series(const torch::Tensor& h)
{
    return l1(conv1d(h)).squeeze(-1);
}

SpecarOutput SpecarNetImpl::forward(const torch::Tensor& x, const torch::Tensor& x_mark,
                                    const torch::Tensor& mask)
{
    TORCH_CHECK(x.dim() == 3 && x.size(1) == o_.seq_len && x.size(2) == o_.enc_in,
                "SpecAR-Net: expected x (B, ", o_.seq_len, ", ", o_.enc_in, "), found ",
                x.sizes());
    SpecarOutput out;
    auto denorm = [](const torch::Tensor& y, const torch::Tensor& mean, const torch::Tensor& std) {
        return y * std.narrow(1, 0, 1) + mean.narrow(1, 0, 1);
    };
    if (o_.task == "anomaly_detection") {
        auto [xn, mean, std] = instance_norm(x);
        out.out = denorm(projection(encode(embed(xn, {}))), mean, std);
    } else if (o_.task == "classification") {
        TORCH_CHECK(mask.defined() && mask.dim() == 2 && mask.size(1) == o_.seq_len,
                    "SpecAR-Net classification: expected a padding mask (B, ", o_.seq_len,
                    "), found ", mask.defined() ? mask.sizes() : c10::IntArrayRef{});
        auto h = encode(embed(x, {}));
        h = dropout(torch::gelu(h)) * mask.unsqueeze(-1).to(h.dtype());
        out.out = projection(h.reshape({ h.size(0), -1 }));
    } else if (o_.task == "imputation") {
        TORCH_CHECK(mask.defined() && mask.sizes() == x.sizes(),
                    "SpecAR-Net imputation: expected a mask of x's shape ", x.sizes());
        const auto observed = (mask == 1);
        // A channel with no observed point in the window (a lead off for the
        // whole window) would make the statistics 0/0 and, through the
        // channel-mixing token convolution, every output NaN: count it as one
        // point of value 0 (the training mean) instead. Never the case in
        // training, where points are hidden at random.
        const auto count = observed.sum(1).to(x.dtype()).clamp_min(1);
        // Hidden points are left out whatever they hold (the reference zeroes
        // them first; a NaN placeholder would otherwise make every output NaN).
        const auto xo = x.masked_fill(mask == 0, 0);
        const auto mean = (xo.sum(1) / count).unsqueeze(1).detach();
        auto c = (xo - mean).masked_fill(mask == 0, 0);
        const auto std = torch::sqrt((c * c).sum(1) / count + 1e-5).unsqueeze(1).detach();
        const auto h = encode(embed(c / std, x_mark));
        out.out = denorm(projection(h), mean, std);
        out.seq_series = top_series(h);
    } else { // long_term_forecast
        auto [xn, mean, std] = instance_norm(x);
        auto h = embed(xn, x_mark);
        h = predict_linear(h.transpose(1, 2)).transpose(1, 2);
        h = encode(h);
        out.out = denorm(projection(h), mean, std).narrow(1, o_.seq_len, o_.pred_len);
        out.seq_series = top_series(h);
    }
    return out;
}

torch::Tensor top_loss(const torch::Tensor& q, const std::string& part, int64_t seq_len,
                       int64_t pred_len)
{
    torch::Tensor s;
    if (part == "whole")
        s = q;
    else if (part == "input")
        s = q.narrow(1, 0, seq_len);
    else if (part == "prediction") {
        TORCH_CHECK(pred_len > 0, "top_loss: the prediction part needs pred_len > 0");
        s = q.narrow(1, q.size(1) - pred_len, pred_len);
    } else
        throw std::invalid_argument("top_loss: expected part whole, input or prediction, found '" +
                                    part + "'");
    const int64_t L = s.size(1);
    TORCH_CHECK(L >= 2, "top_loss: expected a part of at least 2 steps, found ", L);
    const auto ramp =
        torch::arange(L, s.options()) / static_cast<double>(L - 1);
    const auto qn = s / std::get<0>(s.max(-1, true)).detach();
    return (qn - ramp).pow(2).sum();
}

LoadedSpecar load_specar(const std::string& path, const torch::Device& device)
{
    LoadedSpecar out;
    load_model(path, "specar", device, out.card, out.net);
    return out;
}

void save_specar(const std::string& path, SpecarCard card, SpecarNet& net)
{
    int64_t n = 0;
    for (const auto& p : net->parameters())
        n += p.numel();
    card.parameters = n;
    ModelFile f;
    f.card_json = card.to_json();
    // Never write a card that every reader refuses: its own checks first.
    (void)SpecarCard::from_json(f.card_json);
    f.sections["weights"] = weights_bytes(*net);
    write_model_file(path, f);
}

void add_reference_entries(SpecarNet& net,
                           std::vector<std::pair<std::string, torch::Tensor>>& sd)
{
    std::vector<std::pair<std::string, torch::Tensor>> extra;
    for (const auto& [k, t] : sd) {
        const auto at = k.find(".cnn.0.");
        if (k.rfind("model.", 0) == 0 && at != std::string::npos &&
            k.find('.', 6) == at) { // model.<i>.cnn.0.conv_*
            auto dup = k;
            dup.replace(at, 7, ".single_ComplexConv_dila0.");
            extra.emplace_back(dup, t);
        }
    }
    extra.emplace_back("enc_embedding.position_embedding.pe",
                       net->positions(100000).unsqueeze(0).clone());
    sd.insert(sd.end(), extra.begin(), extra.end());
}

void remove_reference_entries(SpecarNet& net,
                              std::vector<std::pair<std::string, torch::Tensor>>& sd,
                              const std::string& what)
{
    std::map<std::string, torch::Tensor> by_name(sd.begin(), sd.end());
    std::vector<std::pair<std::string, torch::Tensor>> kept;
    for (const auto& [k, t] : sd) {
        if (k == "enc_embedding.position_embedding.pe") {
            // Shape first (a 1-D or empty tensor is refused by name, not by
            // a torch index error); values to 1e-3: the table is recomputed
            // here, and another machine's exp() may differ in the last bits,
            // which moves sin() at position 4,000 by about 2e-4 radians.
            const bool shaped = t.dim() == 3 && t.size(0) >= 1 && t.size(1) >= 1 &&
                                t.size(2) == net->options().d_model;
            const int64_t L = shaped ? std::min<int64_t>(t.size(1), 4096) : 0;
            if (!shaped || !torch::allclose(t[0].narrow(0, 0, L).to(torch::kFloat),
                                            net->positions(L), 0.0, 1e-3))
                throw std::invalid_argument(what + ": " + k +
                                            " is not the sinusoidal table of d_model " +
                                            std::to_string(net->options().d_model));
            continue;
        }
        const auto at = k.find(".single_ComplexConv_dila0.");
        if (at != std::string::npos) {
            auto twin = k;
            twin.replace(at, 26, ".cnn.0.");
            const auto it = by_name.find(twin);
            if (it == by_name.end()) {
                kept.emplace_back(k, t); // no twin: reported as unexpected, not dropped
                continue;
            }
            if (!torch::equal(it->second, t))
                throw std::invalid_argument(what + ": " + k + " differs from " + twin +
                                            " (one module in the reference)");
            continue;
        }
        kept.emplace_back(k, t);
    }
    sd = std::move(kept);
}

} // namespace models
} // namespace tfmed
