/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/engine/serve.h>
#include <tfmed/engine/trainer_engine.h>
#include <tfmed/io/atomic.h>
#include <tfmed/models/tsrnet_card.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/runtime.h>
#include <tfmed/train/specar_trainer.h>
#include <tfmed/train/trls_trainer.h>
#include <tfmed/train/tsrnet_trainer.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace tfmed {
namespace engine {

using nlohmann::json;

namespace {

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
                              "clip_grad, select, checkpoint_every, drop_invalid, labels, classes";

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
    L.validate();
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
    L.validate();
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
    a.validate();
    t.validate();
    return t;
}

struct TrainerEngine::Impl {
    TrainerConfig cfg;
    train::TsrnetTrainConfig run;
    train::SpecarTrainConfig specar;
    train::TrlsTrainConfig trls;
    double val_fraction = 0.2;
    std::vector<float> samples; // tsrnet: channel-major per window (N, C, W); specar: (N, W, C)
    std::vector<int> labels;
    std::atomic<int64_t> count{ 0 }, normal{ 0 };
    bool drop_invalid = false;
    std::string label_mode = "auto";
    std::vector<std::string> class_names; // "classes": text label -> index
    int64_t seen = 0;                  // windows offered, kept or not
    std::vector<int64_t> dropped_at;   // the stream's window indices left out (first ones)
    int64_t dropped = 0;
    std::thread worker;
    std::atomic<bool> cancel{ false };
    std::atomic<bool> started{ false }, done{ false };
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<train::Event> events;
    std::string error;
    TrainerResult result;
};

TrainerEngine::TrainerEngine(const TrainerConfig& c) : d_(std::make_unique<Impl>())
{
    tune_allocator(); // LibTorch runs on a worker or scheduler thread
    d_->cfg = c;
    if (c.model != "tsrnet" && c.model != "specar" && c.model != "trls" &&
        c.model != "trls_views")
        throw std::invalid_argument("trainer: expected model 'tsrnet', 'specar', 'trls' or "
                                    "'trls_views', found '" + c.model + "'");
    if (c.out.empty())
        throw std::invalid_argument("trainer: expected an output model path, found none");
    const models::TsrnetCard card; // TSRNet's fixed signal: 500 Hz, 10-s windows
    if (c.model != "tsrnet" && !(c.sample_rate > 0 && std::isfinite(c.sample_rate)))
        throw std::invalid_argument("trainer: expected a sample rate > 0 Hz, found " +
                                    std::to_string(c.sample_rate));
    if (c.model == "tsrnet" &&
        (std::abs(c.sample_rate - card.prep.sample_rate) > 1e-6 * card.prep.sample_rate ||
         c.window != card.window()))
        throw std::invalid_argument(
            "trainer: TSRNet expects windows of " + std::to_string(card.window()) +
            " samples at " + std::to_string(card.prep.sample_rate) + " Hz, found " +
            std::to_string(c.window) + " samples at " + std::to_string(c.sample_rate) +
            " Hz (resample upstream)");
    if (c.channels < 1 || c.channels > 64)
        throw std::invalid_argument("trainer: expected 1 to 64 channels, found " +
                                    std::to_string(c.channels));
    if (c.max_windows < 3)
        throw std::invalid_argument("trainer: expected max_windows >= 3, found " +
                                    std::to_string(c.max_windows));
    train::check_threads(c.threads, 0, "trainer"); // at construction, not after the stream
    if (c.threads == 0)
        (void)train::default_threads(); // a malformed LOCAL_WORLD_SIZE, named here too
    if (c.model == "tsrnet")
        d_->run = tsrnet_config(c);
    else if (c.model == "trls" || c.model == "trls_views")
        d_->trls = trls_config(c);
    else
        d_->specar = specar_config(c, &d_->val_fraction);
    if (c.model == "trls_views") {
        // The graph made the images and their views: refuse settings that
        // would ask for another front end now, not after gathering.
        if (d_->trls.scaling != "none")
            throw std::invalid_argument("trainer: views made in the flowgraph are already "
                                        "images; expected scaling none, found " +
                                        d_->trls.scaling);
        if (d_->trls.arch.image_norm != "window")
            throw std::invalid_argument("trainer: views made in the flowgraph are scaled per "
                                        "window (spec_augment's normalise); expected image_norm "
                                        "window, found " + d_->trls.arch.image_norm);
        // The passes of the replay are the epochs: one run over what came.
        if (!options_object(c).contains("epochs"))
            d_->trls.pretrain.epochs = 1;
    }
    if (const json o = options_object(c); o.contains("drop_invalid"))
        d_->drop_invalid = o["drop_invalid"].get<bool>(); // its type checked above
    if (const json o = options_object(c); o.contains("labels"))
        d_->label_mode = o["labels"].get<std::string>();
    if (const json o = options_object(c); o.contains("classes"))
        d_->class_names = o["classes"].get<std::vector<std::string>>();
    if (c.model == "trls_views" && !d_->class_names.empty())
        throw std::invalid_argument("trainer options: trls_views trains without labels; "
                                    "expected no classes, found " +
                                    std::to_string(d_->class_names.size()));
    models::parse_device(c.device); // refuse "cuda" without a GPU now, not after gathering
    try {
        io::check_model_output(c.out);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("trainer: cannot write the model file: ") +
                                    e.what());
    }
}

