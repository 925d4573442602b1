/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/train/distributed.h>
#include <tfmed/train/runtime.h>
#include <tfmed/dsp/stats.h>
#include <tfmed/dsp/stft.h>
#include <tfmed/io/atomic.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/tsrnet_trainer.h>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>

namespace tfmed {
namespace train {

using nlohmann::json;
namespace fs = std::filesystem;

TsrnetTrainConfig::TsrnetTrainConfig()
{
    loop.epochs = 50;
    loop.batch = 32;
    loop.optimizer.name = "adamw";
    loop.optimizer.lr = 1e-4;
    loop.optimizer.weight_decay = 1e-5;
    loop.schedule.name = "cosine";
}

namespace {

models::PreparedBatch prepare(const data::WindowSet& s, const std::vector<int64_t>& idx,
                              const models::TsrnetPrep& p)
{
    return models::prepare_batch(s.x.index_select(0, torch::tensor(idx, torch::kLong)), p);
}

// The model-specific part: masked restoration loss on a batch of normal
// windows; validation = mean plain score of the validation normals.
class TsrnetTask : public Task
{
public:
    TsrnetTask(models::TsrnetCard& card,
               models::Tsrnet net,
               torch::Tensor train_x,
               models::PreparedBatch val,
               torch::Device dev,
               int64_t batch,
               json extra)
        : card_(card),
          net_(std::move(net)),
          x_(std::move(train_x)),
          val_(std::move(val)),
          dev_(dev),
          batch_(batch),
          stft_(models::stft_of(card)),
          extra_(std::move(extra))
    {
    }
    torch::nn::Module& module() override { return *net_; }
    int64_t train_size() const override { return x_.size(0); }
    torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64& rng) override
    {
        const auto xb = x_.index_select(0, torch::tensor(idx, torch::kLong)).to(dev_);
        return models::training_loss(net_, card_, stft_, xb, rng);
    }
    double validate() override
    {
        const auto vs = models::score_prepared(net_, card_, val_, dev_, batch_, stop_flag());
        double sum = 0.0;
        int64_t n = 0;
        for (double v : models::to_doubles(vs.plain))
            if (std::isfinite(v))
                sum += v, ++n;
        return n ? sum / n : NAN;
    }
    std::string metric_name() const override { return "val_score"; }
    std::string card_json(const std::string& training) override
    {
        auto t = json::parse(training);
        t.update(extra_);
        card_.training_json = t.dump();
        card_.parameters = models::count_parameters(*net_);
        return card_.to_json();
    }
    models::Tsrnet& net() { return net_; }

private:
    models::TsrnetCard& card_;
    models::Tsrnet net_;
    torch::Tensor x_;
    models::PreparedBatch val_;
    torch::Device dev_;
    int64_t batch_;
    dsp::StftOptions stft_;
    json extra_;
};

std::string join(const std::vector<std::string>& v)
{
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : ",") + x;
    return "[" + s + "]";
}

} // namespace

std::string tsrnet_data_digest(const data::WindowSet& set)
{
    const auto x = set.x.to(torch::kFloat).contiguous();
    uint64_t h = models::fnv1a64(x.data_ptr(), x.nbytes());
    h = models::fnv1a64(set.label.data(), set.label.size() * sizeof(int), h);
    char b[24];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(h));
    return b;
}

