/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnuradio/io_signature.h>
#include <gnuradio/tfmed/specar.h>
#include <tfmed/data/time_features.h>
#include <tfmed/engine/specar_engine.h>

#include "window_feeder.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gr {
namespace tfmed {

namespace {

enum class Task { anomaly, forecast, impute, classify };

Task task_of(const std::string& t)
{
    if (t == "anomaly_detection")
        return Task::anomaly;
    if (t == "long_term_forecast")
        return Task::forecast;
    if (t == "imputation")
        return Task::impute;
    return Task::classify;
}

// The alarm threshold rules, for the constructor and set_threshold: an
// anomaly model takes a finite level, or NaN for its card's (which must then
// have one); the other tasks raise no alarms and take NaN only (a GRC
// callback fires with the block's NaN default). `model`: "model X.tfm".
void check_threshold(Task task, const std::string& task_name, float t, float card,
                     const std::string& model)
{
    const std::string me = "tfmed.specar: ";
    if (task != Task::anomaly) {
        if (!std::isnan(t))
            throw std::invalid_argument(me + model + " (" + task_name +
                                        ") raises no alarms: expected threshold NaN (only "
                                        "anomaly detection models take one), found " +
                                        std::to_string(t));
        return;
    }
    if (std::isnan(t) && !std::isfinite(card))
        throw std::invalid_argument(me + model +
                                    " has no calibrated threshold (its card says null); it "
                                    "would never alarm. Give the threshold explicitly");
    if (std::isinf(t))
        throw std::invalid_argument(me + "expected a finite threshold (or NaN: the card's), "
                                         "found " + std::to_string(t));
}

struct Setup {
    std::shared_ptr<::tfmed::engine::SpecarService> svc;
    double deadline_s = 0.0;
    Task task;
    int channels, window, hop, out_vlen;
};

Setup open(const std::string& path, int channels, int hop, const std::string& device,
           int threads, float threshold, int out_vlen, bool share,
           const ::tfmed::engine::ServeOptions& o, double deadline_ms)
{
    const std::string me = "tfmed.specar: ";
    if (channels < 1)
        throw std::invalid_argument(me + "expected channels >= 1, found " +
                                    std::to_string(channels));
    if (!(deadline_ms >= 0.0) || std::isinf(deadline_ms))
        throw std::invalid_argument(me + "expected deadline_ms >= 0 (0: off), found " +
                                    std::to_string(deadline_ms));
    o.validate("tfmed.specar");
    Setup s;
    s.deadline_s = deadline_ms / 1000.0;
    s.svc = ::tfmed::engine::serve_specar(path, device, threads, o, share);
    const auto& c = s.svc->engine->card();
    const auto& a = c.arch;
    s.task = task_of(a.task);
    s.channels = channels;
    s.window = static_cast<int>(a.seq_len);
    if (a.enc_in != channels)
        throw std::invalid_argument(me + "model " + path + " (" + a.task + ") expects " +
                                    std::to_string(a.enc_in) + " channel(s), the stream has " +
                                    std::to_string(channels));
    s.hop = hop != 0 ? hop : (s.task == Task::forecast ? 1 : s.window);
    if (s.hop < 1)
        throw std::invalid_argument(me + "expected hop >= 1 (or 0 for the task's default), "
                                         "found " + std::to_string(hop));
    if (s.task == Task::anomaly && s.hop > s.window)
        throw std::invalid_argument(me + "anomaly detection scores every sample: expected hop "
                                         "1.." + std::to_string(s.window) +
                                    " (the window), found " + std::to_string(s.hop));
    if (s.task == Task::impute && s.hop != s.window)
        throw std::invalid_argument(me + "imputation fills non-overlapping windows: expected "
                                         "hop " + std::to_string(s.window) +
                                    " (the window) or 0, found " + std::to_string(s.hop));
    // (Forecasting and imputation cards give back every channel they take:
    // SpecarOptions::validate refuses others when the card is read.)
    if (::tfmed::engine::specar_marks_per_step(a) != 0 && a.time_features != 4)
        throw std::invalid_argument(me + "model " + path + " takes " +
                                    std::to_string(a.time_features) +
                                    " time features; this block computes 4 (timeF, freq h)");
    check_threshold(s.task, a.task, threshold, static_cast<float>(c.threshold), "model " + path);
    const int vlen = s.task == Task::forecast ? static_cast<int>(a.pred_len) * channels
                     : s.task == Task::impute ? channels
                                              : 1;
    if (out_vlen != 0 && out_vlen != vlen)
        throw std::invalid_argument(me + "model " + path + " (" + a.task + ") outputs vectors "
                                         "of " + std::to_string(vlen) + ", out_vlen says " +
                                    std::to_string(out_vlen));
    s.out_vlen = vlen;
    return s;
}

} // namespace

class specar_impl : public specar
{
public:
    specar_impl(Setup s, float threshold, double start_time)
        : gr::block("specar",
                    gr::io_signature::make(1, 1, sizeof(float) * s.channels),
                    gr::io_signature::make(1, 1, sizeof(float) * s.out_vlen)),
          d_svc(s.svc),
          d_engine(*s.svc->engine),
          d_task(s.task),
          d_ch(s.channels),
          d_win(s.window),
          d_hop(s.hop),
          d_vlen(s.out_vlen),
          d_tf(static_cast<int>(::tfmed::engine::specar_marks_per_step(d_engine.card().arch))),
          d_card_threshold(static_cast<float>(d_engine.card().threshold)),
          d_threshold(threshold),
          d_start_time(start_time),
          d_rate(d_engine.card().sample_rate),
          d_port(pmt::mp("alarm")),
          d_id(pmt::intern("specar")),
          d_feed(this, s.svc->server, s.channels, s.window, s.hop, d_rate, s.deadline_s, "alarm",
                 s.window * d_tf, [this](uint64_t start, float* dst) { marks(start, dst); })
    {
        if (d_task == Task::forecast || d_task == Task::classify) {
            set_relative_rate(1, static_cast<uint64_t>(d_hop));
            bound_window_port(this, 0);
        }
        set_tag_propagation_policy(TPP_DONT);
        message_port_register_out(d_port);
        for (const auto& n : d_engine.card().class_names)
            d_class_syms.push_back(pmt::intern(n));
    }

