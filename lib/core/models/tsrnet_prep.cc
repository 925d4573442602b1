/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/filter.h>
#include <tfmed/dsp/rpeaks.h>
#include <tfmed/models/tsrnet_prep.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>

namespace tfmed {
namespace models {

void TsrnetPrep::validate() const
{
    auto fail = [](const std::string& what, const std::string& found) {
        throw std::invalid_argument("TsrnetPrep: expected " + what + ", found " + found);
    };
    if (!(sample_rate > 0.0))
        fail("sample_rate > 0", std::to_string(sample_rate));
    if (window <= 9)
        fail("window > 9 samples", std::to_string(window));
    if (crop_begin < 0 || crop_length <= 0 || crop_begin + crop_length > window)
        fail("0 <= crop_begin and crop_begin + crop_length <= window (" +
                 std::to_string(window) + ")",
             "crop_begin " + std::to_string(crop_begin) + ", crop_length " +
                 std::to_string(crop_length));
    const double nyq = sample_rate / 2.0;
    if (highpass_hz < 0.0 || highpass_hz >= nyq)
        fail("0 <= highpass_hz < " + std::to_string(nyq), std::to_string(highpass_hz));
    if (lowpass_hz < 0.0 || lowpass_hz >= nyq)
        fail("0 <= lowpass_hz < " + std::to_string(nyq), std::to_string(lowpass_hz));
    if (notch_hz < 0.0 || notch_hz >= nyq)
        fail("0 <= notch_hz < " + std::to_string(nyq), std::to_string(notch_hz));
    if (notch_hz > 0.0 && !(notch_q > 0.0))
        fail("notch_q > 0", std::to_string(notch_q));
    if (notch_hz > 0.0) {
        // The reference's notch (35 Hz, Q 0.005: a -3 dB band of 7000 Hz) is
        // the identity only where 7000 / fs is whole (tan(pi 7000 / fs) = 0:
        // 500, 250, 1000 Hz). Elsewhere it low-passes the ECG (360 Hz: gain
        // 0.17 at 10 Hz), cancels it (400 Hz) or is unstable (128 Hz: NaN).
        // A notch must be stable and keep the QRS band (5 and 15 Hz) within
        // 0.5 to 2 of its level.
        const auto f = dsp::iirnotch(notch_hz, notch_q, sample_rate);
        const double a1 = f.a[1], a2 = f.a[2];
        // (The identity, b = a: at 200 Hz tan rounds to -1e-16 and a2 to 1 + 1e-14.)
        const bool identity = std::abs(f.b[0] - 1.0) < 1e-9;
        const bool stable = identity || (std::abs(a2) < 1.0 && std::abs(a1) < 1.0 + a2);
        auto gain = [&](double hz) { // |H(e^jw)|
            const auto z1 = std::polar(1.0, -2.0 * M_PI * hz / sample_rate); // z^-1
            return std::abs((f.b[0] + z1 * (f.b[1] + z1 * f.b[2])) / (1.0 + z1 * (a1 + z1 * a2)));
        };
        double worst = 1.0, at = 0.0;
        for (const double hz : { 5.0, 15.0 })
            if (hz < nyq && std::abs(notch_hz - hz) > 1.0) {
                const double g = gain(hz);
                if (!(std::abs(std::log(g)) <= std::abs(std::log(worst))))
                    worst = g, at = hz;
            }
        if (!stable || !(worst >= 0.5 && worst <= 2.0))
            fail("a stable notch that keeps the QRS band (gain 0.5 to 2 at 5 and 15 Hz; the "
                 "reference's 35 Hz, Q 0.005 is the identity only where 7000 / sample_rate "
                 "is whole: 500, 250, 1000 Hz; set notch_hz 0 or a real Q)",
                 "notch " + std::to_string(notch_hz) + " Hz, Q " + std::to_string(notch_q) +
                     " at " + std::to_string(sample_rate) + " Hz: " +
                     (stable ? "gain " + std::to_string(worst) + " at " + std::to_string(at) +
                                   " Hz"
                             : std::string("unstable (a pole on or outside the unit circle)")));
    }
    if (peak_half_window <= 0)
        fail("peak_half_window > 0", std::to_string(peak_half_window));
    if (rpeak_lead < 0)
        fail("rpeak_lead >= 0", std::to_string(rpeak_lead));
    if (!(flat_range >= 0.0))
        fail("flat_range >= 0", std::to_string(flat_range));
}

const char* to_string(WindowStatus s)
{
    switch (s) {
    case WindowStatus::ok:
        return "ok";
    case WindowStatus::non_finite:
        return "non_finite";
    case WindowStatus::flat:
        return "flat";
    case WindowStatus::no_rpeaks:
        return "no_rpeaks";
    case WindowStatus::poor_quality:
        return "poor_quality";
    case WindowStatus::score_non_finite:
        return "score_non_finite";
    }
    return "unknown";
}

PreparedWindow prepare_window(const float* in, int64_t leads, const TsrnetPrep& p,
                              bool need_peaks)
{
    if (leads <= 0)
        throw std::invalid_argument("prepare_window: expected leads > 0, found " +
                                    std::to_string(leads));
    PreparedWindow w;
    const auto n = static_cast<std::size_t>(p.window);
    const auto L = static_cast<std::size_t>(leads);
    w.x.assign(static_cast<std::size_t>(p.crop_length) * L, 0.0f);
    w.peak_mask.assign(static_cast<std::size_t>(p.crop_length), 0.0f);

    std::vector<std::vector<double>> lead(L, std::vector<double>(n));
    for (std::size_t c = 0; c < L; ++c) {
        double lo = INFINITY, hi = -INFINITY;
        for (std::size_t t = 0; t < n; ++t) {
            const double v = in[t * L + c];
            if (!std::isfinite(v)) {
                w.status = WindowStatus::non_finite;
                w.detail = "lead " + std::to_string(c) + ": NaN/Inf at sample " +
                           std::to_string(t);
                w.reason = "lead " + std::to_string(c) + ": non_finite";
                return w;
            }
            lead[c][t] = v;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        if (hi - lo < p.flat_range) {
            w.status = WindowStatus::flat;
            w.detail = "lead " + std::to_string(c) + ": range " + std::to_string(hi - lo) +
                       " below " + std::to_string(p.flat_range);
            w.reason = "lead " + std::to_string(c) + ": flat";
            return w;
        }
    }
    for (auto& v : lead) {
        if (p.highpass_hz > 0.0)
            v = dsp::filtfilt(dsp::butter2(p.highpass_hz, p.sample_rate, true), v);
        if (p.notch_hz > 0.0)
            v = dsp::filtfilt(dsp::iirnotch(p.notch_hz, p.notch_q, p.sample_rate), v);
        if (p.lowpass_hz > 0.0)
            v = dsp::filtfilt(dsp::butter2(p.lowpass_hz, p.sample_rate, false), v);
        // (A filter that diverged read as a flat, zero lead and was scored.)
        if (!std::all_of(v.begin(), v.end(), [](double s) { return std::isfinite(s); })) {
            const auto c = static_cast<std::size_t>(&v - lead.data());
            w.status = WindowStatus::non_finite;
            w.detail = "lead " + std::to_string(c) + ": the filters' output is not finite";
            w.reason = "lead " + std::to_string(c) + ": filter_non_finite";
            return w;
        }
        if (p.normalize) {
            const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
            const double lo = *mn, range = *mx - *mn;
            for (double& s : v)
                s = range > 0.0 ? 2.0 * (s - lo) / range - 1.0 : 0.0;
        }
    }
    for (std::size_t t = 0; t < static_cast<std::size_t>(p.crop_length); ++t)
        for (std::size_t c = 0; c < L; ++c)
            w.x[t * L + c] = static_cast<float>(lead[c][t + static_cast<std::size_t>(p.crop_begin)]);
    if (!need_peaks)
        return w;

    const auto rl = static_cast<std::size_t>(std::min<int64_t>(p.rpeak_lead, leads - 1));
    w.rpeaks = dsp::detect_rpeaks(lead[rl], p.sample_rate).peaks;
    const int64_t shift = p.peak_offset_quirk ? 0 : p.crop_begin;
    bool any = false;
    for (int64_t r0 : w.rpeaks) {
        const int64_t r = r0 - shift;
        if (!(r > p.peak_margin_begin && r < p.crop_length - p.peak_margin_end))
            continue;
        const int64_t b = std::max<int64_t>(0, r - p.peak_half_window);
        const int64_t e = std::min<int64_t>(p.crop_length, r + p.peak_half_window);
        for (int64_t t = b; t < e; ++t)
            w.peak_mask[static_cast<std::size_t>(t)] = 1.0f;
        any = true;
    }
    if (!any) {
        w.status = WindowStatus::no_rpeaks;
        w.detail = w.rpeaks.empty()
                       ? "no R-peak threshold gave 40-180 bpm with varying RR (lead " +
                             std::to_string(rl) + ")"
                       : "no R peak inside the scored part of the crop (lead " +
                             std::to_string(rl) + ")";
        w.reason = "lead " + std::to_string(rl) + ": no_rpeaks";
    }
    return w;
}

} // namespace models
} // namespace tfmed
