/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/stft.h>
#include <tfmed/models/fused_lstm.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/trls.h>
#include <tfmed/models/weights.h>

#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace tfmed {
namespace models {

namespace F = torch::nn::functional;

dsp::StftOptions TrlsOptions::stft() const
{
    dsp::StftOptions s(static_cast<int>(n_fft), static_cast<int>(effective_hop()));
    s.convention(dsp::Convention::torch)
        .window(dsp::Window::hann)
        .periodic(true)
        .center(true)
        .pad_mode(dsp::PadMode::reflect)
        .onesided(true)
        .output(dsp::Output::magnitude);
    return s;
}

int64_t TrlsOptions::frames() const { return stft().num_frames(length); }

void TrlsOptions::validate() const
{
    auto range = [](const char* name, int64_t v, int64_t lo, int64_t hi) {
        if (v < lo || v > hi)
            throw std::invalid_argument(std::string("trls ") + name + ": expected " +
                                        std::to_string(lo) + " .. " + std::to_string(hi) +
                                        ", found " + std::to_string(v));
    };
    range("channels", channels, 1, kMaxChannels);
    range("length", length, 2, kMaxWindowSamples);
    range("n_fft", n_fft, 2, 8192);
    range("hop", hop, 0, n_fft);
    if (effective_hop() < 1)
        throw std::invalid_argument("trls hop: 0 means n_fft / 4, which is 0 for n_fft " +
                                    std::to_string(n_fft) + "; expected a hop of 1 .. " +
                                    std::to_string(n_fft) + " for so short an FFT");
    range("hidden", hidden, 1, 4096);
    range("blocks", blocks, 1, 16);
    range("f_h", f_h, 1, 4096);
    range("scales", scales, 1, 16);
    range("proj_hidden", proj_hidden, 1, 8192);
    range("proj_out", proj_out, 1, 8192);
    range("num_class", num_class, 0, 100000);
    if (rnn != "lstm" && rnn != "gru" && rnn != "rnn" && rnn != "tcn")
        throw std::invalid_argument("trls rnn: expected lstm, gru, rnn or tcn, found '" + rnn +
                                    "'");
    if (image_norm != "window" && image_norm != "dataset")
        throw std::invalid_argument("trls image_norm: expected window or dataset, found '" +
                                    image_norm + "'");
    if (image_norm == "dataset" &&
        !(std::isfinite(image_lo) && std::isfinite(image_hi) && image_hi > image_lo))
        throw std::invalid_argument("trls image bounds: expected finite image_lo < image_hi, "
                                    "found " + std::to_string(image_lo) + " and " +
                                    std::to_string(image_hi));
    if (multichannel != "stack" && multichannel != "features")
        throw std::invalid_argument("trls multichannel: expected stack or features, found '" +
                                    multichannel + "'");
    if (freq_norm != "bins" && freq_norm != "time")
        throw std::invalid_argument("trls freq_norm: expected bins or time, found '" + freq_norm +
                                    "'");
    if (!(dropout >= 0 && dropout < 1))
        throw std::invalid_argument("trls dropout: expected a fraction in [0, 1), found " +
                                    std::to_string(dropout));
    const auto s = stft();
    s.validate();
    if (length < s.min_length())
        throw std::invalid_argument("trls length: n_fft " + std::to_string(n_fft) +
                                    " needs windows of at least " +
                                    std::to_string(s.min_length()) + " samples, found " +
                                    std::to_string(length));
    const int64_t T = frames();
    if (T < (int64_t{ 1 } << (scales - 1)))
        throw std::invalid_argument(
            "trls scales: " + std::to_string(scales) + " time scales halve " +
            std::to_string(T) + " frames " + std::to_string(scales - 1) +
            " times; expected at least " + std::to_string(int64_t{ 1 } << (scales - 1)) +
            " frames (fewer scales, a smaller hop or longer windows)");
    if (features() * T > (int64_t{ 1 } << 24))
        throw std::invalid_argument("trls: a spectrogram of " + std::to_string(features()) +
                                    " x " + std::to_string(T) +
                                    " exceeds 2^24 values per window");
}

std::string TrlsOptions::to_string() const
{
    std::ostringstream s;
    s << "TFRNN " << blocks << " x " << rnn << " (hidden " << hidden << ", dropout " << dropout
      << "), image " << features() << " x " << frames() << " (" << channels << " ch, n_fft "
      << n_fft << ", hop " << effective_hop() << ", " << multichannel << "), frequency norm over "
      << freq_norm << ", f_h " << f_h
      << ", K " << scales << ", image scaling " << image_norm;
    return s.str();
}

torch::Tensor log_magnitude(const torch::Tensor& x, const TrlsOptions& o)
{
    if (!x.defined() || x.dim() != 3 || x.size(1) != o.channels || x.size(2) != o.length)
        throw std::invalid_argument(
            "trls spectrogram: expected series (N, " + std::to_string(o.channels) + ", " +
            std::to_string(o.length) + "), found " +
            (x.defined() ? std::string(c10::str(x.sizes())) : std::string("none")));
    torch::NoGradGuard ng;
    const auto m = dsp::stft(x.to(torch::kFloat), o.stft()); // (N, C, bins, T)
    return torch::log1p(m).reshape({ x.size(0), o.features(), m.size(-1) });
}

torch::Tensor spectrogram(const torch::Tensor& x, const TrlsOptions& o)
{
    return normalise_image(log_magnitude(x, o), o);
}

torch::Tensor normalise_image(const torch::Tensor& img, const TrlsOptions& o)
{
    torch::NoGradGuard ng;
    if (o.image_norm == "dataset")
        return ((img - o.image_lo) / (o.image_hi - o.image_lo)).clamp(0.0, 1.0).contiguous();
    auto flat = img.reshape({ img.size(0), -1 });
    const auto lo = std::get<0>(flat.min(1, true));
    const auto hi = std::get<0>(flat.max(1, true));
    const auto span = hi - lo;
    flat = torch::where(span > 0, (flat - lo) / torch::where(span > 0, span, torch::ones_like(span)),
                        torch::zeros_like(flat));
    return flat.view(img.sizes()).contiguous();
}

SeqNetImpl::SeqNetImpl(const std::string& kind, int64_t in, int64_t hidden) : kind_(kind)
{
    if (kind == "lstm")
        lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(in, hidden).batch_first(true)));
    else if (kind == "gru")
        gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(in, hidden).batch_first(true)));
    else if (kind == "rnn")
        rnn = register_module("rnn", torch::nn::RNN(torch::nn::RNNOptions(in, hidden).batch_first(true)));
    else if (kind == "tcn") {
        tcn1 = register_module(
            "tcn1", torch::nn::Conv1d(torch::nn::Conv1dOptions(in, hidden, 3).padding(1)));
        tcn2 = register_module(
            "tcn2",
            torch::nn::Conv1d(torch::nn::Conv1dOptions(hidden, hidden, 3).padding(2).dilation(2)));
    } else
        throw std::invalid_argument("trls rnn: expected lstm, gru, rnn or tcn, found '" + kind +
                                    "'");
}

