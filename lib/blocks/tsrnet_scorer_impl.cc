/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnuradio/io_signature.h>
#include <gnuradio/tfmed/tsrnet_scorer.h>
#include <tfmed/engine/tsrnet_engine.h>

#include "window_feeder.h"

#include <atomic>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gr {
namespace tfmed {

namespace eng = ::tfmed::engine;

class tsrnet_scorer_impl : public tsrnet_scorer
{
public:
    tsrnet_scorer_impl(int leads,
                       double sample_rate,
                       int hop,
                       float threshold,
                       double deadline_ms,
                       std::shared_ptr<eng::TsrnetService> svc);

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
    uint64_t windows_queued() const override { return d_feed.queued(); }
    uint64_t windows_scored() const override { return d_feed.emitted(); }
    int queue_depth() const override { return d_feed.depth(); }
    uint64_t overruns() const override { return d_feed.overruns(); }
    std::vector<float> latencies() const override { return d_feed.latencies(); }
    std::string serving() const override { return d_feed.serving(d_svc->key); }

    bool start() override
    {
        d_feed.start();
        return true;
    }
    bool stop() override
    {
        d_feed.stop();
        if (const auto left = d_feed.tail())
            d_logger->info("stream ended with {} sample(s) after the last complete window of "
                           "{}; they were not scored",
                           left, d_feed.window());
        return true;
    }
    void forecast(int, gr_vector_int& need) override { d_feed.forecast(need); }

    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override
    {
        auto* out = static_cast<float*>(output_items[0]);
        const float thr = threshold();
        const uint64_t o0 = nitems_written(0);
        return d_feed.work(noutput_items, ninput_items[0],
                           static_cast<const float*>(input_items[0]),
                           [&](const eng::TsrnetResult& r, uint64_t start, int k, double overrun) {
                               emit(r, start, o0 + static_cast<uint64_t>(k), thr, out[k]);
                               if (!std::isnan(overrun))
                                   add_item_tag(0, o0 + static_cast<uint64_t>(k), d_overrun_key,
                                                pmt::from_double(overrun), d_id);
                           });
    }

private:
    void emit(const eng::TsrnetResult& r, uint64_t start, uint64_t item, float thr, float& out);

    std::shared_ptr<eng::TsrnetService> d_svc;
    const int d_hop, d_window;
    const double d_rate;
    const float d_card_threshold;
    std::atomic<float> d_threshold;
    const pmt::pmt_t d_port, d_score_key, d_start_key, d_invalid_key, d_overrun_key, d_id;
    WindowFeeder<eng::TsrnetResult> d_feed;
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
      d_hop(hop),
      d_window(static_cast<int>(d_svc->engine->card().window())),
      d_rate(sample_rate),
      d_card_threshold(static_cast<float>(d_svc->engine->card().threshold)),
      d_threshold(threshold),
      d_port(pmt::mp("alarm")),
      d_score_key(pmt::intern("tfmed_score")),
      d_start_key(pmt::intern("tfmed_window_start")),
      d_invalid_key(pmt::intern("tfmed_invalid")),
      d_overrun_key(pmt::intern("tfmed_overrun")),
      d_id(pmt::intern("tsrnet_scorer")),
      d_feed(this, d_svc->server, leads, d_window, hop, sample_rate, deadline_ms / 1000.0, "alarm")
{
    set_relative_rate(1, static_cast<uint64_t>(hop));
    set_tag_propagation_policy(TPP_DONT);
    bound_window_port(this, 0);
    message_port_register_out(d_port);
}

void tsrnet_scorer_impl::emit(const eng::TsrnetResult& r, uint64_t start, uint64_t k, float thr,
                              float& out)
{
    // The NaN contract: every non-finite score leaves with a tfmed_invalid
    // tag and an invalid PDU, whatever caused it.
    const bool invalid = !r.scored() || !std::isfinite(r.score);
    const char* status = !r.scored() ? ::tfmed::models::to_string(r.status)
                                     : (!std::isfinite(r.score) ? "score_non_finite" : "ok");
    const float score = invalid ? std::nanf("") : r.score;
    out = score;
    add_item_tag(0, k, d_score_key, pmt::from_double(score), d_id);
    add_item_tag(0, k, d_start_key, pmt::from_uint64(start), d_id);
    if (invalid)
        add_item_tag(0, k, d_invalid_key, pmt::intern(status), d_id);
    if (invalid || score > thr) {
        // The detail is the figure-free reason (a symbol); the full text,
        // figures included, is the payload (model_pdu).
        const std::string reason =
            !invalid ? std::string() : !r.reason.empty() ? r.reason : "non_finite_score";
        if (r.reason == "inference_failed")
            d_logger->error("inference failed: {}", r.detail);
        const std::string why = !invalid ? std::string() : !r.detail.empty() ? r.detail : reason;
        message_port_pub(
            d_port,
            model_pdu({ { "type", pmt::mp(invalid ? "invalid" : "alarm") },
                        { "score", pmt::from_double(score) },
                        { "threshold", pmt::from_double(thr) },
                        { "start", pmt::from_uint64(start) },
                        { "time_s", pmt::from_double(static_cast<double>(start) / d_rate) },
                        { "status", pmt::mp(status) },
                        { "detail", pmt::mp(reason) } },
                      why));
    }
}

} // namespace tfmed
} // namespace gr
