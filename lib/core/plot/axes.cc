/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The figures' data-side helpers (plot/figure.h): tick positions and labels,
 * the min/max reduction of long traces, the series palette, UTF-8 decoding.
 * No drawing here (figure.cc: font, canvas, panels, PNG).
 */
#include <tfmed/plot/figure.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace tfmed {
namespace plot {

std::string tick_label(double v, double step)
{
    if (!std::isfinite(v))
        return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
    if (std::abs(v) < step * 1e-6)
        v = 0.0;
    char buf[400];
    // Fixed notation while it stays short (the labels sit in an 80-pixel
    // margin), else the significant digits that tell ticks `step` apart.
    if (std::isfinite(step) && step > 0) {
        const int digits = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
        if (digits <= 9 && std::abs(v) < 1e9) {
            std::snprintf(buf, sizeof buf, "%.*f", std::max(0, digits), v);
            if (std::strlen(buf) <= 10)
                return buf;
        }
    }
    int sig = 3;
    if (std::isfinite(step) && step > 0 && v != 0)
        sig = std::clamp(static_cast<int>(std::floor(std::log10(std::abs(v))) -
                                          std::floor(std::log10(step))) + 1,
                         1, 17);
    std::snprintf(buf, sizeof buf, "%.*g", sig, v);
    return buf;
}


Series min_max_trace(int64_t n,
                     const std::function<double(int64_t)>& x_of,
                     const std::function<double(int64_t)>& y_of,
                     int64_t blocks)
{
    Series s;
    if (n <= 0)
        return s;
    const int64_t step = std::max<int64_t>(1, (n + std::max<int64_t>(blocks, 1) - 1) /
                                                  std::max<int64_t>(blocks, 1));
    s.x.reserve(static_cast<size_t>(2 * (n / step + 1)));
    s.y.reserve(s.x.capacity());
    for (int64_t t = 0; t < n; t += step) {
        const int64_t end = std::min(n, t + step);
        int64_t lo = -1, hi = -1;
        double vlo = 0, vhi = 0;
        for (int64_t u = t; u < end; ++u) {
            const double v = y_of(u);
            if (!std::isfinite(v))
                continue;
            if (lo < 0 || v < vlo)
                lo = u, vlo = v;
            if (hi < 0 || v > vhi)
                hi = u, vhi = v;
        }
        if (lo < 0) {
            s.x.push_back(x_of(t));
            s.y.push_back(NAN);
            continue;
        }
        const bool lo_first = lo <= hi;
        s.x.push_back(x_of(lo_first ? lo : hi));
        s.y.push_back(lo_first ? vlo : vhi);
        if (lo != hi) {
            s.x.push_back(x_of(lo_first ? hi : lo));
            s.y.push_back(lo_first ? vhi : vlo);
        }
    }
    return s;
}

Rgb palette(std::size_t k)
{
    static const Rgb colours[20] = {
        { 31, 119, 180 },  { 214, 39, 40 },   { 44, 160, 44 },   { 255, 127, 14 },
        { 148, 103, 189 }, { 140, 86, 75 },   { 227, 119, 194 }, { 127, 127, 127 },
        { 188, 189, 34 },  { 23, 190, 207 },  { 174, 199, 232 }, { 255, 152, 150 },
        { 152, 223, 138 }, { 255, 187, 120 }, { 197, 176, 213 }, { 196, 156, 148 },
        { 247, 182, 210 }, { 199, 199, 199 }, { 219, 219, 141 }, { 158, 218, 229 }
    };
    return colours[k % 20];
}

std::vector<int> code_points(const std::string& s)
{
    std::vector<int> out;
    const auto* b = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned c = b[i];
        int len = 0;
        unsigned cp = 0, min = 0;
        if (c < 0x80)
            len = 1, cp = c;
        else if ((c & 0xE0) == 0xC0)
            len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            len = 4, cp = c & 0x07, min = 0x10000;
        bool ok = len > 0 && i + static_cast<std::size_t>(len) <= n;
        for (int k = 1; ok && k < len; ++k) {
            ok = (b[i + k] & 0xC0) == 0x80;
            cp = (cp << 6) | (b[i + k] & 0x3F);
        }
        // (overlong forms, surrogates and values past U+10FFFF are invalid)
        ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        out.push_back(ok ? static_cast<int>(cp) : 0xFFFD);
        i += ok ? static_cast<std::size_t>(len) : 1;
    }
    return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target)
{
    std::vector<double> t;
    if (!(hi > lo) || target < 1)
        return t;
    const double raw = (hi - lo) / target;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : { 1.0, 2.0, 5.0, 10.0 })
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    // Ticks k * step (not a running sum: where step is below the doubles'
    // spacing at lo, v += step never moved and the loop never ended).
    const double k0 = std::ceil(lo / step - 1e-9), k1 = std::floor(hi / step + 1e-9);
    // (Beyond 2^52 the counter itself stops moving: k += 1 == k.)
    if (!std::isfinite(k0) || !std::isfinite(k1) || k1 - k0 > 1000.0 || lo + step == lo ||
        std::max(std::abs(k0), std::abs(k1)) >= 0x1p52)
        return t;
    for (double k = k0; k <= k1; k += 1.0) {
        const double v = k * step;
        t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    }
    return t;
}

} // namespace plot
} // namespace tfmed
