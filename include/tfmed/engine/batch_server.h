/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_ENGINE_BATCH_SERVER_H
#define INCLUDED_TFMED_ENGINE_BATCH_SERVER_H

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

/*!
 * \file
 * \brief One model, many streams: a dynamic batcher that runs the network on
 * its own worker thread for every stream (block) that shares it.
 *
 * \details Torch-free: the network is behind a batch function. Each stream
 * (one block) owns a bounded ring of window slots. `Stream::try_submit` copies
 * a window into a free slot and queues it; the worker takes queued windows of
 * all streams in arrival order, waits at most `max_wait_ms` after the oldest
 * for the batch to fill to `max_batch`, runs them as one batch and hands each
 * result back to its stream's slot; `Stream::take` returns a stream's results
 * strictly in submission order. Nothing is allocated after `open`; a full ring
 * refuses windows (the caller stops consuming input: back-pressure), so
 * memory is bounded by streams x `queue` windows.
 *
 * Lifetime: a server lives as long as its streams and whoever made it hold
 * it; its destructor lets the worker finish the batch in hand and joins it.
 * A stream that is dropped with windows queued leaves them to the worker,
 * which drops them unrun (ServeCounters::discarded); a batch in hand
 * finishes (the worker holds the stream's state until then).
 *
 * The registry of shared servers and the model services built on them are
 * in serve.h.
 */

namespace tfmed {
namespace engine {

/*! \brief Dynamic batching settings (the block parameters of the same names). */
struct ServeOptions {
    int max_batch = 16;      //!< windows per network call (>= 1); 1: no batching
    double max_wait_ms = 2.0; //!< how long the oldest queued window waits for a fuller batch
    int queue = 32;          //!< windows per stream queued or waiting to be taken (>= 1)

    /*! \throws std::invalid_argument naming `who`, the field, and the value found */
    void validate(const std::string& who) const
    {
        if (max_batch < 1 || max_batch > 4096)
            throw std::invalid_argument(who + ": expected max_batch in [1, 4096], found " +
                                        std::to_string(max_batch));
        if (!(max_wait_ms >= 0.0 && max_wait_ms <= 10000.0))
            throw std::invalid_argument(who + ": expected max_wait_ms in [0, 10000], found " +
                                        std::to_string(max_wait_ms));
        if (queue < 1 || queue > 65536)
            throw std::invalid_argument(who + ": expected queue in [1, 65536], found " +
                                        std::to_string(queue));
    }
    /*! Part of the registry key: servers with other settings are other servers. */
    std::string key() const
    {
        return "b" + std::to_string(max_batch) + "w" + std::to_string(max_wait_ms) + "q" +
               std::to_string(queue);
    }
};

/*! \brief What a server has done so far (a consistent snapshot). */
struct ServeCounters {
    uint64_t windows = 0;   //!< windows run through the network
    uint64_t batches = 0;   //!< network calls
    uint64_t largest = 0;   //!< largest batch
    uint64_t queued = 0;    //!< windows queued now, not yet in a batch
    uint64_t max_queued = 0; //!< most windows ever queued at once
    uint64_t streams = 0;   //!< streams open now
    uint64_t discarded = 0; //!< windows of closed streams dropped from the queue, not run
    double busy_s = 0.0;    //!< seconds spent inside the batch function
    double mean_batch() const { return batches ? double(windows) / double(batches) : 0.0; }
};

template <typename Result>
class BatchServer : public std::enable_shared_from_this<BatchServer<Result>>
{
public:
    using clock = std::chrono::steady_clock;
    /*!
     * The network: score `n` windows stored back to back at `x` (each
     * `window_floats` floats) into `out[0..n)`. It runs on the worker thread
     * only, one call at a time. If it throws, every window of that batch gets
     * `on_error(message)`: the exception's first line, at most 300 characters
     * (never empty).
     */
    using BatchFn = std::function<void(const float* x, int64_t n, Result* out)>;
    using ErrorFn = std::function<Result(const std::string&)>;

private:
    struct Slot {
        Result result{};
        uint64_t id = 0;
        clock::time_point submitted, finished;
        bool done = false;
    };
    // A stream's ring, shared with the worker so that a stream dropped with
    // windows queued cannot pull memory from under a running batch.
    struct State {
        int cap = 0;
        std::vector<float> data;
        std::vector<Slot> slots;
        std::condition_variable cv;
        std::mutex wake_m;
        std::function<void()> wake;
        bool closed = false; // the Stream is gone (under d_m): its queued windows are not run
    };
    struct Entry {
        std::shared_ptr<State> st;
        std::size_t slot = 0;
        clock::time_point t;
    };


public:
    class Stream;

