/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/models/trls_card.h>
#include <tfmed/models/weights.h>

#include "card_json.h"
#include "load_model.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace tfmed {
namespace models {

using nlohmann::json;
using card_json::get;
using card_json::get_opt;
using card_json::parse_card;
using card_json::read_sections;
using card_json::write_sections;

std::string TrlsCard::to_json() const
{
    const auto& a = arch;
    json j;
    j["model"] = "trls";
    j["format"] = 2;
    j["version"] = version;
    j["parameters"] = parameters;
    j["architecture"] = { { "channels", a.channels },       { "length", a.length },
                          { "n_fft", a.n_fft },             { "hop", a.effective_hop() },
                          { "multichannel", a.multichannel }, { "rnn", a.rnn },
                          { "freq_norm", a.freq_norm },     { "hidden", a.hidden },
                          { "blocks", a.blocks },
                          { "f_h", a.f_h },                 { "scales", a.scales },
                          { "dropout", a.dropout },         { "proj_hidden", a.proj_hidden },
                          { "proj_out", a.proj_out },       { "num_class", a.num_class },
                          { "image_norm", a.image_norm },   { "image_lo", a.image_lo },
                          { "image_hi", a.image_hi } };
    j["stft"] = { { "convention", "torch" }, { "window", "hann" },  { "center", true },
                  { "output", "magnitude" },  { "n_fft", a.n_fft }, { "hop", a.effective_hop() },
                  { "front_end", a.image_norm == "window"
                                     ? "log1p, min-max per window to [0, 1]"
                                     : "log1p, (v - image_lo) / (image_hi - image_lo) clamped to [0, 1]" },
                  { "bins", a.bins() },       { "frames", a.frames() } };
    j["signal"] = { { "sample_rate", sample_rate },
                    { "channels", a.channels },
                    { "channel_names", channel_names },
                    { "window", a.length } };
    j["scaling"] = { { "kind", scaling }, { "min", scale_min }, { "max", scale_max } };
    if (!class_names.empty())
        j["classes"] = class_names;
    j["pretraining"] = card_json::parse_object(pretraining_json, "pretraining");
    write_sections(j, data_json, metrics_json, training_json);
    return j.dump(1);
}

TrlsCard TrlsCard::from_json(const std::string& text)
{
    const json j = parse_card(text, "trls");
    TrlsCard c;
    get_opt(j, "version", c.version);
    get_opt(j, "parameters", c.parameters);
    json a, s;
    get(j, "architecture", a);
    get(j, "signal", s);
    auto& o = c.arch;
    get(a, "channels", o.channels);
    get(a, "length", o.length);
    get(a, "n_fft", o.n_fft);
    get(a, "hop", o.hop);
    get(a, "multichannel", o.multichannel);
    get(a, "rnn", o.rnn);
    o.freq_norm = "time"; // cards written before the option normalised over time
    get_opt(a, "freq_norm", o.freq_norm);
    get(a, "hidden", o.hidden);
    get(a, "blocks", o.blocks);
    get(a, "f_h", o.f_h);
    get(a, "scales", o.scales);
    get(a, "dropout", o.dropout);
    get(a, "proj_hidden", o.proj_hidden);
    get(a, "proj_out", o.proj_out);
    get(a, "num_class", o.num_class);
    get_opt(a, "image_norm", o.image_norm);
    if (o.image_norm == "dataset" && !(a.contains("image_lo") && a.contains("image_hi")))
        throw std::invalid_argument("model card: architecture.image_norm 'dataset' expected "
                                    "image_lo and image_hi (the training set's bounds), found " +
                                    std::string(a.contains("image_lo") ? "image_lo only"
                                                : a.contains("image_hi") ? "image_hi only"
                                                                         : "neither"));
    get_opt(a, "image_lo", o.image_lo);
    get_opt(a, "image_hi", o.image_hi);
    get(s, "sample_rate", c.sample_rate);
    get_opt(s, "channel_names", c.channel_names);
    int64_t channels = o.channels, window = o.length;
    get_opt(s, "channels", channels);
    get_opt(s, "window", window);
    if (channels != o.channels || window != o.length)
        throw std::invalid_argument(
            "model card: expected signal.channels " + std::to_string(o.channels) +
            " and signal.window " + std::to_string(o.length) +
            " (the architecture's channels and length), found " + std::to_string(channels) +
            " and " + std::to_string(window));
    if (j.contains("stft")) {
        // The front end is fixed; a card claiming another one is refused.
        const auto& st = j["stft"];
        std::string conv = "torch", win = "hann", out = "magnitude";
        get_opt(st, "convention", conv);
        get_opt(st, "window", win);
        get_opt(st, "output", out);
        if (conv != "torch" || win != "hann" || out != "magnitude")
            throw std::invalid_argument("model card: expected the TRLS front end (torch "
                                        "convention, hann, magnitude), found " +
                                        conv + ", " + win + ", " + out);
        bool center = true;
        get_opt(st, "center", center);
        if (!center)
            throw std::invalid_argument("model card: expected stft.center true (the TRLS "
                                        "front end), found false");
    }
    if (j.contains("scaling")) {
        get_opt(j["scaling"], "kind", c.scaling);
        get_opt(j["scaling"], "min", c.scale_min);
        get_opt(j["scaling"], "max", c.scale_max);
    }
    get_opt(j, "classes", c.class_names);
    if (j.contains("pretraining"))
        c.pretraining_json = j["pretraining"].dump();
    read_sections(j, c.data_json, c.metrics_json, c.training_json);
    c.validate();
    if (j.contains("stft")) {
        const auto& st = j["stft"];
        // The numbers follow from the architecture; a card that states others
        // describes another STFT than the one the network runs.
        const std::pair<const char*, int64_t> derived[] = { { "n_fft", o.n_fft },
                                                            { "hop", o.effective_hop() },
                                                            { "bins", o.bins() },
                                                            { "frames", o.frames() } };
        for (const auto& [key, want] : derived) {
            int64_t v = want;
            get_opt(st, key, v);
            if (v != want)
                throw std::invalid_argument(std::string("model card: expected stft.") + key +
                                            " " + std::to_string(want) +
                                            " (from the architecture), found " +
                                            std::to_string(v));
        }
    }
    return c;
}

void TrlsCard::validate() const
{
    auto fail = [](const std::string& m) { throw std::invalid_argument("model card: " + m); };
    arch.validate();
    if (!(std::isfinite(sample_rate) && sample_rate >= 0 && sample_rate <= kMaxSampleRate))
        fail("expected 0 <= sample_rate <= 1e7 Hz, found " + std::to_string(sample_rate));
    const auto C = static_cast<std::size_t>(arch.channels);
    if (!channel_names.empty() && channel_names.size() != C)
        fail("expected " + std::to_string(C) + " channel names, found " +
             std::to_string(channel_names.size()));
    if (scaling == "none") {
        if (!scale_min.empty() || !scale_max.empty())
            fail("scaling 'none' carries no min/max values");
    } else if (scaling == "minmax") {
        const auto L = static_cast<std::size_t>(arch.length);
        if (scale_min.size() != L || scale_max.size() != L)
            fail("expected scaling min and max of " + std::to_string(L) +
                 " values (one per sample of the window), found " +
                 std::to_string(scale_min.size()) + " and " + std::to_string(scale_max.size()));
        for (std::size_t i = 0; i < L; ++i)
            if (!(std::isfinite(scale_min[i]) && std::isfinite(scale_max[i]) &&
                  scale_max[i] >= scale_min[i]))
                fail("expected finite scaling min <= max, found [" +
                     std::to_string(scale_min[i]) + ", " + std::to_string(scale_max[i]) +
                     "] at sample " + std::to_string(i));
    } else {
        fail("expected scaling kind 'none' or 'minmax', found '" + scaling + "'");
    }
    if (static_cast<int64_t>(class_names.size()) != arch.num_class)
        fail("expected " + std::to_string(arch.num_class) + " class names (num_class), found " +
             std::to_string(class_names.size()));
    if (parameters < 0)
        fail("expected parameters >= 0, found " + std::to_string(parameters));
}

torch::Tensor TrlsCard::scale(const torch::Tensor& x) const
{
    auto y = x.to(torch::kFloat);
    if (scaling != "minmax")
        return y.clone();
    auto lo = torch::tensor(scale_min, torch::kDouble).to(torch::kFloat).to(x.device());
    auto hi = torch::tensor(scale_max, torch::kDouble).to(torch::kFloat).to(x.device());
    auto span = hi - lo;
    span = torch::where(span > 0, span, torch::ones_like(span));
    return (y - lo) / span; // broadcast over (N, C, L)
}

LoadedTrls load_trls(const std::string& path, const torch::Device& device)
{
    LoadedTrls out;
    load_model(path, "trls", device, out.card, out.net);
    return out;
}

void save_trls(const std::string& path, TrlsCard card, TrlsClassifier& net)
{
    card.parameters = count_parameters(*net);
    card.validate();
    ModelFile f;
    f.card_json = card.to_json();
    f.sections["weights"] = weights_bytes(*net);
    write_model_file(path, f);
}

TrlsCard read_trls_card(const std::string& path)
{
    const auto f = read_model_file(path, false);
    try {
        return TrlsCard::from_json(f.card_json);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

} // namespace models
} // namespace tfmed
