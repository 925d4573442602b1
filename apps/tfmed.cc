/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The `tfmed` command-line tool.
 */
#include "bench_stft.h"
#include "common.h"
#include "data_cmd.h"
#include "specar_cmd.h"
#include "tsrnet_cmd.h"

#include <tfmed/dsp/stft_stream.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <malloc.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#ifndef TFMED_VERSION
#define TFMED_VERSION "unknown"
#endif

namespace {

using tfmed::apps::write_atomically;

std::string ratio(double a, double b)
{
    if (a <= 0 || b <= 0)
        return "      -";
    char s[32];
    std::snprintf(s, sizeof s, "%6.1fx", a / b);
    return s;
}

std::string msps(double v)
{
    if (v <= 0)
        return "       -";
    char s[32];
    std::snprintf(s, sizeof s, "%8.1f", v / 1e6);
    return s;
}

int run_bench_stft(double seconds, const std::vector<std::string>& specs, bool no_graphs,
                   const std::string& json_path)
{
    std::vector<tfmed::apps::StftCase> cases;
    for (const auto& s : specs) {
        const auto colon = s.find(':');
        try {
            if (colon == std::string::npos)
                throw std::invalid_argument(s);
            cases.push_back({ std::stoi(s.substr(0, colon)), std::stoi(s.substr(colon + 1)) });
        } catch (const std::exception&) {
            std::cerr << "tfmed bench stft: --case expected N_FFT:HOP (e.g. 125:63), found '"
                      << s << "'\n";
            return 2;
        }
        if (cases.back().n_fft <= 0 || cases.back().hop <= 0 ||
            cases.back().hop > cases.back().n_fft) {
            std::cerr << "tfmed bench stft: --case expected 0 < HOP <= N_FFT, found '" << s
                      << "'\n";
            return 2;
        }
    }
    std::cerr << "tfmed bench stft: " << seconds << " s per measurement, 1 channel, Hann, "
              << "magnitude; FFT backend " << tfmed::dsp::StftStream::fft_backend() << ", "
              << std::thread::hardware_concurrency() << " CPU(s)\n";
    const auto rows = tfmed::apps::bench_stft(cases, seconds, !no_graphs);

    std::printf("\nInput samples/s in M/s (higher is better)\n");
    std::printf("%6s %5s | %8s %8s %7s | %8s %8s %7s\n", "n_fft", "hop", "core", "FFTW",
                "core/", "block", "GNURadio", "block/");
    std::printf("%6s %5s | %8s %8s %7s | %8s %8s %7s\n", "", "", "stream", "loop", "FFTW",
                "in graph", "chain", "GR");
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : rows) {
        std::printf("%6d %5d | %s %s %s | %s %s %s\n", r.c.n_fft, r.c.hop,
                    msps(r.core).c_str(), msps(r.fftw).c_str(), ratio(r.core, r.fftw).c_str(),
                    msps(r.block).c_str(), msps(r.gnuradio).c_str(),
                    ratio(r.block, r.gnuradio).c_str());
        j.push_back({ { "n_fft", r.c.n_fft },
                      { "hop", r.c.hop },
                      { "core_samples_per_s", r.core },
                      { "fftw_loop_samples_per_s", r.fftw },
                      { "block_samples_per_s", r.block },
                      { "gnuradio_chain_samples_per_s", r.gnuradio } });
    }
    std::printf("\ncore stream: tfmed::dsp::StftStream push/pull, 8192-sample chunks\n"
                "FFTW loop:   window + batched fftwf r2c + |X| on contiguous frames "
                "(ceiling)\n"
                "block:       vector_source -> head -> tfmed.stft -> null_sink\n"
                "GNU Radio:   per phase keep_m_in_n -> stream_to_vector -> fft_vfc(hann) "
                "-> complex_to_mag, joined by interleave\n");
    if (!json_path.empty()) {
        write_atomically(json_path, j.dump(1) + "\n");
        std::cerr << "wrote " << json_path << "\n";
    }
    return 0;
}

