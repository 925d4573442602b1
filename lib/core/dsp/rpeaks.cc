/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/rpeaks.h>
#include <tfmed/dsp/stats.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace tfmed {
namespace dsp {

namespace {

// scipy.ndimage.uniform_filter1d(x, size), mode 'reflect', origin 0.
std::vector<double> rolling_mean(const std::vector<double>& x, int64_t size)
{
    const auto n = static_cast<int64_t>(x.size());
    auto at = [&](int64_t i) {
        // half-sample symmetric: d c b a | a b c d | d c b a
        const int64_t period = 2 * n;
        i %= period;
        if (i < 0)
            i += period;
        return x[static_cast<std::size_t>(i < n ? i : period - 1 - i)];
    };
    const int64_t lo_off = size / 2;
    std::vector<double> out(x.size());
    double acc = 0.0;
    for (int64_t k = -lo_off; k < size - lo_off; ++k)
        acc += at(k);
    out[0] = acc / static_cast<double>(size);
    for (int64_t i = 1; i < n; ++i) {
        acc += at(i + size - lo_off - 1) - at(i - lo_off - 1);
        out[static_cast<std::size_t>(i)] = acc / static_cast<double>(size);
    }
    return out;
}

struct Trial {
    std::vector<int64_t> peaks;
    double rrsd = std::numeric_limits<double>::infinity();
    double bpm = 0.0;
};

Trial detect_at(const std::vector<double>& x, const std::vector<double>& rmean,
                double mean_rmean, double ma_perc, double fs)
{
    const double lift = mean_rmean / 100.0 * ma_perc;
    std::vector<int64_t> above;
    for (std::size_t i = 0; i < x.size(); ++i)
        if (x[i] > rmean[i] + lift)
            above.push_back(static_cast<int64_t>(i));
    // HeartPy: edges = [0] + where(diff(peaksx) > 1) + [len]; each segment
    // [edge_k, edge_k+1) is searched for its first maximum.
    std::vector<std::size_t> edges{ 0 };
    for (std::size_t i = 0; i + 1 < above.size(); ++i)
        if (above[i + 1] - above[i] > 1)
            edges.push_back(i);
    edges.push_back(above.size());
    Trial t;
    for (std::size_t e = 0; e + 1 < edges.size(); ++e) {
        const std::size_t b = edges[e], end = edges[e + 1];
        if (b >= end)
            continue; // an empty slice: HeartPy's max() raises and skips it
        std::size_t best = b;
        for (std::size_t i = b + 1; i < end; ++i)
            if (x[static_cast<std::size_t>(above[i])] > x[static_cast<std::size_t>(above[best])])
                best = i;
        t.peaks.push_back(above[best]);
    }
    if (!t.peaks.empty() && static_cast<double>(t.peaks.front()) <= fs / 1000.0 * 150.0)
        t.peaks.erase(t.peaks.begin());
    if (t.peaks.size() >= 2) {
        std::vector<double> rr(t.peaks.size() - 1);
        for (std::size_t i = 0; i + 1 < t.peaks.size(); ++i)
            rr[i] = static_cast<double>(t.peaks[i + 1] - t.peaks[i]) / fs * 1000.0;
        const double m = std::accumulate(rr.begin(), rr.end(), 0.0) / rr.size();
        double ss = 0.0;
        for (double v : rr)
            ss += (v - m) * (v - m);
        t.rrsd = std::sqrt(ss / rr.size());
    }
    t.bpm = static_cast<double>(t.peaks.size()) / (static_cast<double>(x.size()) / fs) * 60.0;
    return t;
}

} // namespace

Rpeaks detect_rpeaks(const std::vector<double>& xin, double fs, const RpeakOptions& opt)
{
    if (!(fs > 0.0) || !std::isfinite(fs))
        throw std::invalid_argument("detect_rpeaks: expected a positive sample rate, found " +
                                    std::to_string(fs));
    const auto size = static_cast<int64_t>(opt.window_s * fs);
    if (size < 1)
        throw std::invalid_argument("detect_rpeaks: expected a rolling-mean window of at "
                                    "least one sample, found window_s * fs = " +
                                    std::to_string(opt.window_s * fs));
    Rpeaks r;
    if (xin.empty())
        return r;
    for (double v : xin)
        if (!std::isfinite(v))
            throw std::invalid_argument("detect_rpeaks: expected finite samples, found NaN "
                                        "or Inf");
    std::vector<double> x = xin;
    const double bl = quantile(x, 0.001); // numpy percentile(x, 0.1)
    if (bl < 0.0)
        for (double& v : x)
            v += std::abs(bl);
    const auto rmean = rolling_mean(x, size);
    const double mean_rmean =
        std::accumulate(rmean.begin(), rmean.end(), 0.0) / static_cast<double>(rmean.size());

    static const double percents[] = { 5,  10, 15, 20,  25,  30,  40,  50,  60,
                                       70, 80, 90, 100, 110, 120, 150, 200, 300 };
    // HeartPy's min() over the qualifying trials: the first of the lowest
    // rrsd, also when every one is Inf (one peak, no interval; `<` against an
    // Inf start took none of them).
    double best_rrsd = std::numeric_limits<double>::infinity();
    bool found = false;
    for (double p : percents) {
        Trial t = detect_at(x, rmean, mean_rmean, p, fs);
        if (t.rrsd > 0.1 && t.bpm >= opt.bpm_min && t.bpm <= opt.bpm_max &&
            (!found || t.rrsd < best_rrsd)) {
            found = true;
            best_rrsd = t.rrsd;
            r.peaks = std::move(t.peaks);
            r.ma_perc = p;
            r.rrsd_ms = t.rrsd;
            r.bpm = t.bpm;
        }
    }
    return r;
}

double BeatMatch::sensitivity() const
{
    const auto d = true_positives + false_negatives;
    return d ? static_cast<double>(true_positives) / d : 0.0;
}

double BeatMatch::positive_predictivity() const
{
    const auto d = true_positives + false_positives;
    return d ? static_cast<double>(true_positives) / d : 0.0;
}

BeatMatch match_beats(const std::vector<int64_t>& det, const std::vector<int64_t>& ref,
                      int64_t tol)
{
    // Candidate pairs within tolerance, taken closest first; each beat once.
    struct Pair {
        int64_t dist;
        std::size_t d, r;
    };
    std::vector<Pair> pairs;
    std::size_t r0 = 0;
    for (std::size_t d = 0; d < det.size(); ++d) {
        while (r0 < ref.size() && ref[r0] < det[d] - tol)
            ++r0;
        for (std::size_t r = r0; r < ref.size() && ref[r] <= det[d] + tol; ++r)
            pairs.push_back({ std::abs(ref[r] - det[d]), d, r });
    }
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const Pair& a, const Pair& b) { return a.dist < b.dist; });
    std::vector<char> dused(det.size(), 0), rused(ref.size(), 0);
    BeatMatch m;
    for (const auto& p : pairs) {
        if (dused[p.d] || rused[p.r])
            continue;
        dused[p.d] = rused[p.r] = 1;
        ++m.true_positives;
    }
    m.false_positives = static_cast<int64_t>(det.size()) - m.true_positives;
    m.false_negatives = static_cast<int64_t>(ref.size()) - m.true_positives;
    return m;
}

} // namespace dsp
} // namespace tfmed
