/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnuradio/io_signature.h>
#include <gnuradio/block_detail.h>
#include <gnuradio/buffer.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/tfmed/stft.h>
#include <gnuradio/tfmed/tfrnn_encoder.h>
#include <tfmed/engine/trls_engine.h>

#include "upstream_stft.h"
#include "window_feeder.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gr {
namespace tfmed {

namespace {

struct Setup {
    std::shared_ptr<::tfmed::engine::TrlsService> svc;
    bool frames = false;
    double deadline_s = 0.0;
    double rate = 0.0; // Hz of the stream's samples: the card's, else the parameter's; 0 unknown
    int vlen = 0, window = 0, hop = 0, emb = 0, classes = 0;
};

Setup open(const std::string& path, const std::string& input, int channels, int hop,
           const std::string& device, int threads, double rate, int emb_vlen, int classes,
           bool share, const ::tfmed::engine::ServeOptions& o, double deadline_ms)
{
    const std::string me = "tfmed.tfrnn_encoder: ";
    if (input != "samples" && input != "frames")
        throw std::invalid_argument(me + "input: expected 'samples' or 'frames', found '" +
                                    input + "'");
    if (channels < 1)
        throw std::invalid_argument(me + "expected channels >= 1, found " +
                                    std::to_string(channels));
    if (hop < 0)
        throw std::invalid_argument(me + "expected hop >= 0 (0: one window), found " +
                                    std::to_string(hop));
    if (!(rate == 0.0 || (std::isfinite(rate) && rate > 0.0)))
        throw std::invalid_argument(me + "expected sample_rate > 0 in Hz (0: unknown), found " +
                                    std::to_string(rate));
    if (classes < -1)
        throw std::invalid_argument(me + "expected classes >= 0 (-1: not checked), found " +
                                    std::to_string(classes));
    if (!(deadline_ms >= 0.0) || std::isinf(deadline_ms))
        throw std::invalid_argument(me + "expected deadline_ms >= 0 (0: off), found " +
                                    std::to_string(deadline_ms));
    o.validate("tfmed.tfrnn_encoder");
    Setup s;
    s.deadline_s = deadline_ms / 1000.0;
    s.svc = ::tfmed::engine::serve_trls(path, device, threads, input == "frames", o, share);
    const auto& e = *s.svc->engine;
    if (e.channels() != channels)
        throw std::invalid_argument(me + "model " + path + " expects " +
                                    std::to_string(e.channels()) +
                                    " channel(s), the stream has " + std::to_string(channels));
    if (rate > 0 && e.sample_rate() > 0 && std::abs(rate - e.sample_rate()) > 1e-6 * rate)
        throw std::invalid_argument(me + "model " + path + " was trained at " +
                                    std::to_string(e.sample_rate()) + " Hz, the stream is at " +
                                    std::to_string(rate) + " Hz");
    s.rate = e.sample_rate() > 0 ? e.sample_rate() : rate > 0 ? rate : 0.0;
    if (deadline_ms > 0 && s.rate <= 0)
        throw std::invalid_argument(me + "deadline_ms " + std::to_string(deadline_ms) +
                                    " needs the stream's rate: model " + path +
                                    " names none; pass sample_rate");
    s.frames = input == "frames";
    if (s.frames && e.scaling() != "none")
        throw std::invalid_argument(me + "model " + path +
                                    " scales windows per time index (TS-TCC min-max), which "
                                    "cannot apply to STFT frames: use input 'samples'");
    s.vlen = static_cast<int>(s.frames ? channels * e.bins() : channels);
    s.window = static_cast<int>(s.frames ? e.frames() : e.length());
    s.hop = hop > 0 ? hop : s.window;
    s.emb = static_cast<int>(e.embedding());
    s.classes = static_cast<int>(e.num_class());
    if (emb_vlen != 0 && emb_vlen != s.emb)
        throw std::invalid_argument(me + "model " + path + " gives embeddings of " +
                                    std::to_string(s.emb) + " values (K x f_h), the graph "
                                    "expects " + std::to_string(emb_vlen));
    if (classes >= 0 && classes != s.classes)
        throw std::invalid_argument(me + "model " + path + " has " +
                                    (s.classes ? std::to_string(s.classes) + " classes"
                                               : std::string("no linear head")) +
                                    ", the graph expects " + std::to_string(classes));
    return s;
}

} // namespace

class tfrnn_encoder_impl : public tfrnn_encoder
{
public:
    explicit tfrnn_encoder_impl(Setup s)
        : gr::block("tfrnn_encoder",
                    gr::io_signature::make(1, 1, sizeof(float) * s.vlen),
                    s.classes > 0
                        ? gr::io_signature::makev(1, 2,
                                                  { static_cast<int>(sizeof(float)) * s.emb,
                                                    static_cast<int>(sizeof(float)) * s.classes })
                        : gr::io_signature::make(1, 1, sizeof(float) * s.emb)),
          d_svc(s.svc),
          d_engine(*s.svc->engine),
          d_frames(s.frames),
          d_vlen(s.vlen),
          d_win(s.window),
          d_hop(s.hop),
          d_emb(s.emb),
          d_k(s.classes),
          d_rate(s.rate),
          d_per_s(d_frames ? d_rate / static_cast<double>(d_engine.hop()) : d_rate),
          d_spec(d_engine.stft_spec() + " on " + std::to_string(d_engine.channels()) +
                 " channel(s)"),
          d_port(pmt::mp("decisions")),
          d_id(pmt::intern("tfrnn_encoder")),
          d_start_key(pmt::intern("tfmed_window_start")),
          d_invalid_key(pmt::intern("tfmed_invalid")),
          d_label_key(pmt::intern("tfmed_label")),
          d_class_key(pmt::intern("tfmed_class")),
          d_prob_key(pmt::intern("tfmed_probabilities")),
          d_overrun_key(pmt::intern("tfmed_overrun")),
          d_feed(this, s.svc->server, s.vlen, s.window, s.hop, d_per_s > 0 ? d_per_s : 1.0,
                 s.deadline_s, "decisions")
    {
        set_relative_rate(1, static_cast<uint64_t>(d_hop));
        set_tag_propagation_policy(TPP_DONT);
        for (int p = 0; p < (d_k > 0 ? 2 : 1); ++p)
            bound_window_port(this, p);
        message_port_register_out(d_port);
        for (const auto& n : d_engine.class_names())
            d_syms.push_back(pmt::intern(n));
    }

