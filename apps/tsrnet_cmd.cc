/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed train / eval / bench tsrnet`, `tfmed eval quality` and
 * `tfmed data rpeaks`: argument structs in, printing out. The work is in the
 * core (tfmed::train, tfmed::eval, tfmed::models).
 */
#include "cli.h"
#include "common.h"
#include "twin.h"
#include "figures.h"
#include "launch.h"
#include "progress_view.h"

#include <tfmed/data/window_set.h>
#include <tfmed/engine/serve.h>
#include <tfmed/eval/tsrnet_eval.h>
#include <tfmed/eval/quality_eval.h>
#include <tfmed/io/wfdb.h>
#include <tfmed/models/tsrnet_card.h>
#include <tfmed/train/distributed.h>
#include <tfmed/train/tsrnet_config.h>
#include <tfmed/train/tsrnet_trainer.h>
#include <tfmed/models/rpeak_check.h>
#ifdef TFMED_HAVE_PLOT
#include <tfmed/plot/figure.h>
#endif

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <array>
#include <memory>

namespace tfmed {
namespace apps {

using nlohmann::json;

namespace {

struct TsrnetTrainArgs {
    DistArgs dist; //!< --nproc and the world (launch.h)
    train::TsrnetTrainConfig cfg;
    std::string json, plot;
};

struct TsrnetEvalArgs {
    eval::TsrnetEvalConfig cfg;
    std::string json, roc;
};

struct TsrnetBenchArgs {
    eval::TsrnetBenchConfig cfg;
    std::string twin; //!< bench_tsrnet_twin.py ("" = search)
    std::string python = "/usr/bin/python3";
    bool no_twin = false;
    int rounds = 1;
    std::string json;
};

// The files a window-set spec reads (a given file, its labels, a WFDB
// record's files): outputs must not be one of them. Named sets ("mitdb_...")
// are folders under the data directory, not files.
std::vector<std::string> data_inputs(const data::WindowSetSpec& d)
{
    std::vector<std::string> in;
    std::error_code ec;
    if (std::filesystem::is_regular_file(d.data, ec))
        in.push_back(d.data);
    for (const auto& f : record_files(d.data))
        in.push_back(f);
    if (!d.labels.empty())
        in.push_back(d.labels);
    return in;
}

// ---------------------------------------------------------------- train

int train_tsrnet(const TsrnetTrainArgs& a)
{
    return run_training(a.dist, a.cfg.device, [&] {
        check_outputs({ a.json, a.plot, a.cfg.out }, data_inputs(a.cfg.data));
        const auto r = train::train_tsrnet(a.cfg, world_progress(), training_cancel());
        if (!train::dist::is_writer())
            return 0;
        note_unwritten(r.completed, { a.json, a.plot });
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
    });
}

// ---------------------------------------------------------------- eval

int eval_tsrnet(const TsrnetEvalArgs& a)
{
    auto inputs = a.cfg.data_given ? data_inputs(a.cfg.data) : std::vector<std::string>();
    inputs.push_back(a.cfg.model);
    check_outputs({ a.json, a.roc }, inputs);
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
    check_outputs({ json_path }, { model }); // (--json onto the model replaced it)
    models::QualityOptions o;
    if (!model.empty()) {
        const auto card = models::read_card(model);
        // The evaluation's windows are TSRNet's: 10 s at 500 Hz, the model
        // seeing samples 100 .. 4900. Another geometry would be measured on
        // windows its gate never assesses.
        if (card.prep.sample_rate != eval::kQualityRate ||
            card.window() != eval::kQualityWindow ||
            card.prep.crop_begin != eval::kQualityCropBegin ||
            card.prep.crop_length != eval::kQualityCropLength)
            throw std::invalid_argument(
                model + ": expected a model on 10-s windows at 500 Hz (" +
                std::to_string(eval::kQualityWindow) + " samples, crop " +
                std::to_string(eval::kQualityCropBegin) + " + " +
                std::to_string(eval::kQualityCropLength) + "), the windows of this evaluation; "
                "found " + [&] {
                    char b[32];
                    std::snprintf(b, sizeof b, "%g", card.prep.sample_rate);
                    return std::string(b);
                }() + " Hz, " +
                std::to_string(card.window()) + " samples, crop " +
                std::to_string(card.prep.crop_begin) + " + " +
                std::to_string(card.prep.crop_length));
        o = card.quality;
    }
    const std::string dir = data_dir.empty() ? data::default_data_dir() : data_dir;
    const auto r = eval::evaluate_quality(dir, o);
    std::printf("signal-quality gate (%s): share of 10-s windows flagged poor_quality\n",
                model.empty() ? "default thresholds" : ("thresholds of " + model).c_str());
    if (!o.enabled)
        std::printf("note: %s has its gate off (quality.enabled false): its blocks score every "
                    "window; these are the rates its thresholds would give\n",
                    model.c_str());
    std::printf("%-48s %-9s %7s %8s  %s\n", "category", "role", "windows", "flagged", "reasons");
    bool ok = true;
    for (const auto& c : r.categories) {
        std::string why;
        for (const auto& [k, n] : c.reasons)
            why += (why.empty() ? "" : ", ") + k + " " + std::to_string(n);
        std::printf("%-48s %-9s %7lld %7.1f%%  %s\n", c.name.c_str(), c.role.c_str(),
                    static_cast<long long>(c.windows), 100.0 * c.rate(), why.c_str());
        if ((c.role == "negative" && c.rate() > 0.02) ||
            (c.role == "abnormal" && c.rate() > 0.10) || (c.role == "artefact" && c.rate() < 0.95))
            ok = false;
    }
    std::printf("\ngoal: <= 2%% of real normal windows (negative), <= 10%% of each abnormal "
                "rhythm (they are what the model scores), >= 95%% of each artefact\n");
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
    check_outputs({ a.json }, { a.cfg.model });
    engine::tune_allocator(); // the engines' (and the twin's) allocator settings
    const auto r = eval::bench_tsrnet(a.cfg);
    std::printf("%s\n", r.header.c_str());
    std::printf("\n%-40s %12s %14s\n", "measurement", "value", "vs real time");
    for (std::size_t i = 0; i < r.batches.size(); ++i)
        std::printf("%-40s %9.2f w/s %13.1fx\n",
                    ("inference, batch " + std::to_string(r.batches[i]) + " (" +
                     std::to_string(r.passes) + " masked passes)").c_str(),
                    r.windows_per_s[i], r.window_s * r.windows_per_s[i]);
    std::printf("%-40s %9.2f ms\n", "preprocessing, one window (CPU)", r.preprocess_s * 1e3);
    std::printf("%-40s %9.3f s\n",
                ("training step, batch " + std::to_string(a.cfg.train_batch)).c_str(),
                r.train_step_s);
    for (std::size_t i = 1; i < r.batches.size(); ++i)
        std::printf("batch %lld vs batch %lld: %.2fx windows/s\n", (long long)r.batches[i],
                    (long long)r.batches[0], r.windows_per_s[i] / r.windows_per_s[0]);
    std::printf("'vs real time' = %.0f s of ECG per window x windows/s.\n\n", r.window_s);

    // The same network in Python PyTorch at the same threads (a fresh one of
    // the same sizes: timings do not depend on the weights).
    std::function<json()> twin;
    std::string why;
    if (!a.no_twin && r.device == "cpu" && r.passes != 3) // (the twin scores with 3 passes)
        why = "the model's masking makes " + std::to_string(r.passes) +
              " passes per window, the twin's scoring 3; not compared";
    else
        twin = twin_for(
            a.no_twin, r.device, a.twin, "bench_tsrnet_twin.py", a.python,
            { { "arch", { { "leads", r.leads }, { "width", r.width }, { "d_model", r.d_model } } },
              { "threads", r.threads },
              { "seconds", a.cfg.seconds },
              { "batches", r.batches },
              { "train_batch", a.cfg.train_batch } },
            r.parameters, why);
    std::printf("%lld parameters, %.3f GFLOP per scored window (%lld forward passes: "
                "convolutions, linear layers, attention)\n",
                static_cast<long long>(r.parameters), r.score_gflop,
                static_cast<long long>(r.passes));
    json out = json::parse(r.json());
    BenchRows rows;
    rows.batches = r.batches;
    rows.windows_per_s = r.windows_per_s;
    rows.train_step_s = r.train_step_s;
    rows.train_batch = a.cfg.train_batch;
    rows.gflop_per_window = r.score_gflop;
    rows.forward_label = "scoring";
    const json tw = alternate_rounds(
        a.rounds, rows, cpp_rounds([&a] { return eval::bench_tsrnet(a.cfg); }), twin, out);
    print_bench(rows, tw, why, out);
    if (!a.json.empty())
        write_atomically(a.json, out.dump(1) + "\n");
    return 0;
}

// ---------------------------------------------------------------- rpeaks

int data_rpeaks(const std::string& path, const std::string& channel, double window_s,
                double tolerance_s, const std::string& json_path)
{
    if (std::filesystem::path(path).extension() != ".hea")
        throw std::invalid_argument("rpeaks: expected a WFDB record header (.hea), found '" +
                                    path + "'");
    // --json onto the record's own header, signal or annotation file: refused
    // before any work (it replaced the header).
    auto inputs = record_files(path);
    inputs.push_back(path);
    check_outputs({ json_path }, inputs);
    const auto rec = io::read_wfdb(path.substr(0, path.size() - 4));
    if (rec.channels() == 0)
        throw std::invalid_argument(path + ": expected at least one signal to detect R peaks "
                                           "in, found none");
    models::RpeakCheckOptions o;
    o.window_s = window_s;
    o.tolerance_s = tolerance_s;
    if (!channel.empty()) {
        auto it = std::find(rec.channel_names.begin(), rec.channel_names.end(), channel);
        if (it == rec.channel_names.end())
            throw std::invalid_argument(path + ": no channel '" + channel + "' (it has " +
                                        [&] {
                                            std::string s;
                                            for (const auto& n : rec.channel_names)
                                                s += (s.empty() ? "" : ", ") + n;
                                            return s;
                                        }() + ")");
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

} // namespace

void add_tsrnet_commands(Cli& cli)
{
    auto add_data = [](CLI::App* c, data::WindowSetSpec& d) {
        c->add_option("--data", d.data,
                      "mitdb_compiled10s, a WFDB record (.hea), or windows as .npy / .csv rows")
            ->capture_default_str();
        c->add_option("--data-dir", d.data_dir,
                      "Folder of the named data sets (default $TFMED_DATA_DIR or ../shared/data)");
        c->add_option("--rate", d.rate, ".npy/.csv data: sample rate of its rows (Hz)")
            ->check(kFinitePositive);
        c->add_option("--labels", d.labels, ".npy data: labels .npy (0 = normal)");
        c->add_option("--channels", d.channels,
                      "WFDB data: channel names to use as leads, e.g. MLII,V1")
            ->delimiter(',');
        c->add_option("--seed", d.seed, "Split and training seed")->check(kSeed)->capture_default_str();
        c->add_option("--val-fraction", d.val_fraction, "Normal windows for validation")
            ->check(kFraction)
            ->capture_default_str();
        c->add_option("--test-fraction", d.test_fraction, "Normal windows for test")
            ->check(kFraction)
            ->capture_default_str();
        c->add_option("--header", d.csv_header,
                      ".csv data: auto (a numeric first line is data), yes or no")
            ->check(CLI::IsMember({ "auto", "yes", "no" }))
            ->capture_default_str();
        c->add_flag("--drop-invalid", d.drop_invalid,
                    "Drop windows with NaN/Inf samples (reported) instead of refusing the data");
    };
    auto ta = std::make_shared<TsrnetTrainArgs>();
    auto& tc = ta->cfg;
    auto* ttsr = cli.train->add_subcommand(
        "tsrnet", "TSRNet on normal ECG windows (AdamW + cosine, selection on validation)");
    add_data(ttsr, tc.data);
    ttsr->add_option("-o,--out", tc.out, "Model file (the checkpoint is OUT.ckpt)")
        ->capture_default_str();
    ttsr->add_option("--epochs", tc.loop.epochs)->check(int_range(1, 100000))->capture_default_str();
    ttsr->add_option("--batch", tc.loop.batch)->check(int_range(1, 1 << 20))->capture_default_str();
    ttsr->add_option("--lr", tc.loop.optimizer.lr)->check(kFinitePositive)->capture_default_str();
    ttsr->add_option("--weight-decay", tc.loop.optimizer.weight_decay)
        ->check(kFiniteNonNegative)
        ->capture_default_str();
    ttsr->add_option("--optimizer", tc.loop.optimizer.name, "adamw or adam")
        ->capture_default_str();
    add_schedule_options(ttsr, tc.loop.schedule);
    ttsr->add_option("--clip-grad", tc.loop.clip_grad_norm,
                     "Clip the gradient 2-norm to this (0 = off)")
        ->capture_default_str();
    ttsr->add_option("--select", tc.loop.select,
                     "Model kept: best (validation score) or last epoch")
        ->capture_default_str();
    ttsr->add_option("--patience", tc.loop.patience,
                     "Early stop after this many epochs without a better validation score "
                     "(0 = off)")
        ->capture_default_str();
    ttsr->add_option("--checkpoint-every", tc.loop.checkpoint_every, "Epochs between checkpoints")
        ->capture_default_str();
    ttsr->add_option("--checkpoint-every-steps", tc.loop.checkpoint_every_steps,
                     "Also a checkpoint every this many steps (0 = off)")
        ->capture_default_str();
    ttsr->add_option("--width", tc.width, "First-layer channels (32 = the paper's network)")
        ->check(int_range(1, models::kMaxTsrnetWidth))
        ->capture_default_str();
    ttsr->add_option("--d-model", tc.d_model, "Token width (50 = the paper's)")
        ->check(int_range(1, models::kMaxTsrnetDModel))
        ->capture_default_str();
    ttsr->add_option("--heads", tc.heads, "Attention heads (must divide --d-model)")
        ->check(int_range(1, models::kMaxTsrnetDModel))
        ->capture_default_str();
    ttsr->add_option("--score", tc.score, "Score the card selects: peak or plain")
        ->check(CLI::IsMember({ "peak", "plain" }))
        ->capture_default_str();
    ttsr->add_option("--quantile", tc.quantile,
                     "Alarm threshold = this quantile of normal training-window scores")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    ttsr->add_flag("--reference-quirks", tc.reference_quirks,
                   "Reproduce the reference's peak-window offset and spectrogram mask range");
    ttsr->add_option("--max-windows", tc.data.max_windows,
                     "Use at most this many training windows, the first in file order "
                     "(smoke runs; 0 = all)")
        ->check(int_range(0, 1LL << 40));
    ttsr->add_option("--device", tc.device, "auto, cpu, cuda, cuda:N")->check(kDeviceName)->capture_default_str();
    ttsr->add_option("--threads", tc.threads, "Intra-op threads (0 = all cores)")
        ->check(int_range(0, kMaxThreads));
    ttsr->add_flag("--resume", tc.resume, "Continue from OUT.ckpt, bit for bit");
    ttsr->add_flag("--allow-changed-settings", tc.loop.allow_changed_settings,
                   "With --resume: apply changed optimisation settings (lr, batch, schedule, "
                   "epochs, ...) from where the checkpoint left off (inside an epoch: its rest); recorded in the history");
    ttsr->add_option("--stop-after", tc.loop.stop_after,
                     "Stop after this many epochs (split a run; continue with --resume)")
        ->check(int_range(0, 100000));
    ttsr->add_option("--json", ta->json, "Metrics and history as JSON");
    ttsr->add_option("--plot", ta->plot, "PNG of the training curves")->check(png_output());

    add_dist_options(ttsr, ta->dist);
    cli.on(ttsr, [ta, ttsr] {
        check_schedule_options(ttsr, ta->cfg.loop.schedule.name);
        ta->cfg.loop.validate(); // before the data are read
        refuse_unless(ttsr, { "--allow-changed-settings" }, ta->cfg.resume, "only with --resume");
        return train_tsrnet(*ta);
    });

    auto ea = std::make_shared<TsrnetEvalArgs>();
    auto* etsr = cli.eval->add_subcommand(
        "tsrnet", "ROC-AUC of plain and Peak-based scores on the card's test split");
    etsr->add_option("MODEL", ea->cfg.model)->required();
    add_data(etsr, ea->cfg.data);
    etsr->add_option("--split", ea->cfg.split, "test (the held-out part: every abnormal window "
                                                "and --test-fraction of the normal ones) or all")
        ->check(CLI::IsMember({ "test", "all" }))
        ->capture_default_str();
    etsr->add_flag("--literal-test-prep", ea->cfg.literal_test_prep,
                   "Score windows filtered but not min-max normalised, as the reference's "
                   "test set is");
    etsr->add_option("--device", ea->cfg.device)->check(kDeviceName)->capture_default_str();
    etsr->add_option("--threads", ea->cfg.threads)->check(int_range(0, kMaxThreads));
    etsr->add_option("--batch", ea->cfg.batch)->check(int_range(1, 1 << 20))->capture_default_str();
    etsr->add_option("--threshold", ea->cfg.threshold,
                     "Alarm threshold (default: the card's; required when the card has none)");
    etsr->add_option("--json", ea->json, "Metrics as JSON");
    etsr->add_option("--roc", ea->roc, "PNG of the ROC curves")->check(png_output());
    cli.on(etsr, [ea, etsr] {
        ea->cfg.data_given = etsr->count("--data") > 0;
        // Without --data the card names the data and split the model trained
        // on; options that would describe other data are refused, not ignored.
        if (!ea->cfg.data_given)
            for (const char* opt : { "--rate", "--labels", "--channels", "--seed",
                                     "--val-fraction", "--test-fraction", "--header",
                                     "--drop-invalid" })
                if (etsr->count(opt))
                    throw std::invalid_argument(
                        std::string(opt) + ": describes the data of --data; without --data "
                        "the model's own test split (from its card) is scored");
        return eval_tsrnet(*ea);
    });

    auto* equal = cli.eval->add_subcommand(
        "quality", "Signal-quality gate: flag rates on real ECG and generated artefacts");
    auto q = std::make_shared<std::array<std::string, 3>>(); // data dir, model, json
    equal->add_option("--data-dir", (*q)[0],
                      "Shared data folder (default $TFMED_DATA_DIR or ../shared/data)");
    equal->add_option("--model", (*q)[1], "Take the thresholds from this model's card");
    equal->add_option("--json", (*q)[2], "Rates as JSON");
    cli.on(equal, [q] { return eval_quality((*q)[0], (*q)[1], (*q)[2]); });

    auto ba = std::make_shared<TsrnetBenchArgs>();
    auto* btsr = cli.bench->add_subcommand(
        "tsrnet", "Scoring windows/s and GFLOP/s per batch against the Python twin, preprocessing, "
        "seconds per training step");
    btsr->add_option("--model", ba->cfg.model, "Model file (default: a fresh network)");
    btsr->add_option("--leads", ba->cfg.leads)->check(int_range(1, 1024))->capture_default_str();
    btsr->add_option("--width", ba->cfg.width)->check(int_range(1, models::kMaxTsrnetWidth))->capture_default_str();
    btsr->add_option("--d-model", ba->cfg.d_model)->check(int_range(1, models::kMaxTsrnetDModel))->capture_default_str();
    btsr->add_option("--device", ba->cfg.device)->check(kDeviceName)->capture_default_str();
    btsr->add_option("--threads", ba->cfg.threads, "Intra-op threads (0 = all cores)")
        ->check(int_range(0, kMaxThreads));
    btsr->add_option("--seconds", ba->cfg.seconds)->check(kFinitePositive)->capture_default_str();
    btsr->add_option("--batches", ba->cfg.batches, "Scoring batch sizes (windows)")
        ->check(int_range(1, 4096))->capture_default_str();
    btsr->add_option("--train-batch", ba->cfg.train_batch)->check(int_range(1, 4096))
        ->capture_default_str();
    btsr->add_option("--twin", ba->twin, "bench_tsrnet_twin.py (default: the source or "
                                         "installed copy)")->check(kTwinScript);
    btsr->add_option("--python", ba->python, "Python with torch for the twin")
        ->check(kPythonProgram)->capture_default_str();
    btsr->add_option("--rounds", ba->rounds,
                     "Alternate C++ and twin this many times; medians (ratios near 1)")
        ->check(int_range(1, 100))->capture_default_str();
    btsr->add_flag("--no-twin", ba->no_twin, "C++ figures only");
    btsr->add_option("--json", ba->json, "Figures as JSON");
    cli.on(btsr, [ba, btsr] {
        refuse_unless(btsr, { "--leads", "--width", "--d-model" }, ba->cfg.model.empty(),
                      "describes a fresh network; the card of --model gives its own");
        refuse_unless(btsr, { "--twin", "--python" }, !ba->no_twin,
                      "for the Python twin, which --no-twin leaves out");
        return bench_tsrnet(*ba);
    });

    auto* rpk = cli.data->add_subcommand(
        "rpeaks", "R-peak detector (TSRNet's) against a record's beat annotations");
    struct RpeakArgs {
        std::string path, channel, json;
        double window = 0.0, tolerance = 0.05;
    };
    auto rp = std::make_shared<RpeakArgs>();
    rpk->add_option("PATH", rp->path, "WFDB record (.hea) with beat annotations")->required();
    rpk->add_option("--channel", rp->channel, "Channel name (default: the first)");
    // A window holds beats to detect: two at 60 beats/min at the least
    // (0.001 s windows printed "0 detections, sensitivity 0 %", exit 0).
    rpk->add_option("--window", rp->window,
                    "Detect per window of this many seconds, at least 2 (0: whole)")
        ->check(number_check([](double v) { return v == 0 || (v >= 2 && std::isfinite(v)); },
                             "0 (the whole record) or a finite number of seconds >= 2",
                             "0 OR >= 2"))
        ->capture_default_str();
    rpk->add_option("--tolerance", rp->tolerance, "Match tolerance, seconds")
        ->check(kFinitePositive)
        ->capture_default_str();
    rpk->add_option("--json", rp->json);
    cli.on(rpk, [rp] {
        return data_rpeaks(rp->path, rp->channel, rp->window, rp->tolerance, rp->json);
    });
}

} // namespace apps
} // namespace tfmed
