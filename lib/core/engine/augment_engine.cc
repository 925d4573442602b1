/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/augment.h>
#include <tfmed/engine/augment_engine.h>
#include <tfmed/models/trls.h>

#include <torch/torch.h>

#include <algorithm>

namespace tfmed {
namespace engine {

augment::ViewDraw augment_window(const float* in, float* out, int64_t frames, int64_t features,
                                 const augment::ViewOptions& v, bool normalise, uint64_t seed,
                                 uint64_t id, uint64_t view)
{
    v.validate();
    torch::NoGradGuard ng;
    auto img = torch::from_blob(const_cast<float*>(in), { frames, features })
                   .t()
                   .contiguous()
                   .unsqueeze(0); // (1, F, T)
    img = torch::nan_to_num(img, 0.0, 0.0, 0.0);
    if (normalise)
        img = models::normalise_image(torch::log1p(img.clamp_min(0)), models::TrlsOptions());
    const auto d = augment::draw_view(v, features, frames, seed, id, view);
    const auto y = augment::apply_view(img[0], v, d).t().contiguous();
    std::copy(y.data_ptr<float>(), y.data_ptr<float>() + y.numel(), out);
    return d;
}

} // namespace engine
} // namespace tfmed
