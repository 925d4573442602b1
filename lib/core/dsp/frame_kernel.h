/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_LIB_FRAME_KERNEL_H
#define INCLUDED_TFMED_LIB_FRAME_KERNEL_H

#include <tfmed/dsp/stft_options.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tfmed {
namespace dsp {
namespace detail {

/*!
 * \brief Windowing, FFT and output conversion of a group of frames.
 *
 * Every frame is computed through the same batched FFT plan in the same
 * buffer slot layout, so the result of a frame does not depend on how frames
 * are grouped into calls (streaming and batch agree bit for bit).
 */
class FrameKernel
{
public:
    explicit FrameKernel(const StftOptions& opts);
    ~FrameKernel();

    /*!
     * Compute `frames` frames of `channels` channels. Frame f of channel c
     * reads W samples at `src[c] + f*src_stride` and writes bins() *
     * floats_per_bin() floats at `dst + (f*channels + c) * bins() *
     * floats_per_bin()` (frames in order, the channels of a frame together).
     * `invalid[f]` gets kFrameInvalid or'ed in when the frame read NaN/Inf,
     * kFrameOverflow when finite input gave values beyond the float range
     * (never cleared: channels share the flags).
     */
    void run(const float* const* src,
             int channels,
             ptrdiff_t src_stride,
             size_t frames,
             float* dst,
             uint8_t* invalid) noexcept;

    int bins() const noexcept { return bins_; }
    int floats_per_bin() const noexcept { return complex_ ? 2 : 1; }
    static const char* backend() noexcept;

private:
    void transform() noexcept;     // the batch plan over all batch_ slots
    void transform_one() noexcept; // the one-frame plan over slot 0 (single_)
    void window_into(size_t slot, const float* src) noexcept;
    // After values(): the special cases (an invalid frame gets NaN and its
    // flag), the logarithm, the mirrored half.
    void finish_frame(size_t slot, float* d, bool bad, uint8_t* invalid);
    bool single_matches_batch();

    struct fft_plan;
    StftOptions opts_;
    int n_fft_, win_, offset_, bins_, half_;
    bool complex_;
    size_t batch_;
    bool single_ = false; // the one-frame plan gives the batch plan's bits
    float* wscaled_; // window * scale
    float* in_;      // batch_ x n_fft, zeros outside the window span
    float* out_;     // batch_ x (n_fft/2+1) complex (interleaved re, im)
    std::unique_ptr<fft_plan> plan_;
    std::vector<double> twiddle_; // cos, sin of 2 pi j / n_fft (made at the first overflow)
    // The frame at `b` (n_fft windowed samples) by a DFT in double: for
    // finite frames whose float FFT overflowed. Writes the half_ values
    // (the caller mirrors them).
    void exact_frame(const float* b, float* d);
    // Frame f of the batch had non-finite output: false for NaN/Inf input
    // (invalid frame); else the values that overflowed float, fixed in place.
    bool finish_special(size_t f, const float* z, float* d);
    // Magnitude, power or the complex values of `frames` back-to-back
    // frames; true when any value written is NaN or Inf.
    bool values(const float* z, float* d, size_t frames) const noexcept;
    // 10 log10 of the half_ power values in d, floored (the float path).
    void log_power(float* d) const noexcept;
    // The negative-frequency half of a two-sided frame from the positive one.
    void mirror(float* d) const noexcept;
};

} // namespace detail
} // namespace dsp
} // namespace tfmed

#endif
