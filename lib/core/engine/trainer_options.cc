/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The trainer engine's options: a TrainerConfig's JSON as each model's
 * training settings, every key typed and range checked at construction.
 */
#include "trainer_options.h"

#include <tfmed/models/tsrnet_card.h>
#include <tfmed/train/tsrnet_trainer.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace tfmed {
namespace engine {

using nlohmann::json;

json options_object(const TrainerConfig& c)
{
    json o;
    try {
        o = json::parse(c.options_json.empty() ? "{}" : c.options_json);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("trainer options: expected a JSON object, "
                                                "found: ") +
                                    e.what());
    }
    if (!o.is_object())
        throw std::invalid_argument("trainer options: expected a JSON object, found " + o.dump());
    return o;
}

namespace {

// Typed values: nlohmann's get<int>() would take true as 1, 2.9 as 2 and -1
// as 2^64 - 1 for a seed; a key of the wrong kind is refused instead
// (caught below and named with its value and what it takes).
struct WrongType {
    const char* want;
};
int64_t integer(const json& v)
{
    if (!v.is_number_integer())
        throw WrongType{ "an integer" };
    return v.get<int64_t>();
}
int integer32(const json& v)
{
    const int64_t i = integer(v);
    if (i < INT32_MIN || i > INT32_MAX)
        throw WrongType{ "an integer" };
    return static_cast<int>(i);
}
uint64_t seed_of(const json& v)
{
    if (!v.is_number_unsigned())
        throw WrongType{ "an integer >= 0" };
    return v.get<uint64_t>();
}
double number(const json& v)
{
    if (!v.is_number())
        throw WrongType{ "a number" };
    return v.get<double>();
}
std::string text(const json& v)
{
    if (!v.is_string())
        throw WrongType{ "a string" };
    return v.get<std::string>();
}

// The loop's settings every model takes; false when `k` is not one of them.
bool loop_option(const std::string& k, const json& v, train::LoopOptions& L)
{
    if (k == "epochs")
        L.epochs = integer32(v);
    else if (k == "batch")
        L.batch = integer(v);
    else if (k == "lr")
        L.optimizer.lr = number(v);
    else if (k == "patience")
        L.patience = integer32(v);
    else if (k == "weight_decay")
        L.optimizer.weight_decay = number(v);
    else if (k == "optimizer")
        L.optimizer.name = text(v);
    else if (k == "schedule")
        L.schedule.name = text(v);
    else if (k == "step_size")
        L.schedule.step_size = integer32(v);
    else if (k == "gamma")
        L.schedule.gamma = number(v);
    else if (k == "plateau_patience")
        L.schedule.patience = integer32(v);
    else if (k == "plateau_factor")
        L.schedule.factor = number(v);
    else if (k == "clip_grad")
        L.clip_grad_norm = number(v);
    else if (k == "select")
        L.select = text(v);
    else if (k == "checkpoint_every")
        L.checkpoint_every = integer32(v);
    else if (k == "drop_invalid") { // the engine's own (TrainerEngine reads it)
        if (!v.is_boolean())
            throw WrongType{ "true or false" };
    } else if (k == "labels") { // the block's (how tags become window labels)
        const auto m = text(v);
        if (m != "auto" && m != "events" && m != "held")
            throw std::invalid_argument("trainer options: expected labels 'auto', 'events' or "
                                        "'held', found '" + m + "'");
    } else if (k == "classes") { // the block's (text labels to class indices)
        if (!v.is_array() || v.empty())
            throw WrongType{ "a non-empty list of class names" };
        std::vector<std::string> seen;
        for (const auto& n : v) {
            if (!n.is_string() || n.get<std::string>().empty())
                throw WrongType{ "a non-empty list of class names" };
            if (std::find(seen.begin(), seen.end(), n.get<std::string>()) != seen.end())
                throw std::invalid_argument("trainer options: class '" + n.get<std::string>() +
                                            "' named twice in classes");
            seen.push_back(n.get<std::string>());
        }
    } else
        return false;
    return true;
}

std::invalid_argument wrong_type(const std::string& k, const json& v, const char* want)
{
    return std::invalid_argument("trainer options: '" + k + "' has the wrong type: expected " +
                                 want + ", found " + v.dump());
}

const char* const kLoopKeys = "epochs, batch, lr, patience, weight_decay, optimizer, schedule, "
                              "step_size, gamma, plateau_patience, plateau_factor, clip_grad, "
                              "select, checkpoint_every, drop_invalid, labels, classes";

// A schedule's parameters beside another schedule are refused, not ignored
// (as tfmed train's --step-size without --schedule step); then the loop's
// own checks (ranges, names).
void validate_loop(const json& o, const train::LoopOptions& L)
{
    static const char* const kOf[][2] = { { "step_size", "step" },
                                          { "gamma", "step" },
                                          { "plateau_patience", "plateau" },
                                          { "plateau_factor", "plateau" } };
    for (const auto& [key, schedule] : kOf)
        if (o.contains(key) && L.schedule.name != schedule)
            throw std::invalid_argument(std::string("trainer options: '") + key +
                                        "' is a parameter of the " + schedule +
                                        " schedule; expected schedule '" + schedule +
                                        "' beside it, found '" + L.schedule.name + "'");
    L.validate();
}

} // namespace

