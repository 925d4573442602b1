/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/datasets.h>
#include <tfmed/data/window_set.h>
#include <tfmed/data/windows.h>
#include <tfmed/io/atomic.h>
#include <tfmed/models/metrics.h>
#include <tfmed/models/trls_card.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/models/weights.h>
#include <tfmed/plot/figure.h>
#include <tfmed/train/distributed.h>
#include <tfmed/train/runtime.h>
#include <tfmed/train/trainer.h>
#include <tfmed/train/trls_trainer.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "trls_parts.h"

namespace tfmed {
namespace train {

using nlohmann::json;
namespace fs = std::filesystem;

TrlsTrainConfig::TrlsTrainConfig()
{
    auto adam = [](LoopOptions& l, double wd, int epochs, int64_t batch) {
        l.optimizer.name = "adam";
        l.optimizer.lr = 3e-4;
        l.optimizer.weight_decay = wd;
        l.optimizer.beta1 = 0.9;
        l.optimizer.beta2 = 0.99;
        l.epochs = epochs;
        l.batch = batch;
        l.select = "last";
    };
    adam(pretrain, 1e-4, 50, 32);
    pretrain.schedule.name = "constant";
    adam(downstream, 3e-4, 100, 128);
    downstream.schedule.name = "plateau";
    downstream.schedule.patience = 10;
    downstream.schedule.factor = 0.1;
    apply_data_defaults();
}

void TrlsTrainConfig::apply_data_defaults()
{
    arch.hop = 0;
    if (data == "mitdb")
        arch.n_fft = 128; // 3600 samples: a long series
    else
        arch.n_fft = 32;
    if (data == "basicmotions")
        arch.hop = 4; // 100 samples: 26 frames for K = 5
}

void TrlsTrainConfig::validate() const
{
    static const char* names[] = { "epilepsy", "epilepsy5", "mitdb", "ecg5000", "basicmotions" };
    if (std::find(std::begin(names), std::end(names), data) == std::end(names))
        throw std::invalid_argument("--data: expected epilepsy, epilepsy5, mitdb, ecg5000 or "
                                    "basicmotions, found '" + data + "'");
    if (scaling != "auto" && scaling != "all" && scaling != "train" && scaling != "none")
        throw std::invalid_argument("--scaling: expected auto, all, train or none, found '" +
                                    scaling + "'");
    if (split != "windows" && split != "stratified" && split != "recording")
        throw std::invalid_argument("--split: expected windows, stratified or recording, found '" +
                                    split + "'");
    if (!(tau >= 0 && tau <= 1))
        throw std::invalid_argument("--tau: expected 0 <= tau <= 1, found " + std::to_string(tau));
    if (!(negatives >= 0 && std::isfinite(negatives)))
        throw std::invalid_argument("--negatives: expected a finite weight >= 0, found " +
                                    std::to_string(negatives));
    if (max_windows < 0)
        throw std::invalid_argument("--max-windows: expected >= 0");
    if (head != "linear" && head != "finetune")
        throw std::invalid_argument("--head: expected linear or finetune, found '" + head + "'");
    if (finetune_start != "probe" && finetune_start != "random")
        throw std::invalid_argument("--finetune-start: expected probe or random, found '" +
                                    finetune_start + "'");
    if (probe != "standardised" && probe != "raw")
        throw std::invalid_argument("--probe: expected standardised or raw, found '" + probe +
                                    "'");
    view1.validate();
    view2.validate();
    pretrain.validate();
    downstream.validate();
}
std::string TrlsTrainConfig::effective_scaling(int64_t channels) const
{
    if (scaling != "auto")
        return scaling;
    if (channels > 1)
        return "none";
    return data == "epilepsy" && split == "windows" ? "all" : "train";
}

using namespace trls;


TrlsTrainResult train_trls(const TrlsTrainConfig& cfg_in, const EventSink& events,
                           const std::atomic<bool>* cancel)
{
    const RunLease lease; // before any seeding; held from pre-training to the head
    TrlsTrainConfig cfg = cfg_in;
    set_threads(cfg.threads);
    cfg.validate();
    io::check_model_output(cfg.out);
    return fit(cfg, load(cfg), true, events, cancel);
}

TrlsTrainResult train_trls_windows(const TrlsTrainConfig& cfg_in, const float* windows,
                                   int64_t n, int64_t length, int64_t channels,
                                   const std::vector<int>& labels, double sample_rate,
                                   const EventSink& events, const std::atomic<bool>* cancel,
                                   const std::vector<std::string>& class_names)
{
    const RunLease lease; // before any seeding; held from pre-training to the head
    TrlsTrainConfig cfg = cfg_in;
    set_threads(cfg.threads);
    cfg.validate();
    io::check_model_output(cfg.out);
    if (n < 5)
        throw std::invalid_argument("trainer: TRLS needs at least 5 windows (train, validation, "
                                    "test), found " + std::to_string(n));
    if (static_cast<int64_t>(labels.size()) != n)
        throw std::invalid_argument("trainer: expected " + std::to_string(n) + " labels, found " +
                                    std::to_string(labels.size()));
    Labelled d;
    d.x = torch::from_blob(const_cast<float*>(windows), { n, length, channels })
              .permute({ 0, 2, 1 })
              .contiguous()
              .clone();
    if (!torch::isfinite(d.x).all().item<bool>())
        throw std::invalid_argument("trainer: a window holds NaN or Inf; TRLS trains on finite "
                                    "samples only");
    // The labels present are the head's classes, in order (labels {0, 5}
    // made a head of six classes, four never seen; windows all labelled 1 a
    // head of two that learned one answer; 1-based tags keep their names,
    // text ones theirs).
    d.class_names = dense_labels(labels, d.y, class_names);
    for (int64_t c = 0; c < channels; ++c)
        d.channel_names.push_back(channels == 1 ? "signal" : "ch" + std::to_string(c));
    d.sample_rate = sample_rate;
    d.description = "flowgraph: " + std::to_string(n) + " windows of " + std::to_string(channels) +
                    " x " + std::to_string(length);
    cfg.data = "flowgraph";
    // A head needs labels: two classes or more, each present (one label
    // throughout: the encoder alone).
    return fit(cfg, d, d.class_names.size() >= 2, events, cancel);
}


namespace {
// Pre-training only: the encoder is the model (no labels, no head).
TrlsTrainResult encoder_only(Run& r, const models::Tfrnn& enc, const LoopResult& pre,
                             TrlsTrainResult out)
{
    const auto& cfg = r.cfg;
    auto card = r.card;
    card.metrics_json = json{ { "pretrain_val_byol_loss", kept_metric(pre, cfg.pretrain.select) },
                              { "pretrain_best_val_byol_loss", pre.best_metric } }
                            .dump();
    card.training_json = json{ { "pretraining", json::parse(pre.training_json) },
                               { "device", r.dev.str() },
                               { "threads", at::get_num_threads() } }
                             .dump();
    auto clf = classifier_from(enc, card.arch);
    if (r.cancel && r.cancel->load()) // cancelled in the last steps: no model (as TSRNet)
        return out;
    if (dist::is_writer()) // rank 0 alone writes (distributed.h)
        models::save_trls(cfg.out, card, clf);
    out.completed = true;
    out.model_path = cfg.out;
    out.parameters = models::count_parameters(*clf);
    out.summary = "model " + cfg.out + ": the pre-trained encoder (" +
                  std::to_string(out.parameters) + " parameters; no labels, no head)";
    emit_finished(r.events, pre.epochs_done, pre.epochs_done, cfg.out, out.summary);
    return out;
}
} // namespace

TrlsTrainResult train_trls_views(const TrlsTrainConfig& cfg_in, const float* views, int64_t n,
                                 int64_t length, int64_t channels, double sample_rate,
                                 const EventSink& events, const std::atomic<bool>* cancel)
{
    const RunLease lease; // before any seeding; held from pre-training to the head
    TrlsTrainConfig cfg = cfg_in;
    set_threads(cfg.threads);
    cfg.validate();
    io::check_model_output(cfg.out);
    if (cfg.scaling != "none")
        throw std::invalid_argument("trainer: views made in the flowgraph are already images; "
                                    "expected scaling none, found " + cfg.scaling);
    if (cfg.arch.image_norm != "window")
        throw std::invalid_argument("trainer: views made in the flowgraph are scaled per window "
                                    "(spec_augment's normalise); expected image_norm window, "
                                    "found " + cfg.arch.image_norm);
    if (n < 5)
        throw std::invalid_argument("trainer: TRLS needs at least 5 view pairs (training and "
                                    "validation), found " + std::to_string(n));
    cfg.data = "flowgraph views";
    Labelled d;
    for (int64_t c = 0; c < channels; ++c)
        d.channel_names.push_back(channels == 1 ? "signal" : "ch" + std::to_string(c));
    d.sample_rate = sample_rate;
    d.description = "flowgraph: " + std::to_string(n) + " pairs of views";
    // Stream order: the last fifth validates (its views, as they came).
    const int64_t nval = std::max<int64_t>(1, n / 5);
    Parts p;
    for (int64_t i = 0; i < n; ++i)
        (i < n - nval ? p.train : p.val).push_back(i);
    p.name = "stream order: first " + std::to_string(n - nval) + " pairs train, last " +
             std::to_string(nval) + " validate";
    Run r{ cfg, d, std::move(p), {}, {}, device_of(cfg), events, cancel };
    auto& c = r.card;
    c.arch = cfg.arch;
    c.arch.channels = channels;
    c.arch.length = length;
    c.arch.num_class = 0;
    c.arch.validate();
    const int64_t F = c.arch.features(), T = c.arch.frames();
    c.sample_rate = sample_rate;
    c.channel_names = d.channel_names;
    c.version = TFMED_VERSION;
    c.scaling = "none";
    c.pretraining_json = json{ { "views", "made in the flowgraph (tfmed.spec_augment)" },
                               { "tau", cfg.tau },
                               { "negatives", cfg.negatives } }
                             .dump();
    c.data_json = json{ { "data", cfg.data },
                        { "split", r.parts.name },
                        { "train_windows", r.parts.train.size() },
                        { "val_windows", r.parts.val.size() },
                        { "test_windows", 0 } }
                      .dump();
    // (n, view, T frames, F values) as the sink gathered them -> (n, F, T) per view.
    const auto all = torch::from_blob(const_cast<float*>(views), { n, 2, T, F }, torch::kFloat);
    if (!torch::isfinite(all).all().item<bool>())
        throw std::invalid_argument("trainer: a view holds NaN or Inf");
    const double lo = all.min().item<double>(), hi = all.max().item<double>();
    if (lo < -1e-5 || hi > 1 + 1e-5) // (float rounding at the bounds)
        throw std::invalid_argument(
            "trainer: expected views scaled to [0, 1] (spec_augment with normalise), found "
            "values from " + std::to_string(lo) + " to " + std::to_string(hi));
    r.imgs = all.select(1, 0).transpose(1, 2).contiguous();
    r.views2 = all.select(1, 1).transpose(1, 2).contiguous();
    const std::string ckpt = cfg.out + ".ckpt";
    TrlsTrainResult out;
    out.checkpoint = ckpt;
    out.train_windows = static_cast<int64_t>(r.parts.train.size());
    out.val_windows = static_cast<int64_t>(r.parts.val.size());
    std::optional<io::OutputLock> lock;
    if (dist::is_writer())
        lock.emplace(cfg.out, "training TRLS into " + cfg.out);
    LoopResult pre;
    auto enc = pretrain(r, ckpt, false, &pre);
    out.pretrain_epochs = pre.epochs_done;
    out.pretrain_val_loss = kept_metric(pre, cfg.pretrain.select);
    if (!enc)
        return out;
    return encoder_only(r, enc, pre, out);
}

TrlsTrainResult trls::fit(const TrlsTrainConfig& cfg, const Labelled& d, bool with_head,
                          const EventSink& events, const std::atomic<bool>* cancel)
{
    const auto dev = device_of(cfg);
    // (In a distributed run rank 0 alone writes, so it alone holds the lock.)
    std::optional<io::OutputLock> lock;
    if (dist::is_writer())
        lock.emplace(cfg.out, "training TRLS into " + cfg.out);
    auto r = prepare(cfg, d, split(d, 1, 0, cfg.split_seed, cfg.split), dev, events, cancel);
    const std::string ckpt = cfg.out + ".ckpt";
    TrlsTrainResult out;
    out.checkpoint = ckpt;
    out.train_windows = static_cast<int64_t>(r.parts.train.size());
    out.val_windows = static_cast<int64_t>(r.parts.val.size());
    out.test_windows = static_cast<int64_t>(r.parts.test.size());
    if (cfg.resume) {
        if (!fs::exists(ckpt))
            throw std::runtime_error("--resume: no checkpoint " + ckpt);
        const auto was = models::TrlsCard::from_json(models::read_model_file(ckpt, false).card_json);
        const auto a = json::parse(was.to_json()), b = json::parse(r.card.to_json());
        for (const char* sec : { "architecture", "data", "scaling", "pretraining" })
            if (a[sec] != b[sec])
                throw std::invalid_argument(ckpt + ": --resume continues a run with its data "
                                                   "and settings; its '" + std::string(sec) +
                                            "' differs: " + a[sec].dump() + " -> " +
                                            b[sec].dump());
    }
    if (with_head && dist::active()) {
        // The head's batch is global too, split across the workers: refused
        // now, not after the whole pre-training (the loop's own check then
        // named --batch). (As linear_head / tune clip it to the training part.)
        const auto n_train = static_cast<int64_t>(r.parts.train.size());
        const int64_t hb = std::min<int64_t>(cfg.downstream.batch, std::max<int64_t>(2, n_train));
        if (hb < dist::world_size())
            throw std::invalid_argument(
                "--head-batch: expected a batch >= the number of workers (" +
                std::to_string(dist::world_size()) + "; the head's batch is global, split "
                "across them), found " + std::to_string(hb) +
                (hb < cfg.downstream.batch ? " (the " + std::to_string(n_train) +
                                                 " training windows)"
                                           : ""));
    }
    LoopResult pre;
    auto enc = pretrain(r, ckpt, cfg.resume, &pre);
    out.pretrain_epochs = pre.epochs_done;
    out.pretrain_val_loss = kept_metric(pre, cfg.pretrain.select);
    if (!enc)
        return out;
    if (!with_head)
        return encoder_only(r, enc, pre, out);
    auto clf = classifier_for(r, enc);
    const bool finetune = cfg.head == "finetune";
    const auto h = finetune ? tune(r, enc, 100) : linear_head(r, clf, take(r.imgs, r.parts.test));
    if (!h.completed)
        return out;
    if (finetune)
        clf = h.net;
    auto card = r.card;
    card.arch = clf->options(); // the card's, with a head per class
    card.class_names = d.class_names;
    card.metrics_json = json{ { "protocol", finetune
                                                ? "fine-tuned (encoder and head on every "
                                                  "training label)"
                                                : "linear evaluation (frozen encoder, eval mode)" },
                              { "probe", !finetune ? cfg.probe
                                                 : cfg.finetune_start == "probe"
                                                     ? "standardised (the LP-FT start)"
                                                     : "none (a random head)" },
                              { "pretrain_val_byol_loss", kept_metric(pre, cfg.pretrain.select) },
                              { "pretrain_best_val_byol_loss", pre.best_metric },
                              { "val", scores_json(h.val) },
                              { "test", scores_json(h.test) } }
                            .dump();
    card.training_json = json{ { "pretraining", json::parse(pre.training_json) },
                               { "device", dev.str() },
                               { "threads", at::get_num_threads() } }
                             .dump();
    clf->to(torch::kCPU);
    if (r.cancel && r.cancel->load()) // cancelled in the last steps: no model (as TSRNet)
        return out;
    if (dist::is_writer()) // rank 0 alone writes (distributed.h)
        models::save_trls(cfg.out, card, clf);
    out.completed = true;
    out.model_path = cfg.out;
    out.val = h.val;
    out.test = h.test;
    out.parameters = models::count_parameters(*clf);
    char line[400];
    std::snprintf(line, sizeof line,
                  "model %s: %lld parameters; %s on %lld test windows: accuracy "
                  "%.2f %%, macro-F1 %.2f %% (validation %.2f %%)",
                  cfg.out.c_str(), static_cast<long long>(out.parameters),
                  finetune ? "fine-tuned" : "linear evaluation",
                  static_cast<long long>(h.test.n), 100 * h.test.accuracy, 100 * h.test.macro_f1,
                  100 * h.val.accuracy);
    out.summary = line;
    emit_finished(events, pre.epochs_done, pre.epochs_done, cfg.out, out.summary);
    return out;
}

} // namespace train
} // namespace tfmed
