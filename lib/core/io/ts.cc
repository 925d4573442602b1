/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "text.h"
#include <tfmed/io/ts.h>

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
 * The sktime `.ts` format, as written by the UEA/UCR archive and described in
 * sktime's `load_from_tsfile`. Numbers are parsed with std::from_chars, which,
 * unlike strtod, ignores the C locale (a program that set a locale with ','
 * as the decimal mark would otherwise read "0.5" as 0) and never reads past
 * the end of the field it is given.
 */

namespace tfmed {
namespace io {

namespace {

using text::is_space;
using text::quote;
using text::read_text_file;
using text::trim;

char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

std::vector<std::string_view> split_ws(std::string_view s)
{
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_space(s[i]))
            ++i;
        const size_t b = i;
        while (i < s.size() && !is_space(s[i]))
            ++i;
        if (i > b)
            out.push_back(s.substr(b, i - b));
    }
    return out;
}

/* Split on `sep`; with `paren_aware`, separators inside (...) do not count
 * (timestamps such as "(2007-01-01 00:00:00,241.9)" contain ':' and ','). */
std::vector<std::string_view>
split(std::string_view s, char sep, bool paren_aware = false)
{
    std::vector<std::string_view> out;
    int depth = 0;
    size_t b = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if (paren_aware && s[i] == '(')
            ++depth;
        else if (paren_aware && s[i] == ')' && depth > 0)
            --depth;
        else if (s[i] == sep && depth == 0) {
            out.push_back(s.substr(b, i - b));
            b = i + 1;
        }
    }
    out.push_back(s.substr(b));
    return out;
}

using text::parse_real;

bool parse_int(std::string_view s, int& out)
{
    s = trim(s);
    if (!s.empty() && s.front() == '+')
        s.remove_prefix(1);
    const char* e = s.data() + s.size();
    const auto r = std::from_chars(s.data(), e, out);
    return !s.empty() && r.ec == std::errc() && r.ptr == e;
}

std::string at_line(int line) { return "line " + std::to_string(line); }

/*! The parser's state: the header as declared, then the cases as they come. */
class TsParser
{
public:
    explicit TsParser(const std::string& path) : path_(path) { ds_.path = path; }

    TsDataset parse(const std::string& text);

private:
    void header_line(std::string_view t, int line);
    void finish_header();
    void data_line(std::string_view t, int line);
    std::vector<float> parse_values(std::string_view dim, int line, int d);
    std::vector<float>
    parse_tuples(std::string_view dim, int line, int d, std::vector<std::string>& stamps);
    void check_length(size_t n, int line, int d);
    bool parse_bool(const std::vector<std::string_view>& tok, int line);

    const std::string path_;
    TsDataset ds_;

    // What the header declared (-1: not declared), and where.
    int declared_dimensions_ = -1, dimensions_line_ = 0;
    int declared_length_ = -1, length_line_ = 0;
    int declared_equal_ = -1, declared_univariate_ = -1, univariate_line_ = 0;
    int class_label_line_ = 0, target_label_line_ = 0;
    // The first series seen, which fixes the length under "@equalLength true"
    // when @seriesLength is absent.
    int first_length_ = -1, first_length_line_ = 0;
    bool all_equal_ = true;
};

bool TsParser::parse_bool(const std::vector<std::string_view>& tok, int line)
{
    const std::string field = at_line(line) + ", " + std::string(tok[0]);
    if (tok.size() < 2)
        throw ReadError(path_, field, "true or false", "nothing");
    if (iequals(tok[1], "true"))
        return true;
    if (iequals(tok[1], "false"))
        return false;
    throw ReadError(path_, field, "true or false", quote(tok[1]));
}

