/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_EDF_SOURCE_H
#define INCLUDED_TFMED_EDF_SOURCE_H

#include <gnuradio/tfmed/recording_source.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace tfmed {

/*!
 * \brief Replay an EDF, EDF+ or BDF file as a stream, with its annotations as tags.
 * \ingroup tfmed
 *
 * \details
 * Output: one float stream of vectors, one element per selected channel
 * (vlen = number of channels), in the file's physical units. Every selected
 * signal must have the same sample rate (EDF files often mix rates: select
 * the channels that share one). EDF+D gaps are NaN. See tfmed/io/edf.h.
 *
 * Tags and pacing: see recording_source.
 *
 * The file is read and checked in make(): a missing or truncated file, a
 * header that lies about its sizes or mixed rates throw there, with the file
 * and field named.
 *
 */
class TFMED_API edf_source : virtual public recording_source
{
public:
    typedef std::shared_ptr<edf_source> sptr;

    /*!
     * \param path      the .edf / .bdf file
     * \param channels  indices of ordinary signals (annotation signals are not
     *                  counted) to output, in order; empty for all
     * \param realtime  pace the output at the sample rate
     * \param repeat    start again at the end (forever)
     * \param start     first sample to play
     * \param length    samples to play, -1 for the rest of the record
     */
    static sptr make(const std::string& path,
                     const std::vector<int>& channels = {},
                     bool realtime = false,
                     bool repeat = false,
                     int64_t start = 0,
                     int64_t length = -1);

};

} // namespace tfmed
} // namespace gr

#endif /* INCLUDED_TFMED_EDF_SOURCE_H */
