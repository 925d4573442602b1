/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PNG figures shared by the commands (training curves). Without libstb-dev a
 * request for a figure fails with a clear message instead of writing nothing.
 */
#ifndef INCLUDED_TFMED_APPS_FIGURES_H
#define INCLUDED_TFMED_APPS_FIGURES_H

#ifdef TFMED_HAVE_PLOT
#include <tfmed/plot/figure.h>
#endif

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tfmed {
namespace apps {

#ifdef TFMED_HAVE_PLOT
inline void save_panels(const std::vector<plot::Panel>& panels, const std::string& path,
                        const std::string& title)
{
    plot::save_figure(panels, path, title);
    std::cerr << "wrote " << path << "\n";
}
#endif

inline void no_plot_support(const std::string& path)
{
    throw std::runtime_error(path + ": this build has no PNG support (libstb-dev missing)");
}

/*! A CLI11 check for a PNG option: the command line is refused when this
 *  build (no stb) or this machine (no font) cannot draw the figure, before
 *  any training or evaluation instead of after it. */
inline CLI::Validator png_output()
{
    return CLI::Validator(
        [](std::string& path) -> std::string {
            if (path == "-")
                return "-: expected a file for a PNG (standard output takes the text outputs, "
                       "--json and --csv)";
#ifdef TFMED_HAVE_PLOT
            try {
                plot::check_font();
            } catch (const std::exception& e) {
                return path + ": cannot draw PNG figures here: " + e.what();
            }
            return {};
#else
            try {
                no_plot_support(path);
            } catch (const std::exception& e) {
                return e.what();
            }
            return {};
#endif
        },
        "PNG", "png_output");
}

/*! The validation metric a loop history records (its first "val_..." key). */
inline std::string history_metric(const nlohmann::json& history)
{
    if (history.is_array() && !history.empty())
        for (const auto& [k, v] : history.front().items())
            if (k.rfind("val_", 0) == 0 && v.is_number())
                return k;
    return "val_score";
}

/*!
 * Training curves from a loop history ([{epoch, train_loss, <metric>}...]):
 * the loss above, the validation metric below with the selected epoch marked.
 */
inline void save_history_plot(const nlohmann::json& history, int best_epoch,
                              const std::string& path, const std::string& title,
                              const std::string& metric = "val_score",
                              const std::string& loss_title = "training loss",
                              const std::string& metric_title = "validation metric")
{
#ifdef TFMED_HAVE_PLOT
    plot::Panel loss{ loss_title, "epoch", "loss", {}, {} };
    plot::Panel vpan{ metric_title, "epoch", metric, {}, {} };
    plot::Series ls, vsr;
    ls.color = { 30, 90, 200 };
    vsr.color = { 200, 80, 30 };
    // A value the history holds as null (a NaN loss or metric: the epoch
    // diverged or had nothing to validate on) is a gap, not a line across it.
    auto number = [](const nlohmann::json& h, const std::string& key) {
        return h.contains(key) && h[key].is_number() ? h[key].get<double>() : NAN;
    };
    for (const auto& h : history) {
        ls.x.push_back(number(h, "epoch"));
        ls.y.push_back(number(h, "train_loss"));
        vsr.x.push_back(number(h, "epoch"));
        vsr.y.push_back(number(h, metric));
    }
    loss.series.push_back(ls);
    vpan.series.push_back(vsr);
    // Both panels over every epoch (a null last loss or metric would narrow
    // one of them: the axes would no longer line up).
    for (double e : ls.x)
        if (std::isfinite(e)) {
            loss.xmin = vpan.xmin = std::isnan(loss.xmin) ? e : std::min(loss.xmin, e);
            loss.xmax = vpan.xmax = std::isnan(loss.xmax) ? e : std::max(loss.xmax, e);
        }
    if (best_epoch > 0)
        vpan.markers.push_back({ static_cast<double>(best_epoch), "best", { 40, 150, 40 } });
    save_panels({ loss, vpan }, path, title);
#else
    (void)history;
    (void)best_epoch;
    (void)title;
    (void)metric;
    (void)loss_title;
    (void)metric_title;
    no_plot_support(path);
#endif
}

} // namespace apps
} // namespace tfmed

#endif
