/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DSP_AUGMENT_H
#define INCLUDED_TFMED_DSP_AUGMENT_H

#include <tfmed/dsp/augment_options.h>

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
 * series, per sample seeded as above (seed, sample id, view: two views of
 * a batch differ by `view`, as the spectrogram views do):
 * - "jitter": x + N(0, sigma^2) per point;
 * - "scaling": x * s, s ~ N(1, sigma^2) per channel;
 * - "permutation": cut into m ~ U{1 .. segments} pieces at sorted uniform
 *   cuts and concatenate them in a random order.
 */
torch::Tensor time_domain(const torch::Tensor& x, const std::string& kind, double sigma,
                          int64_t segments, uint64_t seed, const std::vector<int64_t>& ids,
                          uint64_t view = 0);

} // namespace augment
} // namespace tfmed

#endif
