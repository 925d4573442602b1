/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/filter.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace tfmed {
namespace dsp {

namespace {
void check_frequency(const char* what, double f, double fs)
{
    if (!(fs > 0.0) || !std::isfinite(fs))
        throw std::invalid_argument(std::string(what) +
                                    ": expected a positive sample rate, found " +
                                    std::to_string(fs));
    if (!(f > 0.0 && f < fs / 2.0))
        throw std::invalid_argument(std::string(what) + ": expected 0 < frequency < " +
                                    std::to_string(fs / 2.0) + " Hz (Nyquist), found " +
                                    std::to_string(f));
}
} // namespace

Biquad butter2(double cutoff_hz, double fs, bool highpass)
{
    check_frequency("butter2 cutoff", cutoff_hz, fs);
    // Analog prototype s^2 + sqrt(2) s + 1, pre-warped bilinear transform.
    const double k = std::tan(M_PI * cutoff_hz / fs);
    const double k2 = k * k;
    const double norm = 1.0 / (1.0 + M_SQRT2 * k + k2);
    Biquad f;
    if (highpass)
        f.b = { norm, -2.0 * norm, norm };
    else
        f.b = { k2 * norm, 2.0 * k2 * norm, k2 * norm };
    f.a = { 1.0, 2.0 * (k2 - 1.0) * norm, (1.0 - M_SQRT2 * k + k2) * norm };
    return f;
}

Biquad iirnotch(double w0_hz, double q, double fs)
{
    check_frequency("iirnotch w0", w0_hz, fs);
    if (!(q > 0.0))
        throw std::invalid_argument("iirnotch: expected a positive quality factor Q, found " +
                                    std::to_string(q));
    // SciPy's _design_notch_peak_filter, operation for operation.
    double w0 = 2.0 * w0_hz / fs;
    double bw = w0 / q;
    bw = bw * M_PI;
    w0 = w0 * M_PI;
    const double gb = 1.0 / std::sqrt(2.0);
    const double beta = (std::sqrt(1.0 - gb * gb) / gb) * std::tan(bw / 2.0);
    const double gain = 1.0 / (1.0 + beta);
    Biquad f;
    f.b = { gain, -2.0 * std::cos(w0) * gain, gain };
    f.a = { 1.0, -2.0 * gain * std::cos(w0), 2.0 * gain - 1.0 };
    return f;
}

void lfilter(const Biquad& f, const double* x, double* y, std::size_t n,
             std::array<double, 2>& z)
{
    const double b0 = f.b[0], b1 = f.b[1], b2 = f.b[2], a1 = f.a[1], a2 = f.a[2];
    double z0 = z[0], z1 = z[1];
    for (std::size_t i = 0; i < n; ++i) {
        const double xi = x[i];
        const double yi = b0 * xi + z0;
        z0 = b1 * xi - a1 * yi + z1;
        z1 = b2 * xi - a2 * yi;
        y[i] = yi;
    }
    z = { z0, z1 };
}

std::array<double, 2> lfilter_zi(const Biquad& f)
{
    // Solve (I - companion(a)^T) zi = b[1:] - a[1:] b[0].
    const double a1 = f.a[1], a2 = f.a[2];
    const double r0 = f.b[1] - a1 * f.b[0];
    const double r1 = f.b[2] - a2 * f.b[0];
    // [[1 + a1, -1], [a2, 1]] zi = [r0, r1]
    const double det = (1.0 + a1) + a2;
    if (det == 0.0)
        throw std::invalid_argument("lfilter_zi: the filter has a pole at z = 1");
    const double zi0 = (r0 + r1) / det;
    const double zi1 = r1 - a2 * zi0;
    return { zi0, zi1 };
}

std::vector<double> filtfilt(const Biquad& f, const std::vector<double>& x)
{
    const std::size_t edge = 9; // 3 * max(len(a), len(b))
    const std::size_t n = x.size();
    if (n <= edge)
        throw std::invalid_argument("filtfilt: expected more than " + std::to_string(edge) +
                                    " samples (the padding length), found " +
                                    std::to_string(n));
    std::vector<double> ext(n + 2 * edge);
    for (std::size_t i = 0; i < edge; ++i)
        ext[i] = 2.0 * x[0] - x[edge - i];
    std::copy(x.begin(), x.end(), ext.begin() + edge);
    for (std::size_t i = 0; i < edge; ++i)
        ext[edge + n + i] = 2.0 * x[n - 1] - x[n - 2 - i];

    const auto zi = lfilter_zi(f);
    std::vector<double> y(ext.size());
    std::array<double, 2> z{ zi[0] * ext[0], zi[1] * ext[0] };
    lfilter(f, ext.data(), y.data(), ext.size(), z);
    std::vector<double> r(y.rbegin(), y.rend());
    z = { zi[0] * r[0], zi[1] * r[0] };
    lfilter(f, r.data(), y.data(), r.size(), z);
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = y[y.size() - 1 - edge - i];
    return out;
}

} // namespace dsp
} // namespace tfmed
