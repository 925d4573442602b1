/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_FUSED_LSTM_H
#define INCLUDED_TFMED_MODELS_FUSED_LSTM_H

#include <ATen/core/Tensor.h>

#include <string>

/*!
 * \file
 * \brief A fused CPU recurrence for the short, narrow LSTMs of the TFRNN
 * encoder, with its own backward.
 *
 * \details
 * LibTorch's CPU LSTM runs every time step as about ten separate operators
 * (the recurrent matrix product, the gate slices, three sigmoids, two tanhs,
 * the products and sums), each with its dispatch and its pass over memory,
 * and autograd records each of them for the backward. At the TFRNN's sizes
 * (23 or 17 steps, hidden 64) that overhead, not arithmetic, is the cost.
 * Here one loop per step does the recurrent product and all the gate
 * arithmetic for one sequence while its values sit in cache, sequences are
 * spread over the intra-op threads for the whole sequence (they are
 * independent), the input projection is one matrix product over all steps,
 * and the backward is one reverse loop plus three matrix products for the
 * weight and input gradients.
 *
 * Same parameters, gate order (i, f, g, o) and results as torch::nn::LSTM
 * (single layer, unidirectional, batch_first, zero initial state): the tests
 * compare outputs and every gradient. float32 on the CPU only; SeqNet falls
 * back to LibTorch's LSTM elsewhere (CUDA: cuDNN's fused kernels).
 */

namespace tfmed {
namespace models {

/*!
 * \brief y (B, T, H) = LSTM(x (B, T, I)) with PyTorch's parameters
 * w_ih (4H, I), w_hh (4H, H), b_ih (4H), b_hh (4H); differentiable in every
 * argument when grad mode is on. Throws std::invalid_argument naming the
 * expected and the found shape, dtype or device.
 */
at::Tensor fused_lstm(const at::Tensor& x,
                      const at::Tensor& w_ih,
                      const at::Tensor& w_hh,
                      const at::Tensor& b_ih,
                      const at::Tensor& b_hh);

/*!
 * \brief Whether the TFRNN's LSTMs use fused_lstm() where it applies (CPU,
 * float32); default on. Process-wide, like torch.backends.mkldnn.enabled;
 * `tfmed bench trls` times both.
 */
void set_fused_lstm(bool on);
bool fused_lstm_enabled();

/*!
 * \brief The instruction set of the loops in use: "avx512", "avx2" or
 * "default" (the compiler's baseline). The widest the CPU has, capped by
 * ATEN_CPU_CAPABILITY (LibTorch's own variable, same values) when it is set.
 */
std::string fused_lstm_isa();

} // namespace models
} // namespace tfmed

#endif /* INCLUDED_TFMED_MODELS_FUSED_LSTM_H */
