/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "recording_source_impl.h"

namespace gr {
namespace tfmed {

::tfmed::io::Recording select_channels(::tfmed::io::Recording r,
                                       const std::vector<int>& channels,
                                       const std::string& block)
{
    if (channels.empty())
        return r;
    const int c_in = r.channels();
    for (int c : channels)
        if (c < 0 || c >= c_in)
            throw std::invalid_argument(block + ": channel index " + std::to_string(c) +
                                        " out of range: expected 0.." +
                                        std::to_string(c_in - 1) + " for " + r.source +
                                        " (" + std::to_string(c_in) + " channels)");
    ::tfmed::io::Recording s = r;
    const int c_out = static_cast<int>(channels.size());
    s.channel_names.clear();
    s.units.clear();
    for (int c : channels) {
        s.channel_names.push_back(r.channel_names[c]);
        s.units.push_back(r.units[c]);
    }
    s.samples.assign(r.n_samples * c_out, 0.0f);
    for (int64_t t = 0; t < r.n_samples; t++)
        for (int k = 0; k < c_out; k++)
            s.samples[t * c_out + k] = r.samples[t * c_in + channels[k]];
    return s;
}

} // namespace tfmed
} // namespace gr
