/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TABLE_SOURCE_H
#define INCLUDED_TFMED_TABLE_SOURCE_H

#include <gnuradio/tfmed/recording_source.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gr {
namespace tfmed {

/*!
 * \brief Replay a table (CSV, NPY or UEA `.ts`) as a live stream.
 * \ingroup tfmed
 *
 * \details
 * Output: float vectors, one element per selected column (vlen = number of
 * columns). The rate is `sample_rate`, or the file's time column (seconds or
 * "YYYY-MM-DD HH:MM:SS", regular steps). `.ts` cases play back to back.
 * See tfmed/io/table_stream.h.
 *
 * Tags: `sample_rate`, `channel_names` (the column names) and `units` on the
 * first item (see recording_source); `tfmed_label` (symbol) where the label
 * column changes value, and at the first sample of every `.ts` case (its
 * class). Pacing, repeat, start and length: see recording_source.
 *
 * The file is read and checked in make(): an unknown column, an irregular or
 * decreasing time column, a missing rate throw there, naming the file and
 * what was expected.
 */
class TFMED_API table_source : virtual public recording_source
{
public:
    typedef std::shared_ptr<table_source> sptr;

    /*!
     * \param path         .csv / .txt, .npy or .ts
     * \param columns      column names to stream (NPY: "0", "1", ...; .ts:
     *                     "dim0", ...); empty for every numeric column except
     *                     the time and label columns
     * \param sample_rate  Hz; 0 to take it from time_column
     * \param time_column  column of sample times ("" = none)
     * \param label_column column whose changes become tfmed_label tags ("" = none)
     * \param realtime     pace the output at the sample rate
     * \param repeat       start again at the end (forever)
     * \param start        first row to play
     * \param length       rows to play, -1 for the rest
     */
    static sptr make(const std::string& path,
                     const std::vector<std::string>& columns = {},
                     double sample_rate = 0.0,
                     const std::string& time_column = "",
                     const std::string& label_column = "",
                     bool realtime = false,
                     bool repeat = false,
                     int64_t start = 0,
                     int64_t length = -1);
};

} // namespace tfmed
} // namespace gr

#endif
