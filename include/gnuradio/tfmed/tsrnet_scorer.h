/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TSRNET_SCORER_H
#define INCLUDED_TFMED_TSRNET_SCORER_H

#include <gnuradio/block.h>
#include <gnuradio/tfmed/api.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gr {
namespace tfmed {

/*!
 * \brief TSRNet ECG anomaly score: multi-lead ECG in, one score per window out.
 * \ingroup tfmed
 *
 * \details
 * Input: float vectors of `leads` samples (vlen = leads) at `sample_rate` Hz,
 * which must equal the model card's leads and rate (resample and pick leads
 * upstream); a mismatch is refused at construction with a message naming both.
 *
 * Every `hop` samples, the last `window` samples (the card's window, 10 s for
 * the reference) are filtered, normalised, R-peak-detected and cropped as in
 * training, restored by the network under the deterministic inference masks,
 * and scored (the card's score: Peak-based Error or plain). Window k covers
 * input samples [k*hop, k*hop + window); its score is output item k (relative
 * rate 1/hop), available once its last sample has arrived.
 *
 * Tags on output item k: `tfmed_score` (double, the score) and
 * `tfmed_window_start` (uint64, the window's first input sample). Windows that
 * cannot be scored (NaN/Inf samples, a flat lead, no detectable R peaks for
 * the Peak-based score, a signal the quality gate rejects, a non-finite
 * network output) give a NaN score and a `tfmed_invalid` tag (symbol:
 * non_finite, flat, no_rpeaks, poor_quality, score_non_finite); they are never
 * scored as normal. Every NaN output item carries the tag and an "invalid"
 * PDU, whatever caused it.
 *
 * Message port `alarm`: a PDU for every window whose score exceeds the
 * threshold (type "alarm", empty payload) and for every flagged window (type
 * "invalid"). Metadata: type, score, threshold, start (sample), time_s
 * (start / sample_rate), status, detail. A flagged window's detail is its
 * reason from a small fixed set ("lead N: non_finite", "lead N: flat",
 * "lead N: no_rpeaks", "lead N: " and the failed quality checks joined by
 * '+', "non_finite_score", "inference_failed"; PMT symbols live as long as
 * the process, so no figures); its payload is the full one-line text,
 * figures included, as UTF-8 bytes.
 *
 * The threshold comes from the model card (a quantile of normal training
 * windows' scores) unless set; set_threshold() is thread-safe. A model whose
 * card has no calibrated threshold (null) is refused unless a threshold is
 * given: it would never alarm. The PDU text is one line; an inference
 * failure also goes to the block's error log.
 *
 * Serving (engine/serve.h): the network never runs in work(). work() copies
 * each complete window into the model's queue and emits the scores that are
 * ready, in window order; a worker thread runs the queued windows of every
 * stream as batches of up to `max_batch`, waiting at most `max_wait_ms` after
 * the oldest one for a fuller batch. With `share` (the default) every scorer
 * in the process that loads a file with the same content on the same device
 * with the same threads, gate and batching settings uses one engine and one
 * worker (the registry holds it while any such block exists). Each block may
 * have `queue` windows queued or waiting to be emitted; when its queue is
 * full it stops consuming input (back-pressure: upstream buffers fill, memory
 * does not grow). Scores equal an unshared scorer's exactly with max_batch 1;
 * with batching they may differ in the last bits (LibTorch's CPU kernels sum
 * in an order that depends on the batch size; the tests bound the difference).
 *
 * Real time: with `deadline_ms` > 0, a score whose window's last sample
 * arrived more than deadline_ms before the score left (its time in the
 * engine plus the input that had already arrived after it when the window
 * was queued) carries a `tfmed_overrun` tag (double: seconds); the first
 * late window after on-time ones also sends an "overrun" PDU (start, time_s,
 * late_s) on the alarm port. (A source that starts with a burst, like
 * blocks.throttle filling its output buffer, makes its first windows late.)
 * windows_queued(), windows_scored(), queue_depth(), overruns() and
 * latencies() report the block's side; serving() the shared engine's
 * counters as JSON.
 */
class TFMED_API tsrnet_scorer : virtual public gr::block
{
public:
    typedef std::shared_ptr<tsrnet_scorer> sptr;

    /*!
     * \param model_path model file from `tfmed train tsrnet`
     * \param leads channels per input item (must equal the card's)
     * \param sample_rate input rate in Hz (must equal the card's)
     * \param hop samples between window starts (> 0)
     * \param device "auto", "cpu", "cuda" or "cuda:N"
     * \param threshold alarm level; NaN = the card's calibrated threshold
     *        (refused when the card has none)
     * \param threads intra-op threads for CPU inference (>= 1)
     * \param quality_gate flag windows the card's signal-quality gate rejects
     *        (noise, clipping, artefact, no beats) as poor_quality instead of
     *        scoring them
     * \param share use the process-wide engine for this model (see above);
     *        false: a private engine and worker for this block alone
     * \param max_batch windows per network call (1..4096)
     * \param max_wait_ms how long the oldest queued window waits for a
     *        fuller batch (0..10000)
     * \param queue windows this block may have in flight (1..65536)
     * \param deadline_ms lateness beyond which a score is tagged
     *        tfmed_overrun (0: off)
     */
    static sptr make(const std::string& model_path,
                     int leads,
                     double sample_rate,
                     int hop,
                     const std::string& device = "auto",
                     float threshold = std::numeric_limits<float>::quiet_NaN(),
                     int threads = 1,
                     bool quality_gate = true,
                     bool share = true,
                     int max_batch = 16,
                     double max_wait_ms = 2.0,
                     int queue = 32,
                     double deadline_ms = 0.0);

    /*! Alarm threshold in use. */
    virtual float threshold() const = 0;
    /*! Set the alarm threshold (NaN: back to the card's). Thread-safe. */
    virtual void set_threshold(float threshold) = 0;
    /*! Samples per window (the card's). */
    virtual int window() const = 0;
    virtual int hop() const = 0;
    /*! The model card as JSON. */
    virtual std::string card_json() const = 0;
    /*! The device the model runs on, e.g. "cpu". */
    virtual std::string device() const = 0;
    /*! Windows handed to the engine so far. */
    virtual uint64_t windows_queued() const = 0;
    /*! Scores emitted so far. */
    virtual uint64_t windows_scored() const = 0;
    /*! Windows queued or computed and not yet emitted. */
    virtual int queue_depth() const = 0;
    /*! Scores emitted later than deadline_ms on the stream clock. */
    virtual uint64_t overruns() const = 0;
    /*!
     * Seconds from each window's hand-over to the engine (the work() call that
     * brought its last sample) to the emission of its score, for the last
     * 65,536 windows, oldest first.
     */
    virtual std::vector<float> latencies() const = 0;
    /*! The engine's counters as JSON: key, streams, windows, batches,
     *  mean_batch, largest_batch, queued (windows waiting now, not yet in a
     *  batch), max_queued, discarded (windows dropped unrun: of blocks
     *  stopped, restarted or destroyed while they waited), busy_s. */
    virtual std::string serving() const = 0;
};

} // namespace tfmed
} // namespace gr

#endif
