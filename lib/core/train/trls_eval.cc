/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `evaluate_trls`: k-fold (or TS-TCC split) evaluations of TRLS: linear
 * evaluation, fine-tuning with a fraction of labels, the supervised
 * baseline, robustness to dropped samples and noise; JSON and figures.
 */
#include "trls_parts.h"

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

namespace tfmed {
namespace train {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace trls;

namespace {

// Test windows with `percent` % of samples set to 0 (seeded), or white noise
// at `snr_db` (per window: noise power = signal power / 10^(snr/10)).
torch::Tensor corrupt(const torch::Tensor& x, const std::string& kind, double v, uint64_t seed)
{
    auto gen = at::detail::createCPUGenerator(seed);
    if (kind == "sparsity") {
        const auto keep = torch::rand(x.sizes(), gen) >= v / 100.0;
        return x * keep.to(x.scalar_type());
    }
    const auto centred = x - x.mean(-1, true);
    const auto p = centred.pow(2).mean({ 1, 2 }, true);
    const auto sd = torch::sqrt(p / std::pow(10.0, v / 10.0));
    return x + torch::randn(x.sizes(), gen) * sd;
}

// PCA to 2-D of the test embeddings, coloured by class.
void embedding_figure(const torch::Tensor& emb, const std::vector<int64_t>& y,
                      const std::vector<std::string>& names, const std::string& path,
                      const std::string& title)
{
    auto e = emb.to(torch::kDouble);
    e = e - e.mean(0, true);
    const auto svd = torch::linalg_svd(e, false);
    // (One test window or a one-number embedding has one component: the
    // second axis is 0 then, not an exception after the evaluation ran.)
    const auto vh = std::get<2>(svd);
    auto xy = torch::matmul(e, vh.narrow(0, 0, std::min<int64_t>(2, vh.size(0))).t());
    if (xy.size(1) < 2)
        xy = torch::cat({ xy, torch::zeros({ xy.size(0), 2 - xy.size(1) }, xy.options()) }, 1);
    plot::Panel p;
    p.title = title;
    p.xlabel = "principal component 1";
    p.ylabel = "principal component 2";
    for (std::size_t k = 0; k < names.size(); ++k) {
        plot::Series s;
        s.color = plot::palette(k);
        s.label = names[k];
        s.points = true;
        for (std::size_t i = 0; i < y.size(); ++i)
            if (static_cast<std::size_t>(y[i]) == k) {
                s.x.push_back(xy[static_cast<int64_t>(i)][0].item<double>());
                s.y.push_back(xy[static_cast<int64_t>(i)][1].item<double>());
            }
        p.series.push_back(s);
    }
    plot::save_figure({ p }, path, "", 900, 620);
}

} // namespace

TrlsEvalResult evaluate_trls(const TrlsTrainConfig& cfg_in, const TrlsEvalSpec& spec,
                             const EventSink& events, const std::atomic<bool>* cancel)
{
    TrlsTrainConfig cfg = cfg_in;
    set_threads(cfg.threads);
    cfg.validate();
    if (spec.folds < 1 || spec.folds > 20 || spec.folds == 2)
        throw std::invalid_argument(
            "--folds: expected 1 (TS-TCC's split) or 3 .. 20, found " + std::to_string(spec.folds) +
            (spec.folds == 2 ? " (one part would test and the other validate: nothing to train on)"
                             : ""));
    for (std::size_t i = 0; i < spec.finetune_percent.size(); ++i) {
        const double p = spec.finetune_percent[i];
        if (!(p > 0 && p <= 100))
            throw std::invalid_argument("--finetune: expected label percentages in (0, 100], "
                                        "found " + std::to_string(p));
        // Two entries per fold would skew the mean and std: each once, as
        // the results are keyed ("finetune_%g": 10 and 10.0000001 are one).
        char a[32], b[32];
        std::snprintf(a, sizeof a, "%g", p);
        for (std::size_t j = 0; j < i; ++j) {
            std::snprintf(b, sizeof b, "%g", spec.finetune_percent[j]);
            if (std::string(a) == b)
                throw std::invalid_argument("--finetune: expected each percentage once, found " +
                                            std::string(a) + " twice");
        }
    }
    for (double p : spec.sparsity_percent)
        if (!(p >= 0 && p < 100))
            throw std::invalid_argument("--sparsity: expected percentages in [0, 100), found " +
                                        std::to_string(p));
    for (double s : spec.snr_db)
        if (!std::isfinite(s))
            throw std::invalid_argument("--snr: expected finite dB values");
    if ((!spec.sparsity_percent.empty() || !spec.snr_db.empty()) && !spec.linear &&
        !spec.random_init)
        throw std::invalid_argument("--sparsity/--snr score the linear probes: expected --linear "
                                    "or --random-init with them, found neither");
    if (!spec.linear && !spec.supervised && !spec.random_init && spec.finetune_percent.empty())
        throw std::invalid_argument(
            "eval trls: expected --linear, --finetune, --supervised or --random-init");
    const int last = spec.last_fold < 0 ? spec.folds - 1 : spec.last_fold;
    if (spec.first_fold < 0 || spec.first_fold > last || last >= spec.folds)
        throw std::invalid_argument("--fold: expected folds within 1 .. " +
                                    std::to_string(spec.folds));
    if (spec.draws_figures()) {
        std::error_code ec;
        if (spec.out_dir.empty() || (fs::exists(spec.out_dir, ec) && !fs::is_directory(spec.out_dir, ec)))
            throw std::invalid_argument("--out-dir: expected a folder for the figures, found " +
                                        (spec.out_dir.empty() ? std::string("none")
                                                              : "'" + spec.out_dir + "' (not a folder)"));
        try { // its figures are written after the folds: fail before them
            plot::check_font();
        } catch (const std::exception& e) {
            throw std::runtime_error(spec.out_dir + ": cannot draw the PNG figures here: " +
                                     e.what());
        }
        if (!fs::create_directories(spec.out_dir, ec) && ec)
            throw std::runtime_error("--out-dir: cannot create the folder '" + spec.out_dir +
                                     "': " + ec.message());
        // Its figures come after the first fold's training and after all
        // folds: a folder they cannot go into is refused now, not hours later.
        io::check_writable(spec.out_dir + "/trls_" + cfg.data + "_embedding.png");
    }
    const auto dev = device_of(cfg);
    const auto d = load(cfg);
    const int64_t K = static_cast<int64_t>(d.class_names.size());
    json folds = json::array(), arch_json;
    std::map<std::string, std::vector<double>> acc, f1;
    TrlsEvalResult result;
    const bool pretrained = spec.pretrains();
    for (int k = spec.first_fold; k <= last; ++k) {
        auto r = prepare(cfg, d, split(d, spec.folds, k, cfg.split_seed, cfg.split), dev, events,
                         cancel);
        arch_json = json::parse(r.card.to_json())["architecture"];
        json fj = { { "fold", k + 1 }, { "split", r.parts.name },
                    { "train", r.parts.train.size() }, { "val", r.parts.val.size() },
                    { "test", r.parts.test.size() } };
        auto record = [&](const std::string& mode, const HeadResult& h) {
            fj[mode] = { { "val", scores_json(h.val) }, { "test", scores_json(h.test) },
                         { "train_windows", h.train_windows } };
            acc[mode].push_back(h.test.accuracy);
            f1[mode].push_back(h.test.macro_f1);
        };
        models::Tfrnn enc(nullptr);
        if (pretrained) {
            LoopResult pre;
            enc = pretrain(r, "", false, &pre);
            if (!enc)
                break;
            // The encoder kept is the last epoch's: its loss, and the best beside it.
            fj["pretrain_val_byol_loss"] = kept_metric(pre, cfg.pretrain.select);
            fj["pretrain_best_val_byol_loss"] = pre.best_metric;
        }
        const auto truth = to_vec(take(d.y, r.parts.test));
        // A probe's test accuracy with samples dropped / noise added (the same
        // corrupted windows for every probe of a fold).
        auto robustness = [&](const std::string& mode, models::TrlsClassifier clf) {
            auto robust = [&](const std::string& kind, double v) {
                const auto imgs =
                    images_of(r.card, corrupt(take(d.x, r.parts.test), kind, v, 77 + k));
                torch::NoGradGuard ng;
                const auto emb = embed_all(clf->encoder, imgs, dev);
                const auto pred = to_vec(clf->head->forward(emb.to(dev)).argmax(1));
                const auto s = scores(truth, pred, K);
                char key[80];
                std::snprintf(key, sizeof key, "%s_%s_%g", mode.c_str(), kind.c_str(), v);
                fj[key] = scores_json(s);
                acc[key].push_back(s.accuracy);
                f1[key].push_back(s.macro_f1);
            };
            for (double p : spec.sparsity_percent)
                robust("sparsity", p);
            for (double s : spec.snr_db)
                robust("snr", s);
        };
        if (spec.linear) {
            auto clf = classifier_for(r, enc);
            const auto h = linear_head(r, clf, take(r.imgs, r.parts.test));
            if (!h.completed)
                break;
            record("linear", h);
            robustness("linear", clf);
            if (k == spec.first_fold) {
                const auto emb = embed_all(clf->encoder, take(r.imgs, r.parts.test), dev);
                const std::string png = spec.out_dir + "/trls_" + cfg.data + "_embedding.png";
                embedding_figure(emb, truth, d.class_names, png,
                                 "TRLS representations of the test windows (" + cfg.data +
                                     ", " + r.parts.name + "), PCA");
                result.figures.push_back(png);
            }
        }
        if (spec.random_init) { // the same probe on the untrained encoder
            torch::manual_seed(r.cfg.pretrain.seed); // pre-training's first weights
            auto clf = classifier_for(r, models::Tfrnn(nullptr));
            const auto h = linear_head(r, clf, take(r.imgs, r.parts.test));
            if (!h.completed)
                break;
            record("random_init", h);
            robustness("random_init", clf);
        }
        for (double p : spec.finetune_percent) {
            const auto h = tune(r, enc, p);
            if (!h.completed)
                break;
            char key[32];
            std::snprintf(key, sizeof key, "finetune_%g", p);
            record(key, h);
        }
        if (spec.supervised) {
            const auto h = tune(r, models::Tfrnn(nullptr), 100);
            if (!h.completed)
                break;
            record("supervised", h);
        }
        folds.push_back(fj);
        if (cancel && cancel->load())
            break;
    }
    json summary = json::object();
    std::string table = "mode                      accuracy %          macro-F1 %       folds\n";
    // Sample standard deviation over the folds (n - 1); none of one fold.
    const auto spread = [](const std::vector<double>& v) {
        return v.size() < 2 ? json(nullptr) : json(std_of(v));
    };
    for (const auto& [mode, a] : acc) {
        summary[mode] = { { "accuracy_mean", mean_of(a) }, { "accuracy_std", spread(a) },
                          { "macro_f1_mean", mean_of(f1[mode]) },
                          { "macro_f1_std", spread(f1[mode]) }, { "folds", a.size() } };
        char line[200], sa[16] = "-", sf[16] = "-"; // no spread of one fold
        if (a.size() > 1) {
            std::snprintf(sa, sizeof sa, "%.2f", 100 * std_of(a));
            std::snprintf(sf, sizeof sf, "%.2f", 100 * std_of(f1[mode]));
        }
        std::snprintf(line, sizeof line, "%-24s %7.2f +- %-6s    %7.2f +- %-6s  %zu\n",
                      mode.c_str(), 100 * mean_of(a), sa, 100 * mean_of(f1[mode]), sf, a.size());
        table += line;
    }
    if (spec.finetune_percent.size() > 1 || (spec.finetune_percent.size() == 1 && spec.linear)) {
        // (draws_figures(): the folder was checked at the start)
        plot::Panel p;
        p.title = "TRLS fine-tuning on " + cfg.data + ": test accuracy vs labelled fraction";
        p.xlabel = "labelled training windows (%)";
        p.ylabel = "accuracy (%)";
        plot::Series s;
        s.label = "fine-tuned (mean over folds)";
        s.color = { 31, 119, 180 };
        s.width = 2.0;
        auto fractions = spec.finetune_percent; // (in order along the axis, as given or not)
        std::sort(fractions.begin(), fractions.end());
        for (double q : fractions) {
            char key[32];
            std::snprintf(key, sizeof key, "finetune_%g", q);
            if (acc.count(key)) {
                s.x.push_back(q);
                s.y.push_back(100 * mean_of(acc[key]));
            }
        }
        p.series.push_back(s);
        // The modes trained on every label, as level lines across the axis.
        auto level = [&](const char* mode, const char* label, plot::Rgb color) {
            if (!acc.count(mode))
                return;
            plot::Series b;
            b.label = label;
            b.color = color;
            b.x = { 0.0, 100.0 };
            b.y = { 100 * mean_of(acc[mode]), 100 * mean_of(acc[mode]) };
            p.series.push_back(b);
        };
        level("supervised", "supervised, 100 % labels", { 214, 39, 40 });
        level("linear", "linear evaluation, 100 % labels", { 44, 160, 44 });
        const std::string png = spec.out_dir + "/trls_" + cfg.data + "_label_fraction.png";
        plot::save_figure({ p }, png, "", 900, 420);
        result.figures.push_back(png);
    }
    json all = { { "data", cfg.data },
                 { "description", d.description },
                 { "architecture", arch_json },
                 { "scaling", cfg.effective_scaling(d.x.size(1)) },
                 { "split_by", cfg.split },
                 { "std", "sample standard deviation over the folds (n - 1); null for one fold" },
                 // 0 where no mode pre-trained (--supervised, --random-init alone)
                 { "pretrain_epochs", pretrained ? cfg.pretrain.epochs : 0 },
                 { "downstream_epochs", cfg.downstream.epochs },
                 { "probe", cfg.probe },
                 { "finetune_start", cfg.finetune_start },
                 { "folds", spec.folds },
                 { "per_fold", folds },
                 { "summary", summary } };
    result.json = all.dump(1);
    result.summary = table;
    return result;
}

} // namespace train
} // namespace tfmed
