/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/io/recording.h>

namespace tfmed {
namespace io {

ReadError::ReadError(const std::string& file,
                     const std::string& field,
                     const std::string& expected,
                     const std::string& found)
    : std::runtime_error(file + ": " + field + ": expected " + expected + ", found " + found),
      file_(file)
{
}

ReadError::ReadError(const std::string& file, const std::string& message)
    : std::runtime_error(file + ": " + message), file_(file)
{
}

} // namespace io
} // namespace tfmed
