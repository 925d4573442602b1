/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "text.h"
#include <tfmed/io/table.h>


#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>
#include <system_error>

/*
 * CSV, torch-free. Numbers are parsed with std::from_chars: it ignores the C
 * locale (strtod would read "0.5" as 0 in a program that set a locale with
 * ',' as the decimal mark) and never looks past the cell it is given. (The
 * .npy reader, declared in the same header: npy.cc.)
 */

namespace tfmed {
namespace io {

int Table::column(const std::string& name) const
{
    const auto it = std::find(columns.begin(), columns.end(), name);
    return it == columns.end() ? -1 : static_cast<int>(it - columns.begin());
}

namespace {

const double nan_d = std::numeric_limits<double>::quiet_NaN();

using text::open_binary;

using text::is_space;
using text::quote;
using text::read_text_file;
using text::trim;

// A whole cell as a number (see text::parse_real).
bool parse_double(std::string_view s, double& out) { return text::parse_real(s, out); }

/* The spellings of "missing" that pandas (na_values) and R write. "nan" in any
 * case is already a number for from_chars. */
bool is_missing(std::string_view s)
{
    return s.empty() || s == "NA" || s == "N/A" || s == "#N/A" || s == "NULL" ||
           s == "null";
}

/* ------------------------------------------------------------------------ */
/* CSV                                                                      */
/* ------------------------------------------------------------------------ */

/* Split one line into cells. Unquoted cells are trimmed; a quoted cell keeps
 * its inner spaces and may contain the separator. */
void split_cells(std::string_view line,
                 char sep,
                 const std::string& path,
                 int line_no,
                 std::vector<std::string>& cells)
{
    cells.clear();
    size_t i = 0;
    while (true) {
        while (i < line.size() && line[i] != sep && is_space(line[i]))
            ++i;
        if (i < line.size() && line[i] == '"') {
            std::string cell;
            ++i;
            bool closed = false;
            while (i < line.size()) {
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        cell += '"';
                        i += 2;
                        continue;
                    }
                    closed = true;
                    ++i;
                    break;
                }
                cell += line[i++];
            }
            if (!closed)
                throw ReadError(path,
                                "line " + std::to_string(line_no) + ", cell " +
                                    std::to_string(cells.size() + 1),
                                "a closing '\"'", "end of line");
            while (i < line.size() && line[i] != sep && is_space(line[i]))
                ++i;
            if (i < line.size() && line[i] != sep)
                throw ReadError(path,
                                "line " + std::to_string(line_no) + ", cell " +
                                    std::to_string(cells.size() + 1),
                                std::string("'") + sep + "' after a quoted cell",
                                quote(line.substr(i)));
            cells.push_back(std::move(cell));
        } else {
            const size_t e = std::min(line.find(sep, i), line.size());
            cells.emplace_back(trim(line.substr(i, e - i)));
            i = e;
        }
        if (i >= line.size())
            break;
        ++i; // past the separator; a trailing one yields a last, empty cell
    }
}

/* A line with nothing but spaces (and tabs where they do not separate
 * cells: in a tab-separated file "\t\t" is a row of missing values). */
bool blank(std::string_view line, char sep)
{
    for (char c : line)
        if (!(is_space(c) && c != sep))
            return false;
    return true;
}

/* The first line of what pandas writes by default for a frame or series
 * with integer labels: an empty cell (the unnamed index) then "0", "1", ...
 * (",0,1"; ",0" for a series). Taken as a header, not as a row of data. A
 * plain "0,1,2" (index=False) stays data: a headerless file whose channels
 * read 0, 1, 2 is as likely. */
bool pandas_integer_labels(const std::vector<std::string>& cells)
{
    if (cells.size() < 2 || !cells[0].empty())
        return false;
    for (std::size_t c = 1; c < cells.size(); ++c)
        if (cells[c] != std::to_string(c - 1))
            return false;
    return true;
}

/* A headerless row that starts with a time stamp or an id ("2016-07-01
 * 00:00:00", "17:05", "2016/7/1"): a first cell that begins with a digit
 * but is no number, every other cell a number or missing, one number at
 * least. A header's first cell is a name ("date", "t"). */
bool stamped_data_row(const std::vector<std::string>& cells)
{
    if (cells.size() < 2 || cells[0].empty() || !(cells[0][0] >= '0' && cells[0][0] <= '9'))
        return false;
    double x;
    if (parse_double(cells[0], x))
        return false;
    int numbers = 0;
    for (std::size_t c = 1; c < cells.size(); ++c) {
        if (parse_double(cells[c], x))
            ++numbers;
        else if (!is_missing(cells[c]))
            return false;
    }
    return numbers > 0;
}

} // namespace

