/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "frame_kernel.h"
#include <tfmed/dsp/stft_stream.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <atomic>
#include <mutex>
#include <new>

#ifdef TFMED_HAVE_FFTW
#include <fftw3.h>
#else
#include <torch/torch.h>
#endif
#ifdef TFMED_HAVE_VOLK
#include <volk/volk.h>
#endif

namespace tfmed {
namespace dsp {

namespace {
std::atomic<bool> g_reproducible_fft{ false };
} // namespace

void set_reproducible_fft(bool on) { g_reproducible_fft.store(on); }
bool reproducible_fft() { return g_reproducible_fft.load(); }

namespace detail {

namespace {

float* alloc_floats(size_t n)
{
    // 64-byte alignment: AVX-512 friendly and what FFTW's SIMD codelets want.
    void* p = std::aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
    if (!p)
        throw std::bad_alloc();
    std::memset(p, 0, n * sizeof(float));
    return static_cast<float*>(p);
}

double sq(float v) { return static_cast<double>(v) * v; }

// A double in float, +-inf beyond the float range (where a plain conversion is
// undefined behaviour); a select, so loops stay vectorisable.
float to_float(double v)
{
    constexpr double max = std::numeric_limits<float>::max();
    constexpr float inf = std::numeric_limits<float>::infinity();
    return v > max ? inf : v < -max ? -inf : static_cast<float>(v);
}

// Any NaN or Inf in x[0..n): the bit test of count_nonfinite (vectorised,
// immune to -ffinite-math-only).
bool any_nonfinite(const float* x, size_t n) { return count_nonfinite(x, n) > 0; }

// Frames per FFT call: enough to amortise the call, small enough to stay in L1/L2.
size_t batch_for(int n_fft) { return std::clamp<size_t>(4096 / n_fft, 1, 32); }

} // namespace

#ifdef TFMED_HAVE_FFTW
// FFTW's planner is not thread-safe (fftw3 manual, "Thread safety"); execution is.
static std::mutex& planner_mutex()
{
    static std::mutex m;
    return m;
}

struct FrameKernel::fft_plan {
    fftwf_plan p = nullptr;
    ~fft_plan()
    {
        std::lock_guard<std::mutex> lock(planner_mutex());
        if (p)
            fftwf_destroy_plan(p);
    }
};

const char* FrameKernel::backend() noexcept { return "fftw3f"; }
#else
struct FrameKernel::fft_plan {
};
const char* FrameKernel::backend() noexcept { return "torch"; }
#endif

FrameKernel::FrameKernel(const StftOptions& opts)
    : opts_(opts),
      n_fft_(opts.n_fft()),
      win_(opts.effective_win_length()),
      offset_(opts.window_offset()),
      bins_(opts.n_bins()),
      half_(opts.n_fft() / 2 + 1),
      complex_(opts.output() == Output::complex),
      batch_(batch_for(opts.n_fft())),
      plan_(new fft_plan)
{
    opts.validate();
    wscaled_ = alloc_floats(win_);
    in_ = alloc_floats(batch_ * n_fft_);
    out_ = alloc_floats(batch_ * half_ * 2);
    const auto w = opts.window_values();
    const double scale = opts.scale();
    for (int i = 0; i < win_; i++)
        wscaled_[i] = static_cast<float>(w[i] * scale);
#ifdef TFMED_HAVE_FFTW
    {
        std::lock_guard<std::mutex> lock(planner_mutex());
        int n[] = { n_fft_ };
        // FFTW_MEASURE scribbles over the buffers; they are cleared below.
        // FFTW_ESTIMATE: same algorithm, same bits in every process.
        fftwf_set_timelimit(2.0);
        plan_->p = fftwf_plan_many_dft_r2c(1,
                                           n,
                                           static_cast<int>(batch_),
                                           in_,
                                           nullptr,
                                           1,
                                           n_fft_,
                                           reinterpret_cast<fftwf_complex*>(out_),
                                           nullptr,
                                           1,
                                           half_,
                                           reproducible_fft() ? FFTW_ESTIMATE
                                                              : FFTW_MEASURE);
    }
    if (!plan_->p) {
        std::free(wscaled_), std::free(in_), std::free(out_);
        throw std::runtime_error("FFTW could not plan a real FFT of length " +
                                 std::to_string(n_fft_));
    }
    std::memset(in_, 0, batch_ * n_fft_ * sizeof(float));
#endif
}

FrameKernel::~FrameKernel()
{
    plan_.reset();
    std::free(wscaled_);
    std::free(in_);
    std::free(out_);
}

void FrameKernel::transform() noexcept
{
    // Always the full batch: a frame's numbers must not depend on its neighbours.
#ifdef TFMED_HAVE_FFTW
    fftwf_execute_dft_r2c(plan_->p, in_, reinterpret_cast<fftwf_complex*>(out_));
#else
    try {
        c10::InferenceMode guard;
        auto x = torch::from_blob(in_, { static_cast<int64_t>(batch_), n_fft_ });
        auto y = torch::view_as_real(torch::fft::rfft(x)).contiguous();
        std::memcpy(out_, y.data_ptr<float>(), batch_ * half_ * 2 * sizeof(float));
    } catch (...) {
        std::fill(out_, out_ + batch_ * half_ * 2, std::numeric_limits<float>::quiet_NaN());
    }
#endif
}

void FrameKernel::exact_frame(const float* b, float* d)
{
    const int n = n_fft_;
    if (twiddle_.empty()) {
        twiddle_.resize(2 * static_cast<size_t>(n));
        for (int j = 0; j < n; j++) {
            twiddle_[2 * j] = std::cos(2.0 * M_PI * j / n);
            twiddle_[2 * j + 1] = std::sin(2.0 * M_PI * j / n);
        }
    }
    const Output kind = opts_.output();
    const double floor = opts_.log_floor();
    for (int k = 0; k < half_; k++) {
        double re = 0.0, im = 0.0;
        int64_t idx = 0; // k * i mod n
        for (int i = 0; i < n; i++) {
            re += b[i] * twiddle_[2 * idx];
            im -= b[i] * twiddle_[2 * idx + 1];
            idx += k;
            if (idx >= n)
                idx -= n;
        }
        const double p2 = re * re + im * im;
        switch (kind) {
        case Output::complex:
            d[2 * k] = to_float(re);
            d[2 * k + 1] = to_float(im);
            break;
        case Output::magnitude:
            d[k] = to_float(std::sqrt(p2));
            break;
        case Output::power:
            d[k] = to_float(p2);
            break;
        case Output::log_power:
            d[k] = static_cast<float>(10.0 * std::log10(std::max(p2, floor)));
            break;
        }
    }
    if (kind == Output::complex) {
        for (int k = half_; k < bins_; k++) {
            d[2 * k] = d[2 * (n - k)];
            d[2 * k + 1] = -d[2 * (n - k) + 1];
        }
    } else {
        for (int k = half_; k < bins_; k++)
            d[k] = d[n - k];
    }
}

void FrameKernel::values(const float* __restrict z, float* __restrict d, size_t frames) const noexcept
{
    // `frames` frames back to back in z (half_ complex each) and in d (half_
    // values, or half_ complex): element-wise, so the bits do not depend on
    // how many frames one call covers.
    const size_t m = frames * static_cast<size_t>(half_);
    switch (opts_.output()) {
    case Output::complex:
        std::memcpy(d, z, 2 * m * sizeof(float));
        break;
    case Output::magnitude:
        // Float: the bits every earlier result (and trained model) was
        // computed with. A plain loop: the compiler vectorises it
        // (-fno-math-errno); VOLK calls per frame cost more than the work.
        for (size_t k = 0; k < m; k++)
            d[k] = std::sqrt(z[2 * k] * z[2 * k] + z[2 * k + 1] * z[2 * k + 1]);
        break;
    case Output::power:
    case Output::log_power:
        for (size_t k = 0; k < m; k++)
            d[k] = z[2 * k] * z[2 * k] + z[2 * k + 1] * z[2 * k + 1];
        break;
    }
}

void FrameKernel::log_power(float* d) const noexcept
{
    // 10 log10 max(|X|^2, floor) in place over the half_ power values.
    const float floor = opts_.log_floor();
    for (int k = 0; k < half_; k++)
        d[k] = std::max(d[k], floor);
#ifdef TFMED_HAVE_VOLK
    volk_32f_log2_32f(d, d, static_cast<unsigned>(half_));
    volk_32f_s32f_multiply_32f(d, d, static_cast<float>(10.0 * std::log10(2.0)), half_);
#else
    for (int k = 0; k < half_; k++)
        d[k] = 10.0f * std::log10(d[k]);
#endif
}

void FrameKernel::mirror(float* d) const noexcept
{
    // Two-sided: X[n-k] = conj(X[k]) for real input.
    if (complex_) {
        for (int k = half_; k < bins_; k++) {
            d[2 * k] = d[2 * (n_fft_ - k)];
            d[2 * k + 1] = -d[2 * (n_fft_ - k) + 1];
        }
    } else {
        for (int k = half_; k < bins_; k++)
            d[k] = d[n_fft_ - k];
    }
}

bool FrameKernel::finish_special(size_t f, const float* z, float* d)
{
    // Non-finite FFT output: NaN/Inf input (the frame is invalid), or finite
    // samples whose float FFT overflowed (beyond about FLT_MAX / n_fft): that
    // frame is valid and computed exactly in double; what exceeds the float
    // range becomes +-inf (the block tags it tfmed_overflow).
    if (any_nonfinite(z, 2 * static_cast<size_t>(half_))) {
        if (any_nonfinite(in_ + f * n_fft_, static_cast<size_t>(n_fft_)))
            return false;
        exact_frame(in_ + f * n_fft_, d); // writes the mirrored half too
        return true;
    }
    switch (opts_.output()) {
    case Output::complex:
    case Output::power:
        break; // finite FFT: +-inf only where the value itself is beyond float
    case Output::magnitude:
        // re^2 + im^2 overflowed float for |X| > ~1.8e19: those bins in
        // double (finite wherever |X| itself is).
        for (int k = 0; k < half_; k++)
            if (std::isinf(d[k]))
                d[k] = to_float(std::sqrt(sq(z[2 * k]) + sq(z[2 * k + 1])));
        break;
    case Output::log_power: {
        // The float path for every bin (the bits of the common case), then
        // 10 log10 |X|^2 in double where |X|^2 overflowed float (finite;
        // log2 of inf is not reliably inf in VOLK).
        log_power(d);
        for (int k = 0; k < half_; k++) {
            const double p2 = sq(z[2 * k]) + sq(z[2 * k + 1]);
            if (p2 > std::numeric_limits<float>::max())
                d[k] = static_cast<float>(10.0 * std::log10(p2));
        }
        break;
    }
    }
    return true;
}

void FrameKernel::run(const float* src,
                      ptrdiff_t src_stride,
                      size_t count,
                      float* dst,
                      ptrdiff_t dst_stride,
                      uint8_t* invalid) noexcept
{
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Output kind = opts_.output();
    const int nfloat = bins_ * floats_per_bin();
    const size_t vals = static_cast<size_t>(half_) * floats_per_bin(); // before mirroring
    while (count > 0) {
        const size_t n = std::min(count, batch_);
        for (size_t f = 0; f < n; f++) {
            const float* __restrict s = src + f * src_stride;
            float* __restrict b = in_ + f * n_fft_ + offset_;
            const float* __restrict w = wscaled_;
            for (int i = 0; i < win_; i++)
                b[i] = w[i] * s[i];
        }
        transform();
        // The common case in one pass per output: the values, then one check
        // of what was written. NaN/Inf input propagates through the FFT into
        // the output, and so does a float overflow; either sends the frame to
        // finish_special(), which tells them apart. Frames that lie back to
        // back in `dst` (one channel, one-sided) are done as one block: for
        // short frames the per-frame loops would cost more than the work.
        const bool packed = dst_stride == static_cast<ptrdiff_t>(vals) && bins_ == half_;
        if (packed)
            values(out_, dst, n);
        else
            for (size_t f = 0; f < n; f++)
                values(out_ + f * half_ * 2, dst + f * dst_stride, 1);
        const bool clean = packed && !any_nonfinite(dst, n * vals);
        // Packed and clean: nothing left per frame but the logarithm.
        for (size_t f = 0; f < (clean && kind != Output::log_power ? 0 : n); f++) {
            const float* z = out_ + f * half_ * 2;
            float* d = dst + f * dst_stride;
            if (!clean && any_nonfinite(d, vals)) {
                if (!finish_special(f, z, d)) {
                    std::fill(d, d + nfloat, nan);
                    if (invalid)
                        invalid[f] |= kFrameInvalid;
                    continue;
                }
                mirror(d);
                if (invalid && any_nonfinite(d, static_cast<size_t>(nfloat)))
                    invalid[f] |= kFrameOverflow;
                continue;
            } else if (kind == Output::log_power) {
                log_power(d);
            }
            mirror(d);
        }
        src += n * src_stride;
        dst += n * dst_stride;
        if (invalid)
            invalid += n;
        count -= n;
    }
}

} // namespace detail
} // namespace dsp
} // namespace tfmed
