/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DSP_AUGMENT_OPTIONS_H
#define INCLUDED_TFMED_DSP_AUGMENT_OPTIONS_H

#include <cstdint>
#include <random>
#include <string>

/*!
 * \file
 * \brief The random policy of a spectrogram view and its per-sample draws
 * (torch-free: the blocks include it; the operations are in augment.h).
 */

namespace tfmed {
namespace augment {

/*!
 * \brief The random policy of one view. Defaults are TRLS view 1 (ColorJitter
 * + flip, MODELS.md 3.2); view2() is GaussianBlur + flip.
 *
 * Per sample, in this order: with probability `jitter_p` a ColorJitter
 * (brightness factor ~ U[max(0, 1 - brightness), 1 + brightness], contrast
 * factor ~ U[max(0, 1 - contrast), 1 + contrast], applied in a random order,
 * each order with probability 1/2); with probability `blur_p` a Gaussian blur
 * of kernel `blur_kernel`, sigma ~ U[blur_sigma_min, blur_sigma_max]; with
 * probability `flip_p` a flip along time; a time mask of width ~ U{0 ..
 * time_mask} at a uniform start; a frequency mask likewise. A strength of 0
 * switches a transform off.
 */
struct ViewOptions {
    double jitter_p = 0.8;
    double brightness = 0.4;
    double contrast = 0.4;
    double blur_p = 0.0;
    int64_t blur_kernel = 3;
    double blur_sigma_min = 0.1, blur_sigma_max = 2.0;
    double flip_p = 0.5;
    int64_t time_mask = 0; //!< widest time mask in frames (0: none)
    int64_t freq_mask = 0; //!< widest frequency mask in bins (0: none)

    static ViewOptions view1(); //!< ColorJitter 0.4/0.4 (p 0.8) + flip (p 0.5)
    static ViewOptions view2(); //!< GaussianBlur k 3, sigma U[0.1, 2] + flip (p 0.5)
    /*! \throws std::invalid_argument naming the bad field, value and range */
    void validate() const;
    std::string to_string() const;
};

/*! \brief What a view drew for one sample (reported for tests and logs). */
struct ViewDraw {
    bool jitter = false;
    double brightness = 1.0, contrast = 1.0;
    bool contrast_first = false;
    bool blur = false;
    double sigma = 0.0;
    bool flip = false;
    int64_t time_start = 0, time_width = 0;
    int64_t freq_start = 0, freq_width = 0;
};

/*!
 * \brief The seeded generator of a sample: std::mt19937_64 seeded with
 * splitmix64 of (seed, id, view). Its uniforms are (g() >> 11) * 2^-53.
 */
class Rng
{
public:
    Rng(uint64_t seed, uint64_t id, uint64_t stream);
    double uniform();                          //!< [0, 1)
    double uniform(double lo, double hi);      //!< [lo, hi)
    int64_t integer(int64_t lo, int64_t hi);   //!< lo .. hi inclusive, unbiased
    double normal();                           //!< N(0, 1), Box-Muller of two uniforms
private:
    std::mt19937_64 g_;
};

/*! The draws of one sample of an F x T image under `v`. */
ViewDraw draw_view(const ViewOptions& v, int64_t F, int64_t T, uint64_t seed, uint64_t id,
                   uint64_t view);
} // namespace augment
} // namespace tfmed

#endif
