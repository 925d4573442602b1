/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_BLOCKS_WINDOW_FEEDER_H
#define INCLUDED_TFMED_BLOCKS_WINDOW_FEEDER_H

#include <gnuradio/block.h>
#include <gnuradio/block_detail.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/logger.h>
#include <pmt/pmt.h>
#include <tfmed/engine/serve.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gr {
namespace tfmed {

/*!
 * \brief Output items a model block's per-window port buffers (its
 * max_output_buffer).
 *
 * \details GNU Radio keeps a buffer's tags until every reader is a whole
 * buffer length past them (gr::buffer::prune_tags), so a port that writes
 * one item per window holds the tags of the last buffer length of windows:
 * with the default 16 Ki float items, two tags a window and about 130 bytes
 * a tag, up to 4 MB per stream, reached only after hours (soak: the heap grew
 * about 350 B per window). 1024 is the smallest float buffer (one page); it
 * bounds that to about 0.3 MB per stream, and a window's item is produced
 * once per hop, so the smaller buffer costs nothing.
 */
constexpr long kWindowPortBuffer = 1024;

/*! \brief Bound the tags GNU Radio retains on per-window output `port`
 *  (see kWindowPortBuffer); call from the block's constructor. */
inline void bound_window_port(gr::block* b, int port)
{
    b->set_max_output_buffer(port, kWindowPortBuffer);
}

/*!
 * \brief A model block's PDU: the metadata dict of `fields` and, as the
 * payload, `text` as UTF-8 bytes (none: an empty u8vector).
 *
 * \details Text that changes from window to window (figures, error messages)
 * goes in the payload, never in a PMT symbol: GNU Radio interns every symbol
 * for the life of the process, so a noisy lead flagged every hop for hours
 * would add a symbol per window. The metadata's strings come from small
 * fixed sets ("invalid", "lead 0: flat", "inference_failed").
 */
inline pmt::pmt_t model_pdu(const std::vector<std::pair<const char*, pmt::pmt_t>>& fields,
                            const std::string& text = {})
{
    pmt::pmt_t meta = pmt::make_dict();
    for (const auto& [k, v] : fields)
        meta = pmt::dict_add(meta, pmt::mp(k), v);
    return pmt::cons(
        meta, pmt::init_u8vector(text.size(), reinterpret_cast<const uint8_t*>(text.data())));
}

/*!
 * \brief The block side of serving (engine/serve.h), shared by the model
 * blocks: cuts the input stream into windows of `window` items every `hop`,
 * queues each complete window on the block's stream of a BatchServer, and
 * hands the results back in window order; the scheduler protocol that goes
 * with it (forecast, waking the block, back-pressure, the end of the stream);
 * latency, counters and the overrun deadline.
 *
 * A block calls start()/stop() from its own, forecast() from its own, and
 * work() from general_work() with a function that writes output item k for
 * one result.
 */
template <typename R>
class WindowFeeder
{
public:
    using Server = ::tfmed::engine::BatchServer<R>;
    using clock = std::chrono::steady_clock;

