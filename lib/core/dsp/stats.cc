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
    const auto bad = std::count_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); });
    if (bad > 0) // (NaN would also break the sort's ordering)
        throw std::invalid_argument("quantile: expected finite values, found " +
                                    std::to_string(bad) + " NaN/Inf of " +
                                    std::to_string(v.size()));
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

} // namespace dsp
} // namespace tfmed
