/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/filter.h>
#include <tfmed/io/wfdb.h>
#include <tfmed/models/rpeak_check.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace tfmed {
namespace models {

RpeakCheck check_rpeaks(const io::Recording& r, const RpeakCheckOptions& opt)
{
    if (opt.channel < 0 || opt.channel >= r.channels())
        throw std::invalid_argument("check_rpeaks: expected a channel in [0, " +
                                    std::to_string(r.channels()) + "), found " +
                                    std::to_string(opt.channel));
    if (opt.window_s < 0.0)
        throw std::invalid_argument("check_rpeaks: expected window_s >= 0, found " +
                                    std::to_string(opt.window_s));
    RpeakCheck out;
    std::vector<int64_t> ref;
    for (const auto& a : r.annotations)
        if (io::wfdb_is_beat(a.code))
            ref.push_back(a.sample);
    if (ref.empty())
        throw std::invalid_argument("check_rpeaks: " + r.source +
                                    " has no beat annotations to compare with");
    out.beats = static_cast<int64_t>(ref.size());
    const int64_t n = r.n_samples;
    const int64_t win = opt.window_s > 0.0
                            ? static_cast<int64_t>(std::llround(opt.window_s * r.sample_rate))
                            : n;
    std::vector<int64_t> det;
    for (int64_t b = 0; b < n; b += win) {
        const int64_t e = std::min(n, b + win);
        if (e - b <= 9)
            break;
        ++out.windows;
        std::vector<double> x(static_cast<std::size_t>(e - b));
        bool finite = true;
        for (int64_t t = b; t < e; ++t) {
            x[static_cast<std::size_t>(t - b)] = r.at(t, opt.channel);
            finite = finite && std::isfinite(x[static_cast<std::size_t>(t - b)]);
        }
        if (!finite) {
            ++out.windows_without_peaks;
            continue;
        }
        if (opt.filter) {
            x = dsp::filtfilt(dsp::butter2(1.0, r.sample_rate, true), x);
            x = dsp::filtfilt(dsp::butter2(25.0, r.sample_rate, false), x);
        }
        const auto p = dsp::detect_rpeaks(x, r.sample_rate);
        if (!p.ok())
            ++out.windows_without_peaks;
        for (int64_t v : p.peaks)
            det.push_back(b + v);
    }
    out.detections = static_cast<int64_t>(det.size());
    out.match = dsp::match_beats(
        det, ref, static_cast<int64_t>(std::llround(opt.tolerance_s * r.sample_rate)));
    return out;
}

} // namespace models
} // namespace tfmed
