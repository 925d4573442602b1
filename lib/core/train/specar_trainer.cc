/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/benchmarks.h>
#include <tfmed/data/window_set.h>
#include <tfmed/dsp/stats.h>
#include <tfmed/io/atomic.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/specar_trainer.h>
#include <tfmed/train/trainer.h>
#include <tfmed/train/tsrnet_trainer.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace tfmed {
namespace train {

using nlohmann::json;
namespace fs = std::filesystem;

SpecarTrainConfig::SpecarTrainConfig() { apply_preset("msl"); }

void SpecarTrainConfig::apply_preset(const std::string& name)
{
    // The published anomaly-detection scripts (MODELS.md 2.3): seq_len 100,
    // batch 128, Adam at a constant rate, early stopping patience 5; STFT
    // 16/16 rectangle unless stated.
    auto& a = arch;
    a = models::SpecarOptions();
    a.task = "anomaly_detection";
    a.seq_len = 100;
    a.n_fft = a.win_length = 16;
    a.window = "rectangle";
    loop = LoopOptions();
    loop.batch = 128;
    loop.optimizer.name = "adam";
    loop.optimizer.weight_decay = 0.0;
    loop.schedule.name = "constant";
    loop.patience = 5;
    anomaly_ratio = 1.0;
    struct P {
        const char* name;
        int64_t n, d, e, m;
        double lr;
        int epochs;
        double ratio;
    };
    static const P presets[] = {
        { "smd", 38, 64, 2, 3, 5e-4, 10, 0.5 }, { "msl", 55, 8, 5, 6, 5e-3, 1, 1.0 },
        { "smap", 25, 128, 3, 3, 1e-4, 3, 1.0 }, { "swat", 51, 32, 2, 3, 1e-4, 3, 1.0 },
        { "psm", 25, 64, 2, 4, 1e-4, 3, 1.0 },
    };
    for (const auto& p : presets) {
        if (name != p.name)
            continue;
        a.enc_in = a.c_out = p.n;
        a.d_model = a.d_ff = p.d;
        a.e_layers = p.e;
        a.conv_layers = p.m;
        loop.optimizer.lr = p.lr;
        loop.epochs = p.epochs;
        anomaly_ratio = p.ratio;
        if (name == "msl") {
            a.n_fft = a.win_length = 100;
            a.window = "hamming";
        }
        data = name;
        return;
    }
    throw std::invalid_argument("--preset: expected msl, smd, smap, swat or psm, found '" + name +
                                "'");
}

namespace {

// Windows of seq_len rows of a (T, N) series starting at `starts`.
torch::Tensor gather(const torch::Tensor& series, const std::vector<int64_t>& starts, int64_t L)
{
    std::vector<torch::Tensor> w;
    w.reserve(starts.size());
    for (int64_t s : starts)
        w.push_back(series.narrow(0, s, L));
    return torch::stack(w);
}

std::vector<int64_t> starts_of(int64_t rows, int64_t L, int64_t stride)
{
    std::vector<int64_t> s;
    for (int64_t i = 0; i + L <= rows; i += stride)
        s.push_back(i);
    return s;
}

// Reconstruction of unmasked windows, MSE (the reference's AD training);
// validation = mean MSE over the validation windows.
class SpecarAdTask : public Task
{
public:
    SpecarAdTask(models::SpecarCard& card, models::SpecarNet net, torch::Tensor train,
                 std::vector<int64_t> starts, torch::Tensor val, torch::Device dev,
                 int64_t batch, json extra)
        : card_(card),
          net_(std::move(net)),
          series_(std::move(train)),
          starts_(std::move(starts)),
          val_(std::move(val)),
          dev_(dev),
          batch_(batch),
          extra_(std::move(extra))
    {
    }
    torch::nn::Module& module() override { return *net_; }
    int64_t train_size() const override { return static_cast<int64_t>(starts_.size()); }
    torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64&) override
    {
        std::vector<int64_t> s;
        s.reserve(idx.size());
        for (auto i : idx)
            s.push_back(starts_[static_cast<std::size_t>(i)]);
        const auto x = gather(series_, s, card_.arch.seq_len).to(dev_);
        return torch::mse_loss(net_->forward(x).out, x);
    }
    double validate() override
    {
        torch::NoGradGuard ng;
        double sum = 0.0;
        const int64_t n = val_.size(0);
        const int64_t ib = std::min<int64_t>(batch_, 32); // inference: a cache-sized batch
        for (int64_t b = 0; b < n; b += ib) {
            const auto x = val_.narrow(0, b, std::min(ib, n - b)).to(dev_);
            sum += torch::mse_loss(net_->forward(x).out, x, torch::Reduction::Sum).item<double>();
        }
        return sum / static_cast<double>(val_.numel());
    }
    std::string metric_name() const override { return "val_loss"; }
    std::string card_json(const std::string& training) override
    {
        auto t = json::parse(training);
        t.update(extra_);
        card_.training_json = t.dump();
        return card_.to_json();
    }

private:
    models::SpecarCard& card_;
    models::SpecarNet net_;
    torch::Tensor series_;
    std::vector<int64_t> starts_;
    torch::Tensor val_;
    torch::Device dev_;
    int64_t batch_;
    json extra_;
};

} // namespace

