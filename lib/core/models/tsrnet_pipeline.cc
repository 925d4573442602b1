/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/stft.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/models/weights.h>
#include <tfmed/train/distributed.h>

#include <torch/cuda.h>
#include <torch/serialize.h>

#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace tfmed {
namespace models {

TsrnetOptions options_of(const TsrnetCard& c)
{
    return TsrnetOptions(c.leads)
        .length(c.prep.crop_length)
        .spec_bins(c.spec_bins)
        .spec_frames(c.spec_frames)
        .d_model(c.d_model)
        .heads(c.heads)
        .width(c.width)
        .dropout(c.dropout);
}

dsp::StftOptions stft_of(const TsrnetCard& c)
{
    return dsp::StftOptions(static_cast<int>(c.n_fft), static_cast<int>(c.hop))
        .window(dsp::Window::hann)
        .periodic(true)
        .convention(dsp::Convention::scipy)
        .output(dsp::Output::magnitude);
}

torch::Tensor tsrnet_spectrogram(const torch::Tensor& x, const dsp::StftOptions& stft)
{
    TORCH_CHECK(x.dim() == 3, "tsrnet_spectrogram: expected (B, T, L), found ", x.sizes());
    auto s = dsp::stft(x.transpose(1, 2).contiguous(), stft); // (B, L, F, K)
    return s.permute({ 0, 2, 3, 1 }).contiguous();            // (B, F, K, L)
}

namespace {
// Uniform integer in [0, n) from a 64-bit engine, the same on every platform.
uint64_t bounded(std::mt19937_64& rng, uint64_t n)
{
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do
        v = rng();
    while (v >= limit);
    return v % n;
}

std::vector<int64_t> sample_distinct(std::mt19937_64& rng, int64_t range, int64_t k)
{
    std::vector<int64_t> idx(static_cast<std::size_t>(range));
    for (int64_t i = 0; i < range; ++i)
        idx[static_cast<std::size_t>(i)] = i;
    for (int64_t i = 0; i < k; ++i) {
        const auto j = i + static_cast<int64_t>(bounded(rng, static_cast<uint64_t>(range - i)));
        std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(j)]);
    }
    idx.resize(static_cast<std::size_t>(k));
    return idx;
}

int64_t spec_range_of(const TsrnetMasking& m, int64_t K)
{
    return m.spec_range > 0 ? std::min(m.spec_range, K) : K;
}
} // namespace

Masks train_masks(const TsrnetMasking& m, int64_t T, int64_t K, std::mt19937_64& rng)
{
    Masks out{ torch::zeros({ T }), torch::zeros({ K }) };
    const int64_t patch = T / m.time_patches;
    auto t = out.time.accessor<float, 1>();
    for (int64_t p : sample_distinct(rng, m.time_patches, m.time_masked))
        for (int64_t i = 0; i < patch; ++i)
            t[p * patch + i] = 1.0f;
    auto s = out.spec.accessor<float, 1>();
    for (int64_t f : sample_distinct(rng, spec_range_of(m, K), m.spec_masked))
        s[f] = 1.0f;
    return out;
}

Masks inference_masks(const TsrnetMasking& m, int64_t T, int64_t K, int64_t j)
{
    Masks out{ torch::zeros({ T }), torch::zeros({ K }) };
    const int64_t patch = T / m.time_patches;
    const int64_t tstride = T / m.time_masked;
    auto t = out.time.accessor<float, 1>();
    for (int64_t k = 0; k < m.time_masked; ++k)
        for (int64_t i = 0; i < patch; ++i) {
            const int64_t pos = patch * j + tstride * k + i;
            if (pos < T)
                t[pos] = 1.0f;
        }
    if (m.spec_masked > 0) {
        const int64_t fstride = spec_range_of(m, K) / m.spec_masked;
        auto s = out.spec.accessor<float, 1>();
        for (int64_t k = 0; k < m.spec_masked; ++k) {
            const int64_t f = j + fstride * k;
            if (f < K)
                s[f] = 1.0f;
        }
    }
    return out;
}

torch::Tensor mask_time(const torch::Tensor& x, const torch::Tensor& time_mask)
{
    return x * (1.0 - time_mask.to(x.device())).view({ 1, -1, 1 });
}

torch::Tensor mask_spec(const torch::Tensor& spec, const torch::Tensor& frame_mask)
{
    return spec * (1.0 - frame_mask.to(spec.device())).view({ 1, 1, -1, 1 });
}

torch::Tensor weighted_error(const torch::Tensor& x, const torch::Tensor& x_hat,
                             const torch::Tensor& s)
{
    return torch::exp(-s) * (x_hat - x).square();
}

