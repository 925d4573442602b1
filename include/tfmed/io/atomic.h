/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_IO_ATOMIC_H
#define INCLUDED_TFMED_IO_ATOMIC_H

#include <string>
#include <vector>

namespace tfmed {
namespace io {

/*!
 * \brief Write `bytes` to `path` atomically: a temporary file beside it
 * (PATH.tmp.PID), flushed to the disk (fsync), then renamed into place and
 * the folder synced. A reader sees the old
 * file or the new one, never a partial one; on failure the temporary file is
 * removed and nothing at `path` changes. A symbolic link stays a link: its
 * target is replaced. A path that is a device, FIFO or socket
 * (`/dev/stdout`, a pipe) cannot be renamed over; it is written in place.
 * This process's descriptors (`-` for standard output, `/dev/stdout`,
 * `/dev/fd/N`) are written through the descriptor, after what was printed.
 * \throws std::runtime_error naming the path and what failed
 */
void write_atomically(const std::string& path, const std::string& bytes);

/*!
 * \brief Refuse an output path before any work is done (not after an hour
 * of training): a directory, a missing folder or a read-only one (for a
 * link: its target's folder; for a device or FIFO: the path itself).
 * \throws std::invalid_argument "PATH: the folder DIR does not exist", ...
 */
void check_writable(const std::string& path);

/*!
 * \brief check_writable(path) for a training's model, which is a file with
 * its checkpoint (PATH.ckpt) and lock (PATH.lock) beside it: `-`, this
 * process's descriptors (`/dev/stdout`, `/dev/fd/N`) and devices or FIFOs
 * are refused by name as well.
 * \throws std::invalid_argument "PATH: expected a file path for the model
 *         (its checkpoint and lock go beside it), found standard output"
 */
void check_model_output(const std::string& path);

/*!
 * \brief Refuse `-`, this process's descriptors (`/dev/stdout`, `/dev/fd/N`)
 * and devices or FIFOs as the output `path` of a binary file `what` ("the
 * model", "the state dict"): a command that reports on standard output would
 * mix its report into the file, and a half-written stream cannot be removed.
 * \throws std::invalid_argument "PATH: expected a file path for WHAT, found
 *         a descriptor or device"
 */
void refuse_non_file(const std::string& path, const std::string& what);

/*!
 * \brief check_writable(out), and refuse an output that is one of the
 * command's inputs or its other outputs: the same file, by inode where both
 * exist, else by their canonical paths. Empty entries are skipped.
 * \throws std::invalid_argument "OUT: expected an output other than the
 *         input X, found the same file" (or "the output X")
 */
void check_distinct_output(const std::string& out,
                           const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs = {});

/*!
 * \brief An exclusive lock on an output path for as long as this object
 * lives: two training runs into one `-o` would otherwise mix (one run's
 * weights, the other's history and threshold).
 *
 * \details The lock is `flock(2)` on `PATH.lock`, which holds a line naming
 * the holder (pid, host, start time, what). The kernel releases it when the
 * holder exits, also on `kill -9`, so a stale `.lock` file never blocks a
 * later run; the file is removed on release.
 * \throws std::runtime_error naming the holder when another process (or
 * another lock in this process) holds it
 * \throws std::invalid_argument for `-`, a descriptor or a device path (a
 * model needs a file: its checkpoint and lock go beside it)
 */
class OutputLock
{
public:
    OutputLock(const std::string& path, const std::string& what);
    ~OutputLock();
    OutputLock(const OutputLock&) = delete;
    OutputLock& operator=(const OutputLock&) = delete;
    /*! The lock file. */
    const std::string& path() const { return lock_path_; }

private:
    std::string lock_path_;
    int fd_ = -1;
};

} // namespace io
} // namespace tfmed

#endif
