/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_IO_TABLE_STREAM_H
#define INCLUDED_TFMED_IO_TABLE_STREAM_H

#include <tfmed/io/recording.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief A table (CSV, NPY or UEA `.ts`) as a Recording, for replay as a
 * stream (tfmed.table_source) and for the tools.
 */

namespace tfmed {
namespace io {

struct TableStreamOptions {
    /*! Columns to stream, in order: CSV header names, "0".."C-1" for an NPY
     *  array (T) or (T, C), "dim0".. for a `.ts` file. Empty = every numeric
     *  column except the time and label columns. */
    std::vector<std::string> columns;
    /*! CSV: the column of sample times (seconds, or "YYYY-MM-DD HH:MM:SS"
     *  / "YYYY-MM-DD HH:MM" in UTC, as ETT's `date`); the rate is that of a
     *  line fitted through the times, and a time more than a quarter sample
     *  off it is refused (a gap, a repeat, a jump). "" = none. */
    std::string time_column;
    /*! CSV/NPY: a label column; each change of value becomes an annotation
     *  whose symbol is the value. `.ts` files give their class at the first
     *  sample of every case. "" = none. */
    std::string label_column;
    double sample_rate = 0.0; //!< Hz; required without a time column
};

/*!
 * \brief Read `path` (.csv/.txt, .npy or .ts by extension) as a Recording:
 * one channel per selected column (units ""), `.ts` cases back to back.
 * \throws ReadError naming the file, the column and what was expected
 */
Recording read_table_stream(const std::string& path, const TableStreamOptions& opts);

/*!
 * \brief UTC seconds of "YYYY-MM-DD HH:MM[:SS]" (or a plain number of seconds).
 * \throws std::invalid_argument for anything else
 */
double parse_time(const std::string& text);

} // namespace io
} // namespace tfmed

#endif
