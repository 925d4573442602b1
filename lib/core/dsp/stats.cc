/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/stats.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tfmed {
namespace dsp {

double quantile(std::vector<double> v, double q)
{
    if (v.empty())
        throw std::invalid_argument("quantile: expected values, found none");
    if (!(q >= 0.0 && q <= 1.0))
        throw std::invalid_argument("quantile: expected 0 <= q <= 1, found " + std::to_string(q));
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

} // namespace dsp
} // namespace tfmed
