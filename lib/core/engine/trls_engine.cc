/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/engine/serve.h>
#include <tfmed/engine/trls_engine.h>
#include <tfmed/models/trls_card.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/runtime.h>

#include <torch/torch.h>

#include <limits>
#include <stdexcept>

namespace tfmed {
namespace engine {

struct TrlsEngine::Impl {
    models::LoadedTrls m;
    torch::Device device{ torch::kCPU };
    int threads = 1;

    void prepare() const
    {
        if (at::get_num_threads() != threads)
            at::set_num_threads(threads);
    }
    // Embeddings and probabilities of images (n, F, T); NaN rows where !ok.
    void run(const torch::Tensor& img, const torch::Tensor& ok, std::vector<float>& emb,
             std::vector<float>& prob)
    {
        torch::NoGradGuard ng;
        auto e = m.net->embed(img.to(device));
        torch::Tensor p;
        if (m.net->head)
            p = torch::softmax(m.net->head->forward(e), 1);
        auto nan_rows = [&](torch::Tensor t) {
            t = t.to(torch::kCPU, torch::kFloat).contiguous();
            t.masked_fill_(~ok.view({ -1, 1 }), std::numeric_limits<float>::quiet_NaN());
            return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
        };
        emb = nan_rows(e);
        prob = p.defined() ? nan_rows(p) : std::vector<float>();
    }
};

TrlsEngine::TrlsEngine(const std::string& path, const std::string& device, int threads)
    : d_(std::make_unique<Impl>())
{
    tune_allocator(); // LibTorch runs on a worker or scheduler thread
    train::check_threads(threads, 1, "TrlsEngine");
    d_->threads = threads;
    d_->device = models::parse_device(device);
    // (No prepare() here: at::set_num_threads on the constructing thread, a
    // GUI's or the CLI's, became every later LibTorch user's thread count.
    // Each batch sets the engine's threads on the thread that runs it.)
    d_->m = models::load_trls(path, d_->device);
}

TrlsEngine::~TrlsEngine() = default;

int64_t TrlsEngine::channels() const { return d_->m.card.arch.channels; }
int64_t TrlsEngine::length() const { return d_->m.card.arch.length; }
int64_t TrlsEngine::bins() const { return d_->m.card.arch.bins(); }
int64_t TrlsEngine::frames() const { return d_->m.card.arch.frames(); }
int64_t TrlsEngine::n_fft() const { return d_->m.card.arch.n_fft; }
int64_t TrlsEngine::hop() const { return d_->m.card.arch.effective_hop(); }
std::string TrlsEngine::stft_spec() const { return d_->m.card.arch.stft().to_string(); }
int64_t TrlsEngine::embedding() const { return d_->m.card.arch.embedding(); }
int64_t TrlsEngine::num_class() const { return d_->m.card.arch.num_class; }
double TrlsEngine::sample_rate() const { return d_->m.card.sample_rate; }
std::string TrlsEngine::scaling() const { return d_->m.card.scaling; }
std::vector<std::string> TrlsEngine::class_names() const { return d_->m.card.class_names; }
std::string TrlsEngine::card_json() const { return d_->m.card.to_json(); }
std::string TrlsEngine::device() const { return d_->device.str(); }

void TrlsEngine::from_samples(const float* w, int64_t n, std::vector<float>& emb,
                              std::vector<float>& prob)
{
    d_->prepare();
    const auto& a = d_->m.card.arch;
    auto x = torch::from_blob(const_cast<float*>(w), { n, a.length, a.channels })
                 .permute({ 0, 2, 1 })
                 .contiguous();
    const auto ok = torch::isfinite(x).flatten(1).all(1);
    x = torch::nan_to_num(d_->m.card.scale(x), 0.0, 0.0, 0.0);
    d_->run(models::spectrogram(x, a), ok, emb, prob);
}

void TrlsEngine::from_frames(const float* f, int64_t n, std::vector<float>& emb,
                             std::vector<float>& prob)
{
    d_->prepare();
    const auto& a = d_->m.card.arch;
    if (d_->m.card.scaling != "none")
        throw std::invalid_argument(
            "TRLS: this model was trained on windows min-max scaled per time index (TS-TCC), "
            "which cannot be applied to STFT frames; feed raw samples, or train with "
            "--scaling none");
    auto m = torch::from_blob(const_cast<float*>(f), { n, a.frames(), a.features() })
                 .transpose(1, 2)
                 .contiguous(); // (n, C * bins, T)
    const auto ok = torch::isfinite(m).flatten(1).all(1);
    const auto img = models::normalise_image(
        torch::log1p(torch::nan_to_num(m, 0.0, 0.0, 0.0).clamp_min(0)), a);
    d_->run(img, ok, emb, prob);
}

std::shared_ptr<TrlsService> serve_trls(const std::string& path, const std::string& device,
                                        int threads, bool frames, const ServeOptions& o,
                                        bool shared)
{
    o.validate("tfrnn_encoder");
    auto make = [&] {
        auto svc = std::make_shared<TrlsService>();
        svc->engine = std::make_shared<TrlsEngine>(path, device, threads);
        auto e = svc->engine;
        const int64_t per = frames ? e->frames() * e->channels() * e->bins()
                                   : e->length() * e->channels();
        const auto emb = static_cast<std::size_t>(e->embedding());
        const auto k = static_cast<std::size_t>(e->num_class());
        // The worker's own buffers: one allocation per batch for the outputs.
        auto out_e = std::make_shared<std::vector<float>>();
        auto out_p = std::make_shared<std::vector<float>>();
        svc->server = std::make_shared<TrlsServer>(
            per, o,
            [e, frames, emb, k, out_e, out_p](const float* x, int64_t n, TrlsResult* out) {
                const auto flat = frames ? trls_flat_windows(x, n, e->frames(), e->channels(),
                                                             e->bins())
                                         : trls_flat_windows(x, n, e->length(), e->channels());
                for (int64_t i = 0; i < n; ++i)
                    out[i].flat = flat[static_cast<std::size_t>(i)] != 0;
                if (frames)
                    e->from_frames(x, n, *out_e, *out_p);
                else
                    e->from_samples(x, n, *out_e, *out_p);
                for (int64_t i = 0; i < n; ++i) {
                    auto& r = out[i];
                    r.emb.assign(out_e->begin() + i * static_cast<int64_t>(emb),
                                 out_e->begin() + (i + 1) * static_cast<int64_t>(emb));
                    if (k)
                        r.prob.assign(out_p->begin() + i * static_cast<int64_t>(k),
                                      out_p->begin() + (i + 1) * static_cast<int64_t>(k));
                    else
                        r.prob.clear();
                    r.error.clear();
                    if (r.flat) {
                        std::fill(r.emb.begin(), r.emb.end(), std::nanf(""));
                        std::fill(r.prob.begin(), r.prob.end(), std::nanf(""));
                    }
                }
            },
            [emb, k](const std::string& what) {
                TrlsResult r;
                r.emb.assign(emb, std::nanf(""));
                r.prob.assign(k, std::nanf(""));
                r.error = what;
                return r;
            });
        return svc;
    };
    const std::string key =
        shared ? service_key("trls", path, models::parse_device(device).str(), threads, frames ? "frames" : "samples", o)
               : std::string();
    return open_service<TrlsService>(shared, key, make);
}

std::vector<uint8_t> trls_flat_windows(const float* x, int64_t n, int64_t steps,
                                       int64_t channels, int64_t block)
{
    const int64_t step = channels * block, per = steps * step;
    std::vector<uint8_t> flat(static_cast<std::size_t>(std::max<int64_t>(n, 0)), 0);
    for (int64_t i = 0; i < n; ++i) {
        const float* w = x + i * per;
        bool any = false;
        for (int64_t c = 0; c < channels && !any; ++c) {
            bool same = true;
            for (int64_t t = 1; t < steps && same; ++t)
                same = std::equal(w + t * step + c * block, w + t * step + (c + 1) * block,
                                  w + c * block);
            any = same;
        }
        flat[static_cast<std::size_t>(i)] = any ? 1 : 0;
    }
    return flat;
}

void write_untrained_trls(const std::string& path, const UntrainedTrls& u, uint64_t seed)
{
    models::TrlsCard c;
    auto& a = c.arch;
    a.channels = u.channels;
    a.length = u.length;
    a.n_fft = u.n_fft;
    a.hop = u.hop;
    a.hidden = 8;
    a.blocks = 1;
    a.f_h = 8;
    a.scales = 3;
    a.num_class = u.num_class;
    for (int k = 0; k < u.num_class; ++k)
        c.class_names.push_back("class" + std::to_string(k));
    c.sample_rate = u.sample_rate;
    if (u.minmax) {
        c.scaling = "minmax";
        c.scale_min.assign(static_cast<std::size_t>(u.length), 0.0);
        c.scale_max.assign(static_cast<std::size_t>(u.length), 1.0);
    }
    c.version = TFMED_VERSION;
    torch::manual_seed(seed);
    models::TrlsClassifier net(a);
    net->eval();
    models::save_trls(path, c, net);
}

} // namespace engine
} // namespace tfmed