SpecarTrainResult train_specar(const SpecarTrainConfig& cfg, const EventSink& events,
                               const std::atomic<bool>* cancel)
{
    set_threads(cfg.threads);
    const auto dev = models::parse_device(cfg.device);
    if (cfg.arch.task != "anomaly_detection")
        throw std::invalid_argument("train specar: this version trains --task anomaly; found '" +
                                    cfg.arch.task + "'");
    if (cfg.protocol != "clean" && cfg.protocol != "reference")
        throw std::invalid_argument("--protocol: expected clean or reference, found '" +
                                    cfg.protocol + "'");
    if (cfg.train_stride < 1)
        throw std::invalid_argument("--train-stride: expected >= 1, found " +
                                    std::to_string(cfg.train_stride));
    if (!(cfg.anomaly_ratio > 0 && cfg.anomaly_ratio < 100))
        throw std::invalid_argument("--anomaly-ratio: expected a percentage in (0, 100), found " +
                                    std::to_string(cfg.anomaly_ratio));
    io::check_writable(cfg.out);
    const io::OutputLock lock(cfg.out, "training SpecAR-Net into " + cfg.out);
    const std::string ckpt = cfg.out + ".ckpt";
    if (cfg.data != "msl")
        throw std::invalid_argument("--data: expected msl (anomaly detection), found '" +
                                    cfg.data + "'");
    const std::string dir = cfg.data_dir.empty() ? data::default_data_dir() : cfg.data_dir;
    const auto msl = data::load_msl(dir);

    models::SpecarCard card;
    card.arch = cfg.arch;
    card.arch.enc_in = card.arch.c_out = msl.train.size(1);
    card.arch.validate();
    card.sample_rate = 1.0;
    for (int64_t c = 0; c < msl.train.size(1); ++c)
        card.channel_names.push_back(c == 0 ? "value" : "cmd" + std::to_string(c));
    card.mean = models::to_doubles(msl.mean);
    card.std = models::to_doubles(msl.std);
    card.anomaly_ratio = cfg.anomaly_ratio;
    card.version = TFMED_VERSION;
    const int64_t L = card.arch.seq_len;

    // Protocol: clean = validation from the last 20 % of the training rows;
    // reference = the test split validates (the published scripts).
    const int64_t rows = msl.train.size(0);
    const int64_t fit_rows = cfg.protocol == "clean" ? rows - rows / 5 : rows;
    auto starts = starts_of(fit_rows, L, cfg.train_stride);
    if (cfg.max_train_windows > 0 && static_cast<int64_t>(starts.size()) > cfg.max_train_windows)
        starts.resize(static_cast<std::size_t>(cfg.max_train_windows));
    const auto val_series =
        cfg.protocol == "clean" ? msl.train.narrow(0, fit_rows, rows - fit_rows) : msl.test;
    const auto val = gather(val_series, starts_of(val_series.size(0), L, L), L);
    json data = { { "source", "msl" },
                  { "channels", msl.channels },
                  { "train_rows", rows },
                  { "test_rows", msl.test.size(0) },
                  { "protocol", cfg.protocol },
                  { "train_stride", cfg.train_stride },
                  { "train_windows", starts.size() },
                  { "val_windows", val.size(0) },
                  { "scaling", "StandardScaler fitted on train" } };
    card.data_json = data.dump();

    if (!cfg.resume)
        fs::remove(ckpt);
    torch::manual_seed(cfg.loop.seed);
    models::SpecarNet net(card.arch);
    net->to(dev);
    LoopOptions lo = cfg.loop;
    lo.checkpoint = ckpt;
    const json extra = { { "device", dev.str() }, { "threads", at::get_num_threads() } };
    SpecarAdTask task(card, net, msl.train, starts, val, dev, lo.batch, extra);
    if (events) {
        Event ev;
        ev.kind = Event::Kind::started;
        ev.message = "MSL: " + std::to_string(msl.channels.size()) + " channels, " +
                     std::to_string(rows) + " train / " + std::to_string(msl.test.size(0)) +
                     " test rows; " + std::to_string(starts.size()) + " training windows of " +
                     std::to_string(L) + " (stride " + std::to_string(cfg.train_stride) + "), " +
                     std::to_string(val.size(0)) + " validation windows (" + cfg.protocol +
                     " protocol)";
        events(ev);
    }
    const auto r = run(task, lo, dev, cfg.resume, events, cancel);
    SpecarTrainResult out;
    out.checkpoint = ckpt;
    out.epochs_done = r.epochs_done;
    out.best_epoch = r.best_epoch;
    out.best_val_loss = r.best_metric;
    out.history_json = r.history_json;
    out.training_json = r.training_json;
    out.train_windows = static_cast<int64_t>(starts.size());
    out.val_windows = val.size(0);
    if (!r.completed || (cancel && cancel->load()))
        return out;

    // Threshold from training energies only (non-overlapping windows over all
    // train rows): the streaming-safe choice (TSLib #628).
    net->eval();
    torch::NoGradGuard ng;
    const auto tw = gather(msl.train, starts_of(rows, L, L), L);
    std::vector<double> energies;
    const int64_t ib = std::min<int64_t>(lo.batch, 32); // inference: a cache-sized batch
    for (int64_t b = 0; b < tw.size(0); b += ib) {
        const auto x = tw.narrow(0, b, std::min(ib, tw.size(0) - b)).to(dev);
        const auto e = (x - net->forward(x).out).pow(2).mean(-1).flatten().cpu();
        const auto d = models::to_doubles(e);
        energies.insert(energies.end(), d.begin(), d.end());
    }
    card.threshold = dsp::quantile(energies, 1.0 - cfg.anomaly_ratio / 100.0);
    card.threshold_from = "train";
    if (!std::isfinite(card.threshold))
        throw std::runtime_error("train specar: the calibrated threshold is not finite; no "
                                 "model written");
    {
        auto t = json::parse(r.training_json);
        t.update(extra);
        card.training_json = t.dump();
    }
    card.metrics_json = json{ { "best_epoch", r.best_epoch },
                              { "best_val_loss", r.best_metric },
                              { "threshold", card.threshold },
                              { "threshold_energies", energies.size() } }
                            .dump();
    models::save_specar(cfg.out, card, net);
    out.completed = true;
    out.model_path = cfg.out;
    out.threshold = card.threshold;
    int64_t n = 0;
    for (const auto& p : net->parameters())
        n += p.numel();
    out.parameters = n;
    char line[512];
    std::snprintf(line, sizeof line,
                  "model %s: %lld parameters, best epoch %d (val loss %.5f), threshold %.6f "
                  "(%.2f%% of %zu training energies above it)",
                  cfg.out.c_str(), static_cast<long long>(n), r.best_epoch, r.best_metric,
                  card.threshold, cfg.anomaly_ratio, energies.size());
    out.summary = line;
    return out;
}

} // namespace train
} // namespace tfmed