torch::Tensor SeqNetImpl::forward(const torch::Tensor& x)
{
    if (lstm) {
        const auto w = lstm->all_weights(); // weight_ih, weight_hh, bias_ih, bias_hh
        if (fused_lstm_enabled() && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
            w[0].device().is_cpu() && w[0].scalar_type() == torch::kFloat)
            return fused_lstm(x, w[0], w[1], w[2], w[3]);
        return std::get<0>(lstm->forward(x));
    }
    if (gru)
        return std::get<0>(gru->forward(x));
    if (rnn)
        return std::get<0>(rnn->forward(x));
    auto h = torch::relu(tcn1->forward(x.transpose(1, 2)));
    return torch::relu(tcn2->forward(h)).transpose(1, 2);
}

TfrBlockImpl::TfrBlockImpl(const TrlsOptions& o)
    : o_(o), stack_(o.multichannel == "stack"), norm_over_time_(o.freq_norm == "time")
{
    const int64_t F = o.features(), T = o.frames();
    // The frequency path's sequence and feature sizes.
    const int64_t fin = stack_ ? T : o.channels * T;
    time_rnn = register_module("time_rnn", SeqNet(o.rnn, F, o.hidden));
    time_out = register_module("time_out", torch::nn::Linear(o.hidden, F));
    time_norm = register_module("time_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({ F })));
    freq_rnn = register_module("freq_rnn", SeqNet(o.rnn, fin, o.hidden));
    freq_out = register_module("freq_out", torch::nn::Linear(o.hidden, fin));
    freq_norm = register_module(
        "freq_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({ norm_over_time_ ? fin : F })));
    drop = register_module("drop", torch::nn::Dropout(o.dropout));
}

torch::Tensor TfrBlockImpl::forward(const torch::Tensor& x)
{
    // x (B, T, F)
    auto h = time_norm->forward(x + drop->forward(time_out->forward(time_rnn->forward(x))));
    const int64_t B = h.size(0), T = h.size(1), F = h.size(2);
    torch::Tensor z;
    if (stack_) {
        z = h.transpose(1, 2); // (B, F, T)
    } else {
        const int64_t C = o_.channels, Fb = F / C;
        z = h.reshape({ B, T, C, Fb }).permute({ 0, 3, 2, 1 }).reshape({ B, Fb, C * T });
    }
    z = z + drop->forward(freq_out->forward(freq_rnn->forward(z)));
    if (norm_over_time_)
        z = freq_norm->forward(z);
    torch::Tensor y;
    if (stack_) {
        y = z.transpose(1, 2);
    } else {
        const int64_t C = o_.channels, Fb = F / C;
        y = z.reshape({ B, Fb, C, T }).permute({ 0, 3, 2, 1 }).reshape({ B, T, F });
    }
    return norm_over_time_ ? y : freq_norm->forward(y);
}

TfrnnImpl::TfrnnImpl(const TrlsOptions& o) : o_(o)
{
    o.validate();
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < o.blocks; ++i)
        blocks->push_back(TfrBlock(o));
    reduce = register_module(
        "reduce", torch::nn::Conv1d(torch::nn::Conv1dOptions(o.features(), o.f_h, 1)));
}

std::vector<torch::Tensor> TfrnnImpl::forward(const torch::Tensor& img)
{
    if (img.dim() != 3 || img.size(1) != o_.features() || img.size(2) != o_.frames())
        throw std::invalid_argument("TFRNN: expected spectrograms (B, " +
                                    std::to_string(o_.features()) + ", " +
                                    std::to_string(o_.frames()) + "), found " +
                                    std::string(c10::str(img.sizes())));
    auto x = img.transpose(1, 2); // (B, T, F)
    for (const auto& b : *blocks)
        x = b->as<TfrBlock>()->forward(x);
    auto d = reduce->forward(x.transpose(1, 2)); // (B, f_h, T)
    std::vector<torch::Tensor> r;
    r.reserve(static_cast<std::size_t>(o_.scales));
    for (int64_t i = 0; i < o_.scales; ++i) {
        if (i > 0)
            d = F::max_pool1d(d, F::MaxPool1dFuncOptions(2).stride(2));
        r.push_back(d.mean(2));
    }
    return r;
}

torch::Tensor TfrnnImpl::embed(const torch::Tensor& img) { return torch::cat(forward(img), 1); }

torch::nn::Sequential make_mlp(int64_t in, int64_t hidden, int64_t out)
{
    return torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::BatchNorm1d(hidden),
                                 torch::nn::ReLU(), torch::nn::Linear(hidden, out));
}

