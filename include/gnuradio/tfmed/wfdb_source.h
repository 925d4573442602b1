/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_WFDB_SOURCE_H
#define INCLUDED_TFMED_WFDB_SOURCE_H

#include <gnuradio/sync_block.h>
#include <gnuradio/tfmed/api.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace tfmed {

/*!
 * \brief Replay a WFDB record (PhysioNet) as a stream, with its annotations as tags.
 * \ingroup tfmed
 *
 * \details
 * Output: one float stream of vectors, one element per selected channel
 * (vlen = number of channels), in the record's physical units (e.g. mV).
 * Multi-frequency records play at their highest signal rate; invalid samples
 * and gaps are NaN. See tfmed/io/wfdb.h for the formats read.
 *
 * Tags:
 *  - on the first item: `sample_rate` (double, Hz), `channel_names` and
 *    `units` (PMT vectors of strings, one per output channel);
 *  - at the exact sample of every annotation: `annotation`, a dict with
 *    `symbol` ("N", "V", "+", ...), `aux` (e.g. "(AFIB"), `code`, `subtype`,
 *    `channel` and `num`. With repeat, each pass tags its own samples.
 *
 * The record is read and checked in make(): a missing file, a checksum
 * mismatch or a bad selection throws there, with the file and field named.
 *
 * Pacing: with realtime = true the block releases samples at the record's
 * sample rate, in slices of at most 20 ms, like a live sensor; otherwise as
 * fast as the graph takes them.
 */
class TFMED_API wfdb_source : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<wfdb_source> sptr;

    /*!
     * \param record    record path without extension (e.g. ".../mitdb/100")
     * \param channels  channel indices to output, in order; empty for all
     * \param realtime  pace the output at the sample rate
     * \param repeat    start again at the end (forever)
     * \param start     first sample to play
     * \param length    samples to play, -1 for the rest of the record
     * \param annotator annotation file extension to tag from ("" for none;
     *                  a missing file is not an error)
     */
    static sptr make(const std::string& record,
                     const std::vector<int>& channels = {},
                     bool realtime = false,
                     bool repeat = false,
                     int64_t start = 0,
                     int64_t length = -1,
                     const std::string& annotator = "atr");

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

#endif /* INCLUDED_TFMED_WFDB_SOURCE_H */
