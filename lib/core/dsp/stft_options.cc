/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/stft_options.h>

#include <limits>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace tfmed {
namespace dsp {

namespace {

[[noreturn]] void bad(const std::string& field,
                      const std::string& expected,
                      const std::string& found)
{
    throw std::invalid_argument("STFT option '" + field + "': expected " + expected +
                                ", found " + found);
}

template <typename E, size_t N>
E parse(const char* what, const std::string& name, const char* const (&names)[N])
{
    for (size_t i = 0; i < N; i++) {
        if (name == names[i])
            return static_cast<E>(i);
    }
    std::string list;
    for (size_t i = 0; i < N; i++)
        list += std::string(i ? ", " : "") + "'" + names[i] + "'";
    bad(what, "one of " + list, "'" + name + "'");
}

const char* const window_names[] = { "hann", "hamming", "blackman", "rectangle", "triang" };
const char* const convention_names[] = { "scipy", "torch" };
const char* const output_names[] = { "complex", "magnitude", "power", "log_power" };
const char* const pad_mode_names[] = { "constant", "reflect" };

} // namespace

Window parse_window(const std::string& n)
{
    return parse<Window>("window", n, window_names);
}
Convention parse_convention(const std::string& n)
{
    return parse<Convention>("convention", n, convention_names);
}
Output parse_output(const std::string& n)
{
    return parse<Output>("output", n, output_names);
}
PadMode parse_pad_mode(const std::string& n)
{
    return parse<PadMode>("pad_mode", n, pad_mode_names);
}
std::string to_string(Window v) { return window_names[static_cast<int>(v)]; }
std::string to_string(Convention v) { return convention_names[static_cast<int>(v)]; }
std::string to_string(Output v) { return output_names[static_cast<int>(v)]; }
std::string to_string(PadMode v) { return pad_mode_names[static_cast<int>(v)]; }

std::vector<double> make_window(Window shape, int length, bool periodic)
{
    if (length <= 0)
        bad("win_length", "> 0", std::to_string(length));
    std::vector<double> w(length, 1.0);
    if (shape == Window::rectangle || length == 1)
        return w;
    if (shape == Window::triang) {
        // scipy.signal.windows.triang: M odd 1 - |2n - (M-1)| / (M+1), M even
        // 1 - |2n - (M-1)| / M; periodic = the symmetric window of M + 1
        // without its last sample.
        const int m = periodic ? length + 1 : length;
        for (int n = 0; n < length; n++)
            w[n] = 1.0 - std::abs(2.0 * n - (m - 1)) / (m % 2 ? m + 1.0 : static_cast<double>(m));
        return w;
    }
    // Generalised cosine windows; the periodic form is the symmetric window of
    // length + 1 without its last sample (scipy fftbins=True, torch periodic=True).
    const double m = periodic ? length : length - 1;
    double a0, a1, a2 = 0.0;
    switch (shape) {
    case Window::hann:
        a0 = 0.5, a1 = 0.5;
        break;
    case Window::hamming:
        a0 = 0.54, a1 = 0.46;
        break;
    default: // blackman
        a0 = 0.42, a1 = 0.5, a2 = 0.08;
        break;
    }
    for (int n = 0; n < length; n++) {
        const double t = 2.0 * M_PI * n / m;
        w[n] = a0 - a1 * std::cos(t) + a2 * std::cos(2.0 * t);
    }
    return w;
}

void StftOptions::validate() const
{
    if (n_fft_ <= 0)
        bad("n_fft", "> 0", std::to_string(n_fft_));
    if (hop_ <= 0)
        bad("hop", "> 0", std::to_string(hop_));
    if (win_length_ < 0 || win_length_ > n_fft_)
        bad("win_length",
            "0 (= n_fft) or 1.." + std::to_string(n_fft_) + " (<= n_fft)",
            std::to_string(win_length_));
    if (convention_ == Convention::scipy && hop_ > effective_win_length())
        bad("hop",
            "<= win_length (" + std::to_string(effective_win_length()) +
                ") for the scipy convention (noverlap >= 0)",
            std::to_string(hop_));
    // Below the smallest normal float VOLK's log2 is wrong (1e-40 gave -382 dB
    // for -400) and the torch path right: the two would disagree.
    if (!(log_floor_ >= std::numeric_limits<float>::min()) || !std::isfinite(log_floor_)) {
        std::ostringstream f;
        f << log_floor_;
        bad("log_floor", "a finite value >= 1.1754944e-38 (the smallest normal float)", f.str());
    }
    if (static_cast<unsigned>(window_) > 4)
        bad("window", "hann, hamming, blackman, rectangle or triang",
            std::to_string(static_cast<int>(window_)));
    if (static_cast<unsigned>(output_) > 3)
        bad("output", "complex, magnitude, power or log_power",
            std::to_string(static_cast<int>(output_)));
    if (static_cast<unsigned>(convention_) > 1)
        bad("convention", "scipy or torch", std::to_string(static_cast<int>(convention_)));
    if (static_cast<unsigned>(pad_mode_) > 1)
        bad("pad_mode", "constant or reflect", std::to_string(static_cast<int>(pad_mode_)));
    // scipy scales by 1 / sum(window): a window summing to 0 (symmetric Hann or
    // Blackman of 2 points) made every frame Inf/NaN.
    if (convention_ == Convention::scipy && static_cast<unsigned>(window_) <= 4) {
        double sum = 0.0;
        for (double v : window_values())
            sum += v;
        if (!(std::abs(sum) > 1e-9 * effective_win_length()))
            bad("window",
                "a window whose values do not sum to 0 (the scipy convention divides by "
                "the sum)",
                dsp::to_string(window_) + " of " + std::to_string(effective_win_length()) +
                    " points" + (periodic_ ? "" : ", symmetric"));
    }
    // Options that a convention does not use are refused unless they keep their
    // default, so that no setting is silently ignored.
    if (convention_ == Convention::scipy) {
        if (normalized_)
            bad("normalized",
                "false with the scipy convention (it scales by 1/sum(window), "
                "scaling='spectrum'; normalized applies to the torch convention only)",
                "true");
        if (pad_mode_ != PadMode::reflect)
            bad("pad_mode",
                "the default 'reflect' (unused) with the scipy convention (it always "
                "pads zeros, boundary='zeros'; pad_mode applies to the torch "
                "convention with center = true only)",
                "'" + dsp::to_string(pad_mode_) + "'");
    } else if (!center_ && pad_mode_ != PadMode::reflect) {
        bad("pad_mode",
            "the default 'reflect' (unused) with center = false (no boundary padding; "
            "pad_mode applies to the torch convention with center = true only)",
            "'" + dsp::to_string(pad_mode_) + "'");
    }
}

int64_t StftOptions::min_length() const
{
    const int p = left_pad();
    if (convention_ == Convention::torch && pad_mode_ == PadMode::reflect && p > 0)
        return p + 1; // reflection of P samples reads x[1..P]; then frames >= 1
    // scipy.signal.stft shortens nperseg to a shorter signal (with a warning):
    // numbers it never gives for a window of W. So W samples at least.
    if (convention_ == Convention::scipy)
        return effective_win_length();
    return std::max<int64_t>(1, n_fft_ - 2 * static_cast<int64_t>(p));
}

int StftOptions::left_pad() const
{
    if (!center_)
        return 0;
    return convention_ == Convention::scipy ? effective_win_length() / 2 : n_fft_ / 2;
}

int StftOptions::window_offset() const
{
    return convention_ == Convention::scipy ? 0 : (n_fft_ - effective_win_length()) / 2;
}

double StftOptions::scale() const
{
    if (convention_ == Convention::scipy) {
        double sum = 0.0;
        for (double v : window_values())
            sum += v;
        return 1.0 / sum;
    }
    return normalized_ ? 1.0 / std::sqrt(static_cast<double>(n_fft_)) : 1.0;
}

int64_t StftOptions::num_frames(int64_t length) const
{
    const int64_t padded = length + 2 * static_cast<int64_t>(left_pad());
    if (convention_ == Convention::scipy) {
        const int64_t w = effective_win_length();
        if (length < min_length() || padded < w) // (scipy shortens its window below W)
            return 0;
        return 1 + (padded - w + hop_ - 1) / hop_;
    }
    if (length <= 0 || padded < n_fft_)
        return 0;
    return 1 + (padded - n_fft_) / hop_;
}

int64_t StftOptions::right_pad(int64_t length) const
{
    const int64_t k = num_frames(length);
    if (k == 0)
        return 0;
    const int64_t last = (k - 1) * hop_ + first_sample_offset() + effective_win_length();
    return last > length ? last - length : 0;
}

std::vector<double> StftOptions::window_values() const
{
    return make_window(window_, effective_win_length(), periodic_);
}

std::string StftOptions::to_string() const
{
    std::ostringstream s;
    s << "stft(n_fft=" << n_fft_ << ", hop=" << hop_
      << ", win_length=" << effective_win_length() << ", window=" << dsp::to_string(window_)
      << (periodic_ ? " periodic" : " symmetric")
      << ", convention=" << dsp::to_string(convention_) << ", center=" << center_;
    if (convention_ == Convention::torch)
        s << ", pad_mode=" << dsp::to_string(pad_mode_) << ", normalized=" << normalized_;
    s << ", onesided=" << onesided_ << ", output=" << dsp::to_string(output_) << ")";
    return s.str();
}

} // namespace dsp
} // namespace tfmed
