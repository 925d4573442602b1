/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_IO_TS_H
#define INCLUDED_TFMED_IO_TS_H

#include <tfmed/io/recording.h>

#include <string>
#include <vector>

/*!
 * \file
 * \brief UEA/UCR time-series classification archives in the sktime `.ts` format.
 *
 * \details
 * A `.ts` file is ASCII text:
 *
 * \code
 * # free comment lines
 * @problemName BasicMotions
 * @timeStamps false
 * @missing false
 * @univariate false
 * @dimensions 6
 * @equalLength true
 * @seriesLength 100
 * @classLabel true Standing Running Walking Badminton
 * @data
 * 0.07,0.07,-0.90,...:0.39,0.39,...:...:Standing
 * \endcode
 *
 * After `@data` every non-blank line is one case: the dimensions separated by
 * `:`, the values of a dimension separated by `,`, `?` for a missing value, and
 * the class label (or, with `@targetLabel true`, a numeric regression target)
 * last. With `@timeStamps true` a dimension is a list of `(timestamp,value)`
 * tuples instead; the timestamps are kept as text.
 *
 * The header is checked against the data: a case with a different number of
 * dimensions than `@dimensions`, a series whose length differs from
 * `@seriesLength` (or from the other series when `@equalLength true`), a class
 * label not listed in `@classLabel`, or a value that is not a number fails with
 * a ReadError naming the line, e.g. field "line 17, dimension 3".
 *
 * Keywords are matched case-insensitively, as sktime does; unknown `@` keywords
 * are ignored so that newer archive files still load. Header fields that are
 * absent are inferred from the data (see TsDataset). Torch-free.
 */

namespace tfmed {
namespace io {

/*!
 * \brief A whole `.ts` file: header fields and every case.
 *
 * Values are stored case by case, dimension by dimension:
 * `cases[i][d][t]` is value `t` of dimension `d` of case `i`. Dimensions of one
 * case may have different lengths when `equal_length` is false.
 */
struct TsDataset {
    std::string path;            //!< the file it was read from
    std::string problem_name;    //!< `@problemName` ("" when absent)
    bool univariate = false;     //!< `@univariate`, or `dimensions == 1` when absent
    bool equal_length = false;   //!< `@equalLength`, or inferred from the data
    bool has_timestamps = false; //!< `@timeStamps true`: values came as (t,v) tuples
    bool missing = false;        //!< `@missing true`, or any `?` was read
    bool class_labels = false;   //!< `@classLabel true`: the last field is a class
    bool target_label = false;   //!< `@targetLabel true`: the last field is a number
    int dimensions = 0;          //!< `@dimensions`, or counted in the first case
    int series_length = 0;       //!< common length of every series; 0 if unequal
    std::vector<std::string> class_names; //!< in `@classLabel` order

    /*! `[case][dimension][t]`; a `?` in the file is NaN. */
    std::vector<std::vector<std::vector<float>>> cases;
    /*! One per case: index into class_names, -1 without class labels. */
    std::vector<int> labels;
    /*! One per case with `@targetLabel true` (regression), else empty. */
    std::vector<double> targets;
    /*!
     * `[case][dimension][t]`, the timestamp text of each value, only with
     * `@timeStamps true` (else empty).
     */
    std::vector<std::vector<std::vector<std::string>>> timestamps;

    /*! \brief Number of cases (lines after `@data`). */
    int n_cases() const noexcept { return static_cast<int>(cases.size()); }

    /*! \brief Length of series `d` of case `i` (number of time points). */
    int length(int i, int d) const { return static_cast<int>(cases[i][d].size()); }
};

/*!
 * \brief Read and check a `.ts` file.
 *
 * \param path the `.ts` file
 * \return every case, with labels as indices into `class_names`
 * \throws ReadError when the file cannot be opened, a header line is malformed,
 *         `@data` is missing, or the data contradict the header; the message
 *         names the line (1-based) and, where it applies, the dimension and the
 *         value: "X.ts: line 17, dimension 3: expected 100 values (@seriesLength),
 *         found 99".
 */
TsDataset read_ts(const std::string& path);

} // namespace io
} // namespace tfmed

#endif /* INCLUDED_TFMED_IO_TS_H */
