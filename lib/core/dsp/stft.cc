/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/stft.h>

#include <torch/torch.h>

#include <cmath>

namespace tfmed {
namespace dsp {

namespace {

void check_input(const torch::Tensor& x, const StftOptions& opts)
{
    opts.validate();
    TORCH_CHECK(x.defined() && x.dim() >= 1,
                "stft: expected a real tensor of shape (..., T), found ",
                x.defined() ? "a 0-d tensor" : "an undefined tensor");
    TORCH_CHECK(x.is_floating_point(),
                "stft: expected a real floating-point tensor, found dtype ",
                x.scalar_type());
    const int64_t t = x.size(-1);
    if (opts.convention() == Convention::torch && opts.center() &&
        opts.pad_mode() == PadMode::reflect && opts.left_pad() > 0)
        TORCH_CHECK(t >= opts.min_length(),
                    "stft: reflect padding of ",
                    opts.left_pad(),
                    " samples needs more than that many samples, found T = ",
                    t,
                    " (minimum ",
                    opts.min_length(),
                    ", shape ",
                    x.sizes(),
                    ")");
    TORCH_CHECK(t >= opts.min_length(),
                "stft: one frame needs at least ",
                opts.min_length(),
                " samples, found T = ",
                t,
                " (shape ",
                x.sizes(),
                ", ",
                opts.to_string(),
                ")");
}

std::vector<int64_t> out_shape(const torch::Tensor& x, int64_t bins, int64_t frames)
{
    std::vector<int64_t> s(x.sizes().begin(), x.sizes().end() - 1);
    s.push_back(bins);
    s.push_back(frames);
    return s;
}

// |X|: z.abs() (the bits earlier results were computed with), and where it
// overflowed (|re|, |im| > ~1.8e19 in float) hypot, which scales internally.
torch::Tensor magnitude(const torch::Tensor& z)
{
    auto m = z.abs();
    const auto over = torch::isinf(m) & torch::isfinite(z);
    if (over.any().item<bool>())
        m = torch::where(over, torch::hypot(torch::real(z), torch::imag(z)), m);
    return m;
}

} // namespace

torch::Tensor stft_output(const torch::Tensor& z, const StftOptions& opts)
{
    switch (opts.output()) {
    case Output::complex:
        return z;
    case Output::magnitude:
        return magnitude(z);
    case Output::power:
        // Overflows (inf) only where |X|^2 exceeds the dtype's range.
        return torch::real(z * z.conj());
    case Output::log_power:
    default: {
        auto p = 10.0 * torch::log10(torch::real(z * z.conj()).clamp_min(opts.log_floor()));
        // 20 log10 |X| where |X|^2 overflowed: finite wherever |X| is.
        const auto over = torch::isinf(p) & torch::isfinite(z);
        if (over.any().item<bool>())
            p = torch::where(over, 20.0 * torch::log10(magnitude(z)), p);
        return p;
    }
    }
}

torch::Tensor stft_torch(const torch::Tensor& x, const StftOptions& opts)
{
    check_input(x, opts);
    namespace F = torch::nn::functional;
    const int64_t t = x.size(-1);
    const int64_t frames = opts.num_frames(t);
    const int64_t n_fft = opts.n_fft();
    const int64_t pad = opts.left_pad();
    auto xs = x.reshape({ -1, t });
    const auto vals = opts.window_values();
    auto w = torch::zeros({ n_fft }, torch::kFloat64);
    auto wa = w.accessor<double, 1>();
    for (size_t i = 0; i < vals.size(); i++)
        wa[opts.window_offset() + i] = vals[i] * opts.scale();
    w = w.to(xs.options());

    if (frames == 0)
        return torch::empty(out_shape(x, opts.n_bins(), 0),
                            opts.output() == Output::complex ? xs.options().dtype(
                                                                   c10::toComplexType(
                                                                       xs.scalar_type()))
                                                             : xs.options());
    // torch::stft(center=false) reads n_fft samples per frame; the zero window
    // tail makes the samples beyond the convention's span irrelevant.
    const int64_t right = std::max<int64_t>(
        0, (frames - 1) * opts.hop() + n_fft - (t + pad));
    torch::Tensor xp;
    if (opts.convention() == Convention::torch && opts.pad_mode() == PadMode::reflect &&
        pad > 0) {
        xp = F::pad(xs.unsqueeze(1),
                    F::PadFuncOptions({ pad, pad }).mode(torch::kReflect))
                 .squeeze(1);
        if (right > pad)
            xp = F::pad(xp, F::PadFuncOptions({ 0, right - pad }));
    } else {
        xp = F::pad(xs, F::PadFuncOptions({ pad, right }));
    }
    auto z = torch::stft(xp,
                         n_fft,
                         opts.hop(),
                         n_fft,
                         w,
                         /*normalized=*/false,
                         opts.onesided(),
                         /*return_complex=*/true);
    z = z.narrow(-1, 0, frames);
    return stft_output(z, opts).reshape(out_shape(x, opts.n_bins(), frames)).contiguous();
}

torch::Tensor stft(const torch::Tensor& x, const StftOptions& opts)
{
    check_input(x, opts);
    if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat)
        return stft_torch(x, opts);

    const int64_t t = x.size(-1);
    const int64_t frames = opts.num_frames(t);
    const int64_t bins = opts.n_bins();
    const bool cplx = opts.output() == Output::complex;
    auto xs = x.reshape({ -1, t }).contiguous();
    const int64_t channels = xs.size(0);
    auto out = torch::empty({ channels, frames, bins * (cplx ? 2 : 1) }, torch::kFloat);
    StftStream stream(opts, 1);
    const float* src = xs.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    for (int64_t c = 0; c < channels; c++) {
        stream.reset();
        stream.push(src + c * t, t);
        stream.finish();
        const size_t got = stream.pull(dst + c * frames * bins * (cplx ? 2 : 1), frames);
        TORCH_INTERNAL_ASSERT(static_cast<int64_t>(got) == frames,
                              "stft: streaming produced ",
                              got,
                              " frames, expected ",
                              frames);
    }
    torch::Tensor y = cplx ? torch::view_as_complex(out.view({ channels, frames, bins, 2 }))
                           : out;
    return y.transpose(1, 2).contiguous().reshape(out_shape(x, bins, frames));
}

} // namespace dsp
} // namespace tfmed
