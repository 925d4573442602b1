/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/plot/figure.h>
#include <tfmed/io/atomic.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#define STB_TRUETYPE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBTT_STATIC
#define STBIW_STATIC
#include <stb/stb_image_write.h>
#include <stb/stb_truetype.h>

namespace tfmed {
namespace plot {

namespace {

const char* const font_paths[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
};

uint32_t be32(const std::vector<unsigned char>& d, std::size_t at)
{
    return (uint32_t{ d[at] } << 24) | (uint32_t{ d[at + 1] } << 16) | (uint32_t{ d[at + 2] } << 8) |
           uint32_t{ d[at + 3] };
}
uint32_t be16(const std::vector<unsigned char>& d, std::size_t at)
{
    return (uint32_t{ d[at] } << 8) | uint32_t{ d[at + 1] };
}

// stb_truetype trusts its input: a file that is not a font, or a truncated
// one, makes it read out of bounds. This checks what it reads here: the
// table directory, the fixed headers of head/hhea/maxp, the cmap subtables,
// hmtx, loca and every glyph's extent in glyf, and the first kern table.
// It rejects non-fonts and damaged files; it is not a full validator, and
// GPOS (which stb walks without bounds) is not used (see Font).
bool plausible_font(const std::vector<unsigned char>& d)
{
    const uint64_t n = d.size();
    if (n < 12)
        return false;
    const uint32_t tag = be32(d, 0);
    if (tag != 0x00010000u && tag != 0x74727565u /* true; OTTO (CFF) is not accepted */)
        return false;
    const std::size_t tables = be16(d, 4);
    if (tables == 0 || 12 + 16 * tables > n)
        return false;
    std::map<std::string, std::pair<uint64_t, uint64_t>> at; // tag -> (offset, length)
    for (std::size_t t = 0; t < tables; ++t) {
        const std::size_t e = 12 + 16 * t;
        const uint64_t offset = be32(d, e + 8), length = be32(d, e + 12);
        if (offset + length > n)
            return false;
        at[std::string(reinterpret_cast<const char*>(&d[e]), 4)] = { offset, length };
    }
    auto has = [&](const char* name, uint64_t min_length) {
        const auto it = at.find(name);
        return it != at.end() && it->second.second >= min_length;
    };
    if (!has("head", 54) || !has("hhea", 36) || !has("maxp", 6) || !has("cmap", 4) ||
        !has("hmtx", 0) || !has("loca", 0) || !has("glyf", 0))
        return false;
    const auto [cmap, cmap_len] = at["cmap"];
    const uint64_t subtables = be16(d, cmap + 2);
    if (4 + 8 * subtables > cmap_len)
        return false;
    for (uint64_t i = 0; i < subtables; ++i) {
        const uint64_t sub = be32(d, cmap + 4 + 8 * i + 4);
        if (sub + 4 > cmap_len)
            return false;
    }
    const uint64_t glyphs = be16(d, at["maxp"].first + 4);
    const uint64_t hmetrics = be16(d, at["hhea"].first + 34);
    if (hmetrics == 0 || 4 * hmetrics > at["hmtx"].second)
        return false;
    const bool long_loca = be16(d, at["head"].first + 50) != 0;
    const auto [loca, loca_len] = at["loca"];
    const auto [glyf, glyf_len] = at["glyf"];
    if ((glyphs + 1) * (long_loca ? 4 : 2) > loca_len)
        return false;
    for (uint64_t g = 0; g <= glyphs; ++g) {
        const uint64_t o = long_loca ? be32(d, loca + 4 * g) : 2 * uint64_t{ be16(d, loca + 2 * g) };
        if (o > glyf_len)
            return false;
    }
    if (at.count("kern")) {
        const auto [kern, kern_len] = at["kern"];
        if (kern_len < 18 || 18 + 6 * uint64_t{ be16(d, kern + 10) } > kern_len)
            return false;
    }
    return true;
}

class Font
{
public:
    Font()
    {
        // $TFMED_FONT, when set, is the only place looked at: a wrong path is
        // an error, not a silent fall-back to another font.
        const char* env = std::getenv("TFMED_FONT");
        const bool named = env && *env;
        std::vector<std::string> paths;
        if (named)
            paths.push_back(env);
        else
            paths.assign(std::begin(font_paths), std::end(font_paths));
        for (const auto& p : paths) {
            std::ifstream f(p, std::ios::binary);
            if (!f)
                continue;
            data_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
            if (plausible_font(data_) && stbtt_InitFont(&info_, data_.data(), 0)) {
                info_.gpos = 0; // kerning from 'kern' only (GPOS is not checked above)
                return;
            }
            if (named)
                throw std::runtime_error("plot: TFMED_FONT=" + p +
                                         ": expected a TrueType font (glyf outlines; its tables "
                                         "inside the file), found none in that file");
        }
        if (named)
            throw std::runtime_error("plot: TFMED_FONT=" + std::string(env) +
                                     ": expected a TrueType font there, found no file");
        throw std::runtime_error("plot: no DejaVuSans.ttf found (expected it at " +
                                 std::string(font_paths[0]) +
                                 "; install the Debian package fonts-dejavu-core, or set "
                                 "TFMED_FONT to a .ttf file)");
    }
    const stbtt_fontinfo& info() const { return info_; }

private:
    std::vector<unsigned char> data_;
    stbtt_fontinfo info_;
};

class Canvas
{
public:
    Canvas(int w, int h) : w_(w), h_(h), px_(static_cast<size_t>(w) * h * 3, 255) { unclip(); }

