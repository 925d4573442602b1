/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/datasets.h>
#include <tfmed/data/windows.h>
#include <tfmed/dsp/filter.h>
#include <tfmed/eval/quality_eval.h>
#include <tfmed/io/wfdb.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <type_traits>
#include <stdexcept>

namespace tfmed {
namespace eval {

namespace {

constexpr double kFsGen = 360.0;  // the segments' rate (MIT-BIH)
constexpr int64_t kN = 3600;      // 10 s
constexpr double kFsModel = kQualityRate; // TSRNet's
constexpr int64_t kWindow = kQualityWindow, kCropBegin = kQualityCropBegin,
                  kCropLength = kQualityCropLength;

using Seg = std::vector<double>;

double mean(const Seg& x) { return std::accumulate(x.begin(), x.end(), 0.0) / x.size(); }
double stdev(const Seg& x)
{
    const double m = mean(x);
    double s = 0.0;
    for (double v : x)
        s += (v - m) * (v - m);
    return std::sqrt(s / x.size());
}
double power(const Seg& x) { return stdev(x) * stdev(x); }

// Zero-phase order-2 Butterworth high-pass lo, then low-pass hi (hi capped at 0.45 fs).
Seg bandpass(const Seg& x, double fs, double lo, double hi)
{
    auto y = dsp::filtfilt(dsp::butter2(lo, fs, true), x);
    return dsp::filtfilt(dsp::butter2(std::min(hi, 0.45 * fs), fs, false), y);
}

Seg unit(Seg x)
{
    const double m = mean(x), s = std::max(stdev(x), 1e-12);
    for (double& v : x)
        v = (v - m) / s;
    return x;
}

// ecg + art scaled to an SNR, powers raw or in the model's 1-25 Hz band.
Seg add_at_snr(const Seg& ecg, const Seg& art, double snr_db, bool in_band)
{
    const double pe = power(in_band ? bandpass(ecg, kFsGen, 1, 25) : ecg);
    const double pa = power(in_band ? bandpass(art, kFsGen, 1, 25) : art);
    const double k = std::sqrt(pe / pa / std::pow(10.0, snr_db / 10.0));
    Seg out(ecg.size());
    for (std::size_t i = 0; i < ecg.size(); ++i)
        out[i] = ecg[i] + k * art[i];
    return out;
}

double median(Seg x)
{
    std::sort(x.begin(), x.end());
    const auto n = x.size();
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

// A 360 Hz segment as the model takes it: resampled to 500 Hz.
std::vector<float> at_model_rate(const Seg& x)
{
    io::Recording r;
    r.sample_rate = kFsGen;
    r.n_samples = static_cast<int64_t>(x.size());
    r.channel_names = { "x" };
    r.units = { "mV" };
    r.samples.assign(x.begin(), x.end());
    auto o = data::resample(r, kFsModel);
    o.samples.resize(static_cast<std::size_t>(kWindow), 0.0f);
    return o.samples;
}

} // namespace

uint64_t SplitMix64::next()
{
    state_ += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double SplitMix64::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::vector<double> SplitMix64::normal(int64_t n)
{
    std::vector<double> g;
    g.reserve(static_cast<std::size_t>(n + 1));
    while (static_cast<int64_t>(g.size()) < n) {
        const double u1 = uniform(), u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log1p(-u1));
        g.push_back(r * std::cos(2.0 * M_PI * u2));
        g.push_back(r * std::sin(2.0 * M_PI * u2));
    }
    g.resize(static_cast<std::size_t>(n));
    return g;
}

std::vector<double> electrode_motion(uint64_t seed, int64_t n, double fs)
{
    SplitMix64 rng(seed);
    // 1. Random walk, least-squares line removed.
    auto rw = rng.normal(n);
    std::partial_sum(rw.begin(), rw.end(), rw.begin());
    {
        double st = 0, sy = 0, stt = 0, sty = 0;
        for (int64_t t = 0; t < n; ++t) {
            st += t;
            sy += rw[t];
            stt += double(t) * t;
            sty += t * rw[t];
        }
        const double b = (n * sty - st * sy) / (n * stt - st * st), a = (sy - b * st) / n;
        for (int64_t t = 0; t < n; ++t)
            rw[t] -= a + b * t;
    }
    rw = unit(rw);
    // 2. Baseline steps.
    Seg steps(static_cast<std::size_t>(n), 0.0);
    for (int k = 2 + static_cast<int>(3 * rng.uniform()); k > 0; --k) {
        const double u0 = rng.uniform(), u1 = rng.uniform();
        for (auto t = static_cast<int64_t>(u0 * n); t < n; ++t)
            steps[t] += (2 * u1 - 1) * 2.0;
    }
    steps = unit(steps);
    // 3. Biphasic transients.
    Seg spikes(static_cast<std::size_t>(n), 0.0);
    for (int k = 3 + static_cast<int>(4 * rng.uniform()); k > 0; --k) {
        const double c = rng.uniform() * n, w = (0.01 + 0.03 * rng.uniform()) * fs;
        const double sign = rng.uniform() < 0.5 ? 1.0 : -1.0, mag = 0.5 + rng.uniform();
        for (int64_t t = 0; t < n; ++t) {
            const double u = (t - c) / w;
            spikes[t] += sign * mag * (-u) * std::exp(0.5 - 0.5 * u * u);
        }
    }
    double peak = 1e-12;
    for (double v : spikes)
        peak = std::max(peak, std::abs(v));
    // 4. A 1-10 Hz burst of 2-5 s.
    auto burst = unit(bandpass(rng.normal(n), fs, 1.0, 10.0));
    const double u0 = rng.uniform(), u1 = rng.uniform();
    const auto L = static_cast<int64_t>((2 + 3 * u0) * fs);
    const auto s0 = static_cast<int64_t>(u1 * (n - L));
    Seg a(static_cast<std::size_t>(n));
    for (int64_t t = 0; t < n; ++t)
        a[t] = rw[t] + steps[t] + 1.5 * spikes[t] / peak +
               (t >= s0 && t < s0 + L ? 0.7 * burst[t] : 0.0);
    return unit(a);
}

std::string QualityEvalResult::json() const
{
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : categories)
        j.push_back({ { "category", c.name },
                      { "role", c.role },
                      { "windows", c.windows },
                      { "flagged", c.flagged },
                      { "rate", c.rate() },
                      { "reasons", c.reasons } });
    return nlohmann::json{ { "categories", j },
                           { "options", nlohmann::json::parse(options.to_json()) } }
        .dump(1);
}

QualityEvalResult evaluate_quality(const std::string& dir, const models::QualityOptions& o)
{
    o.validate(kFsModel, kCropLength);
    QualityEvalResult res;
    res.options = o;
    // Real ECG.
    const auto set = data::load_mitdb_compiled(dir);
    std::map<std::string, std::vector<Seg>> real;
    for (int64_t i = 0; i < set.size(); ++i) {
        const auto row = set.x[i][0].contiguous();
        const float* p = row.data_ptr<float>();
        real[set.class_names[set.y[i].item<int64_t>()]].emplace_back(p, p + row.numel());
    }
    const auto rec = io::read_wfdb(dir + "/wfdb_sample/100");
    if (rec.channels() < 2 || std::abs(rec.sample_rate - kFsGen) > 1e-9)
        throw std::runtime_error(rec.source + ": expected MIT-BIH record 100 (2 leads at 360 Hz)");
    std::vector<Seg> lead0, lead1;
    for (int64_t k = 0; (k + 1) * kN <= rec.n_samples; ++k) {
        Seg a(kN), b(kN);
        for (int64_t t = 0; t < kN; ++t) {
            a[t] = rec.at(k * kN + t, 0);
            b[t] = rec.at(k * kN + t, 1);
        }
        lead0.push_back(std::move(a));
        lead1.push_back(std::move(b));
    }
    // 100 ECG bases for the artefacts: the 80 N segments, record 100 lead 0
    // windows 0, 9, ..., 171.
    std::vector<Seg> bases = real["N"];
    for (std::size_t k = 0; k < 20; ++k)
        bases.push_back(lead0.at(9 * k));

    using Post = std::function<void(std::size_t, std::vector<float>&)>;
    auto assess = [&](const std::string& name, const std::string& role,
                      const std::vector<Seg>& segs, const Post& post = {}) {
        QualityCategory c;
        c.name = name;
        c.role = role;
        for (std::size_t i = 0; i < segs.size(); ++i) {
            auto w = at_model_rate(segs[i]);
            if (post)
                post(i, w);
            const auto q = models::lead_quality(w.data(), kWindow, 1, kFsModel, kCropBegin,
                                                kCropLength, o);
            ++c.windows;
            if (q.poor())
                ++c.flagged;
            for (unsigned bit = 1; bit <= models::kOutOfBand; bit <<= 1)
                if (q.reasons & bit)
                    c.reasons[models::quality_reasons(bit)]++;
        }
        res.categories.push_back(std::move(c));
    };
    auto gen = [](int64_t count, const std::function<Seg(int64_t)>& f) {
        std::vector<Seg> v;
        for (int64_t i = 0; i < count; ++i)
            v.push_back(f(i));
        return v;
    };
    assess("N (mitdb_compiled10s)", "negative", real["N"]);
    assess("record 100 lead 0 (MLII)", "negative", lead0);
    assess("record 100 lead 1 (V5)", "negative", lead1);
    for (const char* c : { "S", "V", "F", "Q" })
        assess(std::string(c) + " (mitdb_compiled10s)", "abnormal", real[c]);

    const double sig[] = { 0.01, 0.05, 0.1, 0.5, 1.0, 2.0 };
    assess("white noise 0.01-2 mV", "artefact", gen(60, [&](int64_t i) {
               auto g = SplitMix64(1000 + i).normal(kN);
               for (double& v : g)
                   v *= sig[i / 10];
               return g;
           }));
    const double bands[][2] = { { 0.5, 5 }, { 1, 25 }, { 5, 15 }, { 10, 40 }, { 15, 60 } };
    assess("band-limited noise", "artefact", gen(60, [&](int64_t i) {
               auto g = unit(bandpass(SplitMix64(2000 + i).normal(kN), kFsGen, bands[i / 12][0],
                                      bands[i / 12][1]));
               const double s = (i / 4) % 3 == 0 ? 0.1 : ((i / 4) % 3 == 1 ? 0.5 : 1.0);
               for (double& v : g)
                   v *= s;
               return g;
           }));
    assess("flat line (+ tiny noise, quantised)", "artefact", gen(64, [&](int64_t i) {
               const double level = i / 32 ? 0.7 : 0.0;
               const double sigmas[] = { 0.0, 1e-4, 1e-3, 5e-3 };
               const double s = sigmas[(i / 8) % 4], quantum = (i / 4) % 2 ? 0.005 : 0.0;
               auto g = SplitMix64(3000 + i).normal(kN);
               for (double& v : g) {
                   v = level + s * v;
                   if (quantum > 0)
                       v = std::round(v / quantum) * quantum;
               }
               return g;
           }));
    // Clipping at 30-60 % of the excursion from the median, by the front end
    // at the model's rate (a plateau per beat).
    auto clip = [](auto& x, std::size_t i) {
        using T = std::decay_t<decltype(x[0])>;
        const double f = 0.3 + 0.1 * static_cast<double>(i % 4);
        std::vector<double> v(x.begin(), x.end());
        const double m = median(v);
        const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
        const double lo = m - f * (m - *mn), hi = m + f * (*mx - m);
        for (auto& s : x)
            s = static_cast<T>(std::clamp<double>(s, lo, hi));
    };
    assess("clipped ECG (30-60 %)", "artefact", bases,
           [&](std::size_t i, std::vector<float>& w) { clip(w, i); });
    auto em_plus = [&](uint64_t base, double snr, bool in_band) {
        return gen(100, [&, base, snr, in_band](int64_t i) {
            return add_at_snr(bases[i], electrode_motion(base + i, kN, kFsGen), snr, in_band);
        });
    };
    assess("electrode motion + ECG, 0 dB in band", "artefact", em_plus(4200, 0, true));
    assess("electrode motion + ECG, -6 dB in band", "artefact", em_plus(4300, -6, true));
    assess("electrode motion alone", "artefact", gen(100, [&](int64_t i) {
               auto a = electrode_motion(4400 + i, kN, kFsGen);
               const double s[] = { 0.2, 0.5, 1.0, 2.0, 5.0 };
               for (double& v : a)
                   v *= s[i / 20];
               return a;
           }));
    auto wn_plus = [&](uint64_t base, double snr) {
        return gen(100, [&, base, snr](int64_t i) {
            return add_at_snr(bases[i], SplitMix64(base + i).normal(kN), snr, true);
        });
    };
    assess("white noise + ECG, 0 dB in band", "artefact", wn_plus(5000, 0));
    assess("white noise + ECG, -6 dB in band", "artefact", wn_plus(5100, -6));
    assess("mains 50/60 Hz + ECG, -20 dB", "artefact", gen(100, [&](int64_t i) {
               const double ph = 2 * M_PI * SplitMix64(6000 + i).uniform();
               const double f0 = i < 50 ? 60.0 : 50.0;
               Seg s(kN);
               for (int64_t t = 0; t < kN; ++t)
                   s[t] = std::sin(2 * M_PI * f0 * t / kFsGen + ph);
               return add_at_snr(bases[i], s, -20, false);
           }));
    assess("(info) electrode motion + ECG, 0 dB full band", "info", em_plus(4000, 0, false));
    assess("(info) electrode motion + ECG, -6 dB full band", "info", em_plus(4100, -6, false));
    assess("(info) electrode motion + ECG, +6 dB in band", "info", em_plus(4500, 6, true));
    // Clipped at 360 Hz, then resampled: the resampler's ringing blurs the
    // plateaus, and the saturation index misses most of them.
    assess("(info) clipped at 360 Hz, then resampled", "info", gen(100, [&](int64_t i) {
               auto x = bases[i];
               clip(x, static_cast<std::size_t>(i));
               return x;
           }));
    return res;
}

} // namespace eval
} // namespace tfmed
