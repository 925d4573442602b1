/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/benchmarks.h>
#include <tfmed/data/window_set.h>
#include <tfmed/dsp/stats.h>
#include <tfmed/eval/specar_eval.h>
#include <tfmed/models/metrics.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/tsrnet_trainer.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace tfmed {
namespace eval {

namespace {

// Per-point energies of non-overlapping windows of L rows.
std::vector<float> energies(models::SpecarNet& net, const torch::Tensor& series, int64_t L,
                            int64_t batch, const torch::Device& dev)
{
    const int64_t n = series.size(0) / L;
    const auto w = series.narrow(0, 0, n * L).reshape({ n, L, series.size(1) });
    std::vector<float> e;
    e.reserve(static_cast<std::size_t>(n * L));
    torch::NoGradGuard ng;
    for (int64_t b = 0; b < n; b += batch) {
        const auto x = w.narrow(0, b, std::min(batch, n - b)).to(dev);
        const auto eb = (x - net->forward(x).out).pow(2).mean(-1).flatten().to(torch::kFloat).cpu();
        e.insert(e.end(), eb.data_ptr<float>(), eb.data_ptr<float>() + eb.numel());
    }
    return e;
}

} // namespace

std::string SpecarEvalResult::json() const
{
    nlohmann::json s = nlohmann::json::array();
    for (const auto& d : scores)
        s.push_back({ { "threshold_from", d.threshold_from },
                      { "threshold", d.threshold },
                      { "precision", d.precision },
                      { "recall", d.recall },
                      { "f1", d.f1 },
                      { "pa_precision", d.pa_precision },
                      { "pa_recall", d.pa_recall },
                      { "pa_f1", d.pa_f1 } });
    return nlohmann::json{ { "model", model },
                           { "protocol", protocol },
                           { "test_points", test_points },
                           { "anomalous_points", anomalous_points },
                           { "unscored_tail", unscored_tail },
                           { "scores", s } }
        .dump(1);
}

SpecarEvalResult evaluate_specar(const SpecarEvalConfig& c)
{
    train::set_threads(c.threads);
    const auto dev = models::parse_device(c.device);
    auto m = models::load_specar(c.model, dev);
    if (m.card.arch.task != "anomaly_detection")
        throw std::invalid_argument(c.model + ": expected an anomaly-detection model, found task '" +
                                    m.card.arch.task + "'");
    if (!std::isfinite(m.card.threshold))
        throw std::invalid_argument(c.model + ": the card has no calibrated threshold");
    const std::string dir = c.data_dir.empty() ? data::default_data_dir() : c.data_dir;
    const auto msl = data::load_msl(dir);
    if (msl.test.size(1) != m.card.arch.enc_in)
        throw std::invalid_argument(c.model + ": expected " +
                                    std::to_string(m.card.arch.enc_in) + " channels, MSL has " +
                                    std::to_string(msl.test.size(1)));
    const int64_t L = m.card.arch.seq_len;
    SpecarEvalResult r;
    r.model = c.model;
    r.protocol = "test windows of " + std::to_string(L) + " at stride " + std::to_string(L) +
                 " (every point scored once); energy = mean over channels of squared error";
    r.energy = energies(m.net, msl.test, L, c.batch, dev);
    const auto n = static_cast<int64_t>(r.energy.size());
    r.test_points = msl.test.size(0);
    r.unscored_tail = r.test_points - n;
    const auto lab = msl.test_label.narrow(0, 0, n).contiguous();
    r.label.assign(lab.data_ptr<int64_t>(), lab.data_ptr<int64_t>() + n);
    for (int v : r.label)
        r.anomalous_points += v;
    // Reference-style threshold: the percentile over train and test energies.
    auto train_e = energies(m.net, msl.train, L, c.batch, dev);
    std::vector<double> all(train_e.begin(), train_e.end());
    all.insert(all.end(), r.energy.begin(), r.energy.end());
    const double ref = dsp::quantile(all, 1.0 - m.card.anomaly_ratio / 100.0);
    for (const auto& [from, thr] :
         { std::pair<std::string, double>{ "train", m.card.threshold }, { "train+test", ref } }) {
        DetectionScores d;
        d.threshold_from = from;
        d.threshold = thr;
        std::vector<int> pred(static_cast<std::size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            pred[static_cast<std::size_t>(i)] = r.energy[static_cast<std::size_t>(i)] > thr;
        const auto raw = models::binary_scores(r.label, pred);
        const auto pa = models::binary_scores(r.label, models::point_adjust(r.label, pred));
        d.precision = raw.precision;
        d.recall = raw.recall;
        d.f1 = raw.f1;
        d.pa_precision = pa.precision;
        d.pa_recall = pa.recall;
        d.pa_f1 = pa.f1;
        r.scores.push_back(d);
    }
    return r;
}

} // namespace eval
} // namespace tfmed
