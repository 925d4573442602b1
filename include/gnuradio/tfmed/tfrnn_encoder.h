/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TFRNN_ENCODER_H
#define INCLUDED_TFMED_TFRNN_ENCODER_H

#include <gnuradio/block.h>
#include <gnuradio/tfmed/api.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace tfmed {

/*!
 * \brief TRLS's TFRNN encoder on a live stream: one embedding per window and,
 * with a linear head in the model file, class probabilities and decisions.
 * \ingroup tfmed
 *
 * \details
 * Input "samples": float vectors of `channels` values, windows of the card's
 * length every `hop` samples, through the card's scaling and front end (the
 * numbers of `tfmed eval trls` for the same window). Input "frames": the
 * items of an upstream tfmed.stft (torch convention, Hann, the card's n_fft
 * and hop, magnitude output; vlen = channels x bins), windows of the card's
 * frame count every `hop` frames; log1p and the per-window min-max happen
 * here. Frames cut from a continuous stream differ from a window's own STFT
 * at its two edges (reflect padding), so "samples" is the exact mode. When
 * the block upstream is a tfmed.stft its settings are compared with the
 * card's front end on every call (they can change while the graph runs): a
 * window over frames of another STFT (hop, window, convention, output...)
 * gives NaN outputs, a `tfmed_invalid` tag "stft_mismatch" and an "invalid"
 * PDU naming both, and the mismatch is logged; frames from any other block
 * are taken as they come.
 *
 * Output 0: the embedding (vlen = K x f_h) per window. Output 1 (optional,
 * models with a head): the class probabilities (vlen = classes). Each window
 * item carries `tfmed_window_start` (first sample or frame) and, with a head,
 * `tfmed_label` (class name), `tfmed_class` (index) and `tfmed_probabilities`
 * (f32vector) tags; the `decisions` port publishes a PDU per decision (class,
 * label, probability, start, time_s: seconds at the card's rate, else at
 * `sample_rate`; NaN when neither gives one). A window with a non-finite value, or
 * with a channel that holds the same value (frames: the same frame) throughout
 * (`flat`, a lead off), gives NaN outputs, a `tfmed_invalid` tag and an "invalid" PDU.
 *
 * Serving is tsrnet_scorer's (engine/serve.h): the network runs on a worker
 * thread shared by every encoder of the same model file content, device,
 * threads, input kind and batching settings (`share`), in batches of up to
 * `max_batch` windows across streams; `queue` windows in flight per block,
 * then back-pressure; `deadline_ms` > 0 tags late windows `tfmed_overrun`
 * (and sends an "overrun" PDU on `decisions`). Nothing throws from work().
 */
class TFMED_API tfrnn_encoder : virtual public gr::block
{
public:
    typedef std::shared_ptr<tfrnn_encoder> sptr;

    /*!
     * \param model_path a model file from `tfmed train trls`
     * \param input "samples" or "frames"
     * \param channels signal channels of the stream (must equal the card's)
     * \param hop samples (or frames) between window starts; 0 = one window
     *        length (non-overlapping)
     * \param device "auto", "cpu", "cuda" or "cuda:N"
     * \param threads intra-op threads for CPU inference (>= 1)
     * \param sample_rate the stream's rate in Hz (0: do not check; else it must
     *        equal the card's; for a card without a rate, it times the
     *        decisions and the deadline)
     * \param embedding_vlen expected embedding size K x f_h (0: do not check)
     * \param classes expected classes of the head (-1: do not check; 0: none)
     * \param share use the process-wide engine for this model; false: a private one
     * \param max_batch windows per network call (1..4096)
     * \param max_wait_ms how long the oldest queued window waits for a fuller batch
     * \param queue windows this block may have in flight (1..65536)
     * \param deadline_ms lateness beyond which a window is tagged tfmed_overrun (0: off;
     *        needs a rate, from the card or `sample_rate`)
     * \throws std::invalid_argument naming what the model expects and what
     *         the stream has
     */
    static sptr make(const std::string& model_path,
                     const std::string& input = "samples",
                     int channels = 1,
                     int hop = 0,
                     const std::string& device = "auto",
                     int threads = 1,
                     double sample_rate = 0.0,
                     int embedding_vlen = 0,
                     int classes = -1,
                     bool share = true,
                     int max_batch = 16,
                     double max_wait_ms = 2.0,
                     int queue = 32,
                     double deadline_ms = 0.0);

    virtual int window() const = 0;        //!< samples or frames per window
    virtual int hop() const = 0;
    virtual int embedding_size() const = 0;
    virtual std::vector<std::string> class_names() const = 0;
    virtual std::string card_json() const = 0;
    virtual std::string device() const = 0;
    virtual uint64_t windows_queued() const = 0;  //!< windows handed to the engine
    virtual uint64_t windows_emitted() const = 0; //!< windows out
    virtual int queue_depth() const = 0;          //!< in flight now
    virtual uint64_t overruns() const = 0;        //!< windows later than deadline_ms
    /*! Seconds from hand-over to emission, the last 65,536 windows. */
    virtual std::vector<float> latencies() const = 0;
    /*! The engine's counters as JSON (as tsrnet_scorer::serving). */
    virtual std::string serving() const = 0;
};

} // namespace tfmed
} // namespace gr

#endif
