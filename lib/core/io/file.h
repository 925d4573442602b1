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

} // namespace file
} // namespace io
} // namespace tfmed

#endif
