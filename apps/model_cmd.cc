/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Commands on model files, whatever the model: `tfmed info`, `tfmed doctor`,
 * `tfmed export`, `tfmed import`, `tfmed upgrade`, and `tfmed system` (what bit-exact results
 * depend on).
 */
#include "cli.h"
#include "common.h"
#include "figures.h"
#include "progress_view.h"

#include <tfmed/engine/specar_engine.h>
#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/engine/trls_engine.h>
#include <tfmed/models/trls_card.h>
#include <tfmed/models/interchange.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/specar_card.h>
#include <tfmed/models/tsrnet_card.h>
#include <tfmed/models/weights.h>

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <limits>
#include <memory>

#ifndef TFMED_VERSION
#define TFMED_VERSION_STRING "unknown"
#else
#define TFMED_VERSION_STRING TFMED_VERSION
#endif

namespace tfmed {
namespace apps {

using nlohmann::json;

namespace {

// One line per check; a refused check counts.
struct Doctor {
    int failures = 0;
    // A temporary copy the engines read (format 1), named as the user's file.
    std::string copy, original;
    bool no_forward = false; // the forward pass could not be set up (said so)
    bool line(bool ok, const std::string& what, std::string detail)
    {
        for (std::size_t at; !copy.empty() && (at = detail.find(copy)) != std::string::npos;)
            detail.replace(at, copy.size(), original);
        std::printf("%-8s %-16s %s\n", ok ? "ok" : "REFUSED", what.c_str(), detail.c_str());
        failures += ok ? 0 : 1;
        return ok;
    }
    void fail(const std::string& what, const std::exception& e) { line(false, what, message_of(e)); }
};

// The weights against the card's architecture (every name and shape), and
// finite.
void check_weights(Doctor& d, const models::ModelFile& f)
{
    if (!f.has("weights")) {
        d.line(false, "weights", "no weights section");
        return;
    }
    try {
        auto m = models::build_module(f.card_json);
        models::load_weights_bytes(*m, f.section("weights"), torch::kCPU, "the weights section",
                                   false);
        int64_t n = 0;
        std::string bad;
        const auto sd = models::state_dict(*m);
        for (const auto& [k, t] : sd) {
            n += t.numel();
            if (bad.empty() && !torch::isfinite(t).all().item<bool>())
                bad = k;
        }
        d.line(true, "card vs weights",
               std::to_string(sd.size()) +
                   " tensors, every name and shape as the card's architecture; " +
                   std::to_string(n) + " values");
        d.line(bad.empty(), "finite weights",
               bad.empty() ? "no NaN/Inf" : "NaN/Inf in " + bad + " (every output would be NaN)");
    } catch (const std::exception& e) {
        d.fail("card vs weights", e);
    }
}

// TSRNet: card fields, threshold and quality gate, forward pass on a
// synthetic ECG-like window.
void doctor_tsrnet(Doctor& d, const std::string& engine_path, const models::ModelFile& f)
{
    models::TsrnetCard card;
    try {
        card = models::TsrnetCard::from_json(f.card_json);
        d.line(true, "card fields",
                       "architecture width " + std::to_string(card.width) + ", d_model " +
                           std::to_string(card.d_model) + ", heads " +
                           std::to_string(card.heads) + "; STFT n_fft " +
                           std::to_string(card.n_fft) + " hop " + std::to_string(card.hop) +
                           " -> " + std::to_string(card.spec_bins) + " x " +
                           std::to_string(card.spec_frames) + "; every field in range");
    } catch (const std::exception& e) {
        d.fail("card fields", e);
        return;
    }
    // The forward pass needs a readable card and weights; what the lines
    // above (a format-1 file) or below (no threshold) say does not stop it.
    const int before = d.failures;
    check_weights(d, f);
    const bool runnable = d.failures == before && !d.no_forward;
    if (std::isfinite(card.threshold))
        d.line(true, "threshold",
             fmt("%.6g", card.threshold) + " (" + fmt("%g", 100 * card.threshold_quantile) +
                 "% of " + std::to_string(card.calibration_windows) + " normal windows, " +
                 card.score + " score)");
    else
        d.line(false, "threshold",
             "none calibrated (null: an interrupted run, a checkpoint or an import); the "
             "scorer and tfmed eval refuse it unless a threshold is given");
    d.line(true, "quality gate",
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
    if (runnable) {
        // A forward pass on a synthetic ECG-like window (the quality gate
        // off): the plain score must be a number, and where the window holds
        // five beats or more (4 s) the card's own score too, so that the
        // Peak-based path is run. The beats come every 0.78 and 0.82 s in
        // turn: HeartPy's detector keeps only thresholds whose RR intervals
        // spread (rrsd > 0.1 ms), which a strictly periodic train meets by
        // sample rounding alone.
        try {
            engine::TsrnetEngine e(engine_path, "cpu", 1, false);
            const auto& c = e.card();
            std::vector<float> w(static_cast<std::size_t>(c.window() * c.leads), 0.0f);
            std::vector<double> beats;
            const double length_s = static_cast<double>(c.window()) / c.prep.sample_rate;
            for (double b = 0.4; b < length_s + 1.0; b += beats.size() % 2 ? 0.82 : 0.78)
                beats.push_back(b);
            // (The nearest beat by a moving index: a card's window may be
            // hours long, every sample against every beat took as long.)
            std::size_t k = 0;
            for (int64_t t = 0; t < c.window(); ++t) {
                const double at = static_cast<double>(t) / c.prep.sample_rate;
                while (k + 1 < beats.size() && beats[k + 1] <= at)
                    ++k;
                double s = std::abs(at - beats[k]);
                if (k + 1 < beats.size())
                    s = std::min(s, std::abs(beats[k + 1] - at));
                for (int64_t l = 0; l < c.leads; ++l)
                    w[static_cast<std::size_t>(t * c.leads + l)] =
                        static_cast<float>(std::exp(-0.5 * s * s / (0.01 * 0.01)));
            }
            const auto r = e.score(w.data(), 1);
            const bool peaks_expected = length_s >= 4.0;
            d.line(std::isfinite(r[0].plain) &&
                       (!peaks_expected || (r[0].scored() && std::isfinite(r[0].score))),
                   "forward pass",
                 "synthetic window: plain score " + fmt("%.5g", r[0].plain) + ", peak score " +
                     fmt("%.5g", r[0].peak) +
                     (r[0].scored() ? "" : " (" + std::string(models::to_string(r[0].status)) + ")"));
        } catch (const std::exception& e) {
            d.fail("forward pass", e);
        }
    }
}

// SpecAR-Net: card fields, the anomaly threshold, a forward pass of the
// card's task on a synthetic multichannel window.
void doctor_specar(Doctor& d, const std::string& engine_path, const models::ModelFile& f)
{
    models::SpecarCard card;
    try {
        card = models::SpecarCard::from_json(f.card_json);
    } catch (const std::exception& e) {
        d.fail("card fields", e);
        return;
    }
    const auto& a = card.arch;
    d.line(true, "card fields",
           "task " + a.task + ", " + std::to_string(a.enc_in) + " channel(s), window " +
               std::to_string(a.seq_len) +
               (a.task == "long_term_forecast" ? " -> " + std::to_string(a.pred_len) : "") +
               (a.task == "classification" ? ", " + std::to_string(a.num_class) + " classes"
                                           : "") +
               "; d_model " + std::to_string(a.d_model) + ", e_layers " +
               std::to_string(a.e_layers) + ", conv_layers " + std::to_string(a.conv_layers) +
               "; STFT n_fft " + std::to_string(a.n_fft) + " hop " + std::to_string(a.hop) +
               "; every field in range");
    const int before = d.failures;
    check_weights(d, f);
    const bool runnable = d.failures == before && !d.no_forward;
    if (a.task == "anomaly_detection") {
        if (std::isfinite(card.threshold))
            d.line(true, "threshold",
                   fmt("%.6g", card.threshold) + " (" + fmt("%g", card.anomaly_ratio) +
                       "% of " + card.threshold_from + " energies above it)");
        else
            d.line(false, "threshold",
                   "none calibrated (an interrupted run, a checkpoint or an import); the specar "
                   "block and tfmed eval refuse it");
    }
    if (f.has("optimizer"))
        std::printf("%-8s %-16s %s\n", "note", "checkpoint",
                    "has optimiser state: a training checkpoint (tfmed train --resume)");
    if (!runnable)
        return;
    try {
        engine::SpecarEngine e(engine_path, "cpu", 1);
        const int64_t T = a.seq_len, C = a.enc_in;
        std::vector<float> w(static_cast<std::size_t>(T * C));
        for (int64_t t = 0; t < T; ++t)
            for (int64_t c = 0; c < C; ++c)
                w[static_cast<std::size_t>(t * C + c)] =
                    static_cast<float>(std::sin(0.2 * t + c) * (1.0 + 0.1 * c));
        std::vector<float> marks(static_cast<std::size_t>(T * std::max<int64_t>(a.time_features, 1)),
                                 0.0f);
        std::vector<float> out;
        if (a.task == "anomaly_detection") {
            out = e.energy(w.data(), 1);
        } else if (a.task == "long_term_forecast") {
            out = e.forecast(w.data(), marks.data(), 1);
        } else if (a.task == "imputation") {
            for (std::size_t i = 0; i < w.size(); i += 5)
                w[i] = std::numeric_limits<float>::quiet_NaN();
            out = e.impute(w.data(), marks.data(), 1);
        } else {
            out = e.classify(w.data(), 1);
        }
        std::size_t bad = 0;
        double sum = 0.0;
        for (float v : out) {
            bad += std::isfinite(v) ? 0 : 1;
            sum += std::isfinite(v) ? v : 0.0;
        }
        d.line(bad == 0 && !out.empty(), "forward pass",
               "synthetic window, " + a.task + ": " + std::to_string(out.size()) + " values" +
                   (bad ? ", " + std::to_string(bad) + " not finite"
                        : ", mean " + fmt("%.5g", sum / std::max<std::size_t>(out.size(), 1))));
    } catch (const std::exception& e) {
        d.fail("forward pass", e);
    }
}

void doctor_trls(Doctor& d, const std::string& engine_path, const models::ModelFile& f)
{
    models::TrlsCard card;
    try {
        card = models::TrlsCard::from_json(f.card_json);
    } catch (const std::exception& e) {
        d.fail("card fields", e);
        return;
    }
    const auto& a = card.arch;
    d.line(true, "card fields",
           a.to_string() + (a.num_class ? ", linear head of " + std::to_string(a.num_class) +
                                              " classes"
                                        : ", encoder only") +
               "; scaling " + card.scaling + "; every field in range");
    const int before = d.failures;
    check_weights(d, f);
    const bool runnable = d.failures == before && !d.no_forward;
    if (card.scaling != "none")
        std::printf("%-8s %-16s %s\n", "note", "frames input",
                    ("scaling " + card.scaling + " (per time index, TS-TCC): tfrnn_encoder "
                     "takes it with input \"samples\" only, not STFT frames").c_str());
    if (f.has("optimizer")) {
        d.line(false, "checkpoint",
               "a pre-training checkpoint (continue it with tfmed train trls --resume); the "
               "blocks and tfmed eval take the model file it ends in");
        return;
    }
    if (!runnable)
        return;
    try {
        engine::TrlsEngine e(engine_path, "cpu", 1);
        const int64_t L = a.length, C = a.channels;
        std::vector<float> w(static_cast<std::size_t>(L * C));
        for (int64_t t = 0; t < L; ++t)
            for (int64_t c = 0; c < C; ++c)
                w[static_cast<std::size_t>(t * C + c)] =
                    static_cast<float>(std::sin(0.2 * t + c) * (1.0 + 0.1 * c));
        std::vector<float> emb, prob;
        e.from_samples(w.data(), 1, emb, prob);
        std::size_t bad = 0;
        for (float v : emb)
            bad += std::isfinite(v) ? 0 : 1;
        for (float v : prob)
            bad += std::isfinite(v) ? 0 : 1;
        d.line(bad == 0 && !emb.empty(), "forward pass",
               "synthetic window: embedding of " + std::to_string(emb.size()) + " values" +
                   (prob.empty() ? "" : ", " + std::to_string(prob.size()) + " probabilities") +
                   (bad ? ", " + std::to_string(bad) + " not finite" : ", all finite"));
    } catch (const std::exception& e) {
        d.fail("forward pass", e);
    }
}

} // namespace

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

static int model_doctor(const std::string& path)
{
    Doctor d;
    models::ModelFile f;
    try {
        f = models::read_model_file(path, true, true);
        std::string secs;
        for (const auto& [name, bytes] : f.sections)
            secs += ", " + name + " " + std::to_string(bytes.size()) + " B";
        if (f.format == 1)
            d.line(false, "file", "format 1 (sections card " + std::to_string(f.card_json.size()) +
                                    " B" + secs + ") carries no checksums: a damaged file "
                                    "cannot be told from a good one; if the checks below pass, "
                                    "tfmed upgrade " + path + " -o NEW.tfm");
        else
            d.line(true, "file", "sections card " + std::to_string(f.card_json.size()) + " B" +
                                   secs + "; every CRC-32 verified");
    } catch (const std::exception& e) {
        d.fail("file", e);
        std::printf("\n%s: not usable (the file itself is damaged or not a model file)\n",
                    path.c_str());
        return 1;
    }
    models::CardHead head;
    try {
        head = models::card_head(f.card_json);
        d.line(true, "card", "model " + head.model + ", card format " +
                               std::to_string(head.format) + ", written by gr-tfmed " +
                               (head.version.empty() ? "?" : head.version) + "; " +
                               std::to_string(head.channels) + " channel(s) at " +
                               fmt("%g", head.sample_rate) + " Hz, window " +
                               std::to_string(head.window));
        models::check_card(path, head, {});
    } catch (const std::exception& e) {
        d.fail("card", e);
        std::printf("\n%s: not usable (the card's common fields are refused)\n", path.c_str());
        return 1;
    }
    // The engines take checksummed files only: a format-1 file's forward
    // pass runs on a format-2 copy in the temporary folder (the checks its
    // "file" line points to before an upgrade), removed afterwards.
    std::string run_path = path;
    RemoveOnExit tmp;
    if (f.format == 1) {
        // A name of our own (mkstemp), then the copy written over it.
        std::string name =
            (std::filesystem::temp_directory_path() / "tfmed-doctor-XXXXXX").string();
        const int fd = ::mkstemp(name.data());
        if (fd >= 0) {
            ::close(fd);
            tmp.p = name;
            try {
                auto copy = f;
                copy.format = models::kModelFileFormat;
                models::write_model_file(name, copy);
                run_path = name;
                d.copy = name;
                d.original = path;
            } catch (const std::exception& e) {
                d.line(false, "forward pass",
                       "not run: the checksummed copy it needs could not be written to " +
                           name + ": " + message_of(e));
                d.no_forward = true;
            }
        } else {
            d.line(false, "forward pass",
                   "not run: no temporary file for the checksummed copy it needs (" +
                       std::string(std::strerror(errno)) + ")");
            d.no_forward = true;
        }
    }
    if (head.model == "tsrnet")
        doctor_tsrnet(d, run_path, f);
    else if (head.model == "specar")
        doctor_specar(d, run_path, f);
    else if (head.model == "trls")
        doctor_trls(d, run_path, f);
    else
        d.line(false, "model kind", "'" + head.model + "' is not built by this version");
    std::printf("\n%s: %s\n", path.c_str(),
                d.failures == 0
                    ? "usable: the blocks and tfmed eval accept it"
                    : (std::to_string(d.failures) + " problem(s): refused as it is").c_str());
    return d.failures == 0 ? 0 : 1;
}

static int model_export(const std::string& model, const std::string& out, const std::string& section,
                 const std::string& json_path)
{
    io::refuse_non_file(out, "the state dict");
    if (!json_path.empty())
        io::check_distinct_output(json_path, { model }, { out });
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
        // its copy, so that `upgrade A -o B && use B` holds either way.
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
