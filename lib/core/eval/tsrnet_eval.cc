/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/train/runtime.h>
#include <tfmed/dsp/stft.h>
#include <tfmed/data/window_set.h>
#include <tfmed/eval/tsrnet_eval.h>
#include <tfmed/models/metrics.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/tsrnet_trainer.h>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>

#include "timing.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace tfmed {
namespace eval {

using nlohmann::json;

namespace {

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

} // namespace

std::string TsrnetEvalResult::json() const
{
    nlohmann::json j = { { "model", model },   { "data", data },
                         { "split", split },   { "test_normalized", test_normalized },
                         { "windows", windows }, { "classes", classes } };
    nlohmann::json flagged;
    for (const auto& s : scores) {
        flagged[s.kind] = s.flagged;
        j["auc_" + s.kind] = num(s.auc);
        j["auc_" + s.kind + "_by_class"] = s.by_class;
    }
    j["flagged"] = flagged;
    if (!note.empty())
        j["note"] = note;
    if (at_threshold)
        j["at_threshold"] = { { "threshold", threshold }, { "given", threshold_given },
                             { "score", score_kind },
                             { "tpr", num(tpr) }, { "fpr", num(fpr) } };
    return j.dump(1);
}

TsrnetEvalResult evaluate_tsrnet(const TsrnetEvalConfig& a)
{
    train::set_threads(a.threads);
    dsp::set_reproducible_fft(true);
    const auto dev = models::parse_device(a.device);
    auto m = models::load_tsrnet(a.model, dev);
    if (std::isinf(a.threshold))
        throw std::invalid_argument("--threshold: expected a finite number, found " +
                                    std::to_string(a.threshold));
    if (!std::isfinite(m.card.threshold) && std::isnan(a.threshold))
        throw std::invalid_argument(a.model +
                                    ": the card has no calibrated alarm threshold (null: an "
                                    "interrupted or imported run); a block would refuse it. "
                                    "Give one with --threshold T to evaluate it anyway");
    const double threshold = std::isnan(a.threshold) ? m.card.threshold : a.threshold;
    if (a.literal_test_prep)
        m.card.prep.normalize = false; // the reference's test set: filtered, not normalised
    const auto da = a.data_given ? a.data
                                 : data::WindowSetSpec::from_json(m.card.data_json,
                                                                  a.data.data_dir);
    const auto set = data::load_window_set(da, m.card.prep.sample_rate, m.card.window());
    if (!a.data_given) {
        // The split is a seeded permutation of the windows read: other
        // windows at the card's path would put training windows in "test".
        const auto was = nlohmann::json::parse(m.card.data_json).value("digest", std::string());
        const auto now = train::tsrnet_data_digest(set);
        if (!was.empty() && was != now)
            throw std::invalid_argument(
                "eval: " + a.model + " was trained on windows with digest " + was + ", " +
                da.data + " now reads as " + now + " (another file or folder, or the file "
                "changed): its test split would not be the one held out. Give the data with "
                "--data to evaluate on it anyway (a split of that set, stated in the output)");
    }
    if (m.card.leads != set.x.size(1))
        throw std::invalid_argument("eval: model " + a.model + " expects " +
                                    std::to_string(m.card.leads) + " lead(s), the data " +
                                    da.data + " has " + std::to_string(set.x.size(1)));
    const auto split = data::split_normal_only(set, da);
    std::vector<int64_t> idx;
    if (a.split == "test")
        idx = split.test;
    else if (a.split == "val") // normal windows only: nothing to rank
        throw std::invalid_argument("--split val: the validation part holds normal windows only "
                                    "(no ROC-AUC to compute); expected test or all");
    else if (a.split == "all")
        for (int64_t i = 0; i < set.x.size(0); ++i)
            idx.push_back(i);
    else
        throw std::invalid_argument("--split: expected test or all, found '" + a.split + "'");

    TsrnetEvalResult r;
    r.model = a.model;
    r.data = da.data;
    r.split = a.split;
    r.test_normalized = m.card.prep.normalize;
    r.windows = static_cast<int64_t>(idx.size());
    r.score_kind = m.card.score;
    if (a.data_given && a.split != "all")
        r.note = "--data given; split '" + a.split + "' of that set with seed " +
                 std::to_string(da.seed);
    // Leads by count only: a record's first signal (no --channels) may not
    // be the lead the model learned. Said, with both names.
    const bool record = da.data.size() > 4 && da.data.compare(da.data.size() - 4, 4, ".hea") == 0;
    if (a.data_given && record && !m.card.lead_names.empty() &&
        set.channel_names != m.card.lead_names) {
        std::string used, card_names;
        for (const auto& n : set.channel_names)
            used += (used.empty() ? "" : ",") + n;
        for (const auto& n : m.card.lead_names)
            card_names += (card_names.empty() ? "" : ",") + n;
        r.note += std::string(r.note.empty() ? "" : "; ") + "scored on channel(s) " + used +
                  " of the data; the model was trained on " + card_names +
                  " (--channels picks a record's signals)";
    }
    const auto pr = models::prepare_batch(set.x.index_select(0, torch::tensor(idx, torch::kLong)),
                                          m.card.prep);
    const auto sc = models::score_prepared(m.model, m.card, pr, dev, a.batch);
    const auto plain = models::to_doubles(sc.plain), peak = models::to_doubles(sc.peak);
    for (std::size_t k = 0; k < idx.size(); ++k)
        r.classes[set.cls[idx[k]]]++;
    for (const char* kind : { "peak", "plain" }) {
        const auto& v = std::string(kind) == "plain" ? plain : peak;
        ScoreRoc s;
        s.kind = kind;
        std::vector<double> sv;
        std::vector<int> yv;
        for (std::size_t k = 0; k < idx.size(); ++k) {
            if (std::isfinite(v[k])) {
                sv.push_back(v[k]);
                yv.push_back(set.label[idx[k]]);
            } else {
                ++s.flagged;
            }
        }
        s.windows = static_cast<int64_t>(sv.size());
        s.auc = NAN;
        try {
            s.auc = models::roc_auc(sv, yv);
            const auto roc = models::roc_curve(sv, yv);
            s.fpr = roc.fpr;
            s.tpr = roc.tpr;
        } catch (const std::invalid_argument& e) {
            s.auc_error = e.what();
        }
        // Per abnormal class: N vs that class.
        for (const auto& [c, n] : r.classes) {
            if (c == "N")
                continue;
            std::vector<double> s2;
            std::vector<int> y2;
            for (std::size_t k = 0; k < idx.size(); ++k) {
                const auto& ck = set.cls[idx[k]];
                if ((ck == "N" || ck == c) && std::isfinite(v[k])) {
                    s2.push_back(v[k]);
                    y2.push_back(ck == c);
                }
            }
            try {
                s.by_class[c] = models::roc_auc(s2, y2);
            } catch (const std::invalid_argument&) {
            }
        }
        r.scores.push_back(std::move(s));
    }
    // A window without R peaks has a plain score but no peak one (0/0): the
    // two AUCs then rank different windows. Say so, with plain's AUC on the
    // windows both scored, the comparison that holds.
    {
        std::vector<double> sv;
        std::vector<int> yv;
        int64_t plain_only = 0;
        for (std::size_t k = 0; k < idx.size(); ++k) {
            if (std::isfinite(plain[k]) && std::isfinite(peak[k])) {
                sv.push_back(plain[k]);
                yv.push_back(set.label[idx[k]]);
            } else if (std::isfinite(plain[k])) {
                ++plain_only;
            }
        }
        if (plain_only > 0) {
            std::string common = "cannot be computed";
            try {
                char b[32];
                std::snprintf(b, sizeof b, "%.4f", models::roc_auc(sv, yv));
                common = b;
            } catch (const std::invalid_argument&) {
            }
            r.note += (r.note.empty() ? "" : "; ") + std::to_string(plain_only) +
                      " window(s) without R peaks have a plain score only: on the " +
                      std::to_string(sv.size()) + " windows with both scores plain's ROC-AUC " +
                      common;
        }
    }
    if (a.literal_test_prep)
        r.note += std::string(r.note.empty() ? "" : "; ") +
                  "--literal-test-prep scores windows that are not normalised, while the card's "
                  "threshold was calibrated on normalised ones: TPR/FPR at it do not compare";
    // Nothing scored is a failure, not an empty table.
    {
        const auto& v = m.card.score == "peak" ? peak : plain;
        int64_t finite = 0;
        for (double x : v)
            finite += std::isfinite(x) ? 1 : 0;
        if (finite == 0) {
            std::map<std::string, int64_t> why;
            for (std::size_t k = 0; k < idx.size(); ++k)
                why[models::to_string(pr.status[k])]++;
            std::string w;
            for (const auto& [st, n] : why)
                w += (w.empty() ? "" : ", ") + std::to_string(n) + " " + st;
            throw std::runtime_error(
                "eval: none of the " + std::to_string(idx.size()) + " windows got a finite " +
                m.card.score + " score (window status: " + w +
                "; an ok status with no score means the network output NaN/Inf)");
        }
    }
    // Alarm behaviour at the card's (or the given) threshold.
    {
        const auto& v = m.card.score == "peak" ? peak : plain;
        int64_t tp = 0, fp = 0, pos = 0, neg = 0;
        for (std::size_t k = 0; k < idx.size(); ++k) {
            if (!std::isfinite(v[k]))
                continue;
            const int y = set.label[idx[k]];
            (y ? pos : neg)++;
            if (v[k] > threshold)
                (y ? tp : fp)++;
        }
        r.at_threshold = true;
        r.threshold = threshold;
        r.threshold_given = !std::isnan(a.threshold);
        r.tpr = pos ? double(tp) / pos : NAN;
        r.fpr = neg ? double(fp) / neg : NAN;
    }
    return r;
}

std::string TsrnetBenchResult::json() const
{
    nlohmann::json w = nlohmann::json::object();
    for (std::size_t i = 0; i < batches.size(); ++i)
        w[std::to_string(batches[i])] = windows_per_s[i];
    return nlohmann::json{ { "windows_per_s", w },
                           { "score_gflop_per_window", score_gflop },
                           { "passes", passes },
                           { "parameters", parameters },
                           { "preprocess_ms", preprocess_s * 1e3 },
                           { "train_step_s", train_step_s },
                           { "setup", header } }
        .dump(1);
}

TsrnetBenchResult bench_tsrnet(const TsrnetBenchConfig& a)
{
    train::set_threads(a.threads);
    const auto dev = models::parse_device(a.device);
    models::TsrnetCard card;
    models::Tsrnet net{ nullptr };
    if (!a.model.empty()) {
        auto l = models::load_tsrnet(a.model, dev);
        card = l.card;
        net = l.model;
    } else {
        card.leads = a.leads;
        card.width = a.width;
        card.d_model = a.d_model;
        card.validate();
        torch::manual_seed(0);
        net = models::Tsrnet(models::options_of(card));
        net->to(dev);
    }
    const int64_t T = card.prep.crop_length, L = card.leads;
    auto sync = [&] {
        if (dev.is_cuda()) // a device-to-host copy waits for the queued kernels
            torch::zeros({ 1 }, torch::TensorOptions().device(dev)).cpu();
    };
    // The benches' one timer: at least two calls (a ~9 s training step
    // was timed once), each followed by sync on a GPU.
    auto timed = [&](const std::function<void()>& fn) { return eval::timed(fn, a.seconds, sync); };
    torch::manual_seed(1);
    TsrnetBenchResult r;
    char head[512];
    std::snprintf(head, sizeof head,
                  "tfmed bench tsrnet: %s, %lld leads x %lld samples, width %lld, d_model %lld, "
                  "%lld parameters, device %s, %d threads",
                  a.model.empty() ? "fresh network" : a.model.c_str(), (long long)L, (long long)T,
                  (long long)card.width, (long long)card.d_model,
                  (long long)models::count_parameters(*net), dev.str().c_str(),
                  at::get_num_threads());
    r.header = head;
    r.device = dev.str();
    r.batches = a.batches;
    r.threads = at::get_num_threads();
    r.parameters = models::count_parameters(*net);
    r.leads = card.leads, r.width = card.width, r.d_model = card.d_model;
    r.passes = card.masking.passes();
    r.score_gflop = static_cast<double>(card.masking.passes()) *
                    models::tsrnet_forward_flops(models::options_of(card)) / 1e9;
    for (const int64_t b : a.batches) {
        if (b < 1)
            throw std::invalid_argument("bench tsrnet: batch sizes must be >= 1, found " +
                                        std::to_string(b));
        const auto x = torch::rand({ b, T, L }, torch::TensorOptions().device(dev)) * 2 - 1;
        const auto pm = torch::ones({ b, T });
        const double s = timed([&] { models::score_windows(net, card, x, pm); });
        r.windows_per_s.push_back(static_cast<double>(b) / s);
    }
    // Preprocessing (filters, R peaks, crop) of one raw window, on the CPU.
    std::vector<float> raw(static_cast<std::size_t>(card.window() * L));
    for (std::size_t i = 0; i < raw.size(); ++i)
        raw[i] = static_cast<float>(std::sin(i * 0.01) + 0.3 * ((i / L) % 400 < 10));
    r.preprocess_s = timed([&] { models::prepare_window(raw.data(), L, card.prep); });
    // One training step at batch 32.
    const auto stft = models::stft_of(card);
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-4));
    std::mt19937_64 rng(1);
    const auto xb =
        torch::rand({ a.train_batch, T, L }, torch::TensorOptions().device(dev)) * 2 - 1;
    net->train();
    r.train_step_s = timed([&] {
        auto loss = models::training_loss(net, card, stft, xb, rng);
        opt.zero_grad();
        loss.backward();
        opt.step();
    });
    r.window_s = card.window() / card.prep.sample_rate;
    return r;
}

} // namespace eval
} // namespace tfmed