namespace {

// The card a resumed run continues: the checkpoint's, refused when the
// command asks for another architecture or (for a file's data) other data.
models::TsrnetCard resumed_card(const TsrnetTrainConfig& cfg, const std::string& ckpt,
                                bool from_caller)
{
    models::TsrnetCard card;
    if (!fs::exists(ckpt))
        throw std::runtime_error("--resume: no checkpoint " + ckpt);
    const auto f = models::read_model_file(ckpt, false);
    try {
        card = models::TsrnetCard::from_json(f.card_json);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(ckpt + ": " + e.what());
    }
    // Resume continues the same run: the architecture and the data must
    // be the ones the checkpoint was trained with (same command +
    // --resume). Name every difference.
    std::vector<std::string> diff;
    auto cmp = [&](const std::string& name, const auto& was, const auto& now) {
        if (!(was == now)) {
            std::ostringstream o;
            o << name << " " << was << " -> " << now;
            diff.push_back(o.str());
        }
    };
    cmp("width", card.width, cfg.width);
    cmp("d_model", card.d_model, cfg.d_model);
    cmp("heads", card.heads, cfg.heads);
    cmp("score", card.score, cfg.score);
    cmp("quantile", card.threshold_quantile, cfg.quantile);
    cmp("reference_quirks", card.prep.peak_offset_quirk, cfg.reference_quirks);
    if (!from_caller) {
        const auto was = data::WindowSetSpec::from_json(card.data_json, cfg.data.data_dir);
        cmp("data", was.data, cfg.data.data);
        cmp("seed", was.seed, cfg.data.seed);
        cmp("val_fraction", was.val_fraction, cfg.data.val_fraction);
        cmp("test_fraction", was.test_fraction, cfg.data.test_fraction);
        cmp("max_windows", was.max_windows, cfg.data.max_windows);
        cmp("rate", was.rate, cfg.data.rate);
        cmp("labels", was.labels, cfg.data.labels);
        cmp("channels", join(was.channels), join(cfg.data.channels));
        cmp("csv_header", was.csv_header, cfg.data.csv_header);
        cmp("drop_invalid", was.drop_invalid, cfg.data.drop_invalid);
    }
    if (!diff.empty()) {
        std::string m;
        for (const auto& d : diff)
            m += (m.empty() ? "" : ", ") + d;
        throw std::invalid_argument(ckpt + ": --resume continues a run with its data and "
                                           "architecture; these differ from the "
                                           "checkpoint's: " +
                                    m + " (start a new run, or give the same settings)");
    }
    return card;
}

// A fresh run's card: the command's architecture and score.
models::TsrnetCard fresh_card(const TsrnetTrainConfig& cfg)
{
    models::TsrnetCard card;
    card.width = cfg.width;
    card.d_model = cfg.d_model;
    card.heads = cfg.heads;
    card.score = cfg.score;
    card.threshold_quantile = cfg.quantile;
    if (cfg.reference_quirks) {
        card.prep.peak_offset_quirk = true;
        card.masking.spec_range = 66;
    }
    return card;
}

// The card and the windows: a resumed run's must be the checkpoint's
// (leads, the data's digest); a fresh run's card takes the windows' leads
// and their names (R peaks on lead II where one is named) and the data.
void fit_card(models::TsrnetCard& card, const data::WindowSet& set, const std::string& digest,
              bool resume, const std::string& ckpt)
{
    if (resume) {
        if (card.leads != set.x.size(1))
            throw std::invalid_argument(ckpt + ": the checkpoint has " +
                                        std::to_string(card.leads) + " lead(s), the data " +
                                        std::to_string(set.x.size(1)));
        const auto was = json::parse(card.data_json).value("digest", std::string());
        if (!was.empty() && was != digest)
            throw std::invalid_argument(ckpt + ": resume on other data: the checkpoint "
                                               "trained on windows with digest " +
                                        was + ", these have " + digest);
        return;
    }
    card.leads = set.x.size(1);
    card.lead_names = set.channel_names;
    // R peaks on lead II where the leads are named (MLII, V1 found them
    // on V1, index 1 of the 12-lead order); the default otherwise.
    for (std::size_t i = 0; i < card.lead_names.size(); ++i) {
        std::string n = card.lead_names[i];
        for (auto& ch : n)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (n == "II" || n == "MLII") {
            card.prep.rpeak_lead = static_cast<int64_t>(i);
            break;
        }
    }
    card.version = TFMED_VERSION;
    auto dj = json::parse(set.spec_json);
    dj["digest"] = digest;
    card.data_json = dj.dump();
    card.validate();
}

// What the run trains on, for its first event: the windows, the split,
// training windows without a usable signal, windows dropped for NaN/Inf.
std::string started_message(const data::WindowSet& set, const data::WindowSetSpec& spec,
                            const models::TsrnetCard& card, const data::SplitIndex& split,
                            const models::PreparedBatch& train, std::size_t usable,
                            bool from_caller)
{
    // Windows handed in (a trainer_sink's) are not cfg.data's file.
    std::string m = (from_caller ? std::string("windows from the caller (") +
                                       json::parse(set.spec_json).value("source", "memory") + ")"
                                 : "data " + spec.data) +
                    ": " + std::to_string(set.x.size(0)) + " windows of " +
                    std::to_string(card.window()) + " x " + std::to_string(card.leads) + " at " +
                    std::to_string(card.prep.sample_rate) + " Hz; train " +
                    std::to_string(split.train.size()) + " / val " +
                    std::to_string(split.val.size()) + " normal, test " +
                    std::to_string(split.test.size());
    if (usable < split.train.size()) {
        std::map<std::string, int64_t> why;
        for (auto st : train.status)
            if (!models::has_signal(st))
                why[models::to_string(st)]++;
        m += "; " + std::to_string(split.train.size() - usable) +
             " training window(s) without a usable signal left out:";
        for (const auto& [k, n] : why)
            m += " " + std::to_string(n) + " " + k;
    }
    if (!set.dropped.empty()) {
        m += "; dropped " + std::to_string(set.dropped.size()) +
             " window(s) with NaN/Inf samples (--drop-invalid):";
        for (std::size_t i = 0; i < set.dropped.size() && i < 10; ++i)
            m += " " + set.dropped[i];
        if (set.dropped.size() > 10)
            m += " ...";
    }
    return m;
}

} // namespace

