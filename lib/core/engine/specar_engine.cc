/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/train/runtime.h>
#include <tfmed/engine/serve.h>
#include <tfmed/engine/specar_engine.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/tsrnet_pipeline.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tfmed {
namespace engine {

struct SpecarEngine::Impl {
    models::LoadedSpecar m;
    torch::Device device{ torch::kCPU };
    int threads = 1;
    torch::Tensor mean, std; // (channels) or undefined

    void prepare()
    {
        if (at::get_num_threads() != threads)
            at::set_num_threads(threads);
    }
    torch::Tensor windows(const float* w, int64_t n) const
    {
        const auto& a = m.card.arch;
        return torch::from_blob(const_cast<float*>(w), { n, a.seq_len, a.enc_in }).clone();
    }
    torch::Tensor standardise(const torch::Tensor& x) const
    {
        return mean.defined() ? (x - mean) / std : x;
    }
    torch::Tensor physical(const torch::Tensor& x) const
    {
        return mean.defined() ? x * std + mean : x;
    }
    torch::Tensor marks(const float* mk, int64_t n) const
    {
        const auto& a = m.card.arch;
        if (a.time_features == 0)
            return {};
        if (!mk) // the embedding would be built without them: other numbers
            throw std::invalid_argument("SpecAR-Net: the model takes " +
                                        std::to_string(a.time_features) +
                                        " time features per step, none were given");
        return torch::from_blob(const_cast<float*>(mk), { n, a.seq_len, a.time_features })
            .to(device);
    }
    // Per window: true when every sample is finite.
    static torch::Tensor finite_windows(const torch::Tensor& x)
    {
        return torch::isfinite(x).flatten(1).all(1);
    }
    // Standardised windows on the device (non-finite samples zeroed) and,
    // per window, whether every sample was finite.
    std::pair<torch::Tensor, torch::Tensor> input(const float* w, int64_t n) const
    {
        const auto x = standardise(windows(w, n));
        return { torch::nan_to_num(x, 0.0, 0.0, 0.0).to(device), finite_windows(x) };
    }
    // NaN for every output of a window that had a non-finite sample.
    static std::vector<float> vec_valid(torch::Tensor t, const torch::Tensor& ok)
    {
        std::vector<int64_t> shape(static_cast<std::size_t>(t.dim()), 1);
        shape[0] = t.size(0);
        t.masked_fill_(~ok.view(shape), std::numeric_limits<float>::quiet_NaN());
        return vec(t);
    }
    static std::vector<float> vec(const torch::Tensor& t)
    {
        const auto c = t.to(torch::kCPU, torch::kFloat).contiguous();
        return { c.data_ptr<float>(), c.data_ptr<float>() + c.numel() };
    }
};

SpecarEngine::SpecarEngine(const std::string& path, const std::string& device, int threads)
    : d_(std::make_unique<Impl>())
{
    tune_allocator(); // LibTorch runs on a worker or scheduler thread
    train::check_threads(threads, 1, "SpecarEngine");
    d_->device = models::parse_device(device);
    d_->threads = threads;
    d_->m = models::load_specar(path, d_->device);
    d_->m.net->eval();
    const auto& c = d_->m.card;
    if (!c.mean.empty()) {
        d_->mean = torch::tensor(c.mean, torch::kDouble).to(torch::kFloat);
        d_->std = torch::tensor(c.std, torch::kDouble).to(torch::kFloat);
    }
}

SpecarEngine::~SpecarEngine() = default;

const models::SpecarCard& SpecarEngine::card() const { return d_->m.card; }
std::string SpecarEngine::device() const { return d_->device.str(); }
int64_t SpecarEngine::channels() const { return d_->m.card.arch.enc_in; }
int64_t SpecarEngine::window() const { return d_->m.card.arch.seq_len; }

std::vector<float> SpecarEngine::energy(const float* w, int64_t n)
{
    d_->prepare();
    torch::NoGradGuard ng;
    const auto [xs, ok] = d_->input(w, n);
    return Impl::vec_valid((xs - d_->m.net->forward(xs).out).pow(2).mean(-1).cpu(), ok);
}

std::vector<float> SpecarEngine::forecast(const float* w, const float* marks, int64_t n)
{
    d_->prepare();
    torch::NoGradGuard ng;
    const auto [xs, ok] = d_->input(w, n);
    return Impl::vec_valid(d_->physical(d_->m.net->forward(xs, d_->marks(marks, n)).out.cpu()),
                           ok);
}

std::vector<float> SpecarEngine::impute(const float* w, const float* marks, int64_t n)
{
    d_->prepare();
    torch::NoGradGuard ng;
    const auto raw = d_->windows(w, n);
    const auto observed = torch::isfinite(raw);
    const auto x = torch::where(observed, d_->standardise(raw), torch::zeros_like(raw));
    const auto mask = observed.to(torch::kFloat);
    const auto out = d_->physical(
        d_->m.net->forward(x.to(d_->device), d_->marks(marks, n), mask.to(d_->device)).out.cpu());
    return Impl::vec(torch::where(observed, raw, out));
}

std::vector<float> SpecarEngine::classify(const float* w, int64_t n)
{
    d_->prepare();
    torch::NoGradGuard ng;
    const auto [xs, ok] = d_->input(w, n);
    const auto pad = torch::ones({ n, d_->m.card.arch.seq_len }, xs.options());
    return Impl::vec_valid(torch::softmax(d_->m.net->forward(xs, {}, pad).out, -1).cpu(), ok);
}

namespace {
// A served batch's windows and outputs: samples and time features per window,
// values per result.
struct BatchShape {
    int64_t win, ch, tf, per;
};

// One served batch: the queued windows (samples, then time features) split
// into the worker's buffers `xs` and `ms`, run, the results written to `out`.
void run_batch(SpecarEngine& e, const std::string& task, const BatchShape& b, const float* x,
               int64_t n, SpecarResult* out, std::vector<float>& xs, std::vector<float>& ms)
{
    const int64_t win = b.win, ch = b.ch, tf = b.tf, per = b.per;
    const int64_t stride = win * ch + win * tf;
    xs.resize(static_cast<std::size_t>(n * win * ch));
    ms.resize(static_cast<std::size_t>(n * win * tf));
    for (int64_t i = 0; i < n; ++i) {
        std::copy(x + i * stride, x + i * stride + win * ch, xs.begin() + i * win * ch);
        std::copy(x + i * stride + win * ch, x + (i + 1) * stride, ms.begin() + i * win * tf);
    }
    const float* mp = tf ? ms.data() : nullptr;
    const std::vector<float> r = task == "imputation"           ? e.impute(xs.data(), mp, n)
                                 : task == "anomaly_detection"  ? e.energy(xs.data(), n)
                                 : task == "long_term_forecast" ? e.forecast(xs.data(), mp, n)
                                                                : e.classify(xs.data(), n);
    for (int64_t i = 0; i < n; ++i) {
        auto& o = out[i];
        o.values.assign(r.begin() + i * per, r.begin() + (i + 1) * per);
        o.error.clear();
        o.filled.clear();
        if (task == "imputation") { // per sample, the channels that were missing
            const float* w = xs.data() + i * win * ch;
            o.filled.resize(static_cast<std::size_t>(win));
            for (int64_t t = 0; t < win; ++t) {
                int f = 0;
                for (int64_t c = 0; c < ch; ++c)
                    f += !std::isfinite(w[t * ch + c]);
                o.filled[static_cast<std::size_t>(t)] = f;
            }
        }
    }
}
} // namespace

std::shared_ptr<SpecarService> serve_specar(const std::string& path, const std::string& device,
                                            int threads, const ServeOptions& o, bool shared)
{
    o.validate("tfmed.specar");
    auto make = [&] {
        auto svc = std::make_shared<SpecarService>();
        svc->engine = std::make_shared<SpecarEngine>(path, device, threads);
        auto e = svc->engine;
        const auto& a = e->card().arch;
        const int64_t win = a.seq_len, ch = a.enc_in, tf = specar_marks_per_step(a);
        const std::string task = a.task;
        const int64_t per = task == "anomaly_detection"    ? win
                            : task == "long_term_forecast" ? a.pred_len * ch
                            : task == "imputation"         ? win * ch
                                                           : static_cast<int64_t>(
                                                                 e->card().class_names.size());
        // The worker's own buffers for splitting the queued windows.
        auto xs = std::make_shared<std::vector<float>>();
        auto ms = std::make_shared<std::vector<float>>();
        svc->server = std::make_shared<SpecarServer>(
            win * ch + win * tf, o,
            [e, win, ch, tf, task, per, xs, ms](const float* x, int64_t n, SpecarResult* out) {
                const BatchShape b{ win, ch, tf, per };
                if (task != "imputation")
                    return run_batch(*e, task, b, x, n, out, *xs, *ms);
                try {
                    run_batch(*e, task, b, x, n, out, *xs, *ms);
                } catch (const std::exception& ex) {
                    // The windows as they came, from the queue's own copy:
                    // observed samples pass unchanged when the network (or
                    // memory for the batch's buffers) fails, the missing ones
                    // stay NaN, none filled.
                    const std::string failed = SpecarServer::first_line(ex.what());
                    for (int64_t i = 0; i < n; ++i) {
                        auto& o = out[i];
                        const float* w = x + i * (win * ch + win * tf);
                        o.values.assign(w, w + win * ch);
                        o.filled.assign(static_cast<std::size_t>(win), 0);
                        o.error = failed;
                    }
                }
            },
            [per, win, task](const std::string& what) {
                // (Imputation keeps its windows as they came above; this is
                // for what even that could not do: NaN, flagged invalid.)
                SpecarResult r;
                r.values.assign(static_cast<std::size_t>(per), std::nanf(""));
                if (task == "imputation")
                    r.filled.assign(static_cast<std::size_t>(win), 0);
                r.error = what;
                return r;
            });
        return svc;
    };
    const std::string key =
        shared ? service_key("specar", path, models::parse_device(device).str(), threads, "", o)
               : std::string();
    return open_service<SpecarService>(shared, key, make);
}

void write_untrained_specar(const std::string& path, const models::SpecarCard& card,
                            uint64_t seed)
{
    card.validate();
    torch::manual_seed(seed);
    models::SpecarNet net(card.arch);
    models::save_specar(path, card, net);
}

} // namespace engine
} // namespace tfmed
