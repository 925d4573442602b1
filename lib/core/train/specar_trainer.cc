/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/train/distributed.h>
#include <tfmed/train/runtime.h>
#include <tfmed/data/benchmarks.h>
#include <tfmed/data/window_set.h>
#include <tfmed/dsp/stats.h>
#include <tfmed/io/atomic.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/specar_data.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/specar_trainer.h>
#include <tfmed/train/trainer.h>
#include <tfmed/train/tsrnet_trainer.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>

namespace tfmed {
namespace train {

using nlohmann::json;
namespace fs = std::filesystem;

SpecarTrainConfig::SpecarTrainConfig() { apply_preset("msl"); }

std::vector<std::string> SpecarTrainConfig::presets()
{
    return { "msl",      "smd",      "smap",     "swat",         "psm",
             "jv",       "basicmotions",         "etth1-96",     "etth1-192",
             "etth1-336", "etth1-720", "etth2-96", "etth2-192",   "etth2-336",
             "etth2-720", "etth1-impute", "etth2-impute" };
}

void SpecarTrainConfig::apply_preset(const std::string& name)
{
    // Every reference script: STFT 16/16 rectangle at hop 1 unless stated,
    // Adam at a constant rate (MODELS.md 2.8 item 1).
    auto& a = arch;
    a = models::SpecarOptions();
    a.n_fft = a.win_length = 16;
    a.window = "rectangle";
    loop = LoopOptions();
    loop.ties_improve = true; // TSLib's EarlyStopping: a tie is an improvement
    loop.optimizer.name = "adam";
    loop.optimizer.weight_decay = 0.0;
    loop.schedule.name = "constant";
    anomaly_ratio = 1.0;
    top_weight = 0.001;
    mask_rate = 0.125;
    protocol = "clean";
    // Anomaly detection (MODELS.md 2.3): seq_len 100, batch 128, patience 5.
    struct Ad {
        const char* name;
        int64_t n, d, e, m;
        double lr;
        int epochs;
        double ratio;
    };
    static const Ad ad[] = {
        { "smd", 38, 64, 2, 3, 5e-4, 10, 0.5 }, { "msl", 55, 8, 5, 6, 5e-3, 1, 1.0 },
        { "smap", 25, 128, 3, 3, 1e-4, 3, 1.0 }, { "swat", 51, 32, 2, 3, 1e-4, 3, 1.0 },
        { "psm", 25, 64, 2, 4, 1e-4, 3, 1.0 },
    };
    for (const auto& p : ad) {
        if (name != p.name)
            continue;
        a.task = "anomaly_detection";
        a.seq_len = 100;
        a.enc_in = a.c_out = p.n;
        a.d_model = a.d_ff = p.d;
        a.e_layers = p.e;
        a.conv_layers = p.m;
        loop.batch = 128;
        loop.patience = 5;
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
    // Classification (MODELS.md 2.4): batch 16, 30 epochs, patience 10,
    // gradient norm clipped at 4. JapaneseVowels as the script; BasicMotions
    // is not among the paper's ten: ours, JV's network at d_model 32.
    if (name == "jv" || name == "basicmotions") {
        a.task = "classification";
        a.e_layers = 3;
        a.conv_layers = 3;
        a.d_model = a.d_ff = name == "jv" ? 64 : 32;
        loop.batch = 16;
        loop.epochs = 30;
        loop.patience = 10;
        loop.clip_grad_norm = 4.0;
        loop.optimizer.lr = name == "jv" ? 4e-4 : 1e-3;
        data = name == "jv" ? "JapaneseVowels" : "BasicMotions";
        a.seq_len = 0; // set from the data
        return;
    }
    // ETT (MODELS.md 2.5): seq_len 96.
    const std::string ett = name.substr(0, 5);
    if (ett == "etth1" || ett == "etth2") {
        const std::string rest = name.size() > 6 ? name.substr(6) : "";
        data = ett == "etth1" ? "ETTh1" : "ETTh2";
        a.seq_len = 96;
        a.enc_in = a.c_out = 7;
        a.time_features = 4;
        if (rest == "impute") {
            // E 2, M 3, D = Dff = 64 (ETTh1) or 32 (ETTh2's script), STFT
            // 4/4, lr 1e-3, batch 16; 10 epochs, patience 5: the published
            // run.py's defaults (its imputation scripts pass neither;
            // upstream TSLib's are 3).
            a.task = "imputation";
            a.e_layers = 2;
            a.conv_layers = 3;
            a.d_model = a.d_ff = ett == "etth1" ? 64 : 32;
            a.n_fft = a.win_length = 4;
            loop.optimizer.lr = 1e-3;
            loop.batch = 16;
            loop.epochs = 10;
            loop.patience = 5;
            return;
        }
        for (int p : { 96, 192, 336, 720 })
            if (rest == std::to_string(p)) {
                // label_len 48, batch 32, patience 5. The ETTh1 script: E 1,
                // M 6, D 16, Dff 32, lr 1e-4, 30 epochs at every horizon.
                // The ETTh2 script (SpecAR_Net_ETTh2.sh): D = Dff = 32, 20
                // epochs, E 2 and M 3 (run.py's default, the script passing
                // no --conv_layers) but E 3, M 6 at 192, hop 3 and lr 5e-5
                // but hop 2, lr 1e-4 at 720.
                a.task = "long_term_forecast";
                a.label_len = 48;
                a.pred_len = p;
                loop.batch = 32;
                loop.patience = 5;
                if (ett == "etth1") {
                    a.e_layers = 1;
                    a.conv_layers = 6;
                    a.d_model = 16;
                    a.d_ff = 32;
                    loop.optimizer.lr = 1e-4;
                    loop.epochs = 30;
                } else {
                    a.e_layers = p == 192 ? 3 : 2;
                    a.conv_layers = p == 192 ? 6 : 3;
                    a.d_model = a.d_ff = 32;
                    a.hop = p == 720 ? 2 : 3;
                    loop.optimizer.lr = p == 720 ? 1e-4 : 5e-5;
                    loop.epochs = 20;
                }
                return;
            }
    }
    std::string list;
    for (const auto& p : presets())
        list += (list.empty() ? "" : ", ") + p;
    throw std::invalid_argument("--preset: expected one of " + list + "; found '" + name + "'");
}

namespace {

// The one Task for the four heads: batches and losses from specar_data.h.
class SpecarTask : public Task
{
public:
    SpecarTask(models::SpecarCard& card, models::SpecarNet net, const models::SpecarData& d,
               const SpecarTrainConfig& cfg, torch::Device dev, json extra)
        : card_(card),
          net_(std::move(net)),
          data_(d),
          cfg_(cfg),
          dev_(dev),
          extra_(std::move(extra))
    {
    }
    torch::nn::Module& module() override { return *net_; }
    int64_t train_size() const override { return data_.train.size(); }
    torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64& rng) override
    {
        const auto b = models::specar_batch(data_.train, idx, dev_, cfg_.mask_rate, rng());
        return models::specar_loss(net_, b, cfg_.top_weight);
    }
    double validate() override
    {
        // Inference in cache-sized batches; imputation masks are fixed (seed
        // 2021, blocks of that size: every model trained since the first
        // presets chose its epoch on these hidden points).
        const int64_t b = std::min<int64_t>(cfg_.loop.batch, 32);
        const auto t =
            models::specar_pass(net_, data_.val, b, dev_, cfg_.mask_rate, 2021, b, stop_flag());
        if (stopping()) // cut short by a cancel: the loop discards the figure
            return NAN;
        if (!classify()) {
            if (t.count == 0)
                throw std::runtime_error("train specar: the validation split has no points to "
                                         "score (" + std::to_string(data_.val.size()) +
                                         " windows)");
            return t.mse();
        }
        if (t.truth.empty())
            throw std::runtime_error("train specar: the validation split has no cases");
        int64_t right = 0;
        for (std::size_t i = 0; i < t.truth.size(); ++i)
            right += t.truth[i] == t.predicted[i];
        return static_cast<double>(right) / t.truth.size();
    }
    std::string metric_name() const override
    {
        return classify() ? "val_accuracy"
                          : (cfg_.arch.task == "anomaly_detection" ? "val_loss" : "val_mse");
    }
    bool lower_is_better() const override { return !classify(); }
    std::string card_json(const std::string& training) override
    {
        auto t = json::parse(training);
        t.update(extra_);
        card_.training_json = t.dump();
        return card_.to_json();
    }

private:
    bool classify() const { return cfg_.arch.task == "classification"; }
    models::SpecarCard& card_;
    models::SpecarNet net_;
    const models::SpecarData& data_;
    const SpecarTrainConfig& cfg_;
    torch::Device dev_;
    json extra_;
};

} // namespace

namespace {

// What the run trains and validates on, as 64 bits: every tensor and index
// of both splits (a resume on other data is refused, not trained on).
std::string windows_digest(const models::SpecarData& d)
{
    uint64_t h = models::fnv1a64("", 0);
    auto add = [&](const torch::Tensor& t) {
        if (!t.defined())
            return;
        const auto c = t.to(torch::kCPU).contiguous();
        h = models::fnv1a64(c.data_ptr(), c.nbytes(), h);
    };
    for (const auto* w : { &d.train, &d.val }) {
        for (const auto& t : { w->series, w->marks, w->x, w->mask, w->y })
            add(t);
        h = models::fnv1a64(w->starts.data(), w->starts.size() * sizeof(int64_t), h);
    }
    char b[24];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(h));
    return b;
}

// --resume continues the same run: the architecture, the signal, the data
// (settings and windows' digest) must be the checkpoint's. Names every
// difference.
void check_resume(const std::string& ckpt, const models::SpecarCard& now)
{
    if (!fs::exists(ckpt))
        throw std::runtime_error("--resume: no checkpoint " + ckpt);
    json was, is = json::parse(now.to_json());
    try {
        was = json::parse(
            models::SpecarCard::from_json(models::read_model_file(ckpt, false).card_json)
                .to_json());
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(ckpt + ": " + e.what());
    }
    std::vector<std::string> diff;
    for (const char* sec : { "architecture", "signal", "data" })
        for (const auto& [k, v] : is[sec].items()) {
            const json old = was[sec].contains(k) ? was[sec][k] : json();
            if (old != v)
                diff.push_back(std::string(sec) + "." + k + " " + old.dump() + " -> " + v.dump());
        }
    if (was["scaling"] != is["scaling"])
        diff.push_back("scaling (the training split's mean/std)");
    if (!diff.empty()) {
        std::string m;
        for (const auto& x : diff)
            m += (m.empty() ? "" : ", ") + x;
        throw std::invalid_argument(ckpt + ": --resume continues a run with its data and "
                                           "architecture; these differ from the checkpoint's: " +
                                    m + " (start a new run, or give the same settings)");
    }
}

SpecarTrainResult fit(SpecarTrainConfig cfg, models::SpecarData d, const EventSink& events,
                      const std::atomic<bool>* cancel);

void check_config(const SpecarTrainConfig& cfg)
{
    cfg.validate();
    io::check_model_output(cfg.out);
}

} // namespace

void SpecarTrainConfig::validate() const
{
    if (!(anomaly_ratio > 0 && anomaly_ratio < 100))
        throw std::invalid_argument("--anomaly-ratio: expected a percentage in (0, 100), found " +
                                    std::to_string(anomaly_ratio));
    if (!(mask_rate > 0 && mask_rate < 1))
        throw std::invalid_argument("--mask-rate: expected a fraction in (0, 1), found " +
                                    std::to_string(mask_rate));
    if (!(top_weight >= 0 && std::isfinite(top_weight)))
        throw std::invalid_argument("--top-weight: expected a finite value >= 0, found " +
                                    std::to_string(top_weight));
    // The order-preserving loss ranks the steps of its part against a ramp:
    // one step has no order (top_loss refuses it at the first training step).
    if (top_weight > 0 && arch.task == "long_term_forecast" && arch.pred_len == 1)
        throw std::invalid_argument("--top-weight " + std::to_string(top_weight) +
                                    ": the order-preserving loss on the forecast needs pred_len "
                                    ">= 2, found " + std::to_string(arch.pred_len) +
                                    " (--top-weight 0 trains without it)");
    if (top_weight > 0 && arch.task == "imputation" && arch.seq_len == 1)
        throw std::invalid_argument("--top-weight " + std::to_string(top_weight) +
                                    ": the order-preserving loss on the input needs seq_len "
                                    ">= 2, found " + std::to_string(arch.seq_len) +
                                    " (--top-weight 0 trains without it)");
    if (max_train_windows < 0 || max_val_windows < 0)
        throw std::invalid_argument("--max-windows / --max-val-windows: expected >= 0, found " +
                                    std::to_string(max_train_windows) + " / " +
                                    std::to_string(max_val_windows));
}

SpecarTrainResult train_specar(const SpecarTrainConfig& cfg, const EventSink& events,
                               const std::atomic<bool>* cancel)
{
    const RunLease lease; // before any seeding or thread set-up
    set_threads(cfg.threads);
    check_config(cfg);
    const std::string dir = cfg.data_dir.empty() ? data::default_data_dir() : cfg.data_dir;
    return fit(cfg,
               models::specar_data(dir, cfg.data, cfg.arch, cfg.protocol, cfg.uea_norm,
                                   cfg.train_stride),
               events, cancel);
}

SpecarTrainResult train_specar_windows(const SpecarTrainConfig& cfg_in, const float* windows,
                                       int64_t n, double sample_rate, double val_fraction,
                                       const EventSink& events, const std::atomic<bool>* cancel)
{
    const RunLease lease;
    SpecarTrainConfig cfg = cfg_in;
    set_threads(cfg.threads);
    check_config(cfg);
    if (cfg.arch.task != "anomaly_detection")
        throw std::invalid_argument("trainer: SpecAR-Net trains anomaly detection from a "
                                    "stream; found task '" + cfg.arch.task + "'");
    if (!(val_fraction > 0 && val_fraction < 1))
        throw std::invalid_argument("trainer: expected 0 < val_fraction < 1, found " +
                                    std::to_string(val_fraction));
    const int64_t L = cfg.arch.seq_len, C = cfg.arch.enc_in;
    const int64_t n_val = std::max<int64_t>(1, static_cast<int64_t>(std::llround(n * val_fraction)));
    if (n - n_val < 1)
        throw std::invalid_argument("trainer: expected at least 2 windows (training and "
                                    "validation), found " + std::to_string(n));
    auto series = torch::from_blob(const_cast<float*>(windows), { n * L, C }).clone();
    if (!torch::isfinite(series).all().item<bool>())
        throw std::invalid_argument("trainer: a window holds NaN or Inf; SpecAR-Net trains on "
                                    "finite samples only");
    // StandardScaler fitted on the training windows (the first ones in time).
    const auto fit_rows = series.narrow(0, 0, (n - n_val) * L);
    const auto scale = data::column_scale(fit_rows);
    series = (series - scale.mean) / scale.std;
    models::SpecarData d;
    auto windows_of = [&](models::SpecarWindows& w, int64_t first, int64_t count) {
        w.task = cfg.arch.task;
        w.series = series;
        w.seq_len = L;
        for (int64_t k = first; k < first + count; ++k)
            w.starts.push_back(k * L);
    };
    windows_of(d.train, 0, n - n_val);
    windows_of(d.val, n - n_val, n_val);
    windows_of(d.calibration, 0, n - n_val);
    for (int64_t c = 0; c < C; ++c)
        d.channel_names.push_back("ch" + std::to_string(c));
    d.mean = models::to_doubles(scale.mean);
    d.std = models::to_doubles(scale.std);
    d.sample_rate = sample_rate;
    d.json = json{ { "source", "flowgraph" },
                   { "windows", n },
                   { "protocol", "windows from a trainer_sink: the last " +
                                     std::to_string(n_val) + " validate, the threshold from "
                                     "the training windows' energies" },
                   { "scaling", "StandardScaler fitted on the training windows" } }
                 .dump();
    d.description = "flowgraph: " + std::to_string(n) + " windows of " + std::to_string(L) +
                    " x " + std::to_string(C);
    d.validation = "the last " + std::to_string(n_val) + " windows of the graph";
    return fit(cfg, std::move(d), events, cancel);
}

namespace {

SpecarTrainResult fit(SpecarTrainConfig cfg, models::SpecarData d, const EventSink& events,
                      const std::atomic<bool>* cancel)
{
    const auto dev = models::parse_device(cfg.device);
    // (In a distributed run rank 0 alone writes, so it alone holds the lock.)
    std::optional<io::OutputLock> lock;
    if (dist::is_writer())
        lock.emplace(cfg.out, "training SpecAR-Net into " + cfg.out);
    const std::string ckpt = cfg.out + ".ckpt";
    if (cfg.max_train_windows > 0 && d.train.size() > cfg.max_train_windows) {
        if (d.train.task == "classification")
            d.train.thin(cfg.max_train_windows);
        else
            d.train.starts.resize(static_cast<std::size_t>(cfg.max_train_windows));
    }
    d.val.thin(cfg.max_val_windows);
    if (d.val.size() == 0 || d.train.size() == 0)
        throw std::invalid_argument("train specar: expected training and validation windows, "
                                    "found " + std::to_string(d.train.size()) + " and " +
                                    std::to_string(d.val.size()) + " (" + d.description + ")");

    models::SpecarCard card;
    card.arch = cfg.arch;
    if (card.arch.task == "classification") {
        card.arch.seq_len = d.seq_len;
        card.arch.num_class = static_cast<int64_t>(d.class_names.size());
        card.class_names = d.class_names;
    }
    card.arch.enc_in = card.arch.c_out = static_cast<int64_t>(d.channel_names.size());
    card.arch.validate();
    cfg.arch = card.arch;
    card.sample_rate = d.sample_rate;
    card.channel_names = d.channel_names;
    card.mean = d.mean;
    card.std = d.std;
    card.anomaly_ratio = cfg.anomaly_ratio;
    card.version = TFMED_VERSION;
    {
        auto j = json::parse(d.json);
        j["train_windows"] = d.train.size();
        j["val_windows"] = d.val.size();
        if (card.arch.task == "imputation")
            j["mask_rate"] = cfg.mask_rate;
        if (card.arch.task == "imputation" || card.arch.task == "long_term_forecast")
            j["top_weight"] = cfg.top_weight;
        j["digest"] = windows_digest(d);
        card.data_json = j.dump();
    }

    bool superseded = false;
    if (cfg.resume)
        check_resume(ckpt, card);
    else
        superseded = start_fresh(ckpt);
    torch::manual_seed(cfg.loop.seed);
    models::SpecarNet net(card.arch);
    net->to(dev);
    LoopOptions lo = cfg.loop;
    lo.checkpoint = ckpt;
    lo.superseded_checkpoint = superseded;
    const json extra = { { "device", dev.str() }, { "threads", at::get_num_threads() } };
    SpecarTask task(card, net, d, cfg, dev, extra);
    if (events) {
        Event ev;
        ev.kind = Event::Kind::started;
        ev.message = d.description + "; " + std::to_string(d.train.size()) +
                     " training windows (stride " + std::to_string(cfg.train_stride) + "), " +
                     std::to_string(d.val.size()) + " validation windows (" +
                     (d.validation.empty() ? cfg.protocol + " protocol" : d.validation) + ")";
        events(ev);
    }
    const auto r = run(task, lo, dev, cfg.resume, events, cancel);
    SpecarTrainResult out;
    out.checkpoint = ckpt;
    out.epochs_done = r.epochs_done;
    out.best_epoch = r.best_epoch;
    out.best_val_loss = r.best_metric;
    out.metric_name = task.metric_name();
    out.history_json = r.history_json;
    out.training_json = r.training_json;
    out.train_windows = d.train.size();
    out.val_windows = d.val.size();
    if (!r.completed || (cancel && cancel->load()))
        return out;

    net->eval();
    json metrics = { { "best_epoch", r.best_epoch }, { task.metric_name(), r.best_metric } };
    if (r.kept_epoch != r.best_epoch) { // --select last: the weights are another epoch's
        metrics["kept_epoch"] = r.kept_epoch;
        metrics["kept_" + task.metric_name()] =
            std::isfinite(r.kept_metric) ? json(r.kept_metric) : json(nullptr);
    }
    std::string extra_line;
    if (card.arch.task == "anomaly_detection") {
        // Threshold from training energies only (non-overlapping windows over
        // all train rows): the streaming-safe choice (TSLib #628).
        const auto t = models::specar_pass(net, d.calibration, std::min<int64_t>(lo.batch, 32),
                                           dev, 0.0, 2021, models::kSpecarMaskBlock, cancel);
        if (cancel && cancel->load()) // cancelled during the calibration: no model
            return out;
        const std::vector<double> e(t.energy.begin(), t.energy.end());
        const auto bad = std::count_if(e.begin(), e.end(), [](double x) { return !std::isfinite(x); });
        if (bad > 0)
            throw std::runtime_error("train specar: " + std::to_string(bad) + " of " +
                                     std::to_string(e.size()) + " training energies are not "
                                     "finite (the network's output); no threshold, no model "
                                     "written");
        card.threshold = dsp::quantile(e, 1.0 - cfg.anomaly_ratio / 100.0);
        card.threshold_from = "train";
        if (!std::isfinite(card.threshold))
            throw std::runtime_error("train specar: the calibrated threshold is not finite; no "
                                     "model written");
        metrics["threshold"] = card.threshold;
        metrics["threshold_energies"] = e.size();
        char buf[160];
        std::snprintf(buf, sizeof buf, ", threshold %.6f (%.2f%% of %zu training energies above it)",
                      card.threshold, cfg.anomaly_ratio, e.size());
        extra_line = buf;
    }
    {
        auto t = json::parse(r.training_json);
        t.update(extra);
        card.training_json = t.dump();
    }
    card.metrics_json = metrics.dump();
    if (cancel && cancel->load()) // cancelled during the calibration: no model
        return out;
    if (dist::is_writer()) // rank 0 alone writes (distributed.h)
        models::save_specar(cfg.out, card, net);
    out.completed = true;
    out.model_path = cfg.out;
    out.threshold = card.threshold;
    int64_t n = 0;
    for (const auto& p : net->parameters())
        n += p.numel();
    out.parameters = n;
    char line[512];
    std::snprintf(line, sizeof line, "model %s (%s): %lld parameters, %s%s", cfg.out.c_str(),
                  card.arch.task.c_str(), static_cast<long long>(n),
                  selection_text(r, task.metric_name()).c_str(), extra_line.c_str());
    out.summary = line;
    emit_finished(events, r.epochs_done, lo.epochs, cfg.out, out.summary, r.kept_metric,
                  task.metric_name());
    return out;
}

} // namespace

} // namespace train
} // namespace tfmed
