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
#include <stdexcept>
#include <string>

#ifdef TFMED_HAVE_FFTW
#include <fftw3.h>
#else
#include <torch/torch.h>
#endif
#ifdef TFMED_HAVE_VOLK
#include <volk/volk.h>
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define TFMED_TARGET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TFMED_TARGET_CLONES
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
// This lock orders tfmed's own planning; other FFTW users in the process (GNU
// Radio's fft blocks and Qt sinks re-plan under gr::fft::planner's lock, from
// their own threads) are ordered by FFTW's own lock, switched on once here.
#ifdef TFMED_HAVE_FFTW_THREADS
// When the library loads, before any block plans (switched on while another
// thread is in the planner, FFTW's hook would unlock a lock never taken).
[[maybe_unused]] static const bool g_planner_locked = [] {
    fftwf_make_planner_thread_safe();
    return true;
}();
#endif
static std::mutex& planner_mutex()
{
    static std::mutex m;
    return m;
}

struct FrameKernel::fft_plan {
    fftwf_plan p = nullptr;  // batch_ frames, slot f at in_ + f * n_fft_
    fftwf_plan p1 = nullptr; // one frame in slot 0 (for the last frames of a call)
    ~fft_plan()
    {
        std::lock_guard<std::mutex> lock(planner_mutex());
        if (p)
            fftwf_destroy_plan(p);
        if (p1)
            fftwf_destroy_plan(p1);
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
        const unsigned flags = reproducible_fft() ? FFTW_ESTIMATE : FFTW_MEASURE;
        // The one-frame plan first: the batch plan's planner then finds the
        // one-frame problem solved (FFTW's wisdom) and mostly loops over that
        // very plan, so the two give the same bits (checked below). Now and
        // then FFTW_MEASURE's timings pick another algorithm for the batch;
        // a batch of frames that are not all aligned (odd n_fft) may need a
        // loop over an unaligned plan. So other one-frame plans are tried,
        // and if none gives the batch's bits, whole batches only. (Planning
        // the batch afresh would not do: wisdom is what gives every kernel of
        // a process the same plan, so the same bits, for the same problem.)
        auto plan = [&](int howmany, unsigned f) {
            return fftwf_plan_many_dft_r2c(1, n, howmany, in_, nullptr, 1, n_fft_,
                                           reinterpret_cast<fftwf_complex*>(out_), nullptr, 1,
                                           half_, f);
        };
        if (batch_ > 1)
            plan_->p1 = plan(1, flags);
        plan_->p = plan(static_cast<int>(batch_), flags);
        single_ = plan_->p && plan_->p1 && single_matches_batch();
        for (unsigned f : { flags | FFTW_UNALIGNED, unsigned(FFTW_ESTIMATE) }) {
            if (single_ || !plan_->p || !plan_->p1)
                break;
            fftwf_destroy_plan(plan_->p1);
            plan_->p1 = plan(1, f);
            single_ = plan_->p1 && single_matches_batch();
        }
    }
    if (!plan_->p) {
        std::free(wscaled_), std::free(in_), std::free(out_);
        throw std::runtime_error("FFTW could not plan a real FFT of length " +
                                 std::to_string(n_fft_));
    }
    std::memset(in_, 0, batch_ * n_fft_ * sizeof(float));
    std::memset(out_, 0, batch_ * half_ * 2 * sizeof(float));
#endif
}

#ifdef TFMED_HAVE_FFTW
bool FrameKernel::single_matches_batch()
{
    // A call whose frames do not fill a batch would otherwise pay for a whole
    // batch. The one-frame plan may serve those frames only if it gives the
    // batch plan's bits (a frame's numbers must not depend on how frames are
    // grouped into calls): FFTW may pick another algorithm for one frame, or
    // one that needs the aligned slot 0. Checked on varied frames in every
    // slot; any difference keeps whole batches.
    const size_t n = static_cast<size_t>(n_fft_), m = static_cast<size_t>(half_) * 2;
    std::vector<float> x(batch_ * n), ref(batch_ * m);
    uint32_t r = 0x9e3779b9u;
    for (size_t i = 0; i < x.size(); i++) {
        r = r * 1664525u + 1013904223u;
        const float u = static_cast<float>(r >> 8) / 16777216.0f - 0.5f;
        x[i] = u * std::ldexp(1.0f, static_cast<int>(i / n % 16) - 8);
    }
    std::memcpy(in_, x.data(), x.size() * sizeof(float));
    fftwf_execute_dft_r2c(plan_->p, in_, reinterpret_cast<fftwf_complex*>(out_));
    std::memcpy(ref.data(), out_, ref.size() * sizeof(float));
    for (size_t f = 0; f < batch_; f++) {
        std::memcpy(in_, x.data() + f * n, n * sizeof(float));
        fftwf_execute_dft_r2c(plan_->p1, in_, reinterpret_cast<fftwf_complex*>(out_));
        if (std::memcmp(out_, ref.data() + f * m, m * sizeof(float)) != 0)
            return false;
    }
    return true;
}
#endif

FrameKernel::~FrameKernel()
{
    plan_.reset();
    std::free(wscaled_);
    std::free(in_);
    std::free(out_);
}

void FrameKernel::transform_one() noexcept
{
#ifdef TFMED_HAVE_FFTW
    fftwf_execute_dft_r2c(plan_->p1, in_, reinterpret_cast<fftwf_complex*>(out_));
#endif
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
}

