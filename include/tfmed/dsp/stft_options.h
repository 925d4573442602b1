/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DSP_STFT_OPTIONS_H
#define INCLUDED_TFMED_DSP_STFT_OPTIONS_H

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief The one STFT definition shared by training and serving (torch-free).
 *
 * \details
 * gr-tfmed has exactly one STFT. The trainers (tensor form, tfmed/dsp/stft.h),
 * the streaming engine (tfmed/dsp/stft_stream.h) and the GNU Radio block
 * `tfmed.stft` all compute frames through the definition in this header, so a
 * model trained on spectrograms sees the same numbers live.
 *
 * Frame definition. Let `x[0..L)` be one channel, `W = win_length`,
 * `w[0..W)` the window, `P = left_pad()` and `o = window_offset()`. The padded
 * signal is `p[i] = x[i - P]`, where samples outside `[0, L)` come from the
 * boundary rule (zeros, or reflection for the torch convention with
 * `pad_mode = reflect`). Frame `k` is
 *
 *     b[m] = 0                       for m outside [o, o + W)
 *     b[o + i] = w[i] * p[k*hop + o + i]    for i in [0, W)
 *     X_k = scale() * FFT_{n_fft}(b)
 *
 * so frame `k` reads the input samples `[k*hop + o - P, k*hop + o - P + W)` and
 * is centred on sample `k*hop + o - P + W/2`.
 *
 * Conventions:
 *  - `scipy`: the numbers of `scipy.signal.stft(x, window=w, nperseg=W,
 *    noverlap=W-hop, nfft=n_fft, boundary='zeros' (center) or None,
 *    padded=True, scaling='spectrum')`: P = W/2 zeros, o = 0, the segment is
 *    zero-padded at its end up to n_fft, scale = 1/sum(w), and the end is
 *    zero-padded so that the last samples land in a frame.
 *    frames(L) = 1 + ceil((L + 2P - W) / hop). Requires hop <= W.
 *  - `torch`: the numbers of `torch.stft(x, n_fft, hop, W, w, center,
 *    pad_mode, normalized, onesided)`: P = n_fft/2 (center) or 0, the window is
 *    centred in the n_fft frame (o = (n_fft - W)/2), scale = n_fft^-1/2 when
 *    normalized else 1. frames(L) = 1 + floor((L + 2P - n_fft) / hop).
 *    Reflection needs L > P (min_length()).
 *
 * Bins: one-sided gives n_fft/2 + 1 bins (0 .. fs/2), two-sided gives n_fft bins
 * in FFT order (0, 1, ..., n_fft-1), as both references do.
 */

