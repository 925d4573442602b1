/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_SPECAR_H
#define INCLUDED_TFMED_SPECAR_H

#include <gnuradio/block.h>
#include <gnuradio/tfmed/api.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gr {
namespace tfmed {

/*!
 * \brief SpecAR-Net on a live stream; what it does comes from the model
 * card's task.
 * \ingroup tfmed
 *
 * \details
 * Input: float vectors of `channels` values (vlen = channels), in the units
 * the model was trained on (the card's standardisation is applied inside).
 * The card's channel count must equal `channels`; a mismatch, a hop that does
 * not suit the task or an `out_vlen` other than the task's is refused at
 * construction, naming both sides. Windows are the card's seq_len samples.
 *
 * - **anomaly_detection**: output = one float per input sample, the anomaly
 *   energy of that sample (mean over channels of the squared reconstruction
 *   error, standardised units). Windows start every `hop` samples (1 <= hop
 *   <= seq_len); the first window gives the energies of all its samples,
 *   each later one those of its `hop` newest samples, so output item i is the
 *   energy of input sample i, known once its window is complete: the first
 *   window's samples up to seq_len - 1 samples later, later ones `hop` - 1
 *   at most.
 *   hop = seq_len scores non-overlapping windows (the `tfmed eval specar`
 *   energies); hop 1 scores every window the reference scores. Each emitted
 *   segment's first item carries `tfmed_score` (its largest energy) and
 *   `tfmed_window_start`; a segment above the threshold (the card's, from
 *   training energies, unless `threshold` is given) publishes an "alarm" PDU
 *   on `alarm` (type, score, threshold, start, end, time_s).
 * - **long_term_forecast**: every `hop` samples, one output vector of
 *   pred_len x channels values (time-major, physical units): the forecast of
 *   the pred_len samples after the window, tagged `tfmed_forecast_start`
 *   (uint64, the first forecast sample's input index). Output item k comes
 *   from the window [k*hop, k*hop + seq_len).
 * - **imputation**: output = the input, item for item (the samples after
 *   the last whole window at the stream's end are not output), with NaN
 *   (or +-Inf) samples (a dropped sensor) replaced by the network's values;
 *   observed samples pass unchanged, even when the network fails (then the
 *   window goes out as it came, tagged `tfmed_invalid`). Non-overlapping windows of
 *   seq_len (hop must be seq_len or 0): the stream index is not shifted, the
 *   latency is one window. Items with filled values carry `tfmed_imputed`
 *   (the number of channels filled); a non-finite filled value gives
 *   `tfmed_invalid` ("non_finite_output") and an "invalid" PDU.
 * - **classification**: every `hop` samples, one float, the class index of
 *   the window [k*hop, k*hop + seq_len), tagged `tfmed_label` (class name)
 *   and `tfmed_probabilities` (f32vector); a "decision" PDU on `alarm`
 *   (class, label, probability, start).
 *
 * Windows with a non-finite sample (except in imputation, where NaN means
 * missing) give NaN outputs, a `tfmed_invalid` tag and an "invalid" PDU. A
 * failure inside the network is logged and treated the same way; work()
 * never throws. Models with time features (forecasting and imputation on
 * ETT) get hour/weekday/day features computed from `start_time` (UTC
 * seconds of the first sample) and the card's sample rate; a lock()/unlock()
 * restarts them there (GNU Radio 3.10 restarts the item counts; see
 * window_feeder.h). Samples after the last complete window when the stream
 * ends are reported in the log. Upstream tags are not propagated (the
 * outputs carry the block's own tags).
 *
 * Serving is tsrnet_scorer's (engine/serve.h): the network runs on a worker
 * thread shared by every specar block of the same model file content,
 * device, threads and batching settings (`share`), in batches of up to
 * `max_batch` windows across streams (each window with its own stream's time
 * features); `queue` windows in flight per block, then back-pressure;
 * `deadline_ms` > 0 tags late windows `tfmed_overrun`.
 */
class TFMED_API specar : virtual public gr::block
{
public:
    typedef std::shared_ptr<specar> sptr;

    /*!
     * \param model_path model file from `tfmed train specar`
     * \param channels values per input item (must equal the card's)
     * \param hop samples between window starts (0 = the task's default:
     *        seq_len, except 1 for forecasting)
     * \param device "auto", "cpu", "cuda" or "cuda:N"
     * \param threads intra-op threads for CPU inference (>= 1)
     * \param threshold anomaly alarm level; NaN = the card's (the only value
     *        a forecasting, imputation or classification model takes)
     * \param start_time UTC seconds of the first sample (time features)
     * \param out_vlen expected output vector length (0 = the task's:
     *        pred_len x channels for forecasting, channels for imputation,
     *        1 otherwise); a different non-zero value is refused
     * \param share use the process-wide engine for this model; false: a private one
     * \param max_batch windows per network call (1..4096)
     * \param max_wait_ms how long the oldest queued window waits for a fuller batch
     * \param queue windows this block may have in flight (1..65536)
     * \param deadline_ms lateness beyond which a window is tagged tfmed_overrun (0: off)
     */
    static sptr make(const std::string& model_path,
                     int channels,
                     int hop = 0,
                     const std::string& device = "auto",
                     int threads = 1,
                     float threshold = std::numeric_limits<float>::quiet_NaN(),
                     double start_time = 0.0,
                     int out_vlen = 0,
                     bool share = true,
                     int max_batch = 16,
                     double max_wait_ms = 2.0,
                     int queue = 32,
                     double deadline_ms = 0.0);

    virtual std::string task() const = 0;
    virtual int window() const = 0;
    virtual int hop() const = 0;
    virtual int out_vlen() const = 0;
    /*! The alarm level in use: the one set, else the card's (NaN for a
     *  model that raises no alarms). */
    virtual float threshold() const = 0;
    /*! A new alarm level for the following windows; NaN goes back to the
     *  card's. Other models than anomaly detection take NaN only. */
    virtual void set_threshold(float threshold) = 0;
    virtual std::vector<std::string> class_names() const = 0;
    virtual std::string card_json() const = 0;
    virtual std::string device() const = 0;
    virtual uint64_t windows_queued() const = 0;  //!< windows handed to the engine
    virtual uint64_t windows_emitted() const = 0; //!< windows whose output is out
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