void TsParser::header_line(std::string_view t, int line)
{
    const auto tok = split_ws(t);
    const std::string_view key = tok[0];
    const std::string field = at_line(line) + ", " + std::string(key);

    if (iequals(key, "@problemName")) {
        // The name is the rest of the line (names have no spaces in the archive,
        // but nothing in the format forbids them).
        ds_.problem_name = std::string(trim(t.substr(key.size())));
    } else if (iequals(key, "@timeStamps")) {
        ds_.has_timestamps = parse_bool(tok, line);
    } else if (iequals(key, "@missing")) {
        ds_.missing = parse_bool(tok, line);
    } else if (iequals(key, "@univariate")) {
        declared_univariate_ = parse_bool(tok, line) ? 1 : 0;
        univariate_line_ = line;
    } else if (iequals(key, "@equalLength")) {
        declared_equal_ = parse_bool(tok, line) ? 1 : 0;
    } else if (iequals(key, "@dimensions") || iequals(key, "@seriesLength")) {
        int v = 0;
        if (tok.size() != 2 || !parse_int(tok[1], v) || v < 1)
            throw ReadError(path_, field, "one integer >= 1",
                            tok.size() < 2 ? "nothing"
                                           : quote(trim(t.substr(key.size()))));
        if (iequals(key, "@dimensions")) {
            declared_dimensions_ = v;
            dimensions_line_ = line;
        } else {
            declared_length_ = v;
            length_line_ = line;
        }
    } else if (iequals(key, "@classLabel")) {
        ds_.class_labels = parse_bool(tok, line);
        class_label_line_ = line;
        ds_.class_names.clear();
        if (ds_.class_labels) {
            if (tok.size() < 3)
                throw ReadError(path_, field, "'true' followed by the class names",
                                "no class names");
            for (size_t i = 2; i < tok.size(); ++i) {
                for (const auto& n : ds_.class_names)
                    if (n == tok[i])
                        throw ReadError(path_, field, "distinct class names",
                                        quote(tok[i]) + " twice");
                ds_.class_names.emplace_back(tok[i]);
            }
        } else if (tok.size() > 2) {
            throw ReadError(path_, field, "no class names after 'false'", quote(tok[2]));
        }
    } else if (iequals(key, "@targetLabel")) {
        ds_.target_label = parse_bool(tok, line);
        target_label_line_ = line;
    }
    // Other keywords are ignored: later archive versions add informative ones,
    // and none of them changes how the data lines are laid out.
}

/* Consistency of the header with itself, checked once at @data. */
void TsParser::finish_header()
{
    if (ds_.class_labels && ds_.target_label)
        throw ReadError(path_, at_line(target_label_line_) + ", @targetLabel",
                        "false when @classLabel is true (line " +
                            std::to_string(class_label_line_) + ")",
                        "true");
    if (declared_univariate_ == 1) {
        if (declared_dimensions_ > 1)
            throw ReadError(path_, at_line(dimensions_line_) + ", @dimensions",
                            "1 (@univariate true, line " +
                                std::to_string(univariate_line_) + ")",
                            std::to_string(declared_dimensions_));
        declared_dimensions_ = 1;
    }
    ds_.dimensions = declared_dimensions_ > 0 ? declared_dimensions_ : 0;
}

void TsParser::check_length(size_t n, int line, int d)
{
    const std::string field = at_line(line) + ", dimension " + std::to_string(d);
    const std::string found = std::to_string(n) + " values";
    // @seriesLength is only binding for equal-length files: for unequal ones
    // some writers put the maximum length there.
    if (declared_equal_ != 0 && declared_length_ > 0 &&
        n != static_cast<size_t>(declared_length_))
        throw ReadError(path_, field,
                        std::to_string(declared_length_) +
                            " values (@seriesLength, line " +
                            std::to_string(length_line_) + ")",
                        found);
    if (first_length_ < 0) {
        first_length_ = static_cast<int>(n);
        first_length_line_ = line;
        return;
    }
    if (n == static_cast<size_t>(first_length_))
        return;
    all_equal_ = false;
    if (declared_equal_ == 1)
        throw ReadError(path_, field,
                        std::to_string(first_length_) +
                            " values (@equalLength true; line " +
                            std::to_string(first_length_line_) + ", dimension 1 has " +
                            std::to_string(first_length_) + ")",
                        found);
}

