/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DSP_STFT_H
#define INCLUDED_TFMED_DSP_STFT_H

#include <tfmed/dsp/stft_options.h>
#include <tfmed/dsp/stft_stream.h>

#include <torch/types.h>

namespace tfmed {
namespace dsp {

/*!
 * \brief Batch STFT of a tensor (the form the trainers use).
 *
 * \param x real signal of shape (..., T): any leading dimensions (channels,
 *        batch) are kept.
 * \param opts the STFT definition (see stft_options.h).
 * \return a contiguous tensor of shape (..., bins, frames): complex64 for
 *         Output::complex (complex128 for float64 input), else real.
 *
 * \details
 * float32 tensors on the CPU go through the same frame kernel as StftStream,
 * so the streaming block and the trainers produce identical numbers. Other
 * devices (CUDA: cuFFT) and float64 go through torch::stft with the explicit
 * boundary padding of the convention; the golden tests hold both paths to the
 * scipy / torch references. Throws c10::Error (TORCH_CHECK) naming expected and
 * found shapes or dtypes; std::invalid_argument for bad options.
 */
torch::Tensor stft(const torch::Tensor& x, const StftOptions& opts);

/*! \brief The torch::stft path for any device and dtype (used by stft() for
 *  CUDA and float64; exposed for tests and benchmarks). */
torch::Tensor stft_torch(const torch::Tensor& x, const StftOptions& opts);

/*! \brief Convert a complex STFT to the output kind of `opts` (magnitude,
 *  power, log-power with floor; complex passes through). */
torch::Tensor stft_output(const torch::Tensor& z, const StftOptions& opts);

} // namespace dsp
} // namespace tfmed

#endif /* INCLUDED_TFMED_DSP_STFT_H */
