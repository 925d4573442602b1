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
    plot::Series s;
    s.color = { 30, 30, 30 };
    s.width = 0.8;
    // At most 20,000 blocks, each drawn by its lowest and highest sample in
    // their order (every n-th sample alone would alias the R peaks: one
    // sample per 90 ms over 30 min at 500 Hz, about a QRS's width).
    const int64_t step = std::max<int64_t>(1, r.n_samples / 20000);
    for (int64_t t = 0; t < r.n_samples; t += step) {
        const int64_t end = std::min(r.n_samples, t + step);
        int64_t lo = t, hi = t;
        for (int64_t u = t + 1; u < end; ++u) {
            const double v = r.at(u, 0);
            if (v < r.at(lo, 0))
                lo = u;
            if (v > r.at(hi, 0))
                hi = u;
        }
        const int64_t first = std::min(lo, hi), second = std::max(lo, hi);
        s.x.push_back(t0 + first / unit);
        s.y.push_back(r.at(first, 0));
        if (second != first) {
            s.x.push_back(t0 + second / unit);
            s.y.push_back(r.at(second, 0));
        }
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

} // namespace score
} // namespace apps
} // namespace tfmed

#endif // TFMED_HAVE_PLOT
