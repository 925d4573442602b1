/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_PLOT_FIGURE_H
#define INCLUDED_TFMED_PLOT_FIGURE_H

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

/*!
 * \file
 * \brief PNG figures from the command line: stacked panels of traces with
 * labelled markers (recordings with annotations, training curves, score
 * traces). Torch-free; anti-aliased lines, DejaVu Sans text (stb_truetype),
 * PNG by stb_image_write, written atomically.
 */

namespace tfmed {
namespace plot {

struct Rgb {
    uint8_t r, g, b;
};

/*! \brief A line series: x and y of equal length; NaN breaks the line. */
struct Series {
    std::vector<double> x, y;
    Rgb color{ 20, 20, 20 };
    std::string label;
    double width = 1.2;
    bool points = false; //!< a scatter of dots instead of a line
};

/*! \brief A vertical marker at x with a short label on top (e.g. a beat "V"). */
struct Marker {
    double x = 0;
    std::string label;
    Rgb color{ 200, 40, 40 };
};

/*! \brief One panel: axes, series and markers. NaN limits mean "fit the data". */
struct Panel {
    std::string title, xlabel, ylabel;
    std::vector<Series> series;
    std::vector<Marker> markers;
    double xmin = std::numeric_limits<double>::quiet_NaN();
    double xmax = std::numeric_limits<double>::quiet_NaN();
    double ymin = std::numeric_limits<double>::quiet_NaN();
    double ymax = std::numeric_limits<double>::quiet_NaN();
};

/*!
 * \brief Draw the panels one above the other and write a PNG.
 * \param panels at least one
 * \param path output file; written to a temporary beside it, then renamed
 * \param title figure title ("" for none)
 * \throws std::runtime_error when no font is found (see check_font)
 *         or the file cannot be written
 */
void save_figure(const std::vector<Panel>& panels,
                 const std::string& path,
                 const std::string& title = "",
                 int width = 1200,
                 int panel_height = 240);

/*!
 * \brief Throws what save_figure would for want of a font, before any work:
 * a command checks this when it parses a PNG path, not after hours of
 * training. The font is $TFMED_FONT when set, else DejaVuSans.ttf from the
 * usual places (Debian: fonts-dejavu-core).
 * \throws std::runtime_error naming where it looked
 */
void check_font();

/*! \brief "Nice" tick positions (1, 2, 5 x 10^k) covering [lo, hi]; none
 *  where the step is below the doubles' spacing at lo or over 1000 would
 *  be needed. */
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

/*! \brief The Unicode code points of UTF-8 text (labels with µV, Σ);
 *  a byte that starts no valid sequence gives U+FFFD. */
std::vector<int> code_points(const std::string& utf8);

} // namespace plot
} // namespace tfmed

#endif
