/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "text.h"
#include <tfmed/io/table.h>
#include <tfmed/io/table_stream.h>
#include <tfmed/io/ts.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace tfmed {
namespace io {

namespace {


// The file name's extension, lower case ("data.v2/rec" has none).
std::string extension(const std::string& path)
{
    std::string e = std::filesystem::path(path).extension().string();
    if (!e.empty())
        e.erase(0, 1);
    for (auto& ch : e)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return e;
}

std::string number_text(double v)
{
    char b[32];
    std::snprintf(b, sizeof b, "%.10g", v);
    return b;
}

// The names for a message; past 20, the first 10 and the last 2 (an .npy
// of 3600 columns listed them all: 20 KB of error message).
std::string joined(const std::vector<std::string>& v)
{
    std::string s;
    const std::size_t n = v.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (n > 20 && i == 10) {
            s += ", ...";
            i = n - 3; // on to the last two
            continue;
        }
        s += (s.empty() ? "" : ", ") + v[i];
    }
    return n > 20 ? s + " (" + std::to_string(n) + " columns)" : s;
}

// Label changes as annotations.
void label_annotations(Recording& r, const std::vector<std::string>& labels)
{
    for (std::size_t t = 0; t < labels.size(); ++t)
        if (t == 0 || labels[t] != labels[t - 1]) {
            Annotation a;
            a.sample = static_cast<int64_t>(t);
            a.symbol = labels[t];
            r.annotations.push_back(a);
        }
}

// A table of named numeric columns (T rows) + optional text column.
struct Columns {
    std::vector<std::string> names;
    std::vector<std::vector<double>> values;
    std::string text_name;
    std::vector<std::string> text;
    int64_t rows = 0;
};

void finish(const std::string& path, const Columns& c, const TableStreamOptions& o,
            Recording& r)
{
    auto index_of = [&](const std::string& name) -> int {
        const auto it = std::find(c.names.begin(), c.names.end(), name);
        return it == c.names.end() ? -1 : static_cast<int>(it - c.names.begin());
    };
    auto is_text = [&](const std::string& n) { return !c.text_name.empty() && n == c.text_name; };
    // (The text column may be the time or label column, not a streamed one.)
    auto refuse = [&](const std::string& what, const std::string& name) {
        const bool streamed = what == "columns";
        throw ReadError(path, what,
                        "one of " + joined(c.names) +
                            (c.text_name.empty() || streamed
                                 ? ""
                                 : " (or the text column " + c.text_name + ")"),
                        "'" + name + "'" +
                            (streamed && is_text(name) ? " (the text column, not numeric)" : ""));
    };
    for (const auto* n : { &o.time_column, &o.label_column })
        if (!n->empty() && index_of(*n) < 0 && !is_text(*n))
            refuse(n == &o.time_column ? "time column" : "label column", *n);
    std::vector<int> sel;
    if (o.columns.empty()) {
        for (std::size_t i = 0; i < c.names.size(); ++i)
            if (c.names[i] != o.time_column && c.names[i] != o.label_column)
                sel.push_back(static_cast<int>(i));
    } else {
        for (const auto& n : o.columns) {
            const int i = index_of(n);
            if (i < 0)
                refuse("columns", n);
            sel.push_back(i);
        }
    }
    if (sel.empty()) {
        const auto ext = extension(path);
        throw ReadError(path, "columns",
                        ext == "ts"    ? "at least one dimension with values to stream"
                        : ext == "npy" ? "at least one column to stream"
                                       : "at least one numeric column to stream (cells "
                                         "separated by ',')",
                        "none" + std::string(!c.names.empty() ? ""
                                             : ext == "ts"    ? " (no cases after @data)"
                                             : ext == "npy"   ? " (shape (T, 0))"
                                                              : " (a whitespace-separated text "
                                                                "file, as UCR's .txt, reads as "
                                                                "one text column)"));
    }
    r.source = path;
    r.n_samples = c.rows;
    for (int i : sel) {
        r.channel_names.push_back(c.names[static_cast<std::size_t>(i)]);
        r.units.push_back("");
    }
    r.samples.resize(static_cast<std::size_t>(c.rows) * sel.size());
    for (int64_t t = 0; t < c.rows; ++t)
        for (std::size_t k = 0; k < sel.size(); ++k)
            r.samples[static_cast<std::size_t>(t) * sel.size() + k] = text::saturate_float(
                c.values[static_cast<std::size_t>(sel[k])][static_cast<std::size_t>(t)]);
    if (!o.label_column.empty()) {
        std::vector<std::string> lab;
        if (is_text(o.label_column))
            lab = c.text;
        else
            for (double v : c.values[static_cast<std::size_t>(index_of(o.label_column))])
                lab.push_back(number_text(v));
        label_annotations(r, lab);
    }
    double rate = o.sample_rate;
    if (!o.time_column.empty()) {
        std::vector<double> ts;
        if (is_text(o.time_column))
            for (std::size_t i = 0; i < c.text.size(); ++i)
                try {
                    ts.push_back(parse_time(c.text[i]));
                } catch (const std::invalid_argument&) { // (its message names what, not where)
                    throw ReadError(path, "time column " + o.time_column + " row " +
                                              std::to_string(i + 1),
                                    "'YYYY-MM-DD HH:MM[:SS]' (a real date) or seconds",
                                    "'" + c.text[i] + "'");
                }
        else
            ts = c.values[static_cast<std::size_t>(index_of(o.time_column))];
        if (ts.size() < 2)
            throw ReadError(path, "time column " + o.time_column, "at least 2 rows",
                            std::to_string(ts.size()));
        for (std::size_t i = 0; i < ts.size(); ++i)
            if (!std::isfinite(ts[i]))
                throw ReadError(path, "time column " + o.time_column + " row " +
                                          std::to_string(i + 1),
                                "a time", "an empty or non-finite value");
        // The rate of the regular grid fitted through every time (least
        // squares: a median step of times printed to a few decimals is
        // biased, 6 decimals at 128 Hz gave 127.992 Hz; a line through the
        // first and last times carries their rounding into every row). Every
        // time must lie within a quarter sample of its grid point: rounding
        // to the printed precision passes, a missing or repeated row does not.
        const auto n = static_cast<double>(ts.size());
        const double im = (n - 1) / 2;
        double tm = 0.0;
        for (double t : ts)
            tm += (t - ts[0]) / n;
        double sxy = 0.0, sxx = 0.0;
        for (std::size_t i = 0; i < ts.size(); ++i) {
            const double di = static_cast<double>(i) - im;
            sxy += di * (ts[i] - ts[0] - tm);
            sxx += di * di;
        }
        const double from_times = sxy > 0 ? sxx / sxy : 0.0;
        if (!(from_times > 0 && std::isfinite(from_times)))
            throw ReadError(path, "time column " + o.time_column, "increasing times",
                            "times that do not increase (first " + number_text(ts.front()) +
                                " s, last " + number_text(ts.back()) + " s)");
        // The worst row off the grid of rate r (its offset fitted: the mean).
        auto worst = [&](double r) {
            double a = 0.0;
            for (std::size_t i = 0; i < ts.size(); ++i)
                a += ((ts[i] - ts[0]) * r - static_cast<double>(i)) / n;
            std::size_t at = 0;
            double off = 0.0;
            for (std::size_t i = 0; i < ts.size(); ++i) {
                const double e = std::abs((ts[i] - ts[0]) * r - static_cast<double>(i) - a);
                if (e > off)
                    off = e, at = i;
            }
            return std::make_pair(at, off);
        };
        if (rate > 0) {
            // A stated rate is kept when the times fit its grid (it is the
            // exact one; the times are rounded).
            const auto [at, off] = worst(rate);
            if (off > 0.25)
                throw ReadError(path, "sample_rate",
                                number_text(from_times) + " Hz (from the time column) or 0",
                                number_text(rate) + " Hz (row " + std::to_string(at + 1) +
                                    " would be " + number_text(off) + " samples off its grid)");
        } else {
            const auto [at, off] = worst(from_times);
            if (off > 0.25)
                throw ReadError(path, "time column " + o.time_column,
                                "times on a regular grid of " + number_text(from_times) +
                                    " Hz (each within a quarter sample of a line fitted "
                                    "through them)",
                                "row " + std::to_string(at + 1) + " at " + number_text(ts[at]) +
                                    " s, " + number_text(off) +
                                    " samples off the grid (a gap, a repeat or a jump)");
            rate = from_times;
        }
    }
    // (Past 1e12 Hz no sensor samples; a time column 1e-30 s apart, or a typo,
    // gave rates whose real-time pacing overflowed its sample counts.)
    if (!(rate > 0 && rate <= 1e12))
        throw ReadError(path, "sample_rate",
                        "a rate > 0 Hz (or a time column), at most 1e12 Hz",
                        number_text(rate) + " Hz");
    r.sample_rate = rate;
}

} // namespace

