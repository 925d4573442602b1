/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DSP_STFT_STREAM_H
#define INCLUDED_TFMED_DSP_STFT_STREAM_H

#include <tfmed/dsp/stft_options.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tfmed {
namespace dsp {

/*!
 * \brief Streaming STFT over plain buffers (no torch types; used by the blocks).
 *
 * \details
 * Samples are pushed in any chunking, interleaved by channel (`x[t*C + c]`,
 * which is the GNU Radio layout of a float stream with vlen = C). Frames are
 * pulled as soon as every sample they read has arrived. Frame k is exactly
 * frame k of the batch form (tfmed::dsp::stft) on the same signal, bit for bit,
 * whatever the chunking: both run the same frame kernel with the same FFT plan.
 *
 * The start boundary is applied as the batch form applies it (zeros, or a
 * reflection that waits for `left_pad() + 1` samples). The end boundary can
 * only be known when the stream ends: finish() appends it, after which the
 * remaining tail frames can be pulled. A live stream never calls finish().
 *
 * Frame layout of pull(): frame-major, then channel, then bin:
 * `out[(f*C + c)*bins*k + b*k + j]`, with k = 2 (re, im) for complex output
 * and k = 1 otherwise. A frame whose samples contain NaN or Inf is written as
 * NaN in the affected channel and flagged in `invalid`. A frame of finite
 * samples so large that the float FFT overflows (beyond about FLT_MAX /
 * n_fft, the torch convention) is valid: it is computed again by a DFT in
 * double, and only the values beyond the float range are +-inf.
 *
 * Large values: magnitude and log-power are computed without intermediate
 * overflow (|X| in double), so they are finite for any finite FFT output.
 * Power is |X|^2 and is +inf where that exceeds the float range (|X| > about
 * 1.8e19); such frames are flagged kFrameOverflow, not kFrameInvalid (the GNU
 * Radio block tags them `tfmed_overflow`; count_nonfinite() on the channel
 * finds which).
 *
 * Short streams: a torch-convention stream with reflect padding starts its
 * frames once left_pad() + 1 samples have arrived. finish() on a stream that
 * holds at least one sample but fewer than options().min_length() throws
 * std::invalid_argument naming the count and the minimum, as the batch form
 * does; such a stream has no frame to give (torch.stft refuses the same
 * input). An empty stream finishes with no frames and no error.
 *
 * Latency: frame k is ready after `samples_needed(k)` samples per channel.
 *
 * Not thread-safe: one stream per thread (each GNU Radio block owns its own).
 */
/*! Flags of StftStream::pull() per frame. */
constexpr uint8_t kFrameInvalid = 1;  //!< some channel read NaN/Inf: its values are NaN
constexpr uint8_t kFrameOverflow = 2; //!< finite input, some values beyond float (+-inf)

class StftStream
{
public:
    /*!
     * \param opts validated STFT options (throws std::invalid_argument if not)
     * \param channels number of interleaved channels (> 0)
     */
    StftStream(const StftOptions& opts, int channels = 1);
    ~StftStream();
    StftStream(StftStream&&) noexcept;
    StftStream& operator=(StftStream&&) noexcept;

    /*! \brief Append `n` samples per channel (interleaved). Grows the internal
     *  buffer only when a push is larger than any before; call reserve() up
     *  front to keep pushes allocation-free. */
    void push(const float* x, size_t n);

    /*! \brief Write up to `max_frames` ready frames to `out`, and (when not
     *  null) one set of flags per frame to `invalid`: kFrameInvalid when some
     *  channel read NaN/Inf (its values are NaN), kFrameOverflow when finite
     *  input gave values beyond the float range (+-inf, e.g. power above
     *  FLT_MAX), 0 for an ordinary frame. Only flagged frames can hold
     *  non-finite values. \return the number of frames written. Never throws. */
    size_t pull(float* out, size_t max_frames, uint8_t* invalid = nullptr) noexcept;

    /*!
     * \brief End of stream: append the end boundary as the batch form does.
     *
     * Throws std::invalid_argument, naming the samples received and the
     * minimum, when 0 < samples_pushed() < options().min_length(): no frame
     * can be computed (for reflection, the padding cannot be formed). The
     * stream is then finished with no frames; reset() starts again.
     */
    void finish();

    /*! Start again from an empty stream (same options and channels). */
    void reset();

    /*!
     * \brief Change the window, window symmetry, normalisation, log floor or
     * the real output kind from the next frame on, keeping the stream state.
     *
     * Throws std::invalid_argument (and changes nothing) when `opts` changes
     * the geometry: n_fft, hop, win_length, convention, center, pad_mode,
     * onesided, or complex versus real output.
     */
    void retune(const StftOptions& opts);

    /*! Make room for pushes of up to `n` samples per channel. */
    void reserve(size_t n);

    /*! Frames that pull() could write now. */
    size_t frames_ready() const noexcept;
    /*! Samples per channel that must have been pushed, in total, before frame
     *  `frame` is ready (before finish()). */
    int64_t samples_needed(int64_t frame) const noexcept;
    int64_t frames_pulled() const noexcept;
    int64_t samples_pushed() const noexcept;

    int channels() const noexcept;
    int bins() const noexcept;
    /*! Floats per pulled frame: channels * bins * (2 for complex, else 1). */
    size_t frame_floats() const noexcept;
    const StftOptions& options() const noexcept;

    /*! Name of the FFT backend in use ("fftw3f" or "torch"). */
    static const char* fft_backend() noexcept;

private:
    struct impl;
    std::unique_ptr<impl> d_;
};

/*!
 * \brief Number of NaN and Inf values in `x[0..n)`.
 *
 * \details One cheap vectorisable pass over the bits (immune to
 * -ffinite-math-only). Used on pulled frames to find power bins that
 * overflowed float, or any other non-finite output. For complex output, count
 * `2 * bins` floats per channel.
 */
size_t count_nonfinite(const float* x, size_t n) noexcept;

} // namespace dsp
} // namespace tfmed

#endif /* INCLUDED_TFMED_DSP_STFT_STREAM_H */
