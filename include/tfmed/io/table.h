/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_IO_TABLE_H
#define INCLUDED_TFMED_IO_TABLE_H

#include <tfmed/io/recording.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Numeric tables: CSV with a header line, and NumPy `.npy` arrays.
 *
 * \details
 * The forecasting and anomaly sets (ETT, MSL, the compiled MIT-BIH and Bonn
 * EEG arrays) come as CSV or `.npy` files. Both readers are torch-free and
 * return plain vectors; a caller wraps them in a tensor without a copy
 * (`torch::from_blob(t.values.data(), {t.rows, t.cols()}, torch::kDouble)`).
 */

namespace tfmed {
namespace io {

/*!
 * \brief A CSV file's numeric columns, row-major, plus an optional text column.
 *
 * When the first cell of the first data row is not a number (ETT's `date`
 * column, "2016-07-01 00:00:00"), the whole first column is kept as text in
 * `text_column`, its header name in `text_column_name`, and it is *not* part
 * of `columns`/`values`. Every other cell must be a number; an empty cell,
 * `NaN`/`nan`, `NA`, `N/A`, `#N/A`, `NULL`/`null` (what pandas and R write for
 * a missing value) is NaN. In a one-column table a blank line between data
 * rows is a missing value too (pandas writes a one-column NaN so); with more
 * columns blank lines are skipped, and trailing ones always.
 */
struct Table {
    std::vector<std::string> columns; //!< names of the numeric columns, in file order
    int64_t rows = 0;                 //!< data rows (lines after the header)
    std::vector<double> values;       //!< rows * columns.size(), row-major
    /*! The first column, one entry per row, when it is not numeric; else empty. */
    std::vector<std::string> text_column;
    std::string text_column_name; //!< its header name ("" when there is none)

    /*! \brief Number of numeric columns. */
    int cols() const noexcept { return static_cast<int>(columns.size()); }

    /*! \brief Value at row `r`, numeric column `c`. */
    double at(int64_t r, int c) const { return values[r * cols() + c]; }

    /*!
     * \brief Index of the numeric column called `name`, or -1.
     * \param name the header name, compared exactly
     */
    int column(const std::string& name) const;
};

/*!
 * \brief Read a CSV file whose first line names the columns.
 *
 * Cells may be quoted with `"` (a doubled `""` inside is one quote); quoted
 * cells cannot span lines. Blank lines are layout as Table says (a missing
 * value in a one-column table), CRLF line ends and a UTF-8 byte-order mark
 * are accepted; a lone carriage return (old Mac line ends) is refused.
 *
 * Header: `CsvHeader::detect` (the default) takes the first line as data
 * (a headerless file would otherwise lose its first row silently; columns
 * named "c0", "c1", ...) when every cell of it is a number or empty, or
 * when it starts with a time stamp or id that begins with a digit
 * ("2016-07-01 00:00:00,1.5,2.5", pandas' `header=False` with a date
 * index) followed by numbers. It takes the first line as a header when it
 * names the columns, and when it is pandas' default labels after its
 * unnamed index (",0,1", ",0"); a plain "0,1,2" is data. `yes` / `no` say
 * so explicitly.
 *
 * \param path the CSV file
 * \param sep the cell separator (',' by default; ';' or '\\t' for other dialects)
 * \param header whether the first line names the columns
 * \throws ReadError when the file cannot be opened, has no header line, a row
 *         has a different number of cells than the header ("ETTh1.csv: line 5:
 *         expected 8 cells (as in the header), found 7"), or a cell that
 *         should be numeric is not ("line 5, column 'OT'").
 */
enum class CsvHeader { detect, yes, no };

Table read_csv(const std::string& path, char sep = ',', CsvHeader header = CsvHeader::detect);

/*!
 * \brief An n-dimensional NumPy array, converted to float.
 *
 * Element `(i, j, ...)` is `data[(i * shape[1] + j) * ...]` (C order). A
 * 0-dimensional array has an empty shape and one element.
 */
struct NpyArray {
    std::vector<int64_t> shape; //!< as in the header; empty for a scalar
    /*! The dtype as written: "<f4", "<f8", "<i2", "<i4", "|i1", "|u1", ... */
    std::string dtype;
    std::vector<float> data; //!< every element, converted to float, C order

    /*! \brief Number of elements (product of the shape). */
    int64_t size() const noexcept { return static_cast<int64_t>(data.size()); }
};

/*!
 * \brief Read a `.npy` file (NumPy format version 1.0, 2.0 or 3.0).
 *
 * Supported element types, little-endian only: float32 `<f4`, float64 `<f8`,
 * signed `|i1` `<i2` `<i4` `<i8`, unsigned `|u1` `<u2` `<u4` `<u8`, and bool
 * `|b1`. Float64 and 64-bit/32-bit integers are rounded to the nearest float
 * (integers above 2^24 lose precision).
 *
 * \param path the `.npy` file
 * \throws ReadError when the file is not a `.npy` file, its header dictionary
 *         is malformed, the array is in Fortran order, the dtype is big-endian,
 *         structured or not listed above, or the data length does not match the
 *         shape ("X.npy: data: expected 5760000 bytes (shape (400, 3600) of <f4),
 *         found 5759996").
 */
NpyArray read_npy(const std::string& path);

} // namespace io
} // namespace tfmed

#endif /* INCLUDED_TFMED_IO_TABLE_H */
