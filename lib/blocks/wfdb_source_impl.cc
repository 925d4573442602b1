/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "recording_source_impl.h"
#include <gnuradio/tfmed/wfdb_source.h>
#include <tfmed/io/wfdb.h>

namespace gr {
namespace tfmed {

wfdb_source::sptr wfdb_source::make(const std::string& record,
                                    const std::vector<int>& channels,
                                    bool realtime,
                                    bool repeat,
                                    int64_t start,
                                    int64_t length,
                                    const std::string& annotator,
                                    const std::string& sampling)
{
    ::tfmed::io::WfdbReadOptions o;
    o.start = start;
    o.length = length;
    o.annotator = annotator;
    if (sampling == "high_rate")
        o.sampling = ::tfmed::io::WfdbSampling::high_rate;
    else if (sampling == "frame_average")
        o.sampling = ::tfmed::io::WfdbSampling::frame_average;
    else if (sampling == "frame_mean")
        o.sampling = ::tfmed::io::WfdbSampling::frame_mean;
    else
        throw std::invalid_argument(
            "tfmed.wfdb_source: sampling: expected 'high_rate', 'frame_average' or "
            "'frame_mean', found '" +
            sampling + "'");
    ::tfmed::io::Recording r;
    try {
        r = ::tfmed::io::read_wfdb(record, o);
    } catch (const ::tfmed::io::ReadError& e) {
        // Python sees ValueError for invalid_argument: a bad file is a bad argument.
        throw std::invalid_argument(std::string("tfmed.wfdb_source: ") + e.what());
    }
    if (r.channels() == 0)
        throw std::invalid_argument("tfmed.wfdb_source: " + record +
                                    ": expected at least one signal, found none");
    return gnuradio::make_block_sptr<recording_source_impl<wfdb_source>>(
        "wfdb_source", select_channels(std::move(r), channels, "tfmed.wfdb_source"),
        realtime, repeat);
}

} // namespace tfmed
} // namespace gr