    std::string task() const override { return d_engine.card().arch.task; }
    int window() const override { return d_win; }
    int hop() const override { return d_hop; }
    int out_vlen() const override { return d_vlen; }
    float threshold() const override
    {
        if (d_task != Task::anomaly)
            return std::numeric_limits<float>::quiet_NaN();
        const float t = d_threshold.load();
        return std::isnan(t) ? d_card_threshold : t;
    }
    void set_threshold(float t) override
    {
        check_threshold(d_task, d_engine.card().arch.task, t, d_card_threshold, "this model");
        if (d_task == Task::anomaly)
            d_threshold.store(t);
    }
    std::vector<std::string> class_names() const override
    {
        return d_engine.card().class_names;
    }
    std::string card_json() const override { return d_engine.card().to_json(); }
    std::string device() const override { return d_engine.device(); }
    uint64_t windows_queued() const override { return d_feed.queued(); }
    uint64_t windows_emitted() const override { return d_feed.emitted(); }
    int queue_depth() const override { return d_feed.depth(); }
    uint64_t overruns() const override { return d_feed.overruns(); }
    std::vector<float> latencies() const override { return d_feed.latencies(); }
    std::string serving() const override { return d_feed.serving(d_svc->key); }

    bool start() override
    {
        if (d_feed.start()) { // a new run: the last one's output is stale
            d_q.clear();
            d_tags.clear();
            d_queued = 0;
            d_scored_end = 0;
        }
        return true;
    }

    void forecast(int, gr_vector_int& need) override
    {
        if (!d_q.empty()) { // output of its own to write first
            need[0] = 0;
            return;
        }
        d_feed.forecast(need);
    }

    bool stop() override
    {
        d_feed.stop();
        // Only at the stream's end: stop() also comes with lock()/unlock()
        // and tb.stop() of a live graph, whose samples are still to come.
        const auto det = detail();
        if (!det || det->ninputs() < 1 || !det->input(0) || !det->input(0)->done())
            return true;
        const uint64_t end = nitems_read(0) + static_cast<uint64_t>(det->input(0)->items_available());
        const uint64_t left = end > d_scored_end ? end - d_scored_end : 0;
        if (left > 0 && d_task != Task::forecast && d_task != Task::classify)
            d_logger->info("stream ended with {} sample(s) after the last complete window of "
                           "{}; they were not output",
                           left, d_win);
        return true;
    }

