/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/windows.h>
#include <tfmed/io/wfdb.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace tfmed {
namespace data {

namespace {

// Modified Bessel function of the first kind, order 0 (series; converges fast
// for the beta values of a Kaiser window).
double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 50; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-17 * sum)
            break;
    }
    return sum;
}

// p/q closest to `ratio` with q <= 1000 (exact when the ratio is rational enough).
std::pair<int64_t, int64_t> rational(double ratio)
{
    int64_t best_p = 1, best_q = 1;
    double best = std::numeric_limits<double>::infinity();
    for (int64_t q = 1; q <= 1000; q++) {
        const int64_t p = std::max<int64_t>(1, std::llround(ratio * q));
        const double err = std::abs(static_cast<double>(p) / q - ratio);
        if (err < best - 1e-15) {
            best = err, best_p = p, best_q = q;
            if (err < 1e-12 * ratio)
                break;
        }
    }
    const int64_t g = std::gcd(best_p, best_q);
    return { best_p / g, best_q / g };
}

} // namespace

io::Recording resample(const io::Recording& r, double rate)
{
    return resample_span(r, rate, 0, -1);
}

io::Recording resample_span(const io::Recording& r, double rate, int64_t first, int64_t count)
{
    if (!(rate > 0) || !std::isfinite(rate))
        throw std::invalid_argument("resample: expected a target rate > 0 Hz, found " +
                                    std::to_string(rate));
    if (!(r.sample_rate > 0))
        throw std::invalid_argument("resample: " + r.source +
                                    ": expected a recording rate > 0 Hz, found " +
                                    std::to_string(r.sample_rate));
    if (first < 0 || first > r.n_samples)
        throw std::invalid_argument("resample: " + r.source + ": expected a first sample in 0.." +
                                    std::to_string(r.n_samples) + ", found " +
                                    std::to_string(first));
    const int64_t n_in =
        count < 0 ? r.n_samples - first : std::min(count, r.n_samples - first);
    if (rate == r.sample_rate)
        return io::slice_samples(r, first, n_in);
    // Bounds: a rate off by orders of magnitude (a --rate in kHz for Hz) is a
    // mistake, and its filter and output would not fit in memory.
    const double ratio = rate / r.sample_rate;
    if (!(ratio >= 1e-4 && ratio <= 1e4))
        throw std::invalid_argument("resample: " + r.source + ": expected a target rate within " +
                                    "1e-4 to 1e4 times the recording's (" +
                                    std::to_string(r.sample_rate) + " Hz), found " +
                                    std::to_string(rate) + " Hz");
    const auto [p, q] = rational(ratio);
    // (q <= 1000 cannot reach every ratio: below 1e-3 it gave 1/1000, a
    // recording resampled to another rate than asked for.)
    if (std::abs(static_cast<double>(p) / q - ratio) > 1e-4 * ratio)
        throw std::invalid_argument("resample: " + r.source + ": " +
                                    std::to_string(r.sample_rate) + " Hz -> " +
                                    std::to_string(rate) + " Hz: expected a factor p/q within "
                                    "1e-4 of the ratio with q up to 1000, found " +
                                    std::to_string(p) + "/" + std::to_string(q));
    if (std::max(p, q) > 1000000)
        throw std::invalid_argument("resample: " + r.source + ": " +
                                    std::to_string(r.sample_rate) + " Hz -> " +
                                    std::to_string(rate) + " Hz: expected a factor p/q with p "
                                    "and q up to 10^6, found " + std::to_string(p) + "/" +
                                    std::to_string(q));
    constexpr double kMaxValues = 2147483648.0; // 2^31 floats: 8 GiB
    if (static_cast<double>(n_in) * p / q * r.channels() > kMaxValues)
        throw std::invalid_argument(
            "resample: " + r.source + ": " + std::to_string(n_in) + " samples x " +
            std::to_string(r.channels()) + " channel(s) at " + std::to_string(r.sample_rate) +
            " Hz -> " + std::to_string(rate) + " Hz: expected at most 2^31 values out, found " +
            std::to_string(static_cast<double>(n_in) * p / q * r.channels()));
    // Low-pass at the lower of the two Nyquist frequencies, in units of the
    // up-sampled rate p * fs; gain p restores the level lost to zero-stuffing.
    const double f = 0.5 / std::max(p, q);
    const int64_t half = 10 * std::max(p, q);
    const double beta = 5.0;
    std::vector<double> h(2 * half + 1);
    for (int64_t n = -half; n <= half; n++) {
        const double x = 2.0 * f * n;
        const double sinc = n == 0 ? 1.0 : std::sin(M_PI * x) / (M_PI * x);
        const double u = static_cast<double>(n) / half;
        const double w = bessel_i0(beta * std::sqrt(std::max(0.0, 1.0 - u * u))) /
                         bessel_i0(beta);
        h[n + half] = p * 2.0 * f * sinc * w;
    }
    io::Recording o = r;
    o.annotations.clear();
    const int c_n = r.channels();
    const int64_t n_out = (n_in * p + q - 1) / q;
    o.sample_rate = r.sample_rate * p / q;
    o.n_samples = n_out;
    o.samples.assign(n_out * c_n, 0.0f);
    std::vector<double> acc(c_n);
    // Output m sits at input sample first + m q / p; the filter reads the
    // recording on both sides of the span (zeros only past its own ends).
    for (int64_t m = 0; m < n_out; m++) {
        const int64_t t = first * p + m * q; // position on the up-sampled grid
        const int64_t k0 = std::max<int64_t>(0, (t - half + p - 1) / p);
        const int64_t k1 = std::min<int64_t>(r.n_samples - 1, (t + half) / p);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t k = k0; k <= k1; k++) {
            const double hk = h[t - k * p + half];
            const float* x = &r.samples[k * c_n];
            for (int c = 0; c < c_n; c++)
                acc[c] += hk * x[c];
        }
        for (int c = 0; c < c_n; c++)
            o.samples[m * c_n + c] = static_cast<float>(acc[c]);
    }
    for (auto a : r.annotations)
        if (a.sample >= first && a.sample < first + n_in) {
            // (The span's last input samples round to n_out when
            // down-sampling: 9 samples at 1/3 give 3 outputs, sample 8 ->
            // 2.67 -> 3; that beat stays on the span's last output.)
            a.sample = std::min<int64_t>(
                n_out - 1, std::llround(static_cast<double>(a.sample - first) * p / q));
            o.annotations.push_back(a);
        }
    return o;
}