train::TsrnetTrainConfig tsrnet_config(const TrainerConfig& c)
{
    train::TsrnetTrainConfig t;
    t.out = c.out;
    t.device = c.device;
    t.threads = c.threads;
    const json o = options_object(c);
    auto& L = t.loop;
    for (const auto& [k, v] : o.items()) {
        try {
            if (loop_option(k, v, L))
                continue;
            if (k == "seed")
                t.data.seed = seed_of(v);
            else if (k == "val_fraction")
                t.data.val_fraction = number(v);
            else if (k == "test_fraction")
                t.data.test_fraction = number(v);
            else if (k == "max_train_windows")
                t.data.max_windows = integer(v);
            else if (k == "width")
                t.width = integer(v);
            else if (k == "d_model")
                t.d_model = integer(v);
            else if (k == "heads")
                t.heads = integer(v);
            else if (k == "score")
                t.score = text(v);
            else if (k == "quantile")
                t.quantile = number(v);
            else
                throw std::invalid_argument(
                    "trainer options: unknown key '" + k + "' (expected " + kLoopKeys +
                    ", seed, val_fraction, test_fraction, max_train_windows, width, d_model, "
                    "heads, score, quantile)");
        } catch (const WrongType& w) {
            throw wrong_type(k, v, w.want);
        }
    }
    L.seed = t.data.seed;
    validate_loop(o, L);
    // The split's fractions and the cap now, not after the stream was gathered.
    const double vf = t.data.val_fraction, tf = t.data.test_fraction;
    if (!(vf > 0 && tf >= 0 && vf + tf < 1))
        throw std::invalid_argument("trainer options: expected val_fraction > 0, test_fraction "
                                    ">= 0 and val_fraction + test_fraction < 1, found " +
                                    std::to_string(vf) + " and " + std::to_string(tf));
    if (t.data.max_windows < 0)
        throw std::invalid_argument("trainer options: expected max_train_windows >= 0 (0 = "
                                    "all), found " + std::to_string(t.data.max_windows));
    // The card's bounds (tfmed train tsrnet's too), here at construction: they
    // were found only when the card was checked after the whole stream.
    if (t.width < 1 || t.width > models::kMaxTsrnetWidth || t.d_model < 1 ||
        t.d_model > models::kMaxTsrnetDModel || t.heads < 1 || t.heads > t.d_model ||
        t.d_model % t.heads != 0)
        throw std::invalid_argument("trainer options: expected 1 <= width <= " +
                                    std::to_string(models::kMaxTsrnetWidth) +
                                    " and d_model <= " +
                                    std::to_string(models::kMaxTsrnetDModel) +
                                    " a positive multiple of heads, found width " +
                                    std::to_string(t.width) + ", d_model " +
                                    std::to_string(t.d_model) + ", heads " +
                                    std::to_string(t.heads));
    if (t.score != "peak" && t.score != "plain")
        throw std::invalid_argument("trainer options: expected score 'peak' or 'plain', found '" +
                                    t.score + "'");
    if (!(t.quantile > 0.0 && t.quantile <= 1.0))
        throw std::invalid_argument("trainer options: expected 0 < quantile <= 1, found " +
                                    std::to_string(t.quantile));
    return t;
}

