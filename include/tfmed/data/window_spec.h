/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DATA_WINDOW_SPEC_H
#define INCLUDED_TFMED_DATA_WINDOW_SPEC_H

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Where a labelled window set comes from and how it is split
 * (torch-free; the loader is in window_set.h).
 */

namespace tfmed {
namespace data {

/*! \brief Where windows come from and how they are split. */
struct WindowSetSpec {
    /*! "mitdb_compiled10s", a WFDB record (`.hea`), a `.npy` (N, T) or
     *  (N, C, T) array, or a `.csv` with one window per row. */
    std::string data = "mitdb_compiled10s";
    std::string data_dir;               //!< named sets; "" = $TFMED_DATA_DIR or ../shared/data
    double rate = 0.0;                  //!< .npy / .csv: sample rate of the rows (Hz)
    std::string labels;                 //!< .npy: labels .npy (0 = normal)
    std::vector<std::string> channels;  //!< WFDB: channel names (default: the first)
    uint64_t seed = 668;
    double val_fraction = 0.2, test_fraction = 0.2; //!< of the normal windows
    int64_t max_windows = 0; //!< > 0: keep at most this many normal training windows
    /*! .csv: "auto" (a first line of numbers is data, not a header), "yes", "no". */
    std::string csv_header = "auto";
    /*! Windows with NaN/Inf samples: false refuses the data naming them;
     *  true drops them and reports which (WindowSet::dropped). */
    bool drop_invalid = false;

    /*! As JSON (what a model card records of its data). */
    std::string to_json() const;
    /*! From a card's data JSON; `data_dir` is not stored in cards. */
    static WindowSetSpec from_json(const std::string& json, const std::string& data_dir);
};

} // namespace data
} // namespace tfmed

#endif