double parse_time(const std::string& text)
{
    // The whole text: "YYYY-MM-DD HH:MM" or "... HH:MM:SS" (a zone offset or
    // fractional seconds after it were silently dropped), every field in its
    // range (timegm would turn month 13 into January). Fields are read with
    // from_chars: sscanf's %d on 99999999999 is undefined.
    const char* p = text.data();
    const char* const end = p + text.size();
    auto field = [&](int& v, char after) {
        if (p == end || !std::isdigit(static_cast<unsigned char>(*p)))
            return false;
        const auto r = std::from_chars(p, end, v);
        if (r.ec != std::errc())
            return false;
        p = r.ptr;
        if (after) {
            if (p == end || *p != after)
                return false;
            ++p;
        }
        return true;
    };
    int year = 0, mon = 0, mday = 0, hour = 0, min = 0, sec = 0;
    // (Date and time apart by spaces or tabs, as sscanf's " " took them.)
    auto blanks = [&] {
        const char* from = p;
        while (p != end && (*p == ' ' || *p == '\t'))
            ++p;
        return p != from;
    };
    bool date = field(year, '-') && field(mon, '-') && field(mday, 0) && blanks() &&
                field(hour, ':');
    if (date) {
        const char* before_min = p;
        if (field(min, ':'))
            date = field(sec, 0) && p == end;
        else {
            p = before_min;
            date = field(min, 0) && p == end;
        }
    }
    if (date) {
        if (year < 1 || year > 9999 || mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 ||
            min > 59 || sec > 59)
            throw std::invalid_argument("expected a date and time with year 1-9999, month 1-12, "
                                        "day 1-31, hour 0-23, minute 0-59, second 0-59, found '" +
                                        text + "'");
        std::tm t{};
        t.tm_year = year - 1900;
        t.tm_mon = mon - 1;
        t.tm_mday = mday;
        t.tm_hour = hour;
        t.tm_min = min;
        t.tm_sec = sec;
        const auto v = timegm(&t);
        if (t.tm_mday != mday || t.tm_mon != mon - 1) // (February 30 became March 2)
            throw std::invalid_argument("expected a date that exists, found '" + text + "'");
        return static_cast<double>(v);
    }
    double v = 0; // (seconds: read as the cells are, whatever the locale's decimal mark)
    if (text::parse_real(text, v) && std::isfinite(v))
        return v;
    throw std::invalid_argument("expected 'YYYY-MM-DD HH:MM:SS' or seconds, found '" + text +
                                "'");
}

