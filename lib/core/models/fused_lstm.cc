/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/models/fused_lstm.h>

#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

// The loops below are plain C++ that the compiler vectorises. On x86-64 they
// are also compiled for AVX2 + FMA and for AVX-512, and the widest the CPU
// has is chosen on the first call, so one binary runs everywhere.
// (target_clones("arch=...") would dispatch on the CPU model, not on its
// features: an AMD EPYC with AVX-512 got the baseline SSE2 clone.)
#define TFMED_INLINE inline __attribute__((always_inline))
#if defined(__x86_64__) && defined(__GNUC__)
#define TFMED_X86_DISPATCH 1
#endif

namespace tfmed {
namespace models {

namespace {

std::atomic<bool> g_fused{ true };

// exp(x) for float, branch-free so that loops over it vectorise: x = n ln2 + r
// with |r| <= ln2 / 2, a degree-6 polynomial for e^r (Cephes' expf
// coefficients, about 2 ulp), 2^n from the exponent bits. Clamped to
// [-87, 88], inside float's normal range.
TFMED_INLINE float exp_f(float x)
{
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float magic = 12582912.0f; // 1.5 * 2^23: adding it rounds to an integer
    const float n = (x * 1.44269504088896341f + magic) - magic;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

TFMED_INLINE float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }
TFMED_INLINE float tanh_f(float x) { return 1.0f - 2.0f / (1.0f + exp_f(2.0f * x)); }

// Vectors of 4, 8 or 16 floats, each instance using the widest its
// instruction set holds in one register (wider generic vectors would be
// split element by element). A plain memcpy moves them, so any alignment
// will do; they never cross a call (every function taking one is inlined).
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v4 __attribute__((vector_size(16)));
typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));

template <typename V>
TFMED_INLINE V load_v(const float* p)
{
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <typename V>
TFMED_INLINE void store_v(float* p, V v)
{
    std::memcpy(p, &v, sizeof v);
}

/*
 * out[r] += a[r] M for R rows at once: a[r] (K), M (K, N) row-major,
 * out[r] (N). Columns go in blocks of four vectors held in registers over
 * all of K, so each element of M loaded serves R rows; the last columns that
 * fill no block go one at a time.
 */
template <typename V, int R>
TFMED_INLINE void rows_times_matrix(const float* const* a, const float* m, float* const* out,
                                    int64_t K, int64_t N)
{
    constexpr int64_t L = sizeof(V) / sizeof(float);
    int64_t j = 0;
    for (; j + 4 * L <= N; j += 4 * L) {
        V acc[R][4];
        for (int r = 0; r < R; ++r)
            for (int q = 0; q < 4; ++q)
                acc[r][q] = load_v<V>(out[r] + j + L * q);
        for (int64_t k = 0; k < K; ++k) {
            const float* mk = m + k * N + j;
            const V w0 = load_v<V>(mk), w1 = load_v<V>(mk + L), w2 = load_v<V>(mk + 2 * L),
                    w3 = load_v<V>(mk + 3 * L);
            for (int r = 0; r < R; ++r) {
                const float s = a[r][k];
                acc[r][0] += s * w0;
                acc[r][1] += s * w1;
                acc[r][2] += s * w2;
                acc[r][3] += s * w3;
            }
        }
        for (int r = 0; r < R; ++r)
            for (int q = 0; q < 4; ++q)
                store_v<V>(out[r] + j + L * q, acc[r][q]);
    }
    for (; j < N; ++j)
        for (int r = 0; r < R; ++r) {
            float v = out[r][j];
            for (int64_t k = 0; k < K; ++k)
                v += a[r][k] * m[k * N + j];
            out[r][j] = v;
        }
}

/*
 * The forward recurrence for sequences b .. b+R-1, advanced together.
 * xw (B, T, 4H): x W_ih^T + b_ih + b_hh; wt (H, 4H): W_hh^T.
 * Writes y (B, T, H); when act is not null also the gate activations
 * act (B, T, 4H) = (i, f, g, o), the cell states cs (B, T, H) and tanh of
 * them tcs (B, T, H) for the backward. work: R * 6H floats.
 */
template <typename V, int R>
TFMED_INLINE void forward_group(int64_t b, int64_t T, int64_t H, const float* xw,
                                const float* wt, float* y, float* act, float* cs, float* tcs,
                                float* work)
{
    const int64_t G = 4 * H;
    float* g[R];
    const float* hp[R];
    for (int r = 0; r < R; ++r) {
        g[r] = work + r * 6 * H;
        float* c = g[r] + G;
        for (int64_t j = 0; j < H; ++j)
            c[j] = 0.0f;
    }
    for (int64_t t = 0; t < T; ++t) {
        for (int r = 0; r < R; ++r) {
            const int64_t row = (b + r) * T + t;
            std::memcpy(g[r], xw + row * G, sizeof(float) * static_cast<std::size_t>(G));
            hp[r] = t > 0 ? y + (row - 1) * H : nullptr;
        }
        if (t > 0)
            rows_times_matrix<V, R>(hp, wt, g, H, G);
        for (int r = 0; r < R; ++r) {
            float* gr = g[r];
            float* c = gr + G;
            float* tc = c + H;
            for (int64_t j = 0; j < 2 * H; ++j)
                gr[j] = sigmoid_f(gr[j]);
            for (int64_t j = 2 * H; j < 3 * H; ++j)
                gr[j] = tanh_f(gr[j]);
            for (int64_t j = 3 * H; j < G; ++j)
                gr[j] = sigmoid_f(gr[j]);
            for (int64_t j = 0; j < H; ++j)
                c[j] = gr[H + j] * c[j] + gr[j] * gr[2 * H + j];
            for (int64_t j = 0; j < H; ++j)
                tc[j] = tanh_f(c[j]);
            const int64_t row = (b + r) * T + t;
            float* yt = y + row * H;
            for (int64_t j = 0; j < H; ++j)
                yt[j] = gr[3 * H + j] * tc[j];
            if (act) {
                std::memcpy(act + row * G, gr, sizeof(float) * static_cast<std::size_t>(G));
                std::memcpy(cs + row * H, c, sizeof(float) * static_cast<std::size_t>(H));
                std::memcpy(tcs + row * H, tc, sizeof(float) * static_cast<std::size_t>(H));
            }
        }
    }
}

/*
 * The backward recurrence for sequences b .. b+R-1: from dy (B, T, H) and the
 * saved act, cs, tcs, the gradients of the gate pre-activations
 * da (B, T, 4H). w (4H, H): W_hh. work: R * 3H + H floats.
 */
template <typename V, int R>
TFMED_INLINE void backward_group(int64_t b, int64_t T, int64_t H, const float* dy,
                                 const float* act, const float* cs, const float* tcs,
                                 const float* w, float* da, float* work)
{
    const int64_t G = 4 * H;
    float* zero = work + R * 3 * H;
    for (int64_t j = 0; j < H; ++j)
        zero[j] = 0.0f;
    float* dhn[R]; // dL/dh_t from step t + 1
    const float* D[R];
    for (int r = 0; r < R; ++r) {
        dhn[r] = work + r * 3 * H;
        float* dcn = dhn[r] + H; // dL/dc_t from step t + 1
        for (int64_t j = 0; j < H; ++j)
            dhn[r][j] = dcn[j] = 0.0f;
    }
    for (int64_t t = T - 1; t >= 0; --t) {
        for (int r = 0; r < R; ++r) {
            const int64_t row = (b + r) * T + t;
            const float* A = act + row * G;
            const float* TC = tcs + row * H;
            const float* CP = t > 0 ? cs + (row - 1) * H : zero;
            const float* DY = dy + row * H;
            float* dcn = dhn[r] + H;
            float* dh = dcn + H;
            float* Dr = da + row * G;
            for (int64_t j = 0; j < H; ++j)
                dh[j] = DY[j] + dhn[r][j];
            for (int64_t j = 0; j < H; ++j) {
                const float i = A[j], f = A[H + j], gg = A[2 * H + j], o = A[3 * H + j];
                const float tcj = TC[j];
                const float dc = dh[j] * o * (1.0f - tcj * tcj) + dcn[j];
                Dr[j] = dc * gg * i * (1.0f - i);
                Dr[H + j] = dc * CP[j] * f * (1.0f - f);
                Dr[2 * H + j] = dc * i * (1.0f - gg * gg);
                Dr[3 * H + j] = dh[j] * tcj * o * (1.0f - o);
                dcn[j] = dc * f;
            }
            D[r] = Dr;
            for (int64_t j = 0; j < H; ++j)
                dhn[r][j] = 0.0f;
        }
        if (t > 0)
            rows_times_matrix<V, R>(D, w, dhn, G, H);
    }
}

// Rows in groups of R (R sequences share each load of the weights), the rest one by one.
template <typename V, int R>
TFMED_INLINE void forward_rows_body(int64_t b0, int64_t b1, int64_t T, int64_t H,
                                    const float* xw, const float* wt, float* y, float* act,
                                    float* cs, float* tcs, float* work)
{
    int64_t b = b0;
    for (; b + R <= b1; b += R)
        forward_group<V, R>(b, T, H, xw, wt, y, act, cs, tcs, work);
    for (; b < b1; ++b)
        forward_group<V, 1>(b, T, H, xw, wt, y, act, cs, tcs, work);
}

template <typename V, int R>
TFMED_INLINE void backward_rows_body(int64_t b0, int64_t b1, int64_t T, int64_t H,
                                     const float* dy, const float* act, const float* cs,
                                     const float* tcs, const float* w, float* da, float* work)
{
    int64_t b = b0;
    for (; b + R <= b1; b += R)
        backward_group<V, R>(b, T, H, dy, act, cs, tcs, w, da, work);
    for (; b < b1; ++b)
        backward_group<V, 1>(b, T, H, dy, act, cs, tcs, w, da, work);
}

// The most rows per group, and the work floats each call needs.
constexpr int kMaxRows = 4;
int64_t work_floats(int64_t H) { return kMaxRows * 6 * H + H; }

// One instance of the loops per instruction set, and the rows per group that
// its registers hold; the widest the CPU has is picked once.
#define TFMED_FORWARD_ARGS                                                                      \
    int64_t b0, int64_t b1, int64_t T, int64_t H, const float *xw, const float *wt, float *y,  \
        float *act, float *cs, float *tcs, float *work
#define TFMED_BACKWARD_ARGS                                                                     \
    int64_t b0, int64_t b1, int64_t T, int64_t H, const float *dy, const float *act,           \
        const float *cs, const float *tcs, const float *w, float *da, float *work

void forward_rows_base(TFMED_FORWARD_ARGS)
{
    forward_rows_body<v4, 2>(b0, b1, T, H, xw, wt, y, act, cs, tcs, work);
}
void backward_rows_base(TFMED_BACKWARD_ARGS)
{
    backward_rows_body<v4, 2>(b0, b1, T, H, dy, act, cs, tcs, w, da, work);
}
#ifdef TFMED_X86_DISPATCH
__attribute__((target("avx2,fma"))) void forward_rows_avx2(TFMED_FORWARD_ARGS)
{
    forward_rows_body<v8, 2>(b0, b1, T, H, xw, wt, y, act, cs, tcs, work);
}
__attribute__((target("avx2,fma"))) void backward_rows_avx2(TFMED_BACKWARD_ARGS)
{
    backward_rows_body<v8, 2>(b0, b1, T, H, dy, act, cs, tcs, w, da, work);
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void forward_rows_avx512(TFMED_FORWARD_ARGS)
{
    forward_rows_body<v16, kMaxRows>(b0, b1, T, H, xw, wt, y, act, cs, tcs, work);
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void backward_rows_avx512(TFMED_BACKWARD_ARGS)
{
    backward_rows_body<v16, kMaxRows>(b0, b1, T, H, dy, act, cs, tcs, w, da, work);
}
#endif

enum class Isa { base, avx2, avx512 };

// ATEN_CPU_CAPABILITY (default, avx2, avx512), LibTorch's own cap on its CPU
// kernels, caps these loops too: one knob, and the tests run each instance.
Isa best_isa()
{
    const char* cap = std::getenv("ATEN_CPU_CAPABILITY");
    const std::string c = cap ? cap : "";
    if (c == "default")
        return Isa::base;
#ifdef TFMED_X86_DISPATCH
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (c == "avx2")
        return avx2 ? Isa::avx2 : Isa::base;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("fma"))
        return Isa::avx512;
    if (avx2)
        return Isa::avx2;
#endif
    return Isa::base;
}

const char* isa_name(Isa i)
{
    return i == Isa::avx512 ? "avx512" : (i == Isa::avx2 ? "avx2" : "default");
}

#ifndef TFMED_X86_DISPATCH
#define forward_rows_avx2 forward_rows_base
#define forward_rows_avx512 forward_rows_base
#define backward_rows_avx2 backward_rows_base
#define backward_rows_avx512 backward_rows_base
#endif

// The instance for this CPU of a loop that has one per instruction set.
template <typename Fn>
Fn pick(Fn base, [[maybe_unused]] Fn avx2, [[maybe_unused]] Fn avx512)
{
    static const Isa isa = best_isa();
    return isa == Isa::avx512 ? avx512 : (isa == Isa::avx2 ? avx2 : base);
}

void forward_rows(TFMED_FORWARD_ARGS)
{
    static const auto f = pick(&forward_rows_base, &forward_rows_avx2, &forward_rows_avx512);
    f(b0, b1, T, H, xw, wt, y, act, cs, tcs, work);
}

void backward_rows(TFMED_BACKWARD_ARGS)
{
    static const auto f = pick(&backward_rows_base, &backward_rows_avx2, &backward_rows_avx512);
    f(b0, b1, T, H, dy, act, cs, tcs, w, da, work);
}

std::string shape(const at::Tensor& t)
{
    return t.defined() ? std::string(c10::str(t.sizes())) : std::string("none");
}

void check(const at::Tensor& x, const at::Tensor& w_ih, const at::Tensor& w_hh,
           const at::Tensor& b_ih, const at::Tensor& b_hh)
{
    if (!x.defined() || x.dim() != 3)
        throw std::invalid_argument("fused LSTM: expected input (B, T, I), found " + shape(x));
    if (!w_hh.defined() || w_hh.dim() != 2 || w_hh.size(0) != 4 * w_hh.size(1))
        throw std::invalid_argument("fused LSTM: expected weight_hh (4H, H), found " +
                                    shape(w_hh));
    const int64_t H = w_hh.size(1), I = x.size(2);
    if (!w_ih.defined() || w_ih.dim() != 2 || w_ih.size(0) != 4 * H || w_ih.size(1) != I)
        throw std::invalid_argument("fused LSTM: expected weight_ih (" + std::to_string(4 * H) +
                                    ", " + std::to_string(I) + "), found " + shape(w_ih));
    for (const auto* b : { &b_ih, &b_hh })
        if (!b->defined() || b->dim() != 1 || b->size(0) != 4 * H)
            throw std::invalid_argument("fused LSTM: expected biases (" +
                                        std::to_string(4 * H) + "), found " + shape(*b));
    for (const auto* t : { &x, &w_ih, &w_hh, &b_ih, &b_hh }) {
        if (!t->device().is_cpu())
            throw std::invalid_argument("fused LSTM: expected CPU tensors, found one on " +
                                        t->device().str());
        if (t->scalar_type() != at::kFloat)
            throw std::invalid_argument(std::string("fused LSTM: expected float32, found ") +
                                        c10::toString(t->scalar_type()));
    }
}

struct Forward {
    at::Tensor x, y, act, cs, tcs;
};

Forward run_forward(const at::Tensor& x_in, const at::Tensor& w_ih, const at::Tensor& w_hh,
                    const at::Tensor& b_ih, const at::Tensor& b_hh, bool save)
{
    Forward r;
    r.x = x_in.contiguous();
    const int64_t B = r.x.size(0), T = r.x.size(1), I = r.x.size(2), H = w_hh.size(1);
    const int64_t G = 4 * H;
    const auto xw =
        at::addmm(b_ih + b_hh, r.x.view({ B * T, I }), w_ih.t()).contiguous(); // (B T, 4H)
    const auto wt = w_hh.t().contiguous();                                    // (H, 4H)
    r.y = at::empty({ B, T, H }, r.x.options());
    if (save) {
        r.act = at::empty({ B, T, G }, r.x.options());
        r.cs = at::empty({ B, T, H }, r.x.options());
        r.tcs = at::empty({ B, T, H }, r.x.options());
    }
    const float* pxw = xw.data_ptr<float>();
    const float* pwt = wt.data_ptr<float>();
    float* py = r.y.data_ptr<float>();
    float* pact = save ? r.act.data_ptr<float>() : nullptr;
    float* pcs = save ? r.cs.data_ptr<float>() : nullptr;
    float* ptcs = save ? r.tcs.data_ptr<float>() : nullptr;
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
        std::vector<float> work(static_cast<std::size_t>(work_floats(H)));
        forward_rows(b0, b1, T, H, pxw, pwt, py, pact, pcs, ptcs, work.data());
    });
    return r;
}

class FusedLstmFunction : public torch::autograd::Function<FusedLstmFunction>
{
public:
    static at::Tensor forward(torch::autograd::AutogradContext* ctx,
                              const at::Tensor& x,
                              const at::Tensor& w_ih,
                              const at::Tensor& w_hh,
                              const at::Tensor& b_ih,
                              const at::Tensor& b_hh)
    {
        auto r = run_forward(x, w_ih, w_hh, b_ih, b_hh, true);
        ctx->save_for_backward({ r.x, w_ih, w_hh, r.y, r.act, r.cs, r.tcs });
        return r.y;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads)
    {
        // The backward is written out, not recorded: differentiable once.
        if (at::GradMode::is_enabled())
            throw std::runtime_error("fused LSTM: expected a first-order backward, found "
                                     "create_graph (double backward); call "
                                     "models::set_fused_lstm(false) for LibTorch's LSTM");
        const auto s = ctx->get_saved_variables();
        const auto &x = s[0], &w_ih = s[1], &w_hh = s[2], &y = s[3];
        const int64_t B = x.size(0), T = x.size(1), I = x.size(2), H = w_hh.size(1);
        const int64_t G = 4 * H;
        if (!grads[0].defined())
            return { at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor() };
        const auto dy = grads[0].contiguous();
        const auto act = s[4].contiguous(), cs = s[5].contiguous(), tcs = s[6].contiguous();
        const auto w = w_hh.contiguous();
        auto da = at::empty({ B, T, G }, x.options());
        const float* pdy = dy.data_ptr<float>();
        const float* pact = act.data_ptr<float>();
        const float* pcs = cs.data_ptr<float>();
        const float* ptcs = tcs.data_ptr<float>();
        const float* pw = w.data_ptr<float>();
        float* pda = da.data_ptr<float>();
        at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
            std::vector<float> work(static_cast<std::size_t>(work_floats(H)));
            backward_rows(b0, b1, T, H, pdy, pact, pcs, ptcs, pw, pda, work.data());
        });
        const auto d2 = da.view({ B * T, G });
        // h_{t-1} for every step: the outputs shifted by one, zero at t = 0.
        auto hprev = at::zeros({ B, T, H }, x.options());
        if (T > 1)
            hprev.narrow(1, 1, T - 1).copy_(y.narrow(1, 0, T - 1));
        const auto dx = d2.mm(w_ih).view({ B, T, I });
        const auto dw_ih = d2.t().mm(x.view({ B * T, I }));
        const auto dw_hh = d2.t().mm(hprev.view({ B * T, H }));
        const auto db = d2.sum(0);
        return { dx, dw_ih, dw_hh, db, db.clone() };
    }
};

} // namespace

at::Tensor fused_lstm(const at::Tensor& x,
                      const at::Tensor& w_ih,
                      const at::Tensor& w_hh,
                      const at::Tensor& b_ih,
                      const at::Tensor& b_hh)
{
    check(x, w_ih, w_hh, b_ih, b_hh);
    const bool grad = at::GradMode::is_enabled() &&
                      (x.requires_grad() || w_ih.requires_grad() || w_hh.requires_grad() ||
                       b_ih.requires_grad() || b_hh.requires_grad());
    if (grad)
        return FusedLstmFunction::apply(x, w_ih, w_hh, b_ih, b_hh);
    at::NoGradGuard ng;
    return run_forward(x, w_ih, w_hh, b_ih, b_hh, false).y;
}

void set_fused_lstm(bool on) { g_fused.store(on); }
bool fused_lstm_enabled() { return g_fused.load(); }
std::string fused_lstm_isa()
{
    static const Isa isa = best_isa();
    return isa_name(isa);
}

} // namespace models
} // namespace tfmed