Table read_csv(const std::string& path, char sep, CsvHeader header_mode)
{
    const std::string text = read_text_file(path, "CSV file");
    std::string_view all(text);
    if (all.substr(0, 3) == "\xEF\xBB\xBF") // UTF-8 byte-order mark (Excel)
        all.remove_prefix(3);

    Table t;
    std::vector<std::string> header, cells;
    int header_line = 0;
    bool has_header = true;
    bool first_text = false;
    int line_no = 0;
    // Blank lines after the header of a one-column table: missing values
    // (pandas writes a one-column NaN as an empty line), kept as NaN rows once
    // a later data row shows they were not trailing. With more columns a
    // missing row is written as separators (",,"), so a blank line there is
    // layout and skipped. Blank lines before a headerless one-column table's
    // first row are missing values too (pandas' header=False).
    int64_t blank_rows = 0, leading_blanks = 0;
    size_t pos = 0;
    while (pos < all.size()) {
        size_t eol = all.find('\n', pos);
        if (eol == std::string_view::npos)
            eol = all.size();
        std::string_view line = all.substr(pos, eol - pos);
        pos = eol + 1;
        ++line_no;
        while (!line.empty() && line.back() == '\r') // (Excel writes \r\r\n at times)
            line.remove_suffix(1);
        if (line.find('\r') != std::string_view::npos)
            throw ReadError(path, "line " + std::to_string(line_no),
                            "lines ending in \\n or \\r\\n",
                            "a carriage return inside the line (old Mac line ends, \\r alone)");
        if (blank(line, sep)) {
            blank_rows += header_line != 0 && header.size() == 1;
            leading_blanks += header_line == 0;
            continue;
        }

        if (header_line == 0) {
            split_cells(line, sep, path, line_no, header);
            header_line = line_no;
            bool numeric = header_mode == CsvHeader::no;
            if (header_mode == CsvHeader::detect) {
                int numbers = 0;
                bool other = false;
                for (const auto& c : header) {
                    double x;
                    if (parse_double(c, x))
                        ++numbers;
                    else if (!is_missing(c))
                        other = true;
                }
                numeric = (numbers > 0 && !other && !pandas_integer_labels(header)) ||
                          stamped_data_row(header);
            }
            has_header = !numeric;
            if (has_header)
                continue;
            // No header: this line is the first data row.
            if (header.size() == 1)
                blank_rows = leading_blanks;
            cells = header;
            for (std::size_t c = 0; c < header.size(); ++c)
                header[c] = "c" + std::to_string(c);
        } else {
            split_cells(line, sep, path, line_no, cells);
        }
        if (cells.size() != header.size())
            throw ReadError(path, "line " + std::to_string(line_no),
                            std::to_string(header.size()) +
                                (has_header ? " cells (as in the header, line "
                                            : " cells (as in the first row, line ") +
                                std::to_string(header_line) + ")",
                            std::to_string(cells.size()) + " cells");
        if (t.rows == 0) {
            // The first data row decides whether column 0 is text (a date, an
            // id): a cell that is neither a number nor a missing-value marker.
            double x;
            first_text = !is_missing(cells[0]) && !parse_double(cells[0], x);
            const size_t first_numeric = first_text ? 1 : 0;
            if (first_text)
                t.text_column_name = header[0];
            t.columns.assign(header.begin() + first_numeric, header.end());
        }
        for (; blank_rows > 0; --blank_rows, ++t.rows) {
            if (first_text)
                t.text_column.emplace_back();
            else
                t.values.push_back(nan_d);
        }
        for (size_t c = 0; c < cells.size(); ++c) {
            if (c == 0 && first_text) {
                t.text_column.push_back(std::move(cells[0]));
                continue;
            }
            double x = nan_d;
            if (!is_missing(cells[c]) && !parse_double(cells[c], x))
                throw ReadError(path,
                                "line " + std::to_string(line_no) + ", column '" +
                                    header[c] + "'",
                                "a number or an empty cell", quote(cells[c]));
            t.values.push_back(x);
        }
        ++t.rows;
    }
    if (header_line == 0)
        throw ReadError(path, "header", "a first line naming the columns",
                        text.empty() ? "an empty file" : "only blank lines");
    if (t.rows == 0)
        t.columns = header; // no data row to tell a text column from a number
    return t;
}

} // namespace io
} // namespace tfmed
