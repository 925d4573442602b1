/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/filter.h>
#include <tfmed/models/sqi.h>

#include "card_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace tfmed {
namespace models {

using nlohmann::json;

namespace {

// numpy's default percentile: linear interpolation between order statistics.
double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0.0;
    std::sort(v.begin(), v.end());
    const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(std::floor(pos));
    const double f = pos - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] + f * (v[i + 1] - v[i]) : v[i];
}

double variance(const std::vector<double>& v)
{
    const double m = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    double s = 0.0;
    for (double x : v)
        s += (x - m) * (x - m);
    return s / static_cast<double>(v.size());
}

// Local maxima of x at least `height`, then no two closer than `distance`
// samples, higher peaks first (scipy.signal.find_peaks with height and
// distance; a plateau's peak is its middle sample).
std::vector<int64_t> find_peaks(const std::vector<double>& x, double height, int64_t distance)
{
    std::vector<int64_t> cand;
    const auto n = static_cast<int64_t>(x.size());
    for (int64_t i = 1; i + 1 < n; ++i) {
        if (!(x[i] > x[i - 1]))
            continue;
        int64_t j = i;
        while (j + 1 < n && x[j + 1] == x[i])
            ++j;
        if (j + 1 < n && x[j + 1] < x[i] && x[i] >= height)
            cand.push_back((i + j) / 2);
        i = j;
    }
    std::vector<std::size_t> order(cand.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return x[cand[a]] > x[cand[b]]; });
    std::vector<bool> keep(cand.size(), true);
    for (std::size_t k : order) {
        if (!keep[k])
            continue;
        for (std::size_t j = k; j-- > 0 && cand[k] - cand[j] < distance;)
            keep[j] = false;
        for (std::size_t j = k + 1; j < cand.size() && cand[j] - cand[k] < distance; ++j)
            keep[j] = false;
    }
    std::vector<int64_t> out;
    for (std::size_t k = 0; k < cand.size(); ++k)
        if (keep[k])
            out.push_back(cand[k]);
    return out;
}

// Runs of at least `min_len` samples with pred true; returns (runs, samples).
template <typename Pred>
std::pair<int64_t, int64_t> runs(const std::vector<double>& x, int64_t min_len, Pred pred)
{
    int64_t n_runs = 0, n_samples = 0, len = 0;
    for (std::size_t i = 0; i <= x.size(); ++i) {
        if (i < x.size() && pred(x[i])) {
            ++len;
            continue;
        }
        if (len >= min_len) {
            ++n_runs;
            n_samples += len;
        }
        len = 0;
    }
    return { n_runs, n_samples };
}

std::string num(double v)
{
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

} // namespace

std::string QualityOptions::to_json() const
{
    return json{ { "enabled", enabled },
                 { "method", "kurtosis + beat match + saturation + in-band power (models/sqi.h)" },
                 { "band_hz", { band_low_hz, band_high_hz } },
                 { "edge_s", edge_s },
                 { "amp_min", amp_min },
                 { "kurtosis_min", kurtosis_min },
                 { "beat_match_min", beat_match_min },
                 { "min_beats", min_beats },
                 { "beat_window_s", { beat_before_s, beat_after_s } },
                 { "saturation_runs_max", saturation_runs_max },
                 { "saturation_fraction_max", saturation_fraction_max },
                 { "in_band_min", in_band_min } }
        .dump();
}

