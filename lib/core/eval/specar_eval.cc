/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/train/runtime.h>
#include <tfmed/data/window_set.h>
#include <tfmed/dsp/stats.h>
#include <tfmed/eval/specar_eval.h>
#include <tfmed/models/metrics.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/specar_data.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/tsrnet_trainer.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tfmed {
namespace eval {

using nlohmann::json;

std::string SpecarEvalResult::json() const
{
    nlohmann::json j = { { "model", model },       { "task", task },
                         { "data", data },         { "protocol", protocol },
                         { "windows", windows } };
    if (task == "anomaly_detection") {
        auto s = nlohmann::json::array();
        for (const auto& d : scores)
            s.push_back({ { "threshold_from", d.threshold_from },
                          { "threshold", d.threshold },
                          { "precision", d.precision },
                          { "recall", d.recall },
                          { "f1", d.f1 },
                          { "pa_precision", d.pa_precision },
                          { "pa_recall", d.pa_recall },
                          { "pa_f1", d.pa_f1 } });
        j["test_points"] = test_points;
        j["anomalous_points"] = anomalous_points;
        j["unscored_tail"] = unscored_tail;
        j["scores"] = s;
    } else if (task == "classification") {
        j["accuracy"] = accuracy;
        if (std::isfinite(accuracy_train_stats))
            j["accuracy_train_statistics"] = accuracy_train_stats;
        j["macro_f1"] = macro_f1;
        j["classes"] = class_names;
        j["confusion"] = confusion;
    } else {
        j["mse"] = mse;
        j["mae"] = mae;
        j["points"] = points;
        if (task == "imputation")
            j["mask_rate"] = mask_rate;
    }
    return j.dump(1);
}

SpecarEvalResult evaluate_specar(const SpecarEvalConfig& c)
{
    if (c.batch < 1 || c.stride < 0 || c.max_windows < 0)
        throw std::invalid_argument("eval specar: expected batch >= 1, stride >= 0 and "
                                    "max windows >= 0");
    if (!(c.mask_rate >= 0 && c.mask_rate < 1))
        throw std::invalid_argument("--mask-rate: expected 0 (the card's rate) or a fraction "
                                    "in (0, 1), found " +
                                    std::to_string(c.mask_rate));
    train::set_threads(c.threads);
    const auto dev = models::parse_device(c.device);
    auto m = models::load_specar(c.model, dev);
    m.net->eval();
    const auto& card = m.card;
    const auto data_rec = json::parse(card.data_json);
    if (!data_rec.contains("source") || !data_rec["source"].is_string())
        throw std::invalid_argument(c.model + ": the card's data record names no source; "
                                              "expected msl, JapaneseVowels, BasicMotions, "
                                              "ETTh1 or ETTh2");
    SpecarEvalResult r;
    r.model = c.model;
    r.task = card.arch.task;
    r.data = data_rec["source"].get<std::string>();
    if (r.data == "flowgraph")
        throw std::invalid_argument(c.model + ": trained on windows from a flowgraph "
                                    "(trainer_sink), not on a named benchmark; expected a card "
                                    "of msl, JapaneseVowels, BasicMotions, ETTh1 or ETTh2 (score "
                                    "a recording with `tfmed score` instead)");
    const std::string protocol = data_rec.value("protocol", std::string("clean"));
    const std::string norm =
        data_rec.value("standardisation", std::string()).rfind("train", 0) == 0 ? "train" : "file";
    const std::string dir = c.data_dir.empty() ? data::default_data_dir() : c.data_dir;
    auto d = models::specar_data(dir, r.data, card.arch, protocol, norm, 1, c.stride);
    if (static_cast<int64_t>(d.channel_names.size()) != card.arch.enc_in)
        throw std::invalid_argument(c.model + ": expected " + std::to_string(card.arch.enc_in) +
                                    " channels, " + r.data + " has " +
                                    std::to_string(d.channel_names.size()));
    d.test.thin(c.max_windows);
    r.windows = d.test.size();
    const int64_t L = card.arch.seq_len;

    if (r.task == "anomaly_detection") {
        if (!std::isfinite(card.threshold))
            throw std::invalid_argument(c.model + ": the card has no calibrated threshold");
        const int64_t stride = c.stride > 0 ? c.stride : L;
        if (stride != L || c.max_windows > 0)
            throw std::invalid_argument("eval specar: anomaly detection scores every test point "
                                        "once (stride = seq_len " + std::to_string(L) +
                                        ", all windows); found stride " +
                                        std::to_string(stride) + ", max windows " +
                                        std::to_string(c.max_windows));
        r.protocol = "test windows of " + std::to_string(L) + " at stride " + std::to_string(L) +
                     " (every point scored once); energy = mean over channels of squared error; "
                     "validated on " +
                     (protocol == "reference"
                          ? std::string("the TEST windows (reference protocol)")
                          : std::string("the last 20 % of the training rows (clean protocol)")) +
                     "; thresholds: the card's (training energies) and the percentile over "
                     "stride-" + std::to_string(L) + " training and test energies (the "
                     "reference's: stride-1 windows of both)";
        r.energy = models::specar_pass(m.net, d.test, c.batch, dev).energy;
        const auto n = static_cast<int64_t>(r.energy.size());
        r.test_points = d.test.series.size(0);
        r.unscored_tail = r.test_points - n;
        const auto lab = d.test.y.narrow(0, 0, n).contiguous();
        r.label.assign(lab.data_ptr<int64_t>(), lab.data_ptr<int64_t>() + n);
        for (int v : r.label)
            r.anomalous_points += v;
        // Reference-style threshold: the percentile over train and test energies.
        const auto train_e = models::specar_pass(m.net, d.calibration, c.batch, dev).energy;
        std::vector<double> all(train_e.begin(), train_e.end());
        all.insert(all.end(), r.energy.begin(), r.energy.end());
        // A NaN energy would read as "below the threshold": normal.
        const auto bad =
            std::count_if(all.begin(), all.end(), [](double x) { return !std::isfinite(x); });
        if (bad > 0)
            throw std::runtime_error(c.model + ": " + std::to_string(bad) + " of " +
                                     std::to_string(all.size()) + " train and test energies "
                                     "are not finite (the network's output); no scores");
        const double ref = dsp::quantile(all, 1.0 - card.anomaly_ratio / 100.0);
        for (const auto& [from, thr] :
             { std::pair<std::string, double>{ "train", card.threshold }, { "train+test", ref } }) {
            DetectionScores s;
            s.threshold_from = from;
            s.threshold = thr;
            std::vector<int> pred(static_cast<std::size_t>(n));
            for (int64_t i = 0; i < n; ++i)
                pred[static_cast<std::size_t>(i)] = r.energy[static_cast<std::size_t>(i)] > thr;
            const auto raw = models::binary_scores(r.label, pred);
            const auto pa = models::binary_scores(r.label, models::point_adjust(r.label, pred));
            s.precision = raw.precision;
            s.recall = raw.recall;
            s.f1 = raw.f1;
            s.pa_precision = pa.precision;
            s.pa_recall = pa.recall;
            s.pa_f1 = pa.f1;
            r.scores.push_back(s);
        }
        return r;
    }
    if (r.task == "classification") {
        const auto t = models::specar_pass(m.net, d.test, c.batch, dev);
        r.accuracy = models::accuracy(t.truth, t.predicted);
        if (norm == "file") {
            // The TEST file standardised by its own statistics is what the
            // reference measures; a live window has only the card's (train).
            auto dt = models::specar_data(dir, r.data, card.arch, protocol, "train", 1, c.stride);
            dt.test.thin(c.max_windows);
            const auto tt = models::specar_pass(m.net, dt.test, c.batch, dev);
            r.accuracy_train_stats = models::accuracy(tt.truth, tt.predicted);
        }
        r.class_names = d.class_names;
        const auto k = static_cast<int64_t>(d.class_names.size());
        // (A class that a thinned TEST file, --max-windows, lacks counted as
        // F1 0.)
        r.macro_f1 = models::classifier_macro_f1(t.truth, t.predicted, k);
        r.confusion = models::confusion_matrix(t.truth, t.predicted, k);
        r.protocol = (c.max_windows > 0 ? std::to_string(r.windows) + " cases of the TEST file "
                                          "(thinned to " + std::to_string(c.max_windows) + ")"
                                        : std::string("every case of the TEST file")) +
                     "; the epoch was chosen on " +
                     std::string(protocol == "reference" ? "the TEST file (reference protocol)"
                                                         : "a fifth of TRAIN (clean protocol)");
        return r;
    }
    // Forecasting and imputation.
    double rate = c.mask_rate;
    if (r.task == "imputation" && rate == 0.0)
        rate = data_rec.value("mask_rate", 0.0);
    if (r.task == "imputation" && !(rate > 0 && rate < 1))
        throw std::invalid_argument(c.model + ": no mask rate in the card; pass --mask-rate");
    const auto t = models::specar_pass(m.net, d.test, c.batch, dev, rate, c.seed);
    r.mse = t.mse();
    r.mae = t.mae();
    r.points = t.count;
    r.mask_rate = rate;
    const int64_t stride = c.stride > 0 ? c.stride : 1;
    r.protocol = std::to_string(r.windows) + " test windows at stride " + std::to_string(stride) +
                 (c.max_windows > 0 ? " (thinned to " + std::to_string(c.max_windows) + ")" : "") +
                 (r.task == "imputation"
                      ? "; MSE/MAE over the hidden points (rate " + std::to_string(rate) +
                            ", seed " + std::to_string(c.seed) + ", drawn per " +
                            std::to_string(models::kSpecarMaskBlock) + " windows)"
                      : "; MSE/MAE over every horizon point") +
                 ", standardised units; the epoch was chosen on ETT's validation months";
    // The figure's window: the middle one, last channel (ETT's target OT).
    if (r.windows > 0) {
        torch::NoGradGuard ng;
        // (Imputation: the window's own hidden points of the pass above.)
        const auto b = models::specar_batch(d.test, { r.windows / 2 }, dev, rate, c.seed,
                                            models::kSpecarMaskBlock);
        const int64_t ch = card.arch.enc_in - 1;
        r.example_channel = d.channel_names.back();
        auto vec = [ch](const torch::Tensor& x) {
            const auto v = x[0].select(-1, ch).to(torch::kFloat).cpu().contiguous();
            return std::vector<float>(v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
        };
        if (r.task == "long_term_forecast") {
            r.example_input = vec(b.x);
            r.example_truth = vec(b.target);
            r.example_output = vec(m.net->forward(b.x, b.mark).out);
        } else {
            r.example_truth = vec(b.target);
            r.example_output = vec(m.net->forward(b.x, b.mark, b.mask).out);
            const auto h = vec(b.mask);
            for (float v : h)
                r.example_hidden.push_back(v == 0.0f);
        }
    }
    return r;
}

} // namespace eval
} // namespace tfmed
