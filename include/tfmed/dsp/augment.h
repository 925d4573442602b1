/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DSP_AUGMENT_H
#define INCLUDED_TFMED_DSP_AUGMENT_H

#include <torch/types.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Augmentations of spectrograms and time series (TRLS, MODELS.md 3.1/3.2).
 *
 * \details
 * Spectrogram images are float tensors (..., F, T): frequency rows, time
 * columns, values in [0, 1] (the TRLS front end's per-sample min-max). The
 * fixed-parameter image operations equal torchvision 0.14's functional ops on
 * a one-channel float image (1, F, T): `adjust_brightness`,
 * `adjust_contrast`, `gaussian_blur`, `hflip` (the golden test holds them to
 * it); a flip along time is torchvision's horizontal flip.
 *
 * Random views draw their parameters per sample from a generator seeded by
 * (seed, sample id, view id) alone, so a sample's augmentation does not
 * depend on the batch it lands in, the thread count or the platform: the
 * draws are 53-bit uniforms from std::mt19937_64 (documented below), not
 * the implementation-defined std distributions.
 */

namespace tfmed {
namespace augment {

///@{
/*! torchvision `adjust_brightness`: clamp(factor * img, 0, 1). factor >= 0. */
torch::Tensor brightness(const torch::Tensor& img, double factor);
/*! torchvision `adjust_contrast` (one channel): clamp(factor * img + (1 -
 *  factor) * mean(img), 0, 1), the mean over each image's (F, T). */
torch::Tensor contrast(const torch::Tensor& img, double factor);
/*! torchvision `gaussian_blur` with a square odd kernel and one sigma:
 *  kernel exp(-x^2 / 2 sigma^2) over x = -(k-1)/2 .. (k-1)/2, normalised,
 *  separable, reflect padding (which needs k / 2 < min(F, T)). */
torch::Tensor gaussian_blur(const torch::Tensor& img, int64_t kernel, double sigma);
/*! torchvision `hflip`: reverse the time axis. */
torch::Tensor time_flip(const torch::Tensor& img);
/*! Set columns [start, start + width) of every row to `value` (time masking). */
torch::Tensor time_mask(const torch::Tensor& img, int64_t start, int64_t width, double value = 0.0);
/*! Set rows [start, start + width) to `value` (frequency masking). */
torch::Tensor freq_mask(const torch::Tensor& img, int64_t start, int64_t width, double value = 0.0);
///@}

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
/*! Apply the draws to one image (F, T). */
torch::Tensor apply_view(const torch::Tensor& img, const ViewOptions& v, const ViewDraw& d);
/*!
 * \brief One view of a batch (N, F, T): sample n uses draw_view(v, F, T,
 * seed, ids[n], view).
 * \throws std::invalid_argument for a wrong shape or ids of another length
 */
torch::Tensor view(const torch::Tensor& imgs, const ViewOptions& v, uint64_t seed,
                   const std::vector<int64_t>& ids, uint64_t view);

/*!
 * \brief Time-domain baselines of the TRLS ablation (Table 5), on (N, C, L)
 * series, per sample seeded as above:
 * - "jitter": x + N(0, sigma^2) per point;
 * - "scaling": x * s, s ~ N(1, sigma^2) per channel;
 * - "permutation": cut into m ~ U{1 .. segments} pieces at sorted uniform
 *   cuts and concatenate them in a random order.
 */
torch::Tensor time_domain(const torch::Tensor& x, const std::string& kind, double sigma,
                          int64_t segments, uint64_t seed, const std::vector<int64_t>& ids);

} // namespace augment
} // namespace tfmed

#endif
