/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/models/tsrnet_pipeline.h>

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace tfmed {
namespace engine {

struct TsrnetEngine::Impl {
    models::LoadedTsrnet m;
    torch::Device device{ torch::kCPU };
    int threads = 1;
};

TsrnetEngine::TsrnetEngine(const std::string& path, const std::string& device, int threads)
    : d_(std::make_unique<Impl>())
{
    if (threads < 1)
        throw std::invalid_argument("TsrnetEngine: expected threads >= 1, found " +
                                    std::to_string(threads));
    d_->device = models::parse_device(device);
    d_->threads = threads;
    d_->m = models::load_tsrnet(path, d_->device);
}

TsrnetEngine::~TsrnetEngine() = default;

const models::TsrnetCard& TsrnetEngine::card() const { return d_->m.card; }

std::string TsrnetEngine::device() const { return d_->device.str(); }

std::vector<TsrnetResult> TsrnetEngine::score(const float* windows, int64_t n)
{
    // The intra-op pool size is per thread of the caller in LibTorch; set it
    // where the model runs (a block's own thread).
    if (at::get_num_threads() != d_->threads)
        at::set_num_threads(d_->threads);
    const auto& card = d_->m.card;
    const int64_t L = card.leads, W = card.window(), T = card.prep.crop_length;
    const bool peak = card.score == "peak";
    std::vector<TsrnetResult> out(static_cast<std::size_t>(n));
    std::vector<int64_t> ok;
    auto x = torch::zeros({ n, T, L });
    auto pm = torch::zeros({ n, T });
    for (int64_t i = 0; i < n; ++i) {
        auto w = models::prepare_window(windows + i * W * L, L, card.prep, true);
        auto& r = out[static_cast<std::size_t>(i)];
        r.status = w.status;
        r.detail = w.detail;
        r.rpeaks = static_cast<int64_t>(w.rpeaks.size());
        // Without peaks the plain score still exists; the Peak-based one does not.
        const bool usable = w.status == models::WindowStatus::ok ||
                            (w.status == models::WindowStatus::no_rpeaks && !peak);
        if (!usable) {
            r.score = r.plain = r.peak = std::nanf("");
            continue;
        }
        if (w.status == models::WindowStatus::no_rpeaks)
            r.status = models::WindowStatus::ok;
        std::memcpy(x[i].data_ptr<float>(), w.x.data(), w.x.size() * sizeof(float));
        std::memcpy(pm[i].data_ptr<float>(), w.peak_mask.data(),
                    w.peak_mask.size() * sizeof(float));
        ok.push_back(i);
    }
    if (ok.empty())
        return out;
    const auto idx = torch::tensor(ok, torch::kLong);
    const auto s = models::score_windows(d_->m.model, card,
                                         x.index_select(0, idx).to(d_->device),
                                         pm.index_select(0, idx));
    auto plain = s.plain.accessor<float, 1>();
    auto pk = s.peak.accessor<float, 1>();
    for (std::size_t k = 0; k < ok.size(); ++k) {
        auto& r = out[static_cast<std::size_t>(ok[k])];
        r.plain = plain[static_cast<int64_t>(k)];
        r.peak = pk[static_cast<int64_t>(k)];
        r.score = peak ? r.peak : r.plain;
    }
    return out;
}

void write_untrained_tsrnet(const std::string& path, const models::TsrnetCard& card,
                            uint64_t seed)
{
    card.validate();
    torch::manual_seed(seed);
    models::Tsrnet net(models::options_of(card));
    models::save_tsrnet(path, card, net);
}

} // namespace engine
} // namespace tfmed
