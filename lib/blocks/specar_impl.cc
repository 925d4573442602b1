/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnuradio/io_signature.h>
#include <gnuradio/tfmed/specar.h>
#include <tfmed/data/time_features.h>
#include <tfmed/engine/specar_engine.h>

#include <algorithm>
#include <atomic>
#include <cmath>
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

struct Setup {
    std::unique_ptr<::tfmed::engine::SpecarEngine> engine;
    Task task;
    int channels, window, hop, out_vlen;
};

Setup open(const std::string& path, int channels, int hop, const std::string& device,
           int threads, float threshold, int out_vlen)
{
    const std::string me = "tfmed.specar: ";
    if (channels < 1)
        throw std::invalid_argument(me + "expected channels >= 1, found " +
                                    std::to_string(channels));
    Setup s;
    s.engine = std::make_unique<::tfmed::engine::SpecarEngine>(path, device, threads);
    const auto& c = s.engine->card();
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
    if (a.time_features != 0 && a.time_features != 4)
        throw std::invalid_argument(me + "model " + path + " takes " +
                                    std::to_string(a.time_features) +
                                    " time features; this block computes 4 (timeF, freq h)");
    if (s.task == Task::anomaly) {
        if (std::isnan(threshold) && !std::isfinite(c.threshold))
            throw std::invalid_argument(me + "model " + path +
                                        " has no calibrated threshold (its card says null); "
                                        "it would never alarm. Give the threshold explicitly");
        if (std::isinf(threshold))
            throw std::invalid_argument(me + "expected a finite threshold (or NaN: the "
                                             "card's), found " + std::to_string(threshold));
    }
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
          d_engine(std::move(s.engine)),
          d_task(s.task),
          d_ch(s.channels),
          d_win(s.window),
          d_hop(s.hop),
          d_vlen(s.out_vlen),
          d_card_threshold(static_cast<float>(d_engine->card().threshold)),
          d_threshold(threshold),
          d_start_time(start_time),
          d_rate(d_engine->card().sample_rate),
          d_port(pmt::mp("alarm")),
          d_id(pmt::intern("specar"))
    {
        if (d_task == Task::forecast || d_task == Task::classify)
            set_relative_rate(1, static_cast<uint64_t>(d_hop));
        set_tag_propagation_policy(TPP_DONT);
        message_port_register_out(d_port);
        for (const auto& n : d_engine->card().class_names)
            d_class_syms.push_back(pmt::intern(n));
    }

    std::string task() const override { return d_engine->card().arch.task; }
    int window() const override { return d_win; }
    int hop() const override { return d_hop; }
    int out_vlen() const override { return d_vlen; }
    float threshold() const override
    {
        const float t = d_threshold.load();
        return std::isnan(t) ? d_card_threshold : t;
    }
    void set_threshold(float t) override
    {
        if (std::isinf(t) || (std::isnan(t) && std::isnan(d_card_threshold)))
            throw std::invalid_argument("tfmed.specar: expected a finite threshold (NaN only "
                                        "when the card has one), found " + std::to_string(t));
        d_threshold.store(t);
    }
    std::vector<std::string> class_names() const override
    {
        return d_engine->card().class_names;
    }
    std::string card_json() const override { return d_engine->card().to_json(); }
    std::string device() const override { return d_engine->device(); }

    void forecast(int, gr_vector_int& ninput_items_required) override
    {
        // Nothing more is needed while output is queued or a complete window
        // waits in the buffer (at the end of the stream too).
        const bool pending = d_next + d_win <= d_buf_start + d_buf.size() / d_ch;
        ninput_items_required[0] = d_q.empty() && !pending ? 1 : 0;
    }

    bool stop() override
    {
        const uint64_t end = d_buf_start + d_buf.size() / d_ch;
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
        const auto* in = static_cast<const float*>(input_items[0]);
        // Take input while the queue is short (bounded memory), then run the
        // windows that are complete, at most kBatch per call.
        const int take = d_q.size() < static_cast<std::size_t>(kBatch) * d_vlen
                             ? std::min(ninput_items[0], kBatch * d_hop + d_win)
                             : 0;
        d_buf.insert(d_buf.end(), in, in + static_cast<std::size_t>(take) * d_ch);
        consume(0, take);
        run_windows();
        // Copy queued items out, with their tags.
        auto* out = static_cast<float*>(output_items[0]);
        const int n = static_cast<int>(
            std::min<std::size_t>(noutput_items, d_q.size() / static_cast<std::size_t>(d_vlen)));
        std::copy(d_q.begin(), d_q.begin() + static_cast<std::ptrdiff_t>(n) * d_vlen, out);
        d_q.erase(d_q.begin(), d_q.begin() + static_cast<std::ptrdiff_t>(n) * d_vlen);
        const uint64_t end = nitems_written(0) + n;
        while (!d_tags.empty() && d_tags.front().offset < end) {
            const auto& t = d_tags.front();
            add_item_tag(0, t.offset, t.key, t.value, d_id);
            d_tags.pop_front();
        }
        return n;
    }

private:
    static constexpr int kBatch = 16;
    struct PendingTag {
        uint64_t offset;
        pmt::pmt_t key, value;
    };

    void tag(uint64_t item, const char* key, const pmt::pmt_t& v)
    {
        d_tags.push_back({ item, pmt::intern(key), v });
    }
    void pdu(const std::vector<std::pair<const char*, pmt::pmt_t>>& fields)
    {
        pmt::pmt_t meta = pmt::make_dict();
        for (const auto& [k, v] : fields)
            meta = pmt::dict_add(meta, pmt::mp(k), v);
        message_port_pub(d_port, pmt::cons(meta, pmt::make_u8vector(0, 0)));
    }

    void run_windows()
    {
        const uint64_t have_end = d_buf_start + d_buf.size() / d_ch;
        std::vector<uint64_t> starts;
        d_batch.clear();
        while (static_cast<int>(starts.size()) < kBatch && d_next + d_win <= have_end) {
            const auto off = static_cast<std::size_t>((d_next - d_buf_start) * d_ch);
            d_batch.insert(d_batch.end(), d_buf.begin() + off,
                           d_buf.begin() + off + static_cast<std::size_t>(d_win) * d_ch);
            starts.push_back(d_next);
            d_scored_end = d_next + d_win;
            d_next += d_hop;
        }
        if (!starts.empty())
            emit(starts);
        if (d_next > d_buf_start) {
            const uint64_t drop = std::min<uint64_t>(d_next - d_buf_start, d_buf.size() / d_ch);
            d_buf.erase(d_buf.begin(), d_buf.begin() + static_cast<std::ptrdiff_t>(drop * d_ch));
            d_buf_start += drop;
        }
    }

    std::vector<float> marks(const std::vector<uint64_t>& starts) const
    {
        const auto& a = d_engine->card().arch;
        if (a.time_features == 0)
            return {};
        std::vector<float> m;
        m.reserve(starts.size() * static_cast<std::size_t>(d_win) * 4);
        for (auto s : starts)
            for (int t = 0; t < d_win; ++t) {
                const double secs = d_start_time + static_cast<double>(s + t) / d_rate;
                const auto f = ::tfmed::data::hourly_time_features(
                    static_cast<int64_t>(std::floor(secs)));
                m.insert(m.end(), f.begin(), f.end());
            }
        return m;
    }

    void emit(const std::vector<uint64_t>& starts)
    {
        const auto n = static_cast<int64_t>(starts.size());
        const float nan = std::nanf("");
        std::vector<float> r;
        std::string failure;
        try {
            const auto mk = marks(starts);
            const float* mp = mk.empty() ? nullptr : mk.data();
            switch (d_task) {
            case Task::anomaly:
                r = d_engine->energy(d_batch.data(), n);
                break;
            case Task::forecast:
                r = d_engine->forecast(d_batch.data(), mp, n);
                break;
            case Task::impute:
                r = d_engine->impute(d_batch.data(), mp, n);
                break;
            case Task::classify:
                r = d_engine->classify(d_batch.data(), n);
                break;
            }
        } catch (const std::exception& e) {
            failure = e.what();
            failure = failure.substr(0, std::min<std::size_t>(failure.find('\n'), 300));
            d_logger->error("inference failed: {}", failure);
            const std::size_t per = d_task == Task::anomaly    ? d_win
                                    : d_task == Task::classify ? d_engine->card().class_names.size()
                                    : d_task == Task::impute   ? static_cast<std::size_t>(d_win) * d_ch
                                                               : static_cast<std::size_t>(d_vlen);
            r.assign(per * static_cast<std::size_t>(n), nan);
        }
        const auto invalid = [&](uint64_t item, uint64_t start) {
            tag(item, "tfmed_invalid",
                pmt::intern(failure.empty() ? "non_finite" : "score_non_finite"));
            pdu({ { "type", pmt::mp("invalid") },
                  { "start", pmt::from_uint64(start) },
                  { "time_s", pmt::from_double(static_cast<double>(start) / d_rate) },
                  { "detail", pmt::mp(failure.empty() ? "a non-finite input sample" : failure) } });
        };
        for (int64_t k = 0; k < n; ++k) {
            const uint64_t s = starts[static_cast<std::size_t>(k)];
            const uint64_t item = d_queued;
            if (d_task == Task::anomaly) {
                // The first window gives all its samples, later ones their newest hop.
                const int first = s == 0 ? 0 : d_win - d_hop;
                const float* e = r.data() + k * d_win;
                float top = -1.0f;
                bool bad = false;
                for (int i = first; i < d_win; ++i) {
                    d_q.push_back(e[i]);
                    bad |= !std::isfinite(e[i]);
                    top = std::max(top, e[i]);
                }
                d_queued += static_cast<uint64_t>(d_win - first);
                tag(item, "tfmed_score", pmt::from_double(bad ? nan : top));
                tag(item, "tfmed_window_start", pmt::from_uint64(s));
                if (bad)
                    invalid(item, s);
                else if (top > threshold())
                    pdu({ { "type", pmt::mp("alarm") },
                          { "score", pmt::from_double(top) },
                          { "threshold", pmt::from_double(threshold()) },
                          { "start", pmt::from_uint64(s + first) },
                          { "end", pmt::from_uint64(s + d_win) },
                          { "time_s",
                            pmt::from_double(static_cast<double>(s + first) / d_rate) } });
            } else if (d_task == Task::forecast) {
                const float* y = r.data() + k * d_vlen;
                d_q.insert(d_q.end(), y, y + d_vlen);
                ++d_queued;
                tag(item, "tfmed_forecast_start", pmt::from_uint64(s + d_win));
                if (!std::isfinite(y[0]))
                    invalid(item, s);
            } else if (d_task == Task::impute) {
                const float* x = d_batch.data() + k * d_win * d_ch;
                const float* y = r.data() + k * d_win * d_ch;
                if (!failure.empty())
                    invalid(item, s); // tags in item order: this one first
                for (int t = 0; t < d_win; ++t) {
                    int filled = 0;
                    for (int c = 0; c < d_ch; ++c)
                        filled += !std::isfinite(x[t * d_ch + c]);
                    if (filled > 0)
                        tag(item + t, "tfmed_imputed", pmt::from_long(filled));
                }
                d_q.insert(d_q.end(), y, y + static_cast<std::ptrdiff_t>(d_win) * d_ch);
                d_queued += static_cast<uint64_t>(d_win);
            } else {
                const auto K = static_cast<int64_t>(d_class_syms.size());
                const float* p = r.data() + k * K;
                const auto best = std::max_element(p, p + K) - p;
                const bool bad = !std::isfinite(p[0]);
                d_q.push_back(bad ? nan : static_cast<float>(best));
                ++d_queued;
                if (bad) {
                    invalid(item, s);
                    continue;
                }
                tag(item, "tfmed_label", d_class_syms[static_cast<std::size_t>(best)]);
                tag(item, "tfmed_probabilities",
                    pmt::init_f32vector(static_cast<std::size_t>(K), p));
                pdu({ { "type", pmt::mp("decision") },
                      { "class", pmt::from_long(best) },
                      { "label", d_class_syms[static_cast<std::size_t>(best)] },
                      { "probability", pmt::from_double(p[best]) },
                      { "start", pmt::from_uint64(s) },
                      { "time_s", pmt::from_double(static_cast<double>(s) / d_rate) } });
            }
        }
    }

    std::unique_ptr<::tfmed::engine::SpecarEngine> d_engine;
    const Task d_task;
    const int d_ch, d_win, d_hop, d_vlen;
    const float d_card_threshold;
    std::atomic<float> d_threshold;
    const double d_start_time, d_rate;
    const pmt::pmt_t d_port, d_id;
    std::vector<pmt::pmt_t> d_class_syms;
    std::vector<float> d_buf; // input samples [d_buf_start, ...)
    uint64_t d_buf_start = 0, d_next = 0, d_scored_end = 0;
    std::vector<float> d_batch;
    std::deque<float> d_q;        // output values not yet written
    uint64_t d_queued = 0;        // output items produced so far (written + queued)
    std::deque<PendingTag> d_tags; // tags of queued items, by absolute offset
};

specar::sptr specar::make(const std::string& model_path, int channels, int hop,
                          const std::string& device, int threads, float threshold,
                          double start_time, int out_vlen)
{
    auto s = open(model_path, channels, hop, device, threads, threshold, out_vlen);
    return gnuradio::make_block_sptr<specar_impl>(std::move(s), threshold, start_time);
}

} // namespace tfmed
} // namespace gr
