/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_ENGINE_AUGMENT_ENGINE_H
#define INCLUDED_TFMED_ENGINE_AUGMENT_ENGINE_H

#include <tfmed/dsp/augment_options.h>

#include <cstdint>

/*!
 * \file
 * \brief One spectrogram view of a window of STFT frames, torch-free in its
 * interface (the spec_augment block).
 */

namespace tfmed {
namespace engine {

/*!
 * \brief Augment one window of `frames` x `features` values (frame-major,
 * as a tfmed.stft block emits them) into `out` (same layout). With
 * `normalise`, the TRLS front end (log1p, min-max per window to [0, 1])
 * comes first; without, the values must already be an image in [0, 1].
 * The draws are augment::draw_view(v, features, frames, seed, id, view).
 * \throws std::invalid_argument for bad options or sizes
 */
augment::ViewDraw augment_window(const float* in, float* out, int64_t frames, int64_t features,
                                 const augment::ViewOptions& v, bool normalise, uint64_t seed,
                                 uint64_t id, uint64_t view);

} // namespace engine
} // namespace tfmed

#endif