torch::Tensor tsrnet_loss(const torch::Tensor& x, const torch::Tensor& x_hat,
                          const torch::Tensor& s)
{
    return weighted_error(x, x_hat, s).mean() + s.mean();
}

torch::Tensor training_loss(Tsrnet& model, const TsrnetCard& card, const dsp::StftOptions& stft,
                            const torch::Tensor& x, std::mt19937_64& rng)
{
    const auto spec = tsrnet_spectrogram(x, stft);
    const auto m = train_masks(card.masking, x.size(1), spec.size(2), rng);
    auto [x_hat, s] = model->forward(mask_time(x, m.time), mask_spec(spec, m.spec));
    return tsrnet_loss(x, x_hat, s);
}

int64_t score_chunk(const TsrnetCard& card)
{
    // The widest activation: the spectrogram encoder's 16*width channels
    // over (F-10) x (K-10), for every pass. Batches whose activations
    // outgrow the caches stream them through memory instead: measured on 2
    // cores, the paper-size network scored 0.61x the windows/s at batch 32
    // as at batch 1, in LibTorch and in Python PyTorch alike. 64 MiB keeps
    // 2 paper-size windows, 5 of the demo model, 11 of width 8 per forward.
    constexpr double budget = 64.0 * 1024 * 1024;
    const double per_window = 4.0 * static_cast<double>(card.masking.passes()) * 16.0 *
                              static_cast<double>(card.width) *
                              static_cast<double>(std::max<int64_t>(card.spec_bins - 10, 1)) *
                              static_cast<double>(std::max<int64_t>(card.spec_frames - 10, 1));
    return std::max<int64_t>(1, static_cast<int64_t>(budget / per_window));
}

Scores score_windows(Tsrnet& model, const TsrnetCard& card, const torch::Tensor& x,
                     const torch::Tensor& peak_mask)
{
    c10::InferenceMode guard;
    const int64_t chunk = score_chunk(card);
    if (x.device().is_cpu() && x.size(0) > chunk) {
        std::vector<torch::Tensor> plain, peak;
        for (int64_t i = 0; i < x.size(0); i += chunk) {
            const int64_t n = std::min(chunk, x.size(0) - i);
            auto sc = score_windows(model, card, x.narrow(0, i, n), peak_mask.narrow(0, i, n));
            plain.push_back(sc.plain);
            peak.push_back(sc.peak);
        }
        return { torch::cat(plain), torch::cat(peak) };
    }
    model->eval();
    const int64_t B = x.size(0), T = x.size(1), L = x.size(2);
    const auto stft = stft_of(card);
    const auto spec = tsrnet_spectrogram(x, stft);
    const int64_t K = spec.size(2);
    const int64_t passes = card.masking.passes();
    std::vector<torch::Tensor> xs, ss;
    for (int64_t j = 0; j < passes; ++j) {
        const auto m = inference_masks(card.masking, T, K, j);
        xs.push_back(mask_time(x, m.time));
        ss.push_back(mask_spec(spec, m.spec));
    }
    // Pass-major batch: rows j*B .. j*B+B-1 hold pass j.
    auto [x_hat, s] = model->forward(torch::cat(xs, 0), torch::cat(ss, 0));
    const auto err = weighted_error(x.repeat({ passes, 1, 1 }), x_hat, s); // (P*B, T, L)
    const auto plain = err.mean({ 1, 2 }).view({ passes, B }).mean(0);
    const auto m = peak_mask.to(x.device()).unsqueeze(-1).expand({ B, T, L }).repeat({ passes, 1, 1 });
    const auto num = (err * m).sum({ 1, 2 });
    const auto den = m.sum({ 1, 2 });
    const auto peak = (num / den).view({ passes, B }).mean(0); // NaN where den == 0
    return { plain.cpu(), peak.cpu() };
}

torch::Device parse_device(const std::string& name)
{
    // In a distributed run, "auto" and "cuda" mean this worker's own GPU:
    // cuda:(LOCAL_RANK mod the devices), as torchrun users expect.
    const auto own = [] {
        const auto n = static_cast<int>(torch::cuda::device_count());
        return static_cast<c10::DeviceIndex>(n > 0 ? train::dist::local_rank() % n : 0);
    };
    if (name == "auto")
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA, own())
                                           : torch::Device(torch::kCPU);
    if (name == "cpu")
        return torch::Device(torch::kCPU);
    if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
        int index = name == "cuda" && torch::cuda::is_available() ? own() : 0;
        if (name != "cuda") { // "cuda:" and beyond: a number of at most 4 digits
            const std::string n = name.substr(5);
            if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos)
                throw std::invalid_argument("device: expected 'cuda:N' with a number N, found '" +
                                            name + "'");
            index = std::stoi(n);
        }
        const auto count = torch::cuda::device_count();
        if (index >= static_cast<int>(count))
            throw std::invalid_argument(
                "device: '" + name + "' requested, but " +
                (count == 0 ? std::string("this LibTorch sees no CUDA device")
                            : std::to_string(count) + " CUDA device(s) are available"));
        return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
    }
    throw std::invalid_argument("device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', found '" +
                                name + "'");
}