TsrnetTrainResult train_tsrnet(const TsrnetTrainConfig& cfg,
                               const EventSink& events,
                               const std::atomic<bool>* cancel,
                               const data::WindowSet* windows)
{
    const RunLease lease; // before any seeding or thread set-up
    set_threads(cfg.threads);
    dsp::set_reproducible_fft(true); // the same spectrogram bits in every run (resume)
    const auto dev = models::parse_device(cfg.device);
    io::check_model_output(cfg.out);
    // Bad loop options are refused before the data is read and before a
    // fresh run removes the old checkpoint (the loop checks them again).
    cfg.loop.validate();
    // One run per output for the run's whole duration (model and checkpoint).
    // (In a distributed run rank 0 alone writes, so it alone holds the lock.)
    std::optional<io::OutputLock> lock;
    if (dist::is_writer())
        lock.emplace(cfg.out, "training TSRNet into " + cfg.out);
    const std::string ckpt = cfg.out + ".ckpt";

    const bool from_caller = windows != nullptr; // (else windows points at `loaded` below)
    models::TsrnetCard card = cfg.resume ? resumed_card(cfg, ckpt, from_caller) : fresh_card(cfg);
    data::WindowSetSpec spec = cfg.data;
    data::WindowSet loaded;
    if (!windows) {
        loaded = data::load_window_set(spec, card.prep.sample_rate, card.window());
        windows = &loaded;
    } else if (windows->x.dim() != 3 || windows->x.size(2) != card.window()) {
        throw std::invalid_argument("train tsrnet: expected windows (N, leads, " +
                                    std::to_string(card.window()) + "), found " +
                                    std::to_string(windows->x.dim()) + " dimensions, last " +
                                    std::to_string(windows->x.size(-1)));
    }
    const auto& set = *windows;
    const auto split = data::split_normal_only(set, spec);
    const std::string digest = tsrnet_data_digest(set);
    fit_card(card, set, digest, cfg.resume, ckpt);
    if (split.train.empty() || split.val.empty())
        throw std::invalid_argument("train: the split left " + std::to_string(split.train.size()) +
                                    " training and " + std::to_string(split.val.size()) +
                                    " validation windows; need at least one of each");
    torch::manual_seed(spec.seed);
    models::Tsrnet net(models::options_of(card));
    net->to(dev);

    const auto train = prepare(set, split.train, card.prep);
    const auto val = prepare(set, split.val, card.prep);
    // Flat / non-finite windows cannot be trained on.
    std::vector<int64_t> usable;
    for (std::size_t i = 0; i < train.status.size(); ++i)
        if (models::has_signal(train.status[i]))
            usable.push_back(static_cast<int64_t>(i));
    if (usable.empty())
        throw std::invalid_argument("train: none of the " + std::to_string(split.train.size()) +
                                    " training windows has a usable signal (all flat or "
                                    "non-finite)");
    const auto X = train.x.index_select(0, torch::tensor(usable, torch::kLong));

    const bool superseded = !cfg.resume && start_fresh(ckpt);
    LoopOptions lo = cfg.loop;
    lo.superseded_checkpoint = superseded;
    lo.seed = spec.seed;
    lo.checkpoint = ckpt;
    const json extra = { { "device", dev.str() },
                         { "threads", at::get_num_threads() },
                         { "val_windows", val.x.size(0) } };
    TsrnetTask task(card, net, X, val, dev, lo.batch, extra);
    if (events) {
        Event ev;
        ev.kind = Event::Kind::started;
        ev.message =
            started_message(set, spec, card, split, train, usable.size(), from_caller);
        events(ev);
    }
    const auto r = run(task, lo, dev, cfg.resume, events, cancel);

    TsrnetTrainResult out;
    out.checkpoint = ckpt;
    out.epochs_done = r.epochs_done;
    out.best_epoch = r.best_epoch;
    out.best_val_score = r.best_metric;
    out.history_json = r.history_json;
    out.training_json = r.training_json;
    out.train_windows = X.size(0);
    out.val_windows = val.x.size(0);
    out.test_windows = static_cast<int64_t>(split.test.size());
    out.parameters = models::count_parameters(*net);
    if (!r.completed || (cancel && cancel->load()))
        return out; // no model file: only a completed run writes one

    // Calibrate the alarm threshold on the normal training windows with the
    // selected model, and store it in the card.
    const auto ts = models::score_prepared(net, card, train, dev, lo.batch, cancel);
    if (cancel && cancel->load()) // cancelled during the calibration: no model
        return out;
    std::vector<double> ok;
    for (double v : models::to_doubles(card.score == "peak" ? ts.peak : ts.plain))
        if (std::isfinite(v))
            ok.push_back(v);
    if (ok.empty())
        throw std::runtime_error("train: no training window could be scored with the " +
                                 card.score + " score; no threshold, no model written");
    card.threshold = dsp::quantile(ok, card.threshold_quantile);
    card.calibration_windows = static_cast<int64_t>(ok.size());
    json metrics = { { "best_epoch", r.best_epoch },
                     { "best_val_score", r.best_metric },
                     { "threshold", card.threshold },
                     { "train_windows", X.size(0) } };
    if (r.kept_epoch != r.best_epoch) { // --select last: the weights are another epoch's
        metrics["kept_epoch"] = r.kept_epoch;
        metrics["kept_val_score"] =
            std::isfinite(r.kept_metric) ? json(r.kept_metric) : json(nullptr);
    }
    card.metrics_json = metrics.dump();
    {
        auto t = json::parse(r.training_json);
        t.update(extra);
        card.training_json = t.dump();
    }
    if (cancel && cancel->load()) // cancelled during the calibration: no model
        return out;
    if (dist::is_writer()) // rank 0 alone writes (distributed.h)
        models::save_tsrnet(cfg.out, card, net);
    out.completed = true;
    out.model_path = cfg.out;
    out.threshold = card.threshold;
    out.calibration_windows = card.calibration_windows;
    out.metrics_json = metrics.dump();
    char line[512];
    std::snprintf(line, sizeof line,
                  "model %s: %lld parameters, %s, threshold %.5f "
                  "(%.0f%% of %lld normal training windows, %s score)",
                  cfg.out.c_str(), static_cast<long long>(out.parameters),
                  selection_text(r, "val score").c_str(), card.threshold,
                  100 * card.threshold_quantile,
                  static_cast<long long>(out.calibration_windows), card.score.c_str());
    out.summary = line;
    emit_finished(events, r.epochs_done, lo.epochs, cfg.out, out.summary, r.kept_metric,
                  "val_score");
    return out;
}

} // namespace train
} // namespace tfmed