    // Drawing outside [x0, x1) x [y0, y1) leaves the pixels alone (a panel's
    // data stays inside its frame whatever its fixed limits).
    void clip(int x0, int y0, int x1, int y1)
    {
        cx0_ = std::max(x0, 0), cy0_ = std::max(y0, 0);
        cx1_ = std::min(x1, w_), cy1_ = std::min(y1, h_);
    }
    void unclip() { clip(0, 0, w_, h_); }

    void blend(int x, int y, Rgb c, double a)
    {
        if (x < cx0_ || y < cy0_ || x >= cx1_ || y >= cy1_ || !(a > 0))
            return;
        a = std::min(a, 1.0);
        uint8_t* p = &px_[(static_cast<size_t>(y) * w_ + x) * 3];
        p[0] = static_cast<uint8_t>(p[0] + (c.r - p[0]) * a);
        p[1] = static_cast<uint8_t>(p[1] + (c.g - p[1]) * a);
        p[2] = static_cast<uint8_t>(p[2] + (c.b - p[2]) * a);
    }

    void fill(int x, int y, int w, int h, Rgb c)
    {
        for (int j = y; j < y + h; j++)
            for (int i = x; i < x + w; i++)
                blend(i, j, c, 1.0);
    }

    // Anti-aliased line of a given width: coverage from the distance of each
    // pixel centre to the segment.
    void line(double x0, double y0, double x1, double y1, Rgb c, double width)
    {
        const double r = std::min(width, 1000.0) / 2;
        // Cut the segment to the clip rectangle grown by the pen (Cohen-
        // Sutherland: each cut sets one coordinate to the edge and moves the
        // other by a fraction of the run, which stays exact to a pixel where a
        // parameter along a 1e308-pixel segment would not): coordinates far
        // outside (a value at 1e300 on a fixed axis) become pixels before any
        // conversion to int; non-finite ones draw nothing.
        if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1) ||
            !(r >= 0))
            return;
        {
            // (Ends near +-1e308 have a difference beyond double: the cut runs
            // on coordinates scaled by 1/4, then scaled back.)
            const double k = std::isfinite(x1 - x0) && std::isfinite(y1 - y0) ? 1.0 : 0.25;
            x0 *= k, y0 *= k, x1 *= k, y1 *= k;
            const double m = r + 2, lo_x = (cx0_ - m) * k, hi_x = (cx1_ + m) * k,
                         lo_y = (cy0_ - m) * k, hi_y = (cy1_ + m) * k;
            auto code = [&](double x, double y) {
                return (x < lo_x ? 1 : x > hi_x ? 2 : 0) | (y < lo_y ? 4 : y > hi_y ? 8 : 0);
            };
            int c0 = code(x0, y0), c1 = code(x1, y1);
            for (int cut = 0; cut < 8 && (c0 | c1) && !(c0 & c1); ++cut) {
                const int out = c0 ? c0 : c1;
                double x, y;
                if (out & 12) {
                    y = out & 8 ? hi_y : lo_y;
                    x = x0 + (x1 - x0) * ((y - y0) / (y1 - y0));
                } else {
                    x = out & 2 ? hi_x : lo_x;
                    y = y0 + (y1 - y0) * ((x - x0) / (x1 - x0));
                }
                if (out == c0)
                    x0 = x, y0 = y, c0 = code(x0, y0);
                else
                    x1 = x, y1 = y, c1 = code(x1, y1);
            }
            if (c0 | c1)
                return; // outside (or no settled cut)
            x0 /= k, y0 /= k, x1 /= k, y1 /= k;
            if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) ||
                !std::isfinite(y1))
                return;
        }
        const int xa = static_cast<int>(std::floor(std::min(x0, x1) - r - 1));
        const int xb = static_cast<int>(std::ceil(std::max(x0, x1) + r + 1));
        const int ya = static_cast<int>(std::floor(std::min(y0, y1) - r - 1));
        const int yb = static_cast<int>(std::ceil(std::max(y0, y1) + r + 1));
        const double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
        for (int y = std::max(ya, cy0_); y < std::min(yb + 1, cy1_); y++)
            for (int x = std::max(xa, cx0_); x < std::min(xb + 1, cx1_); x++) {
                double t = len2 > 0 ? ((x - x0) * dx + (y - y0) * dy) / len2 : 0;
                t = std::clamp(t, 0.0, 1.0);
                const double ex = x0 + t * dx - x, ey = y0 + t * dy - y;
                const double d = std::sqrt(ex * ex + ey * ey);
                blend(x, y, c, std::clamp(r + 0.5 - d, 0.0, 1.0));
            }
    }

    // A round dot of the given diameter centred at (x, y).
    void dot(double x, double y, Rgb c, double diameter) { line(x, y, x, y, c, diameter); }

    // Text with its left (align 0), centre (0.5) or right (1) edge at x and
    // baseline at y; rotated 90 degrees counter-clockwise when vertical.
    void text(const Font& font, double x, double y, const std::string& text, double size,
              Rgb c, double align = 0, bool vertical = false)
    {
        const auto& f = font.info();
        const float scale = stbtt_ScaleForPixelHeight(&f, static_cast<float>(size));
        const double w = width(font, text, size);
        double pen = -align * w;
        const auto s = code_points(text);
        for (size_t i = 0; i < s.size(); i++) {
            const int ch = s[i];
            int adv, lsb, x0, y0, x1, y1;
            stbtt_GetCodepointHMetrics(&f, ch, &adv, &lsb);
            stbtt_GetCodepointBitmapBox(&f, ch, scale, scale, &x0, &y0, &x1, &y1);
            const int gw = x1 - x0, gh = y1 - y0;
            if (gw > 0 && gh > 0) {
                std::vector<unsigned char> bm(static_cast<size_t>(gw) * gh);
                stbtt_MakeCodepointBitmap(&f, bm.data(), gw, gh, gw, scale, scale, ch);
                for (int j = 0; j < gh; j++)
                    for (int k = 0; k < gw; k++) {
                        const double a = bm[j * gw + k] / 255.0;
                        const double u = pen + x0 + k, v = y0 + j;
                        if (vertical)
                            blend(static_cast<int>(std::lround(x + v)),
                                  static_cast<int>(std::lround(y - u)), c, a);
                        else
                            blend(static_cast<int>(std::lround(x + u)),
                                  static_cast<int>(std::lround(y + v)), c, a);
                    }
            }
            pen += adv * scale;
            if (i + 1 < s.size())
                pen += scale * stbtt_GetCodepointKernAdvance(&f, ch, s[i + 1]);
        }
    }

    static double width(const Font& font, const std::string& s, double size)
    {
        const auto& f = font.info();
        const float scale = stbtt_ScaleForPixelHeight(&f, static_cast<float>(size));
        double w = 0;
        const auto cp = code_points(s);
        for (size_t i = 0; i < cp.size(); i++) { // (advances and kerning, as text() places them)
            int adv, lsb;
            stbtt_GetCodepointHMetrics(&f, cp[i], &adv, &lsb);
            w += adv * scale;
            if (i + 1 < cp.size())
                w += scale * stbtt_GetCodepointKernAdvance(&f, cp[i], cp[i + 1]);
        }
        return w;
    }

    Image image() const { return Image{ w_, h_, px_, {} }; }