    int general_work(int noutput_items, gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override
    {
        auto* out = static_cast<float*>(output_items[0]);
        // Output from earlier windows first; new windows only when it is all
        // out (the queue of windows in flight bounds what waits here).
        int n = flush(out, noutput_items, 0);
        d_feed.work(
            d_q.empty() ? noutput_items : 0, ninput_items[0],
            static_cast<const float*>(input_items[0]),
            [this](const ::tfmed::engine::SpecarResult& r, uint64_t s, int, double overrun) {
                emit(r, s, overrun);
            },
            [this] { return !d_q.empty(); });
        n += flush(out, noutput_items - n, n);
        return n;
    }

private:
    struct PendingTag {
        uint64_t offset;
        pmt::pmt_t key, value;
    };

    // Copy queued items to output items [at, at + space), with their tags.
    int flush(float* out, int space, int at)
    {
        const int n = static_cast<int>(
            std::min<std::size_t>(space, d_q.size() / static_cast<std::size_t>(d_vlen)));
        std::copy(d_q.begin(), d_q.begin() + static_cast<std::ptrdiff_t>(n) * d_vlen,
                  out + static_cast<std::ptrdiff_t>(at) * d_vlen);
        d_q.erase(d_q.begin(), d_q.begin() + static_cast<std::ptrdiff_t>(n) * d_vlen);
        const uint64_t end = nitems_written(0) + static_cast<uint64_t>(at + n);
        while (!d_tags.empty() && d_tags.front().offset < end) {
            const auto& t = d_tags.front();
            add_item_tag(0, t.offset, t.key, t.value, d_id);
            d_tags.pop_front();
        }
        return n;
    }
    void tag(uint64_t item, const char* key, const pmt::pmt_t& v)
    {
        d_tags.push_back({ item, pmt::intern(key), v });
    }
    void pdu(const std::vector<std::pair<const char*, pmt::pmt_t>>& fields,
             const std::string& text = {})
    {
        message_port_pub(d_port, model_pdu(fields, text));
    }

    // The time features of a window's samples (the stream's own clock).
    void marks(uint64_t start, float* dst) const
    {
        for (int t = 0; t < d_win; ++t) {
            // Clamped to the representable seconds (a card's sample rate of
            // 1e-20 Hz would make the cast undefined; the calendar is
            // meaningless that far out anyway).
            const double secs = std::clamp(
                d_start_time + static_cast<double>(start + t) / d_rate, -9.0e18, 9.0e18);
            const auto f =
                ::tfmed::data::hourly_time_features(static_cast<int64_t>(std::floor(secs)));
            std::copy(f.begin(), f.end(), dst + static_cast<std::ptrdiff_t>(t) * d_tf);
        }
    }

    void emit(const ::tfmed::engine::SpecarResult& res, uint64_t s, double overrun)
    {
        const float nan = std::nanf("");
        const auto& r = res.values;
        const std::string& failure = res.error;
        if (!failure.empty())
            d_logger->error("inference failed: {}", failure);
        // `filled_bad`: the network filled a missing sample with NaN/Inf
        // (imputation; its input was fine).
        const auto invalid = [&](uint64_t item, uint64_t start, bool filled_bad = false) {
            tag(item, "tfmed_invalid",
                pmt::intern(!failure.empty() ? "score_non_finite"
                            : filled_bad     ? "non_finite_output"
                                             : "non_finite"));
            pdu({ { "type", pmt::mp("invalid") },
                  { "start", pmt::from_uint64(start) },
                  { "time_s", pmt::from_double(static_cast<double>(start) / d_rate) },
                  { "detail", pmt::mp(!failure.empty() ? "inference_failed"
                                      : filled_bad     ? "non_finite_output"
                                                       : "non_finite_input") } },
                !failure.empty() ? failure
                : filled_bad     ? "the network filled a missing sample with NaN/Inf"
                                 : "a non-finite input sample");
        };
        const uint64_t item = d_queued;
        if (!std::isnan(overrun))
            tag(item, "tfmed_overrun", pmt::from_double(overrun));
        d_scored_end = s + static_cast<uint64_t>(d_win);
        if (d_task == Task::anomaly) {
            // The first window gives all its samples, later ones their newest hop.
            const int first = s == 0 ? 0 : d_win - d_hop;
            float top = -1.0f;
            bool bad = false;
            for (int i = first; i < d_win; ++i) {
                d_q.push_back(r[static_cast<std::size_t>(i)]);
                bad |= !std::isfinite(r[static_cast<std::size_t>(i)]);
                top = std::max(top, r[static_cast<std::size_t>(i)]);
            }
            d_queued += static_cast<uint64_t>(d_win - first);
            tag(item, "tfmed_score", pmt::from_double(bad ? nan : top));
            tag(item, "tfmed_window_start", pmt::from_uint64(s));
            const double thr = threshold(); // (one read: a setter may run meanwhile)
            if (bad)
                invalid(item, s + first); // the samples this item starts, as an alarm's
            else if (top > thr)
                pdu({ { "type", pmt::mp("alarm") },
                      { "score", pmt::from_double(top) },
                      { "threshold", pmt::from_double(thr) },
                      { "start", pmt::from_uint64(s + first) },
                      { "end", pmt::from_uint64(s + d_win) },
                      { "time_s", pmt::from_double(static_cast<double>(s + first) / d_rate) } });
        } else if (d_task == Task::forecast) {
            d_q.insert(d_q.end(), r.begin(), r.end());
            ++d_queued;
            tag(item, "tfmed_forecast_start", pmt::from_uint64(s + d_win));
            if (!std::all_of(r.begin(), r.end(), [](float v) { return std::isfinite(v); }))
                invalid(item, s);
        } else if (d_task == Task::impute) {
            // (The values are the filled window, or on a failure the window
            // as it came: observed samples pass unchanged either way.)
            if (!failure.empty())
                invalid(item, s); // tags in item order: this one first
            else if (!std::all_of(r.begin(), r.end(), [](float v) { return std::isfinite(v); }))
                invalid(item, s, true);
            for (int t = 0; t < d_win && t < static_cast<int>(res.filled.size()); ++t)
                if (res.filled[static_cast<std::size_t>(t)] > 0)
                    tag(item + t, "tfmed_imputed",
                        pmt::from_long(res.filled[static_cast<std::size_t>(t)]));
            d_q.insert(d_q.end(), r.begin(), r.end());
            d_queued += static_cast<uint64_t>(d_win);
        } else {
            const auto K = static_cast<int64_t>(d_class_syms.size());
            const float* p = r.data();
            const auto best = std::max_element(p, p + K) - p;
            const bool bad = !std::all_of(p, p + K, [](float v) { return std::isfinite(v); });
            d_q.push_back(bad ? nan : static_cast<float>(best));
            ++d_queued;
            if (bad) {
                invalid(item, s);
                return;
            }
            tag(item, "tfmed_label", d_class_syms[static_cast<std::size_t>(best)]);
            tag(item, "tfmed_probabilities", pmt::init_f32vector(static_cast<std::size_t>(K), p));
            pdu({ { "type", pmt::mp("decision") },
                  { "class", pmt::from_long(best) },
                  { "label", d_class_syms[static_cast<std::size_t>(best)] },
                  { "probability", pmt::from_double(p[best]) },
                  { "start", pmt::from_uint64(s) },
                  { "time_s", pmt::from_double(static_cast<double>(s) / d_rate) } });
        }
    }

    std::shared_ptr<::tfmed::engine::SpecarService> d_svc;
    const ::tfmed::engine::SpecarEngine& d_engine;
    const Task d_task;
    const int d_ch, d_win, d_hop, d_vlen, d_tf;
    const float d_card_threshold;
    std::atomic<float> d_threshold;
    const double d_start_time, d_rate;
    const pmt::pmt_t d_port, d_id;
    std::vector<pmt::pmt_t> d_class_syms;
    uint64_t d_scored_end = 0;
    std::deque<float> d_q;         // output values not yet written
    uint64_t d_queued = 0;         // output items produced so far (written + queued)
    std::deque<PendingTag> d_tags; // tags of queued items, by absolute offset
    WindowFeeder<::tfmed::engine::SpecarResult> d_feed;
};

specar::sptr specar::make(const std::string& model_path, int channels, int hop,
                          const std::string& device, int threads, float threshold,
                          double start_time, int out_vlen, bool share, int max_batch,
                          double max_wait_ms, int queue, double deadline_ms)
{
    // Seconds since the epoch for the time features: finite, and within the
    // range their calendar fields are computed over (int64 seconds).
    if (!(std::isfinite(start_time) && std::fabs(start_time) <= 1e15)) {
        char found[32]; // %g: std::to_string wrote 1e300 with its 300 digits
        std::snprintf(found, sizeof found, "%.16g", start_time);
        throw std::invalid_argument("tfmed.specar: start_time: expected a finite time in "
                                    "seconds since 1970 within +-1e15, found " +
                                    std::string(found));
    }
    ::tfmed::engine::ServeOptions o;
    o.max_batch = max_batch;
    o.max_wait_ms = max_wait_ms;
    o.queue = queue;
    auto s = open(model_path, channels, hop, device, threads, threshold, out_vlen, share, o,
                  deadline_ms);
    return gnuradio::make_block_sptr<specar_impl>(std::move(s), threshold, start_time);
}

} // namespace tfmed
} // namespace gr
