/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DSP_STATS_H
#define INCLUDED_TFMED_DSP_STATS_H

#include <vector>

/*! \file \brief Small statistics shared by the detectors and the tools (torch-free). */

namespace tfmed {
namespace dsp {

/*!
 * \brief The q-quantile of `values` with linear interpolation between order
 * statistics (numpy's default `percentile(v, 100 q)`).
 * \throws std::invalid_argument for no values or q outside [0, 1]
 */
double quantile(std::vector<double> values, double q);

} // namespace dsp
} // namespace tfmed

#endif