    /*!
     * \param rate items per second (for the overrun deadline)
     * \param deadline_s 0: no overruns
     * \param pdu_port the block's message port for "overrun" PDUs
     * \param extra_floats floats appended to each queued window by `extra`
     *        (called with the window's first item index), e.g. time features
     */
    WindowFeeder(gr::block* b, std::shared_ptr<Server> srv, int vlen, int window, int hop,
                 double rate, double deadline_s, const std::string& pdu_port,
                 int extra_floats = 0, std::function<void(uint64_t, float*)> extra = nullptr)
        : d_b(b),
          d_log(b->name()),
          d_srv(std::move(srv)),
          d_stream(d_srv->open()),
          d_vlen(vlen),
          d_window(window),
          d_hop(hop),
          d_rate(rate),
          d_deadline_s(deadline_s),
          d_backlog(static_cast<std::size_t>(d_srv->options().queue)),
          d_lat(65536),
          d_wake_port(pmt::mp("wake")),
          d_pdu_port(pmt::mp(pdu_port)),
          d_extra_n(extra_floats),
          d_extra(std::move(extra))
    {
        if (d_srv->window_floats() != static_cast<int64_t>(window) * vlen + extra_floats)
            throw std::logic_error("WindowFeeder: the engine takes windows of " +
                                   std::to_string(d_srv->window_floats()) + " floats, the block "
                                   "gives " + std::to_string(window * vlen + extra_floats));
        if (d_extra_n > 0)
            d_stage.resize(static_cast<std::size_t>(window * vlen + extra_floats));
        // Internal: the engine's worker posts here when results are ready
        // (a message wakes a block thread that waits for input).
        b->message_port_register_in(d_wake_port);
        b->set_msg_handler(d_wake_port, [this](const pmt::pmt_t&) { d_wake_pending = false; });
        // The buffer holds one window and at most one hop before it (with a
        // hop past the window, the items between windows are never copied).
        d_buf.reserve((static_cast<std::size_t>(window) + static_cast<std::size_t>(
                                                               std::min(window, hop)) + 1) *
                      static_cast<std::size_t>(vlen));
        // Idle until the graph runs: a shared engine's batches do not wait
        // for a block that is not running (never started, stopped, finished).
        d_stream->set_idle(true);
    }
    ~WindowFeeder() { d_stream->set_wake(nullptr); }

    /*!
     * \brief The block's start(). \return true when this is a new run of the
     * flowgraph (stop, wait, start: GNU Radio gives the block new buffers
     * whose item counts begin at 0 again) after windows were cut: the last
     * run's positions and its windows still in flight are then dropped, and
     * the block drops what it keeps of its own. GNU Radio 3.10's
     * lock()/unlock() also starts the item counts at 0 again (measured:
     * 502,111 items read before lock(), 199,617 after), though it keeps the
     * buffers (not the items that waited unread in them, in our
     * measurements: qa_trainer_sink.test_lock_unlock_while_gathering, where
     * the upstream block was paused, and a finished upstream block's last
     * item); the feeder treats it as a new run too:
     * positions, offsets and a specar block's time-feature clock begin
     * again, and the windows in flight (at most `queue`; stop() already
     * dropped those of a stop before the stream's end) and the samples of
     * the window in progress are dropped, which the log says. (Carrying
     * them over would mean telling the two apart by the block_detail,
     * which lock()/unlock() keeps, and rebasing every position and tag
     * offset: not done.)
     */
    bool start()
    {
        const uint64_t read = d_b->nitems_read(0);
        // Kept buffers have read d_copied items, or one fewer (see work()).
        const bool restarted = d_copied > 0 && (read == 0 || read + 1 < d_copied);
        if (!restarted && d_dropped) {
            // Positions that go on (not GNU Radio 3.10's behaviour, see
            // above) after stop() dropped the windows in flight: the next
            // window starts at the first item not yet consumed.
            d_log.info("the flowgraph restarted with positions that go on; the next window "
                       "starts at item {}",
                       read);
            d_buf.clear();
            d_buf_start = d_copied = d_next = read;
            d_backlog_head = d_backlog_tail = 0;
            d_late = false;
            d_queued = 0; // (the counters are per run, as after a restart)
            d_emitted = 0;
        }
        d_dropped = false;
        if (restarted) {
            const int lost = d_stream->in_flight();
            const uint64_t partial = d_copied > d_next ? d_copied - d_next : 0;
            if (!d_ended && (lost > 0 || partial > 0)) // (an ended stream's tail was reported)
                d_log.info("the flowgraph restarted (a new run, or lock()/unlock()): {} "
                           "window(s) in flight and {} item(s) of the next window dropped; "
                           "positions count from 0 again",
                           lost, partial);
            d_stream->set_wake(nullptr);
            d_stream = d_srv->open(); // the old stream's queued windows are dropped, not run
            d_buf.clear();
            d_buf_start = d_copied = d_next = 0;
            d_backlog_head = d_backlog_tail = 0;
            d_late = false;
            d_queued = 0;
            d_emitted = 0;
        }
        d_stream->set_idle(false);
        d_wake_pending = false; // a wake left pending by an earlier run would mute every later one
        d_stream->set_wake([this] {
            if (!d_wake_pending.exchange(true)) {
                try {
                    d_b->_post(d_wake_port, pmt::PMT_T);
                } catch (...) {
                    d_wake_pending = false; // not posted: the next result wakes again
                    throw;
                }
            }
        });
        return restarted;
    }
    /*!
     * \brief The block's stop(). At the stream's end the windows in flight
     * are finished and emitted (the scheduler keeps the block while they
     * are: see work()). Any other stop (tb.stop() of a live graph,
     * lock()/unlock(), a downstream block that finished) leaves windows
     * whose results nobody will take, since the next run's positions count
     * from 0 (see start()): they are dropped here, unrun, instead of keeping
     * the engine, and every block that shares it, busy for up to `queue`
     * windows after the graph stopped. The log says how many.
     */
    void stop()
    {
        d_stream->set_wake(nullptr);
        d_ended = input_done();
        if (!d_ended && d_stream->in_flight() > 0) {
            d_log.info("stopped with {} window(s) in flight: dropped, not run (a new run "
                       "counts positions from 0 again)",
                       d_stream->in_flight());
            d_stream = d_srv->open(); // the old stream's queued windows are dropped, not run
            d_dropped = true;
        }
        d_stream->set_idle(true);
    }