private:
    int w_, h_;
    std::vector<uint8_t> px_;
    int cx0_ = 0, cy0_ = 0, cx1_ = 0, cy1_ = 0;
};

} // namespace

namespace {

void limits(const Panel& p, double& x0, double& x1, double& y0, double& y1)
{
    x0 = y0 = std::numeric_limits<double>::infinity();
    x1 = y1 = -std::numeric_limits<double>::infinity();
    for (const auto& s : p.series)
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); i++) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]))
                continue; // (not drawn: it does not stretch the axes either)
            x0 = std::min(x0, s.x[i]);
            x1 = std::max(x1, s.x[i]);
            y0 = std::min(y0, s.y[i]);
            y1 = std::max(y1, s.y[i]);
        }
    if (!std::isfinite(x0))
        x0 = 0, x1 = 1;
    if (!std::isfinite(y0))
        y0 = 0, y1 = 1;
    // A range the doubles cannot hold (data from -1e308 to 1e308), padded
    // or not: quartered ends keep the arithmetic finite (the extremes fall
    // outside the panel and are clipped).
    if (!std::isfinite((x1 - x0) * 1.2))
        x0 /= 4, x1 /= 4;
    if (!std::isfinite((y1 - y0) * 1.2))
        y0 /= 4, y1 /= 4;
    // One x (a single point, one epoch): centred, not on the left frame.
    const double xmag = std::max(std::abs(x0), std::abs(x1));
    if (x1 - x0 < 1e-12 * std::max(1.0, xmag)) {
        const double half = std::max(0.5, 1e-6 * xmag);
        x0 -= half, x1 += half;
    }
    // A flat trace: +-0.5, or a millionth of the value where 0.5 is below
    // the doubles' spacing there (3e15: the range stayed flat).
    const double ymag = std::max(std::abs(y0), std::abs(y1));
    if (y1 - y0 < 1e-12 * std::max(1.0, ymag)) {
        const double half = std::max(0.5, 1e-6 * ymag);
        y0 -= half, y1 += half;
    }
    const double pad = 0.05 * (y1 - y0);
    y0 -= pad, y1 += pad;
    if (std::isfinite(p.xmin))
        x0 = p.xmin;
    if (std::isfinite(p.xmax))
        x1 = p.xmax;
    if (std::isfinite(p.ymin))
        y0 = p.ymin;
    if (std::isfinite(p.ymax))
        y1 = p.ymax;
    if (std::isfinite(p.xmin) && std::isfinite(p.xmax) && p.xmin > p.xmax)
        throw std::invalid_argument("save_figure: expected xmin <= xmax, found xmin " +
                                    std::to_string(p.xmin) + " > xmax " + std::to_string(p.xmax));
    if (std::isfinite(p.ymin) && std::isfinite(p.ymax) && p.ymin > p.ymax)
        throw std::invalid_argument("save_figure: expected ymin <= ymax, found ymin " +
                                    std::to_string(p.ymin) + " > ymax " + std::to_string(p.ymax));
    // Fixed limits of one value (one epoch): centred on it as well.
    if (x1 - x0 < 1e-12 * std::max({ 1.0, std::abs(x0), std::abs(x1) })) {
        const double half = std::max(0.5, 1e-6 * std::abs(x0));
        x0 -= half, x1 += half;
    }
    if (y1 - y0 < 1e-12 * std::max({ 1.0, std::abs(y0), std::abs(y1) })) {
        const double half = std::max(0.5, 1e-6 * std::abs(y0));
        y0 -= half, y1 += half;
    }
}

} // namespace

