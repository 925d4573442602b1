/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opening an input file, shared by every reader in lib/core/io. Internal.
 *
 * One place decides what a reader may open: a regular file. A directory opens
 * fine with std::ifstream on Linux and only fails at the first read, with
 * "basic_filebuf::underflow ... Is a directory" and no file name; a FIFO would
 * block. Both are refused up front, naming the path and what was expected.
 */
#ifndef INCLUDED_TFMED_LIB_IO_FILE_H
#define INCLUDED_TFMED_LIB_IO_FILE_H

#include <tfmed/io/recording.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace tfmed {
namespace io {
namespace file {

/* "a WFDB header file", "an EDF/BDF file": `what` is a noun phrase without
 * article, as it also appears in "cannot open WFDB header file (...)". */
inline std::string with_article(const std::string& what)
{
    const bool vowel = !what.empty() && std::strchr("aeiouAEIOU", what[0]) != nullptr;
    return (vowel ? "an " : "a ") + what;
}

/* Open `path` for binary reading, or a ReadError naming the path and `what`
 * was expected: "x.hea: is a directory, expected a WFDB header file",
 * "x.dat: cannot open WFDB signal file (Permission denied)". */
inline std::ifstream open_input(const std::string& path, const std::string& what)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (fs::is_directory(st))
        throw ReadError(path, "is a directory, expected " + with_article(what));
    if (fs::exists(st) && !fs::is_regular_file(st))
        throw ReadError(path,
                        "is not a regular file (a device, FIFO or socket), expected " +
                            with_article(what));
    errno = 0;
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        const int err = errno != 0 ? errno : (fs::exists(st) ? EACCES : ENOENT);
        throw ReadError(path, "cannot open " + what + " (" + std::strerror(err) + ")");
    }
    return f;
}

/* The whole file, as a std::string or a std::vector of bytes. */
template <typename Buffer>
inline Buffer read_all(const std::string& path, const std::string& what)
{
    std::ifstream f = open_input(path, what);
    Buffer out;
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec)
        out.reserve(static_cast<size_t>(size));
    char buf[1 << 16];
    while (f.read(buf, sizeof buf) || f.gcount() > 0)
        out.insert(out.end(), buf, buf + f.gcount());
    if (f.bad())
        throw ReadError(path,
                        "read error in " + what + " (" + std::strerror(errno) + ")");
    return out;
}

inline bool valid_utf8(std::string_view s)
{
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        int more;
        if (c < 0x80)
            more = 0;
        else if (c >= 0xC2 && c <= 0xDF)
            more = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            more = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            more = 3;
        else
            return false;
        if (i + more >= s.size() && more > 0)
            return false;
        for (int k = 1; k <= more; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80)
                return false;
        }
        i += more + 1;
    }
    return true;
}

/* Text from a file as valid UTF-8, so that every string handed out is: kept
 * when it is UTF-8 already, else read as Latin-1 (the single-byte code page
 * writers that disobey their format almost always use, e.g. 0xB0 for the
 * degree sign) and re-encoded. */
inline std::string as_utf8(std::string_view s)
{
    if (valid_utf8(s))
        return std::string(s);
    std::string out;
    out.reserve(s.size() + 8);
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.push_back(ch);
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

} // namespace file
} // namespace io
} // namespace tfmed

#endif
