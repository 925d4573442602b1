/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/augment.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace tfmed {
namespace augment {

namespace {

uint64_t splitmix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void check_image(const torch::Tensor& img, const char* what)
{
    if (!img.defined() || img.dim() < 2 || !img.is_floating_point())
        throw std::invalid_argument(std::string(what) +
                                    ": expected a float image (..., F, T), found " +
                                    (img.defined() ? std::to_string(img.dim()) + "-d " +
                                                         std::string(c10::toString(img.scalar_type()))
                                                   : std::string("none")));
}

std::string fmt(double v)
{
    std::ostringstream s;
    s << v;
    return s.str();
}

} // namespace

Rng::Rng(uint64_t seed, uint64_t id, uint64_t stream)
    : g_(splitmix64(splitmix64(splitmix64(seed) ^ id) ^ stream))
{
}

double Rng::uniform() { return static_cast<double>(g_() >> 11) * 0x1.0p-53; }

double Rng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

int64_t Rng::integer(int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range; // reject the uneven tail
    uint64_t r;
    do
        r = g_();
    while (r >= limit);
    return lo + static_cast<int64_t>(r % range);
}

double Rng::normal()
{
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * M_PI * u2);
}

torch::Tensor brightness(const torch::Tensor& img, double factor)
{
    check_image(img, "brightness");
    if (!(factor >= 0 && std::isfinite(factor)))
        throw std::invalid_argument("brightness: expected a finite factor >= 0, found " +
                                    fmt(factor));
    return (img * factor).clamp(0.0, 1.0);
}

torch::Tensor contrast(const torch::Tensor& img, double factor)
{
    check_image(img, "contrast");
    if (!(factor >= 0 && std::isfinite(factor)))
        throw std::invalid_argument("contrast: expected a finite factor >= 0, found " +
                                    fmt(factor));
    const auto mean = img.mean({ -2, -1 }, true);
    return (img * factor + mean * (1.0 - factor)).clamp(0.0, 1.0);
}

torch::Tensor gaussian_blur(const torch::Tensor& img, int64_t kernel, double sigma)
{
    check_image(img, "gaussian_blur");
    const int64_t F = img.size(-2), T = img.size(-1);
    if (kernel < 1 || kernel % 2 == 0)
        throw std::invalid_argument("gaussian_blur: expected an odd kernel size >= 1, found " +
                                    std::to_string(kernel));
    if (kernel / 2 >= std::min(F, T))
        throw std::invalid_argument("gaussian_blur: kernel " + std::to_string(kernel) +
                                    " needs an image of at least " +
                                    std::to_string(kernel / 2 + 1) + " x " +
                                    std::to_string(kernel / 2 + 1) + " (reflect padding), found " +
                                    std::to_string(F) + " x " + std::to_string(T));
    if (!(sigma > 0 && std::isfinite(sigma)))
        throw std::invalid_argument("gaussian_blur: expected a finite sigma > 0, found " +
                                    fmt(sigma));
    // torchvision: linspace(-(k-1)/2, (k-1)/2, k), pdf, normalised, outer
    // product, reflect pad k/2, one 2-D convolution.
    const auto opts = torch::TensorOptions().dtype(img.scalar_type()).device(img.device());
    const double half = (kernel - 1) * 0.5;
    auto x = torch::linspace(-half, half, kernel, opts);
    auto pdf = torch::exp(-0.5 * (x / sigma).pow(2));
    auto k1 = pdf / pdf.sum();
    auto k2 = (k1.unsqueeze(1) * k1.unsqueeze(0)).view({ 1, 1, kernel, kernel });
    auto shape = img.sizes().vec();
    auto flat = img.reshape({ -1, 1, F, T });
    const int64_t p = kernel / 2;
    flat = torch::nn::functional::pad(
        flat, torch::nn::functional::PadFuncOptions({ p, p, p, p }).mode(torch::kReflect));
    return torch::conv2d(flat, k2).reshape(shape);
}

torch::Tensor time_flip(const torch::Tensor& img)
{
    check_image(img, "time_flip");
    return img.flip({ -1 });
}

namespace {
torch::Tensor mask_axis(const torch::Tensor& img, int64_t axis, int64_t start, int64_t width,
                        double value, const char* what)
{
    check_image(img, what);
    const int64_t n = img.size(axis);
    if (start < 0 || width < 0 || start + width > n)
        throw std::invalid_argument(std::string(what) + ": expected 0 <= start and start + width <= " +
                                    std::to_string(n) + ", found start " + std::to_string(start) +
                                    " width " + std::to_string(width));
    auto out = img.clone();
    if (width > 0)
        out.narrow(axis, start, width).fill_(value);
    return out;
}
} // namespace

torch::Tensor time_mask(const torch::Tensor& img, int64_t start, int64_t width, double value)
{
    return mask_axis(img, -1, start, width, value, "time_mask");
}

torch::Tensor freq_mask(const torch::Tensor& img, int64_t start, int64_t width, double value)
{
    return mask_axis(img, -2, start, width, value, "freq_mask");
}

ViewOptions ViewOptions::view1() { return ViewOptions(); }

ViewOptions ViewOptions::view2()
{
    ViewOptions v;
    v.jitter_p = 0.0;
    v.blur_p = 1.0;
    return v;
}

void ViewOptions::validate() const
{
    auto prob = [](double p, const char* name) {
        if (!(p >= 0 && p <= 1))
            throw std::invalid_argument(std::string("augmentation ") + name +
                                        ": expected a probability in [0, 1], found " + fmt(p));
    };
    prob(jitter_p, "jitter_p");
    prob(blur_p, "blur_p");
    prob(flip_p, "flip_p");
    auto strength = [](double v, const char* name) {
        if (!(v >= 0 && v <= 10))
            throw std::invalid_argument(std::string("augmentation ") + name +
                                        ": expected a strength in [0, 10], found " + fmt(v));
    };
    strength(brightness, "brightness");
    strength(contrast, "contrast");
    if (blur_kernel < 1 || blur_kernel % 2 == 0 || blur_kernel > 31)
        throw std::invalid_argument("augmentation blur_kernel: expected an odd size in 1..31, "
                                    "found " + std::to_string(blur_kernel));
    if (!(blur_sigma_min > 0 && blur_sigma_max >= blur_sigma_min && blur_sigma_max <= 100))
        throw std::invalid_argument("augmentation blur sigma: expected 0 < min <= max <= 100, "
                                    "found [" + fmt(blur_sigma_min) + ", " +
                                    fmt(blur_sigma_max) + "]");
    if (time_mask < 0 || freq_mask < 0)
        throw std::invalid_argument("augmentation masks: expected widths >= 0, found time " +
                                    std::to_string(time_mask) + " frequency " +
                                    std::to_string(freq_mask));
}

std::string ViewOptions::to_string() const
{
    std::ostringstream s;
    s << "jitter p " << jitter_p << " (brightness " << brightness << ", contrast " << contrast
      << "), blur p " << blur_p << " (k " << blur_kernel << ", sigma " << blur_sigma_min << ".."
      << blur_sigma_max << "), flip p " << flip_p << ", time mask <= " << time_mask
      << ", frequency mask <= " << freq_mask;
    return s.str();
}

ViewDraw draw_view(const ViewOptions& v, int64_t F, int64_t T, uint64_t seed, uint64_t id,
                   uint64_t view)
{
    Rng r(seed, id, view);
    ViewDraw d;
    // Every draw is taken whether or not it is used, so that changing one
    // probability or strength does not shift the others' streams. The mask
    // draws come last: an empty range (a mask width of 0) takes no draw, so
    // turning the time mask on moves only the frequency mask's draws.
    const double uj = r.uniform();
    const double b = r.uniform(std::max(0.0, 1.0 - v.brightness), 1.0 + v.brightness);
    const double c = r.uniform(std::max(0.0, 1.0 - v.contrast), 1.0 + v.contrast);
    const bool cf = r.uniform() < 0.5;
    const double ub = r.uniform();
    const double s = r.uniform(v.blur_sigma_min, v.blur_sigma_max);
    const double uf = r.uniform();
    const int64_t tw = r.integer(0, std::min(v.time_mask, T));
    const int64_t ts = r.integer(0, T - tw);
    const int64_t fw = r.integer(0, std::min(v.freq_mask, F));
    const int64_t fs = r.integer(0, F - fw);
    d.jitter = uj < v.jitter_p && (v.brightness > 0 || v.contrast > 0);
    if (d.jitter) {
        d.brightness = b;
        d.contrast = c;
        d.contrast_first = cf;
    }
    d.blur = ub < v.blur_p;
    if (d.blur)
        d.sigma = s;
    d.flip = uf < v.flip_p;
    d.time_width = tw;
    d.time_start = tw ? ts : 0;
    d.freq_width = fw;
    d.freq_start = fw ? fs : 0;
    return d;
}

torch::Tensor apply_view(const torch::Tensor& img, const ViewOptions& v, const ViewDraw& d)
{
    auto y = img;
    if (d.jitter) {
        if (d.contrast_first)
            y = brightness(contrast(y, d.contrast), d.brightness);
        else
            y = contrast(brightness(y, d.brightness), d.contrast);
    }
    if (d.blur)
        y = gaussian_blur(y, v.blur_kernel, d.sigma);
    if (d.flip)
        y = time_flip(y);
    if (d.time_width)
        y = time_mask(y, d.time_start, d.time_width);
    if (d.freq_width)
        y = freq_mask(y, d.freq_start, d.freq_width);
    return y;
}

torch::Tensor view(const torch::Tensor& imgs, const ViewOptions& v, uint64_t seed,
                   const std::vector<int64_t>& ids, uint64_t view_id)
{
    if (!imgs.defined() || imgs.dim() != 3 || !imgs.is_floating_point())
        throw std::invalid_argument("augment view: expected float images (N, F, T), found " +
                                    (imgs.defined() ? std::to_string(imgs.dim()) + "-d"
                                                    : std::string("none")));
    if (static_cast<int64_t>(ids.size()) != imgs.size(0))
        throw std::invalid_argument("augment view: expected " + std::to_string(imgs.size(0)) +
                                    " sample ids, found " + std::to_string(ids.size()));
    v.validate();
    torch::NoGradGuard ng;
    const int64_t F = imgs.size(1), T = imgs.size(2);
    if (v.blur_p > 0 && v.blur_kernel / 2 >= std::min(F, T))
        throw std::invalid_argument("augment view: blur kernel " + std::to_string(v.blur_kernel) +
                                    " is too large for " + std::to_string(F) + " x " +
                                    std::to_string(T) + " spectrograms");
    std::vector<torch::Tensor> out;
    out.reserve(ids.size());
    for (std::size_t n = 0; n < ids.size(); ++n)
        out.push_back(apply_view(imgs[static_cast<int64_t>(n)], v,
                                 draw_view(v, F, T, seed, static_cast<uint64_t>(ids[n]), view_id)));
    return torch::stack(out);
}

torch::Tensor time_domain(const torch::Tensor& x, const std::string& kind, double sigma,
                          int64_t segments, uint64_t seed, const std::vector<int64_t>& ids,
                          uint64_t view)
{
    if (!x.defined() || x.dim() != 3 || !x.is_floating_point())
        throw std::invalid_argument("time-domain augmentation: expected float series (N, C, L)");
    // (Checked before the samples: an empty batch took any kind, and a
    // series of no point asked the permutation for 2^64 - 1 cut positions.)
    if (kind != "jitter" && kind != "scaling" && kind != "permutation")
        throw std::invalid_argument("time-domain augmentation: expected jitter, scaling or "
                                    "permutation, found '" + kind + "'");
    if (x.size(2) < 1)
        throw std::invalid_argument("time-domain augmentation: expected series of at least one "
                                    "point, found length 0");
    if (kind == "permutation" && segments < 1)
        throw std::invalid_argument("permutation: expected segments >= 1, found " +
                                    std::to_string(segments));
    if (static_cast<int64_t>(ids.size()) != x.size(0))
        throw std::invalid_argument("time-domain augmentation: expected " +
                                    std::to_string(x.size(0)) + " sample ids, found " +
                                    std::to_string(ids.size()));
    if (!(sigma >= 0 && std::isfinite(sigma)))
        throw std::invalid_argument("time-domain augmentation: expected sigma >= 0, found " +
                                    fmt(sigma));
    torch::NoGradGuard ng;
    const int64_t N = x.size(0), C = x.size(1), L = x.size(2);
    auto cpu = x.to(torch::kCPU, torch::kDouble).contiguous();
    auto out = torch::empty_like(cpu);
    const double* src = cpu.data_ptr<double>();
    double* dst = out.data_ptr<double>();
    for (int64_t n = 0; n < N; ++n) {
        Rng r(seed, static_cast<uint64_t>(ids[static_cast<std::size_t>(n)]), 1000 + view);
        const double* s = src + n * C * L;
        double* d = dst + n * C * L;
        if (kind == "jitter") {
            for (int64_t i = 0; i < C * L; ++i)
                d[i] = s[i] + sigma * r.normal();
        } else if (kind == "scaling") {
            for (int64_t c = 0; c < C; ++c) {
                const double k = 1.0 + sigma * r.normal();
                for (int64_t i = 0; i < L; ++i)
                    d[c * L + i] = s[c * L + i] * k;
            }
        } else { // permutation (kind and segments checked above)
            const int64_t m = r.integer(1, std::min(segments, L));
            // m - 1 distinct cuts in 1 .. L-1 (partial Fisher-Yates), sorted.
            std::vector<int64_t> pos(static_cast<std::size_t>(L - 1));
            std::iota(pos.begin(), pos.end(), int64_t{ 1 });
            for (int64_t k = 0; k < m - 1; ++k)
                std::swap(pos[static_cast<std::size_t>(k)],
                          pos[static_cast<std::size_t>(r.integer(k, L - 2))]);
            std::vector<int64_t> cuts(pos.begin(), pos.begin() + (m - 1));
            std::sort(cuts.begin(), cuts.end());
            cuts.insert(cuts.begin(), 0);
            cuts.push_back(L);
            std::vector<int64_t> order(static_cast<std::size_t>(m));
            std::iota(order.begin(), order.end(), int64_t{ 0 });
            for (int64_t k = m - 1; k > 0; --k)
                std::swap(order[static_cast<std::size_t>(k)],
                          order[static_cast<std::size_t>(r.integer(0, k))]);
            for (int64_t c = 0; c < C; ++c) {
                int64_t at = 0;
                for (int64_t seg : order)
                    for (int64_t i = cuts[static_cast<std::size_t>(seg)];
                         i < cuts[static_cast<std::size_t>(seg) + 1]; ++i)
                        d[c * L + at++] = s[c * L + i];
            }
        }
    }
    return out.to(x.scalar_type()).to(x.device());
}

} // namespace augment
} // namespace tfmed
