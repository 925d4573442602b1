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

Recording slice_samples(const Recording& r, int64_t start, int64_t length)
{
    if (start < 0 || start > r.n_samples)
        throw ReadError(r.source,
                        "start",
                        "0.." + std::to_string(r.n_samples),
                        std::to_string(start));
    if (length < -1)
        throw ReadError(r.source, "length", "-1 (to the end) or a count >= 0",
                        std::to_string(length));
    const int64_t len =
        length < 0 ? r.n_samples - start : std::min(length, r.n_samples - start);
    Recording s;
    s.source = r.source;
    s.sample_rate = r.sample_rate;
    s.channel_names = r.channel_names;
    s.units = r.units;
    s.comments = r.comments;
    s.n_samples = len;
    const int c = r.channels();
    s.samples.assign(r.samples.begin() + start * c, r.samples.begin() + (start + len) * c);
    for (auto a : r.annotations)
        if (a.sample >= start && a.sample < start + len) {
            a.sample -= start;
            s.annotations.push_back(a);
        }
    return s;
}

void select_samples(Recording& r, int64_t start, int64_t length)
{
    if (start == 0 && (length == -1 || length >= r.n_samples))
        return;
    r = slice_samples(r, start, length);
}

} // namespace io
} // namespace tfmed
