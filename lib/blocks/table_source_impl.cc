/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "recording_source_impl.h"

#include <gnuradio/tfmed/table_source.h>
#include <tfmed/io/table_stream.h>

#include <algorithm>
#include <iterator>

namespace gr {
namespace tfmed {

table_source::sptr table_source::make(const std::string& path,
                                      const std::vector<std::string>& columns,
                                      double sample_rate,
                                      const std::string& time_column,
                                      const std::string& label_column,
                                      bool realtime,
                                      bool repeat,
                                      int64_t start,
                                      int64_t length)
{
    ::tfmed::io::Recording r;
    try {
        ::tfmed::io::TableStreamOptions o;
        o.columns = columns;
        o.sample_rate = sample_rate;
        o.time_column = time_column;
        o.label_column = label_column;
        r = ::tfmed::io::read_table_stream(path, o);
        // The label in force at `start` is tagged there too.
        auto& a = r.annotations;
        const auto after = std::upper_bound(
            a.begin(), a.end(), start,
            [](int64_t s, const ::tfmed::io::Annotation& x) { return s < x.sample; });
        if (start > 0 && after != a.begin() && std::prev(after)->sample < start) {
            auto held = *std::prev(after);
            held.sample = start;
            a.insert(after, held);
        }
        ::tfmed::io::select_samples(r, start, length);
    } catch (const ::tfmed::io::ReadError& e) {
        throw std::invalid_argument(std::string("tfmed.table_source: ") + e.what());
    }
    return gnuradio::make_block_sptr<recording_source_impl<table_source>>(
        "table_source", std::move(r), realtime, repeat, "tfmed_label", true);
}

} // namespace tfmed
} // namespace gr