Recording read_table_stream(const std::string& path, const TableStreamOptions& o)
{
    const auto ext = extension(path);
    Recording r;
    Columns c;
    if (ext == "ts") {
        if (!o.time_column.empty())
            throw ReadError(path, "time column", "none for a .ts file (give sample_rate)",
                            "'" + o.time_column + "'");
        const auto ts = read_ts(path);
        if (ts.has_timestamps)
            throw ReadError(path, "@timeStamps",
                            "evenly sampled values (@timeStamps false) to stream at sample_rate",
                            "(time, value) tuples, which may be irregular");
        // (Checked before a column is made: "@dimensions 2147483647" with no
        // case asked for 2^31 columns.)
        if (ts.n_cases() < 1)
            throw ReadError(path, "@data", "at least one case to stream", "none");
        if (ts.dimensions > 65536)
            throw ReadError(path, "@dimensions", "at most 65536 dimensions to stream side by side",
                            std::to_string(ts.dimensions));
        for (int d = 0; d < ts.dimensions; ++d)
            c.names.push_back("dim" + std::to_string(d));
        c.values.resize(static_cast<std::size_t>(ts.dimensions));
        std::vector<std::string> lab;
        for (int i = 0; i < ts.n_cases(); ++i) {
            const int len = ts.length(i, 0);
            for (int d = 1; d < ts.dimensions; ++d)
                if (ts.length(i, d) != len)
                    throw ReadError(path, "case " + std::to_string(i + 1),
                                    "dimensions of one length to stream side by side",
                                    std::to_string(len) + " and " +
                                        std::to_string(ts.length(i, d)));
            for (int d = 0; d < ts.dimensions; ++d)
                for (float v : ts.cases[static_cast<std::size_t>(i)][static_cast<std::size_t>(d)])
                    c.values[static_cast<std::size_t>(d)].push_back(v);
            const int y = ts.labels.empty() ? -1 : ts.labels[static_cast<std::size_t>(i)];
            if (y >= 0) {
                Annotation a;
                a.sample = c.rows;
                a.symbol = ts.class_names[static_cast<std::size_t>(y)];
                r.annotations.push_back(a);
            } else if (!ts.targets.empty()) { // @targetLabel true: the case's number
                Annotation a;
                a.sample = c.rows;
                a.symbol = number_text(ts.targets[static_cast<std::size_t>(i)]);
                r.annotations.push_back(a);
            }
            c.rows += len;
        }
        if (!o.label_column.empty())
            throw ReadError(path, "label column",
                            "none for a .ts file (its classes are tagged)",
                            "'" + o.label_column + "'");
        finish(path, c, o, r);
        return r;
    }
    if (ext == "npy") {
        const auto a = read_npy(path);
        if (a.shape.empty() || a.shape.size() > 2)
            throw ReadError(path, "shape", "(T) or (T, C)",
                            std::to_string(a.shape.size()) + " dimensions");
        const int64_t cols = a.shape.size() == 2 ? a.shape[1] : 1;
        // (A (0, 10^9) array holds no byte yet named a billion columns.)
        if (a.shape[0] < 1)
            throw ReadError(path, "shape", "(T) or (T, C) with at least one row",
                            std::to_string(a.shape[0]) + " rows");
        if (cols > 65536)
            throw ReadError(path, "shape", "(T, C) with at most 65536 columns",
                            std::to_string(cols) + " columns");
        c.rows = a.shape[0];
        c.values.assign(static_cast<std::size_t>(cols), std::vector<double>());
        for (int64_t k = 0; k < cols; ++k) {
            c.names.push_back(std::to_string(k));
            for (int64_t t = 0; t < c.rows; ++t)
                c.values[static_cast<std::size_t>(k)].push_back(
                    a.data[static_cast<std::size_t>(t * cols + k)]);
        }
        finish(path, c, o, r);
        return r;
    }
    if (ext == "csv" || ext == "txt") {
        const auto t = read_csv(path);
        c.names = t.columns;
        c.rows = t.rows;
        c.values.assign(t.columns.size(), std::vector<double>());
        for (int k = 0; k < t.cols(); ++k)
            for (int64_t i = 0; i < t.rows; ++i)
                c.values[static_cast<std::size_t>(k)].push_back(t.at(i, k));
        c.text_name = t.text_column.empty() ? "" : t.text_column_name;
        c.text = t.text_column;
        finish(path, c, o, r);
        return r;
    }
    throw ReadError(path, "extension", ".csv, .txt, .npy or .ts",
                    ext.empty() ? "none" : "'." + ext + "'");
}

} // namespace io
} // namespace tfmed
