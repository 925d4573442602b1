/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What `tfmed bench serve` and its soak share: the options, the real ECG
 * streams they replay, the clock-paced source, process figures (CPU, RSS).
 */
#ifndef INCLUDED_TFMED_APPS_SERVE_COMMON_H
#define INCLUDED_TFMED_APPS_SERVE_COMMON_H

#include <tfmed/data/window_set.h>
#include <tfmed/io/table.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#ifdef TFMED_WITH_GNURADIO
#include <gnuradio/io_signature.h>
#include <gnuradio/sync_block.h>

#include <boost/thread/thread.hpp>
#endif

namespace tfmed {
namespace apps {

struct ServeBenchArgs {
    std::string model;
    bool paper = false;
    int width = 0, d_model = 0; // > 0: a fresh network of this size
    std::vector<int> streams{ 1, 4, 16, 64 };
    double seconds = 0.0; // 0: 15 s fast, 40 s real time
    bool realtime = false, fast = false;
    int max_batch = 16;
    double max_wait_ms = 2.0;
    int queue = 32;
    int threads = 0;          // 0: the shared engine all cores, each private engine one
    double hop_s = 1.0;
    bool no_separate = false;
    int separate_max = 16;
    std::string data_dir, json, plot;
    double deadline_ms = 3000.0; //!< real time: a score within this of its window's end
    double soak_hours = 0.0; //!< > 0: the soak instead of the table
    double sample_s = 60.0;
    std::string csv;
    std::string one_case, row_json; //!< internal: one row ("N:shared") in a fresh process
};

/*! --hop in samples at the model's rate: at least 1, at most a day of
 *  samples (2^31 - 1 bound). \throws std::runtime_error naming both */
inline int hop_samples(double hop_s, double rate)
{
    const double h = std::round(hop_s * rate);
    const double most = std::min(86400.0 * rate, 2147483647.0);
    if (!(h >= 1.0) || h > most)
        throw std::runtime_error(
            "bench serve --hop: expected 1 to " + std::to_string(static_cast<long long>(most)) +
            " samples at the model's " + std::to_string(rate) + " Hz (" +
            std::to_string(1.0 / rate) + " s to " + std::to_string(most / rate) + " s), found " +
            std::to_string(hop_s) + " s");
    return static_cast<int>(h);
}

using clock_type = std::chrono::steady_clock;

inline double rss_mb()
{
    std::ifstream f("/proc/self/statm");
    long pages = 0, resident = 0;
    f >> pages >> resident;
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Bytes the program holds from malloc (glibc's arena in use + mmapped
// chunks), MB: with rss_mb it tells a leak (this grows) from memory kept by
// the allocator or by LibTorch's kernel caches (only RSS grows).
inline double heap_in_use_mb()
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    const auto m = mallinfo2();
    return double(m.uordblks + m.hblkhd) / (1024.0 * 1024.0);
#else
    return NAN;
#endif
}

inline double cpu_seconds()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec) +
           double(u.ru_stime.tv_sec) + 1e-6 * double(u.ru_stime.tv_usec);
}

// The nearest-rank quantile: the smallest value with at least q of the
// values at or below it (p99 of 100 values is the 99th, not the largest).
inline double quantile(std::vector<float> v, double q)
{
    if (v.empty())
        return NAN;
    const double rank = std::ceil(q * static_cast<double>(v.size()));
    const auto k = static_cast<std::size_t>(
        std::clamp(rank - 1.0, 0.0, static_cast<double>(v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

inline std::vector<std::string> model_dirs()
{
    std::vector<std::string> d;
    if (const char* e = std::getenv("TFMED_MODEL_DIR"))
        d.emplace_back(e);
    std::stringstream ss(TFMED_MODEL_DIRS);
    for (std::string p; std::getline(ss, p, ':');)
        d.push_back(p);
    return d;
}

inline std::string find_demo_model()
{
    std::string tried;
    for (const auto& d : model_dirs()) {
        const auto p = (std::filesystem::path(d) / "tsrnet_demo_mitdb.tfm").string();
        if (std::filesystem::exists(p))
            return p;
        tried += (tried.empty() ? "" : ", ") + d;
    }
    throw std::runtime_error("expected the demo model tsrnet_demo_mitdb.tfm in one of " + tried +
                             ", found none (give --model)");
}

// Thirty 10-s MIT-BIH segments per stream (5 min at 360 Hz), stream s starting
// 13 s segments further on: every stream a different mix of records.
inline std::vector<std::vector<float>> stream_signals(const std::string& dir, int n)
{
    const auto path = (std::filesystem::path(dir) / "mitdb_compiled10s" / "X_mV.npy").string();
    if (!std::filesystem::exists(path))
        throw std::runtime_error(path + ": not found (expected the shared data set "
                                        "mitdb_compiled10s; give --data DIR)");
    const auto x = io::read_npy(path);
    if (x.shape.size() != 2 || x.shape[0] < 1)
        throw std::runtime_error(path + ": expected a (segments, samples) array");
    const int64_t segs = x.shape[0], len = x.shape[1];
    std::vector<std::vector<float>> out(static_cast<std::size_t>(n));
    for (int s = 0; s < n; ++s) {
        auto& v = out[static_cast<std::size_t>(s)];
        v.reserve(static_cast<std::size_t>(30 * len));
        for (int i = 0; i < 30; ++i) {
            const int64_t k = (int64_t(s) * 13 + i) % segs;
            v.insert(v.end(), x.data.begin() + k * len, x.data.begin() + (k + 1) * len);
        }
    }
    return out;
}

// Intra-op threads: as given, or the machine's cores for the one shared
// engine and one for each private engine (N of them share the cores).
inline int threads_for(const ServeBenchArgs& a, bool shared)
{
    if (a.threads > 0)
        return a.threads;
    return shared ? std::max(1u, std::thread::hardware_concurrency()) : 1;
}

#ifdef TFMED_WITH_GNURADIO
// A clock-paced replay source: `data` looped, `limit` samples in all (0: no
// end), each sample released when real time says it exists, in 10-ms chunks,
// starting `delay_s` after the graph starts (streams out of step, as on a
// ward). blocks.throttle would do the pacing, but in chunks as large as its
// output buffer (seconds of ECG), which a live acquisition never delivers.
class paced_source : public gr::sync_block
{
public:
    paced_source(std::vector<float> data, double rate, double delay_s, uint64_t limit)
        : gr::sync_block("paced_source",
                         gr::io_signature::make(0, 0, 0),
                         gr::io_signature::make(1, 1, sizeof(float))),
          d_data(std::move(data)),
          d_rate(rate),
          d_delay(delay_s),
          d_limit(limit),
          d_chunk(std::max<uint64_t>(1, static_cast<uint64_t>(rate / 100)))
    {
    }
    int work(int noutput_items, gr_vector_const_void_star&, gr_vector_void_star& out) override
    {
        using namespace std::chrono;
        if (!d_started) {
            d_t0 = clock_type::now() + duration_cast<clock_type::duration>(duration<double>(d_delay));
            d_started = true;
        }
        if (d_limit && d_n >= d_limit)
            return WORK_DONE;
        uint64_t k = std::min<uint64_t>(static_cast<uint64_t>(noutput_items), d_chunk);
        if (d_limit)
            k = std::min(k, d_limit - d_n);
        const auto due = d_t0 + duration_cast<clock_type::duration>(
                                    duration<double>(double(d_n + k) / d_rate));
        while (clock_type::now() < due) {
            boost::this_thread::interruption_point();
            std::this_thread::sleep_until(std::min(due, clock_type::now() + milliseconds(20)));
        }
        auto* o = static_cast<float*>(out[0]);
        for (uint64_t i = 0; i < k; ++i)
            o[i] = d_data[(d_n + i) % d_data.size()];
        d_n += k;
        return static_cast<int>(k);
    }

private:
    const std::vector<float> d_data;
    const double d_rate, d_delay;
    const uint64_t d_limit, d_chunk;
    bool d_started = false;
    clock_type::time_point d_t0;
    uint64_t d_n = 0;
};
#endif

#ifdef TFMED_WITH_GNURADIO
/*! The soak (`--soak`): serve_soak.cc. \return the exit status */
int run_soak(const ServeBenchArgs& a, const std::string& model, const std::string& what,
             double rate, int64_t window);
#endif

} // namespace apps
} // namespace tfmed

#endif
