/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnuradio/block_detail.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/io_signature.h>
#include <cstdlib>
#include <gnuradio/tfmed/trainer_sink.h>
#include <tfmed/engine/trainer_engine.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace gr {
namespace tfmed {

namespace {
enum class State { gathering, training, finished, failed, stopped };
const char* state_name(State s)
{
    switch (s) {
    case State::gathering:
        return "gathering";
    case State::training:
        return "training";
    case State::finished:
        return "finished";
    case State::failed:
        return "failed";
    case State::stopped:
        return "stopped";
    }
    return "?";
}
} // namespace

class trainer_sink_impl : public trainer_sink
{
public:
    trainer_sink_impl(std::unique_ptr<::tfmed::engine::TrainerEngine> engine,
                      const std::string& out,
                      int channels,
                      int window,
                      int hop)
        : gr::block("trainer_sink",
                    engine->frame_floats() > 0
                        ? gr::io_signature::make(
                              2, 2, sizeof(float) * static_cast<std::size_t>(engine->frame_floats()))
                        : gr::io_signature::make(1, 1,
                                                 sizeof(float) * channels *
                                                     (hop > 0 ? 1 : window)),
                    gr::io_signature::make(0, 0, 0)),
          d_views_F(engine->frame_floats()),
          d_views_T(engine->frames_per_window()),
          d_engine(std::move(engine)),
          d_out(out),
          d_channels(channels),
          d_window(window),
          d_hop(hop),
          d_port(pmt::mp("progress")),
          d_label_key(pmt::intern("tfmed_label"))
    {
        message_port_register_out(d_port);
        if (d_engine->label_mode() != "auto")
            d_held_mode = d_engine->label_mode() == "held" ? 1 : 0;
        if (d_hop > 0) // (in size_t: window + 4 hop overflowed int for a large hop)
            d_buf.reserve((static_cast<std::size_t>(window) +
                           4 * std::min<std::size_t>(static_cast<std::size_t>(hop),
                                                     static_cast<std::size_t>(window))) *
                          static_cast<std::size_t>(channels));
    }

    ~trainer_sink_impl() override { d_engine->cancel(); }

    int windows() const override { return static_cast<int>(d_engine->windows()); }
    int normal_windows() const override { return static_cast<int>(d_engine->normal_windows()); }
    std::string state() const override { return state_name(d_state.load()); }
    std::string model_path() const override
    {
        std::lock_guard<std::mutex> l(d_mu);
        return d_model_path;
    }

    // GNU Radio calls stop() and start() again on the same block at
    // lock()/unlock(), and start() again when a stopped graph is started
    // anew. Its restart counts nitems_read() from 0 again and does not keep
    // what waited in the input buffer (nor its tags): the stream resumes
    // with a gap. A window is never cut across it.
    bool start() override
    {
        if (d_started && d_state.load() == State::gathering)
            restart_gathering();
        else if (d_started && d_state.load() == State::stopped)
            d_logger->warn("started again after its training was stopped: the training does "
                           "not resume (its stream has ended, so GNU Radio retires this block "
                           "at once); no model file; the last complete checkpoint, if any, is "
                           "{}",
                           d_out + ".ckpt");
        d_started = true;
        return true;
    }

