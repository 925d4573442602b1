/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Text-file helpers shared by the text readers (ts.cc, table.cc). Internal.
 */
#ifndef INCLUDED_TFMED_LIB_IO_TEXT_H
#define INCLUDED_TFMED_LIB_IO_TEXT_H

#include "file.h"
#include <tfmed/io/recording.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cmath>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <system_error>

namespace tfmed {
namespace io {
namespace text {

/* Open for reading, or a ReadError that names the path and what was expected
 * (file.h: directories and other non-regular files are refused). */
inline std::ifstream open_binary(const std::string& path, const std::string& what = "file")
{
    return file::open_input(path, what);
}

/* Whole file in memory: the archive files are a few MB at most, and parsing
 * from a buffer with string_views keeps every access bounds-checked by length. */
inline std::string read_text_file(const std::string& path, const std::string& what = "file")
{
    return file::read_all<std::string>(path, what);
}

inline bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

inline std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

/* Text quoted for an error message: bounded, so that a binary file or a
 * 5000-character line does not end up whole in the message. */
inline std::string quote(std::string_view s)
{
    constexpr size_t max_chars = 40;
    std::string out = "'";
    for (size_t i = 0; i < s.size() && i < max_chars; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    if (s.size() > max_chars)
        out += "...";
    return out + "'";
}

/* from_chars with the conventions of a text file: a leading '+' is allowed
 * (from_chars rejects it), the whole field must be a number, and a value
 * outside the type's range becomes +-inf or 0 as strtod would give, instead of
 * an error (from_chars leaves `out` untouched then). */
/* A double as float, beyond float's range +-Inf (the plain cast is undefined). */
inline float saturate_float(double v)
{
    constexpr double big = std::numeric_limits<float>::max();
    if (v > big)
        return std::numeric_limits<float>::infinity();
    if (v < -big)
        return -std::numeric_limits<float>::infinity();
    return static_cast<float>(v);
}

/*! The power of ten of a well-formed decimal number's first significant
 *  digit ("0.0012" -> -3, "1500e-10" -> -7, "1e500" -> 500), saturated at
 *  +-10^9; 0 for a number without one (zero). Out of range tells a huge
 *  number from a tiny one by this, not by the exponent's sign alone
 *  ("0.000...1" with 330 zeros and "1000...0e-10" with 500 zeros). */
inline int64_t decimal_order(std::string_view s)
{
    if (!s.empty() && (s.front() == '-' || s.front() == '+'))
        s.remove_prefix(1);
    const auto ex = s.find_first_of("eE");
    int64_t exp10 = 0;
    if (ex != std::string_view::npos) {
        std::string_view e = s.substr(ex + 1);
        const bool neg = !e.empty() && e.front() == '-';
        if (!e.empty() && (e.front() == '-' || e.front() == '+'))
            e.remove_prefix(1);
        for (char c : e)
            if (c >= '0' && c <= '9')
                exp10 = std::min<int64_t>(exp10 * 10 + (c - '0'), 1000000000);
        exp10 = neg ? -exp10 : exp10;
        s = s.substr(0, ex);
    }
    const auto dot = s.find('.');
    const std::string_view whole = s.substr(0, dot);
    for (std::size_t i = 0; i < whole.size(); ++i)
        if (whole[i] >= '1' && whole[i] <= '9')
            return exp10 + static_cast<int64_t>(whole.size() - i) - 1;
    if (dot != std::string_view::npos)
        for (std::size_t i = dot + 1; i < s.size(); ++i)
            if (s[i] >= '1' && s[i] <= '9')
                return exp10 - static_cast<int64_t>(i - dot);
    return 0;
}

template <typename T>
inline bool parse_real(std::string_view s, T& out)
{
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
        if (!s.empty() && s.front() == '-') // "+-1" is no number
            return false;
    }
    if (s.empty())
        return false;
    const char* b = s.data();
    const char* e = b + s.size();
    const auto r = std::from_chars(b, e, out);
    if (r.ptr != e)
        return false;
    if (r.ec == std::errc::result_out_of_range) {
        // A well-formed number whose magnitude is out of T's range: +-Inf,
        // or +-0 for one too small (no strtod: it reads the locale's
        // decimal mark, which a Qt flowgraph sets). A float field within
        // double's range is read as a double first.
        if constexpr (std::is_same_v<T, float>) {
            double d;
            const auto rd = std::from_chars(b, e, d);
            if (rd.ptr == e && rd.ec == std::errc()) {
                out = saturate_float(d);
                return true;
            }
        }
        const bool negative = s.front() == '-';
        const bool tiny = decimal_order(s) < 0;
        const T inf = std::numeric_limits<T>::infinity();
        out = tiny ? (negative ? -T(0) : T(0)) : (negative ? -inf : inf);
        return true;
    }
    return r.ec == std::errc();
}

} // namespace text
} // namespace io
} // namespace tfmed

#endif