    /*!
     * \brief At the stream's end (the upstream block finished), the items
     * after the last complete window that no window covers: the start of a
     * window the stream ended inside, read or still waiting in the input
     * buffer (GNU Radio retires a block without calling work() when fewer
     * items remain than it asked for). With a hop longer than the window the
     * items between windows are not counted: they are skipped by design. 0
     * while the stream goes on (stop() also comes with lock()/unlock() and
     * with tb.stop() of a live graph). For the block's stop() to report.
     */
    int window() const { return d_window; }
    uint64_t tail() const
    {
        const auto det = d_b->detail();
        if (!det || det->ninputs() < 1 || !det->input(0) || !det->input(0)->done())
            return 0;
        const uint64_t read =
            d_b->nitems_read(0) + static_cast<uint64_t>(det->input(0)->items_available());
        const uint64_t covered =
            d_next > 0 ? d_next - static_cast<uint64_t>(d_hop) + static_cast<uint64_t>(d_window)
                       : 0;
        const uint64_t from = std::max(covered, d_next);
        return read > from ? read - from : 0;
    }

    void forecast(gr_vector_int& need)
    {
        if (d_stream->ready() || (d_stream->in_flight() > 0 && input_done()) ||
            d_stream->room() == 0) {
            // Results to emit, or the end of the stream / a full queue to
            // wait out in work(): call it with whatever input there is.
            need[0] = 0;
            return;
        }
        // The input the next window still needs, counted from the read
        // position (which may hold one item already copied: see work()), but
        // never more than half the upstream buffer: GNU Radio retires a
        // block that asks for more than the buffer can hold ("requesting
        // more input data than we can provide"; a 5,000-sample window of 12
        // leads is about 3.5 times the default 64 KiB buffer), and an
        // upstream block that writes in multiples (output_multiple M:
        // blocks.repeat, interpolating filters) stops up to M - 1 items short
        // of full, so asking for the whole buffer could wait forever. Half is
        // what GNU Radio itself fills per call; work() builds a window up
        // piece by piece.
        const uint64_t end = d_next + static_cast<uint64_t>(d_window);
        const uint64_t read = d_b->nitems_read(0);
        uint64_t want = end > read ? end - read : 0;
        auto d = d_b->detail();
        if (d && d->ninputs() > 0) {
            const auto cap = static_cast<uint64_t>(d->input(0)->max_possible_items_available());
            if (cap > 0 && want > cap / 2)
                want = std::max<uint64_t>(1, cap / 2);
        }
        need[0] = static_cast<int>(want);
    }