train::SpecarTrainConfig specar_config(const TrainerConfig& c, double* val_fraction)
{
    train::SpecarTrainConfig t;
    const json o = options_object(c);
    // A preset first (default msl: the architecture of the MSL script), then the keys.
    std::string preset = "msl";
    if (o.contains("preset")) {
        if (!o["preset"].is_string())
            throw wrong_type("preset", o["preset"], "a string");
        preset = o["preset"].get<std::string>();
    }
    t.apply_preset(preset);
    if (t.arch.task != "anomaly_detection")
        throw std::invalid_argument("trainer options: a flowgraph trains SpecAR-Net anomaly "
                                    "detection; preset '" + preset + "' is " + t.arch.task);
    t.out = c.out;
    t.device = c.device;
    t.threads = c.threads;
    t.arch.seq_len = c.window;
    t.arch.enc_in = t.arch.c_out = c.channels;
    *val_fraction = 0.2;
    auto& L = t.loop;
    auto& a = t.arch;
    for (const auto& [k, v] : o.items()) {
        try {
            if (k == "preset" || loop_option(k, v, L))
                continue;
            if (k == "seed")
                L.seed = seed_of(v);
            else if (k == "val_fraction")
                *val_fraction = number(v);
            else if (k == "max_train_windows")
                t.max_train_windows = integer(v);
            else if (k == "anomaly_ratio")
                t.anomaly_ratio = number(v);
            else if (k == "d_model")
                a.d_model = integer(v);
            else if (k == "d_ff")
                a.d_ff = integer(v);
            else if (k == "e_layers")
                a.e_layers = integer(v);
            else if (k == "conv_layers")
                a.conv_layers = integer(v);
            else if (k == "n_fft")
                a.n_fft = a.win_length = integer(v);
            else if (k == "win_length")
                a.win_length = integer(v);
            else if (k == "stft_window")
                a.window = text(v);
            else
                throw std::invalid_argument(
                    "trainer options: unknown key '" + k + "' for specar (expected preset, " +
                    kLoopKeys + ", seed, val_fraction, max_train_windows, anomaly_ratio, "
                    "d_model, d_ff, e_layers, conv_layers, n_fft, win_length, stft_window)");
        } catch (const WrongType& w) {
            throw wrong_type(k, v, w.want);
        }
    }
    validate_loop(o, L);
    a.validate();
    t.validate(); // here, not after the stream was gathered
    if (!(*val_fraction > 0 && *val_fraction < 1))
        throw std::invalid_argument("trainer options: expected 0 < val_fraction < 1, found " +
                                    std::to_string(*val_fraction));
    return t;
}

train::TrlsTrainConfig trls_config(const TrainerConfig& c)
{
    train::TrlsTrainConfig t;
    const json o = options_object(c);
    t.out = c.out;
    t.device = c.device;
    t.threads = c.threads;
    t.scaling = "none"; // per-time-index min-max needs every window first; a stream has no "all"
    auto& L = t.pretrain;
    auto& a = t.arch;
    a.n_fft = c.window >= 1024 ? 128 : 32;
    for (const auto& [k, v] : o.items()) {
        try {
            if (loop_option(k, v, L))
                continue;
            if (k == "seed")
                L.seed = t.downstream.seed = seed_of(v);
            else if (k == "head_epochs")
                t.downstream.epochs = integer32(v);
            else if (k == "scaling")
                t.scaling = text(v);
            else if (k == "n_fft")
                a.n_fft = integer(v);
            else if (k == "hop")
                a.hop = integer(v);
            else if (k == "rnn")
                a.rnn = text(v);
            else if (k == "hidden")
                a.hidden = integer(v);
            else if (k == "f_h")
                a.f_h = integer(v);
            else if (k == "scales")
                a.scales = integer(v);
            else if (k == "image_norm")
                a.image_norm = text(v);
            else if (k == "freq_norm")
                a.freq_norm = text(v);
            else if (k == "tau")
                t.tau = number(v);
            else if (k == "probe")
                t.probe = text(v);
            else
                throw std::invalid_argument(
                    "trainer options: unknown key '" + k + "' for trls (expected " + kLoopKeys +
                    ", seed, head_epochs, scaling, n_fft, hop, rnn, hidden, f_h, scales, "
                    "image_norm, freq_norm, tau, probe)");
        } catch (const WrongType& w) {
            throw wrong_type(k, v, w.want);
        }
    }
    a.channels = c.channels;
    a.length = c.window;
    validate_loop(o, L);
    a.validate();
    t.validate();
    return t;
}

} // namespace engine
} // namespace tfmed
