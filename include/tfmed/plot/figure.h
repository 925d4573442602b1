/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_PLOT_FIGURE_H
#define INCLUDED_TFMED_PLOT_FIGURE_H

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
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

/*! \brief The k-th of 20 distinct series colours (Tableau's 10, then
 *  their light tones); beyond 20 they repeat. */
Rgb palette(std::size_t k);

/*!
 * \brief A trace of n samples for a figure: at most `blocks` blocks, each
 * by its lowest and highest valid sample in their order (every k-th sample
 * alone aliases narrow peaks such as QRS complexes); a block with no finite
 * sample is a NaN, a gap. x_of(i) and y_of(i) give sample i.
 */
Series min_max_trace(int64_t n,
                     const std::function<double(int64_t)>& x_of,
                     const std::function<double(int64_t)>& y_of,
                     int64_t blocks = 20000);

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
    /*! A heat map instead of axes (a confusion matrix): cells[row][col] in
     *  [0, 1] (white to blue, the value printed where a cell has room), rows
     *  from the top, named by row_names (left) and col_names (below); the
     *  series and markers are not drawn then. */
    std::vector<std::vector<double>> cells{};
    std::vector<std::string> row_names{}, col_names{};
};

/*! \brief A drawn figure: RGB bytes row by row, and where each panel's
 *  plotting area lies (the frame; its data is clipped to it). */
struct Image {
    struct Rect {
        int x, y, w, h;
    };
    int width = 0, height = 0;
    std::vector<uint8_t> rgb; //!< width * height * 3
    std::vector<Rect> plots;  //!< one per panel
};

/*!
 * \brief Draw the panels one above the other (what save_figure writes).
 * A line series joins consecutive finite points; a non-finite x or y breaks
 * it, and a finite point with no finite neighbour is drawn as a dot. Data
 * beyond fixed limits is clipped to the panel.
 * \throws std::invalid_argument for no panels or more than 200, a width
 *         outside 200..20000, a panel height outside 60..20000, or fixed
 *         limits with min > max; std::runtime_error when no font is found
 */
Image render_figure(const std::vector<Panel>& panels,
                    const std::string& title = "",
                    int width = 1200,
                    int panel_height = 240);

/*! \brief Encode an Image as PNG and write it atomically. */
void write_png(const Image& image, const std::string& path);

/*! \brief A tick's text: fixed notation with the decimals `step` needs
 *  while it stays within 10 characters, else the significant digits that
 *  tell ticks `step` apart ("1.25e+12"). */
std::string tick_label(double value, double step);

/*!
 * \brief Draw the panels one above the other and write a PNG.
 * \param panels at least one
 * \param path output file; written to a temporary beside it, then renamed
 * \param title figure title ("" for none)
 * \throws what render_figure throws; std::runtime_error when the file
 *         cannot be written
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