QualityOptions QualityOptions::from_json(const std::string& text)
{
    QualityOptions o;
    auto pair = [](const json& j, const char* key, double& a, double& b) {
        const auto& v = j.at(key);
        if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
            throw std::invalid_argument(std::string("model card: quality: expected ") + key +
                                        " as [low, high] (two numbers), found " + v.dump());
        a = v[0].get<double>();
        b = v[1].get<double>();
    };
    try {
        const auto j = json::parse(text);
        if (!j.is_object())
            throw std::invalid_argument("model card: quality: expected an object, found " +
                                        j.dump());
        // A misspelt threshold would leave the default in force without a
        // word: every key must be one of the gate's.
        static const char* const known[] = { "enabled", "method", "band_hz", "edge_s", "amp_min",
                                             "kurtosis_min", "beat_match_min", "min_beats",
                                             "beat_window_s", "saturation_runs_max",
                                             "saturation_fraction_max", "in_band_min" };
        for (const auto& item : j.items()) {
            const std::string key = item.key(); // (a structured binding cannot be captured in C++17)
            if (std::find_if(std::begin(known), std::end(known), [&](const char* k) {
                    return key == k;
                }) == std::end(known))
                throw std::invalid_argument(
                    "model card: quality: expected one of enabled, method, band_hz, edge_s, amp_min, "
                    "kurtosis_min, beat_match_min, min_beats, beat_window_s, "
                    "saturation_runs_max, saturation_fraction_max, in_band_min, found '" +
                    key + "'");
        }
        card_json::get_opt(j, "enabled", o.enabled);
        if (j.contains("band_hz"))
            pair(j, "band_hz", o.band_low_hz, o.band_high_hz);
        card_json::get_opt(j, "edge_s", o.edge_s);
        card_json::get_opt(j, "amp_min", o.amp_min);
        card_json::get_opt(j, "kurtosis_min", o.kurtosis_min);
        card_json::get_opt(j, "beat_match_min", o.beat_match_min);
        card_json::get_opt(j, "min_beats", o.min_beats);
        if (j.contains("beat_window_s"))
            pair(j, "beat_window_s", o.beat_before_s, o.beat_after_s);
        card_json::get_opt(j, "saturation_runs_max", o.saturation_runs_max);
        card_json::get_opt(j, "saturation_fraction_max", o.saturation_fraction_max);
        card_json::get_opt(j, "in_band_min", o.in_band_min);
    } catch (const json::exception& e) {
        throw std::invalid_argument(std::string("model card: quality: ") + e.what());
    }
    return o;
}

void QualityOptions::validate(double fs, int64_t crop_length) const
{
    auto fail = [](const std::string& what, double v) {
        throw std::invalid_argument("model card: quality: expected " + what + ", found " +
                                    num(v));
    };
    // The high-pass of the model view needs a cutoff above 0 Hz.
    if (!(band_low_hz > 0.0 && band_low_hz < band_high_hz))
        fail("0 < band low < band high (band_hz: the high-pass and low-pass cutoffs)",
             band_low_hz);
    if (!(band_high_hz < fs / 2.0))
        fail("band high below Nyquist (" + num(fs / 2.0) + " Hz)", band_high_hz);
    if (!(edge_s >= 0.0 && edge_s < 10.0))
        fail("0 <= edge_s < 10", edge_s);
    if (!(amp_min >= 0.0) || !std::isfinite(amp_min))
        fail("amp_min >= 0", amp_min);
    if (!(kurtosis_min >= 0.0 && kurtosis_min < 1e6))
        fail("0 <= kurtosis_min", kurtosis_min);
    if (!(beat_match_min >= -1.0 && beat_match_min <= 1.0))
        fail("-1 <= beat_match_min <= 1", beat_match_min);
    if (min_beats < 0 || min_beats > 1000)
        fail("0 <= min_beats <= 1000", static_cast<double>(min_beats));
    if (!(beat_before_s > 0.0 && beat_after_s > 0.0 && beat_before_s + beat_after_s < 5.0))
        fail("a beat window of 0 < before + after < 5 s", beat_before_s + beat_after_s);
    if (saturation_runs_max < 0)
        fail("saturation_runs_max >= 0", static_cast<double>(saturation_runs_max));
    if (!(saturation_fraction_max >= 0.0 && saturation_fraction_max <= 1.0))
        fail("0 <= saturation_fraction_max <= 1", saturation_fraction_max);
    if (!(in_band_min >= 0.0 && in_band_min <= 1.0))
        fail("0 <= in_band_min <= 1", in_band_min);
    // What is assessed, the crop less both edges, must hold min_beats beat
    // windows (before + after + 1 samples, as lead_quality cuts them) at the
    // detector's closest spacing (0.25 s, 240 bpm), and 8 samples at least.
    const int64_t span = crop_length - 2 * std::llround(edge_s * fs);
    const int64_t beat = std::llround(beat_before_s * fs) + std::llround(beat_after_s * fs) + 1;
    const auto need = std::max<int64_t>(
        8, min_beats > 0 ? beat + (min_beats - 1) * std::max<int64_t>(1, std::llround(0.25 * fs))
                         : 0);
    if (span < need)
        throw std::invalid_argument(
            "model card: quality: expected the crop less both edges (" +
            std::to_string(crop_length) + " - 2 x " + std::to_string(std::llround(edge_s * fs)) +
            " samples at " + num(fs) + " Hz) to hold at least " + std::to_string(need) +
            " samples (min_beats " + std::to_string(min_beats) + " beat windows of " +
            num(beat_before_s + beat_after_s) + " s, 0.25 s apart at the closest), found " +
            std::to_string(span) + ": lower edge_s or min_beats");
}

