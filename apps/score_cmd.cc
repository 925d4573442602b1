/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed score MODEL INPUT`: a recording or table scored offline by a model
 * file, window by window, through the same engines the live blocks use:
 * TSRNet anomaly scores, SpecAR-Net anomaly energies or classes, TRLS
 * classes. Channels are matched by name, the input is resampled to the
 * model's rate, and where the input carries beat annotations each window is
 * labelled (normal / abnormal) and the scores' ROC-AUC reported. Per-window
 * CSV, JSON and a PNG of the trace with the scores. This file: the command,
 * its checks, its report and its options; score.h names the other parts.
 */
#include "cli.h"
#include "common.h"
#include "score.h"

#include <tfmed/data/windows.h>
#include <tfmed/io/atomic.h>
#include <tfmed/io/wfdb.h>
#include <tfmed/models/metrics.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/specar_card.h>
#ifdef TFMED_HAVE_PLOT
#include <tfmed/plot/figure.h>
#endif

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

namespace tfmed {
namespace apps {

using nlohmann::json;

using namespace score;

namespace {

int score_cmd(const ScoreArgs& a)
{
#ifdef TFMED_HAVE_PLOT
    if (!a.plot.empty())
        plot::check_font();
#else
    if (!a.plot.empty())
        throw std::runtime_error("--plot: this build has no PNG support (configure with "
                                 "Debian's libstb-dev installed)");
#endif
    // Before any work; a WFDB record's own files (signals, annotations) too.
    auto inputs = record_files(a.input);
    inputs.push_back(a.model);
    inputs.push_back(a.input);
    check_outputs({ a.csv, a.json_path, a.plot }, inputs);
    const std::string ext = lower_ext(a.input);
    const bool table = ext == ".csv" || ext == ".npy";
    if (a.rate > 0 && !table)
        throw std::invalid_argument("--rate: only for .csv/.npy tables; " + a.input +
                                    " states its own rate");
    // The model: what it takes and whether it scores.
    const auto file = models::read_model_file(a.model, false);
    const auto head = models::card_head(file.card_json);
    models::check_card(a.model, head, {});
    std::string kind = head.model, task;
    if (kind == "specar") {
        task = models::SpecarCard::from_json(file.card_json).arch.task;
        if (task != "anomaly_detection" && task != "classification")
            throw std::invalid_argument(
                a.model + ": a SpecAR-Net " + task + " model predicts values, it does not score "
                "windows: expected an anomaly_detection or classification model (forecasts and "
                "imputations: tfmed eval specar, or the specar block)");
    } else if (kind == "tsrnet") {
        task = "anomaly_detection";
    } else if (kind == "trls") {
        task = "classification";
    } else {
        throw std::invalid_argument(a.model + ": expected a tsrnet, specar or trls model, found '" +
                                    kind + "'");
    }
    if (task == "classification" && !std::isnan(a.threshold))
        throw std::invalid_argument("--threshold: " + a.model + " classifies; a threshold is for "
                                                                "anomaly models");
    if (a.no_gate && kind != "tsrnet")
        throw std::invalid_argument("--no-quality-gate: only TSRNet models have a signal-quality "
                                    "gate; found a " + kind + " model");
    if (task == "anomaly_detection" && std::isnan(a.threshold) && !head.has_threshold)
        throw std::invalid_argument(a.model + ": the card has no alarm threshold: expected "
                                              "--threshold");

    for (const auto& sym : a.normal)
        if (!io::wfdb_is_beat(io::wfdb_annotation_code(sym)))
            throw std::invalid_argument("--normal: expected WFDB beat symbols (N L R a V F J A S "
                                        "E j / Q B ? ! e n f r), found '" + sym + "'");

    const Input in = prepare_input(a, head);
    const auto& r = in.r;
    const double rate_in = in.rate_in, rate = in.rate;
    const int64_t W = in.W, hop = in.hop;
    const bool resampled = in.resampled;
    const int64_t n = (r.n_samples - W) / hop + 1;
    const int64_t tail = r.n_samples - ((n - 1) * hop + W); // samples after the last window
    // A hop past the window skips the samples between windows: counted.
    const int64_t between = hop > W ? (n - 1) * (hop - W) : 0;
    bool annotated = false;
    for (const auto& an : r.annotations)
        annotated = annotated || io::wfdb_is_beat(an.code);
    if (a.normal_given && !annotated)
        throw std::invalid_argument("--normal: " + a.input + " holds no beat annotations in the "
                                    "span scored: nothing to label");
    data::WindowOptions wo;
    wo.length = W;
    wo.hop = hop;
    wo.normal = std::set<std::string>(a.normal.begin(), a.normal.end());
    wo.drop_invalid = false;

    const Scores s = score_windows(a, kind, task, in, wo, n);
    const auto& score = s.score; const auto& extra1 = s.extra1; const auto& extra2 = s.extra2;
    const auto& status = s.status; const auto& alarm = s.alarm; const auto& cls = s.cls;
    const auto& label = s.label; const auto& beats = s.beats; const auto& probs = s.probs;
    const auto& class_names = s.class_names; const auto& columns = s.columns;
    const double threshold = s.threshold;
    const std::string& device = s.device;
    // Labels from beat annotations, and how well the scores rank them.
    int64_t scored = 0, alarms = 0, abnormal = 0;
    int64_t abnormal_unscored = 0; // labelled abnormal, but flagged: not in the ROC-AUC
    std::vector<double> auc_s;
    std::vector<int> auc_y;
    for (int64_t i = 0; i < n; ++i) {
        scored += std::isfinite(score[i]);
        alarms += alarm[i];
        abnormal += annotated && label[i];
        if (annotated && task == "anomaly_detection" && std::isfinite(score[i])) {
            auc_s.push_back(score[i]);
            auc_y.push_back(label[i]);
        } else if (annotated && task == "anomaly_detection") {
            abnormal_unscored += label[i] != 0;
        }
    }
    double auc = std::numeric_limits<double>::quiet_NaN();
    const auto pos = std::count(auc_y.begin(), auc_y.end(), 1);
    if (pos > 0 && pos < static_cast<long>(auc_y.size()))
        auc = models::roc_auc(auc_s, auc_y);

    // Report.
    auto start_s = [&](int64_t i) { return in.start(i); };
    json windows = json::array();
    std::ostringstream csv;
    csv << (rate > 0 ? "window,start_s,end_s" : "window,start,end");
    for (const auto& c : columns)
        csv << "," << csv_text(c);
    if (annotated)
        csv << ",beats,abnormal";
    csv << "\n";
    for (int64_t i = 0; i < n; ++i) {
        const double s0 = start_s(i), s1 = s0 + (rate > 0 ? W / rate : static_cast<double>(W));
        json jw = { { "start", s0 }, { "status", status[i] } };
        csv << i << "," << time_field(s0) << "," << time_field(s1);
        if (task == "anomaly_detection") {
            jw["score"] = std::isfinite(score[i]) ? json(score[i]) : json(nullptr);
            jw["alarm"] = alarm[i] != 0;
            csv << "," << csv_field(score[i]) << "," << csv_field(extra1[i]) << ","
                << csv_field(extra2[i]) << "," << status[i] << "," << alarm[i];
            if (kind == "tsrnet") {
                // The short reason ("lead 1: low_kurtosis+saturation": no
                // comma) in the CSV, with its figures in the JSON.
                csv << "," << s.reason[i];
                if (!s.reason[i].empty())
                    jw["reason"] = s.reason[i];
                if (!s.detail[i].empty())
                    jw["detail"] = s.detail[i];
            }
        } else {
            const auto& p = probs[static_cast<std::size_t>(i)];
            jw["class"] = cls[i];
            jw["label"] = cls[i] >= 0 ? json(class_names[static_cast<std::size_t>(cls[i])]) : json(nullptr);
            jw["probabilities"] = p;
            csv << "," << cls[i] << ","
                << (cls[i] >= 0 ? csv_text(class_names[static_cast<std::size_t>(cls[i])]) : "")
                << ","
                << csv_field(score[i]) << "," << status[i];
            for (float v : p)
                csv << "," << csv_field(v);
        }
        if (annotated) {
            jw["beats"] = beats[i];
            jw["abnormal"] = label[i];
            csv << "," << beats[i] << "," << label[i];
        }
        csv << "\n";
        windows.push_back(jw);
    }
    std::vector<std::string> used_names = r.channel_names;
    json summary = { { "model", a.model },
                     { "kind", kind },
                     { "task", task },
                     { "input", a.input },
                     { "channels", used_names },
                     { "input_rate", rate_in },
                     { "input_rate_source", in.rate_source },
                     { "rate", rate },
                     { "resampled", resampled },
                     { "window", W },
                     { "hop", hop },
                     { "windows", n },
                     { "scored", scored },
                     { "device", device } };
    if (task == "anomaly_detection") {
        summary["threshold"] = std::isfinite(threshold) ? json(threshold) : json(nullptr);
        summary["alarms"] = alarms;
    } else {
        json counts = json::object();
        for (std::size_t k = 0; k < class_names.size(); ++k)
            counts[class_names[k]] = std::count(cls.begin(), cls.end(), static_cast<int>(k));
        summary["classes"] = counts;
        summary["class_names"] = class_names; // in the model's order
    }
    summary["unscored_tail"] = tail; // samples after the last whole window
    summary["unscored_between"] = between; // samples a hop past the window skips
    if (annotated) {
        summary["normal_symbols"] = a.normal;
        summary["abnormal_windows"] = abnormal;
        if (task == "anomaly_detection") {
            summary["roc_auc"] = std::isfinite(auc) ? json(auc) : json(nullptr);
            // Over the scored windows only (flagged ones have no score).
            summary["roc_auc_windows"] = static_cast<int64_t>(auc_y.size());
            summary["abnormal_windows_unscored"] = abnormal_unscored;
        }
    }

    std::printf("%s (%s, %s) on %s\n", a.model.c_str(), kind.c_str(), task.c_str(), a.input.c_str());
    std::string rate_note;
    if (resampled) {
        rate_note = " (resampled from " + csv_field(rate_in) + " Hz";
        if (std::abs(rate - head.sample_rate) > 1e-9 * head.sample_rate)
            rate_note += " by the nearest ratio to the model's " + csv_field(head.sample_rate) +
                         " Hz; times at " + time_field(rate) + " Hz";
        rate_note += ")";
    }
    if (in.rate_source == "assumed")
        rate_note += " (the table states no rate: the model's assumed; give --rate)";
    else if (in.rate_source == "unknown")
        rate_note += " (neither the table nor the model's card states a rate: times in "
                     "samples; give --rate)";
    std::printf("  channels %s; %g Hz%s; windows of %lld samples every %lld: %lld windows, "
                "%lld scored\n",
                join(used_names).c_str(), rate, rate_note.c_str(),
                static_cast<long long>(W), static_cast<long long>(hop), static_cast<long long>(n),
                static_cast<long long>(scored));
    const double hr = in.hop_rate;
    if (a.hop_s > 0 && hr > 0 && std::abs(hop / hr - a.hop_s) > 1e-9 * a.hop_s)
        std::printf("  --hop %s s is not a whole number of samples at %g Hz: windows every %lld "
                    "samples (%s s)\n",
                    csv_field(a.hop_s).c_str(), hr, static_cast<long long>(hop),
                    time_field(hop / hr).c_str());
    if (tail > 0)
        std::printf("  the last %lld samples (%s) come after the last whole window: not scored\n",
                    static_cast<long long>(tail),
                    rate > 0 ? (csv_field(tail / rate) + " s").c_str() : "samples");
    if (between > 0)
        std::printf("  a hop of %lld samples past the window of %lld skips %lld samples between "
                    "windows (%.1f %% of the span): not scored\n",
                    static_cast<long long>(hop), static_cast<long long>(W),
                    static_cast<long long>(between),
                    100.0 * static_cast<double>(between) / static_cast<double>(r.n_samples));
    if (task == "anomaly_detection") {
        std::printf("  threshold %s: %lld alarm(s)\n", csv_field(threshold).c_str(),
                    static_cast<long long>(alarms));
    } else {
        for (std::size_t k = 0; k < class_names.size(); ++k)
            std::printf("  %-16s %lld window(s)\n", class_names[k].c_str(),
                        static_cast<long long>(std::count(cls.begin(), cls.end(), static_cast<int>(k))));
    }
    if (annotated)
        std::printf("  beat annotations: %lld of %lld windows hold a beat not in {%s}%s\n",
                    static_cast<long long>(abnormal), static_cast<long long>(n),
                    join(a.normal).c_str(),
                    std::isfinite(auc) ? (": ROC-AUC of the scores " + csv_field(auc) + " over the " +
                                          std::to_string(auc_y.size()) + " scored windows")
                                             .c_str()
                                       : "");
    if (abnormal_unscored > 0)
        std::printf("  %lld abnormal window(s) flagged, not scored: not in the ROC-AUC\n",
                    static_cast<long long>(abnormal_unscored));
    // Every output's text first (names from a file's header need not be
    // UTF-8: replaced, not thrown on after another output was written).
    std::string json_text;
    if (!a.json_path.empty()) {
        summary["per_window"] = windows;
        json_text = summary.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
    }
    // The report is on stdout's buffer: out before an output that may be
    // stdout itself (--csv /dev/stdout), or it would come after the rows.
    std::fflush(stdout);
#ifdef TFMED_HAVE_PLOT
    draw(a, kind, task, in, s, wo, n);
#endif
    if (!a.csv.empty()) {
        io::write_atomically(a.csv, csv.str());
        std::printf("  wrote %s\n", a.csv.c_str());
    }
    if (!a.json_path.empty()) {
        io::write_atomically(a.json_path, json_text);
        std::printf("  wrote %s\n", a.json_path.c_str());
    }
    return 0;
}

} // namespace

void add_score_commands(Cli& cli)
{
    auto a = std::make_shared<ScoreArgs>();
    auto* c = cli.app.add_subcommand(
        "score", "Score a recording or table offline with a model file, window by window (the "
                 "live blocks' engines): TSRNet and SpecAR-Net anomaly scores, SpecAR-Net and "
                 "TRLS classes; ROC-AUC against beat annotations; CSV, JSON, PNG");
    c->add_option("MODEL", a->model, "Model file (.tfm)")->required();
    c->add_option("INPUT", a->input, "WFDB record (.hea), EDF/BDF, .csv or .npy (rows = samples)")
        ->required();
    c->add_option("--channels", a->channels,
                  "Input channels for the model's, by name or 0-based index, e.g. MLII or 0,1 "
                  "(default: the model's channel names)")
        ->delimiter(',');
    c->add_option("--hop", a->hop_s, "Seconds between window starts (default: one window)")
        ->check(kFinitePositive);
    c->add_option("--from", a->from, "Start, seconds")->check(kFiniteNonNegative);
    c->add_option("--to", a->to, "End, seconds (default: the end)")->check(kFinitePositive);
    c->add_option("--rate", a->rate, ".csv/.npy input: its sample rate (default: the model's)")
        ->check(kFinitePositive);
    c->add_option("--threshold", a->threshold,
                  "Alarm level instead of the card's (anomaly models)")
        ->check(number_check([](double v) { return std::isfinite(v); }, "a finite number",
                             "FINITE"));
    c->add_option("--normal", a->normal,
                  "Beat symbols that count as normal when labelling windows from annotations")
        ->delimiter(',')
        ->capture_default_str();
    c->add_flag("--no-quality-gate", a->no_gate, "TSRNet: score windows the signal-quality gate "
                                                 "would flag");
    c->add_option("--device", a->device, "auto, cpu, cuda or cuda:N")->check(kDeviceName)->capture_default_str();
    c->add_option("--threads", a->threads, "Intra-op threads (0 = all cores)")
        ->check(int_range(0, kMaxThreads))
        ->capture_default_str();
    c->add_option("--batch", a->batch, "Windows per engine call")
        ->check(int_range(1, 4096))
        ->capture_default_str();
    c->add_option("--csv", a->csv, "Per-window CSV");
    c->add_option("--json", a->json_path, "Summary and per-window JSON");
    c->add_option("--plot", a->plot, "PNG: the first channel with abnormal beats marked, and the "
                                     "scores or class probabilities per window")
        ->check(file_output("a PNG"));
    cli.on(c, [a, c] {
        a->normal_given = c->count("--normal") > 0;
        return score_cmd(*a);
    });
}

} // namespace apps
} // namespace tfmed