namespace tfmed {
namespace dsp {

/*! \brief Analysis window shape. */
enum class Window { hann, hamming, blackman, rectangle, triang };

/*! \brief Whose numbers the STFT reproduces (see the file documentation). */
enum class Convention { scipy, torch };

/*! \brief What each bin holds. */
enum class Output {
    complex,   //!< complex STFT value
    magnitude, //!< |X|
    power,     //!< |X|^2
    log_power  //!< 10 log10(max(|X|^2, log_floor)), in dB
};

/*! \brief Boundary rule of the torch convention (scipy always pads zeros). */
enum class PadMode { constant, reflect };

/*!
 * \brief Parameters of the STFT, with validation and the derived geometry.
 *
 * Setters return `*this` so options read like LibTorch's:
 * `StftOptions(125, 63).window(Window::hann).output(Output::magnitude)`.
 */
class StftOptions
{
public:
    /*!
     * \param n_fft FFT length (> 0)
     * \param hop frame advance in samples (> 0; <= win_length for scipy)
     */
    StftOptions(int n_fft = 256, int hop = 64) : n_fft_(n_fft), hop_(hop) {}

#define TFMED_OPTION(T, name)          \
    StftOptions& name(T v)             \
    {                                  \
        name##_ = v;                   \
        return *this;                  \
    }                                  \
    T name() const { return name##_; }

    TFMED_OPTION(int, n_fft)
    TFMED_OPTION(int, hop)
    /*! 0 means n_fft. */
    TFMED_OPTION(int, win_length)
    TFMED_OPTION(Window, window)
    /*! true: periodic (DFT-even, "fftbins"), false: symmetric. */
    TFMED_OPTION(bool, periodic)
    TFMED_OPTION(Convention, convention)
    /*! Pad the start (and end) so frame k is centred on sample k*hop. */
    TFMED_OPTION(bool, center)
    /*! torch convention with center = true only; elsewhere it must keep its
     *  default (reflect), see validate(). */
    TFMED_OPTION(PadMode, pad_mode)
    /*! torch convention only (the scipy convention refuses true): multiply by
     *  n_fft^-1/2. */
    TFMED_OPTION(bool, normalized)
    TFMED_OPTION(bool, onesided)
    TFMED_OPTION(Output, output)
    /*! Power floor of the log-power output (> 0). */
    TFMED_OPTION(float, log_floor)
#undef TFMED_OPTION

    /*!
     * \brief Throws std::invalid_argument naming the bad field, its value
     * and what was expected.
     *
     * Besides ranges, an option that the chosen convention does not use must
     * keep its default, so that no setting is silently ignored: the scipy
     * convention refuses `normalized = true` and `pad_mode = constant` (it
     * always pads zeros); the torch convention with `center = false` refuses
     * `pad_mode = constant` (nothing is padded). `log_floor` is always
     * accepted: the output kind can change to log_power at run time.
     */
    void validate() const;

    /*! Effective window length W (win_length, or n_fft when 0). */
    int effective_win_length() const { return win_length_ > 0 ? win_length_ : n_fft_; }
    /*! Number of bins per frame and channel. */
    int n_bins() const { return onesided_ ? n_fft_ / 2 + 1 : n_fft_; }
    /*! Samples of boundary padding before x[0] (P). */
    int left_pad() const;
    /*! Position of the window inside the n_fft frame (o). */
    int window_offset() const;
    /*! First input sample read by frame k: k*hop + first_sample_offset(). */
    int first_sample_offset() const { return window_offset() - left_pad(); }
    /*! Input sample on which frame k is centred: k*hop + center_offset(). */
    int center_offset() const { return first_sample_offset() + effective_win_length() / 2; }
    /*! Overall scale factor folded into the window. */
    double scale() const;
    /*!
     * Fewest samples per channel the batch form accepts: enough for one frame
     * and, for reflection (torch, center, reflect), more than left_pad()
     * samples, as torch.stft requires; for the scipy convention the window
     * length (scipy.signal.stft shortens its window to a shorter signal, so
     * its numbers differ). Shorter input is an error of the batch form and of
     * StftStream::finish().
     */
    int64_t min_length() const;
    /*! Frames the batch form produces for a signal of `length` samples. */
    int64_t num_frames(int64_t length) const;
    /*! Samples of end padding the batch form appends after x[L-1]. */
    int64_t right_pad(int64_t length) const;
    /*! The window w[0..W), unscaled, in double precision. */
    std::vector<double> window_values() const;

    /*! A one-line description, e.g. for logs and model cards. */
    std::string to_string() const;

private:
    int n_fft_;
    int hop_;
    int win_length_ = 0;
    Window window_ = Window::hann;
    bool periodic_ = true;
    Convention convention_ = Convention::scipy;
    bool center_ = true;
    PadMode pad_mode_ = PadMode::reflect;
    bool normalized_ = false;
    bool onesided_ = true;
    Output output_ = Output::magnitude;
    float log_floor_ = 1e-10f;
};

/*!
 * \brief Window values of a given shape and length, in double precision.
 * \param periodic true for the DFT-even window of scipy's `fftbins=True` and
 *        torch's `periodic=True`; false for the symmetric window.
 */
std::vector<double> make_window(Window shape, int length, bool periodic);

/*! \name Names used by GRC, the CLI and model cards. Parsers throw
 *  std::invalid_argument listing the accepted names. */
///@{
Window parse_window(const std::string& name);
Convention parse_convention(const std::string& name);
Output parse_output(const std::string& name);
PadMode parse_pad_mode(const std::string& name);
std::string to_string(Window v);
std::string to_string(Convention v);
std::string to_string(Output v);
std::string to_string(PadMode v);
///@}

/*!
 * \brief FFT planning for STFT kernels created from now on (process-wide).
 *
 * \details false (default): FFTW measures candidate algorithms and keeps the
 * fastest. Timing noise can pick a different algorithm in another process, so
 * two runs may differ in the last bit. true: FFTW's estimate planner, the same
 * algorithm (hence the same bits) in every run; `tfmed train` uses it so that
 * a resumed run continues bit for bit. Thread-safe.
 */
void set_reproducible_fft(bool on);
/*! \brief The current planning mode (see set_reproducible_fft). */
bool reproducible_fft();

} // namespace dsp
} // namespace tfmed

#endif /* INCLUDED_TFMED_DSP_STFT_OPTIONS_H */