std::string quality_reasons(unsigned r)
{
    static const std::pair<unsigned, const char*> names[] = {
        { kFlat, "flat" },           { kLowKurtosis, "low_kurtosis" },
        { kInconsistentBeats, "inconsistent_beats" }, { kTooFewBeats, "too_few_beats" },
        { kSaturation, "saturation" }, { kOutOfBand, "out_of_band" },
    };
    std::string s;
    for (const auto& [bit, name] : names)
        if (r & bit)
            s += (s.empty() ? "" : "+") + std::string(name);
    return s.empty() ? "ok" : s;
}

std::string LeadQuality::describe(const QualityOptions& o) const
{
    std::string s;
    auto add = [&](const std::string& t) { s += (s.empty() ? "" : ", ") + t; };
    if (reasons & kFlat)
        add("flat: amplitude " + num(amp) + " < " + num(o.amp_min));
    if (reasons & kLowKurtosis)
        add("noise-like: kurtosis " + num(kurtosis) + " < " + num(o.kurtosis_min));
    if (reasons & kTooFewBeats)
        add(std::to_string(beats) + " beat(s) found, fewer than " + std::to_string(o.min_beats) +
            " (asystole, lead off or noise)");
    if (reasons & kInconsistentBeats)
        add("beats do not repeat: match " + num(beat_match) + " < " + num(o.beat_match_min));
    if (reasons & kSaturation)
        add("clipped: " + std::to_string(saturation_runs) + " plateau(s) at the rails, " +
            num(100.0 * saturation_fraction) + "% of samples");
    if (reasons & kOutOfBand)
        add("out-of-band noise: " + num(100.0 * in_band) + "% of power in " + num(o.band_low_hz) +
            "-" + num(o.band_high_hz) + " Hz < " + num(100.0 * o.in_band_min) + "%");
    return s.empty() ? "ok" : s;
}

