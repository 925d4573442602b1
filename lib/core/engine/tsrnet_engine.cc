/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/train/runtime.h>
#include <tfmed/engine/serve.h>
#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/models/sqi.h>
#include <tfmed/models/tsrnet_pipeline.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tfmed {
namespace engine {

struct TsrnetEngine::Impl {
    models::LoadedTsrnet m;
    torch::Device device{ torch::kCPU };
    int threads = 1;
    bool gate = true;
};

TsrnetEngine::TsrnetEngine(const std::string& path, const std::string& device, int threads,
                           bool quality_gate)
    : d_(std::make_unique<Impl>())
{
    tune_allocator(); // LibTorch runs on a worker or scheduler thread
    train::check_threads(threads, 1, "TsrnetEngine");
    d_->device = models::parse_device(device);
    d_->threads = threads;
    d_->m = models::load_tsrnet(path, d_->device);
    d_->gate = quality_gate && d_->m.card.quality.enabled;
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
    const int64_t L = card.leads, W = card.window();
    const bool peak = card.score == "peak";
    // (n, W, L) time-major buffer -> (n, L, W), as prepare_batch takes it.
    const auto raw = torch::from_blob(const_cast<float*>(windows), { n, W, L }).transpose(1, 2);
    auto pb = models::prepare_batch(raw, card.prep);
    if (d_->gate) {
        // Is there an ECG at all? Noise, clipping and artefact can look
        // "normal" to the network; such windows are flagged, not scored.
        for (int64_t i = 0; i < n; ++i) {
            auto& st = pb.status[static_cast<std::size_t>(i)];
            if (!models::has_signal(st))
                continue;
            for (int64_t c = 0; c < L; ++c) {
                const auto q = models::lead_quality(windows + i * W * L + c, W, L,
                                                    card.prep.sample_rate, card.prep.crop_begin,
                                                    card.prep.crop_length, card.quality);
                if (q.poor()) {
                    st = models::WindowStatus::poor_quality;
                    pb.detail[static_cast<std::size_t>(i)] =
                        "lead " + std::to_string(c) + ": " + q.describe(card.quality);
                    pb.reason[static_cast<std::size_t>(i)] =
                        "lead " + std::to_string(c) + ": " + models::quality_reasons(q.reasons);
                    break;
                }
            }
        }
    }
    models::Scores sc;
    try {
        sc = models::score_prepared(d_->m.model, card, pb, d_->device, std::max<int64_t>(n, 1));
    } catch (const c10::Error& e) {
        // One line for people; LibTorch's backtrace is not a message.
        std::string m = e.what_without_backtrace();
        throw std::runtime_error("TSRNet scoring failed: " + m.substr(0, m.find('\n')));
    }
    auto plain = sc.plain.accessor<float, 1>();
    auto pk = sc.peak.accessor<float, 1>();
    std::vector<TsrnetResult> out(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        auto& r = out[static_cast<std::size_t>(i)];
        const auto st = pb.status[static_cast<std::size_t>(i)];
        r.plain = plain[i];
        r.peak = pk[i];
        r.rpeaks = pb.rpeaks[static_cast<std::size_t>(i)];
        // Without R peaks the plain score still exists; the Peak-based one does not.
        const bool flagged = !models::has_signal(st) ||
                             (st == models::WindowStatus::no_rpeaks && peak);
        r.status = flagged ? st : models::WindowStatus::ok;
        r.detail = flagged ? pb.detail[static_cast<std::size_t>(i)] : std::string();
        r.reason = flagged ? pb.reason[static_cast<std::size_t>(i)] : std::string();
        r.score = flagged ? std::nanf("") : (peak ? r.peak : r.plain);
        // The NaN contract: a score that is not a finite number never leaves
        // as one, whatever caused it.
        if (!flagged && !std::isfinite(r.score)) {
            r.status = models::WindowStatus::score_non_finite;
            r.detail = "the network gave a non-finite score (" +
                       std::string(std::isnan(r.score) ? "NaN" : "Inf") + ")";
            r.reason = "non_finite_score";
            r.score = std::nanf("");
        }
    }
    return out;
}

std::shared_ptr<TsrnetService> serve_tsrnet(const std::string& path, const std::string& device,
                                            int threads, bool quality_gate,
                                            const ServeOptions& o, bool shared)
{
    o.validate("tsrnet_scorer");
    auto make = [&] {
        auto svc = std::make_shared<TsrnetService>();
        svc->engine = std::make_shared<TsrnetEngine>(path, device, threads, quality_gate);
        const auto& c = svc->engine->card();
        auto e = svc->engine;
        svc->server = std::make_shared<TsrnetServer>(
            c.window() * c.leads, o,
            [e](const float* x, int64_t n, TsrnetResult* out) {
                auto r = e->score(x, n);
                std::move(r.begin(), r.end(), out);
            },
            [](const std::string& what) {
                TsrnetResult r;
                r.score = r.plain = r.peak = std::nanf("");
                r.status = models::WindowStatus::score_non_finite;
                r.detail = what;
                r.reason = "inference_failed";
                return r;
            });
        return svc;
    };
    const std::string key =
        shared ? service_key("tsrnet", path, models::parse_device(device).str(), threads, quality_gate ? "g1" : "g0", o)
               : std::string();
    return open_service<TsrnetService>(shared, key, make);
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
