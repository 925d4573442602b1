/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/models/specar_card.h>

#include "card_json.h"

#include <cmath>
#include <stdexcept>

namespace tfmed {
namespace models {

using nlohmann::json;
using card_json::get;
using card_json::parse_card;
using card_json::read_sections;
using card_json::write_sections;
using card_json::get_opt;

std::string SpecarCard::to_json() const
{
    const auto& a = arch;
    json j;
    j["model"] = "specar";
    j["format"] = 2;
    j["version"] = version;
    j["parameters"] = parameters;
    j["architecture"] = { { "task", a.task },           { "seq_len", a.seq_len },
                          { "pred_len", a.pred_len },   { "label_len", a.label_len },
                          { "enc_in", a.enc_in },       { "c_out", a.c_out },
                          { "num_class", a.num_class }, { "d_model", a.d_model },
                          { "d_ff", a.d_ff },           { "e_layers", a.e_layers },
                          { "conv_layers", a.conv_layers }, { "n_fft", a.n_fft },
                          { "win_length", a.win_length }, { "hop", a.hop },
                          { "window", a.window },       { "window_periodic", a.window_periodic },
                          { "backbone", a.backbone },
                          { "time_features", a.time_features }, { "dropout", a.dropout } };
    j["signal"] = { { "sample_rate", sample_rate },
                    { "channels", a.enc_in },
                    { "channel_names", channel_names },
                    { "window", a.seq_len } };
    j["scaling"] = { { "mean", mean }, { "std", std } };
    j["scoring"] = { { "threshold", std::isfinite(threshold) ? json(threshold) : json(nullptr) },
                     { "anomaly_ratio", anomaly_ratio },
                     { "threshold_from", threshold_from },
                     { "energy", "mean over channels of (x - reconstruction)^2, per point" } };
    if (!class_names.empty())
        j["classes"] = class_names;
    write_sections(j, data_json, metrics_json, training_json);
    return j.dump(1);
}

SpecarCard SpecarCard::from_json(const std::string& text)
{
    const json j = parse_card(text, "specar");
    SpecarCard c;
    get_opt(j, "version", c.version);
    get_opt(j, "parameters", c.parameters);
    json a, s, sc;
    get(j, "architecture", a);
    get(j, "signal", s);
    get(j, "scoring", sc);
    auto& o = c.arch;
    get(a, "task", o.task);
    get(a, "seq_len", o.seq_len);
    get(a, "pred_len", o.pred_len);
    get_opt(a, "label_len", o.label_len);
    get(a, "enc_in", o.enc_in);
    get(a, "c_out", o.c_out);
    get_opt(a, "num_class", o.num_class);
    get(a, "d_model", o.d_model);
    get(a, "d_ff", o.d_ff);
    get(a, "e_layers", o.e_layers);
    get(a, "conv_layers", o.conv_layers);
    get(a, "n_fft", o.n_fft);
    get(a, "win_length", o.win_length);
    get(a, "hop", o.hop);
    get(a, "window", o.window);
    get_opt(a, "window_periodic", o.window_periodic); // absent before 2026-12-05: periodic
    get(a, "backbone", o.backbone);
    get_opt(a, "time_features", o.time_features);
    get_opt(a, "dropout", o.dropout);
    get(s, "sample_rate", c.sample_rate);
    get_opt(s, "channel_names", c.channel_names);
    if (j.contains("scaling")) {
        get_opt(j["scaling"], "mean", c.mean);
        get_opt(j["scaling"], "std", c.std);
    }
    if (sc.contains("threshold") && !sc["threshold"].is_null())
        get(sc, "threshold", c.threshold);
    get_opt(sc, "anomaly_ratio", c.anomaly_ratio);
    get_opt(sc, "threshold_from", c.threshold_from);
    get_opt(j, "classes", c.class_names);
    // The common fields the blocks check must say what the architecture does.
    int64_t channels = o.enc_in, window = o.seq_len;
    get_opt(s, "channels", channels);
    get_opt(s, "window", window);
    if (channels != o.enc_in || window != o.seq_len)
        throw std::invalid_argument(
            "model card: expected signal.channels " + std::to_string(o.enc_in) +
            " and signal.window " + std::to_string(o.seq_len) +
            " (the architecture's enc_in and seq_len), found " + std::to_string(channels) +
            " and " + std::to_string(window));
    read_sections(j, c.data_json, c.metrics_json, c.training_json);
    // A classifier's card without class names (hand-written, imported): the
    // class indices name the classes, so every reader has one per output.
    if (o.task == "classification" && c.class_names.empty() && o.num_class >= 2 &&
        o.num_class <= (int64_t{ 1 } << 16)) // validate() names a count outside that
        for (int64_t k = 0; k < o.num_class; ++k)
            c.class_names.push_back(std::to_string(k));
    c.validate();
    return c;
}

void SpecarCard::validate() const
{
    auto fail = [](const std::string& m) { throw std::invalid_argument("model card: " + m); };
    if (arch.enc_in > kMaxChannels)
        fail("expected at most " + std::to_string(kMaxChannels) + " channels, found " +
             std::to_string(arch.enc_in));
    if (arch.seq_len > kMaxWindowSamples)
        fail("expected a window of at most " + std::to_string(kMaxWindowSamples) +
             " samples, found " + std::to_string(arch.seq_len));
    arch.validate();
    if (!(std::isfinite(sample_rate) && sample_rate > 0 && sample_rate <= kMaxSampleRate))
        fail("expected 0 < sample_rate <= 1e7 Hz, found " + std::to_string(sample_rate));
    const auto n = static_cast<std::size_t>(arch.enc_in);
    if (!channel_names.empty() && channel_names.size() != n)
        fail("expected " + std::to_string(n) + " channel names, found " +
             std::to_string(channel_names.size()));
    if (mean.size() != std.size() || (!mean.empty() && mean.size() != n))
        fail("expected scaling mean and std of " + std::to_string(n) + " values, found " +
             std::to_string(mean.size()) + " and " + std::to_string(std.size()));
    for (double v : std)
        if (!(std::isfinite(v) && v > 0))
            fail("expected every scaling std finite and > 0, found " + std::to_string(v));
    for (double v : mean)
        if (!std::isfinite(v))
            fail("expected every scaling mean finite, found " + std::to_string(v));
    if (std::isinf(threshold) || threshold < 0)
        fail("expected a finite threshold >= 0 (energies are squared errors; or null), found " +
             std::to_string(threshold));
    if (threshold_from != "train" && threshold_from != "train+test")
        fail("expected threshold_from 'train' or 'train+test', found '" + threshold_from + "'");
    if (parameters < 0)
        fail("expected parameters >= 0, found " + std::to_string(parameters));
    if (!(anomaly_ratio > 0 && anomaly_ratio < 100))
        fail("expected 0 < anomaly_ratio < 100 (percent), found " + std::to_string(anomaly_ratio));
    if (arch.task == "classification" && !class_names.empty() &&
        static_cast<int64_t>(class_names.size()) != arch.num_class)
        fail("expected " + std::to_string(arch.num_class) + " class names, found " +
             std::to_string(class_names.size()));
}

SpecarCard read_specar_card(const std::string& path)
{
    const auto f = read_model_file(path, false);
    try {
        return SpecarCard::from_json(f.card_json);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

} // namespace models
} // namespace tfmed
