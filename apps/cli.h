/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every `tfmed` command file shares: the command groups, the registry
 * that maps a parsed subcommand to what it runs, and the option checks
 * CLI11 does not make. Each command file adds its own subcommands through
 * one add_*_commands(Cli&) function; tfmed.cc only builds the groups and
 * dispatches.
 */
#ifndef INCLUDED_TFMED_APPS_CLI_H
#define INCLUDED_TFMED_APPS_CLI_H

#include <tfmed/train/options.h>

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace tfmed {
namespace io {
struct Recording;
}
namespace apps {

/*! The command groups and what each leaf command runs once parsed. */
struct Cli {
    CLI::App& app;
    CLI::App* train;
    CLI::App* eval;
    CLI::App* bench;
    CLI::App* data;
    std::vector<std::pair<CLI::App*, std::function<int()>>> runs;

    /*! `sub` runs `run` when it is the parsed command; its exit status is
     *  the tool's. `run` may throw: main prints the message, exits 1. */
    void on(CLI::App* sub, std::function<int()> run) { runs.emplace_back(sub, std::move(run)); }
};

void add_stft_commands(Cli& cli);   // bench stft                      (bench_stft.cc)
void add_data_commands(Cli& cli);   // data inspect, data plot          (data_cmd.cc)
void add_tsrnet_commands(Cli& cli); // train/eval/bench tsrnet, eval quality, data rpeaks
void add_specar_commands(Cli& cli); // train/eval/bench specar          (specar_cmd.cc)
void add_trls_commands(Cli& cli);   // train/eval/bench trls            (trls_cmd.cc)
void add_serve_commands(Cli& cli);  // bench serve                     (bench_serve.cc)
void add_train_bench_commands(Cli& cli); // bench train --nproc 1,2     (bench_train.cc)
void add_model_commands(Cli& cli);  // info, doctor, export, import, upgrade, system (model_cmd.cc; doctor_cmd.cc)
void add_score_commands(Cli& cli);  // score                           (score_cmd.cc)

/*! A WFDB record (.hea or the record name) or an EDF/BDF file, whole (data_cmd.cc).
 *  An EDF's signals may have several rates and a Recording has one: its
 *  signals are kept by `indices` where given, else by `names` where every
 *  name is a signal, else those at the first signal's rate (the others named
 *  on stderr). `*picked` (where given) says whether `names` chose the
 *  signals: the recording then holds exactly them, in that order.
 *  \throws std::invalid_argument for another kind of file, an index out of
 *  range; io::ReadError */
/*! --channels lists each channel once: the first repeat is refused with
 *  its two places; `show` writes a channel for the message. */
template <typename T, typename Show>
void refuse_repeated_channels(const std::vector<T>& v, Show show)
{
    for (std::size_t k = 0; k < v.size(); ++k)
        for (std::size_t m = 0; m < k; ++m)
            if (v[k] == v[m])
                throw std::invalid_argument("--channels: expected each channel once, found " +
                                            show(v[k]) + " in places " + std::to_string(m + 1) +
                                            " and " + std::to_string(k + 1));
}

/*! A channel given as a 0-based number ("2"): its index, else -1 (a name). */
inline int channel_number(const std::string& w)
{
    const bool digits = !w.empty() && w.size() <= 9 &&
                        w.find_first_not_of("0123456789") == std::string::npos;
    return digits ? std::stoi(w) : -1;
}

io::Recording read_any_recording(const std::string& path,
                                 const std::vector<int>& indices = {},
                                 const std::vector<std::string>& names = {},
                                 bool* picked = nullptr);

/*! The files a WFDB record at `path` is read from (its header, the signal
 *  files it names, and the annotation file read, RECORD.atr); empty for
 *  another kind of input (data_cmd.cc). Outputs must not be one of them. */
std::vector<std::string> record_files(const std::string& path);

/*! A .csv or .npy table as a recording (data_cmd.cc): rows are samples,
 *  columns channels (an .npy's are named 0, 1, ...), at `rate` Hz (0: unknown).
 *  \throws std::invalid_argument for an empty or >2-D table, io::ReadError */
io::Recording read_table_recording(const std::string& path, double rate);

/*! Whether read_any_recording reads `path`: a WFDB record (.hea, or its
 *  name without extension beside a .hea) or an EDF/BDF file (.edf, .bdf,
 *  .rec) (data_cmd.cc). */
bool is_recording_path(const std::string& path);

/*! A path's extension, lower-case, with its dot (data_cmd.cc). */
std::string lower_ext(const std::string& path);

/*! An exception's message for people: LibTorch appends a backtrace after
 *  the message ("Exception raised from ..."); that belongs in a debugger. */
inline std::string message_of(const std::exception& e)
{
    std::string m = e.what();
    const auto bt = m.find("\nException raised from ");
    if (bt != std::string::npos)
        m.erase(bt);
    return m;
}

/*! Options that mean something only beside another setting are refused
 *  without it, not ignored: "--gamma: only with --schedule step". */
inline void refuse_unless(const CLI::App* app, std::initializer_list<const char*> options,
                          bool applies, const std::string& why)
{
    for (const char* o : options)
        if (!applies && app->count(o) > 0)
            throw std::invalid_argument(std::string(o) + ": " + why);
}

// Checks CLI11 does not make: its PositiveNumber lets NaN through (NaN <= 0
// is false), and integer options need bounds that keep a typo from asking
// for 100,000 threads.

/*! A double option: parsed whole, then `ok(v)` or the message. */
inline CLI::Validator number_check(std::function<bool(double)> ok, const std::string& expected,
                                   const std::string& name)
{
    return CLI::Validator(
        [ok, expected](std::string& s) -> std::string {
            double v = 0.0;
            try {
                std::size_t used = 0;
                v = std::stod(s, &used);
                if (used != s.size())
                    throw std::invalid_argument(s);
            } catch (const std::exception&) {
                return "expected " + expected + ", found '" + s + "'";
            }
            if (!ok(v))
                return "expected " + expected + ", found " + s;
            return {};
        },
        name);
}

inline const CLI::Validator kFinitePositive = number_check(
    [](double v) { return std::isfinite(v) && v > 0.0; }, "a finite number > 0", "FINITE > 0");
inline const CLI::Validator kFiniteNonNegative = number_check(
    [](double v) { return std::isfinite(v) && v >= 0.0; }, "a finite number >= 0", "FINITE >= 0");
inline const CLI::Validator kFraction = number_check(
    [](double v) { return v >= 0.0 && v < 1.0; }, "a fraction in [0, 1)", "FRACTION");

/*! A seed: an integer >= 0 (CLI11 would read "-1" into an unsigned seed as
 *  2^64 - 1 without a word). */
inline const CLI::Validator kSeed = CLI::Validator(
    [](std::string& s) -> std::string {
        const auto first = s.find_first_not_of(" \t");
        if (first != std::string::npos && s[first] == '-')
            return "expected a seed >= 0, found " + s;
        return {};
    },
    "SEED");

/*! A --device name: auto, cpu, cuda or cuda:N (whether that device exists
 *  is checked where the model is placed, before any work). */
inline const CLI::Validator kDeviceName = CLI::Validator(
    [](std::string& s) -> std::string {
        if (s == "auto" || s == "cpu" || s == "cuda")
            return {};
        if (s.rfind("cuda:", 0) == 0 && s.size() > 5 && s.size() <= 8 &&
            s.find_first_not_of("0123456789", 5) == std::string::npos)
            return {};
        return "expected auto, cpu, cuda or cuda:N, found '" + s + "'";
    },
    "DEVICE");

/*! A benchmark's twin script (--twin): a readable file, checked when the
 *  command line is read (not after the C++ half has run). */
inline const CLI::Validator kTwinScript = CLI::Validator(
    [](std::string& s) -> std::string {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(s, ec) || ::access(s.c_str(), R_OK) != 0)
            return "expected a readable Python file, found " +
                   (std::filesystem::exists(s, ec) ? std::string("'") + s + "' (not a readable file)"
                                                   : "no file at '" + s + "'");
        return {};
    },
    "FILE");

/*! A Python program (--python): a path (with a '/') must be an executable
 *  file; a bare name is looked up on PATH. */
inline const CLI::Validator kPythonProgram = CLI::Validator(
    [](std::string& s) -> std::string {
        std::error_code ec;
        auto runnable = [&](const std::string& p) {
            return std::filesystem::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
        };
        if (s.find('/') != std::string::npos)
            return runnable(s) ? std::string()
                               : "expected an executable Python, found " +
                                     (std::filesystem::exists(s, ec)
                                          ? "'" + s + "' (not an executable file)"
                                          : "no file at '" + s + "'");
        const char* path = std::getenv("PATH");
        const std::string dirs = path ? path : "";
        for (std::size_t a = 0; a <= dirs.size();) {
            const auto b = std::min(dirs.find(':', a), dirs.size());
            if (runnable((b > a ? dirs.substr(a, b - a) : std::string(".")) + "/" + s))
                return {};
            a = b + 1;
        }
        return "expected an executable Python, found no '" + s + "' on PATH";
    },
    "PYTHON");

/*! A binary output (a PNG, a model, a state dict): `-` (standard output,
 *  which carries the command's report, and for a model no place for its
 *  checkpoint) is refused when the command line is read. `what`: "a PNG". */
inline CLI::Validator file_output(const std::string& what)
{
    return CLI::Validator(
        [what](std::string& s) -> std::string {
            if (s == "-")
                return "-: expected a file for " + what +
                       " (standard output takes the text outputs, --json and --csv)";
            return {};
        },
        "FILE");
}

/*! An integer option in [lo, hi]. */
inline CLI::Validator int_range(long long lo, long long hi)
{
    return CLI::Validator(
        [lo, hi](std::string& s) -> std::string {
            const std::string want =
                "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
            long long v = 0;
            try {
                std::size_t used = 0;
                v = std::stoll(s, &used);
                if (used != s.size())
                    throw std::invalid_argument(s);
            } catch (const std::exception&) {
                return want + ", found '" + s + "'";
            }
            if (v < lo || v > hi)
                return want + ", found " + s;
            return {};
        },
        "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

constexpr long long kMaxThreads = 256;

/*! The loop's learning-rate schedule on a train command: --schedule,
 *  --step-size, --gamma, --plateau-patience, --plateau-factor (defaults:
 *  `s` as it is now). */
inline void add_schedule_options(CLI::App* c, train::ScheduleOptions& s)
{
    c->add_option("--schedule", s.name, "Learning rate per epoch: constant, cosine, step, plateau")
        ->capture_default_str(); // the loop names the schedules it has (LoopOptions::validate)
    c->add_option("--step-size", s.step_size, "step schedule: epochs per step")
        ->check(int_range(1, 100000))
        ->capture_default_str();
    c->add_option("--gamma", s.gamma, "step schedule: factor per step (0.5 every epoch: "
                                      "TSLib's lradj type1, one epoch earlier)")
        ->check(kFraction)
        ->capture_default_str();
    c->add_option("--plateau-patience", s.patience,
                  "plateau schedule: epochs without improvement before a cut")
        ->check(int_range(0, 100000))
        ->capture_default_str();
    c->add_option("--plateau-factor", s.factor, "plateau schedule: cut factor")
        ->check(kFraction)
        ->capture_default_str();
}

/*! A schedule's parameters beside another schedule are refused, not
 *  ignored (`name`: the schedule the command will run). */
inline void check_schedule_options(const CLI::App* c, const std::string& name)
{
    refuse_unless(c, { "--step-size", "--gamma" }, name == "step", "only with --schedule step");
    refuse_unless(c, { "--plateau-patience", "--plateau-factor" }, name == "plateau",
                  "only with --schedule plateau");
}

} // namespace apps
} // namespace tfmed

#endif
