/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed doctor`: what a model file is, and whether it would be used or
 * refused, check by check (registered with the other model commands in
 * model_cmd.cc).
 */
#include "doctor.h"
#include "cli.h"
#include "common.h"

#include <tfmed/engine/specar_engine.h>
#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/engine/trls_engine.h>
#include <tfmed/models/trls_card.h>
#include <tfmed/models/interchange.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/specar_card.h>
#include <tfmed/models/tsrnet_card.h>
#include <tfmed/models/weights.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <limits>

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

int model_doctor(const std::string& path)
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

} // namespace apps
} // namespace tfmed
