/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Deterministic test signals for block tests.
 */
#ifndef INCLUDED_TFMED_TEST_SIGNALS_H
#define INCLUDED_TFMED_TEST_SIGNALS_H

#include <cmath>
#include <cstddef>
#include <vector>

namespace tfmed_test {

/*! n items of vlen values, time-major: a sine and a slower cosine per
 *  element, each element its own phase and scale. */
inline std::vector<float> signal(int n, int vlen)
{
    std::vector<float> x(static_cast<std::size_t>(n) * vlen);
    for (int t = 0; t < n; ++t)
        for (int c = 0; c < vlen; ++c)
            x[static_cast<std::size_t>(t) * vlen + c] =
                std::sin(0.31f * t + c) * (1.0f + 0.5f * c) + 0.4f * std::cos(0.07f * t * (c + 1));
    return x;
}

} // namespace tfmed_test

#endif
