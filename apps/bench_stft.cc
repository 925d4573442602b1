/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed bench stft`: input samples/s of the core streaming STFT and of the
 * tfmed.stft block in a flowgraph, next to two baselines measured in the same
 * run: a plain batched FFTW r2c loop (the practical ceiling) and GNU Radio's
 * own chain (stream_to_vector + fft_vfc + complex_to_mag; for overlap, one
 * keep_m_in_n branch per overlapping phase, joined by interleave).
 */
#include "cli.h"
#include "common.h"

#include <tfmed/dsp/stft_stream.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <random>
#include <vector>

#ifdef TFMED_HAVE_FFTW
#include <fftw3.h>
#endif
#ifdef TFMED_WITH_GNURADIO
#include <gnuradio/blocks/complex_to_mag.h>
#include <gnuradio/blocks/interleave.h>
#include <gnuradio/blocks/keep_m_in_n.h>
#include <gnuradio/blocks/null_sink.h>
#include <gnuradio/blocks/stream_to_vector.h>
#include <gnuradio/io_signature.h>
#include <gnuradio/sync_block.h>
#include <gnuradio/fft/fft_v.h>
#include <gnuradio/fft/window.h>
#include <gnuradio/logger.h>
#include <gnuradio/tfmed/stft.h>
#include <gnuradio/top_block.h>
#endif

namespace tfmed {
namespace apps {

struct StftCase {
    int n_fft;
    int hop;
    int channels = 1;
};

struct StftBenchRow {
    StftCase c;
    double core = 0, fftw = 0, block = 0, gnuradio = 0; //!< input samples/s
};

namespace {

using clock_type = std::chrono::steady_clock;
constexpr size_t kSignal = 1 << 20; // samples cycled through by the in-process loops

std::vector<float> noise(size_t n)
{
    std::mt19937 rng(42);
    std::normal_distribution<float> g;
    std::vector<float> x(n);
    for (auto& v : x)
        v = g(rng);
    return x;
}

// Run `once(n)` (which processes n samples) with n grown until it takes >= seconds,
// then twice more at that size; the best of the three is the figure (the other
// core of a small machine is never quite idle).
template <typename F>
double rate(F&& once, double seconds, size_t n0)
{
    auto timed = [&](size_t n) {
        const auto t0 = clock_type::now();
        once(n);
        return std::chrono::duration<double>(clock_type::now() - t0).count();
    };
    size_t n = n0;
    double dt = timed(n);
    while (dt < seconds && n < (size_t(1) << 40)) {
        n = static_cast<size_t>(n * std::min(10.0, 1.2 * seconds / std::max(dt, 1e-4)));
        dt = timed(n);
    }
    double best = n / dt;
    for (int i = 0; i < 2; i++)
        best = std::max(best, n / timed(n));
    return best;
}

// Samples per channel per push: 8192 for one channel, 64 Ki floats in all for
// more (what a GNU Radio buffer of that many channels hands over, and more).
size_t core_chunk(int channels)
{
    return std::clamp<size_t>(65536 / static_cast<size_t>(channels), 256, 8192);
}

double bench_core(const StftCase& c, const std::vector<float>& x, double seconds)
{
    const size_t ch = static_cast<size_t>(c.channels);
    dsp::StftStream s(dsp::StftOptions(c.n_fft, c.hop), c.channels);
    const size_t chunk = core_chunk(c.channels);
    s.reserve(chunk);
    std::vector<float> out((chunk / c.hop + 2) * s.frame_floats());
    size_t pos = 0; // in samples per channel
    const size_t len = x.size() / ch;
    return rate(
        [&](size_t n) {
            for (size_t done = 0; done < n; done += chunk * ch) {
                if (pos + chunk > len)
                    pos = 0;
                const size_t room = out.size() / s.frame_floats();
                s.push(x.data() + pos * ch, chunk);
                pos += chunk;
                while (s.pull(out.data(), room) > 0) {
                }
            }
        },
        seconds,
        1 << 20);
}

#ifdef TFMED_HAVE_FFTW
// The ceiling: frames cut from contiguous memory, windowed, one batched r2c
// plan, magnitude. No streaming state, no boundary, no NaN check; channels
// are independent, so C channels cost what one channel of C times the
// samples costs (and no deinterleaving is counted).
double bench_fftw(const StftCase& c, const std::vector<float>& x, double seconds)
{
    const int n = c.n_fft, half = n / 2 + 1, batch = std::clamp(4096 / n, 1, 32);
    float* in = fftwf_alloc_real(batch * n);
    fftwf_complex* z = fftwf_alloc_complex(batch * half);
    std::vector<float> mag(batch * half), w(n);
    for (int i = 0; i < n; i++)
        w[i] = 0.5f - 0.5f * std::cos(2.0f * float(M_PI) * i / n);
    fftwf_plan p =
        fftwf_plan_many_dft_r2c(1, &n, batch, in, nullptr, 1, n, z, nullptr, 1, half, FFTW_MEASURE);
    const size_t frames_in_signal = (x.size() - n) / c.hop;
    size_t k = 0;
    const double r = rate(
        [&](size_t samples) {
            const size_t frames = samples / c.hop;
            for (size_t f = 0; f < frames; f += batch) {
                for (int b = 0; b < batch; b++, k++) {
                    if (k >= frames_in_signal)
                        k = 0;
                    const float* s = x.data() + k * c.hop;
                    for (int i = 0; i < n; i++)
                        in[b * n + i] = w[i] * s[i];
                }
                fftwf_execute(p);
                for (int i = 0; i < batch * half; i++)
                    mag[i] = std::sqrt(z[i][0] * z[i][0] + z[i][1] * z[i][1]);
            }
        },
        seconds,
        1 << 20);
    fftwf_destroy_plan(p);
    fftwf_free(in);
    fftwf_free(z);
    return r;
}
#endif

#ifdef TFMED_WITH_GNURADIO
// The graph's source: `n` items of `vlen` floats cycled out of x, then done.
// One copy per sample (vector_source -> head would make two, and the
// source, not the block under test, would set the pace).
class cyclic_source : public gr::sync_block
{
public:
    cyclic_source(const std::vector<float>& x, int vlen, uint64_t n)
        : gr::sync_block("cyclic_source",
                         gr::io_signature::make(0, 0, 0),
                         gr::io_signature::make(1, 1, sizeof(float) * vlen)),
          d_x(x),
          d_vlen(static_cast<size_t>(vlen)),
          d_items(x.size() / static_cast<size_t>(vlen)),
          d_left(n)
    {
    }
    int work(int noutput_items, gr_vector_const_void_star&, gr_vector_void_star& out) override
    {
        if (d_left == 0)
            return WORK_DONE;
        auto* o = static_cast<float*>(out[0]);
        const size_t n = std::min<uint64_t>(static_cast<uint64_t>(noutput_items), d_left);
        for (size_t done = 0; done < n;) {
            const size_t k = std::min(n - done, d_items - d_pos);
            std::memcpy(o + done * d_vlen, d_x.data() + d_pos * d_vlen, k * d_vlen * sizeof(float));
            done += k;
            d_pos = (d_pos + k) % d_items;
        }
        d_left -= n;
        return static_cast<int>(n);
    }

private:
    const std::vector<float>& d_x;
    size_t d_vlen, d_items, d_pos = 0;
    uint64_t d_left;
};

// Time a flowgraph source(n samples) -> [chain] -> sink. The source's buffer
// holds 4 MiB (GNU Radio's default, 64 KiB, would hand the block 8192
// samples a call and measure the scheduler's per-call cost instead).
template <typename Build>
double bench_graph(const std::vector<float>& x, int vlen, double seconds, size_t n0, Build&& build)
{
    return rate(
        [&](size_t n) {
            auto tb = gr::make_top_block("bench");
            auto src = gnuradio::make_block_sptr<cyclic_source>(x, vlen, n / vlen);
            src->set_min_output_buffer(0, (1 << 20) / vlen);
            build(tb, src);
            tb->run();
        },
        seconds,
        n0);
}

double bench_block(const StftCase& c, const std::vector<float>& x, double seconds)
{
    return bench_graph(x, c.channels, seconds, 1 << 20, [&](gr::top_block_sptr tb, gr::basic_block_sptr in) {
        auto stft = gr::tfmed::stft::make(c.channels, c.n_fft, c.hop);
        auto sink = gr::blocks::null_sink::make(sizeof(float) * c.channels * stft->bins());
        tb->connect(in, 0, stft, 0);
        tb->connect(stft, 0, sink, 0);
    });
}

double bench_gnuradio_chain(const StftCase& c, const std::vector<float>& x, double seconds)
{
    // R = ceil(n_fft / hop) phases; phase r keeps n_fft of every R*hop samples
    // from offset r*hop, so its frames never overlap; interleave restores order.
    const int phases = (c.n_fft + c.hop - 1) / c.hop;
    const auto window = gr::fft::window::hann(c.n_fft);
    return bench_graph(x, 1, seconds, 1 << 18, [&](gr::top_block_sptr tb, gr::basic_block_sptr in) {
        auto sink = gr::blocks::null_sink::make(sizeof(float) * c.n_fft);
        gr::basic_block_sptr join = sink;
        if (phases > 1) {
            join = gr::blocks::interleave::make(sizeof(float) * c.n_fft);
            tb->connect(join, 0, sink, 0);
        }
        for (int r = 0; r < phases; r++) {
            auto s2v = gr::blocks::stream_to_vector::make(sizeof(float), c.n_fft);
            auto fft = gr::fft::fft_v<float, true>::make(c.n_fft, window, false, 1);
            auto mag = gr::blocks::complex_to_mag::make(c.n_fft);
            if (phases > 1) {
                auto keep = gr::blocks::keep_m_in_n::make(
                    sizeof(float), c.n_fft, phases * c.hop, r * c.hop);
                tb->connect(in, 0, keep, 0);
                tb->connect(keep, 0, s2v, 0);
            } else {
                tb->connect(in, 0, s2v, 0);
            }
            tb->connect(s2v, 0, fft, 0);
            tb->connect(fft, 0, mag, 0);
            tb->connect(mag, 0, join, phases > 1 ? r : 0);
        }
    });
}
#endif

std::vector<StftBenchRow> bench_stft(const std::vector<StftCase>& cases,
                                     double seconds,
                                     bool with_graphs)
{
    const auto x = noise(kSignal);
    std::vector<StftBenchRow> rows;
#ifdef TFMED_WITH_GNURADIO
    // Buffer-size notices of odd item sizes would bury the figures.
    gr::logging::singleton().set_default_level(spdlog::level::err);
#endif
    for (const auto& c : cases) {
        StftBenchRow r;
        r.c = c;
        std::fprintf(stderr, "  n_fft %5d hop %4d channels %3d: core, fftw loop (twice, in turn)",
                     c.n_fft, c.hop, c.channels);
        // Core and FFTW loop in turn, twice, the best of each: their ratio is
        // the figure, and a shared machine's speed drifts over seconds.
        for (int round = 0; round < 2; round++) {
            r.core = std::max(r.core, bench_core(c, x, seconds));
#ifdef TFMED_HAVE_FFTW
            r.fftw = std::max(r.fftw, bench_fftw(c, x, seconds));
#endif
        }
#ifdef TFMED_WITH_GNURADIO
        if (with_graphs) {
            std::fprintf(stderr, ", block");
            r.block = bench_block(c, x, seconds);
            // One chain per channel and phase would be hundreds of blocks.
            if (c.channels == 1) {
                std::fprintf(stderr, ", gnuradio chain");
                r.gnuradio = bench_gnuradio_chain(c, x, seconds);
            }
        }
#else
        (void)with_graphs;
#endif
        std::fprintf(stderr, "\n");
        rows.push_back(r);
    }
    return rows;
}

std::string ratio(double a, double b)
{
    if (a <= 0 || b <= 0)
        return "      -";
    char s[32];
    std::snprintf(s, sizeof s, a / b < 10 ? "%6.2fx" : "%6.1fx", a / b);
    return s;
}

std::string msps(double v)
{
    if (v <= 0)
        return "       -";
    char s[32];
    std::snprintf(s, sizeof s, "%8.1f", v / 1e6);
    return s;
}

struct StftBenchArgs {
    double seconds = 1.0;
    // One channel; then 12 ECG leads (TSRNet's STFT) and 64 EEG channels
    // (TRLS's 128/32).
    std::vector<std::string> cases{ "125:63", "16:1", "256:64", "1024:256", "256:256",
                                    "125:63x12", "128:32x64" };
    bool no_graphs = false;
    std::string json;
};

int run_bench_stft(const StftBenchArgs& a)
{
    std::vector<StftCase> cases;
    for (const auto& s : a.cases) {
        const auto colon = s.find(':'), times = s.find('x');
        const auto bad = [&](const std::string& what) {
            return std::invalid_argument("bench stft: --case expected " + what + ", found '" + s +
                                         "'");
        };
        StftCase c;
        try {
            size_t used = 0;
            if (colon == std::string::npos)
                throw std::invalid_argument(s);
            c.n_fft = std::stoi(s.substr(0, colon), &used);
            if (used != colon)
                throw std::invalid_argument(s);
            const std::string hop = s.substr(colon + 1, times == std::string::npos ? std::string::npos
                                                                               : times - colon - 1);
            c.hop = std::stoi(hop, &used);
            if (used != hop.size())
                throw std::invalid_argument(s);
            if (times != std::string::npos) {
                const std::string ch = s.substr(times + 1);
                c.channels = std::stoi(ch, &used);
                if (used != ch.size())
                    throw std::invalid_argument(s);
            }
        } catch (const std::exception&) {
            throw bad("N_FFT:HOP or N_FFT:HOPxCHANNELS (e.g. 125:63 or 125:63x12)");
        }
        // The loops cycle through kSignal samples: a frame must fit in them
        // many times over (a longer one read past the signal's end).
        if (c.n_fft <= 0 || c.hop <= 0 || c.hop > c.n_fft ||
            static_cast<size_t>(c.n_fft) > kSignal / 4)
            throw bad("0 < HOP <= N_FFT <= " + std::to_string(kSignal / 4));
        if (c.channels <= 0 || c.channels > 1024)
            throw bad("1 <= CHANNELS <= 1024");
        cases.push_back(c);
    }
    if (!a.json.empty())
        check_writable(a.json);
    std::fprintf(stderr, "tfmed bench stft: %g s per measurement, Hann, magnitude; "
                         "FFT backend %s, %u CPU(s)\n",
                 a.seconds, dsp::StftStream::fft_backend(),
                 std::thread::hardware_concurrency());
    const auto rows = bench_stft(cases, a.seconds, !a.no_graphs);

    std::printf("\nInput samples/s in M/s, all channels (higher is better)\n");
    std::printf("%6s %5s %4s | %8s %8s %7s | %8s %7s | %8s %7s\n", "n_fft", "hop", "ch", "core",
                "FFTW", "core/", "block", "block/", "GNURadio", "block/");
    std::printf("%6s %5s %4s | %8s %8s %7s | %8s %7s | %8s %7s\n", "", "", "", "stream", "loop",
                "FFTW", "in graph", "core", "chain", "GR");
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : rows) {
        std::printf("%6d %5d %4d | %s %s %s | %s %s | %s %s\n", r.c.n_fft, r.c.hop, r.c.channels,
                    msps(r.core).c_str(), msps(r.fftw).c_str(), ratio(r.core, r.fftw).c_str(),
                    msps(r.block).c_str(), ratio(r.block, r.core).c_str(),
                    msps(r.gnuradio).c_str(), ratio(r.block, r.gnuradio).c_str());
        j.push_back({ { "n_fft", r.c.n_fft },
                      { "hop", r.c.hop },
                      { "channels", r.c.channels },
                      { "core_samples_per_s", r.core },
                      { "fftw_loop_samples_per_s", r.fftw },
                      { "block_samples_per_s", r.block },
                      { "gnuradio_chain_samples_per_s", r.gnuradio } });
    }
    std::printf("\ncore stream: tfmed::dsp::StftStream push/pull, interleaved channels, 8192 "
                "samples per push (64 Ki floats for many channels)\n"
                "FFTW loop:   window + batched fftwf r2c + |X| on contiguous frames "
                "(ceiling; no deinterleaving)\n"
                "block:       source (4 MiB buffer) -> tfmed.stft -> null_sink\n"
                "GNU Radio:   per phase keep_m_in_n -> stream_to_vector -> fft_vfc(hann) "
                "-> complex_to_mag, joined by interleave (one channel only)\n");
    if (!a.json.empty()) {
        write_atomically(a.json, j.dump(1) + "\n");
        std::fprintf(stderr, "wrote %s\n", a.json.c_str());
    }
    return 0;
}

} // namespace

void add_stft_commands(Cli& cli)
{
    auto a = std::make_shared<StftBenchArgs>();
    auto* c = cli.bench->add_subcommand(
        "stft", "STFT: core stream and block vs. FFTW loop and GNU Radio's FFT chain");
    c->add_option("--seconds", a->seconds, "Seconds per measurement")
        ->check(kFinitePositive)
        ->capture_default_str();
    c->add_option("--case", a->cases, "N_FFT:HOP or N_FFT:HOPxCHANNELS settings to measure")
        ->capture_default_str();
    c->add_flag("--no-graphs", a->no_graphs, "Skip the flowgraph measurements");
    c->add_option("--json", a->json, "Also write the figures as JSON to this file");
    cli.on(c, [a] { return run_bench_stft(*a); });
}

} // namespace apps
} // namespace tfmed
