/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every fuzz target shares: the readers take paths, so each input is
 * written to a file in a scratch folder of this process (/tmp/tfmed_fuzz_<pid>),
 * overwritten on every iteration and removed when the process exits normally.
 *
 * A target calls a reader inside TFMED_FUZZ_READ(...): a ReadError is the
 * expected answer to a broken file and is swallowed; anything else (another
 * exception, which reaches std::terminate; a sanitizer report; a hang; an
 * allocation over libFuzzer's -malloc_limit_mb) is a finding.
 */
#ifndef INCLUDED_TFMED_FUZZ_COMMON_H
#define INCLUDED_TFMED_FUZZ_COMMON_H

#include <tfmed/io/recording.h>

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace tfmed_fuzz {

/*! This process's scratch folder, created on first use (never destroyed, so that
 *  the exit handler that removes the folder can still read its name). */
inline const std::string& scratch_dir()
{
    static const std::string* const dir = [] {
        auto* d = new std::string("/tmp/tfmed_fuzz_" + std::to_string(::getpid()));
        std::filesystem::create_directories(*d);
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(*dir, ec);
        });
        return d;
    }();
    return *dir;
}

/*! Write `size` bytes to `name` in the scratch folder; returns the path. */
inline std::string write_file(const std::string& name, const uint8_t* data, size_t size)
{
    const std::string path = scratch_dir() + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        std::perror(path.c_str());
        std::abort(); // the harness is broken, not the reader
    }
    if (size > 0 && std::fwrite(data, 1, size, f) != size) {
        std::perror(path.c_str());
        std::abort();
    }
    std::fclose(f);
    return path;
}

inline std::string write_file(const std::string& name, const std::string& text)
{
    return write_file(name, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

} // namespace tfmed_fuzz

/*! Run `stmt`; a ReadError is an expected outcome, anything else escapes. */
#define TFMED_FUZZ_READ(...)                    \
    do {                                        \
        try {                                   \
            __VA_ARGS__;                        \
        } catch (const tfmed::io::ReadError&) { \
        }                                       \
    } while (0)

#endif /* INCLUDED_TFMED_FUZZ_COMMON_H */