    /*!
     * \brief The whole of general_work: emit what is ready, queue what is
     * complete, wait briefly at a full queue or the end of the stream,
     * consume. `emit(result, start, k, overrun_s)` writes output item k;
     * overrun_s is NaN, or the seconds since the window's last sample
     * arrived when that exceeds the deadline (the block tags it
     * `tfmed_overrun`; the feeder sends the "overrun" PDU).
     * \return items produced
     */
    template <typename Emit>
    int work(int noutput_items, int ninput, const float* in, Emit&& emit)
    {
        return work(noutput_items, ninput, in, emit, [] { return false; });
    }
    /*! \brief As above; `hold_output()` true (the block has output of its own
     *  still to write) also keeps one input item unconsumed. */
    template <typename Emit, typename Hold>
    int work(int noutput_items, int ninput, const float* in, Emit&& emit, Hold&& hold_output)
    {
        const uint64_t read = d_b->nitems_read(0);
        const uint64_t avail_end = read + static_cast<uint64_t>(ninput);
        int produced = drain(noutput_items, emit);
        // Queue every complete window there is room for; copy input only as
        // far as those windows need, so that a full queue holds input upstream.
        int queued = 0;
        while (d_stream->room() > 0) {
            const uint64_t skip = std::min(d_next, avail_end);
            if (skip > d_copied) { // hop > window: items no window covers
                d_buf.clear();
                d_buf_start = d_copied = skip;
            }
            const uint64_t end = d_next + static_cast<uint64_t>(d_window);
            if (end > avail_end) {
                copy_to(in, read, avail_end);
                break;
            }
            copy_to(in, read, end);
            const auto off = static_cast<std::size_t>((d_next - d_buf_start) * d_vlen);
            if (d_extra_n > 0) {
                const auto nw = static_cast<std::size_t>(d_window) * d_vlen;
                std::copy(d_buf.begin() + off, d_buf.begin() + off + nw, d_stage.begin());
                d_extra(d_next, d_stage.data() + nw);
                d_stream->try_submit(d_stage.data(), d_next);
            } else {
                d_stream->try_submit(d_buf.data() + off, d_next);
            }
            d_backlog[d_backlog_tail++ % d_backlog.size()] = double(avail_end - end) / d_rate;
            ++queued;
            d_next += static_cast<uint64_t>(d_hop);
            const uint64_t keep = std::min(d_next, d_copied); // drop what no window needs
            if (keep > d_buf_start) {
                d_buf.erase(d_buf.begin(), d_buf.begin() + static_cast<std::ptrdiff_t>(
                                                               (keep - d_buf_start) * d_vlen));
                d_buf_start = keep;
            }
        }
        d_queued += static_cast<uint64_t>(queued);
        if (noutput_items > 0 && produced == 0 && queued == 0 && d_stream->in_flight() > 0 &&
            (d_stream->room() == 0 || input_done())) {
            // A full queue (back-pressure) or the end of the stream: wait here,
            // briefly, for the oldest window; the scheduler calls again after.
            if (d_stream->wait_ready(std::chrono::milliseconds(100)))
                produced = drain(noutput_items, emit);
        }
        // While windows are in flight keep the last copied item unconsumed: a
        // block whose input is empty and finished is retired by the
        // scheduler, and its pending results would be lost.
        const uint64_t hold =
            ((d_stream->in_flight() > 0 || hold_output()) && d_copied > read) ? 1 : 0;
        d_b->consume(0, static_cast<int>(d_copied - read - hold));
        return produced;
    }

