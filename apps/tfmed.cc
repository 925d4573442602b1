/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The `tfmed` command-line tool: the command groups and the dispatch. Each
 * command file adds its subcommands (apps/cli.h).
 */
#include "cli.h"
#include "launch.h"

#include <tfmed/train/runtime.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>

#ifndef TFMED_VERSION
#define TFMED_VERSION "unknown"
#endif

namespace {

// What CLI11 would read without a word: an empty value (`--csv ''` read as
// not given, an empty number as 0), hexadecimal numbers (`--hop 0x10` was
// 16 s: CLI11 converts in base 0) and a leading 0 of an integer (`--epochs
// 010` trained 8 epochs: octal). Refused by the option's name.
void refuse_odd_values(const CLI::App& sub)
{
    for (const CLI::Option* o : sub.get_options()) {
        if (o->count() == 0 || o->get_type_size_min() == 0) // (flags)
            continue;
        const std::string type = o->get_type_name();
        const bool integer = type.rfind("INT", 0) == 0 || type.rfind("UINT", 0) == 0;
        const bool number = integer || type.rfind("FLOAT", 0) == 0;
        for (const auto& v : o->results()) {
            if (v.empty())
                throw std::invalid_argument(o->get_name() + ": expected a value, found an "
                                                            "empty one");
            if (!number)
                continue;
            const std::size_t d = v.find_first_not_of("+- \t");
            if (v.find_first_of("xX") != std::string::npos ||
                (integer && d != std::string::npos && v[d] == '0' && d + 1 < v.size() &&
                 std::isdigit(static_cast<unsigned char>(v[d + 1]))))
                throw std::invalid_argument(o->get_name() + ": expected a decimal number, found '" +
                                            v + "'");
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    tfmed::train::keep_freed_memory();
    tfmed::apps::set_command_line(argc, argv);

    CLI::App app{ "tfmed: spectrogram deep learning for medical and sensor streams "
                  "(gr-tfmed " TFMED_VERSION ")" };
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("tfmed ") + TFMED_VERSION);
    auto group = [&](const char* name, const char* what) {
        auto* g = app.add_subcommand(name, what);
        g->require_subcommand(1);
        return g;
    };
    tfmed::apps::Cli cli{ app,
                          group("train", "Train a model"),
                          group("eval", "Evaluate a model"),
                          group("bench", "Measure speed against baselines"),
                          group("data", "Inspect and plot recordings and data sets"),
                          {} };
    tfmed::apps::add_data_commands(cli);
    tfmed::apps::add_tsrnet_commands(cli);
    tfmed::apps::add_specar_commands(cli);
    tfmed::apps::add_trls_commands(cli);
    tfmed::apps::add_stft_commands(cli);
    tfmed::apps::add_serve_commands(cli);
    tfmed::apps::add_train_bench_commands(cli);
    tfmed::apps::add_model_commands(cli);
    tfmed::apps::add_score_commands(cli);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    int rc = 0;
    try {
        for (const auto& [sub, run] : cli.runs)
            if (sub->parsed()) {
                refuse_odd_values(*sub);
                rc = run();
                break;
            }
    } catch (const std::exception& e) {
        std::cerr << "tfmed: " << tfmed::apps::message_of(e) << "\n";
        rc = 1;
    }
    // Workers stopped by a signal the launcher forwarded: the launcher ends
    // by it as well (after the commands' files were cleaned up above).
    if (const int sig = tfmed::apps::received_stop_signal()) {
        std::cout.flush();
        std::fflush(nullptr);
        std::signal(sig, SIG_DFL);
        std::raise(sig);
    }
    // A report that did not reach standard output (a full disk, a closed
    // pipe with SIGPIPE ignored) is a failure, not exit 0.
    errno = 0;
    std::cout.flush();
    if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout)) {
        const int err = errno;
        std::fprintf(stderr, "tfmed: writing to standard output failed (%s)\n",
                     err ? std::strerror(err) : "stream error");
        return rc ? rc : 1;
    }
    return rc;
}