    BatchServer(int64_t window_floats, ServeOptions o, BatchFn fn, ErrorFn on_error)
        : d_wf(window_floats), d_o(o), d_fn(std::move(fn)), d_err(std::move(on_error))
    {
        if (window_floats < 1)
            throw std::invalid_argument("BatchServer: expected a window of >= 1 floats, found " +
                                        std::to_string(window_floats));
        o.validate("BatchServer");
        d_batch.resize(static_cast<std::size_t>(d_o.max_batch * d_wf));
        d_res.resize(static_cast<std::size_t>(d_o.max_batch));
        // The result of a window whose batch failed when building its own
        // fails as well (out of memory): built now, while that is cheap.
        d_fallback = d_err("inference failed");
        d_take.reserve(static_cast<std::size_t>(d_o.max_batch));
        d_worker = std::thread([this] { run(); });
    }
    ~BatchServer()
    {
        {
            std::lock_guard<std::mutex> lk(d_m);
            d_stop = true;
        }
        d_cv.notify_all();
        d_worker.join();
    }
    BatchServer(const BatchServer&) = delete;
    BatchServer& operator=(const BatchServer&) = delete;

    const ServeOptions& options() const { return d_o; }
    int64_t window_floats() const { return d_wf; }

    /*! \brief A new stream (allocates its ring of `queue` window slots). */
    std::shared_ptr<Stream> open()
    {
        auto s = std::shared_ptr<Stream>(new Stream(this->shared_from_this()));
        std::lock_guard<std::mutex> lk(d_m);
        ++d_streams;
        // Room for what is queued now plus everything the open streams may
        // queue: push() never needs to grow the FIFO.
        const auto need = d_count + static_cast<std::size_t>(d_streams * d_o.queue);
        if (need > d_fifo.size()) {
            std::vector<Entry> f(need);
            for (std::size_t i = 0; i < d_count; ++i)
                f[i] = std::move(d_fifo[(d_first + i) % d_fifo.size()]);
            d_fifo.swap(f);
            d_first = 0;
        }
        return s;
    }

    ServeCounters counters() const
    {
        std::lock_guard<std::mutex> lk(d_m);
        auto c = d_c;
        c.queued = d_count;
        c.streams = d_streams;
        return c;
    }

    /*!
     * \brief One block's view of the server: submit windows, take results in
     * order. Called from one thread (the block's), apart from set_wake.
     */
    class Stream
    {
    public:
        ~Stream()
        {
            set_wake(nullptr);
            {
                std::lock_guard<std::mutex> lk(d_srv->d_m);
                d_st->closed = true; // nobody takes its results: not worth a batch
                --d_srv->d_streams;
                d_srv->d_occupied -= static_cast<std::size_t>(d_tail - d_head);
                if (d_idle) {
                    --d_srv->d_idle_streams;
                    d_srv->d_idle_occupied -= static_cast<std::size_t>(d_tail - d_head);
                }
            }
            // A worker waiting for a fuller batch may now have none to wait for.
            d_srv->d_cv.notify_one();
        }
        Stream(const Stream&) = delete;
        Stream& operator=(const Stream&) = delete;