std::vector<float> TsParser::parse_values(std::string_view dim, int line, int d)
{
    std::vector<float> v;
    v.reserve(dim.size() / 4 + 1);
    int k = 0;
    for (std::string_view tok : split(dim, ',')) {
        ++k;
        tok = trim(tok);
        float x = 0.0f;
        if (tok == "?") {
            x = std::numeric_limits<float>::quiet_NaN();
            ds_.missing = true;
        } else if (!parse_real(tok, x)) {
            throw ReadError(path_,
                            at_line(line) + ", dimension " + std::to_string(d) +
                                ", value " + std::to_string(k),
                            "a number or '?'", tok.empty() ? "nothing" : quote(tok));
        }
        v.push_back(x);
    }
    return v;
}

std::vector<float> TsParser::parse_tuples(std::string_view dim,
                                          int line,
                                          int d,
                                          std::vector<std::string>& stamps)
{
    std::vector<float> v;
    int k = 0;
    size_t i = 0;
    auto fail = [&](std::string_view found) {
        throw ReadError(path_,
                        at_line(line) + ", dimension " + std::to_string(d) + ", value " +
                            std::to_string(k),
                        "a '(timestamp,value)' tuple",
                        found.empty() ? "nothing" : quote(found));
    };
    while (true) {
        ++k;
        while (i < dim.size() && is_space(dim[i]))
            ++i;
        if (i >= dim.size() || dim[i] != '(')
            fail(dim.substr(std::min(i, dim.size())));
        const size_t close = dim.find(')', i);
        if (close == std::string_view::npos)
            fail(dim.substr(i));
        const std::string_view inner = dim.substr(i + 1, close - i - 1);
        // The value follows the last comma: a timestamp may itself be free text.
        const size_t comma = inner.rfind(',');
        if (comma == std::string_view::npos)
            fail(dim.substr(i, close - i + 1));
        const std::string_view value = trim(inner.substr(comma + 1));
        float x = 0.0f;
        if (value == "?") {
            x = std::numeric_limits<float>::quiet_NaN();
            ds_.missing = true;
        } else if (!parse_real(value, x)) {
            fail(dim.substr(i, close - i + 1));
        }
        v.push_back(x);
        stamps.emplace_back(trim(inner.substr(0, comma)));
        i = close + 1;
        while (i < dim.size() && is_space(dim[i]))
            ++i;
        if (i >= dim.size())
            break;
        if (dim[i] != ',')
            fail(dim.substr(i));
        ++i;
    }
    return v;
}

