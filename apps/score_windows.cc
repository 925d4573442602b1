/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed score`: the model over the windows, through the engines the live
 * blocks use (tsrnet_scorer's, specar's, tfrnn_encoder's), --batch windows
 * at a time.
 */
#include "cli.h"
#include "score.h"

#include <tfmed/engine/specar_engine.h>
#include <tfmed/engine/trls_engine.h>
#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/models/model_file.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <thread>

namespace tfmed {
namespace apps {
namespace score {

namespace {
// The card read when the command started had a threshold (checked there);
// the engine reads the file again after the input is prepared: a file
// replaced meanwhile by one without a threshold would compare every score
// with NaN and report no alarm at all.
void refuse_no_threshold(const std::string& model, double threshold)
{
    if (!std::isfinite(threshold))
        throw std::runtime_error(model + ": the model read for scoring has no alarm threshold "
                                         "(found " + std::to_string(threshold) +
                                 "; the file changed since the command started?): expected "
                                 "--threshold or a calibrated card");
}
} // namespace

// The model over every window, in chunks of --batch: memory stays that of one chunk.
Scores score_windows(const ScoreArgs& a, const std::string& kind, const std::string& task,
                     const Input& in, const data::WindowOptions& wo, int64_t n)
{
    const auto& r = in.r;
    const int64_t W = in.W, hop = in.hop;
    const auto nan = std::numeric_limits<double>::quiet_NaN();
    Scores out;
    out.score.assign(n, nan);
    out.extra1.assign(n, nan);
    out.extra2.assign(n, nan);
    out.status.assign(n, "ok");
    out.reason.assign(n, "");
    out.detail.assign(n, "");
    out.alarm.assign(n, 0);
    out.cls.assign(n, -1);
    out.label.assign(n, 0);
    out.beats.assign(n, 0);
    out.threshold = a.threshold;
    const int threads = a.threads > 0 ? a.threads
                                      : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    // The model runs on chunks of windows: memory stays that of one chunk.
    std::unique_ptr<engine::TsrnetEngine> ts;
    std::unique_ptr<engine::SpecarEngine> sp;
    std::unique_ptr<engine::TrlsEngine> tr;
    if (kind == "tsrnet") {
        ts = std::make_unique<engine::TsrnetEngine>(a.model, a.device, threads, !a.no_gate);
        out.device = ts->device();
        if (std::isnan(out.threshold))
            out.threshold = ts->card().threshold;
        refuse_no_threshold(a.model, out.threshold);
        out.columns = { "score", "plain", "peak", "status", "alarm", "reason" };
    } else if (kind == "specar") {
        sp = std::make_unique<engine::SpecarEngine>(a.model, a.device, threads);
        out.device = sp->device();
        if (task == "anomaly_detection") {
            if (std::isnan(out.threshold))
                out.threshold = sp->card().threshold;
            refuse_no_threshold(a.model, out.threshold);
            out.columns = { "score", "energy_mean", "points_above", "status", "alarm" };
        } else {
            out.class_names = sp->card().class_names;
        }
    } else {
        tr = std::make_unique<engine::TrlsEngine>(a.model, a.device, threads);
        out.device = tr->device();
        if (tr->num_class() == 0)
            throw std::invalid_argument(a.model + ": a TRLS encoder without a classification head "
                                                  "gives embeddings, not decisions: expected a "
                                                  "model from tfmed train trls (with its head)");
        out.class_names = tr->class_names();
    }
    const int64_t B = std::max(1, a.batch);
    for (int64_t i = 0; i < n; i += B) {
        const int64_t m = std::min(B, n - i);
        const auto w = data::make_windows(io::slice_samples(r, i * hop, (m - 1) * hop + W), wo);
        if (w.x.size(0) != m)
            throw std::logic_error("score: expected " + std::to_string(m) + " windows in a chunk, "
                                   "found " + std::to_string(w.x.size(0)));
        for (int64_t j = 0; j < m; ++j) {
            out.label[i + j] = static_cast<int>(w.label[j].item<int64_t>());
            out.beats[i + j] = w.beats[static_cast<std::size_t>(j)];
        }
        const auto xs = w.x.permute({ 0, 2, 1 }).contiguous(); // m x W x C, time-major
        const float* px = xs.data_ptr<float>();
        if (ts) {
            const auto res = ts->score(px, m);
            for (int64_t j = 0; j < m; ++j) {
                const auto& s = res[static_cast<std::size_t>(j)];
                out.score[i + j] = s.score;
                out.extra1[i + j] = s.plain;
                out.extra2[i + j] = s.peak;
                out.status[i + j] = models::to_string(s.status);
                out.reason[i + j] = s.reason;
                out.detail[i + j] = s.detail;
                out.alarm[i + j] = s.scored() && out.score[i + j] > out.threshold; // as tsrnet_scorer
            }
        } else if (sp && task == "anomaly_detection") {
            // As the specar block: the recording's first window scores all
            // its points, later ones their newest hop; the score is the
            // largest energy. (A span cut by --from starts at a later
            // window: it scores as it does in the whole run.)
            const auto en = sp->energy(px, m);
            for (int64_t j = 0; j < m; ++j) {
                const bool first = in.first == 0 && i + j == 0;
                const int64_t from = (first || hop >= W) ? 0 : W - hop;
                double sum = 0, top = -INFINITY;
                int above = 0;
                bool finite = true;
                for (int64_t t = 0; t < W; ++t) {
                    const double v = en[static_cast<std::size_t>(j * W + t)];
                    finite = finite && std::isfinite(v);
                    sum += v;
                    if (t >= from) {
                        top = std::max(top, v);
                        above += v > out.threshold;
                    }
                }
                out.score[i + j] = finite ? top : nan;
                out.extra1[i + j] = finite ? sum / W : nan;
                out.extra2[i + j] = finite ? above : nan;
                out.status[i + j] = finite ? "ok" : "non_finite";
                out.alarm[i + j] = finite && top > out.threshold;
            }
        } else {
            std::vector<float> p, emb;
            if (sp)
                p = sp->classify(px, m);
            else
                tr->from_samples(px, m, emb, p);
            const auto K = static_cast<int64_t>(p.size()) / m;
            // As the tfrnn_encoder block: a channel held at one value over
            // the window (a lead off) is flagged, not classified.
            const auto flat = tr ? engine::trls_flat_windows(px, m, W, tr->channels())
                                 : std::vector<uint8_t>(static_cast<std::size_t>(m), 0);
            for (int64_t j = 0; j < m; ++j) {
                out.probs.emplace_back(p.begin() + j * K, p.begin() + (j + 1) * K);
                if (flat[static_cast<std::size_t>(j)]) {
                    std::fill(out.probs.back().begin(), out.probs.back().end(), nan);
                    out.status[i + j] = "flat";
                }
            }
        }
    }
    if (task == "classification") {
        const std::size_t K = out.probs.empty() ? 0 : out.probs[0].size();
        for (std::size_t k = out.class_names.size(); k < K; ++k) // a card without names
            out.class_names.push_back("class" + std::to_string(k));
        for (int64_t i = 0; i < n; ++i) {
            const auto& p = out.probs[static_cast<std::size_t>(i)];
            const bool finite = std::all_of(p.begin(), p.end(), [](float v) { return std::isfinite(v); });
            if (!finite) {
                if (out.status[i] != "flat")
                    out.status[i] = "non_finite";
                continue;
            }
            out.cls[i] = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
            out.score[i] = p[static_cast<std::size_t>(out.cls[i])];
        }
        out.columns = { "class", "label", "probability", "status" };
        for (const auto& c : out.class_names)
            out.columns.push_back("p_" + c);
    }

    return out;
}

} // namespace score
} // namespace apps
} // namespace tfmed