        /*!
         * \brief Queue a copy of one window (`window_floats` floats) under
         * the caller's `id`. \return false, queueing nothing, when this
         * stream already has `queue` windows queued or not yet taken.
         */
        bool try_submit(const float* window, uint64_t id)
        {
            auto& st = *d_st;
            if (d_tail - d_head >= static_cast<uint64_t>(st.cap))
                return false;
            const auto k = static_cast<std::size_t>(d_tail % static_cast<uint64_t>(st.cap));
            std::memcpy(st.data.data() + k * static_cast<std::size_t>(d_srv->d_wf), window,
                        sizeof(float) * static_cast<std::size_t>(d_srv->d_wf));
            auto& slot = st.slots[k];
            slot.id = id;
            slot.submitted = clock::now();
            {
                std::lock_guard<std::mutex> lk(d_srv->d_m);
                slot.done = false;
                ++d_srv->d_occupied;
                if (d_idle)
                    ++d_srv->d_idle_occupied;
                d_srv->push(d_st, k, slot.submitted);
            }
            d_srv->d_cv.notify_one();
            ++d_tail;
            return true;
        }
        /*! Windows submitted and not yet taken. */
        int in_flight() const { return static_cast<int>(d_tail - d_head); }
        /*! Room for this many more windows. */
        int room() const { return d_st->cap - in_flight(); }
        /*! The oldest window's result is ready. */
        bool ready() const
        {
            if (d_head == d_tail)
                return false;
            std::lock_guard<std::mutex> lk(d_srv->d_m);
            return d_st->slots[front()].done;
        }
        /*! Wait up to `timeout` for the oldest window's result. */
        bool wait_ready(std::chrono::milliseconds timeout)
        {
            if (d_head == d_tail)
                return false;
            std::unique_lock<std::mutex> lk(d_srv->d_m);
            return d_st->cv.wait_for(lk, timeout, [&] { return d_st->slots[front()].done; });
        }
        /*!
         * \brief Move the oldest result out if it is ready.
         * \param id the id it was submitted with
         * \param submitted when it was submitted; \param done when its batch ended
         */
        bool take(Result& out, uint64_t& id, clock::time_point& submitted, clock::time_point& done)
        {
            if (!ready())
                return false;
            auto& slot = d_st->slots[front()];
            // The worker never touches a done slot; no lock needed to read it.
            out = std::move(slot.result);
            id = slot.id;
            submitted = slot.submitted;
            done = slot.finished;
            ++d_head;
            {
                std::lock_guard<std::mutex> lk(d_srv->d_m);
                --d_srv->d_occupied;
                if (d_idle)
                    --d_srv->d_idle_occupied;
            }
            return true;
        }
        /*!
         * \brief Mark the stream idle (its block stopped, finished, or was
         * never started) or active again. The worker waits up to max_wait_ms
         * for a fuller batch only while an active stream has room to add a
         * window: a stream whose source has ended would make every batch of
         * the others wait the whole max_wait_ms. Streams open active.
         */
        void set_idle(bool idle)
        {
            if (idle == d_idle)
                return;
            {
                std::lock_guard<std::mutex> lk(d_srv->d_m);
                const auto occ = static_cast<std::size_t>(d_tail - d_head);
                if (idle) {
                    ++d_srv->d_idle_streams;
                    d_srv->d_idle_occupied += occ;
                } else {
                    --d_srv->d_idle_streams;
                    d_srv->d_idle_occupied -= occ;
                }
                d_idle = idle;
            }
            d_srv->d_cv.notify_one(); // a batch waiting for this stream need not
        }
        bool idle() const { return d_idle; }
        /*!
         * \brief Called on the worker thread after a batch that finished one
         * of this stream's windows (e.g. to wake the block's thread). Set it
         * to nullptr before whatever it calls goes away; set_wake returns
         * only when no call is running.
         */
        void set_wake(std::function<void()> f)
        {
            std::lock_guard<std::mutex> lk(d_st->wake_m);
            d_st->wake = std::move(f);
        }

