/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed train / eval specar`: argument structs in, printing and figures out;
 * the work is in the core (tfmed::train::train_specar,
 * tfmed::eval::evaluate_specar).
 */
#include "specar_cmd.h"
#include "common.h"
#include "figures.h"
#include "progress_view.h"

#include <tfmed/eval/specar_eval.h>
#include <tfmed/train/specar_trainer.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

namespace tfmed {
namespace apps {

using nlohmann::json;

int train_specar(const SpecarTrainArgs& a)
{
    for (const auto* p : { &a.json, &a.plot })
        if (!p->empty())
            check_writable(*p);
    auto view = std::make_shared<ProgressView>();
    const auto r = train::train_specar(a.cfg, [view](const train::Event& e) { (*view)(e); });
    if (!r.completed)
        return 0;
    std::printf("%s\n", r.summary.c_str());
    const auto history = json::parse(r.history_json);
    if (!a.json.empty()) {
        json j = { { "model", r.model_path },
                   { "task", a.cfg.arch.task },
                   { "best_epoch", r.best_epoch },
                   { r.metric_name, r.best_val_loss },
                   { "parameters", r.parameters },
                   { "history", history },
                   { "training", json::parse(r.training_json) } };
        if (a.cfg.arch.task == "anomaly_detection")
            j["threshold"] = r.threshold;
        write_atomically(a.json, j.dump(1) + "\n");
    }
    if (!a.plot.empty())
        save_history_plot(history, r.best_epoch, a.plot, "tfmed train specar: " + r.model_path,
                          r.metric_name);
    return 0;
}

namespace {

#ifdef TFMED_HAVE_PLOT
std::vector<double> iota(std::size_t n, double first = 0)
{
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i)
        x[i] = first + static_cast<double>(i);
    return x;
}
#endif

void save_eval_plot(const eval::SpecarEvalResult& r, const std::string& path)
{
#ifdef TFMED_HAVE_PLOT
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<plot::Panel> panels;
    if (r.task == "anomaly_detection") {
        plot::Panel e{ "anomaly energy (mean over channels of squared error)", "test point",
                       "energy", {}, {} };
        plot::Series s, lab;
        s.color = { 30, 90, 200 };
        s.label = "energy";
        s.x = iota(r.energy.size());
        s.y.assign(r.energy.begin(), r.energy.end());
        double top = 0;
        for (float v : r.energy)
            top = std::max(top, static_cast<double>(v));
        lab.color = { 200, 40, 40 };
        lab.label = "labelled anomaly";
        lab.width = 2.5;
        for (std::size_t i = 0; i < r.label.size(); ++i) {
            lab.x.push_back(static_cast<double>(i));
            lab.y.push_back(r.label[i] ? top * 1.02 : nan);
        }
        e.series = { s, lab };
        for (const auto& d : r.scores) {
            plot::Series t;
            t.color = d.threshold_from == "train" ? plot::Rgb{ 40, 150, 40 }
                                                  : plot::Rgb{ 150, 40, 150 };
            t.label = "threshold (" + d.threshold_from + ")";
            t.x = { 0.0, static_cast<double>(r.energy.size()) };
            t.y = { d.threshold, d.threshold };
            e.series.push_back(t);
        }
        panels.push_back(e);
    } else if (r.task == "classification") {
        // The confusion matrix as one bar trace per true class (row-normalised).
        plot::Panel c{ "confusion: fraction of each true class (one line per class) predicted "
                       "as each class",
                       "predicted class", "fraction", {}, {} };
        c.ymin = 0;
        c.ymax = 1;
        for (std::size_t t = 0; t < r.confusion.size(); ++t) {
            plot::Series s;
            int64_t n = 0;
            for (auto v : r.confusion[t])
                n += v;
            s.label = r.class_names.at(t);
            s.color = { static_cast<uint8_t>(40 + 53 * t % 200), static_cast<uint8_t>(90 + 37 * t % 150),
                        static_cast<uint8_t>(200 - 29 * t % 180) };
            for (std::size_t p = 0; p < r.confusion[t].size(); ++p) {
                s.x.push_back(static_cast<double>(p));
                s.y.push_back(n ? static_cast<double>(r.confusion[t][p]) / n : 0.0);
            }
            c.series.push_back(s);
        }
        panels.push_back(c);
    } else {
        plot::Panel p{ r.task == "imputation"
                           ? "imputed vs truth, channel " + r.example_channel +
                                 " of the middle test window (x = hidden point)"
                           : "forecast vs truth, channel " + r.example_channel +
                                 " of the middle test window",
                       "step", "standardised value", {}, {} };
        plot::Series truth, out;
        truth.color = { 20, 20, 20 };
        truth.label = "truth";
        out.color = { 200, 80, 30 };
        out.label = r.task == "imputation" ? "imputed" : "forecast";
        if (r.task == "imputation") {
            truth.x = iota(r.example_truth.size());
            truth.y.assign(r.example_truth.begin(), r.example_truth.end());
            out.x = truth.x;
            out.y.assign(r.example_output.begin(), r.example_output.end());
            for (std::size_t i = 0; i < r.example_hidden.size(); ++i)
                if (r.example_hidden[i])
                    p.markers.push_back({ static_cast<double>(i), "x", { 200, 80, 30 } });
        } else {
            const auto h = r.example_input.size();
            truth.x = iota(h + r.example_truth.size());
            truth.y.assign(r.example_input.begin(), r.example_input.end());
            truth.y.insert(truth.y.end(), r.example_truth.begin(), r.example_truth.end());
            out.x = iota(r.example_output.size(), static_cast<double>(h));
            out.y.assign(r.example_output.begin(), r.example_output.end());
        }
        p.series = { truth, out };
        panels.push_back(p);
    }
    save_panels(panels, path, "tfmed eval specar: " + r.model);
#else
    (void)r;
    no_plot_support(path);
#endif
}

} // namespace

int eval_specar(const SpecarEvalArgs& a)
{
    for (const auto* p : { &a.json, &a.cfg.plot })
        if (!p->empty())
            check_writable(*p);
    Progress bar("scoring", 1);
    const auto r = eval::evaluate_specar(a.cfg);
    bar.finish("scored " + std::to_string(r.windows) + " test windows");
    std::printf("%s: %s on %s\nprotocol: %s\n", r.model.c_str(), r.task.c_str(), r.data.c_str(),
                r.protocol.c_str());
    if (r.task == "anomaly_detection") {
        std::printf("%lld test points (%lld anomalous, %lld unscored at the end)\n",
                    static_cast<long long>(r.test_points),
                    static_cast<long long>(r.anomalous_points),
                    static_cast<long long>(r.unscored_tail));
        std::printf("%-22s %10s | %6s %6s %6s | %6s %6s %6s\n", "threshold from", "value", "P",
                    "R", "F1", "P(pa)", "R(pa)", "F1(pa)");
        for (const auto& d : r.scores)
            std::printf("%-22s %10.5f | %6.2f %6.2f %6.2f | %6.2f %6.2f %6.2f\n",
                        (d.threshold_from == "train" ? "train (clean)" : "train+test (reference)"),
                        d.threshold, 100 * d.precision, 100 * d.recall, 100 * d.f1,
                        100 * d.pa_precision, 100 * d.pa_recall, 100 * d.pa_f1);
        std::printf("pa = point adjustment (TSLib's, uses the ground truth); %%, binary, "
                    "anomaly = positive\n");
    } else if (r.task == "classification") {
        std::printf("accuracy %.2f %%, macro-F1 %.2f %% over %lld test cases\n",
                    100 * r.accuracy, 100 * r.macro_f1, static_cast<long long>(r.windows));
        std::printf("confusion (rows = truth, columns = predicted):\n");
        for (std::size_t t = 0; t < r.confusion.size(); ++t) {
            std::printf("  %-12s", r.class_names[t].c_str());
            for (auto v : r.confusion[t])
                std::printf(" %4lld", static_cast<long long>(v));
            std::printf("\n");
        }
    } else {
        std::printf("MSE %.4f  MAE %.4f  over %lld points\n", r.mse, r.mae,
                    static_cast<long long>(r.points));
    }
    if (!a.json.empty())
        write_atomically(a.json, r.json() + "\n");
    if (!a.cfg.plot.empty())
        save_eval_plot(r, a.cfg.plot);
    return 0;
}

} // namespace apps
} // namespace tfmed