TrainerEngine::~TrainerEngine() { cancel(); }

void TrainerEngine::add_window(const float* s, int label)
{
    if (d_->started)
        throw std::logic_error("trainer: windows added after training started");
    if (static_cast<int64_t>(d_->labels.size()) >= d_->cfg.max_windows)
        throw std::length_error("trainer: more than max_windows = " +
                                std::to_string(d_->cfg.max_windows) +
                                " windows reached the sink; raise max_windows or shorten the "
                                "source");
    const int64_t C = d_->cfg.channels, W = d_->cfg.window;
    const int64_t index = d_->seen++;
    const std::size_t floats =
        d_->cfg.model == "trls_views"
            ? static_cast<std::size_t>(2 * frames_per_window() * frame_floats())
            : static_cast<std::size_t>(C * W);
    if (!std::all_of(s, s + floats, [](float v) { return std::isfinite(v); })) {
        // As `tfmed train`: refused, or left out and named (drop_invalid).
        // Here, as it arrives: before, TSRNet trained on with the window in
        // its split, and SpecAR-Net / TRLS refused the whole stream at its end.
        if (!d_->drop_invalid)
            throw std::invalid_argument(
                "trainer: window " + std::to_string(index) + " of the stream (0-based) holds "
                "NaN/Inf samples (a gap, a dropped sensor); tfmed train refuses such windows "
                "too: set \"drop_invalid\": true in the options to leave them out");
        ++d_->dropped;
        if (d_->dropped_at.size() < 10)
            d_->dropped_at.push_back(index);
        return;
    }
    // TRLS's labels are class indices: a negative one (an "unknown") trained
    // as class 0. The anomaly models read any non-zero label as abnormal.
    if (d_->cfg.model == "trls" && label < 0)
        throw std::invalid_argument("trainer: window " + std::to_string(index) +
                                    " of the stream (0-based): expected a class index >= 0 "
                                    "for TRLS, found " + std::to_string(label));
    const std::size_t base = d_->samples.size();
    if (d_->cfg.model == "trls_views") {
        const auto per = static_cast<std::size_t>(2 * frames_per_window() * frame_floats());
        d_->samples.insert(d_->samples.end(), s, s + per);
        d_->labels.push_back(0);
        d_->normal += 1;
        d_->count += 1;
        return;
    }
    d_->samples.resize(base + static_cast<std::size_t>(C * W));
    if (d_->cfg.model != "tsrnet")
        std::copy(s, s + C * W, d_->samples.begin() + static_cast<std::ptrdiff_t>(base));
    else
        for (int64_t t = 0; t < W; ++t)
            for (int64_t c = 0; c < C; ++c)
                d_->samples[base + static_cast<std::size_t>(c * W + t)] = s[t * C + c];
    // TRLS keeps class indices; the anomaly models normal (0) vs not.
    d_->labels.push_back(d_->cfg.model == "trls" ? label : (label != 0 ? 1 : 0));
    d_->normal += label == 0;
    d_->count += 1;
}

int64_t TrainerEngine::windows() const { return d_->count.load(); }
std::string TrainerEngine::dropped() const
{
    if (d_->dropped == 0)
        return "";
    std::string at;
    for (int64_t i : d_->dropped_at)
        at += (at.empty() ? "" : ", ") + std::to_string(i);
    return std::to_string(d_->dropped) + " window(s) with NaN/Inf samples left out "
           "(drop_invalid): the stream's windows " + at +
           (d_->dropped > static_cast<int64_t>(d_->dropped_at.size()) ? ", ..." : "");
}
int64_t TrainerEngine::frame_floats() const
{
    return d_->cfg.model == "trls_views" ? d_->trls.arch.features() : 0;
}
int64_t TrainerEngine::frames_per_window() const
{
    return d_->cfg.model == "trls_views" ? d_->trls.arch.frames() : 0;
}
int64_t TrainerEngine::normal_windows() const { return d_->normal; }
const std::string& TrainerEngine::label_mode() const { return d_->label_mode; }
const std::vector<std::string>& TrainerEngine::class_names() const { return d_->class_names; }
bool TrainerEngine::started() const { return d_->started; }
bool TrainerEngine::done() const { return d_->done; }

