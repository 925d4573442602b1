/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_SPECAR_OPTIONS_H
#define INCLUDED_TFMED_MODELS_SPECAR_OPTIONS_H

#include <tfmed/dsp/stft_options.h>

#include <cstdint>
#include <string>

/*!
 * \file
 * \brief SpecAR-Net's architecture options (torch-free: cards and blocks
 * read them without LibTorch). The network is models/specar.h.
 */

namespace tfmed {
namespace models {

/*! \brief Every knob of the reference (its argument names in comments). */
struct SpecarOptions {
    /*! "anomaly_detection", "classification", "imputation", "long_term_forecast" */
    std::string task = "anomaly_detection";  // task_name
    int64_t seq_len = 100, pred_len = 0, label_len = 0;
    int64_t enc_in = 55, c_out = 55;          // N, output channels
    int64_t num_class = 0;                    // classification
    int64_t d_model = 8, d_ff = 8;
    int64_t e_layers = 5, conv_layers = 6;    // E blocks, M branches
    int64_t n_fft = 16, win_length = 16, hop = 1; // n_fft, win_len, hop_length
    /*! "hanning", "hamming", "rectangle", "triang", "blackman" */
    std::string window = "rectangle";         // win_func
    /*! true: the periodic (DFT-even) window of torch's *_window(W), the
     *  reference's; false: the symmetric window of the paper's formula
     *  (§3.2, h(t) = 0.54 - 0.46 cos(pi t / n) over 2n + 1 points). triang
     *  is symmetric either way (scipy.signal.triang, as the reference). */
    bool window_periodic = true;
    /*! "complex" (the reference's "CompelxConv2d") or "dual" ("DualChannelConv2d", the DCN ablation) */
    std::string backbone = "complex";
    int64_t time_features = 4;                // timeF at freq 'h'; 0 = none (no temporal embedding)
    double dropout = 0.1;

    /*! Steps the blocks see: seq_len (+ pred_len for forecasting). */
    int64_t T() const { return task == "long_term_forecast" ? seq_len + pred_len : seq_len; }
    /*! The core STFT options of a block. */
    dsp::StftOptions stft() const;
    /*! \throws std::invalid_argument naming the option, expected and found */
    void validate() const;
};

/*! \brief Parameters of one SpecAR block and of the whole network, by the
 *  formulas of MODELS.md 2.3 (what the reference's parameters() counts). */
int64_t specar_block_parameters(const SpecarOptions& o);
int64_t specar_parameters(const SpecarOptions& o);

/*! \brief Floating-point operations (2 per multiply-add) of one window's
 *  forward pass in its matrix products: the convolutions, the linear layers
 *  and the frequency attention (Z Z^T and A Z, four real products each); the
 *  STFT and element-wise work are not counted. */
double specar_forward_flops(const SpecarOptions& o);

} // namespace models
} // namespace tfmed

#endif