void TsParser::data_line(std::string_view t, int line)
{
    const bool labelled = ds_.class_labels || ds_.target_label;
    const auto fields = split(t, ':', ds_.has_timestamps);
    const int n_fields = static_cast<int>(fields.size());
    if (ds_.dimensions == 0) {
        // No @dimensions: the first case decides, and the others must agree.
        ds_.dimensions = n_fields - (labelled ? 1 : 0);
        if (ds_.dimensions < 1)
            throw ReadError(path_, at_line(line),
                            "at least one dimension before the class label", quote(t));
    }
    // 64-bit: "@dimensions 2147483647" plus the label field must not overflow.
    const int64_t expected = static_cast<int64_t>(ds_.dimensions) + (labelled ? 1 : 0);
    if (n_fields != expected) {
        const std::string what = std::to_string(ds_.dimensions) + " dimensions" +
                                 (ds_.class_labels   ? " and a class label"
                                  : ds_.target_label ? " and a target"
                                                     : "");
        const std::string from =
            declared_dimensions_ > 0 ? "@dimensions" : "as on the first case";
        throw ReadError(path_, at_line(line),
                        what + " (" + std::to_string(expected) +
                            " ':'-separated fields, " + from + ")",
                        std::to_string(n_fields) + " fields");
    }

    std::vector<std::vector<float>> c(ds_.dimensions);
    std::vector<std::vector<std::string>> stamps;
    if (ds_.has_timestamps)
        stamps.resize(ds_.dimensions);
    for (int d = 0; d < ds_.dimensions; ++d) {
        c[d] = ds_.has_timestamps ? parse_tuples(fields[d], line, d + 1, stamps[d])
                                  : parse_values(fields[d], line, d + 1);
        check_length(c[d].size(), line, d + 1);
    }

    if (ds_.class_labels) {
        const std::string_view label = trim(fields.back());
        int idx = -1;
        for (size_t i = 0; i < ds_.class_names.size(); ++i)
            if (ds_.class_names[i] == label)
                idx = static_cast<int>(i);
        if (idx < 0) {
            std::string names;
            for (const auto& n : ds_.class_names)
                names += (names.empty() ? "" : ", ") + n;
            throw ReadError(path_, at_line(line) + ", class label",
                            "one of " + names + " (@classLabel, line " +
                                std::to_string(class_label_line_) + ")",
                            label.empty() ? "nothing" : quote(label));
        }
        ds_.labels.push_back(idx);
    } else if (ds_.target_label) {
        const std::string_view target = trim(fields.back());
        double y = 0.0;
        if (!parse_real(target, y))
            throw ReadError(path_, at_line(line) + ", target", "a number",
                            target.empty() ? "nothing" : quote(target));
        ds_.targets.push_back(y);
        ds_.labels.push_back(-1);
    } else {
        ds_.labels.push_back(-1);
    }
    ds_.cases.push_back(std::move(c));
    if (ds_.has_timestamps)
        ds_.timestamps.push_back(std::move(stamps));
}

TsDataset TsParser::parse(const std::string& text)
{
    std::string_view all(text);
    if (all.substr(0, 3) == "\xEF\xBB\xBF") // UTF-8 byte-order mark, as the CSV reader
        all.remove_prefix(3);
    bool in_data = false;
    int line = 0;
    size_t pos = 0;
    while (pos < all.size()) {
        size_t eol = all.find('\n', pos);
        if (eol == std::string_view::npos)
            eol = all.size();
        std::string_view raw = all.substr(pos, eol - pos);
        pos = eol + 1;
        ++line;
        while (!raw.empty() && raw.back() == '\r')
            raw.remove_suffix(1);
        // (trim() counts \r as a blank: a file with \r alone between lines read
        // as one header line, "expected a '@data' line, found end of file")
        if (raw.find('\r') != std::string_view::npos)
            throw ReadError(path_, at_line(line), "lines ending in \\n or \\r\\n",
                            "a carriage return inside the line (old Mac line ends, \\r alone)");
        const std::string_view t = trim(raw);
        // Blank lines and comments may appear anywhere; a data line never
        // starts with '#', so skipping comments after @data is unambiguous.
        if (t.empty() || t.front() == '#')
            continue;
        if (in_data) {
            data_line(t, line);
        } else if (t.front() != '@') {
            throw ReadError(path_, at_line(line),
                            "a '@' header line or a '#' comment before @data", quote(t));
        } else if (iequals(split_ws(t)[0], "@data")) {
            finish_header();
            in_data = true;
        } else {
            header_line(t, line);
        }
    }
    if (!in_data)
        throw ReadError(path_, "@data", "a '@data' line before the cases",
                        "end of file after line " + std::to_string(line));

    // Header fields that were not declared are inferred from what was read.
    const bool have_series = first_length_ >= 0;
    ds_.equal_length = declared_equal_ >= 0 ? declared_equal_ == 1 : all_equal_;
    if (ds_.equal_length)
        ds_.series_length = declared_length_ > 0 ? declared_length_
                            : have_series        ? first_length_
                                                 : 0;
    ds_.univariate =
        declared_univariate_ >= 0 ? declared_univariate_ == 1 : ds_.dimensions == 1;
    return std::move(ds_);
}

} // namespace

TsDataset read_ts(const std::string& path)
{
    const std::string text = read_text_file(path, ".ts file");
    TsParser p(path);
    return p.parse(text);
}

} // namespace io
} // namespace tfmed
