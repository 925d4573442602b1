/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DATA_TIME_FEATURES_H
#define INCLUDED_TFMED_DATA_TIME_FEATURES_H

#include <array>
#include <cstdint>

namespace tfmed {
namespace data {

/*!
 * \brief TSLib's "timeF" features at freq 'h' of a UTC time: hour of day,
 * day of week (Monday 0), day of month, day of year, each scaled to
 * [-0.5, 0.5] (the x_mark SpecAR-Net's forecasting and imputation take).
 */
std::array<float, 4> hourly_time_features(int64_t unix_seconds);

} // namespace data
} // namespace tfmed

#endif