    int window() const override { return d_win; }
    int hop() const override { return d_hop; }
    int embedding_size() const override { return d_emb; }
    std::vector<std::string> class_names() const override { return d_engine.class_names(); }
    std::string card_json() const override { return d_engine.card_json(); }
    std::string device() const override { return d_engine.device(); }
    uint64_t windows_queued() const override { return d_feed.queued(); }
    uint64_t windows_emitted() const override { return d_feed.emitted(); }
    int queue_depth() const override { return d_feed.depth(); }
    uint64_t overruns() const override { return d_feed.overruns(); }
    std::vector<float> latencies() const override { return d_feed.latencies(); }
    std::string serving() const override { return d_feed.serving(d_svc->key); }

    bool start() override
    {
        if (d_feed.start()) { // a new run: frames count from 0 again
            d_upstream.clear();
            d_seen.clear();
        }
        d_checked = false; // lock()/unlock() may have connected another block
        return true;
    }
    bool stop() override
    {
        d_feed.stop();
        if (const auto left = d_feed.tail())
            d_logger->info("stream ended with {} {}(s) after the last complete window of {}; "
                           "they were not encoded",
                           left, d_frames ? "frame" : "sample", d_win);
        return true;
    }
    void forecast(int, gr_vector_int& need) override { d_feed.forecast(need); }