    private:
        friend class BatchServer;
        explicit Stream(std::shared_ptr<BatchServer> srv)
            : d_srv(std::move(srv)), d_st(std::make_shared<State>())
        {
            d_st->cap = d_srv->d_o.queue;
            d_st->data.resize(static_cast<std::size_t>(d_st->cap * d_srv->d_wf));
            d_st->slots.resize(static_cast<std::size_t>(d_st->cap));
        }
        std::size_t front() const
        {
            return static_cast<std::size_t>(d_head % static_cast<uint64_t>(d_st->cap));
        }
        std::shared_ptr<BatchServer> d_srv;
        std::shared_ptr<typename BatchServer::State> d_st;
        uint64_t d_head = 0, d_tail = 0;
        bool d_idle = false; // changed under d_srv->d_m, read by the stream's thread
    };

public:
    // One line for people (LibTorch appends a backtrace after the message).
    static std::string first_line(const std::string& what)
    {
        auto n = std::min<std::size_t>(what.find('\n'), 300);
        // Not inside a UTF-8 character: the text travels as a UTF-8 payload.
        if (n < what.size())
            while (n > 0 && (static_cast<unsigned char>(what[n]) & 0xC0) == 0x80)
                --n;
        const auto line = what.substr(0, n);
        return line.empty() ? "inference failed" : line;
    }

private:
    // Under d_m.
    void push(const std::shared_ptr<State>& st, std::size_t slot, clock::time_point t)
    {
        auto& e = d_fifo[(d_first + d_count) % d_fifo.size()];
        e.st = st;
        e.slot = slot;
        e.t = t;
        ++d_count;
        d_c.max_queued = std::max<uint64_t>(d_c.max_queued, d_count);
    }

    // Under d_m: the first queued window, of a closed stream, leaves unrun.
    void drop_first()
    {
        d_fifo[d_first].st.reset();
        d_first = (d_first + 1) % d_fifo.size();
        --d_count;
        ++d_c.discarded;
    }

