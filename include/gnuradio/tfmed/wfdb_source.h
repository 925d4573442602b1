/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_WFDB_SOURCE_H
#define INCLUDED_TFMED_WFDB_SOURCE_H

#include <gnuradio/tfmed/recording_source.h>

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
 * Multi-frequency records play at their highest signal rate, or at the frame
 * rate (see make()'s sampling); invalid samples and gaps are NaN. See tfmed/io/wfdb.h for the formats read.
 *
 * Tags and pacing: see recording_source.
 *
 * The record is read and checked in make(): a missing file, a checksum
 * mismatch or a bad selection throws there, with the file and field named.
 *
 */
class TFMED_API wfdb_source : virtual public recording_source
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
     * \param sampling  multi-frequency records: "high_rate" (every channel at
     *                  the fastest signal's rate, slower ones held),
     *                  "frame_average" (frame rate, each frame's samples averaged
     *                  in integers as WFDB's getvec/rdsamp do) or "frame_mean"
     *                  (frame rate, exact mean); start/length count samples of
     *                  that rate
     */
    static sptr make(const std::string& record,
                     const std::vector<int>& channels = {},
                     bool realtime = false,
                     bool repeat = false,
                     int64_t start = 0,
                     int64_t length = -1,
                     const std::string& annotator = "atr",
                     const std::string& sampling = "high_rate");

};

} // namespace tfmed
} // namespace gr

#endif /* INCLUDED_TFMED_WFDB_SOURCE_H */
