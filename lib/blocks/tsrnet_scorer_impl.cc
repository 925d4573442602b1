#include <gnuradio/block_detail.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/io_signature.h>
#include <gnuradio/tfmed/tsrnet_scorer.h>
#include <tfmed/engine/tsrnet_engine.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace gr {
namespace tfmed {

namespace eng = ::tfmed::engine;

class tsrnet_scorer_impl : public tsrnet_scorer
{
public:
    using clock = std::chrono::steady_clock;
    tsrnet_scorer_impl(int leads,
                       double sample_rate,
                       int hop,
                       float threshold,
                       double deadline_ms,
                       std::shared_ptr<eng::TsrnetService> svc);
    ~tsrnet_scorer_impl() override { d_stream->set_wake(nullptr); }

    float threshold() const override
    {
        const float t = d_threshold.load();
        return std::isnan(t) ? d_card_threshold : t;
    }
    void set_threshold(float t) override
    {
        if (std::isnan(t) && std::isnan(d_card_threshold))
            throw std::invalid_argument(
                "tsrnet_scorer: the model card has no calibrated threshold, so NaN (\"use "
                "the card's\") cannot be set; give a number");
        if (std::isinf(t))
            throw std::invalid_argument("tsrnet_scorer: expected a finite threshold, found " +
                                        std::to_string(t));
        d_threshold.store(t);
    }
    int window() const override { return d_window; }
    int hop() const override { return d_hop; }
    std::string card_json() const override { return d_svc->engine->card().to_json(); }
    std::string device() const override { return d_svc->engine->device(); }
    uint64_t windows_queued() const override { return d_queued.load(); }
    uint64_t windows_scored() const override { return d_scored.load(); }
    int queue_depth() const override
    {
        return static_cast<int>(d_queued.load() - d_scored.load());
    }
    uint64_t overruns() const override { return d_overruns.load(); }
    std::vector<float> latencies() const override
    {
        std::lock_guard<std::mutex> lk(d_lat_m);
        const std::size_t n = std::min<uint64_t>(d_lat_n, d_lat.size());
        std::vector<float> v(n);
        for (std::size_t i = 0; i < n; ++i)
            v[i] = d_lat[(d_lat_n - n + i) % d_lat.size()];
        return v;
    }
    std::string serving() const override
    {
        const auto c = d_svc->server->counters();
        char b[512];
        std::snprintf(b, sizeof b,
                      "{\"key\": \"%s\", \"streams\": %llu, \"windows\": %llu, \"batches\": "
                      "%llu, \"mean_batch\": %.3f, \"largest_batch\": %llu, \"max_queued\": "
                      "%llu, \"busy_s\": %.6f}",
                      d_svc->key.c_str(), static_cast<unsigned long long>(c.streams),
                      static_cast<unsigned long long>(c.windows),
                      static_cast<unsigned long long>(c.batches), c.mean_batch(),
                      static_cast<unsigned long long>(c.largest),
                      static_cast<unsigned long long>(c.max_queued), c.busy_s);
        return b;
    }

    bool start() override
    {
        // The worker wakes this block's thread when one of its windows is
        // done (a message wakes a thread blocked on input).
        d_stream->set_wake([this] {
            if (!d_wake_pending.exchange(true))
                _post(d_wake_port, pmt::PMT_T);
        });
        return true;
    }
    bool stop() override
    {
        d_stream->set_wake(nullptr);
        return true;
    }

    void forecast(int, gr_vector_int& ninput_items_required) override
    {
        if (d_stream->ready() || (d_stream->in_flight() > 0 && input_done()) ||
            d_stream->room() == 0) {
            // Scores to emit, or the end of the stream / a full queue to
            // wait out in work(): call it with whatever input there is.
            ninput_items_required[0] = 0;
            return;
        }
        // The input the next window still needs, counted from the read
        // position (which may hold one item already copied: see work()).
        const uint64_t need_end = d_next + static_cast<uint64_t>(d_window);
        const uint64_t read = nitems_read(0);
        ninput_items_required[0] = static_cast<int>(need_end > read ? need_end - read : 0);
    }

    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;

private:
    bool input_done()
    {
        auto d = detail();
        return d && d->ninputs() > 0 && d->input(0)->done();
    }
    void copy_to(const float* in, uint64_t read, uint64_t end)
    {
        if (end <= d_copied)
            return;
        d_buf.insert(d_buf.end(), in + (d_copied - read) * d_leads, in + (end - read) * d_leads);
        d_copied = end;
    }
    int emit_ready(int noutput_items, float* out);