namespace {
const Font& the_font()
{
    static const Font font; // (a failed construction is retried on the next call)
    return font;
}
} // namespace

void check_font() { the_font(); }

namespace {

// A heat map of p.cells in the plotting area (pl, pt, pw, ph).
void heat_map(Canvas& c, const Font& font, const Panel& p, int pl, int pt, int pw, int ph)
{
    const std::size_t rows = p.cells.size(), cols = p.cells.front().size();
    for (const auto& r : p.cells)
        if (r.size() != cols)
            throw std::invalid_argument("save_figure: expected every heat-map row to have " +
                                        std::to_string(cols) + " cells, found one with " +
                                        std::to_string(r.size()));
    if (cols == 0 || rows > 1000 || cols > 1000)
        throw std::invalid_argument("save_figure: expected a heat map of 1 to 1000 rows and "
                                    "columns, found " + std::to_string(rows) + " x " +
                                    std::to_string(cols));
    const Rgb ink{ 30, 30, 30 }, white{ 255, 255, 255 }, blue{ 31, 119, 180 };
    const double cw = static_cast<double>(pw) / cols, chh = static_cast<double>(ph) / rows;
    for (std::size_t i = 0; i < rows; i++)
        for (std::size_t j = 0; j < cols; j++) {
            const double v = p.cells[i][j];
            const int x = pl + static_cast<int>(std::lround(j * cw)),
                      y = pt + static_cast<int>(std::lround(i * chh));
            const int w = pl + static_cast<int>(std::lround((j + 1) * cw)) - x,
                      h = pt + static_cast<int>(std::lround((i + 1) * chh)) - y;
            if (std::isfinite(v)) {
                const double a = std::clamp(v, 0.0, 1.0);
                c.fill(x, y, w, h, Rgb{ static_cast<uint8_t>(255 + (blue.r - 255) * a),
                                        static_cast<uint8_t>(255 + (blue.g - 255) * a),
                                        static_cast<uint8_t>(255 + (blue.b - 255) * a) });
            }
            if (cw >= 34 && chh >= 15) {
                char buf[32];
                // (An empty cell says "0": a page of "0.00" hides the few that are not.)
                std::snprintf(buf, sizeof buf, !std::isfinite(v) ? "-" : v == 0 ? "0" : "%.2f", v);
                c.text(font, x + w / 2.0, y + h / 2.0 + 4, buf, 11,
                       std::isfinite(v) && v > 0.55 ? white : ink, 0.5);
            }
        }
    const Rgb frame{ 90, 90, 90 };
    c.line(pl, pt, pl + pw, pt, frame, 1);
    c.line(pl, pt + ph, pl + pw, pt + ph, frame, 1);
    c.line(pl, pt, pl, pt + ph, frame, 1);
    c.line(pl + pw, pt, pl + pw, pt + ph, frame, 1);
    // Names where there is room for them (every k-th where there is not).
    const std::size_t xstep = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(40 / cw)));
    const std::size_t ystep = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(13 / chh)));
    for (std::size_t j = 0; j < cols && j < p.col_names.size(); j += xstep)
        c.text(font, pl + (j + 0.5) * cw, pt + ph + 15, p.col_names[j], 11, ink, 0.5);
    for (std::size_t i = 0; i < rows && i < p.row_names.size(); i += ystep)
        c.text(font, pl - 6, pt + (i + 0.5) * chh + 4, p.row_names[i], 11, ink, 1.0);
}

} // namespace

