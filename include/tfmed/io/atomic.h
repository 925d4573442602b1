/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_IO_ATOMIC_H
#define INCLUDED_TFMED_IO_ATOMIC_H

#include <string>

namespace tfmed {
namespace io {

/*!
 * \brief Write `bytes` to `path` atomically: a temporary file beside it
 * (PATH.tmp.PID), flushed, then renamed into place. A reader sees the old
 * file or the new one, never a partial one; on failure the temporary file is
 * removed and nothing at `path` changes.
 * \throws std::runtime_error naming the path and what failed
 */
void write_atomically(const std::string& path, const std::string& bytes);

/*!
 * \brief Refuse an output path before any work is done (not after an hour
 * of training): a directory, a missing folder or a read-only one.
 * \throws std::invalid_argument "PATH: the folder DIR does not exist", ...
 */
void check_writable(const std::string& path);

} // namespace io
} // namespace tfmed

#endif
