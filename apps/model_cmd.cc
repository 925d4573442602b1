/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Commands on model files, whatever the model: `tfmed info`, `tfmed export`,
 * `tfmed import`, `tfmed upgrade`, `tfmed system` (what bit-exact results
 * depend on), and the registration of `tfmed doctor` (doctor_cmd.cc).
 */
#include "cli.h"
#include "common.h"
#include "doctor.h"
#include "figures.h"

#include <tfmed/models/interchange.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/weights.h>

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstdio>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <cstdlib>
#include <unistd.h>
#include <memory>

#ifndef TFMED_VERSION
#define TFMED_VERSION_STRING "unknown"
#else
#define TFMED_VERSION_STRING TFMED_VERSION
#endif

namespace tfmed {
namespace apps {

using nlohmann::json;

static int model_info(const std::string& path, const std::string& history_plot)
{
    const auto f = models::read_model_file(path, true, true);
    try {
        (void)models::card_head(f.card_json);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(path + ": " + message_of(e));
    }
    if (!history_plot.empty()) {
        io::refuse_non_file(history_plot, "the PNG");
        io::check_distinct_output(history_plot, { path });
        const auto card = json::parse(f.card_json);
        const auto t = card.value("training", json::object());
        if (!t.contains("history") || t["history"].empty())
            throw std::invalid_argument(path + ": expected a training history in the card, "
                                               "found none");
        try {
            save_history_plot(t["history"], t.value("best_epoch", 0), history_plot,
                              "training curves: " + path, history_metric(t["history"]));
        } catch (const json::exception& e) {
            throw std::invalid_argument(path + ": expected training.history as a list of "
                                               "epochs with numeric fields, found: " +
                                        e.what());
        }
    }
    const auto head = models::card_head(f.card_json);
    std::printf("%s\n", json::parse(f.card_json).dump(1).c_str());
    const auto& w = f.section("weights");
    std::printf("weights: %zu bytes, FNV-1a 64 %016llx%s\n", w.size(),
                static_cast<unsigned long long>(models::fnv1a64(w)),
                f.has("optimizer") ? " (checkpoint: with optimiser state)" : "");
    std::printf("model %s, card format %lld, file format %u%s, sections:", head.model.c_str(),
                static_cast<long long>(head.format), f.format,
                f.format == 1 ? " (no checksums: tfmed upgrade)" : "");
    for (const auto& [name, bytes] : f.sections)
        std::printf(" %s (%zu bytes)", name.c_str(), bytes.size());
    std::printf("\n");
    return 0;
}

static int model_export(const std::string& model, const std::string& out, const std::string& section,
                 const std::string& json_path)
{
    io::refuse_non_file(out, "the state dict");
    if (!json_path.empty())
        io::check_distinct_output(json_path, { model }, { out });
    const auto entries = models::export_state_dict(model, out, section);
    if (!json_path.empty()) {
        json j = json::array();
        for (const auto& e : entries)
            j.push_back({ { "name", e.name }, { "shape", e.shape }, { "sum", e.sum } });
        try {
            write_atomically(json_path, j.dump(1) + "\n");
        } catch (...) {
            // The command fails: it leaves neither of its outputs.
            std::error_code ec;
            std::filesystem::remove(out, ec);
            throw;
        }
    }
    std::printf("wrote %s: %zu tensors (state dict, torch.load in Python)\n", out.c_str(),
                entries.size());
    return 0;
}

static int model_import(const std::string& kind, const std::string& card_from, const std::string& pt,
                 const std::string& out, bool keep_threshold)
{
    io::refuse_non_file(out, "the model");
    const auto entries = models::import_state_dict(kind, card_from, pt, out, keep_threshold);
    const auto f = models::read_model_file(out, true);
    std::printf("wrote %s: %zu tensors from %s, card from %s; weights FNV-1a 64 %016llx\n",
                out.c_str(), entries.size(), pt.c_str(), card_from.c_str(),
                static_cast<unsigned long long>(models::fnv1a64(f.section("weights"))));
    const auto card = json::parse(f.card_json);
    if (card["imported"].contains("threshold_dropped"))
        std::printf("note: the alarm threshold of %s (%s) was calibrated for its own weights, "
                    "not these: dropped (null); give one to the scorer or tfmed eval "
                    "(threshold, --threshold) or calibrate\n",
                    card_from.c_str(), card["imported"]["threshold_dropped"].dump().c_str());
    else if (models::card_head(f.card_json).has_threshold && keep_threshold)
        std::printf("note: the alarm threshold of %s kept (--keep-threshold)\n",
                    card_from.c_str());
    else if (models::card_head(f.card_json).has_threshold)
        std::printf("note: the weights are %s's own to the byte: its alarm threshold kept\n",
                    card_from.c_str());
    return 0;
}

// A format-1 card has no checksum: the fields it writes twice must agree
// (a flipped digit in one copy of the alarm threshold), and the parameter
// count it states must be the network's. Throws naming the field and both
// values.
static void check_card_copies(const std::string& in, const std::string& card_json,
                              const torch::nn::Module& m)
{
    const json c = json::parse(card_json);
    auto at = [&](const char* a, const char* b) -> const json* {
        return c.contains(a) && c[a].is_object() && c[a].contains(b) ? &c[a][b] : nullptr;
    };
    auto same = [&](const char* what, const json* x, const json* y, const char* wx,
                    const char* wy) {
        if (x && y && !x->is_null() && !y->is_null() && *x != *y)
            throw std::invalid_argument(in + ": the card's two copies of the " + what +
                                        " differ: " + wx + " " + x->dump() + ", " + wy + " " +
                                        y->dump() + " (a damaged card: not upgraded)");
    };
    same("alarm threshold", at("scoring", "threshold"), at("metrics", "threshold"),
         "scoring.threshold", "metrics.threshold");
    same("channel names", at("signal", "channel_names"), at("signal", "leads"),
         "signal.channel_names", "signal.leads");
    same("best epoch", at("metrics", "best_epoch"), at("training", "best_epoch"),
         "metrics.best_epoch", "training.best_epoch");
    if (c.contains("parameters") && c["parameters"].is_number_integer()) {
        int64_t n = 0;
        for (const auto& p : m.parameters())
            n += p.numel();
        if (c["parameters"].get<int64_t>() != n)
            throw std::invalid_argument(in + ": the card says " + c["parameters"].dump() +
                                        " parameters, its network has " + std::to_string(n) +
                                        " (a damaged card: not upgraded)");
    }
}

// Re-write a format-1 file (no checksums) as format 2, once its card and
// weights are checked against each other (the checks an upgrade can make).
static int model_upgrade(const std::string& in, const std::string& out)
{
    io::refuse_non_file(out, "the model");
    io::check_distinct_output(out, { in });
    auto f = models::read_model_file(in, true, true);
    if (f.format != 1) {
        // Already checksummed (every CRC verified by the read): the output is
        // its copy, so that `upgrade A -o B && use B` holds either way; a card
        // no command reads (not JSON, nested beyond bounds) is not copied.
        try {
            (void)models::card_head(f.card_json);
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(in + ": " + message_of(e));
        }
        write_model_file(out, f);
        std::printf("%s: already format %u (checksummed); copied to %s\n", in.c_str(), f.format,
                    out.c_str());
        return 0;
    }
    std::shared_ptr<torch::nn::Module> m;
    try {
        models::check_card(in, models::card_head(f.card_json), {});
        m = models::build_module(f.card_json);
    } catch (const std::invalid_argument& e) {
        const auto msg = message_of(e); // (check_card's names the file already)
        throw std::invalid_argument(msg.rfind(in + ":", 0) == 0 ? msg : in + ": " + msg);
    }
    if (!f.has("weights"))
        throw std::invalid_argument(in + ": expected a weights section, found none");
    // Format 1 has no checksums of its own: the archives' zip CRC-32s are the
    // check its bytes can have.
    for (const auto& [name, bytes] : f.sections)
        models::check_archive(bytes, in + ": the " + name + " section");
    models::load_weights_bytes(*m, f.section("weights"), torch::kCPU, in + ": the weights");
    check_card_copies(in, f.card_json, *m);
    f.format = models::kModelFileFormat;
    models::write_model_file(out, f);
    std::printf("wrote %s: format %u, every section checksummed; weights FNV-1a 64 %016llx "
                "(the same bytes)\n",
                out.c_str(), models::kModelFileFormat,
                static_cast<unsigned long long>(models::fnv1a64(f.section("weights"))));
    // What the checksums now vouch for is what the old file held: the fields
    // no weight or second copy can confirm, for the reader to compare with
    // where the model came from.
    const auto h = models::card_head(f.card_json);
    const json card = json::parse(f.card_json);
    const std::string thr =
        h.has_threshold ? ", alarm threshold " + card["scoring"]["threshold"].dump() : "";
    std::printf("check against the model's source (nothing in a format-1 file can): sample "
                "rate %g Hz, window %lld sample(s), %lld channel(s)%s\n",
                h.sample_rate, static_cast<long long>(h.window),
                static_cast<long long>(h.channels), thr.c_str());
    return 0;
}

// ---------------------------------------------------------------- system

static int system_info()
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

void add_model_commands(Cli& cli)
{
    struct Args {
        std::string model, out, section = "weights", json, kind, card_from, pt, history_plot;
        bool keep_threshold = false;
    };
    auto a = std::make_shared<Args>();
    auto* info = cli.app.add_subcommand("info", "Print a model file's card");
    info->add_option("MODEL", a->model)->required();
    info->add_option("--history-plot", a->history_plot,
                     "PNG of the training curves recorded in the card")
        ->check(png_output());
    cli.on(info, [a] { return model_info(a->model, a->history_plot); });

    auto* doctor = cli.app.add_subcommand(
        "doctor", "Verify a model file: checksums, card ranges, card vs weights, threshold, a "
                  "forward pass; print what would be refused");
    doctor->add_option("MODEL", a->model)->required();
    cli.on(doctor, [a] { return model_doctor(a->model); });

    auto* exp = cli.app.add_subcommand(
        "export", "Write a model file's weights as a PyTorch state dict (torch.load in Python)");
    exp->add_option("MODEL", a->model)->required();
    exp->add_option("-o,--out", a->out, "State dict file (.pt)")
        ->check(file_output("the state dict"))
        ->required();
    exp->add_option("--section", a->section, "weights, or best_weights of a checkpoint")
        ->check(CLI::IsMember({ "weights", "best_weights" }))
        ->capture_default_str();
    exp->add_option("--json", a->json, "Names, shapes and sums of the tensors as JSON");
    cli.on(exp, [a] { return model_export(a->model, a->out, a->section, a->json); });

    auto* imp = cli.app.add_subcommand(
        "import", "Build a model file from a PyTorch state dict and a card");
    imp->add_option("--model", a->kind, "Model kind of the state dict: tsrnet or specar")
        ->required()
        ->check(CLI::IsMember({ "tsrnet", "specar" }));
    imp->add_option("--card-from", a->card_from, "A model file or card JSON giving the card")
        ->required();
    imp->add_option("STATE_DICT", a->pt, "torch.save'd state dict (.pt)")->required();
    imp->add_option("-o,--out", a->out, "Model file to write")
        ->check(file_output("the model"))
        ->required();
    imp->add_flag("--keep-threshold", a->keep_threshold,
                  "Keep the card's alarm threshold for these weights (you calibrated it for "
                  "them); without it a threshold is kept only for the card's own weights");
    cli.on(imp, [a] {
        return model_import(a->kind, a->card_from, a->pt, a->out, a->keep_threshold);
    });

    auto* upg = cli.app.add_subcommand(
        "upgrade", "Re-write a format-1 model file (no checksums) as format 2, after checking "
                   "its card against its weights");
    upg->add_option("MODEL", a->model)->required();
    upg->add_option("-o,--out", a->out, "Model file to write")
        ->check(file_output("the model"))
        ->required();
    cli.on(upg, [a] { return model_upgrade(a->model, a->out); });

    auto* sys = cli.app.add_subcommand(
        "system", "LibTorch, CPU capability, BLAS: what bit-exact results depend on");
    cli.on(sys, [] { return system_info(); });
}

} // namespace apps
} // namespace tfmed
