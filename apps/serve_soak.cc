/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed bench serve --soak HOURS --streams N` (scripts/soak.sh): N real-time
 * ECG streams through one shared engine for HOURS; memory, latency and queue
 * depth every minute; exit 1 if a window is lost or memory grows.
 */
#include "common.h"
#include "figures.h"
#include "launch.h"
#include "serve_common.h"

#include <tfmed/engine/tsrnet_engine.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>

#ifdef TFMED_WITH_GNURADIO
#include <gnuradio/blocks/null_sink.h>
#include <gnuradio/filter/rational_resampler.h>
#include <gnuradio/tfmed/tsrnet_scorer.h>
#include <gnuradio/top_block.h>
#endif

namespace tfmed {
namespace apps {

#ifdef TFMED_WITH_GNURADIO
// The soak: STREAMS real-time streams through one shared engine for HOURS,
// a sample of memory, latency and queue depth every sample_s, then the
// checks: no window lost, resident memory flat after the first 5 minutes.
int run_soak(const ServeBenchArgs& a, const std::string& model, const std::string& what,
             double rate, int64_t window)
{
    if (a.streams.size() != 1)
        throw std::runtime_error("bench serve --soak: expected one stream count, found " +
                                 std::to_string(a.streams.size()));
    const int n = a.streams[0];
    const double total_s = a.soak_hours * 3600.0;
    const int hop = hop_samples(a.hop_s, rate);
    const auto base = stream_signals(a.data_dir.empty() ? data::default_data_dir() : a.data_dir, n);
    {
        // Resident memory grows to what the largest batch so far needed (the
        // allocator keeps freed memory for the next batch, tune_allocator),
        // and LibTorch's oneDNN kernels are created and cached per input
        // shape, i.e. per batch size. Out-of-step streams meet in a batch of
        // a new size only now and then, so RSS would rise in steps for the
        // first tens of minutes. Score one batch of every size 1..max_batch
        // first (the cache is process-wide), so that the memory check
        // watches for leaks and not for that.
        engine::TsrnetEngine warm(model, "cpu", threads_for(a, true), true);
        std::vector<float> w(static_cast<std::size_t>(a.max_batch * window));
        for (std::size_t i = 0; i < w.size(); ++i)
            w[i] = base[0][i % base[0].size()];
        for (int b = a.max_batch; b >= 1; --b)
            warm.score(w.data(), b);
    }
    // Finite sources (360 Hz, the 5-min signals looped) as long as the soak,
    // so that the graph ends by itself and every window can be counted.
    const auto len360 = static_cast<std::size_t>(std::ceil(total_s * 360.0));
    auto tb = gr::make_top_block("soak");
    std::vector<gr::tfmed::tsrnet_scorer::sptr> blocks;
    for (int s = 0; s < n; ++s) {
        auto src = gnuradio::make_block_sptr<paced_source>(base[static_cast<std::size_t>(s)], 360.0,
                                                           a.hop_s * s / n, len360);
        auto rs = gr::filter::rational_resampler_fff::make(25, 18);
        auto blk = gr::tfmed::tsrnet_scorer::make(model, 1, rate, hop, "cpu", NAN,
                                                  threads_for(a, true), true, true, a.max_batch, a.max_wait_ms,
                                                  a.queue, a.deadline_ms);
        auto sink = gr::blocks::null_sink::make(sizeof(float));
        tb->connect(src, 0, rs, 0);
        tb->connect(rs, 0, blk, 0);
        tb->connect(blk, 0, sink, 0);
        blocks.push_back(blk);
    }
    std::printf("soak: %d real-time streams through one shared engine, %.2f h, %s, hop %.2f s, "
                "a sample every %.0f s\n",
                n, a.soak_hours, what.c_str(), a.hop_s, a.sample_s);
    std::printf("%8s %8s %8s %9s %9s %9s %6s %10s %10s %8s %7s\n", "minutes", "RSS MB", "heap MB", "p50 ms",
                "p95 ms", "p99 ms", "queue", "windows in", "scores out", "overrun", "batch<=");
    std::string csv = "minutes,rss_mb,heap_mb,latency_p50_ms,latency_p95_ms,latency_p99_ms,queue_depth,"
                      "windows_in,scores_out,overruns,largest_batch\n";
    std::vector<double> tmin, rss, heap, p50, p99, depth;
    std::vector<uint64_t> seen(blocks.size(), 0);
    std::atomic<bool> done{ false };
    const auto t0 = clock_type::now();
    tb->start();
    std::thread waiter([&] {
        tb->wait();
        done = true;
    });
    auto sample = [&] {
        std::vector<float> lat;
        uint64_t in = 0, out = 0, over = 0;
        int q = 0;
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            const auto& b = blocks[i];
            const uint64_t sc = b->windows_scored();
            const auto l = b->latencies();
            const auto fresh = std::min<std::size_t>(l.size(), sc - seen[i]);
            lat.insert(lat.end(), l.end() - static_cast<std::ptrdiff_t>(fresh), l.end());
            seen[i] = sc;
            in += b->windows_queued();
            out += sc;
            over += b->overruns();
            q += b->queue_depth();
        }
        const double m = std::chrono::duration<double>(clock_type::now() - t0).count() / 60.0;
        const double r = rss_mb(), h = heap_in_use_mb();
        const double q50 = 1e3 * quantile(lat, 0.5), q95 = 1e3 * quantile(lat, 0.95),
                     q99 = 1e3 * quantile(lat, 0.99);
        const auto largest =
            nlohmann::json::parse(blocks[0]->serving())["largest_batch"].get<unsigned long long>();
        std::printf("%8.1f %8.1f %8.1f %9.1f %9.1f %9.1f %6d %10llu %10llu %8llu %7llu\n", m, r, h, q50, q95,
                    q99, q, static_cast<unsigned long long>(in),
                    static_cast<unsigned long long>(out), static_cast<unsigned long long>(over),
                    largest);
        std::fflush(stdout);
        char line[256];
        std::snprintf(line, sizeof line, "%.3f,%.2f,%.2f,%.2f,%.2f,%.2f,%d,%llu,%llu,%llu,%llu\n", m, r, h,
                      q50, q95, q99, q, static_cast<unsigned long long>(in),
                      static_cast<unsigned long long>(out), static_cast<unsigned long long>(over),
                      largest);
        csv += line;
        tmin.push_back(m);
        rss.push_back(r);
        heap.push_back(h);
        p50.push_back(q50);
        p99.push_back(q99);
        depth.push_back(q);
    };
    // The soak's figure (interrupted: the title says so).
    auto draw = [&](bool interrupted) {
#ifdef TFMED_HAVE_PLOT
        plot::Panel pr{ "Resident memory", "minutes", "MB", {}, {} };
        plot::Panel pl{ "Latency, window hand-over to score (p50, p99)", "minutes", "ms", {}, {} };
        plot::Panel pq{ "Windows in flight (all streams)", "minutes", "windows", {}, {} };
        pr.series.push_back({ tmin, rss, { 30, 90, 200 }, "RSS", 1.6, false });
        pr.series.push_back({ tmin, heap, { 200, 80, 30 }, "heap in use", 1.2, false });
        pl.series.push_back({ tmin, p50, { 30, 90, 200 }, "p50", 1.6, false });
        pl.series.push_back({ tmin, p99, { 200, 80, 30 }, "p99", 1.2, false });
        pq.series.push_back({ tmin, depth, { 20, 20, 20 }, "queue depth", 1.2, false });
        pr.ymin = pl.ymin = pq.ymin = 0;
        save_panels({ pr, pl, pq }, a.plot,
                    "tfmed soak: " + std::to_string(n) + " real-time ECG streams, " + what +
                        (interrupted ? " (interrupted)" : ""));
#else
        (void)interrupted;
        no_plot_support(a.plot);
#endif
    };
    auto next = t0;
    const auto* stop = training_cancel(); // Ctrl-C, kill, hang-up (run_interruptible)
    auto stopped = [stop] { return stop && stop->load(); };
    try {
        while (!done && !stopped()) {
            next += std::chrono::duration_cast<clock_type::duration>(
                std::chrono::duration<double>(a.sample_s));
            while (!done && !stopped() && clock_type::now() < next)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (!done && !stopped())
                sample();
        }
    } catch (...) {
        // A joinable thread destroyed by the unwinding would end the process
        // (std::terminate) with the graph running: stop it, then report.
        tb->stop();
        waiter.join();
        throw;
    }
    if (stopped() && !done) {
        // Interrupted: the samples so far are written (hours of them, for a
        // long soak); no verdict on a run that did not end.
        tb->stop();
        waiter.join();
        if (!a.csv.empty())
            write_atomically(a.csv, csv);
        if (!a.plot.empty())
            draw(true);
        std::fprintf(stderr, "soak interrupted after %.1f min: %zu sample(s) written, no "
                             "verdict\n",
                     std::chrono::duration<double>(clock_type::now() - t0).count() / 60.0,
                     tmin.size());
        return 1;
    }
    waiter.join();
    // Every window of every stream: the scorer consumed the whole stream.
    long long lost = 0, expected_all = 0;
    for (const auto& b : blocks) {
        const auto got = static_cast<long long>(b->nitems_read(0));
        const long long expected = got >= window ? (got - window) / hop + 1 : 0;
        expected_all += expected;
        lost += expected - static_cast<long long>(b->windows_scored());
    }
    // Memory: the largest sample after the first 5 minutes (or a third of a
    // shorter soak) against the first sample after it.
    const double settle = std::min(5.0, total_s / 180.0);
    double ref = NAN, peak = NAN, heap_ref = NAN, heap_peak = NAN;
    int judged = 0; // samples after the settling time
    for (std::size_t i = 0; i < tmin.size(); ++i)
        if (tmin[i] >= settle) {
            ++judged;
            if (std::isnan(ref)) {
                ref = rss[i];
                heap_ref = heap[i];
            }
            peak = std::isnan(peak) ? rss[i] : std::max(peak, rss[i]);
            heap_peak = std::isnan(heap_peak) ? heap[i] : std::max(heap_peak, heap[i]);
        }
    const double growth = std::isnan(ref) ? 0.0 : 100.0 * (peak - ref) / ref;
    // Heap in use (malloc's live bytes) may grow by what GNU Radio holds for
    // a full output buffer of each scorer (its 1024 windows' score and start
    // tags, measured 370 bytes a window: about 0.5 MB a stream) plus 1 %;
    // RSS alone cannot see a leak served from memory the warm-up freed.
    const double heap_growth = std::isnan(heap_ref) ? 0.0 : heap_peak - heap_ref;
    const double heap_limit = 0.5 * static_cast<double>(n) + 0.01 * (std::isnan(heap_ref) ? 0.0 : heap_ref);
    std::printf("windows expected %lld, scored %lld, lost %lld; RSS after %.1f min %.1f MB, peak "
                "%.1f MB (%+.2f %%); heap in use %.1f -> peak %.1f MB\n",
                expected_all, expected_all - lost, lost, settle, ref, peak, growth, heap_ref, heap_peak);
    if (!a.csv.empty())
        write_atomically(a.csv, csv);
    if (!a.plot.empty())
        draw(false);
    bool ok = true;
    if (expected_all == 0) {
        std::fprintf(stderr, "soak FAILED: no window was due (a window is %.1f s; expected a "
                             "--soak of several minutes)\n",
                     static_cast<double>(window) / rate);
        ok = false;
    }
    if (lost != 0) {
        std::fprintf(stderr, "soak FAILED: %lld window(s) lost (expected %lld scores)\n", lost,
                     expected_all);
        ok = false;
    }
    if (judged < 2) {
        std::fprintf(stderr, "soak FAILED: %d memory sample(s) after the first %.1f min; expected "
                             "2 or more to judge growth (a longer --soak or a shorter --sample)\n",
                     judged, settle);
        ok = false;
    }
    if (growth > 1.0) {
        std::fprintf(stderr, "soak FAILED: resident memory grew %.2f %% after %.1f min (limit 1 %%)\n",
                     growth, settle);
        ok = false;
    }
    if (heap_growth > heap_limit) {
        std::fprintf(stderr,
                     "soak FAILED: heap in use grew %.2f MB after %.1f min (limit %.2f MB: 0.5 MB "
                     "a stream for the tags of a full output buffer, plus 1 %%)\n",
                     heap_growth, settle, heap_limit);
        ok = false;
    }
    if (ok)
        std::printf("soak passed: no window lost, memory growth %.2f %% (limit 1 %%), heap in use "
                    "%+.2f MB (limit %.2f MB)\n",
                    growth, heap_growth, heap_limit);
    return ok ? 0 : 1;
}
#endif

} // namespace apps
} // namespace tfmed
