/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "recording_source_impl.h"
#include <gnuradio/tfmed/edf_source.h>
#include <tfmed/io/edf.h>

namespace gr {
namespace tfmed {

edf_source::sptr edf_source::make(const std::string& path,
                                  const std::vector<int>& channels,
                                  bool realtime,
                                  bool repeat,
                                  int64_t start,
                                  int64_t length)
{
    const std::string me = "tfmed.edf_source";
    ::tfmed::io::Recording r;
    try {
        ::tfmed::io::EdfFile f = ::tfmed::io::read_edf(path);
        if (f.signals.empty())
            throw std::invalid_argument(me + ": " + path +
                                        ": expected at least one ordinary signal, found "
                                        "none (annotations only)");
        // Select before joining: EDF files often mix rates, and only the
        // selected signals have to share one.
        if (!channels.empty()) {
            std::vector<::tfmed::io::EdfSignal> keep;
            for (int c : channels) {
                if (c < 0 || c >= static_cast<int>(f.signals.size()))
                    throw std::invalid_argument(
                        me + ": channel index " + std::to_string(c) +
                        " out of range: expected 0.." +
                        std::to_string(f.signals.size() - 1) + " for " + path + " (" +
                        std::to_string(f.signals.size()) + " signals)");
                keep.push_back(f.signals[c]);
            }
            f.signals = std::move(keep);
        }
        r = ::tfmed::io::to_recording(f);
    } catch (const ::tfmed::io::ReadError& e) {
        throw std::invalid_argument(me + ": " + e.what());
    }
    try {
        ::tfmed::io::select_samples(r, start, length);
    } catch (const ::tfmed::io::ReadError& e) {
        throw std::invalid_argument(me + ": " + e.what());
    }
    return gnuradio::make_block_sptr<recording_source_impl<edf_source>>(
        "edf_source", std::move(r), realtime, repeat);
}

} // namespace tfmed
} // namespace gr
