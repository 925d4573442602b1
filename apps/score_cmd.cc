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
 * CSV, JSON and a PNG of the trace with the scores.
 */
#include "cli.h"

#include <tfmed/data/windows.h>
#include <tfmed/engine/specar_engine.h>
#include <tfmed/engine/trls_engine.h>
#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/io/atomic.h>
#include <tfmed/io/recording.h>
#include <tfmed/io/wfdb.h>
#include <tfmed/models/metrics.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/specar_card.h>
#ifdef TFMED_HAVE_PLOT
#include <tfmed/plot/figure.h>
#endif

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tfmed {
namespace apps {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ScoreArgs {
    std::string model, input, device = "auto", csv, json_path, plot;
    std::vector<std::string> channels;
    std::vector<std::string> normal{ "N" };
    double hop_s = 0.0, from = 0.0, to = 0.0, rate = 0.0;
    double threshold = std::numeric_limits<double>::quiet_NaN();
    int threads = 0, batch = 16;
    bool no_gate = false;
};

std::string join(const std::vector<std::string>& v)
{
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? "(none)" : s;
}

// Indices of the channels to score: --channels (names, or 0-based indices
// where no channel has that name), else the card's names, else (an input
// without names of its own: .npy) its columns in order.
std::vector<int> pick_channels(const io::Recording& r, const models::CardHead& head,
                               const std::vector<std::string>& wanted, bool unnamed)
{
    auto find = [&](const std::string& name) {
        const auto it = std::find(r.channel_names.begin(), r.channel_names.end(), name);
        return it == r.channel_names.end() ? -1 : static_cast<int>(it - r.channel_names.begin());
    };
    std::vector<int> idx;
    if (!wanted.empty()) {
        for (const auto& w : wanted) {
            int i = find(w);
            const bool digits = !w.empty() && w.size() <= 9 &&
                                w.find_first_not_of("0123456789") == std::string::npos;
            if (i < 0 && digits) {
                i = std::stoi(w);
                if (i >= r.channels())
                    throw std::invalid_argument("--channels: index " + w + " is out of range: " +
                                                r.source + " has channels 0.." +
                                                std::to_string(r.channels() - 1) + " (" +
                                                join(r.channel_names) + ")");
            }
            if (i < 0)
                throw std::invalid_argument("--channels: '" + w + "' is not a channel of " +
                                            r.source + " (it has " + join(r.channel_names) +
                                            "; or give 0-based indices)");
            idx.push_back(i);
        }
    } else {
        for (const auto& n : head.channel_names) {
            const int i = find(n);
            if (i < 0) {
                idx.clear();
                break;
            }
            idx.push_back(i);
        }
        if (idx.empty() && unnamed && r.channels() == head.channels)
            for (int c = 0; c < r.channels(); ++c)
                idx.push_back(c);
        if (idx.empty())
            throw std::invalid_argument(
                r.source + ": expected the model's channel(s) " + join(head.channel_names) +
                ", found " + join(r.channel_names) + " (name them with --channels)");
    }
    if (static_cast<int64_t>(idx.size()) != head.channels)
        throw std::invalid_argument("--channels: the model takes " + std::to_string(head.channels) +
                                    " channel(s), found " + std::to_string(idx.size()));
    return idx;
}

io::Recording keep_channels(const io::Recording& r, const std::vector<int>& idx)
{
    io::Recording s;
    s.source = r.source;
    s.sample_rate = r.sample_rate;
    s.n_samples = r.n_samples;
    s.annotations = r.annotations;
    for (int i : idx) {
        s.channel_names.push_back(r.channel_names[i]);
        s.units.push_back(i < static_cast<int>(r.units.size()) ? r.units[i] : "");
    }
    s.samples.resize(static_cast<std::size_t>(r.n_samples) * idx.size());
    for (int64_t t = 0; t < r.n_samples; ++t)
        for (std::size_t c = 0; c < idx.size(); ++c)
            s.samples[t * idx.size() + c] = r.at(t, idx[c]);
    return s;
}

std::string csv_field(double v)
{
    if (std::isnan(v))
        return "nan";
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}

// The input at the model's rate, and how it is cut into windows.
struct Input {
    io::Recording r;         //!< the model's channels, at `rate`
    double rate_in = 0.0;    //!< Hz of the file (0: unknown)
    double rate = 0.0;       //!< Hz of the windows (the model's, else the file's)
    double t0 = 0.0;         //!< seconds (or samples) of the first sample kept
    int64_t first = 0;       //!< first sample kept, at the file's rate
    int64_t W = 0, hop = 0;  //!< window and hop, samples
    bool resampled = false;

    /*! Start of window i: seconds (samples where no rate is known). */
    double start(int64_t i) const
    {
        return rate > 0 ? t0 + static_cast<double>(i * hop) / rate
                        : static_cast<double>(first + i * hop);
    }
};

// What the model said, per window.
struct Scores {
    std::vector<double> score, extra1, extra2; //!< score (or the decision's probability), two more columns
    std::vector<std::string> status;
    std::vector<int> alarm, cls, label, beats;
    std::vector<std::vector<float>> probs;
    std::vector<std::string> class_names, columns;
    double threshold = 0.0;
    std::string device;
};

Input prepare_input(const ScoreArgs& a, const models::CardHead& head)
{
    const std::string ext = lower_ext(a.input);
    const bool table = ext == ".csv" || ext == ".npy";

    // The input, its span and channels, at the model's rate.
    io::Recording r = table ? read_table_recording(a.input, a.rate > 0 ? a.rate : head.sample_rate)
                            : read_any_recording(a.input);
    const double rate_in = r.sample_rate;
    int64_t first = 0;
    if (a.from > 0 || a.to > 0) {
        if (!(rate_in > 0))
            throw std::invalid_argument("--from/--to: " + a.input + " has no sample rate (give "
                                                                    "--rate)");
        if (a.to > 0 && a.to <= a.from)
            throw std::invalid_argument("expected --from < --to, found " + csv_field(a.from) +
                                        " .. " + csv_field(a.to));
        first = static_cast<int64_t>(std::llround(std::min(a.from * rate_in, 9e15)));
        if (first >= r.n_samples)
            throw std::invalid_argument("--from " + csv_field(a.from) + " s is past the end of " +
                                        a.input + " (" + csv_field(r.duration()) + " s)");
        io::select_samples(r, first,
                           a.to > 0 ? static_cast<int64_t>(std::llround(
                                          std::min((a.to - a.from) * rate_in, 9e15)))
                                    : -1);
    }
    const bool unnamed =
        ext == ".npy" || (ext == ".csv" && [&] {
            for (int c = 0; c < r.channels(); ++c)
                if (r.channel_names[c] != "c" + std::to_string(c))
                    return false;
            return true;
        }());
    const auto idx = pick_channels(r, head, a.channels, unnamed);
    r = keep_channels(r, idx);
    bool resampled = false;
    if (head.sample_rate > 0 && rate_in > 0 && std::abs(rate_in - head.sample_rate) > 1e-9) {
        r = data::resample(r, head.sample_rate);
        resampled = true;
    }
    const double rate = head.sample_rate > 0 ? head.sample_rate : rate_in;
    const double t0 = rate_in > 0 ? first / rate_in : static_cast<double>(first);
    const int64_t W = head.window;
    int64_t hop = W;
    if (a.hop_s > 0) {
        if (!(rate > 0))
            throw std::invalid_argument("--hop: neither the model nor the input states a sample "
                                        "rate to turn seconds into samples");
        const double h = a.hop_s * rate;
        if (h < 0.5)
            throw std::invalid_argument("--hop: expected at least one sample (" +
                                        csv_field(1 / rate) + " s at " + csv_field(rate) +
                                        " Hz), found " + csv_field(a.hop_s) + " s");
        hop = static_cast<int64_t>(std::llround(std::min(h, 1e15)));
    }
    if (r.n_samples < W)
        throw std::invalid_argument(
            a.input + ": " + std::to_string(r.n_samples) + " samples at the model's rate, fewer "
            "than one window of " + std::to_string(W) + " (" +
            (rate > 0 ? csv_field(W / rate) + " s" : std::string("samples")) + ")");
    Input in;
    in.rate_in = rate_in;
    in.rate = rate;
    in.t0 = t0;
    in.first = first;
    in.W = W;
    in.hop = hop;
    in.resampled = resampled;
    in.r = std::move(r);
    return in;
}

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
        out.columns = { "score", "plain", "peak", "status", "alarm" };
    } else if (kind == "specar") {
        sp = std::make_unique<engine::SpecarEngine>(a.model, a.device, threads);
        out.device = sp->device();
        if (task == "anomaly_detection") {
            if (std::isnan(out.threshold))
                out.threshold = sp->card().threshold;
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
                out.alarm[i + j] = s.scored() && out.score[i + j] > out.threshold; // as tsrnet_scorer
            }
        } else if (sp && task == "anomaly_detection") {
            // As the specar block: the first window scores all its points,
            // later ones their newest hop; the score is the largest energy.
            const auto en = sp->energy(px, m);
            for (int64_t j = 0; j < m; ++j) {
                const int64_t from = (i + j == 0 || hop >= W) ? 0 : W - hop;
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
            for (int64_t j = 0; j < m; ++j)
                out.probs.emplace_back(p.begin() + j * K, p.begin() + (j + 1) * K);
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

#ifdef TFMED_HAVE_PLOT
// The first channel with the non-normal beats marked, above the scores or
// class probabilities per window.
void draw(const ScoreArgs& a, const std::string& kind, const std::string& task, const Input& in,
          const Scores& res, const data::WindowOptions& wo, int64_t n)
{
    const auto& r = in.r;
    const double rate = in.rate, t0 = in.t0;
    const int64_t W = in.W;
    const auto& score = res.score;
    const auto& alarm = res.alarm;
    const auto& probs = res.probs;
    const auto& class_names = res.class_names;
    const double threshold = res.threshold;
    auto start_s = [&](int64_t i) { return in.start(i); };
    if (a.plot.empty())
        return;
    const double unit = rate > 0 ? rate : 1.0;
    plot::Panel trace;
    trace.title = r.channel_names[0] + (r.units.empty() || r.units[0].empty() ? "" : " (" + r.units[0] + ")");
    trace.xlabel = rate > 0 ? "time (s)" : "sample";
    plot::Series s;
    s.color = { 30, 30, 30 };
    s.width = 0.8;
    const int64_t step = std::max<int64_t>(1, r.n_samples / 20000);
    for (int64_t t = 0; t < r.n_samples; t += step) {
        s.x.push_back(t0 + t / unit);
        s.y.push_back(r.at(t, 0));
    }
    trace.series.push_back(s);
    for (const auto& an : r.annotations)
        if (io::wfdb_is_beat(an.code) && !wo.normal.count(an.symbol)) {
            plot::Marker m;
            m.x = t0 + an.sample / unit;
            m.label = an.symbol;
            trace.markers.push_back(m);
        }
    plot::Panel panel;
    panel.xlabel = trace.xlabel;
    panel.xmin = trace.xmin = t0;
    panel.xmax = trace.xmax = t0 + r.n_samples / unit;
    auto centre = [&](int64_t i) { return start_s(i) + (rate > 0 ? W / rate : W) / 2; };
    if (task == "anomaly_detection") {
        panel.title = kind == "tsrnet" ? "anomaly score per window"
                                       : "largest point energy per window (its newest hop)";
        plot::Series sc, al, th;
        sc.color = { 31, 119, 180 };
        sc.label = "score";
        al.color = { 214, 39, 40 };
        al.points = true;
        al.label = "alarm";
        for (int64_t i = 0; i < n; ++i)
            if (std::isfinite(score[i])) {
                sc.x.push_back(centre(i));
                sc.y.push_back(score[i]);
                if (alarm[i]) {
                    al.x.push_back(centre(i));
                    al.y.push_back(score[i]);
                }
            }
        panel.series.push_back(sc);
        if (!al.x.empty())
            panel.series.push_back(al);
        if (std::isfinite(threshold)) {
            th.color = { 120, 120, 120 };
            th.label = "threshold";
            th.x = { panel.xmin, panel.xmax };
            th.y = { threshold, threshold };
            panel.series.push_back(th);
        }
    } else {
        panel.title = "class probabilities per window";
        panel.ymin = 0;
        panel.ymax = 1;
        static const plot::Rgb colors[] = { { 31, 119, 180 }, { 214, 39, 40 }, { 44, 160, 44 },
                                            { 255, 127, 14 }, { 148, 103, 189 }, { 140, 86, 75 } };
        for (std::size_t k = 0; k < class_names.size(); ++k) {
            plot::Series c;
            c.label = class_names[k];
            c.color = colors[k % 6];
            for (int64_t i = 0; i < n; ++i)
                if (std::isfinite(probs[static_cast<std::size_t>(i)][k])) {
                    c.x.push_back(centre(i));
                    c.y.push_back(probs[static_cast<std::size_t>(i)][k]);
                }
            panel.series.push_back(c);
        }
    }
    plot::save_figure({ trace, panel }, a.plot,
                      fs::path(a.model).filename().string() + " on " +
                          fs::path(a.input).filename().string());
    std::printf("  wrote %s\n", a.plot.c_str());
}
#endif

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
    for (const auto* out : { &a.csv, &a.json_path, &a.plot })
        if (!out->empty())
            io::check_writable(*out); // before any work
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

    const Input in = prepare_input(a, head);
    const auto& r = in.r;
    const double rate_in = in.rate_in, rate = in.rate;
    const int64_t W = in.W, hop = in.hop;
    const bool resampled = in.resampled;
    const int64_t n = (r.n_samples - W) / hop + 1;
    const int64_t tail = r.n_samples - ((n - 1) * hop + W); // samples after the last window
    bool annotated = false;
    for (const auto& an : r.annotations)
        annotated = annotated || io::wfdb_is_beat(an.code);
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
    std::vector<double> auc_s;
    std::vector<int> auc_y;
    for (int64_t i = 0; i < n; ++i) {
        scored += std::isfinite(score[i]);
        alarms += alarm[i];
        abnormal += annotated && label[i];
        if (annotated && task == "anomaly_detection" && std::isfinite(score[i])) {
            auc_s.push_back(score[i]);
            auc_y.push_back(label[i]);
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
        csv << "," << c;
    if (annotated)
        csv << ",beats,abnormal";
    csv << "\n";
    for (int64_t i = 0; i < n; ++i) {
        const double s0 = start_s(i), s1 = s0 + (rate > 0 ? W / rate : static_cast<double>(W));
        json jw = { { "start", s0 }, { "status", status[i] } };
        csv << i << "," << csv_field(s0) << "," << csv_field(s1);
        if (task == "anomaly_detection") {
            jw["score"] = std::isfinite(score[i]) ? json(score[i]) : json(nullptr);
            jw["alarm"] = alarm[i] != 0;
            csv << "," << csv_field(score[i]) << "," << csv_field(extra1[i]) << ","
                << csv_field(extra2[i]) << "," << status[i] << "," << alarm[i];
        } else {
            const auto& p = probs[static_cast<std::size_t>(i)];
            jw["class"] = cls[i];
            jw["label"] = cls[i] >= 0 ? json(class_names[static_cast<std::size_t>(cls[i])]) : json(nullptr);
            jw["probabilities"] = p;
            csv << "," << cls[i] << ","
                << (cls[i] >= 0 ? class_names[static_cast<std::size_t>(cls[i])] : "") << ","
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
    if (annotated) {
        summary["normal_symbols"] = a.normal;
        summary["abnormal_windows"] = abnormal;
        if (task == "anomaly_detection")
            summary["roc_auc"] = std::isfinite(auc) ? json(auc) : json(nullptr);
    }

    std::printf("%s (%s, %s) on %s\n", a.model.c_str(), kind.c_str(), task.c_str(), a.input.c_str());
    std::printf("  channels %s; %g Hz%s; windows of %lld samples every %lld: %lld windows, "
                "%lld scored\n",
                join(used_names).c_str(), rate,
                resampled ? (" (resampled from " + csv_field(rate_in) + " Hz)").c_str() : "",
                static_cast<long long>(W), static_cast<long long>(hop), static_cast<long long>(n),
                static_cast<long long>(scored));
    if (tail > 0)
        std::printf("  the last %lld samples (%s) are shorter than a window: not scored\n",
                    static_cast<long long>(tail),
                    rate > 0 ? (csv_field(tail / rate) + " s").c_str() : "samples");
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
                    std::isfinite(auc) ? (": ROC-AUC of the scores " + csv_field(auc)).c_str() : "");
#ifdef TFMED_HAVE_PLOT
    draw(a, kind, task, in, s, wo, n);
#endif
    if (!a.csv.empty()) {
        io::write_atomically(a.csv, csv.str());
        std::printf("  wrote %s\n", a.csv.c_str());
    }
    if (!a.json_path.empty()) {
        summary["per_window"] = windows;
        io::write_atomically(a.json_path, summary.dump(1) + "\n");
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
    c->add_option("--device", a->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    c->add_option("--threads", a->threads, "Intra-op threads (0 = all cores)")
        ->check(int_range(0, kMaxThreads))
        ->capture_default_str();
    c->add_option("--batch", a->batch, "Windows per engine call")
        ->check(int_range(1, 4096))
        ->capture_default_str();
    c->add_option("--csv", a->csv, "Per-window CSV");
    c->add_option("--json", a->json_path, "Summary and per-window JSON");
    c->add_option("--plot", a->plot, "PNG: the first channel with abnormal beats marked, and the "
                                     "scores or class probabilities per window");
    cli.on(c, [a] { return score_cmd(*a); });
}

} // namespace apps
} // namespace tfmed
