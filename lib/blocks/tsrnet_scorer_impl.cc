/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnuradio/io_signature.h>
#include <gnuradio/tfmed/tsrnet_scorer.h>
#include <tfmed/engine/tsrnet_engine.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gr {
namespace tfmed {

class tsrnet_scorer_impl : public tsrnet_scorer
{
public:
    tsrnet_scorer_impl(const std::string& model_path,
                       int leads,
                       double sample_rate,
                       int hop,
                       const std::string& device,
                       float threshold,
                       int threads,
                       std::unique_ptr<::tfmed::engine::TsrnetEngine> engine);

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
    std::string card_json() const override { return d_engine->card().to_json(); }
    std::string device() const override { return d_engine->device(); }

    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override
    {
        // What the next noutput_items windows still need beyond the samples
        // already buffered (a whole window at the start, then a hop each).
        const uint64_t have_end = d_buf_start + d_buf.size() / d_leads;
        const uint64_t need_end =
            d_next + static_cast<uint64_t>(noutput_items - 1) * d_hop + d_window;
        ninput_items_required[0] =
            static_cast<int>(std::min<uint64_t>(need_end > have_end ? need_end - have_end : 0,
                                                static_cast<uint64_t>(noutput_items) * d_hop +
                                                    d_window));
    }

    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;

private:
    std::unique_ptr<::tfmed::engine::TsrnetEngine> d_engine;
    const int d_leads, d_hop, d_window;
    const double d_rate;
    const float d_card_threshold;
    std::atomic<float> d_threshold;
    std::vector<float> d_buf; // samples [d_buf_start, d_buf_start + size/leads)
    uint64_t d_buf_start = 0;
    uint64_t d_next = 0;      // first sample of the next window
    std::vector<float> d_batch;
    std::vector<uint64_t> d_starts; // first sample of each window in d_batch
    const pmt::pmt_t d_port, d_score_key, d_start_key, d_invalid_key, d_id;
};

namespace {
std::unique_ptr<::tfmed::engine::TsrnetEngine>
open_engine(const std::string& path, int leads, double rate, int hop, const std::string& device,
            int threads, float threshold, bool quality_gate)
{
    if (hop < 1)
        throw std::invalid_argument("tsrnet_scorer: expected hop >= 1, found " +
                                    std::to_string(hop));
    auto e = std::make_unique<::tfmed::engine::TsrnetEngine>(path, device, threads, quality_gate);
    const auto& c = e->card();
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
    return e;
}
} // namespace

tsrnet_scorer::sptr tsrnet_scorer::make(const std::string& model_path,
                                        int leads,
                                        double sample_rate,
                                        int hop,
                                        const std::string& device,
                                        float threshold,
                                        int threads,
                                        bool quality_gate)
{
    if (leads < 1)
        throw std::invalid_argument("tsrnet_scorer: expected leads >= 1, found " +
                                    std::to_string(leads));
    auto engine = open_engine(model_path, leads, sample_rate, hop, device, threads, threshold, quality_gate);
    return gnuradio::make_block_sptr<tsrnet_scorer_impl>(model_path, leads, sample_rate, hop,
                                                         device, threshold, threads,
                                                         std::move(engine));
}

tsrnet_scorer_impl::tsrnet_scorer_impl(const std::string&,
                                       int leads,
                                       double sample_rate,
                                       int hop,
                                       const std::string&,
                                       float threshold,
                                       int,
                                       std::unique_ptr<::tfmed::engine::TsrnetEngine> engine)
    : gr::block("tsrnet_scorer",
                gr::io_signature::make(1, 1, sizeof(float) * leads),
                gr::io_signature::make(1, 1, sizeof(float))),
      d_engine(std::move(engine)),
      d_leads(leads),
      d_hop(hop),
      d_window(static_cast<int>(d_engine->card().window())),
      d_rate(sample_rate),
      d_card_threshold(static_cast<float>(d_engine->card().threshold)),
      d_threshold(threshold),
      d_port(pmt::mp("alarm")),
      d_score_key(pmt::intern("tfmed_score")),
      d_start_key(pmt::intern("tfmed_window_start")),
      d_invalid_key(pmt::intern("tfmed_invalid")),
      d_id(pmt::intern("tsrnet_scorer"))
{
    set_relative_rate(1, static_cast<uint64_t>(hop));
    set_tag_propagation_policy(TPP_DONT);
    message_port_register_out(d_port);
    d_buf.reserve(static_cast<std::size_t>((d_window + 4 * hop) * leads));
    d_batch.reserve(static_cast<std::size_t>(d_window * leads * 8));
    d_starts.reserve(64);
}

int tsrnet_scorer_impl::general_work(int noutput_items,
                                     gr_vector_int& ninput_items,
                                     gr_vector_const_void_star& input_items,
                                     gr_vector_void_star& output_items)
{
    const auto* in = static_cast<const float*>(input_items[0]);
    auto* out = static_cast<float*>(output_items[0]);
    const int L = d_leads;
    const uint64_t n_buf = d_buf.size() / L;
    // Take input only as far as the windows we may emit now need.
    const uint64_t need_end = d_next + static_cast<uint64_t>(noutput_items - 1) * d_hop + d_window;
    const uint64_t have_end = d_buf_start + n_buf;
    const int take = static_cast<int>(std::min<uint64_t>(
        ninput_items[0], need_end > have_end ? need_end - have_end : 0));
    d_buf.insert(d_buf.end(), in, in + static_cast<std::size_t>(take) * L);
    consume(0, take);
    const uint64_t end = d_buf_start + d_buf.size() / L;

    int n = 0;
    d_starts.clear();
    d_batch.clear();
    while (n < noutput_items && d_next + d_window <= end) {
        const auto off = static_cast<std::size_t>((d_next - d_buf_start) * L);
        d_batch.insert(d_batch.end(), d_buf.begin() + off,
                       d_buf.begin() + off + static_cast<std::size_t>(d_window) * L);
        d_starts.push_back(d_next);
        d_next += d_hop;
        ++n;
    }
    if (n > 0) {
        std::vector<::tfmed::engine::TsrnetResult> res;
        try {
            res = d_engine->score(d_batch.data(), n);
        } catch (const std::exception& e) {
            // The PDU detail is one line; the whole message goes to the log.
            const std::string full = e.what();
            d_logger->error("scoring failed: {}", full.substr(0, full.find('\n')));
            d_logger->debug("scoring failed (full message): {}", full);
            res.assign(static_cast<std::size_t>(n), {});
            for (auto& r : res) {
                r.score = std::nanf("");
                r.status = ::tfmed::models::WindowStatus::score_non_finite;
                r.detail = full.substr(0, std::min<std::size_t>(full.find('\n'), 300));
            }
        }
        const float thr = threshold();
        const uint64_t o0 = nitems_written(0);
        for (int k = 0; k < n; ++k) {
            const auto& r = res[static_cast<std::size_t>(k)];
            // The NaN contract: every non-finite score leaves with a
            // tfmed_invalid tag and an invalid PDU, whatever caused it.
            const bool invalid = !r.scored() || !std::isfinite(r.score);
            const char* status =
                !r.scored() ? ::tfmed::models::to_string(r.status)
                            : (!std::isfinite(r.score) ? "score_non_finite" : "ok");
            const float score = invalid ? std::nanf("") : r.score;
            out[k] = score;
            add_item_tag(0, o0 + k, d_score_key, pmt::from_double(score), d_id);
            add_item_tag(0, o0 + k, d_start_key, pmt::from_uint64(d_starts[k]), d_id);
            if (invalid)
                add_item_tag(0, o0 + k, d_invalid_key, pmt::intern(status), d_id);
            if (invalid || score > thr) {
                pmt::pmt_t meta = pmt::make_dict();
                meta = pmt::dict_add(meta, pmt::mp("type"), pmt::mp(invalid ? "invalid" : "alarm"));
                meta = pmt::dict_add(meta, pmt::mp("score"), pmt::from_double(score));
                meta = pmt::dict_add(meta, pmt::mp("threshold"), pmt::from_double(thr));
                meta = pmt::dict_add(meta, pmt::mp("start"), pmt::from_uint64(d_starts[k]));
                meta = pmt::dict_add(meta, pmt::mp("time_s"),
                                     pmt::from_double(static_cast<double>(d_starts[k]) / d_rate));
                meta = pmt::dict_add(meta, pmt::mp("status"), pmt::mp(status));
                meta = pmt::dict_add(meta, pmt::mp("detail"), pmt::mp(r.detail));
                message_port_pub(d_port, pmt::cons(meta, pmt::make_u8vector(0, 0)));
            }
        }
    }
    // Drop samples no future window needs.
    if (d_next > d_buf_start) {
        const uint64_t drop = std::min<uint64_t>(d_next - d_buf_start, d_buf.size() / L);
        d_buf.erase(d_buf.begin(), d_buf.begin() + static_cast<std::ptrdiff_t>(drop * L));
        d_buf_start += drop;
    }
    return n;
}

} // namespace tfmed
} // namespace gr