// Built for AVX-512 and AVX2 as well, chosen at load time: the square roots
// dominate this loop and the default build has 4-wide SSE only. The bits are
// the same in every version (IEEE mul, add and sqrt, correctly rounded; this
// file is built with -ffp-contract=off, so no version fuses a*a + b*b).
TFMED_TARGET_CLONES
bool FrameKernel::values(const float* __restrict z, float* __restrict d, size_t frames) const noexcept
{
    // `frames` frames back to back in z (half_ complex each) and in d (half_
    // values, or half_ complex): element-wise, so the bits do not depend on
    // how many frames one call covers. The NaN/Inf test of what is written
    // rides along (the bit test of count_nonfinite: exponent all ones), so
    // the common case makes one pass over its output, not two.
    constexpr uint32_t exp = 0x7f800000u;
    const size_t m = frames * static_cast<size_t>(half_);
    uint32_t bad = 0;
    auto put = [&](size_t k, float v) {
        d[k] = v;
        uint32_t u;
        std::memcpy(&u, &v, sizeof u);
        bad |= static_cast<uint32_t>((u & exp) == exp);
    };
    switch (opts_.output()) {
    case Output::complex:
        for (size_t k = 0; k < 2 * m; k++)
            put(k, z[k]);
        break;
    case Output::magnitude:
        // Float: the bits every earlier result (and trained model) was
        // computed with. A plain loop: the compiler vectorises it
        // (-fno-math-errno); VOLK calls per frame cost more than the work.
        for (size_t k = 0; k < m; k++)
            put(k, std::sqrt(z[2 * k] * z[2 * k] + z[2 * k + 1] * z[2 * k + 1]));
        break;
    case Output::power:
    case Output::log_power:
        for (size_t k = 0; k < m; k++)
            put(k, z[2 * k] * z[2 * k] + z[2 * k + 1] * z[2 * k + 1]);
        break;
    }
    return bad != 0;
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
        exact_frame(in_ + f * n_fft_, d);
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

void FrameKernel::finish_frame(size_t slot, float* d, bool bad, uint8_t* invalid)
{
    const float* z = out_ + slot * half_ * 2;
    const int nfloat = bins_ * floats_per_bin();
    if (bad) {
        if (!finish_special(slot, z, d)) {
            std::fill(d, d + nfloat, std::numeric_limits<float>::quiet_NaN());
            if (invalid)
                *invalid |= kFrameInvalid;
            return;
        }
        mirror(d);
        if (invalid && any_nonfinite(d, static_cast<size_t>(nfloat)))
            *invalid |= kFrameOverflow;
        return;
    }
    if (opts_.output() == Output::log_power)
        log_power(d);
    mirror(d);
}

void FrameKernel::window_into(size_t slot, const float* __restrict s) noexcept
{
    float* __restrict b = in_ + slot * n_fft_ + offset_;
    const float* __restrict w = wscaled_;
    for (int i = 0; i < win_; i++)
        b[i] = w[i] * s[i];
}

void FrameKernel::run(const float* const* src,
                      int channels,
                      ptrdiff_t src_stride,
                      size_t frames,
                      float* dst,
                      uint8_t* invalid) noexcept
{
    // Units in output order: frame f, channel c is unit f * channels + c, its
    // output the nfloat floats at dst + unit * nfloat. Batches run over units,
    // so channels fill batches as frames do.
    const Output kind = opts_.output();
    const size_t chans = static_cast<size_t>(channels);
    const size_t nfloat = static_cast<size_t>(bins_) * floats_per_bin();
    const size_t vals = static_cast<size_t>(half_) * floats_per_bin(); // before mirroring
    const bool packed = nfloat == vals;                                 // one-sided
    const size_t units = frames * chans;
    auto source = [&](size_t u) { return src[u % chans] + (u / chans) * src_stride; };
    auto flags = [&](size_t u) { return invalid ? invalid + u / chans : nullptr; };
    size_t u0 = 0;
    while (units - u0 >= batch_ || (u0 < units && !single_)) {
        const size_t n = std::min(units - u0, batch_);
        for (size_t f = 0; f < n; f++)
            window_into(f, source(u0 + f));
        transform();
        // The common case in one pass per output: the values, checked as
        // they are written. NaN/Inf input propagates through the FFT into
        // the output, and so does a float overflow; either sends the frame to
        // finish_special(), which tells them apart. One-sided outputs lie
        // back to back and are done as one block: for short frames the
        // per-frame loops would cost more than the work.
        float* const d0 = dst + u0 * nfloat;
        const bool any_bad = packed && values(out_, d0, n);
        // Packed and clean: nothing left per frame but the logarithm.
        const size_t per_frame = packed && !any_bad && kind != Output::log_power ? 0 : n;
        for (size_t f = 0; f < per_frame; f++) {
            float* d = d0 + f * nfloat;
            const bool bad = packed ? any_bad && any_nonfinite(d, vals)
                                    : values(out_ + f * half_ * 2, d, 1);
            finish_frame(f, d, bad, flags(u0 + f));
        }
        u0 += n;
    }
    // Fewer units than a batch, with a one-frame plan of the same bits: one
    // FFT per unit instead of a whole batch for them.
    for (; u0 < units; u0++) {
        window_into(0, source(u0));
        transform_one();
        float* d = dst + u0 * nfloat;
        finish_frame(0, d, values(out_, d, 1), flags(u0));
    }
}

} // namespace detail
} // namespace dsp
} // namespace tfmed