// Checks CLI11 does not make: its PositiveNumber lets NaN through (NaN <= 0 is
// false), and integer options need bounds that keep a typo from asking for
// 100,000 threads.
const CLI::Validator kFinitePositive(
    [](std::string& s) -> std::string {
        double v = 0.0;
        try {
            std::size_t used = 0;
            v = std::stod(s, &used);
            if (used != s.size())
                return "expected a number > 0, found '" + s + "'";
        } catch (const std::exception&) {
            return "expected a number > 0, found '" + s + "'";
        }
        if (!std::isfinite(v) || !(v > 0.0))
            return "expected a finite number > 0, found " + s;
        return {};
    },
    "FINITE > 0");

CLI::Validator int_range(long long lo, long long hi)
{
    return CLI::Validator(
        [lo, hi](std::string& s) -> std::string {
            long long v = 0;
            try {
                std::size_t used = 0;
                v = std::stoll(s, &used);
                if (used != s.size())
                    throw std::invalid_argument(s);
            } catch (const std::exception&) {
                return "expected an integer from " + std::to_string(lo) + " to " +
                       std::to_string(hi) + ", found '" + s + "'";
            }
            if (v < lo || v > hi)
                return "expected an integer from " + std::to_string(lo) + " to " +
                       std::to_string(hi) + ", found " + s;
            return {};
        },
        "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

const CLI::Validator kFraction(
    [](std::string& s) -> std::string {
        double v = 0.0;
        try {
            v = std::stod(s);
        } catch (const std::exception&) {
            return "expected a fraction in [0, 1), found '" + s + "'";
        }
        if (!(v >= 0.0 && v < 1.0))
            return "expected a fraction in [0, 1), found " + s;
        return {};
    },
    "FRACTION");

// An exception's message for people: LibTorch appends a backtrace after the
// message ("Exception raised from ..."); that belongs in a debugger.
std::string message_of(const std::exception& e)
{
    std::string m = e.what();
    const auto bt = m.find("\nException raised from ");
    if (bt != std::string::npos)
        m.erase(bt);
    return m;
}

const CLI::Validator kFiniteNonNegative(
    [](std::string& s) -> std::string {
        double v = 0.0;
        try {
            v = std::stod(s);
        } catch (const std::exception&) {
            return "expected a number >= 0, found '" + s + "'";
        }
        if (!std::isfinite(v) || v < 0.0)
            return "expected a finite number >= 0, found " + s;
        return {};
    },
    "FINITE >= 0");

constexpr long long kMaxThreads = 256;

} // namespace

int main(int argc, char** argv)
{
    // LibTorch on the CPU allocates and frees tensors of tens of MB per op;
    // glibc serves those with mmap/munmap, so every op pays page faults
    // (SpecAR-Net at batch 64: 112 s of 160 s in the kernel). Keep them in
    // the heap and keep freed memory for reuse.
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);

    CLI::App app{ "tfmed: spectrogram deep learning for medical and sensor streams "
                  "(gr-tfmed " TFMED_VERSION ")" };
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("tfmed ") + TFMED_VERSION);

    auto* bench = app.add_subcommand("bench", "Measure speed against baselines");
    bench->require_subcommand(1);
    auto* bstft = bench->add_subcommand(
        "stft", "STFT: core stream and block vs. FFTW loop and GNU Radio's FFT chain");
    double seconds = 1.0;
    std::vector<std::string> cases{ "125:63", "16:1", "256:64", "1024:256", "256:256" };
    bool no_graphs = false;
    std::string json;
    bstft->add_option("--seconds", seconds, "Seconds per measurement")
        ->check(kFinitePositive)
        ->capture_default_str();
    bstft->add_option("--case", cases, "N_FFT:HOP settings to measure")->capture_default_str();
    bstft->add_flag("--no-graphs", no_graphs, "Skip the flowgraph measurements");
    bstft->add_option("--json", json, "Also write the figures as JSON to this file");

    auto* data = app.add_subcommand("data", "Inspect and plot recordings and data sets");
    data->require_subcommand(1);
    auto* inspect = data->add_subcommand(
        "inspect", "Summary of a record or data set: channels, rate, duration, units, "
                   "annotation counts by symbol");
    std::string data_path;
    inspect->add_option("PATH", data_path, "WFDB record (.hea), EDF/BDF, .ts, .npy or .csv")
        ->required();
    auto* dplot = data->add_subcommand(
        "plot", "PNG of a record's traces with annotation markers");
    double from = 0.0, to = 10.0;
    std::vector<int> plot_channels;
    std::string plot_out = "record.png";
    dplot->add_option("PATH", data_path, "WFDB record (.hea) or EDF/BDF file")->required();
    dplot->add_option("--from", from, "Start, seconds")->check(kFiniteNonNegative)->capture_default_str();
    dplot->add_option("--to", to, "End, seconds")->check(kFinitePositive)->capture_default_str();
    dplot->add_option("--channels", plot_channels, "Channel indices (default: up to 6)");
    dplot->add_option("-o,--out", plot_out, "PNG file")->capture_default_str();

    // ---- TSRNet
    using tfmed::data::WindowSetSpec;
    auto add_data = [](CLI::App* c, WindowSetSpec& d) {
        c->add_option("--data", d.data,
                      "mitdb_compiled10s, a WFDB record (.hea), or windows as .npy / .csv rows")
            ->capture_default_str();
        c->add_option("--data-dir", d.data_dir,
                      "Folder of the named data sets (default $TFMED_DATA_DIR or ../shared/data)");
        c->add_option("--rate", d.rate, ".npy/.csv data: sample rate of its rows (Hz)")
            ->check(kFinitePositive);
        c->add_option("--labels", d.labels, ".npy data: labels .npy (0 = normal)");
        c->add_option("--channels", d.channels, "WFDB data: channel names to use as leads");
        c->add_option("--seed", d.seed, "Split and training seed")->capture_default_str();
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
    auto* train = app.add_subcommand("train", "Train a model");
    train->require_subcommand(1);
    tfmed::apps::TsrnetTrainArgs ta;
    auto& tc = ta.cfg;
    auto* ttsr = train->add_subcommand(
        "tsrnet", "TSRNet on normal ECG windows (AdamW + cosine, selection on validation)");
    add_data(ttsr, tc.data);
    ttsr->add_option("-o,--out", tc.out, "Model file (the checkpoint is OUT.ckpt)")
        ->capture_default_str();
    ttsr->add_option("--epochs", tc.loop.epochs)->check(int_range(1, 100000))->capture_default_str();
    ttsr->add_option("--batch", tc.loop.batch)->check(int_range(1, 1 << 20))->capture_default_str();
    ttsr->add_option("--lr", tc.loop.optimizer.lr)->check(kFinitePositive)->capture_default_str();
    ttsr->add_option("--weight-decay", tc.loop.optimizer.weight_decay)->capture_default_str();
    ttsr->add_option("--optimizer", tc.loop.optimizer.name, "adamw or adam")
        ->capture_default_str();
    ttsr->add_option("--schedule", tc.loop.schedule.name,
                     "Learning rate per epoch: cosine, constant, step, plateau")
        ->capture_default_str();
    ttsr->add_option("--step-size", tc.loop.schedule.step_size, "step schedule: epochs per step")
        ->capture_default_str();
    ttsr->add_option("--gamma", tc.loop.schedule.gamma, "step schedule: factor per step")
        ->capture_default_str();
    ttsr->add_option("--plateau-patience", tc.loop.schedule.patience,
                     "plateau schedule: epochs without improvement before a cut")
        ->capture_default_str();
    ttsr->add_option("--plateau-factor", tc.loop.schedule.factor, "plateau schedule: cut factor")
        ->capture_default_str();
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
        ->check(int_range(1, 1024))
        ->capture_default_str();
    ttsr->add_option("--d-model", tc.d_model, "Token width (50 = the paper's)")
        ->check(int_range(1, 4096))
        ->capture_default_str();
    ttsr->add_option("--heads", tc.heads, "Attention heads (must divide --d-model)")
        ->check(int_range(1, 4096))
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
                     "Use at most this many training windows (smoke runs; 0 = all)")
        ->check(int_range(0, 1LL << 40));
    ttsr->add_option("--device", tc.device, "auto, cpu, cuda, cuda:N")->capture_default_str();
    ttsr->add_option("--threads", tc.threads, "Intra-op threads (0 = all cores)")
        ->check(int_range(0, kMaxThreads));
    ttsr->add_flag("--resume", tc.resume, "Continue from OUT.ckpt, bit for bit");
    ttsr->add_flag("--allow-changed-settings", tc.loop.allow_changed_settings,
                   "With --resume: apply changed optimisation settings (lr, batch, schedule, "
                   "epochs, ...) from the next epoch on; recorded in the history");
    ttsr->add_option("--stop-after", tc.loop.stop_after,
                     "Stop after this many epochs (split a run; continue with --resume)")
        ->check(int_range(0, 100000));
    ttsr->add_option("--json", ta.json, "Metrics and history as JSON");
    ttsr->add_option("--plot", ta.plot, "PNG of the training curves");

    // ---- SpecAR-Net
    tfmed::apps::SpecarTrainArgs sa;
    auto& sc = sa.cfg;
    std::string s_preset = "msl";
    auto* tspec = train->add_subcommand(
        "specar", "SpecAR-Net: anomaly detection (MSL), classification (UEA), forecasting and "
                  "imputation (ETT); presets of the reference scripts, every option overridable");
    std::string preset_help;
    for (const auto& p : tfmed::train::SpecarTrainConfig::presets())
        preset_help += (preset_help.empty() ? "" : ", ") + p;
    tspec->add_option("--preset", s_preset,
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
    tspec->add_option("--max-windows", sc.max_train_windows, "At most this many training windows")
        ->check(int_range(0, 1LL << 40));
    tspec->add_option("--max-val-windows", sc.max_val_windows,
                      "At most this many validation windows, evenly spread")
        ->check(int_range(0, 1LL << 40));
    tspec->add_option("--anomaly-ratio", sc.anomaly_ratio,
                      "Percent of training energies above the threshold");
    tspec->add_option("--mask-rate", sc.mask_rate, "Imputation: fraction of points hidden");
    tspec->add_option("--top-weight", sc.top_weight,
                      "Weight of the temporal-order-preserving loss (0 = without)");
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
    tspec->add_option("--patience", sc.loop.patience, "Early stopping (0 = none)")
        ->check(int_range(0, 100000));
    tspec->add_option("--d-model", sc.arch.d_model)->check(int_range(1, 4096));
    tspec->add_option("--d-ff", sc.arch.d_ff)->check(int_range(1, 8192));
    tspec->add_option("--e-layers", sc.arch.e_layers)->check(int_range(1, 64));
    tspec->add_option("--conv-layers", sc.arch.conv_layers)->check(int_range(1, 64));
    tspec->add_option("--n-fft", sc.arch.n_fft)->check(int_range(1, 4096));
    tspec->add_option("--win-length", sc.arch.win_length)->check(int_range(1, 4096));
    tspec->add_option("--hop", sc.arch.hop)->check(int_range(1, 4096));
    tspec->add_option("--window", sc.arch.window, "hanning, hamming, rectangle, triang, blackman");
    tspec->add_option("--backbone", sc.arch.backbone, "complex or dual (the DCN ablation)");
    tspec->add_option("--seed", sc.loop.seed)->capture_default_str();
    tspec->add_option("--device", sc.device)->capture_default_str();
    tspec->add_option("--threads", sc.threads, "Intra-op threads (0 = all cores)")
        ->check(int_range(0, kMaxThreads));
    tspec->add_flag("--resume", sc.resume, "Continue from OUT.ckpt");
    tspec->add_flag("--allow-changed-settings", sc.loop.allow_changed_settings,
                    "With --resume: apply changed optimisation settings from the next epoch");
    tspec->add_option("--stop-after", sc.loop.stop_after)->check(int_range(0, 100000));
    tspec->add_option("--json", sa.json, "Metrics and history as JSON");
    tspec->add_option("--plot", sa.plot, "PNG of the training curves");

    auto* eval = app.add_subcommand("eval", "Evaluate a model");
    eval->require_subcommand(1);
    tfmed::apps::TsrnetEvalArgs ea;
    auto* etsr = eval->add_subcommand(
        "tsrnet", "ROC-AUC of plain and Peak-based scores on the card's test split");
    etsr->add_option("MODEL", ea.cfg.model)->required();
    add_data(etsr, ea.cfg.data);
    etsr->add_option("--split", ea.cfg.split, "test, val or all")->capture_default_str();
    etsr->add_flag("--literal-test-prep", ea.cfg.literal_test_prep,
                   "Score windows filtered but not min-max normalised, as the reference's "
                   "test set is");
    etsr->add_option("--device", ea.cfg.device)->capture_default_str();
    etsr->add_option("--threads", ea.cfg.threads)->check(int_range(0, kMaxThreads));
    etsr->add_option("--batch", ea.cfg.batch)->check(int_range(1, 1 << 20))->capture_default_str();
    etsr->add_option("--threshold", ea.cfg.threshold,
                     "Alarm threshold (default: the card's; required when the card has none)");
    etsr->add_option("--json", ea.json, "Metrics as JSON");
    etsr->add_option("--roc", ea.roc, "PNG of the ROC curves");

    auto* equal = eval->add_subcommand(
        "quality", "Signal-quality gate: flag rates on real ECG and generated artefacts");
    std::string q_dir, q_model, q_json;
    equal->add_option("--data-dir", q_dir,
                      "Shared data folder (default $TFMED_DATA_DIR or ../shared/data)");
    equal->add_option("--model", q_model, "Take the thresholds from this model's card");
    equal->add_option("--json", q_json, "Rates as JSON");

    tfmed::apps::SpecarEvalArgs spe;
    auto* espec = eval->add_subcommand(
        "specar", "SpecAR-Net on the card's test split, per task: anomaly F1 with and without "
                  "point adjustment under both thresholds; accuracy, macro-F1, confusion; "
                  "forecast or imputation MSE/MAE");
    espec->add_option("MODEL", spe.cfg.model)->required();
    espec->add_option("--data-dir", spe.cfg.data_dir);
    espec->add_option("--device", spe.cfg.device)->capture_default_str();
    espec->add_option("--threads", spe.cfg.threads)->check(int_range(0, kMaxThreads));
    espec->add_option("--batch", spe.cfg.batch)->check(int_range(1, 1 << 20))->capture_default_str();
    espec->add_option("--stride", spe.cfg.stride,
                      "Forecast/imputation test windows' stride (default 1, the reference)")
        ->check(int_range(1, 1 << 20));
    espec->add_option("--max-windows", spe.cfg.max_windows,
                      "At most this many test windows, evenly spread")
        ->check(int_range(1, 1LL << 40));
    espec->add_option("--mask-rate", spe.cfg.mask_rate,
                      "Imputation: fraction hidden (default: the training rate)");
    espec->add_option("--seed", spe.cfg.seed, "Imputation masks")->capture_default_str();
    espec->add_option("--json", spe.json, "Scores as JSON");
    espec->add_option("--plot", spe.cfg.plot,
                      "PNG: energy trace with labels and thresholds, confusion, forecast or "
                      "imputation vs truth");

    tfmed::apps::SpecarBenchArgs sba;
    auto* bspec = bench->add_subcommand(
        "specar", "SpecAR-Net: windows/s at batch 1 and 128, seconds per training step and "
                  "GFLOP/s, beside the Python twin at the same threads");
    bspec->add_option("--preset", sba.preset, "A preset of `tfmed train specar`")
        ->capture_default_str();
    bspec->add_option("--threads", sba.cfg.threads)->check(int_range(1, kMaxThreads))
        ->capture_default_str();
    bspec->add_option("--seconds", sba.cfg.seconds, "Per measurement")
        ->check(kFinitePositive)->capture_default_str();
    bspec->add_option("--batches", sba.cfg.batches, "Inference batch sizes")
        ->check(int_range(1, 4096))->capture_default_str();
    bspec->add_option("--train-batch", sba.cfg.train_batch)->check(int_range(1, 4096))
        ->capture_default_str();
    bspec->add_option("--device", sba.cfg.device)->capture_default_str();
    bspec->add_option("--twin", sba.twin, "bench_specar_twin.py (default: the source or "
                                          "installed copy)");
    bspec->add_option("--python", sba.python, "Python with torch for the twin")
        ->capture_default_str();
    bspec->add_flag("--no-twin", sba.no_twin, "C++ figures only");
    bspec->add_option("--json", sba.json, "Figures as JSON");

    tfmed::apps::TsrnetBenchArgs ba;
    auto* btsr = bench->add_subcommand(
        "tsrnet", "Windows/s at batch 1 and 32, preprocessing, seconds per training step");
    btsr->add_option("--model", ba.cfg.model, "Model file (default: a fresh network)");
    btsr->add_option("--leads", ba.cfg.leads)->check(int_range(1, 1024))->capture_default_str();
    btsr->add_option("--width", ba.cfg.width)->check(int_range(1, 1024))->capture_default_str();
    btsr->add_option("--d-model", ba.cfg.d_model)->check(int_range(1, 4096))->capture_default_str();
    btsr->add_option("--device", ba.cfg.device)->capture_default_str();
    btsr->add_option("--threads", ba.cfg.threads, "Intra-op threads (0 = all cores)")
        ->check(int_range(0, kMaxThreads));
    btsr->add_option("--seconds", ba.cfg.seconds)->check(kFinitePositive)->capture_default_str();
    btsr->add_option("--json", ba.json);

    auto* exp = app.add_subcommand(
        "export", "Write a model file's weights as a PyTorch state dict (torch.load in Python)");
    std::string exp_model, exp_out, exp_section = "weights", exp_json;
    exp->add_option("MODEL", exp_model)->required();
    exp->add_option("-o,--out", exp_out, "State dict file (.pt)")->required();
    exp->add_option("--section", exp_section,
                    "weights, or best_weights of a checkpoint")
        ->capture_default_str();
    exp->add_option("--json", exp_json, "Names, shapes and sums of the tensors as JSON");
    auto* imp = app.add_subcommand(
        "import", "Build a model file from a PyTorch state dict and a card");
    std::string imp_kind, imp_card, imp_pt, imp_out;
    imp->add_option("--model", imp_kind, "Model kind of the state dict (tsrnet)")->required();
    imp->add_option("--card-from", imp_card, "A model file or card JSON giving the card")
        ->required();
    imp->add_option("STATE_DICT", imp_pt, "torch.save'd state dict (.pt)")->required();
    imp->add_option("-o,--out", imp_out, "Model file to write")->required();

    auto* doctor = app.add_subcommand(
        "doctor", "Verify a model file: checksums, card ranges, card vs weights, threshold; "
                  "print what would be refused");
    std::string doctor_path;
    doctor->add_option("MODEL", doctor_path)->required();
    auto* sys = app.add_subcommand(
        "system", "LibTorch, CPU capability, BLAS: what bit-exact results depend on");
    auto* info = app.add_subcommand("info", "Print a model file's card");
    std::string info_path;
    info->add_option("MODEL", info_path)->required();
    std::string info_plot;
    info->add_option("--history-plot", info_plot,
                     "PNG of the training curves recorded in the card");

    auto* rpk = data->add_subcommand(
        "rpeaks", "R-peak detector (TSRNet's) against a record's beat annotations");
    std::string rp_channel;
    double rp_window = 0.0, rp_tol = 0.05;
    std::string rp_json;
    rpk->add_option("PATH", data_path, "WFDB record (.hea) with beat annotations")->required();
    rpk->add_option("--channel", rp_channel, "Channel name (default: the first)");
    rpk->add_option("--window", rp_window, "Detect per window of this many seconds (0: whole)")
        ->check(kFiniteNonNegative)
        ->capture_default_str();
    rpk->add_option("--tolerance", rp_tol, "Match tolerance, seconds")
        ->check(kFinitePositive)
        ->capture_default_str();
    rpk->add_option("--json", rp_json);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (*bstft)
            return run_bench_stft(seconds, cases, no_graphs, json);
        if (*inspect)
            return tfmed::apps::data_inspect(data_path);
        if (*ttsr)
            return tfmed::apps::train_tsrnet(ta);
        if (*etsr) {
            ea.cfg.data_given = etsr->count("--data") > 0;
            return tfmed::apps::eval_tsrnet(ea);
        }
        if (*tspec) {
            // The preset sets data, architecture and loop; options given on
            // the command line override it. --task alone picks its first preset.
            tfmed::train::SpecarTrainConfig given = sc;
            if (!tspec->count("--preset") && tspec->count("--task")) {
                const std::string& t = given.arch.task;
                s_preset = t == "classification"       ? "jv"
                           : t == "long_term_forecast" ? "etth1-96"
                           : t == "imputation"         ? "etth1-impute"
                                                       : "msl";
            }
            sc.apply_preset(s_preset);
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
            keep("--d-model", sc.arch.d_model, given.arch.d_model);
            keep("--d-ff", sc.arch.d_ff, given.arch.d_ff);
            keep("--e-layers", sc.arch.e_layers, given.arch.e_layers);
            keep("--conv-layers", sc.arch.conv_layers, given.arch.conv_layers);
            keep("--n-fft", sc.arch.n_fft, given.arch.n_fft);
            keep("--win-length", sc.arch.win_length, given.arch.win_length);
            keep("--hop", sc.arch.hop, given.arch.hop);
            keep("--window", sc.arch.window, given.arch.window);
            keep("--backbone", sc.arch.backbone, given.arch.backbone);
            keep("--anomaly-ratio", sc.anomaly_ratio, given.anomaly_ratio);
            keep("--stop-after", sc.loop.stop_after, given.loop.stop_after);
            keep("--seed", sc.loop.seed, given.loop.seed);
            keep("--allow-changed-settings", sc.loop.allow_changed_settings,
                 given.loop.allow_changed_settings);
            if (tspec->count("--n-fft") && !tspec->count("--win-length"))
                sc.arch.win_length = sc.arch.n_fft;
            return tfmed::apps::train_specar(sa);
        }
        if (*bspec)
            return tfmed::apps::bench_specar(sba);
        if (*espec)
            return tfmed::apps::eval_specar(spe);
        if (*doctor)
            return tfmed::apps::model_doctor(doctor_path);
        if (*equal)
            return tfmed::apps::eval_quality(q_dir, q_model, q_json);
        if (*sys)
            return tfmed::apps::system_info();
        if (*exp)
            return tfmed::apps::model_export(exp_model, exp_out, exp_section, exp_json);
        if (*imp)
            return tfmed::apps::model_import(imp_kind, imp_card, imp_pt, imp_out);
        if (*btsr)
            return tfmed::apps::bench_tsrnet(ba);
        if (*info)
            return tfmed::apps::model_info(info_path, info_plot);
        if (*rpk)
            return tfmed::apps::data_rpeaks(data_path, rp_channel, rp_window, rp_tol, rp_json);
        if (*dplot)
            return tfmed::apps::data_plot(data_path, from, to, plot_channels, plot_out);
    } catch (const std::exception& e) {
        std::cerr << "tfmed: " << message_of(e) << "\n";
        return 1;
    }
    return 0;
}