TrlsImpl::TrlsImpl(const TrlsOptions& o) : o_(o)
{
    encoder = register_module("encoder", Tfrnn(o));
    projectors = register_module("projectors", torch::nn::ModuleList());
    predictors = register_module("predictors", torch::nn::ModuleList());
    target_projectors = register_module("target_projectors", torch::nn::ModuleList());
    for (int64_t i = 0; i < o.scales; ++i) {
        projectors->push_back(make_mlp(o.f_h, o.proj_hidden, o.proj_out));
        predictors->push_back(make_mlp(o.proj_out, o.proj_hidden, o.proj_out));
    }
    target_encoder = register_module("target_encoder", Tfrnn(o));
    for (int64_t i = 0; i < o.scales; ++i)
        target_projectors->push_back(make_mlp(o.f_h, o.proj_hidden, o.proj_out));
    reset_target();
}

namespace {
std::vector<torch::Tensor> online_params(TrlsImpl& t)
{
    auto a = t.encoder->parameters();
    for (auto& p : t.projectors->parameters())
        a.push_back(p);
    return a;
}
std::vector<torch::Tensor> target_params(TrlsImpl& t)
{
    auto a = t.target_encoder->parameters();
    for (auto& p : t.target_projectors->parameters())
        a.push_back(p);
    return a;
}
} // namespace

void TrlsImpl::reset_target()
{
    torch::NoGradGuard ng;
    const auto on = online_params(*this);
    auto tg = target_params(*this);
    for (std::size_t i = 0; i < tg.size(); ++i) {
        tg[i].copy_(on[i]);
        tg[i].set_requires_grad(false);
    }
}

void TrlsImpl::update_target(double tau)
{
    torch::NoGradGuard ng;
    const auto on = online_params(*this);
    auto tg = target_params(*this);
    for (std::size_t i = 0; i < tg.size(); ++i)
        tg[i].mul_(tau).add_(on[i].detach(), 1.0 - tau);
}