    bool stop() override
    {
        if (d_state.load() == State::training) {
            // after the current step or validation batch; the last checkpoint stays
            d_engine->cancel();
            settle();           // it may have completed before the cancel took effect
            const auto err = d_engine->error();
            if (!err.empty()) {
                d_logger->error("training had failed before the stop: {}", err);
            } else if (d_state.load() == State::finished) {
                d_logger->info("stopped after training completed: model {}", model_path());
            } else {
                std::error_code ec;
                const bool ckpt = std::filesystem::exists(d_out + ".ckpt", ec);
                d_logger->warn("stopped during training: no model file written; {}",
                               ckpt ? "the last complete checkpoint is " + d_out + ".ckpt"
                                    : std::string("no checkpoint was reached"));
            }
        } else if (d_state.load() == State::gathering && d_engine->windows() == 0 &&
                   stream_ended()) {
            // An empty stream: GNU Radio retires a sink that never received
            // an item without calling its work(), so the run ends here.
            fail("trainer_sink: the stream ended without an item; expected at least one "
                 "window of " + std::to_string(d_window) + " samples, nothing trained");
        } else if (d_state.load() == State::gathering && d_engine->windows() == 0) {
            d_logger->warn("no complete window reached the sink; nothing trained");
        } else if (d_state.load() == State::gathering) {
            d_logger->warn("stopped while gathering: {} window(s) gathered, nothing trained "
                           "(training starts when the stream ends; after lock()/unlock() "
                           "or a new start() the gathering goes on)",
                           d_engine->windows());
        }
        return true;
    }

    int general_work(int,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star&) override
    {
        const int n = d_views_F > 0 ? std::min(ninput_items[0], ninput_items[1])
                                    : ninput_items[0];
        const auto st = d_state.load();
        if (st == State::training)
            return poll_training(n);
        if (st != State::gathering) {
            consume_each(n);
            return WORK_DONE;
        }
        if (d_views_F > 0)
            return work_views(n, input_items);
        // Keep the last item back until the upstream block is done, so that
        // this block is still scheduled when the stream ends (a sink with no
        // input left is retired without another call) and while it trains.
        bool upstream_done;
        uint64_t available;
        {
            gr::thread::scoped_lock guard(*detail()->input(0)->mutex());
            upstream_done = detail()->input(0)->done();
            available = static_cast<uint64_t>(detail()->input(0)->items_available());
        }
        const bool last = upstream_done && available <= static_cast<uint64_t>(n);
        const int take = last ? n : n - 1;
        if (take <= 0 && !last) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            return 0;
        }
        try {
            ingest(static_cast<const float*>(input_items[0]), take);
        } catch (const std::exception& e) {
            fail(e.what());
            consume(0, n);
            return WORK_DONE;
        }
        consume(0, last ? n - 1 : take);
        if (last) {
            if (d_hop > 0) {
                // Samples of the window that did not complete: after the last
                // window's end and from the next start on (with hop > window
                // the gap between windows is skipped by design).
                const uint64_t end = d_buf_start + d_buf.size() / d_channels;
                const uint64_t used_to =
                    d_next == 0 ? 0 : d_next - static_cast<uint64_t>(d_hop) +
                                          static_cast<uint64_t>(d_window);
                const uint64_t from = std::max(used_to, d_next);
                if (end > from)
                    d_logger->warn("stream ended inside a window: its last {} sample(s) make "
                                   "no window of {} and were not used",
                                   end - from, d_window);
            }
            if (const auto dropped = d_engine->dropped(); !dropped.empty())
                d_logger->warn("{}", dropped);
            d_logger->info("stream ended: {} windows ({} normal); training", d_engine->windows(),
                           d_engine->normal_windows());
            d_state = State::training;
            d_engine->start();
        }
        return 0;
    }

private:
    // Every input's upstream has ended (false when there is no detail yet).
    bool stream_ended()
    {
        const auto det = detail();
        if (!det)
            return false;
        for (int p = 0; p < det->ninputs(); ++p)
            if (!det->input(p) || !det->input(p)->done())
                return false;
        return det->ninputs() > 0;
    }

