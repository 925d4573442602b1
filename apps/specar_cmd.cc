/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed train / eval / bench specar`: options in, printing and figures out;
 * the work is in the core (tfmed::train::train_specar,
 * tfmed::eval::evaluate_specar).
 */
#include "cli.h"
#include "common.h"
#include "figures.h"
#include "launch.h"
#include "progress_view.h"
#include "twin.h"

#include <tfmed/engine/serve.h>
#include <tfmed/eval/specar_bench.h>
#include <tfmed/eval/specar_eval.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/specar_card.h>
#include <tfmed/train/distributed.h>
#include <tfmed/train/specar_config.h>
#include <tfmed/train/specar_trainer.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <tuple>
#include <vector>

namespace tfmed {
namespace apps {

using nlohmann::json;

namespace {

// Checks of SpecAR-Net's own options.
const CLI::Validator kPercent = number_check([](double v) { return v > 0.0 && v < 100.0; },
                                             "a percentage in (0, 100)", "PERCENT");
const CLI::Validator kOpenFraction = number_check([](double v) { return v > 0.0 && v < 1.0; },
                                                  "a fraction in (0, 1)", "FRACTION");

struct SpecarTrainArgs {
    DistArgs dist; //!< --nproc and the world (launch.h)
    train::SpecarTrainConfig cfg;
    std::string json, plot;
};

struct SpecarEvalArgs {
    eval::SpecarEvalConfig cfg;
    std::string json;
    bool masks_given = false; //!< --mask-rate or --seed on the command line
};

struct SpecarBenchArgs {
    std::string preset = "msl";
    eval::SpecarBenchConfig cfg;
    std::string twin; //!< bench_specar_twin.py ("" = search)
    std::string python = "/usr/bin/python3";
    bool no_twin = false;
    int rounds = 1;
    std::string json;
};

int train_specar(const SpecarTrainArgs& a)
{
    return run_training(a.dist, a.cfg.device, [&] {
        check_outputs({ a.json, a.plot, a.cfg.out }, {});
        const auto r = train::train_specar(a.cfg, world_progress(), training_cancel());
        if (!train::dist::is_writer())
            return 0;
        note_unwritten(r.completed, { a.json, a.plot });
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
    });
}

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
        // The confusion matrix, row-normalised: each true class's fractions.
        plot::Panel c{ "confusion matrix: fraction of each true class (row) predicted as each "
                       "class (column)",
                       "predicted class", "true class", {}, {} };
        for (std::size_t t = 0; t < r.confusion.size(); ++t) {
            int64_t n = 0;
            for (auto v : r.confusion[t])
                n += v;
            std::vector<double> row;
            for (auto v : r.confusion[t]) // (a class with no test case: "-")
                row.push_back(n ? static_cast<double>(v) / n : NAN);
            c.cells.push_back(row);
        }
        c.row_names = c.col_names = r.class_names;
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

int eval_specar(const SpecarEvalArgs& a)
{
    check_outputs({ a.json, a.cfg.plot }, { a.cfg.model });
    if (a.masks_given) {
        const auto task =
            models::SpecarCard::from_json(models::read_model_file(a.cfg.model, false).card_json)
                .arch.task;
        if (task != "imputation")
            throw std::invalid_argument("--mask-rate/--seed: only for imputation models; " +
                                        a.cfg.model + " is a " + task + " model");
    }
    if (a.cfg.stride > 0) {
        const auto task =
            models::SpecarCard::from_json(models::read_model_file(a.cfg.model, false).card_json)
                .arch.task;
        if (task == "classification")
            throw std::invalid_argument("--stride: only for windows cut from a series; " +
                                        a.cfg.model + " classifies UEA cases (one window each)");
    }
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
                        (d.threshold_from == "train" ? "train" : "train+test"),
                        d.threshold, 100 * d.precision, 100 * d.recall, 100 * d.f1,
                        100 * d.pa_precision, 100 * d.pa_recall, 100 * d.pa_f1);
        std::printf("pa = point adjustment (TSLib's, uses the ground truth); %%, binary, "
                    "anomaly = positive\n");
    } else if (r.task == "classification") {
        std::printf("accuracy %.2f %%, macro-F1 %.2f %% over %lld test cases\n",
                    100 * r.accuracy, 100 * r.macro_f1, static_cast<long long>(r.windows));
        if (std::isfinite(r.accuracy_train_stats))
            std::printf("(the TEST file standardised by its own statistics, as the reference; "
                        "by the training statistics, as the specar block does live: %.2f %%)\n",
                        100 * r.accuracy_train_stats);
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

int bench_specar(const SpecarBenchArgs& in)
{
    SpecarBenchArgs a = in;
    if (!a.json.empty())
        check_writable(a.json);
    train::SpecarTrainConfig preset;
    preset.apply_preset(a.preset);
    auto& o = a.cfg.arch;
    o = preset.arch;
    if (o.task == "classification") { // the shapes of the data the preset names
        const bool jv = preset.data == "JapaneseVowels";
        o.seq_len = jv ? 29 : 100;
        o.enc_in = o.c_out = jv ? 12 : 6;
        o.num_class = jv ? 9 : 4;
    }
    // Forecasting runs the network over the input and the horizon.
    const std::string steps =
        o.task == "long_term_forecast"
            ? std::to_string(o.seq_len + o.pred_len) + " (" + std::to_string(o.seq_len) + " + " +
                  std::to_string(o.pred_len) + " predicted)"
            : std::to_string(o.seq_len);
    std::printf("SpecAR-Net %s (%s): T %s x N %lld, d_model %lld, d_ff %lld, %lld blocks of "
                "%lld branches, STFT %lld/%lld hop %lld; %d thread(s), %s\n",
                a.preset.c_str(), o.task.c_str(), steps.c_str(),
                static_cast<long long>(o.enc_in), static_cast<long long>(o.d_model),
                static_cast<long long>(o.d_ff), static_cast<long long>(o.e_layers),
                static_cast<long long>(o.conv_layers), static_cast<long long>(o.n_fft),
                static_cast<long long>(o.win_length), static_cast<long long>(o.hop),
                a.cfg.threads, a.cfg.device.c_str());
    engine::tune_allocator(); // the engines' (and the twin's) allocator settings
    const auto r = eval::bench_specar(a.cfg);
    std::string why;
    const auto twin = twin_for(a.no_twin, r.device, a.twin, "bench_specar_twin.py", a.python,
                               { { "arch", json::parse(eval::specar_twin_kwargs(a.cfg.arch)) },
                                 { "threads", a.cfg.threads },
                                 { "seconds", a.cfg.seconds },
                                 { "batches", a.cfg.batches },
                                 { "train_batch", a.cfg.train_batch } },
                               r.parameters, why);
    std::printf("%lld parameters, %.3f GFLOP per window forward (convolutions inside the grid, "
                "linear layers, frequency attention)\n",
                static_cast<long long>(r.parameters), r.forward_gflop);
    json out = { { "preset", a.preset },
                 { "threads", a.cfg.threads },
                 { "parameters", r.parameters },
                 { "forward_gflop_per_window", r.forward_gflop } };
    BenchRows rows;
    rows.batches = a.cfg.batches;
    rows.windows_per_s = r.windows_per_s;
    rows.train_step_s = r.train_step_s;
    rows.train_batch = a.cfg.train_batch;
    rows.gflop_per_window = r.forward_gflop;
    // A training step counted as 3x the forward products (forward, and the
    // gradients for inputs and weights), the usual estimate.
    rows.gflop_per_step = 3.0 * r.forward_gflop * static_cast<double>(a.cfg.train_batch);
    rows.ceiling_gflops = r.ceiling_gflops;
    const json tw = alternate_rounds(
        a.rounds, rows, cpp_rounds([&a] { return eval::bench_specar(a.cfg); }), twin, out);
    print_bench(rows, tw, why, out);
    if (!a.json.empty())
        write_atomically(a.json, out.dump(1) + "\n");
    return 0;
}

} // namespace

void add_specar_commands(Cli& cli)
{
    struct TrainArgs {
        SpecarTrainArgs a;
        std::string preset = "msl";
        std::string ties = "last";
        bool window_symmetric = false;
    };
    auto ta = std::make_shared<TrainArgs>();
    auto& sc = ta->a.cfg;
    auto* tspec = cli.train->add_subcommand(
        "specar", "SpecAR-Net: anomaly detection (MSL), classification (UEA), forecasting and "
                  "imputation (ETT); presets of the reference scripts, every option overridable");
    std::string preset_help;
    for (const auto& p : train::SpecarTrainConfig::presets())
        preset_help += (preset_help.empty() ? "" : ", ") + p;
    tspec->add_option("--preset", ta->preset,
                      preset_help + " (default: msl, or the first of --task: jv, etth1-96, "
                                    "etth1-impute)");
    tspec->add_option("--task", sc.arch.task, "anomaly, classify, forecast or impute")
        ->transform(CLI::Transformer({ { "anomaly", "anomaly_detection" },
                                       { "classify", "classification" },
                                       { "forecast", "long_term_forecast" },
                                       { "impute", "imputation" } }));
    tspec->add_option("--data", sc.data, "msl, JapaneseVowels, BasicMotions, ETTh1 or ETTh2");
    tspec->add_option("--data-dir", sc.data_dir,
                      "Folder of the named data sets (default $TFMED_DATA_DIR or ../shared/data)");
    tspec->add_option("--protocol", sc.protocol,
                      "clean (validation from train) or reference (validation = test; MSL, UEA)")
        ->check(CLI::IsMember({ "clean", "reference" }));
    tspec->add_option("--uea-norm", sc.uea_norm,
                      "UEA standardisation: file (each file its own, the reference) or train")
        ->check(CLI::IsMember({ "file", "train" }));
    tspec->add_option("--train-stride", sc.train_stride,
                      "Rows between training windows (1 = the reference)")
        ->check(int_range(1, 100000));
    tspec->add_option("--max-windows", sc.max_train_windows,
                      "At most this many training windows: the first in time (a smoke "
                      "run; --train-stride spreads a subset over the whole split)")
        ->check(int_range(0, 1LL << 40));
    tspec->add_option("--max-val-windows", sc.max_val_windows,
                      "At most this many validation windows, evenly spread")
        ->check(int_range(0, 1LL << 40));
    tspec->add_option("--anomaly-ratio", sc.anomaly_ratio,
                      "Percent of training energies above the threshold")
        ->check(kPercent);
    tspec->add_option("--mask-rate", sc.mask_rate, "Imputation: fraction of points hidden")
        ->check(kOpenFraction);
    tspec->add_option("--top-weight", sc.top_weight,
                      "Weight of the temporal-order-preserving loss (0 = without)")
        ->check(kFiniteNonNegative);
    tspec->add_option("--pred-len", sc.arch.pred_len, "Forecast horizon")
        ->check(int_range(1, 1 << 16));
    tspec->add_option("--time-features", sc.arch.time_features,
                      "4 = timeF (hour, weekday, day of month, day of year), 0 = none")
        ->check(int_range(0, 4));
    tspec->add_option("-o,--out", sc.out, "Model file (the checkpoint is OUT.ckpt)")
        ->capture_default_str();
    tspec->add_option("--epochs", sc.loop.epochs)->check(int_range(1, 100000));
    tspec->add_option("--batch", sc.loop.batch)->check(int_range(1, 1 << 20));
    tspec->add_option("--lr", sc.loop.optimizer.lr)->check(kFinitePositive);
    add_schedule_options(tspec, sc.loop.schedule);
    tspec->add_option("--patience", sc.loop.patience, "Early stopping (0 = none)")
        ->check(int_range(0, 100000));
    tspec->add_option("--ties", ta->ties,
                      "An equal validation metric: last (keep the later epoch and restart "
                      "patience, TSLib's EarlyStopping; the presets) or first")
        ->check(CLI::IsMember({ "last", "first" }));
    tspec->add_option("--d-model", sc.arch.d_model)->check(int_range(1, 4096));
    tspec->add_option("--d-ff", sc.arch.d_ff)->check(int_range(1, 8192));
    tspec->add_option("--e-layers", sc.arch.e_layers)->check(int_range(1, 64));
    tspec->add_option("--conv-layers", sc.arch.conv_layers)->check(int_range(1, 64));
    tspec->add_option("--n-fft", sc.arch.n_fft)->check(int_range(1, 4096));
    tspec->add_option("--win-length", sc.arch.win_length)->check(int_range(1, 4096));
    tspec->add_option("--hop", sc.arch.hop)->check(int_range(1, 4096));
    tspec->add_option("--window", sc.arch.window, "hanning, hamming, rectangle, triang, blackman");
    tspec->add_flag("--window-symmetric", ta->window_symmetric,
                    "The symmetric window of the paper's formula (2n + 1 points with an odd "
                    "--n-fft) instead of the reference's periodic one");
    tspec->add_option("--backbone", sc.arch.backbone, "complex or dual (the DCN ablation)");
    tspec->add_option("--seed", sc.loop.seed)->check(kSeed)->capture_default_str();
    tspec->add_option("--device", sc.device)->check(kDeviceName)->capture_default_str();
    tspec->add_option("--threads", sc.threads, "Intra-op threads (0 = all cores)")
        ->check(int_range(0, kMaxThreads));
    tspec->add_flag("--resume", sc.resume, "Continue from OUT.ckpt");
    tspec->add_flag("--allow-changed-settings", sc.loop.allow_changed_settings,
                    "With --resume: apply changed optimisation settings from where the checkpoint left off");
    tspec->add_option("--stop-after", sc.loop.stop_after)->check(int_range(0, 100000));
    tspec->add_option("--json", ta->a.json, "Metrics and history as JSON");
    tspec->add_option("--plot", ta->a.plot, "PNG of the training curves")->check(png_output());
    tspec->add_option("--dropout", sc.arch.dropout, "Dropout of the embedding and the heads")
        ->check(kFraction);
    add_dist_options(tspec, ta->a.dist);
    cli.on(tspec, [ta, tspec] {
        auto& sc = ta->a.cfg;
        refuse_unless(tspec, { "--allow-changed-settings" }, sc.resume, "only with --resume");
        // The preset sets data, architecture and loop; options given on
        // the command line override it. --task alone picks its first preset.
        train::SpecarTrainConfig given = sc;
        if (!tspec->count("--preset") && tspec->count("--task")) {
            const std::string& t = given.arch.task;
            ta->preset = t == "classification"       ? "jv"
                       : t == "long_term_forecast" ? "etth1-96"
                       : t == "imputation"         ? "etth1-impute"
                                                   : "msl";
        }
        sc.apply_preset(ta->preset);
        auto keep = [&](const char* opt, auto& dst, const auto& v) {
            if (tspec->count(opt))
                dst = v;
        };
        keep("--task", sc.arch.task, given.arch.task);
        keep("--data", sc.data, given.data);
        keep("--data-dir", sc.data_dir, given.data_dir);
        keep("--protocol", sc.protocol, given.protocol);
        keep("--uea-norm", sc.uea_norm, given.uea_norm);
        keep("--train-stride", sc.train_stride, given.train_stride);
        keep("--max-windows", sc.max_train_windows, given.max_train_windows);
        keep("--max-val-windows", sc.max_val_windows, given.max_val_windows);
        keep("--mask-rate", sc.mask_rate, given.mask_rate);
        keep("--top-weight", sc.top_weight, given.top_weight);
        keep("--pred-len", sc.arch.pred_len, given.arch.pred_len);
        keep("--time-features", sc.arch.time_features, given.arch.time_features);
        keep("--epochs", sc.loop.epochs, given.loop.epochs);
        keep("--batch", sc.loop.batch, given.loop.batch);
        keep("--lr", sc.loop.optimizer.lr, given.loop.optimizer.lr);
        keep("--patience", sc.loop.patience, given.loop.patience);
        keep("--schedule", sc.loop.schedule.name, given.loop.schedule.name);
        keep("--step-size", sc.loop.schedule.step_size, given.loop.schedule.step_size);
        keep("--gamma", sc.loop.schedule.gamma, given.loop.schedule.gamma);
        keep("--plateau-patience", sc.loop.schedule.patience, given.loop.schedule.patience);
        keep("--plateau-factor", sc.loop.schedule.factor, given.loop.schedule.factor);
        check_schedule_options(tspec, sc.loop.schedule.name);
        if (tspec->count("--ties"))
            sc.loop.ties_improve = ta->ties == "last";
        keep("--d-model", sc.arch.d_model, given.arch.d_model);
        keep("--d-ff", sc.arch.d_ff, given.arch.d_ff);
        keep("--e-layers", sc.arch.e_layers, given.arch.e_layers);
        keep("--conv-layers", sc.arch.conv_layers, given.arch.conv_layers);
        keep("--n-fft", sc.arch.n_fft, given.arch.n_fft);
        keep("--win-length", sc.arch.win_length, given.arch.win_length);
        keep("--hop", sc.arch.hop, given.arch.hop);
        keep("--window", sc.arch.window, given.arch.window);
        if (ta->window_symmetric)
            sc.arch.window_periodic = false;
        keep("--backbone", sc.arch.backbone, given.arch.backbone);
        keep("--dropout", sc.arch.dropout, given.arch.dropout);
        keep("--anomaly-ratio", sc.anomaly_ratio, given.anomaly_ratio);
        keep("--stop-after", sc.loop.stop_after, given.loop.stop_after);
        keep("--seed", sc.loop.seed, given.loop.seed);
        keep("--allow-changed-settings", sc.loop.allow_changed_settings,
             given.loop.allow_changed_settings);
        if (tspec->count("--n-fft") && !tspec->count("--win-length"))
            sc.arch.win_length = sc.arch.n_fft;
        sc.loop.validate(); // the loop's settings, before the data are read
        // Options of another task are refused, not ignored.
        const std::string& task = sc.arch.task;
        const bool series = task == "imputation" || task == "long_term_forecast";
        for (const auto& [opt, applies, what] :
             std::vector<std::tuple<const char*, bool, const char*>>{
                 { "--mask-rate", task == "imputation", "imputation" },
                 { "--pred-len", task == "long_term_forecast", "forecasting" },
                 { "--anomaly-ratio", task == "anomaly_detection", "anomaly detection" },
                 { "--time-features", series, "forecasting and imputation" },
                 { "--top-weight", series, "forecasting and imputation" },
                 { "--uea-norm", task == "classification", "classification (UEA)" },
                 { "--train-stride", task != "classification",
                   "windows cut from a series (a UEA case is one window)" },
                 { "--protocol", !series,
                   "anomaly detection and classification (ETT has the one Informer split)" } })
            if (tspec->count(opt) && !applies)
                throw std::invalid_argument(std::string(opt) + ": only for " + what +
                                            "; this run's task is " + task + " (preset " +
                                            ta->preset + ")");
        return train_specar(ta->a);
    });

    auto spe = std::make_shared<SpecarEvalArgs>();
    auto* espec = cli.eval->add_subcommand(
        "specar", "SpecAR-Net on the card's test split, per task: anomaly F1 with and without "
                  "point adjustment under both thresholds; accuracy, macro-F1, confusion; "
                  "forecast or imputation MSE/MAE");
    espec->add_option("MODEL", spe->cfg.model)->required();
    espec->add_option("--data-dir", spe->cfg.data_dir);
    espec->add_option("--device", spe->cfg.device)->check(kDeviceName)->capture_default_str();
    espec->add_option("--threads", spe->cfg.threads)->check(int_range(0, kMaxThreads));
    espec->add_option("--batch", spe->cfg.batch)->check(int_range(1, 1 << 20))->capture_default_str();
    espec->add_option("--stride", spe->cfg.stride,
                      "Forecast/imputation test windows' stride (default 1, the reference)")
        ->check(int_range(1, 1 << 20));
    espec->add_option("--max-windows", spe->cfg.max_windows,
                      "At most this many test windows, evenly spread")
        ->check(int_range(1, 1LL << 40));
    espec->add_option("--mask-rate", spe->cfg.mask_rate,
                      "Imputation: fraction hidden (default: the training rate)")
        ->check(kOpenFraction);
    espec->add_option("--seed", spe->cfg.seed, "Imputation masks")->check(kSeed)->capture_default_str();
    espec->add_option("--json", spe->json, "Scores as JSON");
    espec->add_option("--plot", spe->cfg.plot,
                      "PNG: energy trace with labels and thresholds, confusion, forecast or "
                      "imputation vs truth")
        ->check(png_output());
    cli.on(espec, [spe, espec] {
        spe->masks_given = espec->count("--mask-rate") + espec->count("--seed") > 0;
        return eval_specar(*spe);
    });

    auto sba = std::make_shared<SpecarBenchArgs>();
    auto* bspec = cli.bench->add_subcommand(
        "specar", "SpecAR-Net: windows/s at batch 1 and 128, seconds per training step and "
                  "GFLOP/s, beside the Python twin at the same threads");
    bspec->add_option("--preset", sba->preset, "A preset of `tfmed train specar`")
        ->capture_default_str();
    bspec->add_option("--threads", sba->cfg.threads)->check(int_range(1, kMaxThreads))
        ->capture_default_str();
    bspec->add_option("--seconds", sba->cfg.seconds, "Per measurement")
        ->check(kFinitePositive)->capture_default_str();
    bspec->add_option("--batches", sba->cfg.batches, "Inference batch sizes")
        ->check(int_range(1, 4096))->capture_default_str();
    bspec->add_option("--train-batch", sba->cfg.train_batch)->check(int_range(1, 4096))
        ->capture_default_str();
    bspec->add_option("--device", sba->cfg.device)->check(kDeviceName)->capture_default_str();
    bspec->add_option("--twin", sba->twin, "bench_specar_twin.py (default: the source or "
                                          "installed copy)")->check(kTwinScript);
    bspec->add_option("--python", sba->python, "Python with torch for the twin")
        ->check(kPythonProgram)->capture_default_str();
    bspec->add_flag("--no-twin", sba->no_twin, "C++ figures only");
    bspec->add_option("--rounds", sba->rounds,
                      "Alternate C++ and twin this many times; medians (ratios near 1)")
        ->check(int_range(1, 100))->capture_default_str();
    bspec->add_option("--json", sba->json, "Figures as JSON");
    cli.on(bspec, [sba, bspec] {
        refuse_unless(bspec, { "--twin", "--python" }, !sba->no_twin,
                      "for the Python twin, which --no-twin leaves out");
        return bench_specar(*sba);
    });
}

} // namespace apps
} // namespace tfmed
