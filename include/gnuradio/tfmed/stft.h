/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_STFT_H
#define INCLUDED_TFMED_STFT_H

#include <gnuradio/block.h>
#include <gnuradio/tfmed/api.h>

#include <string>

namespace gr {
namespace tfmed {

/*!
 * \brief Streaming short-time Fourier transform: samples in, one frame per hop out.
 * \ingroup tfmed
 *
 * \details
 * Input: one float stream whose items are vectors of `channels` samples (a
 * multichannel recording, channels interleaved; vlen = channels).
 *
 * Output: one item per STFT frame, a vector of `channels * bins` values,
 * channel-major (`[ch0 bin0 .. ch0 bin(F-1), ch1 bin0, ...]`), float for
 * magnitude / power / log_power and gr_complex for complex output. bins is
 * `n_fft/2 + 1` one-sided, `n_fft` two-sided (FFT order).
 *
 * Numbers: exactly frame k of the core batch STFT (tfmed::dsp::stft) on the same
 * signal, bit for bit, whichever way the scheduler chunks the stream; the core
 * batch STFT in turn matches `scipy.signal.stft` (convention `scipy`, the
 * TSRNet spectrogram) or `torch.stft` (convention `torch`, the SpecAR-Net
 * spectrogram). See tfmed/dsp/stft_options.h for the exact frame definition.
 *
 * Rate and latency: one output item per `hop` input items (relative rate
 * 1/hop). Frame k is centred on input sample `k*hop + c` (c = 0 for centred
 * conventions with win_length = n_fft) and is produced as soon as its last
 * sample has arrived, about win_length/2 samples after its centre (one hop
 * less for frames that start at their centre, center = false, see
 * tfmed::dsp::StftStream::samples_needed). The end boundary of a finite
 * recording is not emitted: a stream has no end the scheduler announces.
 *
 * Tags: every input tag is moved, key and value unchanged, to the frame whose
 * centre is nearest its sample (the frame that contains it); with a hop
 * longer than the window, a sample after its nearest frame's window goes to
 * the next frame (the first that still reads it: placement never depends on
 * how the scheduler cuts the stream). Non-finite output
 * is never silent:
 *  - `tfmed_invalid`: the frame read a NaN or Inf sample (or finite samples so
 *    large, beyond about FLT_MAX / n_fft, that the float FFT overflowed) and is
 *    NaN in the affected channels;
 *  - `tfmed_overflow`: the input was finite but some bins are +inf because the
 *    value does not fit a float: power (|X|^2) beyond 3.4e38, i.e. |X| above
 *    about 1.8e19; the other bins of the frame are valid. Magnitude and
 *    log_power are computed without intermediate overflow and stay finite.
 * Both values are s32 vectors of the affected channel indices; both tags sit
 * on the frame's output item.
 *
 * Short streams: the first frame needs `samples_needed(0)` samples (for the
 * torch convention with reflect padding, more than n_fft/2). A stream that
 * ends before that produces no frame; stop() then logs a warning naming the
 * count and the minimum. (The batch STFT refuses such input with an error.)
 *
 * Runtime changes (thread-safe, applied from the next frame): window, log floor,
 * and the output kind among magnitude / power / log_power.
 *
 * It is a `gr::block` with relative rate 1/hop rather than a
 * `gr::sync_decimator`: a decimator must emit item j once (j+1)*hop samples have
 * arrived, but a centred frame needs samples past that point, so a decimator
 * would have to invent lead-in frames that the batch STFT does not have.
 */
class TFMED_API stft : virtual public gr::block
{
public:
    typedef std::shared_ptr<stft> sptr;

    /*!
     * \brief Make an STFT block.
     *
     * \param channels   input vector length (number of channels, > 0)
     * \param n_fft      FFT length (> 0)
     * \param hop        frame advance in samples (> 0; <= win_length for scipy)
     * \param win_length window length, 0 for n_fft (<= n_fft)
     * \param window     "hann", "hamming", "blackman", "rectangle" or "triang"
     * \param periodic   periodic (DFT-even) window if true, symmetric if false
     * \param convention "scipy" (scipy.signal.stft) or "torch" (torch.stft)
     * \param center     pad the start so that frame k is centred on sample k*hop
     * \param pad_mode   "reflect" or "constant": torch convention with center only;
     *                   elsewhere it must stay "reflect" (scipy always pads zeros)
     * \param normalized torch convention: scale by n_fft^-1/2; must be false for scipy
     * \param onesided   n_fft/2+1 bins if true, all n_fft bins if false
     * \param output     "complex", "magnitude", "power" or "log_power" (dB)
     * \param log_floor  power floor of log_power (> 0)
     *
     * Throws std::invalid_argument naming the bad parameter, what was expected
     * and what was found, including a setting the convention would ignore
     * (scipy with normalized or pad_mode "constant", torch without center with
     * pad_mode "constant").
     */
    static sptr make(int channels = 1,
                     int n_fft = 256,
                     int hop = 64,
                     int win_length = 0,
                     const std::string& window = "hann",
                     bool periodic = true,
                     const std::string& convention = "scipy",
                     bool center = true,
                     const std::string& pad_mode = "reflect",
                     bool normalized = false,
                     bool onesided = true,
                     const std::string& output = "magnitude",
                     float log_floor = 1e-10f);

    /*! \brief Window shape from the next frame on ("hann", ...). Thread-safe. */
    virtual void set_window(const std::string& window) = 0;
    /*! \brief Power floor of log_power (> 0). Thread-safe. */
    virtual void set_log_floor(float log_floor) = 0;
    /*! \brief Output kind among "magnitude", "power", "log_power" (not to or
     *  from "complex": the item size is fixed). Thread-safe. */
    virtual void set_output(const std::string& output) = 0;

    /*! Bins per channel in each output item. */
    virtual int bins() const = 0;
    /*! Input sample on which frame k is centred, minus k*hop. */
    virtual int center_offset() const = 0;
    /*! Description of the STFT in use. */
    virtual std::string describe() const = 0;
    /*!
     * \brief The settings in use (as describe() gives them) and, in
     * `first_frame`, the first output item made with them: 0, or the frame
     * after the last setter call. Thread-safe. For a block downstream that
     * checks the frames it takes (tfrnn_encoder).
     */
    virtual std::string settings(uint64_t& first_frame) const = 0;
    /*! \brief How many times a setter changed the settings (a cheap poll
     *  before settings()). */
    virtual uint64_t settings_changes() const = 0;
};

} // namespace tfmed
} // namespace gr

#endif /* INCLUDED_TFMED_STFT_H */