    int general_work(int noutput_items, gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override
    {
        if (d_frames)
            check_upstream();
        auto* e = static_cast<float*>(output_items[0]);
        float* p = output_items.size() > 1 ? static_cast<float*>(output_items[1]) : nullptr;
        const uint64_t o0 = nitems_written(0);
        const auto outs = static_cast<unsigned>(output_items.size());
        return d_feed.work(
            noutput_items, ninput_items[0], static_cast<const float*>(input_items[0]),
            [&](const ::tfmed::engine::TrlsResult& r, uint64_t s, int k, double overrun) {
                const uint64_t off = o0 + static_cast<uint64_t>(k);
                std::copy(r.emb.begin(), r.emb.end(), e + static_cast<std::ptrdiff_t>(k) * d_emb);
                auto tag = [&](const pmt::pmt_t& key, const pmt::pmt_t& v) {
                    for (unsigned o = 0; o < outs; ++o)
                        add_item_tag(o, off, key, v, d_id);
                };
                tag(d_start_key, pmt::from_uint64(s));
                if (!std::isnan(overrun))
                    tag(d_overrun_key, pmt::from_double(overrun));
                const double t = d_per_s > 0 ? static_cast<double>(s) / d_per_s : NAN;
                const std::string* wrong = d_upstream.mismatch(s, s + static_cast<uint64_t>(d_win));
                const bool bad = wrong || r.flat || r.emb.empty() ||
                                 !std::all_of(r.emb.begin(), r.emb.end(),
                                              [](float v) { return std::isfinite(v); }) ||
                                 !std::all_of(r.prob.begin(), r.prob.end(),
                                              [](float v) { return std::isfinite(v); });
                if (bad) // (an engine failure gives no embedding at all)
                    std::fill(e + static_cast<std::ptrdiff_t>(k) * d_emb,
                              e + static_cast<std::ptrdiff_t>(k + 1) * d_emb, std::nanf(""));
                if (p) {
                    float* q = p + static_cast<std::ptrdiff_t>(k) * d_k;
                    if (bad || r.prob.size() != static_cast<std::size_t>(d_k))
                        std::fill(q, q + d_k, std::nanf(""));
                    else
                        std::copy(r.prob.begin(), r.prob.end(), q);
                }
                if (bad) {
                    if (!wrong && !r.error.empty())
                        d_logger->error("inference failed: {}", r.error);
                    const bool failed = !r.error.empty();
                    const char* why = wrong    ? "stft_mismatch"
                                      : failed ? "inference_failed"
                                      : r.flat ? "flat"
                                               : "non_finite";
                    tag(d_invalid_key, pmt::intern(why));
                    pdu({ { "type", pmt::mp("invalid") },
                          { "start", pmt::from_uint64(s) },
                          { "time_s", pmt::from_double(t) },
                          { "detail",
                            pmt::mp(wrong    ? "stft_mismatch"
                                    : failed ? "inference_failed"
                                    : r.flat ? "flat_input"
                                             : "non_finite_input") } },
                        wrong    ? *wrong
                        : failed ? r.error
                        : r.flat ? std::string("a channel held one value over the whole "
                                               "window (a lead off?)")
                                 : std::string("a non-finite input value"));
                } else if (d_k > 0) {
                    const auto best =
                        std::max_element(r.prob.begin(), r.prob.end()) - r.prob.begin();
                    const auto& label = d_syms[static_cast<std::size_t>(best)];
                    tag(d_label_key, label);
                    tag(d_class_key, pmt::from_long(best));
                    tag(d_prob_key, pmt::init_f32vector(r.prob.size(), r.prob.data()));
                    pdu({ { "type", pmt::mp("decision") },
                          { "class", pmt::from_long(best) },
                          { "label", label },
                          { "probability",
                            pmt::from_double(r.prob[static_cast<std::size_t>(best)]) },
                          { "start", pmt::from_uint64(s) },
                          { "time_s", pmt::from_double(t) } });
                }
            });
    }

private:
    // Input "frames": is the block upstream a tfmed.stft with the model's
    // front end? Its window and output can change while the graph runs
    // (set_window, set_output): the stft counts the changes (polled here on
    // every call) and names the first frame made with the settings in use,
    // so each transition lands on the frame where it happened, not where
    // this block happens to read. A window over frames of another STFT is
    // invalid ("stft_mismatch"), never scored: its probabilities would look
    // as plausible as any. Frames from anything else (a file, a ZMQ source)
    // are taken as they come. start(), stop() and work() run on the block's
    // thread: no lock here.
    void check_upstream()
    {
        if (!d_checked) {
            d_checked = true;
            d_changes = UINT64_MAX; // read the settings on this call
            const auto up = upstream_stft(*this);
            d_stft = up;
            if (!up) {
                d_logger->debug("input frames do not come from a tfmed.stft: not checked");
                if (d_upstream.latest_mismatched())
                    d_upstream.note(nitems_read(0), std::string());
                d_seen.clear();
            }
        }
        const auto up = d_stft.lock();
        if (!up)
            return;
        const uint64_t changes = up->settings_changes();
        if (changes == d_changes)
            return;
        d_changes = changes;
        uint64_t at = 0;
        const std::string now = up->settings(at);
        if (now == d_seen)
            return;
        d_seen = now;
        std::string why;
        if (now.compare(0, d_spec.size(), d_spec) != 0) {
            why = "the upstream tfmed.stft is " + now.substr(0, now.find(", fft ")) +
                  ", the model's front end is " + d_spec;
            d_logger->error("{}: its windows are marked invalid (stft_mismatch)", why);
        }
        d_upstream.note(at, std::move(why));
    }

    void pdu(const std::vector<std::pair<const char*, pmt::pmt_t>>& fields,
             const std::string& text = {})
    {
        message_port_pub(d_port, model_pdu(fields, text));
    }

    std::shared_ptr<::tfmed::engine::TrlsService> d_svc;
    const ::tfmed::engine::TrlsEngine& d_engine;
    const bool d_frames;
    const int d_vlen, d_win, d_hop, d_emb, d_k;
    const double d_rate, d_per_s;
    const std::string d_spec; // what an upstream tfmed.stft's describe() must begin with
    bool d_checked = false;
    std::weak_ptr<stft> d_stft;
    uint64_t d_changes = UINT64_MAX;
    std::string d_seen;
    StftTransitions d_upstream; // the upstream STFT's settings, frame by frame
    const pmt::pmt_t d_port, d_id, d_start_key, d_invalid_key, d_label_key, d_class_key,
        d_prob_key, d_overrun_key;
    std::vector<pmt::pmt_t> d_syms;
    WindowFeeder<::tfmed::engine::TrlsResult> d_feed;
};

tfrnn_encoder::sptr tfrnn_encoder::make(const std::string& model_path, const std::string& input,
                                        int channels, int hop, const std::string& device,
                                        int threads, double sample_rate, int embedding_vlen,
                                        int classes, bool share, int max_batch,
                                        double max_wait_ms, int queue, double deadline_ms)
{
    ::tfmed::engine::ServeOptions o;
    o.max_batch = max_batch;
    o.max_wait_ms = max_wait_ms;
    o.queue = queue;
    auto s = open(model_path, input, channels, hop, device, threads, sample_rate, embedding_vlen,
                  classes, share, o, deadline_ms);
    return gnuradio::make_block_sptr<tfrnn_encoder_impl>(std::move(s));
}

} // namespace tfmed
} // namespace gr