torch::Tensor TrlsImpl::loss(const torch::Tensor& v1, const torch::Tensor& v2, double negatives)
{
    // In eval mode BatchNorm uses its running statistics: one window is a batch.
    if (is_training() && v1.size(0) < 2)
        throw std::invalid_argument("TRLS loss: BatchNorm in the projectors needs training "
                                    "batches of at least 2, found " +
                                    std::to_string(v1.size(0)));
    auto one_way = [&](const torch::Tensor& a, const torch::Tensor& b) {
        const auto ra = encoder->forward(a);
        std::vector<torch::Tensor> tb;
        {
            torch::NoGradGuard ng;
            const auto rb = target_encoder->forward(b);
            for (int64_t i = 0; i < o_.scales; ++i)
                tb.push_back(target_projectors[i]->as<torch::nn::Sequential>()->forward(rb[i]));
        }
        torch::Tensor l = torch::zeros({}, a.options());
        for (int64_t i = 0; i < o_.scales; ++i) {
            auto z = projectors[i]->as<torch::nn::Sequential>()->forward(ra[i]);
            auto p = predictors[i]->as<torch::nn::Sequential>()->forward(z);
            auto pn = F::normalize(p, F::NormalizeFuncOptions().dim(1));
            auto tn = F::normalize(tb[static_cast<std::size_t>(i)], F::NormalizeFuncOptions().dim(1));
            l = l + (2.0 - 2.0 * (pn * tn).sum(1)).mean();
            if (negatives > 0) {
                auto logits = torch::matmul(pn, tn.t()) / 0.2;
                auto labels = torch::arange(pn.size(0), torch::TensorOptions().dtype(torch::kLong).device(pn.device()));
                l = l + negatives * F::cross_entropy(logits, labels);
            }
        }
        return l / static_cast<double>(o_.scales);
    };
    return one_way(v1, v2) + one_way(v2, v1);
}

TrlsClassifierImpl::TrlsClassifierImpl(const TrlsOptions& o) : o_(o)
{
    encoder = register_module("encoder", Tfrnn(o));
    if (o.num_class > 0)
        head = register_module("head", torch::nn::Linear(o.embedding(), o.num_class));
}

torch::Tensor TrlsClassifierImpl::forward(const torch::Tensor& img)
{
    if (!head)
        throw std::logic_error("TRLS classifier: this model has no linear head (num_class 0)");
    return head->forward(encoder->embed(img));
}

void fold_standardisation(torch::nn::Linear& head, const torch::Tensor& mu,
                          const torch::Tensor& sd)
{
    const int64_t n = head->weight.size(1);
    if (mu.dim() != 1 || sd.dim() != 1 || mu.size(0) != n || sd.size(0) != n)
        throw std::invalid_argument("fold_standardisation: expected mu and sd of (" +
                                    std::to_string(n) + ",), found " + shape_str(mu.sizes()) +
                                    " and " + shape_str(sd.sizes()));
    if (!(sd.min().item<double>() > 0))
        throw std::invalid_argument("fold_standardisation: expected every sd > 0, found " +
                                    std::to_string(sd.min().item<double>()));
    torch::NoGradGuard ng;
    const auto dev = head->weight.device();
    const auto w = head->weight.detach().to(torch::kDouble).cpu() /
                   sd.to(torch::kDouble).cpu().unsqueeze(0);
    const auto b = head->bias.detach().to(torch::kDouble).cpu() -
                   (w * mu.to(torch::kDouble).cpu().unsqueeze(0)).sum(1);
    head->weight.copy_(w.to(head->weight.dtype()).to(dev));
    head->bias.copy_(b.to(head->bias.dtype()).to(dev));
}

int64_t count_parameters(torch::nn::Module& m, bool trainable_only)
{
    int64_t n = 0;
    for (const auto& p : m.parameters())
        if (!trainable_only || p.requires_grad())
            n += p.numel();
    return n;
}

double tfrnn_forward_flops(const TrlsOptions& o)
{
    const double F = static_cast<double>(o.features()), T = static_cast<double>(o.frames());
    const double H = static_cast<double>(o.hidden);
    const double fseq = o.multichannel == "stack" ? F : static_cast<double>(o.bins());
    const double fin = o.multichannel == "stack" ? T : static_cast<double>(o.channels) * T;
    auto seq = [&](double steps, double in) {
        if (o.rnn == "tcn")
            return steps * (3 * in * H + 3 * H * H);
        const double gates = o.rnn == "lstm" ? 4 : (o.rnn == "gru" ? 3 : 1);
        return steps * gates * H * (in + H);
    };
    const double block = seq(T, F) + T * H * F + seq(fseq, fin) + fseq * H * fin;
    const double macs = static_cast<double>(o.blocks) * block + T * F * static_cast<double>(o.f_h);
    return 2.0 * macs;
}

} // namespace models
} // namespace tfmed