Image render_figure(const std::vector<Panel>& panels,
                    const std::string& title,
                    int width,
                    int panel_height)
{
    if (panels.empty())
        throw std::invalid_argument("save_figure: expected at least one panel, found none");
    if (width < 200 || width > 20000)
        throw std::invalid_argument("save_figure: expected a width of 200 to 20000 pixels, found " +
                                    std::to_string(width));
    if (panel_height < 60 || panel_height > 20000)
        throw std::invalid_argument(
            "save_figure: expected a panel height of 60 to 20000 pixels, found " +
            std::to_string(panel_height));
    if (panels.size() > 200)
        throw std::invalid_argument("save_figure: expected at most 200 panels, found " +
                                    std::to_string(panels.size()));
    const Font& font = the_font();
    const int top = title.empty() ? 10 : 40, left = 80, right = 20, gap = 52;
    const int height = top + static_cast<int>(panels.size()) * (panel_height + gap) + 10;
    Canvas c(width, height);
    std::vector<Image::Rect> plot_areas;
    const Rgb ink{ 30, 30, 30 }, grid{ 225, 225, 225 }, frame{ 90, 90, 90 };
    if (!title.empty())
        c.text(font, width / 2.0, 26, title, 17, ink, 0.5);
    for (size_t k = 0; k < panels.size(); k++) {
        const Panel& p = panels[k];
        double x0, x1, y0, y1;
        limits(p, x0, x1, y0, y1);
        const int pt = top + static_cast<int>(k) * (panel_height + gap) + 18;
        const int pl = left, pw = width - left - right, ph = panel_height - 18;
        plot_areas.push_back({ pl, pt, pw, ph });
        // The panel's title and axis labels (the y label left of the tick labels).
        auto labels = [&](double ylabel_x) {
            if (!p.title.empty())
                c.text(font, pl, pt - 5, p.title, 13, ink, 0);
            if (!p.xlabel.empty())
                c.text(font, pl + pw / 2.0, pt + ph + 32, p.xlabel, 12, ink, 0.5);
            if (!p.ylabel.empty())
                c.text(font, ylabel_x, pt + ph / 2.0, p.ylabel, 12, ink, 0.5, true);
        };
        if (!p.cells.empty()) {
            heat_map(c, font, p, pl, pt, pw, ph);
            labels(14);
            continue;
        }
        // (Pixel positions kept finite: a value of 1e307 on a [0, 1] axis is
        // a line leaving the frame, clipped there, not one dropped.)
        auto px = [](double v) { return std::isnan(v) ? v : std::clamp(v, -1e300, 1e300); };
        auto X = [&](double x) { return px(pl + (x - x0) / (x1 - x0) * pw); };
        auto Y = [&](double y) { return px(pt + ph - (y - y0) / (y1 - y0) * ph); };
        const auto xt = nice_ticks(x0, x1, 10), yt = nice_ticks(y0, y1, 5);
        for (double v : xt)
            c.line(X(v), pt, X(v), pt + ph, grid, 1);
        for (double v : yt)
            c.line(pl, Y(v), pl + pw, Y(v), grid, 1);
        for (const auto& m : p.markers) {
            if (!(m.x >= x0 && m.x <= x1))
                continue;
            c.line(X(m.x), pt + 12, X(m.x), pt + ph, Rgb{ 240, 190, 190 }, 1);
            c.text(font, X(m.x), pt + 11, m.label, 11, m.color, 0.5);
        }
        // The data stays inside the frame (fixed limits narrower than the data).
        c.clip(pl, pt, pl + pw + 1, pt + ph + 1);
        for (const auto& s : p.series) {
            const size_t n = std::min(s.x.size(), s.y.size());
            auto finite = [&](size_t i) { return std::isfinite(s.x[i]) && std::isfinite(s.y[i]); };
            const double dot = std::max(4.0, s.width * 3.0);
            if (s.points) { // a scatter: one dot per point
                for (size_t i = 0; i < n; i++)
                    if (finite(i))
                        c.dot(X(s.x[i]), Y(s.y[i]), s.color, dot);
                continue;
            }
            // Dense traces: one vertical min-max stroke per pixel column keeps
            // every peak and costs width, not n, line segments. Columns join
            // across columns no sample falls in; a NaN (or infinite) value
            // breaks the line, as in the sparse path.
            if (n > static_cast<size_t>(2 * pw)) {
                double prev_lo = NAN, prev_hi = NAN, prev_last = NAN;
                int prev_col = -1;
                double lo = INFINITY, hi = -INFINITY, first = NAN, end = NAN;
                // A one-value column that starts a run: a dot, unless the next
                // column continues the run (as the sparse path's lone points).
                bool pending = false;
                double pending_x = 0, pending_y = 0;
                auto settle = [&] {
                    if (pending)
                        c.dot(pending_x, pending_y, s.color, dot);
                    pending = false;
                };
                // Draw what column `col` holds so far, joined to the last column drawn.
                auto flush = [&](int col) {
                    if (!std::isfinite(lo))
                        return;
                    double a = lo, b = hi;
                    pending = !std::isfinite(prev_lo) && lo == hi;
                    pending_x = pl + col + 0.5, pending_y = Y(lo);
                    if (std::isfinite(prev_lo)) {
                        if (prev_col == col - 1) {
                            a = std::min(a, prev_hi);
                            b = std::max(b, prev_lo);
                        } else // (columns no sample fell in: a segment across them)
                            c.line(pl + prev_col + 0.5, Y(prev_last), pl + col + 0.5, Y(first),
                                   s.color, s.width);
                    }
                    c.line(pl + col + 0.5, Y(a), pl + col + 0.5, Y(b), s.color, s.width);
                    prev_lo = lo, prev_hi = hi, prev_last = end, prev_col = col;
                    lo = INFINITY, hi = -INFINITY, first = end = NAN;
                };
                size_t i = 0;
                for (int col = 0; col < pw && i < n; col++) {
                    const bool last = col == pw - 1; // (holds x == x1)
                    const double right_x = x0 + (col + 1.0) / pw * (x1 - x0);
                    for (; i < n && (!(s.x[i] >= right_x) || last); i++) {
                        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) { // a break
                            flush(col);
                            settle();
                            prev_lo = prev_hi = prev_last = NAN;
                            continue;
                        }
                        if (s.x[i] >= x0 && s.x[i] <= x1) {
                            if (!std::isfinite(lo))
                                first = s.y[i];
                            lo = std::min(lo, s.y[i]), hi = std::max(hi, s.y[i]);
                            end = s.y[i];
                        }
                    }
                    flush(col);
                }
                settle();
            } else {
                for (size_t i = 0; i < n; i++) {
                    if (!finite(i))
                        continue;
                    const bool before = i > 0 && finite(i - 1), after = i + 1 < n && finite(i + 1);
                    if (before)
                        c.line(X(s.x[i - 1]), Y(s.y[i - 1]), X(s.x[i]), Y(s.y[i]), s.color,
                               s.width);
                    else if (!after) // a point with no neighbour: a dot, not nothing
                        c.dot(X(s.x[i]), Y(s.y[i]), s.color, dot);
                }
            }
        }
        c.unclip();
        // Frame, ticks and labels over the data.
        c.line(pl, pt, pl + pw, pt, frame, 1);
        c.line(pl, pt + ph, pl + pw, pt + ph, frame, 1);
        c.line(pl, pt, pl, pt + ph, frame, 1);
        c.line(pl + pw, pt, pl + pw, pt + ph, frame, 1);
        const double xs = xt.size() > 1 ? xt[1] - xt[0] : 1, ys = yt.size() > 1 ? yt[1] - yt[0] : 1;
        for (double v : xt)
            c.text(font, X(v), pt + ph + 15, tick_label(v, xs), 11, ink, 0.5);
        for (double v : yt)
            c.text(font, pl - 6, Y(v) + 4, tick_label(v, ys), 11, ink, 1.0);
        labels(22);
        // Legend (labelled series), top right: a line sample, or a dot for a scatter.
        int ly = pt + 14;
        for (const auto& s : p.series) {
            if (s.label.empty())
                continue;
            const double tw = Canvas::width(font, s.label, 11);
            if (s.points)
                c.dot(pl + pw - tw - 24, ly - 4, s.color, 5);
            else
                c.line(pl + pw - tw - 34, ly - 4, pl + pw - tw - 14, ly - 4, s.color, 2);
            c.text(font, pl + pw - 8, ly, s.label, 11, ink, 1.0);
            ly += 15;
        }
    }
    Image im = c.image();
    im.plots = std::move(plot_areas);
    return im;
}

void save_figure(const std::vector<Panel>& panels,
                 const std::string& path,
                 const std::string& title,
                 int width,
                 int panel_height)
{
    write_png(render_figure(panels, title, width, panel_height), path);
}

void write_png(const Image& im, const std::string& path)
{
    if (im.width < 1 || im.height < 1 ||
        im.rgb.size() != static_cast<size_t>(im.width) * static_cast<size_t>(im.height) * 3)
        throw std::invalid_argument("write_png: expected width x height x 3 bytes of RGB, found " +
                                    std::to_string(im.rgb.size()) + " for " +
                                    std::to_string(im.width) + " x " + std::to_string(im.height));
    std::string png;
    stbi_write_png_to_func(
        [](void* ctx, void* data, int n) {
            static_cast<std::string*>(ctx)->append(static_cast<char*>(data), n);
        },
        &png, im.width, im.height, 3, im.rgb.data(), im.width * 3);
    if (png.empty())
        throw std::runtime_error("plot: cannot encode the PNG for " + path);
    io::write_atomically(path, png); // (a unique temporary, removed on failure)
}

} // namespace plot
} // namespace tfmed
