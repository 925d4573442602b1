/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TSRNET_SCORER_H
#define INCLUDED_TFMED_TSRNET_SCORER_H

#include <gnuradio/block.h>
#include <gnuradio/tfmed/api.h>

#include <limits>
#include <string>

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
 * Message port `alarm`: a PDU (metadata dict, empty u8vector) for every window
 * whose score exceeds the threshold (type "alarm") and for every flagged window
 * (type "invalid"). Metadata: type, score, threshold, start (sample), time_s
 * (start / sample_rate), status, detail.
 *
 * The threshold comes from the model card (a quantile of normal training
 * windows' scores) unless set; set_threshold() is thread-safe. A model whose
 * card has no calibrated threshold (null) is refused unless a threshold is
 * given: it would never alarm. The PDU `detail` is one line; a full error
 * message goes to the block's debug log.
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
     */
    static sptr make(const std::string& model_path,
                     int leads,
                     double sample_rate,
                     int hop,
                     const std::string& device = "auto",
                     float threshold = std::numeric_limits<float>::quiet_NaN(),
                     int threads = 1,
                     bool quality_gate = true);

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
};

} // namespace tfmed
} // namespace gr

#endif