void TrainerEngine::start()
{
    if (d_->started.exchange(true))
        return;
    d_->worker = std::thread([this] {
        Impl& d = *d_;
        try {
            const int64_t N = static_cast<int64_t>(d.labels.size()), C = d.cfg.channels,
                          W = d.cfg.window;
            if (N == 0)
                throw std::invalid_argument("trainer: no complete window reached the sink");
            const auto sink = [&d](const train::Event& e) {
                {
                    std::lock_guard<std::mutex> l(d.mu);
                    d.events.push_back(e);
                }
                d.cv.notify_all();
            };
            if (d.cfg.model == "trls_views") {
                const auto r = train::train_trls_views(d.trls, d.samples.data(), N, W, C,
                                                       d.cfg.sample_rate, sink, &d.cancel);
                std::lock_guard<std::mutex> l(d.mu);
                d.result = { r.completed, r.model_path, r.summary };
            } else if (d.cfg.model == "trls") {
                const auto r = train::train_trls_windows(d.trls, d.samples.data(), N, W, C,
                                                         d.labels, d.cfg.sample_rate, sink,
                                                         &d.cancel, d.class_names);
                std::lock_guard<std::mutex> l(d.mu);
                d.result = { r.completed, r.model_path, r.summary };
            } else if (d.cfg.model == "specar") {
                // Anomaly detection learns what the stream usually looks like:
                // windows labelled abnormal are left out.
                std::vector<float> normal;
                const std::size_t per = static_cast<std::size_t>(C * W);
                for (int64_t i = 0; i < N; ++i)
                    if (d.labels[static_cast<std::size_t>(i)] == 0)
                        normal.insert(normal.end(), d.samples.begin() + i * per,
                                      d.samples.begin() + (i + 1) * per);
                d.samples.clear();
                d.samples.shrink_to_fit();
                const auto r = train::train_specar_windows(
                    d.specar, normal.data(), static_cast<int64_t>(normal.size() / per),
                    d.cfg.sample_rate, d.val_fraction, sink, &d.cancel);
                std::lock_guard<std::mutex> l(d.mu);
                d.result = { r.completed, r.model_path, r.summary };
            } else {
            data::WindowSet set;
            set.x = torch::from_blob(d.samples.data(), { N, C, W }, torch::kFloat).clone();
            d.samples.clear();
            d.samples.shrink_to_fit();
            set.label = d.labels;
            for (int64_t i = 0; i < N; ++i) {
                set.cls.push_back(d.labels[i] ? "abnormal" : "N");
                set.ids.push_back("window " + std::to_string(i));
            }
            for (int64_t c = 0; c < C; ++c)
                set.channel_names.push_back("ch" + std::to_string(c));
            json spec = json::parse(d.run.data.to_json());
            spec["source"] = "flowgraph";
            spec["windows"] = N;
            spec["protocol"] = "windows from a trainer_sink; normal ones split train/val/test, "
                               "abnormal ones test";
            set.spec_json = spec.dump();
            const auto r = train::train_tsrnet(d.run, sink, &d.cancel, &set);
            std::lock_guard<std::mutex> l(d.mu);
            d.result = { r.completed, r.model_path, r.summary };
            }
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> l(d.mu);
            d.error = e.what();
        }
        {
            std::lock_guard<std::mutex> l(d.mu);
            d.done = true;
        }
        d.cv.notify_all();
    });
}

std::vector<train::Event> TrainerEngine::wait_events(int ms)
{
    std::unique_lock<std::mutex> l(d_->mu);
    d_->cv.wait_for(l, std::chrono::milliseconds(ms),
                    [this] { return !d_->events.empty() || d_->done; });
    std::vector<train::Event> out(d_->events.begin(), d_->events.end());
    d_->events.clear();
    return out;
}

void TrainerEngine::cancel()
{
    d_->cancel = true;
    if (d_->worker.joinable())
        d_->worker.join();
}

std::string TrainerEngine::error() const
{
    std::lock_guard<std::mutex> l(d_->mu);
    return d_->error;
}

TrainerResult TrainerEngine::result() const
{
    std::lock_guard<std::mutex> l(d_->mu);
    return d_->result;
}

} // namespace engine
} // namespace tfmed
