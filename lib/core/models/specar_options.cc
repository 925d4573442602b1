/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/models/specar_options.h>

#include <algorithm>
#include <cmath>

#include <stdexcept>

namespace tfmed {
namespace models {

namespace {
bool forecasting(const SpecarOptions& o) { return o.task == "long_term_forecast"; }
} // namespace

dsp::StftOptions SpecarOptions::stft() const
{
    dsp::Window w = dsp::Window::blackman; // the reference: anything else is blackman
    bool periodic = window_periodic;
    if (window == "hanning")
        w = dsp::Window::hann;
    else if (window == "hamming")
        w = dsp::Window::hamming;
    else if (window == "rectangle")
        w = dsp::Window::rectangle;
    else if (window == "triang")
        w = dsp::Window::triang, periodic = false; // scipy.signal.triang: symmetric
    return dsp::StftOptions(static_cast<int>(n_fft), static_cast<int>(hop))
        .win_length(static_cast<int>(win_length))
        .window(w)
        .periodic(periodic)
        .convention(dsp::Convention::torch)
        .center(true)
        .pad_mode(dsp::PadMode::reflect)
        .normalized(true)
        .onesided(false)
        .output(dsp::Output::complex);
}

void SpecarOptions::validate() const
{
    auto fail = [](const std::string& what, const std::string& found) {
        throw std::invalid_argument("SpecAR-Net: expected " + what + ", found " + found);
    };
    if (task != "anomaly_detection" && task != "classification" && task != "imputation" &&
        task != "long_term_forecast")
        fail("task anomaly_detection, classification, imputation or long_term_forecast",
             "'" + task + "'");
    auto range = [&](const char* name, int64_t v, int64_t lo, int64_t hi) {
        if (v < lo || v > hi)
            fail(std::to_string(lo) + " <= " + name + " <= " + std::to_string(hi),
                 std::to_string(v));
    };
    range("seq_len", seq_len, 1, 1 << 16);
    range("enc_in", enc_in, 1, 4096);
    range("c_out", c_out, 1, 4096);
    range("d_model", d_model, 1, 4096);
    range("d_ff", d_ff, 1, 8192);
    range("e_layers", e_layers, 1, 64);
    range("conv_layers", conv_layers, 1, 64);
    range("n_fft", n_fft, 1, 4096);
    range("win_length", win_length, 1, n_fft);
    range("hop", hop, 1, n_fft);
    range("time_features", time_features, 0, 16);
    if (forecasting(*this))
        range("pred_len", pred_len, 1, 1 << 16);
    else if (pred_len != 0)
        fail("pred_len 0 for " + task, std::to_string(pred_len));
    if (task == "classification")
        range("num_class", num_class, 2, 1 << 16);
    else if (num_class != 0)
        fail("num_class 0 for " + task, std::to_string(num_class));
    range("label_len", label_len, 0, forecasting(*this) ? seq_len : 0);
    // Reconstruction, imputation and forecasting give back the input's
    // channels (each de-normalised by its own channel's statistics; the
    // reference's 'MS' forecasts select a column afterwards, not in the net).
    if (task != "classification" && c_out != enc_in)
        fail("c_out equal to enc_in (" + std::to_string(enc_in) + ") for " + task,
             std::to_string(c_out));
    if ((task == "imputation" || forecasting(*this)) && d_model % 2 != 0)
        fail("an even d_model for " + task + " (the order-preserving head halves it)",
             std::to_string(d_model));
    if (window != "hanning" && window != "hamming" && window != "rectangle" &&
        window != "triang" && window != "blackman")
        fail("window hanning, hamming, rectangle, triang or blackman", "'" + window + "'");
    if (backbone != "complex" && backbone != "dual")
        fail("backbone complex or dual", "'" + backbone + "'");
    if (!(dropout >= 0.0 && dropout < 1.0))
        fail("0 <= dropout < 1", std::to_string(dropout));
    // Reflect padding of n_fft/2 needs more samples than that in every series.
    if (T() <= n_fft / 2)
        fail("more steps than n_fft / 2 (" + std::to_string(n_fft / 2) +
                 ") for the reflect-padded STFT",
             std::to_string(T()) + " steps");
    // At hop != 1 a Linear maps the (T + hop) / hop frames back to T steps;
    // an odd n_fft gives 1 + (T - 1) / hop frames, one fewer where hop
    // divides T (the reference builds the same Linear and fails on every
    // window).
    if (hop != 1) {
        const int64_t frames = stft().num_frames(T()), expect = (T() + hop) / hop;
        if (frames != expect)
            fail("n_fft " + std::to_string(n_fft) + " and hop " + std::to_string(hop) +
                     " to give (T + hop) / hop = " + std::to_string(expect) + " frames over " +
                     std::to_string(T()) + " steps (an even n_fft, or hop 1)",
                 std::to_string(frames) + " frames");
    }
    // Sizes that each pass the ranges above can still multiply into a
    // network no machine holds: refused before anything is allocated (a
    // hostile or damaged card). 100 M parameters (400 MB) and 2^28 floats
    // (1 GB) per window in the branches' grids are far beyond the paper's
    // largest (SMAP: 3.7 M parameters, 128 x 100 x 101 per branch).
    const double params = static_cast<double>(specar_parameters(*this));
    if (params > 1e8)
        fail("at most 100,000,000 parameters", std::to_string(static_cast<int64_t>(params)) +
                                                   " (d_model " + std::to_string(d_model) +
                                                   ", d_ff " + std::to_string(d_ff) + ", " +
                                                   std::to_string(e_layers) + " blocks of " +
                                                   std::to_string(conv_layers) + " branches)");
    const double grid = static_cast<double>(std::max(d_model, d_ff)) * n_fft *
                        (static_cast<double>(T() / hop) + 1) * conv_layers;
    if (grid > static_cast<double>(1 << 28))
        fail("at most 2^28 values per window in the branches' time-frequency grids (1 GB)",
             std::to_string(static_cast<int64_t>(grid)) + " (max(d_model, d_ff) x n_fft x " +
                 "frames x conv_layers)");
    // The frequency attention holds about six (d_model, n_fft, n_fft) grids
    // per window (the Gram matrices and their products).
    const double attention = 6.0 * static_cast<double>(d_model) * n_fft * n_fft;
    if (attention > static_cast<double>(1 << 28))
        fail("at most 2^28 values per window in the frequency attention (1 GB)",
             std::to_string(static_cast<int64_t>(attention)) + " (6 x d_model x n_fft^2)");
}

int64_t specar_block_parameters(const SpecarOptions& o)
{
    const int64_t D = o.d_model, Dff = o.d_ff, M = o.conv_layers, T = o.T(), H = o.hop;
    const int64_t frames = (T + H) / H;
    return 2 * (D * D + D) + (M - 1) * (2 * (9 * D * Dff + Dff) + 2 * (9 * Dff * D + D)) + 3 +
           (frames * T + T);
}

int64_t specar_parameters(const SpecarOptions& o)
{
    const int64_t N = o.enc_in, D = o.d_model, T = o.T();
    int64_t n = 3 * N * D + o.time_features * D + o.e_layers * specar_block_parameters(o) +
                2 * D + (3 * T * T + T) + (D / 2 + 1);
    if (o.task == "classification")
        n += D * o.seq_len * o.num_class + o.num_class;
    else
        n += D * o.c_out + o.c_out;
    if (forecasting(o))
        n += o.seq_len * T + T;
    return n;
}

double specar_forward_flops(const SpecarOptions& o)
{
    const double T = static_cast<double>(o.T()), N = static_cast<double>(o.enc_in),
                 D = static_cast<double>(o.d_model), Dff = static_cast<double>(o.d_ff);
    const double F = static_cast<double>(o.n_fft);                 // two-sided bins
    const double frames = std::floor(T / static_cast<double>(o.hop)) + 1; // centred
    const double pairs = o.backbone == "dual" ? 2 : 4;            // real convs per complex conv
    const double grid = F * frames;
    double macs = 3 * N * D * T;                                  // token Conv1d
    double block = pairs * D * D * grid; // branch 0, k = 1
    // Branch k: two dilated 3 x 3 convs (dilation and padding k). Only the
    // taps that land inside the grid are work (oneDNN skips the padding):
    // along an axis of n positions, n + 2 max(0, n - k) of the 3n.
    auto taps = [](double n, double k) { return n + 2 * std::max(0.0, n - k); };
    for (int64_t k = 1; k < o.conv_layers; ++k)
        block += pairs * 2 * D * Dff * taps(F, double(k)) * taps(frames, double(k));
    block += 2 * D * frames; // Linear(2 -> 1), after the frequency mean
    block += 8 * D * F * F * frames;  // frequency attention: Z Z^T and A Z, 4 real products each
    if (o.hop != 1)
        block += D * frames * T;                                  // frames -> steps
    macs += o.e_layers * block;
    if (o.task == "classification")
        macs += D * T * o.num_class;
    else if (o.task == "long_term_forecast")
        macs += o.seq_len * T * D + D * o.c_out * T;              // predict_linear, projection
    else
        macs += D * o.c_out * T;                                  // projection
    return 2 * macs;
}

} // namespace models
} // namespace tfmed
