/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_TSRNET_PREP_H
#define INCLUDED_TFMED_MODELS_TSRNET_PREP_H

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief TSRNet's window preprocessing (MODELS.md 1.1 and 1.6), torch-free:
 * filtering, min-max normalisation, R-peak detection, crop and the
 * Peak-based Error mask, with checks that flag unusable windows.
 */

namespace tfmed {
namespace models {

/*! \brief How a window is prepared. Defaults: the reference at 500 Hz. */
struct TsrnetPrep {
    double sample_rate = 500.0; //!< Hz the window is sampled at
    int64_t window = 5000;      //!< samples per input window (10 s)
    int64_t crop_begin = 100;   //!< first sample of the crop
    int64_t crop_length = 4800; //!< samples the network sees
    double highpass_hz = 1.0;   //!< order-2 Butterworth, zero phase; 0 = off
    double notch_hz = 35.0;     //!< iirnotch centre; 0 = off
    double notch_q = 0.005;     //!< the reference's Q: the identity at 500 Hz (see dsp::iirnotch)
    double lowpass_hz = 25.0;   //!< order-2 Butterworth, zero phase; 0 = off
    /*! Per-lead min-max to [-1, 1] over the whole window. The reference
     *  normalises training records only (its test set is filtered but not
     *  normalised, MODELS.md 1.1); false reproduces that for test windows. */
    bool normalize = true;
    int64_t rpeak_lead = 1;        //!< lead for R peaks (lead II of 12; clamped; training picks a lead named II/MLII)
    int64_t peak_half_window = 240; //!< Peak-based Error: +- samples around R
    int64_t peak_margin_begin = 200; //!< keep peaks r with margin_begin < r
    int64_t peak_margin_end = 400;   //!< ... and r < crop_length - margin_end
    /*! The reference marks peak windows at the detected positions of the
     *  uncropped window without shifting them by crop_begin (0.2 s late).
     *  false (default): positions shifted into crop coordinates. */
    bool peak_offset_quirk = false;
    /*! A lead whose range (max - min, before normalisation) is below this is
     *  flat (lead off, saturation): the window is flagged. */
    double flat_range = 1e-4;

    /*! \brief Throws std::invalid_argument naming the bad field. */
    void validate() const;
};

/*!
 * \brief Why a window cannot be scored.
 *
 * \details non_finite: NaN/Inf samples; flat: a lead without signal;
 * no_rpeaks: no R peak for the Peak-based Error; poor_quality: the signal
 * quality gate (models/sqi.h) found noise, clipping or artefact instead of
 * ECG; score_non_finite: the network gave a NaN/Inf score (a damaged model,
 * a numerical fault): never silently passed on as a number.
 */
enum class WindowStatus { ok = 0, non_finite, flat, no_rpeaks, poor_quality, score_non_finite };

/*! \brief Whether a window holds a usable signal (ok, or only without R
 *  peaks): the network can restore it and give it a plain score. */
inline bool has_signal(WindowStatus s)
{
    return s == WindowStatus::ok || s == WindowStatus::no_rpeaks;
}

/*! \brief "ok", "non_finite", "flat", "no_rpeaks", "poor_quality", "score_non_finite". */
const char* to_string(WindowStatus s);

/*! \brief A window ready for the network. */
struct PreparedWindow {
    std::vector<float> x;            //!< crop_length x leads, time-major
    std::vector<float> peak_mask;    //!< crop_length: 1 inside a peak window
    std::vector<int64_t> rpeaks;     //!< detected R peaks, window coordinates
    WindowStatus status = WindowStatus::ok;
    std::string detail;              //!< for a flagged window: which lead, why, the figures
    /*! The same without figures, from a small fixed set ("lead 0: flat",
     *  "lead 1: low_kurtosis+saturation"): what a PDU may carry as a PMT
     *  symbol, which GNU Radio interns for the life of the process. */
    std::string reason;
};

/*!
 * \brief Filter, normalise, detect R peaks and crop one window.
 * \param window `p.window` x `leads` samples, time-major (interleaved)
 * \param leads channels per sample
 * \param p settings (validated)
 * \param need_peaks false skips R-peak detection (plain score only)
 */
PreparedWindow prepare_window(const float* window, int64_t leads, const TsrnetPrep& p,
                              bool need_peaks = true);

} // namespace models
} // namespace tfmed

#endif