    void run()
    {
        const auto wait = std::chrono::duration_cast<clock::duration>(
            std::chrono::duration<double, std::milli>(d_o.max_wait_ms));
        std::vector<std::shared_ptr<State>> woken;
        woken.reserve(static_cast<std::size_t>(d_o.max_batch));
        std::unique_lock<std::mutex> lk(d_m);
        for (;;) {
            d_cv.wait(lk, [&] { return d_stop || d_count > 0; });
            if (d_stop)
                break;
            // The oldest live window sets the deadline: a closed stream's windows
            // (dropped unrun, below too) would cut the wait for a fuller batch.
            while (d_count > 0 && d_fifo[d_first].st->closed)
                drop_first();
            if (d_count == 0)
                continue;
            const auto deadline = d_fifo[d_first].t + wait;
            // Wait for a fuller batch only while one can come: with every
            // active stream's ring in use (queued, or results not yet taken:
            // one stream, queue 4, max_batch 16), or only idle streams with
            // room (a block whose source ended), each batch waited the whole
            // max_wait_ms.
            auto can_grow = [&] {
                return d_count < static_cast<std::size_t>(d_o.max_batch) &&
                       d_occupied - d_idle_occupied <
                           static_cast<std::size_t>((d_streams - d_idle_streams) * d_o.queue);
            };
            while (!d_stop && can_grow())
                if (d_cv.wait_until(lk, deadline) == std::cv_status::timeout)
                    break;
            if (d_stop)
                break;
            // The windows of streams closed since they queued them (a block
            // restarted or destroyed) are dropped here: run, they would
            // only delay every other stream's.
            d_take.clear();
            while (d_count > 0 && d_take.size() < static_cast<std::size_t>(d_o.max_batch)) {
                auto& e = d_fifo[d_first];
                if (e.st->closed) {
                    drop_first();
                    continue;
                }
                d_take.push_back(std::move(e));
                d_first = (d_first + 1) % d_fifo.size();
                --d_count;
            }
            const auto n = d_take.size();
            if (n == 0)
                continue;
            lk.unlock();
            // Queued slots belong to the worker until marked done.
            for (std::size_t i = 0; i < n; ++i)
                std::memcpy(d_batch.data() + i * static_cast<std::size_t>(d_wf),
                            d_take[i].st->data.data() + d_take[i].slot * static_cast<std::size_t>(d_wf),
                            sizeof(float) * static_cast<std::size_t>(d_wf));
            const auto t0 = clock::now();
            // The error results are built outside the handlers: d_err may
            // throw too (bad_alloc), which escaping this thread ended the
            // process, every stream with it. Then a window gets the fallback
            // error result built at construction; a result that looks like a
            // success (Result{}: a TSRNet score of 0) is never made up.
            bool failed = false, unknown = false;
            std::string what;
            try {
                d_fn(d_batch.data(), static_cast<int64_t>(n), d_res.data());
            } catch (const std::exception& e) {
                failed = true;
                try {
                    what = first_line(e.what());
                } catch (...) {
                }
            } catch (...) {
                failed = unknown = true;
            }
            if (failed)
                for (std::size_t i = 0; i < n; ++i) {
                    try {
                        d_res[i] = d_err(unknown ? std::string("unknown error in the batch "
                                                               "function")
                                                 : what.empty() ? std::string("inference failed")
                                                                : what);
                    } catch (...) {
                        try {
                            d_res[i] = d_fallback;
                        } catch (...) {
                            std::fputs("tfmed: out of memory reporting a failed batch; "
                                       "stopping rather than passing windows as scored\n",
                                       stderr);
                            std::abort();
                        }
                    }
                }
            const auto t1 = clock::now();
            lk.lock();
            woken.clear();
            for (std::size_t i = 0; i < n; ++i) {
                auto& slot = d_take[i].st->slots[d_take[i].slot];
                slot.result = std::move(d_res[i]);
                slot.finished = t1;
                slot.done = true;
                if (std::find(woken.begin(), woken.end(), d_take[i].st) == woken.end())
                    woken.push_back(d_take[i].st);
            }
            d_c.windows += n;
            d_c.batches += 1;
            d_c.largest = std::max<uint64_t>(d_c.largest, n);
            d_c.busy_s += std::chrono::duration<double>(t1 - t0).count();
            for (auto& st : woken)
                st->cv.notify_all();
            lk.unlock();
            // Wake each stream's block outside the server lock.
            // A failing wake (a message that could not be posted) must not
            // end the worker, and with it every stream: the block still
            // finds its results when the scheduler next calls it.
            for (auto& st : woken) {
                std::lock_guard<std::mutex> wl(st->wake_m);
                if (st->wake) {
                    try {
                        st->wake();
                    } catch (...) {
                    }
                }
            }
            woken.clear();
            for (auto& e : d_take)
                e.st.reset();
            lk.lock();
        }
        // Queued windows of streams still open are not computed after stop;
        // drop the worker's references.
        for (std::size_t i = 0; i < d_count; ++i)
            d_fifo[(d_first + i) % d_fifo.size()].st.reset();
        d_count = 0;
    }

    const int64_t d_wf;
    const ServeOptions d_o;
    const BatchFn d_fn;
    const ErrorFn d_err;
    mutable std::mutex d_m;
    std::condition_variable d_cv;
    bool d_stop = false;
    std::vector<Entry> d_fifo; // ring: d_count entries from d_first
    std::size_t d_first = 0, d_count = 0;
    uint64_t d_streams = 0;
    std::size_t d_occupied = 0; // slots of open streams queued or not yet taken
    uint64_t d_idle_streams = 0;     // of d_streams, marked idle
    std::size_t d_idle_occupied = 0; // of d_occupied, the idle streams' slots
    ServeCounters d_c;
    Result d_fallback;
    std::vector<float> d_batch;
    std::vector<Result> d_res;
    std::vector<Entry> d_take;
    std::thread d_worker;
};

} // namespace engine
} // namespace tfmed

#endif
