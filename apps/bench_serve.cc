/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed bench serve`: one model, many live streams. For each stream count N
 * it builds the graph itself (N replay sources of real MIT-BIH segments, each
 * from another offset, paced in real time or not) -> resampler 360 -> 500 Hz -> N
 * tsrnet_scorer blocks -> null sinks), runs it, and prints windows/s, the
 * latency from a window's hand-over to its score (p50/p95/p99), CPU, resident
 * memory and memory per stream, once with one shared engine and once with N
 * separate engines in the same command, and the ratio between them.
 */
#include "cli.h"
#include "common.h"
#include "figures.h"
#include "launch.h"
#include "serve_common.h"

#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/io/atomic.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <tuple>
#include <vector>

#ifdef TFMED_WITH_GNURADIO
#include <gnuradio/blocks/null_sink.h>
#include <gnuradio/blocks/vector_source.h>
#include <gnuradio/filter/rational_resampler.h>
#include <gnuradio/logger.h>
#include <gnuradio/tfmed/tsrnet_scorer.h>
#include <gnuradio/top_block.h>
#endif

namespace tfmed {
namespace apps {

struct ServeRow {
    int streams = 0;
    bool shared = true;
    double seconds = 0, windows = 0, windows_per_s = 0;
    double p50 = NAN, p95 = NAN, p99 = NAN, max_latency = NAN; // s
    double cpu_percent = 0, rss_mb = 0, mb_per_stream = 0;
    double mean_batch = 0;
    uint64_t overruns = 0;
    double due = 0; // windows real time would have given
    bool realtime_ok = false;
};

namespace {

#ifdef TFMED_WITH_GNURADIO
ServeRow run_case(const ServeBenchArgs& a, const std::string& model, double rate, int64_t window,
                  const std::vector<std::vector<float>>& sig, int n, bool shared, double seconds)
{
    const int hop = hop_samples(a.hop_s, rate);
    (void)window;
    auto tb = gr::make_top_block("bench_serve");
    std::vector<gr::tfmed::tsrnet_scorer::sptr> blocks;
    for (int s = 0; s < n; ++s) {
        const auto& x = sig[static_cast<std::size_t>(s)];
        gr::block_sptr src;
        if (a.realtime)
            src = gnuradio::make_block_sptr<paced_source>(x, 360.0, a.hop_s * s / n, 0);
        else
            src = gr::blocks::vector_source_f::make(x, true);
        // 360 -> 500 Hz: 25/18, the filter designed by GNU Radio.
        auto rs = gr::filter::rational_resampler_fff::make(25, 18);
        auto blk = gr::tfmed::tsrnet_scorer::make(model, 1, rate, hop, "cpu", NAN,
                                                  threads_for(a, shared), true, shared,
                                                  a.max_batch, a.max_wait_ms, a.queue,
                                                  a.realtime ? a.deadline_ms : 0.0);
        auto sink = gr::blocks::null_sink::make(sizeof(float));
        tb->connect(src, 0, rs, 0);
        tb->connect(rs, 0, blk, 0);
        tb->connect(blk, 0, sink, 0);
        blocks.push_back(blk);
    }
    auto scored = [&] {
        double w = 0;
        for (auto& b : blocks)
            w += double(b->windows_scored());
        return w;
    };
    const auto t0 = clock_type::now();
    tb->start();
    // The first window needs a whole window of signal and the engine warms
    // up: throughput and CPU count from a third of the run on.
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds / 3));
    const double c1 = cpu_seconds(), w1 = scored();
    const auto t1 = clock_type::now();
    // Latency over the same windows as windows/s: those scored from here on
    // (a block keeps the latencies of its last 65536 windows, in order).
    std::vector<uint64_t> scored1;
    for (auto& b : blocks)
        scored1.push_back(b->windows_scored());
    std::this_thread::sleep_for(std::chrono::duration<double>(2 * seconds / 3));
    ServeRow r;
    r.streams = n;
    r.shared = shared;
    r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    const double dt = std::chrono::duration<double>(clock_type::now() - t1).count();
    r.cpu_percent = 100.0 * (cpu_seconds() - c1) / dt;
    r.rss_mb = rss_mb();
    double batches_w = 0;
    r.windows = scored();
    r.windows_per_s = (r.windows - w1) / dt;
    {
        const auto j = nlohmann::json::parse(blocks[0]->serving());
        batches_w = j["mean_batch"].get<double>();
    }
    tb->stop();
    tb->wait();
    // The counts are still now: each block's latencies of the windows it
    // scored after the first third are the last (scored - scored1) of them.
    std::vector<float> lat;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        r.overruns += blocks[i]->overruns();
        const auto l = blocks[i]->latencies();
        const auto after = static_cast<std::size_t>(
            std::min<uint64_t>(l.size(), blocks[i]->windows_scored() - scored1[i]));
        lat.insert(lat.end(), l.end() - static_cast<std::ptrdiff_t>(after), l.end());
    }
    r.mean_batch = batches_w;
    r.p50 = quantile(lat, 0.50);
    r.p95 = quantile(lat, 0.95);
    r.p99 = quantile(lat, 0.99);
    r.max_latency = lat.empty() ? NAN : *std::max_element(lat.begin(), lat.end());
    r.mb_per_stream = NAN; // from the rows with the fewest and most streams, at the end
    // Real time: every stream's windows since its first full window, each
    // score within one hop of its window's end on the stream clock.
    const double per_stream = std::floor((seconds * rate - double(window)) / hop) + 1;
    r.due = std::max(0.0, per_stream) * n;
    r.realtime_ok = a.realtime ? (r.overruns == 0 && r.windows >= r.due - 2.0 * n)
                               : (r.windows_per_s >= n * rate / hop);
    return r;
}
#endif

nlohmann::json row_json(const ServeRow& r)
{
    return { { "streams", r.streams },
             { "engine", r.shared ? "shared" : "separate" },
             { "seconds", r.seconds },
             { "windows", r.windows },
             { "windows_per_s", r.windows_per_s },
             { "latency_p50_s", r.p50 },
             { "latency_p95_s", r.p95 },
             { "latency_p99_s", r.p99 },
             { "latency_max_s", r.max_latency },
             { "cpu_percent", r.cpu_percent },
             { "rss_mb", r.rss_mb },
             { "mb_per_stream", r.mb_per_stream },
             { "mean_batch", r.mean_batch },
             { "overruns", r.overruns },
             { "due", r.due },
             { "realtime_ok", r.realtime_ok } };
}

ServeRow row_of(const nlohmann::json& j)
{
    // NaN (no latency measured) travels as null.
    auto num = [&](const char* k) { return j.at(k).is_null() ? NAN : j.at(k).get<double>(); };
    ServeRow r;
    r.streams = j.at("streams").get<int>();
    r.shared = j.at("engine").get<std::string>() == "shared";
    r.seconds = num("seconds");
    r.windows = num("windows");
    r.windows_per_s = num("windows_per_s");
    r.p50 = num("latency_p50_s");
    r.p95 = num("latency_p95_s");
    r.p99 = num("latency_p99_s");
    r.max_latency = num("latency_max_s");
    r.cpu_percent = num("cpu_percent");
    r.rss_mb = num("rss_mb");
    r.mb_per_stream = num("mb_per_stream");
    r.mean_batch = num("mean_batch");
    r.overruns = j.at("overruns").get<uint64_t>();
    r.due = num("due");
    r.realtime_ok = j.at("realtime_ok").get<bool>();
    return r;
}


int run_bench_serve(ServeBenchArgs a)
{
    // Before the run (a soak is hours); not onto the model or each other.
    check_outputs({ a.json, a.csv, a.plot }, { a.model });
#ifndef TFMED_WITH_GNURADIO
    (void)a;
    throw std::runtime_error("bench serve builds GNU Radio graphs; this tfmed was built without "
                             "GNU Radio (-DTFMED_ENABLE_GNURADIO=ON)");
#else
    if (a.soak_hours > 0 && (!a.json.empty() || a.fast || a.seconds > 0))
        throw std::runtime_error("bench serve --soak: runs in real time for its hours and "
                                 "writes --csv and --plot; expected none of --json, --fast, "
                                 "--seconds, found " +
                                 std::string(!a.json.empty() ? "--json"
                                             : a.fast        ? "--fast"
                                                             : "--seconds"));
    if (a.realtime && a.fast)
        throw std::runtime_error("bench serve: expected one of --realtime and --fast, found both");
    if (!a.realtime)
        a.fast = true;
    for (int n : a.streams)
        if (n < 1 || n > 1024)
            throw std::runtime_error("bench serve: expected stream counts from 1 to 1024, found " +
                                     std::to_string(n));
    const double seconds = a.seconds > 0 ? a.seconds : (a.realtime ? 40.0 : 15.0);
    std::string model = a.model;
    std::string what;
    RemoveOnExit tmp; // the fresh network's model file
    if (a.paper && (a.width > 0 || a.d_model > 0))
        throw std::runtime_error("bench serve: expected --paper or --width/--d-model, found both");
    if ((a.width > 0) != (a.d_model > 0))
        throw std::runtime_error("bench serve: expected --width and --d-model together");
    if (a.paper || a.width > 0) {
        // A fresh network on one lead at 500 Hz (the paper's size: width 32,
        // d_model 50); the weights do not change the speed.
        models::TsrnetCard c;
        c.leads = 1;
        c.width = a.paper ? 32 : a.width;
        c.d_model = a.paper ? 50 : a.d_model;
        c.threshold = 1.0;
        tmp.p = (
            std::filesystem::temp_directory_path() /
            ("tfmed_bench_serve_" + std::to_string(getpid()) + ".tfm"));
        engine::write_untrained_tsrnet(tmp.p.string(), c, 1);
        model = tmp.p.string();
        what = std::string(a.paper ? "paper-size " : "") + "TSRNet (width " +
               std::to_string(c.width) + ", d_model " + std::to_string(c.d_model) +
               ", untrained)";
    } else if (model.empty()) {
        model = find_demo_model();
        what = "demo model " + std::filesystem::path(model).filename().string();
    } else {
        what = model;
    }
    double rate = 0;
    int64_t window = 0;
    {
        engine::TsrnetEngine e(model, "cpu", 1, true);
        rate = e.card().prep.sample_rate;
        window = e.card().window();
        if (e.card().leads != 1)
            throw std::runtime_error("bench serve: expected a 1-lead model (the streams are "
                                     "single-lead MIT-BIH), found " +
                                     std::to_string(e.card().leads) + " leads");
    }
    hop_samples(a.hop_s, rate); // refused before any stream starts
    gr::logging::singleton().set_default_level(gr::log_level::warn);
    if (a.soak_hours > 0)
        return run_interruptible([&] { return run_soak(a, model, what, rate, window); });
    if (!a.one_case.empty()) {
        // One row in this fresh process (see below): a short untimed run
        // first (LibTorch's one-time set-up, the allocator's first growth),
        // then the case; the row goes to --row-json.
        const auto colon = a.one_case.find(':');
        const std::string kind = colon == std::string::npos ? "" : a.one_case.substr(colon + 1);
        int n = 0;
        try {
            n = std::stoi(a.one_case.substr(0, colon));
        } catch (const std::exception&) {
        }
        if (n < 1 || (kind != "shared" && kind != "separate") || a.row_json.empty())
            throw std::runtime_error("bench serve: expected --one-case N:shared|separate with "
                                     "--row-json, found '" + a.one_case + "'");
        gr::logging::singleton().set_default_level(gr::log_level::warn);
        const auto sig =
            stream_signals(a.data_dir.empty() ? data::default_data_dir() : a.data_dir, n);
        gr::logging::singleton().set_default_level(gr::log_level::warn);
        run_case(a, model, rate, window, sig, 1, true, 3.0);
        const auto r = run_case(a, model, rate, window, sig, n, kind == "shared", seconds);
        write_atomically(a.row_json, row_json(r).dump() + "\n");
        return 0;
    }
    const int max_n = *std::max_element(a.streams.begin(), a.streams.end());
    // The data is read here, before the first case starts (each case reads it again).
    (void)stream_signals(a.data_dir.empty() ? data::default_data_dir() : a.data_dir, max_n);
    gr::logging::singleton().set_default_level(gr::log_level::warn);
    const unsigned cores = std::thread::hardware_concurrency();
    std::printf("bench serve: %s\n  %s, %.0f Hz, window %lld samples, hop %.2f s; %s, %.0f s per "
                "run; max_batch %d, max_wait %.1f ms, queue %d; intra-op threads: shared engine "
                "%d, private engines %d each; %u cores\n",
                what.c_str(), a.realtime ? "real time (paced sources, 10-ms chunks, out of step)" : "as fast as possible",
                rate, static_cast<long long>(window), a.hop_s,
                "MIT-BIH segments 360 -> 500 Hz", seconds, a.max_batch, a.max_wait_ms, a.queue,
                threads_for(a, true), threads_for(a, false), cores);
    std::printf("%7s %-8s %10s %9s %9s %9s %7s %8s %6s %8s %s\n", "streams", "engine",
                "windows/s", "p50 ms", "p95 ms", "p99 ms", "CPU %", "RSS MB", "batch", "overrun",
                "real time");
    // Each case runs in a fresh process (this command again, with
    // --one-case): the allocator keeps freed memory, so in one process a
    // case's resident memory included what the cases before it had grown
    // (16 shared streams read 1,156 MB after 4 separate engines reached
    // 1,145 MB). Each child first makes a short untimed run of one stream.
    auto run_isolated = [&](int n, bool shared) {
        const auto tmp = std::filesystem::temp_directory_path() /
                         ("tfmed-bench-serve-" + std::to_string(::getpid()) + "-" +
                          std::to_string(n) + (shared ? "s" : "p") + ".json");
        auto argv = command_line();
        argv.insert(argv.end(),
                    { "--one-case", std::to_string(n) + (shared ? ":shared" : ":separate"),
                      "--row-json", tmp.string() });
        const RemoveOnExit remove(tmp);
        const int rc = launch_workers(1, argv, {}, 5.0);
        throw_if_stopped("bench serve");
        if (rc != 0)
            throw std::runtime_error("bench serve: the run of " + std::to_string(n) + " " +
                                     (shared ? "shared" : "separate") +
                                     " stream(s) failed (status " + std::to_string(rc) + ")");
        std::ifstream f(tmp);
        return row_of(nlohmann::json::parse(f));
    };
    std::vector<ServeRow> rows;
    for (int n : a.streams) {
        for (int shared = 1; shared >= (a.no_separate ? 1 : 0); --shared) {
            if (!shared && n > a.separate_max) {
                // Each private engine keeps the memory of its own largest
                // batch (hundreds of MB at max_batch 16): N of them at once
                // can exhaust the machine.
                std::printf("%7d %-8s   (skipped: more than --separate-max %d engines)\n", n,
                            "separate", a.separate_max);
                continue;
            }
            auto r = run_isolated(n, shared == 1);
            std::printf("%7d %-8s %10.1f %9.1f %9.1f %9.1f %7.0f %8.0f %6.2f %8llu %s\n", n,
                        shared ? "shared" : "separate", r.windows_per_s, 1e3 * r.p50,
                        1e3 * r.p95, 1e3 * r.p99, r.cpu_percent, r.rss_mb, r.mean_batch,
                        static_cast<unsigned long long>(r.overruns), r.realtime_ok ? "yes" : "no");
            std::fflush(stdout);
            rows.push_back(r);
        }
    }
    // Summary: the largest N that kept up, and shared vs separate.
    int largest = 0;
    for (const auto& r : rows)
        if (r.shared && r.realtime_ok)
            largest = std::max(largest, r.streams);
    std::printf("largest stream count that kept real time (shared engine): %d\n", largest);
    // Memory per stream: resident memory with the most streams less that
    // with the fewest, per added stream, for each kind of engine.
    for (int shared = 1; shared >= 0; --shared) {
        const ServeRow *lo = nullptr, *hi = nullptr;
        for (const auto& r : rows)
            if (r.shared == (shared == 1)) {
                if (!lo || r.streams < lo->streams)
                    lo = &r;
                if (!hi || r.streams > hi->streams)
                    hi = &r;
            }
        if (lo && hi && hi->streams > lo->streams) {
            const double per = (hi->rss_mb - lo->rss_mb) / (hi->streams - lo->streams);
            std::printf("memory per added stream (%s): %.1f MB (RSS %.0f MB at %d streams, "
                        "%.0f MB at %d)\n",
                        shared ? "shared engine" : "separate engines", per, hi->rss_mb,
                        hi->streams, lo->rss_mb, lo->streams);
            for (auto& r : rows)
                if (r.shared == (shared == 1))
                    r.mb_per_stream = per;
        }
    }
    if (a.fast) {
        for (const auto& r : rows)
            if (r.shared && r.streams == max_n)
                std::printf("capacity at %d streams: %.1f windows/s = %.0f streams of 1 window "
                            "per %.2f s\n",
                            max_n, r.windows_per_s, r.windows_per_s * a.hop_s, a.hop_s);
    }
    nlohmann::json ratios = nlohmann::json::array();
    for (const auto& s : rows) {
        if (!s.shared)
            continue;
        for (const auto& p : rows)
            if (!p.shared && p.streams == s.streams) {
                const double speed = p.windows_per_s > 0 ? s.windows_per_s / p.windows_per_s : NAN;
                const double cpu = s.cpu_percent > 0 ? p.cpu_percent / s.cpu_percent : NAN;
                const double mem = s.mb_per_stream > 0 ? p.mb_per_stream / s.mb_per_stream : NAN;
                const std::string sp = std::isnan(speed)
                                           ? std::string("- (separate engines scored no window "
                                                         "in the measured part)")
                                           : fmt("%.2f", speed) + "x";
                std::printf("%d streams: shared/separate windows/s %s, separate/shared CPU "
                            "%.2fx, p99 latency %s vs %s ms\n",
                            s.streams, sp.c_str(), cpu, fmt("%.1f", 1e3 * s.p99).c_str(),
                            fmt("%.1f", 1e3 * p.p99).c_str());
                ratios.push_back({ { "streams", s.streams },
                                   { "windows_per_s_ratio", speed },
                                   { "cpu_ratio_separate_over_shared", cpu },
                                   { "memory_per_stream_ratio", mem } });
            }
    }
    if (!a.json.empty()) {
        nlohmann::json j;
        j["model"] = what;
        j["mode"] = a.realtime ? "realtime" : "fast";
        j["seconds"] = seconds;
        j["hop_s"] = a.hop_s;
        j["max_batch"] = a.max_batch;
        j["max_wait_ms"] = a.max_wait_ms;
        j["queue"] = a.queue;
        j["threads_shared"] = threads_for(a, true);
        j["threads_separate"] = threads_for(a, false);
        j["cores"] = cores;
        j["largest_realtime_streams"] = largest;
        j["ratios"] = ratios;
        for (const auto& r : rows)
            j["rows"].push_back(row_json(r));
        write_atomically(a.json, j.dump(1) + "\n");
    }
    if (!a.plot.empty()) {
#ifdef TFMED_HAVE_PLOT
        plot::Panel thr{ "Throughput", "streams", "windows/s", {}, {} };
        plot::Panel lat{ "Latency, window hand-over to score (p50 solid, p99 dotted)", "streams",
                         "ms", {}, {} };
        for (int shared = 1; shared >= 0; --shared) {
            plot::Series w, p50, p99;
            const plot::Rgb col = shared ? plot::Rgb{ 30, 90, 200 } : plot::Rgb{ 200, 80, 30 };
            for (const auto& r : rows)
                if (r.shared == (shared == 1)) {
                    w.x.push_back(r.streams);
                    w.y.push_back(r.windows_per_s);
                    p50.x.push_back(r.streams);
                    p50.y.push_back(1e3 * r.p50);
                    p99.x.push_back(r.streams);
                    p99.y.push_back(1e3 * r.p99);
                }
            if (w.x.empty())
                continue;
            w.color = p50.color = p99.color = col;
            w.label = p50.label = shared ? "shared engine" : "separate engines";
            p99.label = "";
            p99.width = 0.8;
            p99.points = true;
            w.width = p50.width = 2.0;
            thr.series.push_back(w);
            lat.series.push_back(p50);
            lat.series.push_back(p99);
        }
        thr.ymin = lat.ymin = 0;
        save_panels({ thr, lat }, a.plot, "tfmed bench serve: " + what);
#else
        no_plot_support(a.plot);
#endif
    }
    return 0;
#endif
}

} // namespace

void add_serve_commands(Cli& cli)
{
    auto a = std::make_shared<ServeBenchArgs>();
    auto* c = cli.bench->add_subcommand(
        "serve", "Many live ECG streams through tsrnet_scorer: shared engine vs one per stream");
    c->add_option("--model", a->model, "TSRNet model file (default: the shipped demo model)");
    c->add_flag("--paper", a->paper, "A fresh paper-size network (width 32, d_model 50) instead");
    c->add_option("--width", a->width, "A fresh network of this width instead (with --d-model)")
        ->check(int_range(1, 1024));
    c->add_option("--d-model", a->d_model, "... and this d_model")->check(int_range(1, 4096));
    c->add_option("--streams", a->streams, "Stream counts to run")
        ->delimiter(',')
        ->capture_default_str();
    c->add_option("--seconds", a->seconds, "Seconds per run (default 15 fast, 40 real time)")
        ->check(kFinitePositive);
    c->add_flag("--realtime", a->realtime, "Pace every source at its sample rate");
    c->add_flag("--fast", a->fast, "Run as fast as possible (the default)");
    c->add_option("--max-batch", a->max_batch, "Windows per network call")
        ->check(int_range(1, 4096))
        ->capture_default_str();
    c->add_option("--max-wait-ms", a->max_wait_ms, "Wait for a fuller batch")
        ->check(kFiniteNonNegative)
        ->capture_default_str();
    c->add_option("--queue", a->queue, "Windows in flight per stream")
        ->check(int_range(1, 65536))
        ->capture_default_str();
    c->add_option("--threads", a->threads,
                  "Intra-op threads per engine (default: all cores for the shared engine, one "
                  "for each private engine)")
        ->check(int_range(1, kMaxThreads));
    c->add_option("--hop", a->hop_s, "Seconds between window starts")
        ->check(kFinitePositive)
        ->capture_default_str();
    c->add_option("--deadline", a->deadline_ms,
                  "Real time: a score later than this (ms) after its window's last sample "
                  "is an overrun")
        ->check(kFinitePositive)
        ->capture_default_str();
    c->add_flag("--no-separate", a->no_separate, "Skip the one-engine-per-stream runs");
    c->add_option("--separate-max", a->separate_max,
                  "Run one engine per stream only up to this many streams (memory)")
        ->check(int_range(1, 1024))
        ->capture_default_str();
    c->add_option("--data", a->data_dir,
                  "Shared data folder (default $TFMED_DATA_DIR or ../shared/data)");
    c->add_option("--json", a->json, "Also write the figures as JSON to this file");
    c->add_option("--plot", a->plot, "Write throughput and latency vs streams as PNG (with "
                                     "--soak: memory, latency and queue depth vs time)")
        ->check(png_output());
    c->add_option("--soak", a->soak_hours,
                  "Soak instead: one real-time run of this many hours (one --streams value); "
                  "exits 1 if a window is lost or memory grows > 1 % after 5 minutes")
        ->check(kFinitePositive);
    c->add_option("--sample", a->sample_s, "Soak: seconds between samples")
        ->check(kFinitePositive)
        ->capture_default_str();
    c->add_option("--csv", a->csv, "Soak: write the samples as CSV to this file");
    c->add_option("--one-case", a->one_case, "(internal: one row in this process)")->group("");
    c->add_option("--row-json", a->row_json, "(internal: where --one-case writes its row)")
        ->group("");
    cli.on(c, [a, c] {
        // Options of the other mode are refused, not ignored.
        const bool soak = a->soak_hours > 0;
        for (const auto& [opt, applies, what] :
             std::vector<std::tuple<const char*, bool, const char*>>{
                 { "--csv", soak, "the soak (--soak HOURS)" },
                 { "--sample", soak, "the soak (--soak HOURS)" },
                 { "--no-separate", !soak, "the table (the soak runs one shared engine)" },
                 { "--separate-max", !soak, "the table (the soak runs one shared engine)" },
                 { "--deadline", a->realtime || soak, "real time (--realtime or --soak)" } })
            if (c->count(opt) && !applies)
                throw std::invalid_argument(std::string("bench serve ") + opt + ": only for " +
                                            what);
        return run_bench_serve(*a);
    });
}

} // namespace apps
} // namespace tfmed
