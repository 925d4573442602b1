/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "frame_kernel.h"
#include <tfmed/dsp/stft_stream.h>

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace tfmed {
namespace dsp {

namespace {
void deinterleave(std::vector<std::vector<float>>& buf, const float* x, size_t n, int64_t at)
{
    // Interleaved x[t * C + c] into buf[c][at + t], in tiles of 64 samples:
    // the tile's rows stay in L1 while every channel takes its column (one
    // strided pass per channel over the whole push would miss the cache at
    // many channels). With SSE, groups of 4 channels x 4 samples are
    // transposed in registers (a strided scalar gather is one load a float).
    const int c_n = static_cast<int>(buf.size());
    constexpr size_t tile = 64;
    for (size_t t0 = 0; t0 < n; t0 += tile) {
        const size_t t1 = std::min(n, t0 + tile);
        int c = 0;
#ifdef __SSE__
        const size_t t4 = t0 + (t1 - t0) / 4 * 4;
        for (; c + 4 <= c_n; c += 4) {
            float* __restrict d0 = buf[c].data() + at;
            float* __restrict d1 = buf[c + 1].data() + at;
            float* __restrict d2 = buf[c + 2].data() + at;
            float* __restrict d3 = buf[c + 3].data() + at;
            size_t t = t0;
            for (; t < t4; t += 4) {
                const float* r = x + t * c_n + c;
                __m128 a = _mm_loadu_ps(r), b = _mm_loadu_ps(r + c_n),
                       e = _mm_loadu_ps(r + 2 * c_n), f = _mm_loadu_ps(r + 3 * c_n);
                _MM_TRANSPOSE4_PS(a, b, e, f);
                _mm_storeu_ps(d0 + t, a);
                _mm_storeu_ps(d1 + t, b);
                _mm_storeu_ps(d2 + t, e);
                _mm_storeu_ps(d3 + t, f);
            }
            for (; t < t1; t++) {
                const float* r = x + t * c_n + c;
                d0[t] = r[0], d1[t] = r[1], d2[t] = r[2], d3[t] = r[3];
            }
        }
#endif
        for (; c < c_n; c++) {
            float* __restrict d = buf[c].data() + at;
            const float* __restrict src = x + c;
            for (size_t t = t0; t < t1; t++)
                d[t] = src[t * c_n];
        }
    }
}
} // namespace

/*
 * Each channel keeps the padded signal p[] in a linear buffer: buf[c][i] holds
 * p[base + i] for i < fill. p[0..P) is the start boundary, filled with zeros at
 * once or, for reflection, once P + 1 samples have arrived. Samples before the
 * next frame's first read are dropped by compacting when the buffer fills.
 */
struct StftStream::impl {
    StftOptions opts;
    int channels;
    std::unique_ptr<detail::FrameKernel> kernel;
    int hop, win, offset, pad;
    // A frame is ready once padded positions [.., k * hop + span) exist: the
    // window's end, or the whole n_fft for torch without centring (torch
    // counts only frames whose n_fft lie inside the signal; with centring the
    // right pad covers the rest).
    int span;
    bool reflect;
    std::vector<std::vector<float>> buf;
    std::vector<const float*> src; // per channel: the next frame's first sample (pull)
    int64_t base = 0;       // padded position of buf[c][0]
    int64_t fill = 0;       // valid entries in buf[c]
    int64_t pushed = 0;     // raw samples per channel
    int64_t next = 0;       // next frame to pull
    int64_t total = -1;     // frames in the stream once finished, else -1
    bool left_done = false; // start boundary written

    static int checked_channels(int ch)
    {
        if (ch <= 0)
            throw std::invalid_argument("StftStream: expected channels > 0, found " +
                                        std::to_string(ch));
        return ch;
    }

    impl(const StftOptions& o, int ch)
        : opts((o.validate(), o)),
          channels(checked_channels(ch)),
          kernel(new detail::FrameKernel(o)),
          hop(o.hop()),
          win(o.effective_win_length()),
          offset(o.window_offset()),
          pad(o.left_pad()),
          span(o.convention() == Convention::torch && !o.center() ? o.n_fft()
                                                                   : o.window_offset() +
                                                                         o.effective_win_length()),
          reflect(o.convention() == Convention::torch && o.pad_mode() == PadMode::reflect),
          buf(ch),
          src(ch)
    {
        clear();
    }

    void clear()
    {
        base = 0, pushed = 0, next = 0, total = -1;
        fill = pad; // p[0..P): zeros now, reflection later
        for (auto& b : buf) {
            b.assign(std::max<size_t>(b.capacity(), pad + 4096), 0.0f);
        }
        left_done = !reflect || pad == 0;
    }

    int64_t frame_start(int64_t k) const { return k * hop + offset; } // padded position

    void ensure_room(size_t n)
    {
        // Keep what the next frame reads, and (for an end reflection) the last P+1.
        int64_t keep_from = std::min(frame_start(next), base + fill - (pad + 1));
        keep_from = std::max(keep_from, base);
        if (!left_done)
            keep_from = base;
        const int64_t drop = keep_from - base;
        if (fill + static_cast<int64_t>(n) > static_cast<int64_t>(buf[0].size()) &&
            drop > 0) {
            for (auto& b : buf)
                std::memmove(b.data(), b.data() + drop, (fill - drop) * sizeof(float));
            base += drop;
            fill -= drop;
        }
        if (fill + static_cast<int64_t>(n) > static_cast<int64_t>(buf[0].size()))
            for (auto& b : buf)
                b.resize(std::max<size_t>(fill + n, 2 * b.size()));
    }

    void fill_left()
    {
        // p[i] = x[P - i] for i in [0, P): x[j] sits at p[P + j]. base is 0 here.
        const int64_t avail = pushed;
        for (auto& b : buf)
            for (int i = 0; i < pad; i++) {
                const int64_t j = std::min<int64_t>(pad - i, avail - 1);
                b[i] = j >= 0 ? b[pad + j] : 0.0f;
            }
        left_done = true;
    }

    size_t ready() const
    {
        if (!left_done)
            return 0;
        const int64_t end = base + fill; // padded positions available: [.., end)
        int64_t k = end - span;
        k = k < 0 ? 0 : k / hop + 1;
        if (total >= 0)
            k = std::min(k, total);
        return k > next ? static_cast<size_t>(k - next) : 0;
    }
};

StftStream::StftStream(const StftOptions& opts, int channels)
    : d_(new impl(opts, channels))
{
}
StftStream::~StftStream() = default;
StftStream::StftStream(StftStream&&) noexcept = default;
StftStream& StftStream::operator=(StftStream&&) noexcept = default;

void StftStream::reserve(size_t n) { d_->ensure_room(n); }

void StftStream::push(const float* x, size_t n)
{
    impl& s = *d_;
    if (s.total >= 0)
        throw std::logic_error("StftStream::push after finish(); call reset() first");
    s.ensure_room(n);
    const int c_n = s.channels;
    if (c_n == 1) {
        std::memcpy(s.buf[0].data() + s.fill, x, n * sizeof(float));
    } else {
        deinterleave(s.buf, x, n, s.fill);
    }
    s.fill += n;
    s.pushed += n;
    if (!s.left_done && s.pushed > s.pad)
        s.fill_left();
}

void StftStream::finish()
{
    impl& s = *d_;
    if (s.total >= 0)
        return;
    if (s.pushed > 0 && s.pushed < s.opts.min_length()) {
        // Ended: nothing to pull, push() refuses, reset() starts again.
        s.total = 0;
        const bool reflect_short = s.reflect && s.pad > 0;
        throw std::invalid_argument(
            "StftStream::finish: the stream ended after " + std::to_string(s.pushed) +
            " samples per channel, fewer than the minimum of " +
            std::to_string(s.opts.min_length()) +
            (reflect_short ? " that reflect padding of " + std::to_string(s.pad) +
                                 " samples needs (torch.stft refuses it too)"
                           : " that one frame needs") +
            "; no frame was produced");
    }
    if (!s.left_done)
        s.fill_left();
    s.total = s.opts.num_frames(s.pushed);
    const int64_t rp = s.opts.right_pad(s.pushed);
    s.ensure_room(rp);
    const int64_t last = s.pad + s.pushed - 1; // padded position of x[L-1]
    for (auto& b : s.buf) {
        for (int64_t j = 1; j <= rp; j++) {
            float v = 0.0f;
            if (s.reflect) {
                const int64_t src = std::max<int64_t>(last - j, s.pad); // x[L-1-j]
                v = b[src - s.base];
            }
            b[s.fill + j - 1] = v;
        }
    }
    s.fill += rp;
}

void StftStream::reset() { d_->clear(); }

void StftStream::retune(const StftOptions& o)
{
    o.validate();
    const StftOptions& c = d_->opts;
    auto differs = [](const char* what, auto a, auto b) {
        if (a != b)
            throw std::invalid_argument(
                std::string("StftStream::retune: '") + what +
                "' cannot change on a running stream (expected " + std::to_string(a) +
                ", found " + std::to_string(b) + "); make a new stream");
    };
    differs("n_fft", c.n_fft(), o.n_fft());
    differs("hop", c.hop(), o.hop());
    differs("win_length", c.effective_win_length(), o.effective_win_length());
    differs("convention", static_cast<int>(c.convention()), static_cast<int>(o.convention()));
    differs("center", c.center(), o.center());
    differs("pad_mode", static_cast<int>(c.pad_mode()), static_cast<int>(o.pad_mode()));
    differs("onesided", c.onesided(), o.onesided());
    differs("complex output", c.output() == Output::complex, o.output() == Output::complex);
    auto k = std::make_unique<detail::FrameKernel>(o);
    d_->kernel.swap(k);
    d_->opts = o;
}

size_t StftStream::pull(float* out, size_t max_frames, uint8_t* invalid) noexcept
{
    impl& s = *d_;
    const size_t n = std::min(max_frames, s.ready());
    if (n == 0)
        return 0;
    if (invalid)
        std::memset(invalid, 0, n);
    const int64_t first = s.frame_start(s.next) - s.base;
    for (int c = 0; c < s.channels; c++)
        s.src[c] = s.buf[c].data() + first;
    s.kernel->run(s.src.data(), s.channels, s.hop, n, out, invalid);
    s.next += n;
    return n;
}

size_t count_nonfinite(const float* x, size_t n) noexcept
{
    // Exponent bits all ones <=> NaN or Inf; on the bits, so that no compiler
    // flag (-ffinite-math-only) can fold the test away, and vectorisable.
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        std::memcpy(&u, x + i, sizeof u);
        bad += (u & 0x7f800000u) == 0x7f800000u;
    }
    return bad;
}

size_t StftStream::frames_ready() const noexcept { return d_->ready(); }

int64_t StftStream::samples_needed(int64_t frame) const noexcept
{
    const impl& s = *d_;
    const int64_t need = frame * s.hop + s.span - s.pad;
    return std::max<int64_t>(need, s.reflect ? s.pad + 1 : 0);
}

int64_t StftStream::frames_pulled() const noexcept { return d_->next; }
int64_t StftStream::samples_pushed() const noexcept { return d_->pushed; }
int StftStream::channels() const noexcept { return d_->channels; }
int StftStream::bins() const noexcept { return d_->kernel->bins(); }
size_t StftStream::frame_floats() const noexcept
{
    return static_cast<size_t>(d_->channels) * d_->kernel->bins() *
           d_->kernel->floats_per_bin();
}
const StftOptions& StftStream::options() const noexcept { return d_->opts; }
const char* StftStream::fft_backend() noexcept { return detail::FrameKernel::backend(); }

} // namespace dsp
} // namespace tfmed