    uint64_t queued() const { return d_queued.load(); }
    uint64_t emitted() const { return d_emitted.load(); }
    int depth() const
    {
        // Both only grow (between restarts): emitted read first can only be
        // at most the queued count read after it. (Another thread asking
        // while start() resets both could see the old emitted: clamped.)
        const uint64_t e = d_emitted.load();
        const uint64_t q = d_queued.load();
        return q > e ? static_cast<int>(q - e) : 0;
    }
    uint64_t overruns() const { return d_overruns.load(); }
    std::vector<float> latencies() const
    {
        std::lock_guard<std::mutex> lk(d_lat_m);
        const std::size_t n = std::min<uint64_t>(d_lat_n, d_lat.size());
        std::vector<float> v(n);
        for (std::size_t i = 0; i < n; ++i)
            v[i] = d_lat[(d_lat_n - n + i) % d_lat.size()];
        return v;
    }
    std::string serving(const std::string& key) const
    {
        return ::tfmed::engine::serving_json(key, d_srv->counters());
    }

private:
    bool input_done()
    {
        auto d = d_b->detail();
        return d && d->ninputs() > 0 && d->input(0)->done();
    }
    void copy_to(const float* in, uint64_t read, uint64_t end)
    {
        if (end <= d_copied)
            return;
        d_buf.insert(d_buf.end(), in + (d_copied - read) * d_vlen, in + (end - read) * d_vlen);
        d_copied = end;
    }
    template <typename Emit>
    int drain(int noutput_items, Emit& emit)
    {
        int n = 0;
        uint64_t start = 0;
        clock::time_point submitted, done;
        while (n < noutput_items && d_stream->take(d_result, start, submitted, done)) {
            const auto now = clock::now();
            const float lat = std::chrono::duration<float>(now - submitted).count();
            {
                std::lock_guard<std::mutex> lk(d_lat_m);
                d_lat[d_lat_n++ % d_lat.size()] = lat;
            }
            // Seconds since the window's last sample arrived: its time in the
            // engine plus the input that had arrived after it when queued.
            const double late = lat + d_backlog[d_backlog_head++ % d_backlog.size()];
            double overrun = std::nan("");
            if (d_deadline_s > 0.0) {
                if (late > d_deadline_s) {
                    overrun = late;
                    ++d_overruns;
                    if (!d_late) { // the first of a run of late windows
                        pmt::pmt_t meta = pmt::make_dict();
                        meta = pmt::dict_add(meta, pmt::mp("type"), pmt::mp("overrun"));
                        meta = pmt::dict_add(meta, pmt::mp("start"), pmt::from_uint64(start));
                        meta = pmt::dict_add(meta, pmt::mp("time_s"),
                                             pmt::from_double(double(start) / d_rate));
                        meta = pmt::dict_add(meta, pmt::mp("late_s"), pmt::from_double(late));
                        d_b->message_port_pub(d_pdu_port,
                                              pmt::cons(meta, pmt::make_u8vector(0, 0)));
                    }
                    d_late = true;
                } else {
                    d_late = false;
                }
            }
            emit(d_result, start, n, overrun);
            ++n;
        }
        d_emitted += static_cast<uint64_t>(n);
        return n;
    }

    gr::block* const d_b;
    gr::logger d_log;
    bool d_ended = false;   // the last stop() came at the stream's end
    bool d_dropped = false; // the last stop() dropped windows in flight
    std::shared_ptr<Server> d_srv;
    std::shared_ptr<typename Server::Stream> d_stream;
    const int d_vlen, d_window, d_hop;
    const double d_rate, d_deadline_s;
    std::vector<float> d_buf; // input items [d_buf_start, d_copied)
    uint64_t d_buf_start = 0, d_copied = 0, d_next = 0;
    std::vector<double> d_backlog; // per queued window, in queue order
    uint64_t d_backlog_head = 0, d_backlog_tail = 0;
    bool d_late = false;
    R d_result{};
    std::atomic<uint64_t> d_queued{ 0 }, d_emitted{ 0 }, d_overruns{ 0 };
    mutable std::mutex d_lat_m;
    std::vector<float> d_lat;
    uint64_t d_lat_n = 0;
    std::atomic<bool> d_wake_pending{ false };
    const pmt::pmt_t d_wake_port, d_pdu_port;
    const int d_extra_n;
    const std::function<void(uint64_t, float*)> d_extra;
    std::vector<float> d_stage; // a window plus its extra floats
};

} // namespace tfmed
} // namespace gr

#endif
