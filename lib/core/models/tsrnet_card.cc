/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/dsp/stft_options.h>
#include <tfmed/models/tsrnet_card.h>

#include "card_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace tfmed {
namespace models {

using nlohmann::json;

using card_json::get;
using card_json::parse_card;
using card_json::read_sections;
using card_json::write_sections;
using card_json::get_opt;

std::string TsrnetCard::to_json() const
{
    json j;
    j["model"] = "tsrnet";
    j["format"] = 2;
    j["version"] = version;
    j["parameters"] = parameters;
    j["architecture"] = { { "leads", leads },         { "length", prep.crop_length },
                          { "spec_bins", spec_bins }, { "spec_frames", spec_frames },
                          { "d_model", d_model },     { "heads", heads },
                          { "width", width },         { "dropout", dropout } };
    j["signal"] = { { "sample_rate", prep.sample_rate },
                    { "channels", leads },
                    { "channel_names", lead_names },
                    { "leads", lead_names },
                    { "window", prep.window },
                    { "crop_begin", prep.crop_begin },
                    { "crop_length", prep.crop_length } };
    j["preprocessing"] = { { "highpass_hz", prep.highpass_hz },
                           { "notch_hz", prep.notch_hz },
                           { "notch_q", prep.notch_q },
                           { "lowpass_hz", prep.lowpass_hz },
                           { "filter", "zero-phase filtfilt, order-2 Butterworth" },
                           { "normalize", prep.normalize },
                           { "rpeak_lead", prep.rpeak_lead },
                           { "peak_half_window", prep.peak_half_window },
                           { "peak_margin_begin", prep.peak_margin_begin },
                           { "peak_margin_end", prep.peak_margin_end },
                           { "peak_offset_quirk", prep.peak_offset_quirk },
                           { "flat_range", prep.flat_range } };
    j["stft"] = { { "convention", "scipy" }, { "window", "hann" }, { "n_fft", n_fft },
                  { "hop", hop },            { "output", "magnitude" } };
    j["masking"] = { { "time_patches", masking.time_patches },
                     { "time_masked", masking.time_masked },
                     { "spec_masked", masking.spec_masked },
                     { "spec_range", masking.spec_range } };
    j["scoring"] = { { "score", score },
                     { "threshold", std::isfinite(threshold) ? json(threshold) : json(nullptr) },
                     { "threshold_quantile", threshold_quantile },
                     { "calibration_windows", calibration_windows } };
    j["quality"] = json::parse(quality.to_json());
    write_sections(j, data_json, metrics_json, training_json);
    return j.dump(1);
}

TsrnetCard TsrnetCard::from_json(const std::string& text)
{
    const json j = parse_card(text, "tsrnet");
    TsrnetCard c;
    get_opt(j, "version", c.version);
    get_opt(j, "parameters", c.parameters);
    json a, s, p, st, m, sc;
    get(j, "architecture", a);
    get(j, "signal", s);
    get(j, "preprocessing", p);
    get(j, "stft", st);
    get(j, "masking", m);
    get(j, "scoring", sc);
    get(a, "leads", c.leads);
    get(a, "length", c.prep.crop_length);
    get(a, "spec_bins", c.spec_bins);
    get(a, "spec_frames", c.spec_frames);
    get(a, "d_model", c.d_model);
    get(a, "heads", c.heads);
    get(a, "width", c.width);
    get(a, "dropout", c.dropout);
    get(s, "sample_rate", c.prep.sample_rate);
    get(s, "leads", c.lead_names);
    if (s.contains("channel_names")) {
        // Written as a copy of signal.leads; card_head (and so `tfmed score`
        // and the blocks' channel checks) reads this one.
        std::vector<std::string> names;
        get(s, "channel_names", names);
        if (names != c.lead_names)
            throw std::invalid_argument("model card: expected signal.channel_names equal to "
                                        "signal.leads (" + json(c.lead_names).dump() +
                                        "), found " + json(names).dump());
    }
    get(s, "window", c.prep.window);
    if (s.contains("channels")) {
        int64_t ch = 0;
        get(s, "channels", ch);
        if (ch != c.leads)
            throw std::invalid_argument("model card: expected signal.channels equal to "
                                        "architecture.leads (" +
                                        std::to_string(c.leads) + "), found " +
                                        std::to_string(ch));
    }
    get(s, "crop_begin", c.prep.crop_begin);
    get(p, "highpass_hz", c.prep.highpass_hz);
    get(p, "notch_hz", c.prep.notch_hz);
    get(p, "notch_q", c.prep.notch_q);
    get(p, "lowpass_hz", c.prep.lowpass_hz);
    get(p, "normalize", c.prep.normalize);
    get(p, "rpeak_lead", c.prep.rpeak_lead);
    get(p, "peak_half_window", c.prep.peak_half_window);
    get(p, "peak_margin_begin", c.prep.peak_margin_begin);
    get(p, "peak_margin_end", c.prep.peak_margin_end);
    get(p, "peak_offset_quirk", c.prep.peak_offset_quirk);
    get(p, "flat_range", c.prep.flat_range);
    // The STFT the network was trained on: the fields this version writes
    // are the only ones it computes; anything else is refused, not ignored.
    for (const auto& [key, want] : { std::pair<const char*, const char*>{ "convention", "scipy" },
                                     { "window", "hann" },
                                     { "output", "magnitude" } }) {
        std::string v = want;
        get_opt(st, key, v);
        if (v != want)
            throw std::invalid_argument(std::string("model card: expected stft.") + key + " '" +
                                        want + "' (what TSRNet computes), found '" + v + "'");
    }
    get(st, "n_fft", c.n_fft);
    get(st, "hop", c.hop);
    get(m, "time_patches", c.masking.time_patches);
    get(m, "time_masked", c.masking.time_masked);
    get(m, "spec_masked", c.masking.spec_masked);
    get(m, "spec_range", c.masking.spec_range);
    get(sc, "score", c.score);
    if (sc.contains("threshold") && !sc["threshold"].is_null())
        get(sc, "threshold", c.threshold);
    get_opt(sc, "threshold_quantile", c.threshold_quantile);
    get_opt(sc, "calibration_windows", c.calibration_windows);
    if (j.contains("quality")) {
        if (!j["quality"].is_object())
            throw std::invalid_argument("model card: expected 'quality' to be an object");
        c.quality = QualityOptions::from_json(j["quality"].dump());
    }
    read_sections(j, c.data_json, c.metrics_json, c.training_json);
    c.validate();
    return c;
}

void TsrnetCard::validate() const
{
    auto fail = [](const std::string& m) { throw std::invalid_argument("model card: " + m); };
    auto in_range = [&](const char* name, int64_t v, int64_t lo, int64_t hi) {
        if (v < lo || v > hi)
            fail("expected " + std::to_string(lo) + " <= " + name + " <= " + std::to_string(hi) +
                 ", found " + std::to_string(v));
    };
    // Sizes first, before anything is computed from them: a card is read
    // before any buffer is sized by it.
    in_range("leads", leads, 1, kMaxChannels);
    in_range("window", prep.window, 10, kMaxWindowSamples);
    in_range("width", width, 1, kMaxTsrnetWidth);
    in_range("d_model", d_model, 1, kMaxTsrnetDModel);
    in_range("heads", heads, 1, d_model);
    in_range("n_fft", n_fft, 2, 1 << 16);
    in_range("hop", hop, 1, n_fft);
    if (!(std::isfinite(prep.sample_rate) && prep.sample_rate > 0.0 &&
          prep.sample_rate <= kMaxSampleRate))
        fail("expected 0 < sample_rate <= " + std::to_string(kMaxSampleRate) + " Hz, found " +
             std::to_string(prep.sample_rate));
    prep.validate();
    // Lead II (1) is the default; a single-lead model takes its one lead
    // (the documented clamp). Any other lead must exist.
    in_range("rpeak_lead", prep.rpeak_lead, 0, std::max<int64_t>(leads - 1, 1));
    if (prep.highpass_hz > 0.0 && prep.lowpass_hz > 0.0 && !(prep.highpass_hz < prep.lowpass_hz))
        fail("expected highpass_hz < lowpass_hz (a pass band), found " +
             std::to_string(prep.highpass_hz) + " and " + std::to_string(prep.lowpass_hz));
    if (!lead_names.empty() && static_cast<int64_t>(lead_names.size()) != leads)
        fail("expected " + std::to_string(leads) + " lead names, found " +
             std::to_string(lead_names.size()));
    if (prep.crop_length % 32 != 0 || prep.crop_length < 480)
        fail("expected a crop length that is a multiple of 32 and >= 480 (five stride-2 "
             "convolutions, then kernel 15), found " +
             std::to_string(prep.crop_length));
    if (d_model % heads != 0)
        fail("expected d_model a multiple of heads, found d_model " + std::to_string(d_model) +
             ", heads " + std::to_string(heads));
    if (!(dropout >= 0.0 && dropout < 1.0))
        fail("expected 0 <= dropout < 1, found " + std::to_string(dropout));
    // scipy shortens its window to a shorter signal: a crop under n_fft has
    // no spectrogram of this STFT (every window failed at run time).
    if (n_fft > prep.crop_length)
        fail("expected n_fft <= the crop length " + std::to_string(prep.crop_length) +
             " samples, found " + std::to_string(n_fft));
    // The spectrogram the network is built for must be the one the card's
    // STFT gives for the crop.
    const auto st = dsp::StftOptions(static_cast<int>(n_fft), static_cast<int>(hop))
                        .convention(dsp::Convention::scipy);
    const int64_t bins = st.n_bins(), frames = st.num_frames(prep.crop_length);
    if (spec_bins != bins || spec_frames != frames)
        fail("expected spec_bins x spec_frames " + std::to_string(bins) + " x " +
             std::to_string(frames) + " (the scipy STFT n_fft " + std::to_string(n_fft) +
             ", hop " + std::to_string(hop) + " of " + std::to_string(prep.crop_length) +
             " samples), found " + std::to_string(spec_bins) + " x " +
             std::to_string(spec_frames));
    if (spec_bins < 13 || spec_frames < 13)
        fail("expected a spectrogram of at least 13 x 13 (six valid 3x3 convolutions), found " +
             std::to_string(spec_bins) + " x " + std::to_string(spec_frames));
    if (score != "peak" && score != "plain")
        fail("expected score 'peak' or 'plain', found '" + score + "'");
    if (std::isinf(threshold) || threshold < 0.0)
        fail("expected a finite threshold >= 0 (scores are weighted squared errors; null: "
             "none), found " + std::to_string(threshold));
    if (!(threshold_quantile > 0.0 && threshold_quantile <= 1.0))
        fail("expected 0 < threshold_quantile <= 1, found " + std::to_string(threshold_quantile));
    if (calibration_windows < 0 || parameters < 0)
        fail("expected calibration_windows >= 0 and parameters >= 0, found " +
             std::to_string(calibration_windows) + " and " + std::to_string(parameters));
    if (quality.enabled) // a gate that is off reads none of its thresholds
        quality.validate(prep.sample_rate, prep.crop_length);
    if (masking.time_patches <= 0 || prep.crop_length % masking.time_patches != 0)
        fail("expected time_patches dividing the crop length " +
             std::to_string(prep.crop_length) + ", found " +
             std::to_string(masking.time_patches));
    if (masking.time_masked <= 0 || masking.time_masked > masking.time_patches)
        fail("expected 0 < time_masked <= time_patches, found " +
             std::to_string(masking.time_masked));
    const int64_t range = masking.spec_range > 0 ? masking.spec_range : spec_frames;
    if (masking.spec_masked < 0 || masking.spec_masked > range || range > spec_frames)
        fail("expected 0 <= spec_masked <= spec_range <= spec_frames (" +
             std::to_string(spec_frames) + "), found spec_masked " +
             std::to_string(masking.spec_masked) + ", spec_range " + std::to_string(range));
}

TsrnetCard read_card(const std::string& path)
{
    auto parts = read_model_file(path, false);
    try {
        return TsrnetCard::from_json(parts.card_json);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

} // namespace models
} // namespace tfmed