Windows make_windows(const io::Recording& r, const WindowOptions& opt, int record_index)
{
    const int64_t len = opt.length;
    const int64_t hop = opt.hop > 0 ? opt.hop : opt.length;
    if (len <= 0 || opt.hop < 0)
        throw std::invalid_argument("make_windows: expected length > 0 and hop >= 0, found "
                                    "length " + std::to_string(len) + ", hop " +
                                    std::to_string(opt.hop));
    const int c_n = r.channels();
    Windows w;
    std::vector<float> buf;
    std::vector<int64_t> labels;
    size_t a0 = 0; // first annotation at or after the window start
    const auto& ann = r.annotations;
    for (int64_t s = 0; s + len <= r.n_samples; s += hop) {
        const float* x = r.samples.data() + s * c_n;
        if (opt.drop_invalid &&
            std::any_of(x, x + len * c_n, [](float v) { return !std::isfinite(v); }))
            continue;
        while (a0 < ann.size() && ann[a0].sample < s)
            a0++;
        int beats = 0;
        bool abnormal = false;
        for (size_t i = a0; i < ann.size() && ann[i].sample < s + len; i++) {
            if (!io::wfdb_is_beat(ann[i].code))
                continue;
            beats++;
            abnormal = abnormal || !opt.normal.count(ann[i].symbol);
        }
        // (C, L) from the interleaved (L, C) samples.
        const size_t base = buf.size();
        buf.resize(base + len * c_n);
        for (int64_t t = 0; t < len; t++)
            for (int c = 0; c < c_n; c++)
                buf[base + c * len + t] = x[t * c_n + c];
        labels.push_back(abnormal ? 1 : 0);
        w.start.push_back(s);
        w.record.push_back(record_index);
        w.beats.push_back(beats);
    }
    const int64_t n = static_cast<int64_t>(labels.size());
    w.x = torch::from_blob(buf.data(), { n, c_n, len }, torch::kFloat).clone();
    w.label = torch::from_blob(labels.data(), { n }, torch::kLong).clone();
    return w;
}