    std::shared_ptr<eng::TsrnetService> d_svc;
    std::shared_ptr<eng::TsrnetServer::Stream> d_stream;
    const int d_leads, d_hop, d_window;
    const double d_rate, d_deadline_s;
    const float d_card_threshold;
    std::atomic<float> d_threshold;
    std::vector<float> d_buf; // input samples [d_buf_start, d_copied)
    uint64_t d_buf_start = 0;
    uint64_t d_copied = 0;    // input items copied so far (one may still be unconsumed)
    uint64_t d_next = 0;      // first sample of the next window to queue
    // Input already waiting behind each queued window's last sample when it
    // was queued (s), in queue order: part of its lateness.
    std::vector<double> d_backlog;
    uint64_t d_backlog_head = 0, d_backlog_tail = 0;
    bool d_late = false;
    std::atomic<uint64_t> d_queued{ 0 }, d_scored{ 0 }, d_overruns{ 0 };
    mutable std::mutex d_lat_m;
    std::vector<float> d_lat; // ring of latencies (s)
    uint64_t d_lat_n = 0;
    std::atomic<bool> d_wake_pending{ false };
    const pmt::pmt_t d_port, d_wake_port, d_score_key, d_start_key, d_invalid_key,
        d_overrun_key, d_id;
};

namespace {
void check_stream(const eng::TsrnetEngine& e, const std::string& path, int leads, double rate,
                  float threshold)
{
    const auto& c = e.card();
    // A model without a calibrated threshold (an interrupted run, an import
    // without one) would never alarm: refuse it unless the user gives one.
    if (std::isnan(threshold) && !std::isfinite(c.threshold))
        throw std::invalid_argument(
            "tsrnet_scorer: model " + path +
            " has no calibrated alarm threshold (its card says null); it would never alarm. "
            "Give the threshold explicitly (threshold parameter) or use a model from a "
            "completed training run");
    if (std::isinf(threshold))
        throw std::invalid_argument("tsrnet_scorer: expected a finite threshold (or NaN: the "
                                    "card's), found " +
                                    std::to_string(threshold));
    const bool rate_ok = std::abs(c.prep.sample_rate - rate) <= 1e-6 * c.prep.sample_rate;
    if (c.leads != leads || !rate_ok)
        throw std::invalid_argument(
            "tsrnet_scorer: model " + path + " expects " + std::to_string(c.leads) +
            " lead(s) at " + std::to_string(c.prep.sample_rate) + " Hz, the stream has " +
            std::to_string(leads) + " lead(s) at " + std::to_string(rate) +
            " Hz (resample and select leads upstream)");
}
} // namespace

tsrnet_scorer::sptr tsrnet_scorer::make(const std::string& model_path,
                                        int leads,
                                        double sample_rate,
                                        int hop,
                                        const std::string& device,
                                        float threshold,
                                        int threads,
                                        bool quality_gate,
                                        bool share,
                                        int max_batch,
                                        double max_wait_ms,
                                        int queue,
                                        double deadline_ms)
{
    if (leads < 1)
        throw std::invalid_argument("tsrnet_scorer: expected leads >= 1, found " +
                                    std::to_string(leads));
    if (hop < 1)
        throw std::invalid_argument("tsrnet_scorer: expected hop >= 1, found " +
                                    std::to_string(hop));
    if (!(deadline_ms >= 0.0) || std::isinf(deadline_ms))
        throw std::invalid_argument("tsrnet_scorer: expected deadline_ms >= 0 (0: off), found " +
                                    std::to_string(deadline_ms));
    eng::ServeOptions o;
    o.max_batch = max_batch;
    o.max_wait_ms = max_wait_ms;
    o.queue = queue;
    o.validate("tsrnet_scorer");
    auto svc = eng::serve_tsrnet(model_path, device, threads, quality_gate, o, share);
    check_stream(*svc->engine, model_path, leads, sample_rate, threshold);
    return gnuradio::make_block_sptr<tsrnet_scorer_impl>(leads, sample_rate, hop, threshold,
                                                         deadline_ms, std::move(svc));
}

tsrnet_scorer_impl::tsrnet_scorer_impl(int leads,
                                       double sample_rate,
                                       int hop,
                                       float threshold,
                                       double deadline_ms,
                                       std::shared_ptr<eng::TsrnetService> svc)
    : gr::block("tsrnet_scorer",
                gr::io_signature::make(1, 1, sizeof(float) * leads),
                gr::io_signature::make(1, 1, sizeof(float))),
      d_svc(std::move(svc)),
      d_stream(d_svc->server->open()),
      d_leads(leads),
      d_hop(hop),
      d_window(static_cast<int>(d_svc->engine->card().window())),
      d_rate(sample_rate),
      d_deadline_s(deadline_ms / 1000.0),
      d_card_threshold(static_cast<float>(d_svc->engine->card().threshold)),
      d_threshold(threshold),
      d_backlog(static_cast<std::size_t>(d_svc->server->options().queue)),
      d_lat(65536),
      d_port(pmt::mp("alarm")),
      d_wake_port(pmt::mp("wake")),
      d_score_key(pmt::intern("tfmed_score")),
      d_start_key(pmt::intern("tfmed_window_start")),
      d_invalid_key(pmt::intern("tfmed_invalid")),
      d_overrun_key(pmt::intern("tfmed_overrun")),
      d_id(pmt::intern("tsrnet_scorer"))
{
    set_relative_rate(1, static_cast<uint64_t>(hop));
    set_tag_propagation_policy(TPP_DONT);
    message_port_register_out(d_port);
    // Internal: the engine's worker posts here when results are ready.
    message_port_register_in(d_wake_port);
    set_msg_handler(d_wake_port, [this](const pmt::pmt_t&) { d_wake_pending.store(false); });
    d_buf.reserve(static_cast<std::size_t>((d_window + hop + 1) * leads));
}

int tsrnet_scorer_impl::emit_ready(int noutput_items, float* out)
{
    int n = 0;
    eng::TsrnetResult r;
    uint64_t start = 0;
    clock::time_point submitted, done;
    const float thr = threshold();
    const uint64_t o0 = nitems_written(0);
    while (n < noutput_items && d_stream->take(r, start, submitted, done)) {
        const auto now = clock::now();
        {
            std::lock_guard<std::mutex> lk(d_lat_m);
            d_lat[d_lat_n++ % d_lat.size()] =
                std::chrono::duration<float>(now - submitted).count();
        }
        const uint64_t k = o0 + static_cast<uint64_t>(n);
        // The NaN contract: every non-finite score leaves with a
        // tfmed_invalid tag and an invalid PDU, whatever caused it.
        const bool invalid = !r.scored() || !std::isfinite(r.score);
        const char* status = !r.scored() ? ::tfmed::models::to_string(r.status)
                                         : (!std::isfinite(r.score) ? "score_non_finite" : "ok");
        const float score = invalid ? std::nanf("") : r.score;
        out[n] = score;
        add_item_tag(0, k, d_score_key, pmt::from_double(score), d_id);
        add_item_tag(0, k, d_start_key, pmt::from_uint64(start), d_id);
        if (invalid)
            add_item_tag(0, k, d_invalid_key, pmt::intern(status), d_id);
        if (invalid || score > thr) {
            pmt::pmt_t meta = pmt::make_dict();
            meta = pmt::dict_add(meta, pmt::mp("type"), pmt::mp(invalid ? "invalid" : "alarm"));
            meta = pmt::dict_add(meta, pmt::mp("score"), pmt::from_double(score));
            meta = pmt::dict_add(meta, pmt::mp("threshold"), pmt::from_double(thr));
            meta = pmt::dict_add(meta, pmt::mp("start"), pmt::from_uint64(start));
            meta = pmt::dict_add(meta, pmt::mp("time_s"),
                                 pmt::from_double(static_cast<double>(start) / d_rate));
            meta = pmt::dict_add(meta, pmt::mp("status"), pmt::mp(status));
            meta = pmt::dict_add(meta, pmt::mp("detail"), pmt::mp(r.detail));
            message_port_pub(d_port, pmt::cons(meta, pmt::make_u8vector(0, 0)));
        }
        const double backlog = d_backlog[d_backlog_head++ % d_backlog.size()];
        if (d_deadline_s > 0.0) {
            // Seconds since the window's last sample arrived: its time in the
            // engine plus the input that had arrived after it when it was queued.
            const double late = std::chrono::duration<double>(now - submitted).count() + backlog;
            if (late > d_deadline_s) {
                d_overruns.fetch_add(1);
                add_item_tag(0, k, d_overrun_key, pmt::from_double(late), d_id);
                if (!d_late) {
                    pmt::pmt_t meta = pmt::make_dict();
                    meta = pmt::dict_add(meta, pmt::mp("type"), pmt::mp("overrun"));
                    meta = pmt::dict_add(meta, pmt::mp("start"), pmt::from_uint64(start));
                    meta = pmt::dict_add(meta, pmt::mp("time_s"),
                                         pmt::from_double(static_cast<double>(start) / d_rate));
                    meta = pmt::dict_add(meta, pmt::mp("late_s"), pmt::from_double(late));
                    message_port_pub(d_port, pmt::cons(meta, pmt::make_u8vector(0, 0)));
                }
                d_late = true;
            } else {
                d_late = false;
            }
        }
        ++n;
    }
    d_scored.fetch_add(static_cast<uint64_t>(n));
    return n;
}

int tsrnet_scorer_impl::general_work(int noutput_items,
                                     gr_vector_int& ninput_items,
                                     gr_vector_const_void_star& input_items,
                                     gr_vector_void_star& output_items)
{
    const auto* in = static_cast<const float*>(input_items[0]);
    auto* out = static_cast<float*>(output_items[0]);
    const uint64_t read = nitems_read(0);
    const uint64_t avail_end = read + static_cast<uint64_t>(ninput_items[0]);
    int produced = emit_ready(noutput_items, out);

    // Queue every complete window there is room for; copy input only as far
    // as those windows need, so that a full queue holds input upstream.
    int queued = 0;
    while (d_stream->room() > 0) {
        const uint64_t skip = std::min(d_next, avail_end);
        if (skip > d_copied) { // hop > window: samples no window covers
            d_buf.clear();
            d_buf_start = d_copied = skip;
        }
        const uint64_t end = d_next + static_cast<uint64_t>(d_window);
        if (end > avail_end) {
            copy_to(in, read, avail_end);
            break;
        }
        copy_to(in, read, end);
        const auto off = static_cast<std::size_t>((d_next - d_buf_start) * d_leads);
        d_stream->try_submit(d_buf.data() + off, d_next);
        d_backlog[d_backlog_tail++ % d_backlog.size()] = double(avail_end - end) / d_rate;
        ++queued;
        d_next += static_cast<uint64_t>(d_hop);
        // Drop samples no future window needs.
        const uint64_t keep = std::min(d_next, d_copied);
        if (keep > d_buf_start) {
            d_buf.erase(d_buf.begin(),
                        d_buf.begin() + static_cast<std::ptrdiff_t>((keep - d_buf_start) * d_leads));
            d_buf_start = keep;
        }
    }
    d_queued.fetch_add(static_cast<uint64_t>(queued));

    if (produced == 0 && queued == 0 && d_stream->in_flight() > 0 &&
        (d_stream->room() == 0 || input_done())) {
        // A full queue (back-pressure) or the end of the stream: wait here,
        // briefly, for the oldest window; the scheduler calls again after.
        if (d_stream->wait_ready(std::chrono::milliseconds(100)))
            produced = emit_ready(noutput_items, out);
    }

    // While windows are in flight keep the last copied item unconsumed: a
    // block whose input is empty and finished is retired by the scheduler,
    // and its pending scores would be lost.
    const uint64_t hold = (d_stream->in_flight() > 0 && d_copied > read) ? 1 : 0;
    consume(0, static_cast<int>(d_copied - read - hold));
    return produced;
}

} // namespace tfmed
} // namespace gr
