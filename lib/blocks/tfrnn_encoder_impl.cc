/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnuradio/io_signature.h>
#include <gnuradio/tfmed/tfrnn_encoder.h>
#include <tfmed/engine/trls_engine.h>

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
    std::unique_ptr<::tfmed::engine::TrlsEngine> engine;
    bool frames = false;
    int vlen = 0, window = 0, hop = 0, emb = 0, classes = 0;
};

Setup open(const std::string& path, const std::string& input, int channels, int hop,
           const std::string& device, int threads, double rate, int emb_vlen, int classes)
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
    Setup s;
    s.engine = std::make_unique<::tfmed::engine::TrlsEngine>(path, device, threads);
    const auto& e = *s.engine;
    if (e.channels() != channels)
        throw std::invalid_argument(me + "model " + path + " expects " +
                                    std::to_string(e.channels()) +
                                    " channel(s), the stream has " + std::to_string(channels));
    if (rate > 0 && e.sample_rate() > 0 && std::abs(rate - e.sample_rate()) > 1e-6 * rate)
        throw std::invalid_argument(me + "model " + path + " was trained at " +
                                    std::to_string(e.sample_rate()) + " Hz, the stream is at " +
                                    std::to_string(rate) + " Hz");
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
          d_engine(std::move(s.engine)),
          d_frames(s.frames),
          d_vlen(s.vlen),
          d_win(s.window),
          d_hop(s.hop),
          d_emb(s.emb),
          d_k(s.classes),
          d_rate(d_engine->sample_rate() > 0 ? d_engine->sample_rate() : 1.0),
          d_port(pmt::mp("decisions")),
          d_id(pmt::intern("tfrnn_encoder"))
    {
        set_relative_rate(1, static_cast<uint64_t>(d_hop));
        set_tag_propagation_policy(TPP_DONT);
        message_port_register_out(d_port);
        for (const auto& n : d_engine->class_names())
            d_syms.push_back(pmt::intern(n));
    }

    int window() const override { return d_win; }
    int hop() const override { return d_hop; }
    int embedding_size() const override { return d_emb; }
    std::vector<std::string> class_names() const override { return d_engine->class_names(); }
    std::string card_json() const override { return d_engine->card_json(); }
    std::string device() const override { return d_engine->device(); }

    void forecast(int, gr_vector_int& need) override
    {
        const bool pending = d_next + d_win <= d_buf_start + d_buf.size() / d_vlen;
        need[0] = d_q.empty() && !pending ? 1 : 0;
    }

    int general_work(int noutput_items, gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override
    {
        const auto* in = static_cast<const float*>(input_items[0]);
        const int take = d_q.size() < static_cast<std::size_t>(kBatch)
                             ? std::min(ninput_items[0], kBatch * d_hop + d_win)
                             : 0;
        d_buf.insert(d_buf.end(), in, in + static_cast<std::size_t>(take) * d_vlen);
        consume(0, take);
        run_windows();
        const int n = static_cast<int>(std::min<std::size_t>(noutput_items, d_q.size()));
        auto* e = static_cast<float*>(output_items[0]);
        float* p = output_items.size() > 1 ? static_cast<float*>(output_items[1]) : nullptr;
        for (int i = 0; i < n; ++i) {
            const auto& w = d_q.front();
            std::copy(w.emb.begin(), w.emb.end(), e + static_cast<std::ptrdiff_t>(i) * d_emb);
            if (p)
                std::copy(w.prob.begin(), w.prob.end(), p + static_cast<std::ptrdiff_t>(i) * d_k);
            const uint64_t off = nitems_written(0) + static_cast<uint64_t>(i);
            for (std::size_t o = 0; o < output_items.size(); ++o)
                for (const auto& [k, v] : w.tags)
                    add_item_tag(static_cast<unsigned>(o), off, k, v, d_id);
            d_q.pop_front();
        }
        return n;
    }

private:
    static constexpr int kBatch = 16;
    struct Item {
        std::vector<float> emb, prob;
        std::vector<std::pair<pmt::pmt_t, pmt::pmt_t>> tags;
    };

    void pdu(const std::vector<std::pair<const char*, pmt::pmt_t>>& fields)
    {
        pmt::pmt_t meta = pmt::make_dict();
        for (const auto& [k, v] : fields)
            meta = pmt::dict_add(meta, pmt::mp(k), v);
        message_port_pub(d_port, pmt::cons(meta, pmt::make_u8vector(0, 0)));
    }

    void run_windows()
    {
        const uint64_t have_end = d_buf_start + d_buf.size() / d_vlen;
        std::vector<uint64_t> starts;
        d_batch.clear();
        while (static_cast<int>(starts.size()) < kBatch && d_next + d_win <= have_end) {
            const auto off = static_cast<std::size_t>((d_next - d_buf_start) * d_vlen);
            d_batch.insert(d_batch.end(), d_buf.begin() + off,
                           d_buf.begin() + off + static_cast<std::size_t>(d_win) * d_vlen);
            starts.push_back(d_next);
            d_next += d_hop;
        }
        if (!starts.empty())
            emit(starts);
        if (d_next > d_buf_start) {
            const uint64_t drop = std::min<uint64_t>(d_next - d_buf_start, d_buf.size() / d_vlen);
            d_buf.erase(d_buf.begin(), d_buf.begin() + static_cast<std::ptrdiff_t>(drop * d_vlen));
            d_buf_start += drop;
        }
    }

    void emit(const std::vector<uint64_t>& starts)
    {
        const auto n = static_cast<int64_t>(starts.size());
        std::vector<float> emb, prob;
        std::string failure;
        try {
            if (d_frames)
                d_engine->from_frames(d_batch.data(), n, emb, prob);
            else
                d_engine->from_samples(d_batch.data(), n, emb, prob);
        } catch (const std::exception& e) {
            failure = e.what();
            failure = failure.substr(0, std::min<std::size_t>(failure.find('\n'), 300));
            d_logger->error("inference failed: {}", failure);
            emb.assign(static_cast<std::size_t>(n * d_emb), std::nanf(""));
            prob.assign(static_cast<std::size_t>(n * d_k), std::nanf(""));
        }
        // Seconds of a window start: samples at the card's rate; frames at
        // rate / STFT hop.
        const double per_s = d_frames ? d_rate / static_cast<double>(d_engine->hop()) : d_rate;
        for (int64_t k = 0; k < n; ++k) {
            const uint64_t s = starts[static_cast<std::size_t>(k)];
            Item it;
            it.emb.assign(emb.begin() + k * d_emb, emb.begin() + (k + 1) * d_emb);
            it.tags.emplace_back(pmt::intern("tfmed_window_start"), pmt::from_uint64(s));
            const double t = static_cast<double>(s) / per_s;
            if (!std::isfinite(it.emb[0])) {
                it.prob.assign(static_cast<std::size_t>(d_k), std::nanf(""));
                it.tags.emplace_back(pmt::intern("tfmed_invalid"),
                                     pmt::intern(failure.empty() ? "non_finite" : "inference_failed"));
                pdu({ { "type", pmt::mp("invalid") },
                      { "start", pmt::from_uint64(s) },
                      { "time_s", pmt::from_double(t) },
                      { "detail", pmt::mp(failure.empty() ? "a non-finite input value" : failure) } });
            } else if (d_k > 0) {
                it.prob.assign(prob.begin() + k * d_k, prob.begin() + (k + 1) * d_k);
                const auto best = std::max_element(it.prob.begin(), it.prob.end()) - it.prob.begin();
                const auto& label = d_syms[static_cast<std::size_t>(best)];
                it.tags.emplace_back(pmt::intern("tfmed_label"), label);
                it.tags.emplace_back(pmt::intern("tfmed_class"), pmt::from_long(best));
                it.tags.emplace_back(pmt::intern("tfmed_probabilities"),
                                     pmt::init_f32vector(it.prob.size(), it.prob.data()));
                pdu({ { "type", pmt::mp("decision") },
                      { "class", pmt::from_long(best) },
                      { "label", label },
                      { "probability", pmt::from_double(it.prob[static_cast<std::size_t>(best)]) },
                      { "start", pmt::from_uint64(s) },
                      { "time_s", pmt::from_double(t) } });
            }
            d_q.push_back(std::move(it));
        }
    }

    std::unique_ptr<::tfmed::engine::TrlsEngine> d_engine;
    const bool d_frames;
    const int d_vlen, d_win, d_hop, d_emb, d_k;
    const double d_rate;
    const pmt::pmt_t d_port, d_id;
    std::vector<pmt::pmt_t> d_syms;
    std::vector<float> d_buf; // input items [d_buf_start, ...)
    uint64_t d_buf_start = 0, d_next = 0;
    std::vector<float> d_batch;
    std::deque<Item> d_q;
};

tfrnn_encoder::sptr tfrnn_encoder::make(const std::string& model_path, const std::string& input,
                                        int channels, int hop, const std::string& device,
                                        int threads, double sample_rate, int embedding_vlen,
                                        int classes)
{
    auto s = open(model_path, input, channels, hop, device, threads, sample_rate, embedding_vlen,
                  classes);
    return gnuradio::make_block_sptr<tfrnn_encoder_impl>(std::move(s));
}

} // namespace tfmed
} // namespace gr
