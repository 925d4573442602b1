/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/io/atomic.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace tfmed {
namespace io {

void write_atomically(const std::string& path, const std::string& bytes)
{
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f)
            throw std::runtime_error(path + ": cannot write (temporary file " + tmp + ")");
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        f.flush();
        if (!f) {
            f.close();
            std::remove(tmp.c_str());
            throw std::runtime_error(path + ": write failed (disk full?)");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw std::runtime_error(path + ": cannot rename the temporary file into place");
    }
}

void check_writable(const std::string& path)
{
    const std::filesystem::path p(path);
    const auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec))
        throw std::invalid_argument(path + ": expected a file path, found a directory");
    if (!std::filesystem::is_directory(dir, ec))
        throw std::invalid_argument(path + ": the folder " + dir.string() + " does not exist");
    if (::access(dir.c_str(), W_OK) != 0)
        throw std::invalid_argument(path + ": the folder " + dir.string() + " is not writable");
}

} // namespace io
} // namespace tfmed
