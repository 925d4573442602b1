/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_DATA_CMD_H
#define INCLUDED_TFMED_APPS_DATA_CMD_H

#include <tfmed/io/recording.h>

#include <string>
#include <vector>

namespace tfmed {
namespace apps {

/*! A WFDB record (path with or without .hea) or an EDF/BDF file. */
io::Recording read_any_recording(const std::string& path);

/*! Print what PATH holds (.hea, .edf/.bdf, .ts, .npy, .csv). */
int data_inspect(const std::string& path);

/*! PNG of channels of a recording between two times, with annotation markers. */
int data_plot(const std::string& path,
              double from,
              double to,
              const std::vector<int>& channels,
              const std::string& out);

} // namespace apps
} // namespace tfmed

#endif