Windows concat(const std::vector<Windows>& parts)
{
    Windows w;
    std::vector<torch::Tensor> xs, ls;
    for (const auto& p : parts) {
        if (!p.x.defined() || p.x.size(0) == 0)
            continue;
        if (!xs.empty())
            TORCH_CHECK(p.x.sizes().slice(1) == xs[0].sizes().slice(1),
                        "concat: windows of shape ", p.x.sizes().slice(1),
                        " cannot join windows of shape ", xs[0].sizes().slice(1));
        xs.push_back(p.x);
        ls.push_back(p.label);
        w.start.insert(w.start.end(), p.start.begin(), p.start.end());
        w.record.insert(w.record.end(), p.record.begin(), p.record.end());
        w.beats.insert(w.beats.end(), p.beats.begin(), p.beats.end());
    }
    if (xs.empty()) {
        w.x = torch::empty({ 0, 0, 0 });
        w.label = torch::empty({ 0 }, torch::kLong);
        return w;
    }
    w.x = torch::cat(xs);
    w.label = torch::cat(ls);
    return w;
}

Windows select(const Windows& w, const std::vector<int64_t>& index)
{
    Windows o;
    auto idx = torch::tensor(index, torch::kLong);
    o.x = w.x.index_select(0, idx);
    o.label = w.label.index_select(0, idx);
    for (int64_t i : index) {
        o.start.push_back(w.start.at(i));
        o.record.push_back(w.record.at(i));
        o.beats.push_back(w.beats.at(i));
    }
    return o;
}

std::vector<int> permutation(int n, uint64_t seed)
{
    // Fisher-Yates with an explicit draw: std::shuffle's algorithm differs
    // between standard libraries, and splits must not.
    std::vector<int> v(std::max(n, 0));
    std::iota(v.begin(), v.end(), 0);
    std::mt19937_64 rng(seed);
    for (int i = n - 1; i > 0; i--) {
        const int j = static_cast<int>(rng() % static_cast<uint64_t>(i + 1));
        std::swap(v[i], v[j]);
    }
    return v;
}

Split split_records(int n_records, double val_fraction, double test_fraction, uint64_t seed)
{
    if (val_fraction < 0 || test_fraction < 0 || val_fraction + test_fraction >= 1.0)
        throw std::invalid_argument(
            "split_records: expected fractions >= 0 with val + test < 1, found val " +
            std::to_string(val_fraction) + ", test " + std::to_string(test_fraction));
    const auto perm = permutation(n_records, seed);
    const int n_test = static_cast<int>(std::lround(test_fraction * n_records));
    const int n_val = static_cast<int>(std::lround(val_fraction * n_records));
    Split s;
    s.test.assign(perm.begin(), perm.begin() + n_test);
    s.val.assign(perm.begin() + n_test, perm.begin() + n_test + n_val);
    s.train.assign(perm.begin() + n_test + n_val, perm.end());
    for (auto* part : { &s.train, &s.val, &s.test })
        std::sort(part->begin(), part->end());
    return s;
}

std::vector<Split> kfold(int n, int k, uint64_t seed)
{
    if (k < 2 || k > n)
        throw std::invalid_argument("kfold: expected 2 <= k <= n (" + std::to_string(n) +
                                    "), found k = " + std::to_string(k));
    const auto perm = permutation(n, seed);
    std::vector<Split> folds(k);
    for (int f = 0; f < k; f++) {
        const int lo = static_cast<int>(static_cast<int64_t>(n) * f / k);
        const int hi = static_cast<int>(static_cast<int64_t>(n) * (f + 1) / k);
        for (int i = 0; i < n; i++)
            (i >= lo && i < hi ? folds[f].test : folds[f].train).push_back(perm[i]);
        std::sort(folds[f].test.begin(), folds[f].test.end());
        std::sort(folds[f].train.begin(), folds[f].train.end());
    }
    return folds;
}

} // namespace data
} // namespace tfmed