    // trls_views: T frames from each input make one window's pair of views.
    // As in the plain path one item is kept back until both upstream blocks
    // are done, so that the sink is still scheduled when they end; when it
    // belongs to a window already used, d_views_used says so.
    int work_views(int n, gr_vector_const_void_star& input_items)
    {
        bool upstream_done = true;
        uint64_t available = UINT64_MAX;
        for (int p = 0; p < 2; ++p) {
            gr::thread::scoped_lock guard(*detail()->input(p)->mutex());
            upstream_done = upstream_done && detail()->input(p)->done();
            available = std::min<uint64_t>(
                available, static_cast<uint64_t>(detail()->input(p)->items_available()));
        }
        const bool last = upstream_done && available <= static_cast<uint64_t>(n);
        const int T = static_cast<int>(d_views_T);
        const int skip = std::min(d_views_used, n);
        const int windows = (n - skip) / T;
        if (windows <= 0 && !last) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            return 0;
        }
        const std::size_t per = static_cast<std::size_t>(d_views_T * d_views_F);
        d_pair.resize(2 * per);
        const auto* v1 = static_cast<const float*>(input_items[0]) + per / T * skip;
        const auto* v2 = static_cast<const float*>(input_items[1]) + per / T * skip;
        try {
            check_view_windows(skip, windows * T);
            for (int w = 0; w < windows; ++w) {
                std::copy(v1 + per * w, v1 + per * (w + 1), d_pair.begin());
                std::copy(v2 + per * w, v2 + per * (w + 1),
                          d_pair.begin() + static_cast<std::ptrdiff_t>(per));
                d_engine->add_window(d_pair.data(), 0);
            }
        } catch (const std::exception& e) {
            fail(e.what());
            consume_each(n);
            return WORK_DONE;
        }
        const int used = skip + windows * T;
        if (!last) {
            d_views_used = used == n ? 1 : 0;
            consume_each(used == n ? n - 1 : used);
            return 0;
        }
        const int rest = n - used;
        if (rest > 0)
            d_logger->warn("stream ended inside a window: its last {} frame(s) of {} make no "
                           "pair of views and were not used",
                           rest, T);
        consume_each(std::max(n - 1, 0)); // one item stays: scheduled until training ends
        d_logger->info("stream ended: {} pairs of views; training", d_engine->windows());
        d_state = State::training;
        d_engine->start();
        return 0;
    }

    // spec_augment tags the first frame of each of its windows: those must be
    // the sink's windows too (the same frames per window on both inputs).
    void check_view_windows(int from, int count)
    {
        for (int p = 0; p < 2; ++p) {
            const uint64_t a0 = nitems_read(p) + static_cast<uint64_t>(from);
            std::vector<gr::tag_t> tags;
            get_tags_in_range(tags, p, a0, a0 + static_cast<uint64_t>(count), d_augment_key);
            for (const auto& t : tags) {
                if (t.offset % static_cast<uint64_t>(d_views_T) != 0)
                    throw std::invalid_argument(
                        "trainer_sink: expected spec_augment windows of " +
                        std::to_string(d_views_T) + " frames on input " + std::to_string(p) +
                        " (the model's STFT of " + std::to_string(d_window) +
                        " samples), found one starting at frame " + std::to_string(t.offset));
                // Views of power, dB or complex frames would train silently
                // (the min-max keeps them in [0, 1]).
                if (pmt::is_dict(t.value) &&
                    pmt::dict_has_key(t.value, pmt::mp("stft_mismatch")))
                    throw std::invalid_argument(
                        "trainer_sink: the views of window " +
                        std::to_string(t.offset / static_cast<uint64_t>(d_views_T)) +
                        " on input " + std::to_string(p) +
                        " are not of STFT magnitudes (spec_augment's stft_mismatch: the "
                        "upstream tfmed.stft gave another output); expected magnitude frames");
            }
        }
    }

    // After a restart: the window in progress is dropped (its samples and
    // the next ones are not contiguous), windows start again with the next
    // sample; positions continue (d_ingested).
    void restart_gathering()
    {
        std::size_t partial = 0;
        if (d_hop > 0) {
            const uint64_t end = d_buf_start + d_buf.size() / d_channels;
            partial = end > d_next ? static_cast<std::size_t>(end - d_next) : 0;
            d_buf.clear();
            d_buf_start = d_next = end;
            if (!d_labels.empty()) // held: the last label seen stays in force
                d_held = d_labels.back().second;
            d_labels.clear();
        }
        d_views_used = 0;
        d_logger->warn("started again while gathering (lock()/unlock() or a new start): {} "
                       "window(s) so far; {}samples (and tfmed_label tags) that waited in the "
                       "input buffer are lost at a restart (GNU Radio); windows start again "
                       "with the next sample{}",
                       d_engine->windows(),
                       partial > 0 ? "the window in progress (" + std::to_string(partial) +
                                         " sample(s)) was dropped; "
                                   : std::string(),
                       d_held_mode == 1 ? " (held labels: the last label seen stays in force "
                                          "until the next tag; a change tagged in the lost "
                                          "samples is lost with them)"
                                        : "");
    }

    // Cut windows from `k` new items and hand them to the engine.
    void ingest(const float* in, int k)
    {
        // Positions count the items this block has taken over its life
        // (nitems_read() starts again from 0 at a restart).
        const uint64_t a0 = nitems_read(0), p0 = d_ingested;
        d_ingested += static_cast<uint64_t>(k);
        std::vector<gr::tag_t> tags;
        get_tags_in_range(tags, 0, a0, a0 + static_cast<uint64_t>(k), d_label_key);
        std::stable_sort(tags.begin(), tags.end(), [](const gr::tag_t& a, const gr::tag_t& b) {
            return a.offset < b.offset;
        });
        for (const auto& t : tags) {
            if (d_held_mode < 0)
                decide_label_mode(t.value);
            d_labels.emplace_back(p0 + (t.offset - a0), label_of(t.value));
        }
        if (d_hop == 0) {
            const std::size_t per = static_cast<std::size_t>(d_window) * d_channels;
            for (int i = 0; i < k; ++i) {
                // events: the largest label on the item; held: the same
                // when the item has a tag (a case or a change starts on it),
                // else the label in force.
                int label = 0;
                bool tagged = false;
                for (const auto& [off, y] : d_labels)
                    if (off == p0 + static_cast<uint64_t>(i)) {
                        label = tagged ? std::max(label, y) : y;
                        tagged = true;
                        d_held = y;
                    }
                if (!tagged && d_held_mode == 1)
                    label = d_held;
                d_engine->add_window(in + per * static_cast<std::size_t>(i), label);
            }
            d_labels.clear();
            return;
        }
        d_buf.insert(d_buf.end(), in, in + static_cast<std::size_t>(k) * d_channels);
        const uint64_t end = d_buf_start + d_buf.size() / d_channels;
        while (d_next + static_cast<uint64_t>(d_window) <= end) {
            // events: the largest label tagged on the window's samples;
            // held: the largest label in force on them (the one in force at
            // its first sample, and every one tagged after it).
            int label = 0, in_force = d_held;
            for (const auto& [off, y] : d_labels) {
                if (off <= d_next)
                    in_force = y;
                if (off >= d_next && off < d_next + static_cast<uint64_t>(d_window))
                    label = std::max(label, y);
            }
            if (d_held_mode == 1)
                label = std::max(label, in_force);
            const auto off = static_cast<std::size_t>((d_next - d_buf_start) * d_channels);
            d_engine->add_window(d_buf.data() + off, label);
            d_next += static_cast<uint64_t>(d_hop);
        }
        // Drop samples and labels no future window needs (the label in
        // force stays).
        const uint64_t keep_from = std::min<uint64_t>(d_next, end);
        if (keep_from > d_buf_start) {
            d_buf.erase(d_buf.begin(),
                        d_buf.begin() +
                            static_cast<std::ptrdiff_t>((keep_from - d_buf_start) * d_channels));
            d_buf_start = keep_from;
        }
        while (!d_labels.empty() && d_labels.front().first < d_next) {
            d_held = d_labels.front().second;
            d_labels.pop_front();
        }
    }

    // "labels": "auto" decides on the first tag: text (table_source's label
    // column and .ts cases, whose tags mark where a label starts) -> held,
    // a number (annotation_labeler's beats) -> events.
    void decide_label_mode(const pmt::pmt_t& v)
    {
        d_held_mode = pmt::is_symbol(v) ? 1 : 0;
        d_logger->info("tfmed_label tags as {}: {} (set \"labels\" in the options to choose)",
                       d_held_mode ? "text (a table_source label column)" : "numbers",
                       d_held_mode ? "each label holds until the next tag (labels: held)"
                                   : "each marks its own sample (labels: events)");
    }

    // The label as a class index: 0 = normal; a non-negative integer as
    // itself (TRLS classes; the anomaly models take any non-zero as 1);
    // anything else (NaN, a fraction, a negative number) counts as 1.
    int label_of(const pmt::pmt_t& v)
    {
        // -1: not a class index (the warning below names it once).
        auto index = [](double y) {
            return std::isfinite(y) && y >= 0 && y < 1e6 && y == std::floor(y)
                       ? static_cast<int>(y)
                       : -1;
        };
        int y = -1;
        if (pmt::is_bool(v))
            return pmt::to_bool(v) ? 1 : 0;
        if (pmt::is_uint64(v))
            y = index(static_cast<double>(pmt::to_uint64(v)));
        else if (pmt::is_number(v) && !pmt::is_complex(v))
            y = index(pmt::to_double(v));
        else if (pmt::is_symbol(v)) { // table_source's labels: the value as text
            const std::string t = pmt::symbol_to_string(v);
            const auto& names = d_engine->class_names();
            if (!names.empty()) { // "classes": names, in index order
                const auto it = std::find(names.begin(), names.end(), t);
                if (it != names.end())
                    return static_cast<int>(it - names.begin());
            }
            char* end = nullptr;
            const double d = std::strtod(t.c_str(), &end);
            if (!t.empty() && end && *end == '\0')
                y = index(d);
            else // text a class cannot be told from: refused, not guessed
                throw std::invalid_argument(
                    "trainer_sink: tfmed_label '" + t + "' is " +
                    (names.empty() ? std::string("text, not a class index: name the classes "
                                                 "in the options, e.g. {\"classes\": [\"") +
                                         t + "\", ...]} (the first is class 0, normal for "
                                             "the anomaly models)"
                                   : std::string("not one of the options' classes")));
        }
        if (y >= 0)
            return y;
        // A negative or fractional number (an "unknown" -1) was counted as 1
        // without a word: for TRLS a class of its own.
        if (!d_warned_label) {
            d_logger->warn("tfmed_label: expected a class index (an integer >= 0; 0 = "
                           "normal), found {}; counted as 1 (abnormal; for TRLS class 1)",
                           pmt::write_string(v));
            d_warned_label = true;
        }
        return 1;
    }

    int poll_training(int n)
    {
        // Whether the worker had ended is read before its events are taken:
        // an event queued before the end is then never left behind.
        const bool ended = d_engine->done();
        const auto events = d_engine->wait_events(ended ? 0 : 100);
        const auto now = std::chrono::steady_clock::now();
        for (const auto& e : events) {
            using K = ::tfmed::train::Event::Kind;
            if (e.kind == K::step && e.step != e.steps && now - d_last_step < std::chrono::seconds(1))
                continue;
            if (e.kind == K::step)
                d_last_step = now;
            publish(e, ::tfmed::train::to_string(e.kind));
        }
        if (!ended)
            return 0;
        const auto err = d_engine->error();
        if (!err.empty())
            fail(err);
        else
            settle();
        consume_each(n);
        return WORK_DONE;
    }

    // The final state from the worker's result (after it has ended).
    void settle()
    {
        const auto r = d_engine->result();
        if (!d_engine->error().empty()) {
            d_state = State::failed;
        } else if (r.completed) {
            std::lock_guard<std::mutex> l(d_mu);
            d_model_path = r.model_path;
            d_state = State::finished;
        } else {
            d_state = State::stopped;
        }
    }

    void fail(const std::string& what)
    {
        d_logger->error("{}", what);
        ::tfmed::train::Event e;
        e.message = what;
        publish(e, "error");
        d_state = State::failed;
    }

    void publish(const ::tfmed::train::Event& e, const char* type)
    {
        pmt::pmt_t m = pmt::make_dict();
        auto add = [&m](const char* k, const pmt::pmt_t& v) { m = pmt::dict_add(m, pmt::mp(k), v); };
        add("type", pmt::mp(type));
        add("epoch", pmt::from_long(e.epoch));
        add("epochs", pmt::from_long(e.epochs));
        add("step", pmt::from_long(static_cast<long>(e.step)));
        add("steps", pmt::from_long(static_cast<long>(e.steps)));
        add("loss", pmt::from_double(e.loss));
        add("metric", pmt::from_double(e.metric));
        add("metric_name", pmt::mp(e.metric_name));
        add("lr", pmt::from_double(e.lr));
        add("elapsed_s", pmt::from_double(e.elapsed_s));
        add("eta_s", pmt::from_double(e.eta_s));
        add("best", pmt::from_bool(e.best));
        add("path", pmt::mp(e.path));
        add("message", pmt::mp(e.message));
        message_port_pub(d_port, pmt::cons(m, pmt::make_u8vector(0, 0)));
    }

    const int64_t d_views_F, d_views_T; // trls_views: values per frame, frames per window
    std::vector<float> d_pair;
    int d_views_used = 0; // items at the inputs' head already in a pair
    const pmt::pmt_t d_augment_key = pmt::intern("tfmed_augment");
    std::unique_ptr<::tfmed::engine::TrainerEngine> d_engine;
    const std::string d_out;
    const int d_channels, d_window, d_hop;
    const pmt::pmt_t d_port, d_label_key;
    std::atomic<State> d_state{ State::gathering };
    std::vector<float> d_buf;
    uint64_t d_buf_start = 0, d_next = 0;
    uint64_t d_ingested = 0; // items taken by ingest(), restarts included
    bool d_started = false;  // start() ran before (a later one is a restart)
    std::deque<std::pair<uint64_t, int>> d_labels;
    int d_held_mode = -1; // labels: 1 held, 0 events, -1 auto and no tag yet
    int d_held = 0;       // held: the label in force before d_labels' first
    bool d_warned_label = false;
    std::chrono::steady_clock::time_point d_last_step{};
    mutable std::mutex d_mu;
    std::string d_model_path;
};

trainer_sink::sptr trainer_sink::make(const std::string& model,
                                      const std::string& out_path,
                                      int channels,
                                      double sample_rate,
                                      int window,
                                      int hop,
                                      const std::string& options,
                                      int max_windows,
                                      const std::string& device,
                                      int threads)
{
    if (hop < 0)
        throw std::invalid_argument("trainer_sink: expected hop >= 0 (0 = one window per "
                                    "item), found " +
                                    std::to_string(hop));
    if (window < 1)
        throw std::invalid_argument("trainer_sink: expected window >= 1, found " +
                                    std::to_string(window));
    ::tfmed::engine::TrainerConfig c;
    c.model = model;
    c.out = out_path;
    c.channels = channels;
    c.sample_rate = sample_rate;
    c.window = window;
    c.max_windows = max_windows;
    c.device = device;
    c.threads = threads;
    c.options_json = options;
    auto engine = std::make_unique<::tfmed::engine::TrainerEngine>(c);
    return gnuradio::make_block_sptr<trainer_sink_impl>(std::move(engine), out_path, channels,
                                                         window, hop);
}

} // namespace tfmed
} // namespace gr
