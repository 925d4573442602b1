/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed train / eval / bench tsrnet`, `tfmed info / export / import` and
 * `tfmed data rpeaks`: argument structs in, printing out. The work is in the
 * core (tfmed::train, tfmed::eval, tfmed::models).
 */
#include "tsrnet_cmd.h"
#include "common.h"
#include "figures.h"
#include "progress_view.h"

#include <tfmed/data/window_set.h>
#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/eval/quality_eval.h>
#include <tfmed/models/weights.h>
#include <tfmed/io/wfdb.h>
#include <tfmed/models/tsrnet_card.h>
#include <tfmed/train/tsrnet_trainer.h>
#include <tfmed/models/interchange.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/rpeak_check.h>
#ifdef TFMED_HAVE_PLOT
#include <tfmed/plot/figure.h>
#endif

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cmath>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <memory>

#ifndef TFMED_VERSION
#define TFMED_VERSION_STRING "unknown"
#else
#define TFMED_VERSION_STRING TFMED_VERSION
#endif

namespace tfmed {
namespace apps {

using nlohmann::json;

// ---------------------------------------------------------------- train

int train_tsrnet(const TsrnetTrainArgs& a)
{
    for (const auto* p : { &a.json, &a.plot })
        if (!p->empty())
            check_writable(*p);
    auto view = std::make_shared<ProgressView>();
    const auto r = train::train_tsrnet(a.cfg, [view](const train::Event& e) { (*view)(e); });
    if (!r.completed)
        return 0;
    std::printf("%s\n", r.summary.c_str());
    const auto history = json::parse(r.history_json);
    if (!a.json.empty()) {
        json out = { { "model", r.model_path },
                     { "metrics", json::parse(r.metrics_json) },
                     { "history", history },
                     { "training", json::parse(r.training_json) } };
        write_atomically(a.json, out.dump(1) + "\n");
    }
    if (!a.plot.empty())
        save_history_plot(history, r.best_epoch, a.plot, "tfmed train tsrnet: " + r.model_path,
                          "val_score", "training loss (uncertainty-aware)",
                          "validation score (normal windows, inference masks)");
    return 0;
}

// ---------------------------------------------------------------- eval

int eval_tsrnet(const TsrnetEvalArgs& a)
{
    for (const auto* p : { &a.json, &a.roc })
        if (!p->empty())
            check_writable(*p);
    Progress bar("scoring", 1);
    const auto r = eval::evaluate_tsrnet(a.cfg);
    bar.finish("scored " + std::to_string(r.windows) + " windows");
    if (!r.note.empty())
        std::cerr << "note: " << r.note << "\n";
    std::printf("%s on %s (%s split): %lld windows", r.model.c_str(), r.data.c_str(),
                r.split.c_str(), static_cast<long long>(r.windows));
    for (const auto& [c, n] : r.classes)
        std::printf(" %s %lld", c.c_str(), static_cast<long long>(n));
    std::printf("\n");
    std::printf("%-8s %8s %8s %10s\n", "score", "ROC-AUC", "windows", "flagged");
#ifdef TFMED_HAVE_PLOT
    plot::Panel roc_panel{ "ROC (abnormal = positive)", "false-positive rate", "true-positive rate", {}, {} };
    roc_panel.xmin = roc_panel.ymin = 0.0;
    roc_panel.xmax = roc_panel.ymax = 1.0;
#endif
    int usable = 0;
    for (const auto& s : r.scores) {
        if (!s.auc_error.empty())
            std::cerr << s.kind << ": " << s.auc_error << "\n";
        usable += std::isfinite(s.auc) ? 1 : 0;
        std::printf("%-8s %8.4f %8lld %10lld\n", s.kind.c_str(), s.auc,
                    static_cast<long long>(s.windows), static_cast<long long>(s.flagged));
        if (!s.by_class.empty()) {
            std::printf("         N vs");
            for (const auto& [c, v] : s.by_class)
                std::printf(" %s %.3f", c.c_str(), v);
            std::printf("\n");
        }
#ifdef TFMED_HAVE_PLOT
        if (std::isfinite(s.auc)) {
            plot::Series ps;
            ps.x = s.fpr;
            ps.y = s.tpr;
            ps.label = s.kind + " AUC " + fmt("%.3f", s.auc);
            ps.color = s.kind == "plain" ? plot::Rgb{ 30, 90, 200 } : plot::Rgb{ 200, 60, 30 };
            roc_panel.series.push_back(ps);
        }
#endif
    }
    if (r.at_threshold)
        std::printf("at the %s threshold %.5f (%s score): TPR %.3f, FPR %.3f\n",
                    r.threshold_given ? "given" : "card's", r.threshold, r.score_kind.c_str(),
                    r.tpr, r.fpr);
    if (!a.json.empty())
        write_atomically(a.json, r.json() + "\n");
#ifdef TFMED_HAVE_PLOT
    if (!a.roc.empty()) {
        plot::Series diag;
        diag.x = { 0, 1 };
        diag.y = { 0, 1 };
        diag.color = { 160, 160, 160 };
        roc_panel.series.push_back(diag);
        plot::save_figure({ roc_panel }, a.roc, "tfmed eval tsrnet: " + r.model, 700, 600);
        std::cerr << "wrote " << a.roc << "\n";
    }
#endif
    if (usable == 0) {
        std::cerr << "tfmed eval: no ROC-AUC could be computed (every window flagged, or one "
                     "class only)\n";
        return 1;
    }
    return 0;
}

int eval_quality(const std::string& data_dir, const std::string& model, const std::string& json_path)
{
    if (!json_path.empty())
        check_writable(json_path);
    models::QualityOptions o;
    if (!model.empty())
        o = models::read_card(model).quality;
    const std::string dir = data_dir.empty() ? data::default_data_dir() : data_dir;
    const auto r = eval::evaluate_quality(dir, o);
    std::printf("signal-quality gate (%s): share of 10-s windows flagged poor_quality\n",
                model.empty() ? "default thresholds" : ("thresholds of " + model).c_str());
    std::printf("%-48s %-9s %7s %8s  %s\n", "category", "role", "windows", "flagged", "reasons");
    bool ok = true;
    for (const auto& c : r.categories) {
        std::string why;
        for (const auto& [k, n] : c.reasons)
            why += (why.empty() ? "" : ", ") + k + " " + std::to_string(n);
        std::printf("%-48s %-9s %7lld %7.1f%%  %s\n", c.name.c_str(), c.role.c_str(),
                    static_cast<long long>(c.windows), 100.0 * c.rate(), why.c_str());
        if ((c.role == "negative" && c.rate() > 0.02) || (c.role == "artefact" && c.rate() < 0.95))
            ok = false;
    }
    std::printf("\ngoal: <= 2%% of real normal windows (negative), >= 95%% of each artefact; "
                "abnormal rhythms should pass (they are what the model scores)\n");
    if (!json_path.empty())
        write_atomically(json_path, r.json() + "\n");
    if (!ok) {
        std::fprintf(stderr, "tfmed eval quality: a category missed its goal\n");
        return 1;
    }
    return 0;
}

// ---------------------------------------------------------------- bench

int bench_tsrnet(const TsrnetBenchArgs& a)
{
    const auto r = eval::bench_tsrnet(a.cfg);
    std::printf("%s\n", r.header.c_str());
    std::printf("\n%-40s %12s %14s\n", "measurement", "value", "vs real time");
    std::printf("%-40s %9.2f w/s %13.1fx\n", "inference, batch 1 (3 masked passes)",
                1.0 / r.per_window_b1, r.window_s / r.per_window_b1);
    std::printf("%-40s %9.2f w/s %13.1fx\n", "inference, batch 32 (3 masked passes)",
                1.0 / r.per_window_b32, r.window_s / r.per_window_b32);
    std::printf("%-40s %9.2f ms\n", "preprocessing, one window (CPU)", r.preprocess_s * 1e3);
    std::printf("%-40s %9.3f s\n", "training step, batch 32", r.train_step_s);
    std::printf("\nbatch 32 vs batch 1: %.2fx windows/s. 'vs real time' = %.0f s of ECG per "
                "window / seconds per window.\n",
                r.per_window_b1 / r.per_window_b32, r.window_s);
    if (!a.json.empty())
        write_atomically(a.json, r.json() + "\n");
    return 0;
}

// ---------------------------------------------------------------- info, export, import

int model_info(const std::string& path, const std::string& history_plot)
{
    const auto f = models::read_model_file(path, true);
    if (!history_plot.empty()) {
        check_writable(history_plot);
        const auto card = json::parse(f.card_json);
        const auto t = card.value("training", json::object());
        if (!t.contains("history") || t["history"].empty())
            throw std::invalid_argument(path + ": expected a training history in the card, "
                                               "found none");
        save_history_plot(t["history"], t.value("best_epoch", 0), history_plot,
                          "training curves: " + path, history_metric(t["history"]));
    }
    const auto head = models::card_head(f.card_json);
    std::printf("%s\n", json::parse(f.card_json).dump(1).c_str());
    const auto& w = f.section("weights");
    std::printf("weights: %zu bytes, FNV-1a 64 %016llx%s\n", w.size(),
                static_cast<unsigned long long>(models::fnv1a64(w)),
                f.has("optimizer") ? " (checkpoint: with optimiser state)" : "");
    std::printf("model %s, card format %lld, sections:", head.model.c_str(),
                static_cast<long long>(head.format));
    for (const auto& [name, bytes] : f.sections)
        std::printf(" %s (%zu bytes)", name.c_str(), bytes.size());
    std::printf("\n");
    return 0;
}

int model_doctor(const std::string& path)
{
    int failures = 0;
    auto line = [&](bool ok, const std::string& what, const std::string& detail) {
        std::printf("%-8s %-16s %s\n", ok ? "ok" : "REFUSED", what.c_str(), detail.c_str());
        failures += ok ? 0 : 1;
        return ok;
    };
    auto fail_with = [&](const std::string& what, const std::exception& e) {
        std::string m = e.what();
        line(false, what, m.substr(0, m.find("\nException raised from")));
    };
    models::ModelFile f;
    try {
        f = models::read_model_file(path, true);
        std::string secs;
        for (const auto& [name, bytes] : f.sections)
            secs += ", " + name + " " + std::to_string(bytes.size()) + " B";
        line(true, "file", "sections card " + std::to_string(f.card_json.size()) + " B" + secs +
                               "; every CRC-32 verified");
    } catch (const std::exception& e) {
        fail_with("file", e);
        std::printf("\n%s: not usable (the file itself is damaged or not a model file)\n",
                    path.c_str());
        return 1;
    }
    models::CardHead head;
    try {
        head = models::card_head(f.card_json);
        line(true, "card", "model " + head.model + ", card format " +
                               std::to_string(head.format) + ", written by gr-tfmed " +
                               (head.version.empty() ? "?" : head.version) + "; " +
                               std::to_string(head.channels) + " channel(s) at " +
                               fmt("%g", head.sample_rate) + " Hz, window " +
                               std::to_string(head.window));
        models::check_card(path, head, {});
    } catch (const std::exception& e) {
        fail_with("card", e);
        std::printf("\n%s: not usable (the card's common fields are refused)\n", path.c_str());
        return 1;
    }
    if (head.model != "tsrnet") {
        line(false, "model kind", "'" + head.model + "' is not built by this version");
        return 1;
    }
    models::TsrnetCard card;
    bool card_ok = false;
    try {
        card = models::TsrnetCard::from_json(f.card_json);
        card_ok = line(true, "card fields",
                       "architecture width " + std::to_string(card.width) + ", d_model " +
                           std::to_string(card.d_model) + ", heads " +
                           std::to_string(card.heads) + "; STFT n_fft " +
                           std::to_string(card.n_fft) + " hop " + std::to_string(card.hop) +
                           " -> " + std::to_string(card.spec_bins) + " x " +
                           std::to_string(card.spec_frames) + "; every field in range");
    } catch (const std::exception& e) {
        fail_with("card fields", e);
    }
    if (!f.has("weights")) {
        line(false, "weights", "no weights section");
    } else if (card_ok) {
        try {
            auto m = models::build_module(f.card_json);
            models::load_weights_bytes(*m, f.section("weights"), torch::kCPU,
                                       "the weights section");
            int64_t n = 0;
            std::string bad;
            for (const auto& [k, t] : models::state_dict(*m)) {
                n += t.numel();
                if (bad.empty() && !torch::isfinite(t).all().item<bool>())
                    bad = k;
            }
            line(true, "card vs weights",
                 std::to_string(models::state_dict(*m).size()) +
                     " tensors, every name and shape as the card's architecture; " +
                     std::to_string(n) + " values");
            line(bad.empty(), "finite weights",
                 bad.empty() ? "no NaN/Inf" : "NaN/Inf in " + bad + " (every score would be NaN)");
        } catch (const std::exception& e) {
            fail_with("card vs weights", e);
        }
    }
    if (card_ok) {
        if (std::isfinite(card.threshold))
            line(true, "threshold",
                 fmt("%.6g", card.threshold) + " (" + fmt("%g", 100 * card.threshold_quantile) +
                     "% of " + std::to_string(card.calibration_windows) + " normal windows, " +
                     card.score + " score)");
        else
            line(false, "threshold",
                 "none calibrated (null: an interrupted run, a checkpoint or an import); the "
                 "scorer and tfmed eval refuse it unless a threshold is given");
        line(true, "quality gate",
             card.quality.enabled ? "on: kurtosis >= " + fmt("%g", card.quality.kurtosis_min) +
                                        ", beat match >= " +
                                        fmt("%g", card.quality.beat_match_min) + ", >= " +
                                        std::to_string(card.quality.min_beats) + " beats" +
                                        (json::parse(f.card_json).contains("quality")
                                             ? ""
                                             : " (defaults: the card predates the gate)")
                                  : "off in the card");
        if (f.has("optimizer"))
            std::printf("%-8s %-16s %s\n", "note", "checkpoint",
                        "has optimiser state: a training checkpoint (tfmed train --resume)");
    }
    if (failures == 0) {
        // A forward pass on a synthetic ECG-like window: the scores are numbers.
        try {
            engine::TsrnetEngine e(path, "cpu", 1, false);
            const auto& c = e.card();
            std::vector<float> w(static_cast<std::size_t>(c.window() * c.leads), 0.0f);
            for (int64_t t = 0; t < c.window(); ++t) {
                const double s = std::fmod(t / c.prep.sample_rate, 0.8) - 0.4;
                for (int64_t l = 0; l < c.leads; ++l)
                    w[static_cast<std::size_t>(t * c.leads + l)] =
                        static_cast<float>(std::exp(-0.5 * s * s / (0.01 * 0.01)));
            }
            const auto r = e.score(w.data(), 1);
            line(std::isfinite(r[0].plain), "forward pass",
                 "synthetic window: plain score " + fmt("%.5g", r[0].plain) + ", peak score " +
                     fmt("%.5g", r[0].peak) +
                     (r[0].scored() ? "" : " (" + std::string(models::to_string(r[0].status)) + ")"));
        } catch (const std::exception& e) {
            fail_with("forward pass", e);
        }
    }
    std::printf("\n%s: %s\n", path.c_str(),
                failures == 0 ? "usable: the scorer and tfmed eval accept it"
                              : (std::to_string(failures) + " problem(s): refused as it is").c_str());
    return failures == 0 ? 0 : 1;
}

int model_export(const std::string& model, const std::string& out, const std::string& section,
                 const std::string& json_path)
{
    const auto entries = models::export_state_dict(model, out, section);
    std::printf("wrote %s: %zu tensors (state dict, torch.load in Python)\n", out.c_str(),
                entries.size());
    if (!json_path.empty()) {
        json j = json::array();
        for (const auto& e : entries)
            j.push_back({ { "name", e.name }, { "shape", e.shape }, { "sum", e.sum } });
        write_atomically(json_path, j.dump(1) + "\n");
    }
    return 0;
}

int model_import(const std::string& kind, const std::string& card_from, const std::string& pt,
                 const std::string& out)
{
    const auto entries = models::import_state_dict(kind, card_from, pt, out);
    const auto f = models::read_model_file(out, true);
    std::printf("wrote %s: %zu tensors from %s, card from %s; weights FNV-1a 64 %016llx\n",
                out.c_str(), entries.size(), pt.c_str(), card_from.c_str(),
                static_cast<unsigned long long>(models::fnv1a64(f.section("weights"))));
    if (models::card_head(f.card_json).has_threshold)
        std::printf("note: the alarm threshold in the card was calibrated for the weights of "
                    "%s; recalibrate it when these weights differ\n",
                    card_from.c_str());
    return 0;
}

// ---------------------------------------------------------------- system

int system_info()
{
    // Results of training are bit-exact on one machine kind; across kinds the
    // kernels differ (ATen's CPU capability, OpenBLAS's core). The fingerprint
    // names what the bits depend on.
    std::string cap = "unknown";
    const auto cfg = at::show_config();
    const auto at = cfg.find("CPU capability usage: ");
    if (at != std::string::npos)
        cap = cfg.substr(at + 22, cfg.find('\n', at) - at - 22);
    std::string blas = "not OpenBLAS";
    using corename_fn = char* (*)();
    if (auto f = reinterpret_cast<corename_fn>(::dlsym(RTLD_DEFAULT, "openblas_get_corename")))
        blas = std::string("OpenBLAS ") + f();
    std::printf("gr-tfmed %s\n", TFMED_VERSION_STRING);
    std::printf("LibTorch %s, CPU capability %s, %d intra-op threads, CUDA %s\n", TORCH_VERSION,
                cap.c_str(), at::get_num_threads(),
                torch::cuda::is_available() ? "available" : "not available");
    std::printf("BLAS %s\n", blas.c_str());
    std::printf("fingerprint %s/%s/%s\n", TORCH_VERSION, cap.c_str(), blas.c_str());
    return 0;
}

// ---------------------------------------------------------------- rpeaks

int data_rpeaks(const std::string& path, const std::string& channel, double window_s,
                double tolerance_s, const std::string& json_path)
{
    if (std::filesystem::path(path).extension() != ".hea")
        throw std::invalid_argument("rpeaks: expected a WFDB record header (.hea), found '" +
                                    path + "'");
    const auto rec = io::read_wfdb(path.substr(0, path.size() - 4));
    models::RpeakCheckOptions o;
    o.window_s = window_s;
    o.tolerance_s = tolerance_s;
    if (!channel.empty()) {
        auto it = std::find(rec.channel_names.begin(), rec.channel_names.end(), channel);
        if (it == rec.channel_names.end())
            throw std::invalid_argument(path + ": no channel '" + channel + "'");
        o.channel = static_cast<int>(it - rec.channel_names.begin());
    }
    const auto r = models::check_rpeaks(rec, o);
    std::printf("%s, channel %s, %s: %lld annotated beats, %lld detections\n", path.c_str(),
                rec.channel_names[o.channel].c_str(),
                window_s > 0 ? (fmt("%.0f-s windows", window_s)).c_str() : "whole record",
                (long long)r.beats, (long long)r.detections);
    std::printf("within +-%.0f ms: TP %lld, FP %lld, FN %lld; sensitivity %.2f %%, positive "
                "predictivity %.2f %%\n",
                tolerance_s * 1e3, (long long)r.match.true_positives,
                (long long)r.match.false_positives, (long long)r.match.false_negatives,
                100 * r.match.sensitivity(), 100 * r.match.positive_predictivity());
    if (r.windows_without_peaks)
        std::printf("%lld of %lld windows gave no peaks\n", (long long)r.windows_without_peaks,
                    (long long)r.windows);
    if (!json_path.empty())
        write_atomically(json_path,
                         json{ { "record", path },
                               { "channel", rec.channel_names[o.channel] },
                               { "beats", r.beats },
                               { "detections", r.detections },
                               { "sensitivity", r.match.sensitivity() },
                               { "positive_predictivity", r.match.positive_predictivity() } }
                                 .dump(1) +
                             "\n");
    return 0;
}

} // namespace apps
} // namespace tfmed
