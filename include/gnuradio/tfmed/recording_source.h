/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_RECORDING_SOURCE_H
#define INCLUDED_TFMED_RECORDING_SOURCE_H

#include <gnuradio/sync_block.h>
#include <gnuradio/tfmed/api.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace tfmed {

/*!
 * \brief What every recording replay block (wfdb_source, edf_source,
 * table_source) offers.
 * \ingroup tfmed
 *
 * \details
 * Output: one float stream of vectors, one element per selected channel
 * (vlen = channels()), in physical units; missing samples are NaN.
 *
 * Tags:
 *  - on the first item: `sample_rate` (double, Hz), `channel_names` and
 *    `units` (PMT vectors of strings, one per output channel);
 *  - at the exact sample of every annotation: `annotation`, a dict with
 *    `symbol`, `aux`, `code`, `subtype`, `channel`, `num` (and `duration` in
 *    seconds when the annotation has one; EDF+ annotations: their text as
 *    `symbol` and `aux`, code 0). With repeat, each pass tags its own
 *    samples. table_source tags `tfmed_label` symbols instead (see there).
 *
 * Pacing: with realtime = true the block releases samples at the recording's
 * sample rate, in slices of at most 20 ms, like a live sensor; otherwise as
 * fast as the graph takes them. The recording is read and checked when the
 * block is made, so a bad file fails in make(), never in work().
 */
class TFMED_API recording_source : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<recording_source> sptr;

    virtual int channels() const = 0;
    virtual double sample_rate() const = 0;
    virtual std::vector<std::string> channel_names() const = 0;
    virtual std::vector<std::string> units() const = 0;
    /*! Samples per channel in one pass. */
    virtual int64_t n_samples() const = 0;
    /*! Annotations in one pass. */
    virtual size_t n_annotations() const = 0;
};

} // namespace tfmed
} // namespace gr

#endif /* INCLUDED_TFMED_RECORDING_SOURCE_H */
