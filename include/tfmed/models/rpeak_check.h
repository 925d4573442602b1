/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_RPEAK_CHECK_H
#define INCLUDED_TFMED_MODELS_RPEAK_CHECK_H

#include <tfmed/dsp/rpeaks.h>
#include <tfmed/io/recording.h>

#include <cstdint>

/*!
 * \file
 * \brief Check the R-peak detector against annotated beats (torch-free).
 */

namespace tfmed {
namespace models {

/*! \brief How the check runs. */
struct RpeakCheckOptions {
    int channel = 0;          //!< lead to detect on
    double window_s = 10.0;   //!< detect per window of this length (0: whole record)
    double tolerance_s = 0.05; //!< a detection within +- this of a beat matches
    bool filter = true;       //!< TSRNet's zero-phase filters first (1 Hz HP, 25 Hz LP)
};

/*! \brief Result: matches against the beat annotations. */
struct RpeakCheck {
    dsp::BeatMatch match;
    int64_t beats = 0, detections = 0;
    int64_t windows = 0, windows_without_peaks = 0;
};

/*!
 * \brief Detect R peaks in `r` and compare them with its beat annotations
 * (wfdb_is_beat codes). Windows with NaN samples are skipped (their beats
 * still count as missed).
 * \throws std::invalid_argument for a bad channel, window or an unannotated record
 */
RpeakCheck check_rpeaks(const io::Recording& r, const RpeakCheckOptions& opt);

} // namespace models
} // namespace tfmed

#endif
