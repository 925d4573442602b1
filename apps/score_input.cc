/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed score`: the input at the model's rate. A WFDB record, EDF/BDF or
 * table read, cut to --from/--to, the model's channels picked by name (or
 * index) and resampled; the window and hop in samples.
 */
#include "cli.h"
#include "score.h"

#include <tfmed/data/windows.h>
#include <tfmed/io/recording.h>
#include <tfmed/models/model_file.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace tfmed {
namespace apps {
namespace score {

namespace {

// Indices of the channels to score: --channels (names, or 0-based indices
// where no channel has that name), else the card's names, else (an input
// without names of its own: .npy) its columns in order.
std::vector<int> pick_channels(const io::Recording& r, const models::CardHead& head,
                               const std::vector<std::string>& wanted, bool unnamed,
                               bool picked)
{
    auto find = [&](const std::string& name) {
        const auto it = std::find(r.channel_names.begin(), r.channel_names.end(), name);
        return it == r.channel_names.end() ? -1 : static_cast<int>(it - r.channel_names.begin());
    };
    std::vector<int> idx;
    if (picked) { // the reader already kept exactly the wanted signals, in order
        for (int c = 0; c < r.channels(); ++c)
            idx.push_back(c);
    } else if (!wanted.empty()) {
        for (const auto& w : wanted) {
            int i = find(w);
            if (i < 0 && channel_number(w) >= 0) {
                i = channel_number(w);
                if (i >= r.channels())
                    throw std::invalid_argument("--channels: index " + w + " is out of range: " +
                                                r.source + " has channels 0.." +
                                                std::to_string(r.channels() - 1) + " (" +
                                                join(r.channel_names) + ")");
            }
            if (i < 0)
                throw std::invalid_argument("--channels: '" + w + "' is not a channel of " +
                                            r.source + " (it has " + join(r.channel_names) +
                                            "; or give 0-based indices)");
            if (const auto same = std::find(idx.begin(), idx.end(), i); same != idx.end())
                throw std::invalid_argument(
                    "--channels: expected each channel once, found channel " +
                    r.channel_names[static_cast<std::size_t>(i)] + " in places " +
                    std::to_string(same - idx.begin() + 1) + " and " +
                    std::to_string(idx.size() + 1) + " ('" + w + "')");
            idx.push_back(i);
        }
    } else {
        for (const auto& n : head.channel_names) {
            const int i = find(n);
            if (i < 0) {
                idx.clear();
                break;
            }
            idx.push_back(i);
        }
        if (idx.empty() && unnamed && r.channels() == head.channels)
            for (int c = 0; c < r.channels(); ++c)
                idx.push_back(c);
        if (idx.empty())
            throw std::invalid_argument(
                r.source + ": expected the model's channel(s) " + join(head.channel_names) +
                ", found " + join(r.channel_names) + " (name them with --channels)");
    }
    if (static_cast<int64_t>(idx.size()) != head.channels)
        throw std::invalid_argument("--channels: the model takes " + std::to_string(head.channels) +
                                    " channel(s), found " + std::to_string(idx.size()));
    return idx;
}

io::Recording keep_channels(const io::Recording& r, const std::vector<int>& idx)
{
    io::Recording s;
    s.source = r.source;
    s.sample_rate = r.sample_rate;
    s.n_samples = r.n_samples;
    s.annotations = r.annotations;
    for (int i : idx) {
        s.channel_names.push_back(r.channel_names[i]);
        s.units.push_back(i < static_cast<int>(r.units.size()) ? r.units[i] : "");
    }
    s.samples.resize(static_cast<std::size_t>(r.n_samples) * idx.size());
    for (int64_t t = 0; t < r.n_samples; ++t)
        for (std::size_t c = 0; c < idx.size(); ++c)
            s.samples[t * idx.size() + c] = r.at(t, idx[c]);
    return s;
}

} // namespace

std::string join(const std::vector<std::string>& v)
{
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? "(none)" : s;
}

std::string csv_text(const std::string& s)
{
    if (s.find_first_of(",\"\r\n") == std::string::npos)
        return s;
    std::string q = "\"";
    for (const char c : s)
        q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string csv_field(double v)
{
    if (std::isnan(v))
        return "nan";
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}

std::string time_field(double t)
{
    char b[32];
    std::snprintf(b, sizeof b, "%.12g", t);
    return b;
}

Input prepare_input(const ScoreArgs& a, const models::CardHead& head)
{
    const std::string ext = lower_ext(a.input);
    const bool table = ext == ".csv" || ext == ".npy";
    if (!table && !is_recording_path(a.input)) {
        std::error_code ec;
        throw std::invalid_argument(
            "expected a WFDB record (.hea or its name), an EDF/BDF file or a table (.csv, "
            ".npy), found '" + a.input + "'" +
            (std::filesystem::is_directory(a.input, ec) ? " (a directory)" : ""));
    }
    if (head.window <= 0)
        throw std::invalid_argument(a.model + ": expected a window length (signal.window > 0) "
                                              "in the card to cut windows, found " +
                                    std::to_string(head.window));
    // One channel named twice (an EDF keeps the signals as asked for, so
    // this is checked before reading too; by index as well below).
    refuse_repeated_channels(a.channels, [](const std::string& c) { return "'" + c + "'"; });
    // The input, its span and channels, at the model's rate. An EDF's
    // signals are chosen as it is read (their rates may differ): `picked`.
    bool picked = false;
    io::Recording r = table ? read_table_recording(a.input, a.rate > 0 ? a.rate : head.sample_rate)
                            : read_any_recording(a.input, {},
                                                 a.channels.empty() ? head.channel_names
                                                                    : a.channels,
                                                 &picked);
    // The card's names pick by name only (a card naming its channels "0",
    // "1" must not take an EDF's first signals by index without being asked).
    if (picked && a.channels.empty() && r.channel_names != head.channel_names)
        picked = false;
    const double rate_in = r.sample_rate;
    int64_t first = 0, count = -1;
    if (a.from > 0 || a.to > 0) {
        if (!(rate_in > 0))
            throw std::invalid_argument("--from/--to: " + a.input + " has no sample rate (give "
                                                                    "--rate)");
        if (a.to > 0 && a.to <= a.from)
            throw std::invalid_argument("expected --from < --to, found " + csv_field(a.from) +
                                        " .. " + csv_field(a.to));
        first = static_cast<int64_t>(std::llround(std::min(a.from * rate_in, 9e15)));
        if (first >= r.n_samples)
            throw std::invalid_argument("--from " + csv_field(a.from) + " s is past the end of " +
                                        a.input + " (" + csv_field(r.duration()) + " s)");
        if (a.to > 0) {
            if (a.to > r.duration() + 0.5 / rate_in)
                throw std::invalid_argument("--to " + csv_field(a.to) + " s is past the end of " +
                                            a.input + " (" + csv_field(r.duration()) +
                                            " s): leave --to out to score to the end");
            count = std::llround((a.to - a.from) * rate_in);
        }
    }
    const bool unnamed =
        ext == ".npy" || (ext == ".csv" && [&] {
            for (int c = 0; c < r.channels(); ++c)
                if (r.channel_names[c] != "c" + std::to_string(c))
                    return false;
            return true;
        }());
    const auto idx = pick_channels(r, head, a.channels, unnamed, picked);
    r = keep_channels(r, idx);
    // The span at the model's rate, resampled from the whole recording so that
    // --from/--to put no filter edge inside it.
    bool resampled = false;
    if (head.sample_rate > 0 && rate_in > 0 && std::abs(rate_in - head.sample_rate) > 1e-9) {
        r = data::resample_span(r, head.sample_rate, first, count);
        resampled = true;
    } else if (first > 0 || count >= 0) {
        io::select_samples(r, first, count);
    }
    // The rate the samples are at: a resampling by the nearest ratio p/q
    // (q <= 1000) can miss the model's by a few ppm (360 -> 173.61 Hz is
    // 173.609467 Hz); window times follow the samples.
    const double rate = resampled ? r.sample_rate
                                  : head.sample_rate > 0 ? head.sample_rate : rate_in;
    const double t0 = rate_in > 0 ? first / rate_in : static_cast<double>(first);
    const int64_t W = head.window;
    int64_t hop = W;
    // --hop counts samples at the model's rate as it names it (1 / 173.61 s
    // is one sample even where the resampling reached 173.609467 Hz).
    const double hop_rate = head.sample_rate > 0 ? head.sample_rate : rate;
    if (a.hop_s > 0) {
        if (!(hop_rate > 0))
            throw std::invalid_argument("--hop: neither the model nor the input states a sample "
                                        "rate to turn seconds into samples");
        const double h = a.hop_s * hop_rate;
        if (h < 1 - 1e-9)
            throw std::invalid_argument("--hop: expected at least one sample (" +
                                        csv_field(1 / hop_rate) + " s at " +
                                        csv_field(hop_rate) + " Hz), found " +
                                        csv_field(a.hop_s) + " s");
        hop = static_cast<int64_t>(std::llround(std::min(h, 1e15)));
    }
    if (r.n_samples < W)
        throw std::invalid_argument(
            a.input + ": " + std::to_string(r.n_samples) + " samples at the model's rate, fewer "
            "than one window of " + std::to_string(W) + " (" +
            (rate > 0 ? csv_field(W / rate) + " s" : std::string("samples")) + ")");
    Input in;
    in.rate_in = rate_in;
    in.rate = rate;
    in.hop_rate = hop_rate;
    in.t0 = t0;
    in.first = first;
    in.W = W;
    in.hop = hop;
    in.resampled = resampled;
    in.rate_source = !table ? "file" : a.rate > 0 ? "--rate" : rate_in > 0 ? "assumed" : "unknown";
    in.r = std::move(r);
    return in;
}

} // namespace score
} // namespace apps
} // namespace tfmed
