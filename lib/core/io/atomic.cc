/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/io/atomic.h>

#include <cstdio>
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

} // namespace io
} // namespace tfmed
