/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed score --plot`: the first channel with the non-normal beats marked,
 * above the scores or class probabilities per window.
 */
#include "cli.h"
#include "score.h"

#ifdef TFMED_HAVE_PLOT
#include <tfmed/io/wfdb.h>
#include <tfmed/plot/figure.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace tfmed {
namespace apps {
namespace score {

namespace fs = std::filesystem;

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
    // At most 20,000 blocks, each drawn by its lowest and highest sample in
    // their order (every n-th sample alone would alias the R peaks: one
    // sample per 90 ms over 30 min at 500 Hz, about a QRS's width).
    plot::Series s = plot::min_max_trace(
        r.n_samples, [&](int64_t i) { return t0 + i / unit; },
        [&](int64_t i) { return static_cast<double>(r.at(i, 0)); });
    s.color = { 30, 30, 30 };
    s.width = 0.8;
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
        // A window without a score (flagged invalid) is a gap in the line, not
        // a straight line between its neighbours' scores.
        for (int64_t i = 0; i < n; ++i) {
            sc.x.push_back(centre(i));
            sc.y.push_back(std::isfinite(score[i]) ? score[i] : NAN);
            if (std::isfinite(score[i]) && alarm[i]) {
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
        for (std::size_t k = 0; k < class_names.size(); ++k) {
            plot::Series c;
            c.label = class_names[k];
            c.color = plot::palette(k);
            for (int64_t i = 0; i < n; ++i) { // (NaN: a window without a decision, a gap)
                const double v = probs[static_cast<std::size_t>(i)][k];
                c.x.push_back(centre(i));
                c.y.push_back(std::isfinite(v) ? v : NAN);
            }
            panel.series.push_back(c);
        }
    }
    plot::save_figure({ trace, panel }, a.plot,
                      fs::path(a.model).filename().string() + " on " +
                          fs::path(a.input).filename().string());
    std::printf("  wrote %s\n", a.plot.c_str());
}

} // namespace score
} // namespace apps
} // namespace tfmed

#endif // TFMED_HAVE_PLOT
