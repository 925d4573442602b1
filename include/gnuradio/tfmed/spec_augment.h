/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_SPEC_AUGMENT_H
#define INCLUDED_TFMED_SPEC_AUGMENT_H

#include <gnuradio/sync_block.h>
#include <gnuradio/tfmed/api.h>

#include <string>

namespace gr {
namespace tfmed {

/*!
 * \brief One augmented view of spectrogram windows (TRLS): frames in, the
 * same number of frames out.
 * \ingroup tfmed
 *
 * \details
 * The stream is cut into non-overlapping windows of `frames_per_window`
 * frames of `vlen` values (bins x channels, a tfmed.stft block's items).
 * Window w (counted from the stream start) is augmented with the draws of
 * (seed, w, view): two instances with the same seed and different `view`
 * numbers give the two views of one window, reproducibly. With `normalise`
 * the TRLS front end (log1p, min-max per window) is applied first.
 *
 * Presets: "view1" = ColorJitter (brightness, contrast 0.4, p 0.8) + flip
 * along time (p 0.5); "view2" = Gaussian blur (kernel 3, sigma U[0.1, 2]) +
 * flip. The strengths can be changed while running (thread-safe setters,
 * applied from the next window). Each output window's first item carries a
 * `tfmed_augment` tag (a dict of what was drawn: flip, brightness and
 * contrast, sigma, and with masks on `time_mask` / `freq_mask` as (first,
 * width); and `non_finite` / `out_of_range`:
 * the window's NaN/Inf values, set to 0, and without `normalise` its values
 * outside [0, 1]; `stft_mismatch`: with `normalise`, an upstream tfmed.stft
 * that gives other than magnitudes, logged as an error too).
 */
class TFMED_API spec_augment : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<spec_augment> sptr;

    /*!
     * \param vlen values per frame (bins x channels, > 0)
     * \param frames_per_window frames per window (> 0)
     * \param preset "view1" or "view2"
     * \param seed base of the per-window draws
     * \param view view number mixed into the draws (0, 1, ...)
     * \param normalise apply log1p and the per-window min-max first
     * \throws std::invalid_argument naming the bad parameter
     */
    static sptr make(int vlen, int frames_per_window, const std::string& preset = "view1",
                     uint64_t seed = 0, int view = 0, bool normalise = true);

    virtual void set_jitter(double probability, double brightness, double contrast) = 0;
    virtual void set_blur(double probability, int kernel, double sigma_min, double sigma_max) = 0;
    virtual void set_flip(double probability) = 0;
    /*! Widest masks (zeros): time in frames (at most frames_per_window),
     *  frequency in values per frame (at most vlen); 0 turns one off. */
    virtual void set_masks(int time_mask, int freq_mask) = 0;
    virtual std::string settings() const = 0;
};

} // namespace tfmed
} // namespace gr

#endif
