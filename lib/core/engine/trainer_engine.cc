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

#include "trainer_options.h"

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
        (!(std::abs(c.sample_rate - card.prep.sample_rate) <= 1e-6 * card.prep.sample_rate) ||
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
