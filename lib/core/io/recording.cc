/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/io/recording.h>

#include <algorithm>

namespace tfmed {
namespace io {

ReadError::ReadError(const std::string& file,
                     const std::string& field,
                     const std::string& expected,
                     const std::string& found)
    : std::runtime_error(file + ": " + field + ": expected " + expected + ", found " +
                         found)
    , file_(file)
{
}

ReadError::ReadError(const std::string& file, const std::string& message)
    : std::runtime_error(file + ": " + message), file_(file)
{
}

void select_samples(Recording& r, int64_t start, int64_t length)
{
    if (start < 0 || start > r.n_samples)
        throw ReadError(r.source,
                        "start",
                        "0.." + std::to_string(r.n_samples),
                        std::to_string(start));
    const int64_t len =
        length < 0 ? r.n_samples - start : std::min(length, r.n_samples - start);
    if (start == 0 && len == r.n_samples)
        return;
    const int c = r.channels();
    r.samples = std::vector<float>(r.samples.begin() + start * c,
                                   r.samples.begin() + (start + len) * c);
    std::vector<Annotation> kept;
    for (auto a : r.annotations)
        if (a.sample >= start && a.sample < start + len) {
            a.sample -= start;
            kept.push_back(a);
        }
    r.annotations.swap(kept);
    r.n_samples = len;
}

} // namespace io
} // namespace tfmed