LoadedTsrnet load_tsrnet(const std::string& path, const torch::Device& device)
{
    auto parts = read_model_file(path, true);
    LoadedTsrnet out;
    try {
        check_card(path, card_head(parts.card_json), { "tsrnet" });
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(e.what());
    }
    try {
        out.card = TsrnetCard::from_json(parts.card_json);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    out.model = Tsrnet(options_of(out.card));
    if (!parts.has("weights"))
        throw std::runtime_error(path + ": expected a weights section, found none");
    try {
        load_weights_bytes(*out.model, parts.section("weights"), torch::kCPU,
                           path + ": the weights section");
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(e.what());
    }
    out.model->to(device);
    out.model->eval();
    out.optimizer_state = parts.section("optimizer");
    return out;
}

void save_tsrnet(const std::string& path, TsrnetCard card, Tsrnet& model,
                 const std::string& optimizer_state)
{
    card.parameters = count_parameters(*model);
    ModelFile f;
    f.card_json = card.to_json();
    // Never write a card that every reader refuses: its own checks first.
    (void)TsrnetCard::from_json(f.card_json);
    f.sections["weights"] = weights_bytes(*model);
    if (!optimizer_state.empty())
        f.sections["optimizer"] = optimizer_state;
    write_model_file(path, f);
}

std::vector<double> to_doubles(const torch::Tensor& t)
{
    const auto c = t.to(torch::kDouble).contiguous().cpu();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

PreparedBatch prepare_batch(const torch::Tensor& windows, const TsrnetPrep& prep)
{
    TORCH_CHECK(windows.dim() == 3 && windows.size(2) == prep.window,
                "prepare_batch: expected windows (N, leads, ", prep.window, "), found ",
                windows.sizes());
    const int64_t N = windows.size(0), L = windows.size(1), T = prep.crop_length;
    PreparedBatch b{ torch::zeros({ N, T, L }), torch::zeros({ N, T }), {}, {}, {}, {} };
    // (N, window, L) time-major, as prepare_window expects.
    const auto tm = windows.to(torch::kFloat).transpose(1, 2).contiguous();
    for (int64_t i = 0; i < N; ++i) {
        const auto w = prepare_window(tm[i].data_ptr<float>(), L, prep, true);
        b.status.push_back(w.status);
        b.detail.push_back(w.detail);
        b.reason.push_back(w.reason);
        b.rpeaks.push_back(static_cast<int64_t>(w.rpeaks.size()));
        if (!has_signal(w.status))
            continue;
        std::memcpy(b.x[i].data_ptr<float>(), w.x.data(), w.x.size() * sizeof(float));
        std::memcpy(b.peak_mask[i].data_ptr<float>(), w.peak_mask.data(),
                    w.peak_mask.size() * sizeof(float));
    }
    return b;
}

Scores score_prepared(Tsrnet& model, const TsrnetCard& card, const PreparedBatch& b,
                      const torch::Device& device, int64_t batch,
                      const std::atomic<bool>* stop)
{
    TORCH_CHECK(batch > 0, "score_prepared: expected batch > 0, found ", batch);
    const auto N = static_cast<int64_t>(b.status.size());
    Scores out{ torch::full({ N }, NAN), torch::full({ N }, NAN) };
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < N; ++i)
        if (has_signal(b.status[static_cast<std::size_t>(i)]))
            idx.push_back(i);
    for (std::size_t k = 0; k < idx.size() && !(stop && stop->load());
         k += static_cast<std::size_t>(batch)) {
        const std::vector<int64_t> part(
            idx.begin() + static_cast<std::ptrdiff_t>(k),
            idx.begin() + static_cast<std::ptrdiff_t>(std::min(idx.size(), k + batch)));
        const auto sel = torch::tensor(part, torch::kLong);
        const auto sc = score_windows(model, card, b.x.index_select(0, sel).to(device),
                                      b.peak_mask.index_select(0, sel));
        out.plain.index_copy_(0, sel, sc.plain);
        out.peak.index_copy_(0, sel, sc.peak); // NaN already where the peak mask is empty
    }
    return out;
}

} // namespace models
} // namespace tfmed