LeadQuality lead_quality(const float* window, int64_t n, int64_t stride, double fs,
                         int64_t crop_begin, int64_t crop_length, const QualityOptions& o)
{
    LeadQuality q;
    if (!(crop_begin >= 0 && crop_length > 0 && crop_begin + crop_length <= n))
        throw std::invalid_argument("lead_quality: expected a crop inside the window of " +
                                    std::to_string(n) + " samples, found [" +
                                    std::to_string(crop_begin) + ", " +
                                    std::to_string(crop_begin + crop_length) + ")");
    std::vector<double> raw(static_cast<std::size_t>(n));
    for (int64_t t = 0; t < n; ++t) {
        raw[static_cast<std::size_t>(t)] = window[t * stride];
        if (!std::isfinite(raw[static_cast<std::size_t>(t)]))
            throw std::invalid_argument(
                "lead_quality: expected finite samples, found " +
                num(raw[static_cast<std::size_t>(t)]) + " at sample " + std::to_string(t) +
                " (windows with NaN/Inf are non_finite, not assessed)");
    }

    // Saturation runs at the rails, over the crop: the part the model sees.
    const std::vector<double> seen(raw.begin() + crop_begin,
                                   raw.begin() + crop_begin + crop_length);
    const auto [mn, mx] = std::minmax_element(seen.begin(), seen.end());
    const double lo = *mn, hi = *mx, range = hi - lo;
    if (range == 0.0) {
        q.saturation_runs = 1;
        q.saturation_fraction = 1.0;
    } else {
        const double tol = 0.002 * range;
        const auto min_len = std::max<int64_t>(2, std::llround(0.008 * fs));
        const auto top = runs(seen, min_len, [&](double v) { return v >= hi - tol; });
        const auto bottom = runs(seen, min_len, [&](double v) { return v <= lo + tol; });
        q.saturation_runs = top.first + bottom.first;
        q.saturation_fraction =
            static_cast<double>(top.second + bottom.second) / static_cast<double>(crop_length);
    }

    // The model view: high-pass, then low-pass, zero phase, over the whole
    // window; assessed on the crop less the filter edges.
    const auto hp = dsp::filtfilt(dsp::butter2(o.band_low_hz, fs, true), raw);
    const auto bp = dsp::filtfilt(dsp::butter2(o.band_high_hz, fs, false), hp);
    const auto edge = static_cast<int64_t>(std::llround(o.edge_s * fs));
    const int64_t b = std::max<int64_t>(0, crop_begin + edge);
    const int64_t e = std::min<int64_t>(n, crop_begin + crop_length - edge);
    if (e - b < 8) // QualityOptions::validate() refuses such a crop and edge
        throw std::invalid_argument("lead_quality: expected at least 8 samples in the crop less "
                                    "its edges, found " + std::to_string(e - b) +
                                    " (edge_s " + num(o.edge_s) + ")");
    const std::vector<double> y(bp.begin() + b, bp.begin() + e);
    const std::vector<double> h(hp.begin() + b, hp.begin() + e);
    const double vy = variance(y), vh = variance(h);
    q.in_band = vh > 0.0 ? std::min(1.0, vy / vh) : 0.0;
    q.sd = std::sqrt(vy);
    q.amp = percentile(y, 99.5) - percentile(y, 0.5);
    if (q.sd < 1e-6 || q.amp < o.amp_min) {
        q.reasons |= kFlat;
        if (q.saturation_runs > o.saturation_runs_max ||
            q.saturation_fraction > o.saturation_fraction_max)
            q.reasons |= kSaturation;
        return q;
    }
    const double mean = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(y.size());
    std::vector<double> z(y.size()), az(y.size());
    double m2 = 0.0, m4 = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        z[i] = (y[i] - mean) / q.sd;
        az[i] = std::abs(z[i]);
        m2 += z[i] * z[i];
        m4 += z[i] * z[i] * z[i] * z[i];
    }
    m2 /= static_cast<double>(z.size());
    m4 /= static_cast<double>(z.size());
    q.kurtosis = m4 / (m2 * m2);

    // Beats: peaks of |z| above 40 % of its 99th percentile, >= 0.25 s apart.
    const auto peaks = find_peaks(az, 0.4 * percentile(az, 99.0),
                                  std::max<int64_t>(1, std::llround(0.25 * fs)));
    const auto before = std::llround(o.beat_before_s * fs), after = std::llround(o.beat_after_s * fs);
    const auto len = static_cast<std::size_t>(before + after + 1);
    std::vector<std::vector<double>> beats;
    for (int64_t p : peaks) {
        if (p - before < 0 || p + after >= static_cast<int64_t>(z.size()))
            continue;
        std::vector<double> v(z.begin() + (p - before), z.begin() + (p + after + 1));
        const double m = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(len);
        double nn = 0.0;
        for (double& x : v) {
            x -= m;
            nn += x * x;
        }
        nn = std::sqrt(nn);
        for (double& x : v)
            x = nn > 0.0 ? x / nn : 0.0;
        beats.push_back(std::move(v));
    }
    q.beats = static_cast<int64_t>(beats.size());
    if (beats.size() >= 2) {
        std::vector<double> best(beats.size(), -INFINITY);
        for (std::size_t i = 0; i < beats.size(); ++i)
            for (std::size_t j = i + 1; j < beats.size(); ++j) {
                const double c = std::inner_product(beats[i].begin(), beats[i].end(),
                                                    beats[j].begin(), 0.0);
                best[i] = std::max(best[i], c);
                best[j] = std::max(best[j], c);
            }
        std::sort(best.begin(), best.end());
        const std::size_t k = best.size();
        q.beat_match = k % 2 ? best[k / 2] : 0.5 * (best[k / 2 - 1] + best[k / 2]);
    }

    if (q.kurtosis < o.kurtosis_min)
        q.reasons |= kLowKurtosis;
    if (q.beats < o.min_beats)
        q.reasons |= kTooFewBeats;
    else if (q.beats >= 2 && q.beat_match < o.beat_match_min) // a match needs two beats
        q.reasons |= kInconsistentBeats;
    if (q.saturation_runs > o.saturation_runs_max ||
        q.saturation_fraction > o.saturation_fraction_max)
        q.reasons |= kSaturation;
    if (q.in_band < o.in_band_min)
        q.reasons |= kOutOfBand;
    return q;
}

} // namespace models
} // namespace tfmed
