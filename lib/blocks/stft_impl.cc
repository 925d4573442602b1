/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "stft_impl.h"

#include "item_limits.h"

#include <gnuradio/block_detail.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/gr_complex.h>
#include <gnuradio/io_signature.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gr {
namespace tfmed {

namespace dsp = ::tfmed::dsp;

stft::sptr stft::make(int channels,
                      int n_fft,
                      int hop,
                      int win_length,
                      const std::string& window,
                      bool periodic,
                      const std::string& convention,
                      bool center,
                      const std::string& pad_mode,
                      bool normalized,
                      bool onesided,
                      const std::string& output,
                      float log_floor)
{
    if (channels <= 0)
        throw std::invalid_argument("tfmed.stft: 'channels' expected > 0, found " +
                                    std::to_string(channels));
    auto opts = dsp::StftOptions(n_fft, hop)
                    .win_length(win_length)
                    .window(dsp::parse_window(window))
                    .periodic(periodic)
                    .convention(dsp::parse_convention(convention))
                    .center(center)
                    .pad_mode(dsp::parse_pad_mode(pad_mode))
                    .normalized(normalized)
                    .onesided(onesided)
                    .output(dsp::parse_output(output))
                    .log_floor(log_floor);
    opts.validate();
    const bool cplx = opts.output() == dsp::Output::complex;
    check_item_bytes("tfmed.stft: output items (one frame of every channel)",
                     static_cast<uint64_t>(channels) * static_cast<uint64_t>(opts.n_bins()),
                     cplx ? sizeof(gr_complex) : sizeof(float),
                     std::to_string(channels) + " channel(s) x " + std::to_string(opts.n_bins()) +
                         " bins");
    // A frame's samples wait in the input buffer (n_fft of every channel).
    check_item_bytes("tfmed.stft: one frame's input (n_fft samples of every channel)",
                     static_cast<uint64_t>(channels) * static_cast<uint64_t>(opts.n_fft()),
                     sizeof(float),
                     std::to_string(channels) + " channel(s) x n_fft " +
                         std::to_string(opts.n_fft()));
    return gnuradio::make_block_sptr<stft_impl>(channels, opts);
}

namespace {
size_t item_size(int channels, const dsp::StftOptions& o)
{
    return static_cast<size_t>(channels) * o.n_bins() *
           (o.output() == dsp::Output::complex ? sizeof(gr_complex) : sizeof(float));
}
} // namespace

stft_impl::stft_impl(int channels, const dsp::StftOptions& opts)
    : gr::block("stft",
                gr::io_signature::make(1, 1, sizeof(float) * channels),
                gr::io_signature::make(1, 1, item_size(channels, opts))),
      d_stream(opts, channels),
      d_channels(channels),
      d_bins(opts.n_bins()),
      d_hop(opts.hop()),
      d_center(opts.center_offset()),
      // Up to 256 Ki input floats a call (all channels): few calls, bounded buffers.
      d_max_frames(std::clamp<size_t>(262144 / (static_cast<size_t>(opts.hop()) * channels), 16, 16384)),
      d_invalid_key(pmt::intern("tfmed_invalid")),
      d_overflow_key(pmt::intern("tfmed_overflow")),
      d_invalid(d_max_frames)
{
    set_relative_rate(1, static_cast<uint64_t>(d_hop));
    // An output buffer that takes the most frames one call makes twice over
    // (up to 1 MiB): with GNU Radio's default 64 KiB a call of short hops
    // ends at the buffer, not at the input, and per-call overhead dominates.
    // Only where GNU Radio's default is smaller (odd item sizes are rounded
    // up to whole pages anyway); the port form does not log.
    const size_t isize = item_size(channels, opts);
    const size_t want = std::min<size_t>(2 * d_max_frames, (size_t(1) << 20) / isize);
    if (want > (size_t(64) << 10) / isize)
        set_min_output_buffer(0, static_cast<long>(want));
    set_tag_propagation_policy(TPP_DONT);
    // Room for the largest push work() makes, so pushes never allocate.
    d_stream.reserve(d_max_frames * d_hop + opts.n_fft() + 1);
    d_tags.reserve(64);
    d_bad.reserve(channels);
    d_over.reserve(channels);
}

bool stft_impl::start()
{
    // A new run of the flowgraph (stop, wait, start: GNU Radio counts items
    // from 0 again) is a new stream: the last run's samples, frames and tags
    // would otherwise shift every frame and tag. lock()/unlock() keeps the
    // count and the stream goes on.
    gr::thread::scoped_lock guard(d_setlock);
    if (nitems_read(0) == 0 && d_stream.samples_pushed() > 0) {
        d_stream.reset();
        d_pending.clear();
        d_changed_at = 0; // frames count from 0 again, all with the settings now in use
    }
    return true;
}

bool stft_impl::stop()
{
    // The block never calls finish() (a stream's end is not announced), so a
    // stream too short for one frame would otherwise end without a word.
    // Count what forecast() left waiting in the input buffer too: with fewer
    // samples than the first frame needs, work() is never called.
    gr::thread::scoped_lock guard(d_setlock);
    int64_t received = d_stream.samples_pushed();
    if (const auto det = detail(); det && det->ninputs() > 0 && det->input(0))
        received += det->input(0)->items_available();
    if (received > 0 && d_stream.frames_pulled() == 0)
        d_logger->warn("stream ended after {} samples per channel, fewer than the {} the "
                       "first frame needs ({}); no frame was produced",
                       received,
                       d_stream.samples_needed(0),
                       d_stream.options().to_string());
    return true;
}

std::string stft_impl::settings(uint64_t& first_frame) const
{
    gr::thread::scoped_lock guard(const_cast<gr::thread::mutex&>(d_setlock));
    first_frame = static_cast<uint64_t>(d_changed_at);
    return d_stream.options().to_string() + " on " + std::to_string(d_channels) +
           " channel(s), fft " + ::tfmed::dsp::StftStream::fft_backend();
}

std::string stft_impl::describe() const
{
    // basic_block::d_setlock is not mutable; locking does not change the block.
    gr::thread::scoped_lock guard(const_cast<gr::thread::mutex&>(d_setlock));
    return d_stream.options().to_string() + " on " + std::to_string(d_channels) +
           " channel(s), fft " + dsp::StftStream::fft_backend();
}

template <typename Change>
void stft_impl::retune(Change&& change)
{
    // Parse and validate outside the lock; the swap itself is under it.
    dsp::StftOptions o = [&] {
        gr::thread::scoped_lock guard(d_setlock);
        return d_stream.options();
    }();
    change(o);
    gr::thread::scoped_lock guard(d_setlock);
    const std::string before = d_stream.options().to_string();
    d_stream.retune(o); // throws before changing anything if not allowed
    if (d_stream.options().to_string() != before) {
        // Frames leave work() as they are pulled (under this lock), so the
        // next one pulled is the first made with the new settings.
        d_changed_at = d_stream.frames_pulled();
        ++d_changes;
    }
}

void stft_impl::set_window(const std::string& window)
{
    retune([&](dsp::StftOptions& o) { o.window(dsp::parse_window(window)); });
}

void stft_impl::set_log_floor(float log_floor)
{
    retune([&](dsp::StftOptions& o) { o.log_floor(log_floor); });
}

void stft_impl::set_output(const std::string& output)
{
    retune([&](dsp::StftOptions& o) { o.output(dsp::parse_output(output)); });
}

int64_t stft_impl::frame_of_sample(uint64_t sample) const
{
    // Nearest frame centre: centre(k) = k*hop + d_center.
    const int64_t d = static_cast<int64_t>(sample) - d_center + d_hop / 2;
    const int64_t k = d < 0 ? 0 : d / d_hop;
    // With a hop longer than the window a sample can lie after its nearest
    // frame's window; that frame leaves as soon as its own samples are in,
    // maybe before this sample is read, so the tag would land by how the
    // scheduler cut the stream. It goes to the next frame, the first that
    // still needs the sample. (hop <= window: the nearest frame always does.)
    return d_stream.samples_needed(k) <= static_cast<int64_t>(sample) ? k + 1 : k;
}

void stft_impl::forecast(int noutput_items, gr_vector_int& ninput_items_required)
{
    const int64_t last = d_stream.frames_pulled() +
                         std::min<int64_t>(noutput_items, d_max_frames) - 1;
    int64_t need = d_stream.samples_needed(last) - d_stream.samples_pushed();
    // GNU Radio stops a block that asks for more items than its input buffer
    // can hold (a first frame of 32768 samples behind a 16 Ki-item buffer).
    // The stream keeps what it is given, so such a frame arrives over several
    // calls: ask for at most half the buffer.
    if (const auto det = detail(); det && det->ninputs() > 0 && det->input(0))
        need = std::min<int64_t>(
            need, std::max(1, det->input(0)->max_possible_items_available() / 2));
    ninput_items_required[0] = static_cast<int>(std::max<int64_t>(need, 0));
}

int stft_impl::general_work(int noutput_items,
                            gr_vector_int& ninput_items,
                            gr_vector_const_void_star& input_items,
                            gr_vector_void_star& output_items)
{
    gr::thread::scoped_lock guard(d_setlock);
    const float* in = static_cast<const float*>(input_items[0]);
    float* out = static_cast<float*>(output_items[0]); // complex: (re, im) pairs

    const size_t max_out = std::min<size_t>(noutput_items, d_max_frames);
    const int64_t first = d_stream.frames_pulled();
    const int64_t need =
        d_stream.samples_needed(first + max_out - 1) - d_stream.samples_pushed();
    const int n_in = static_cast<int>(std::clamp<int64_t>(need, 0, ninput_items[0]));

    if (n_in > 0) {
        const uint64_t r0 = nitems_read(0);
        get_tags_in_range(d_tags, 0, r0, r0 + n_in);
        for (const auto& t : d_tags)
            d_pending.emplace_back(std::max(frame_of_sample(t.offset), first), t);
    }
    // Push and pull in pieces of about 64 Ki floats: the stream's buffer
    // and the frames being written stay in the cache (one push of a whole
    // call, up to 256 Ki floats, would go out to memory and back).
    const size_t piece = std::clamp<size_t>((size_t(1) << 16) / d_channels, 256, 8192);
    const size_t ff = d_stream.frame_floats();
    size_t produced = 0;
    int done = 0;
    for (;;) {
        const int k = std::min<int>(n_in - done, static_cast<int>(piece));
        if (k > 0)
            d_stream.push(in + static_cast<size_t>(done) * d_channels, k);
        done += k;
        produced += d_stream.pull(out + produced * ff, max_out - produced,
                                  d_invalid.data() + produced);
        if (done >= n_in || produced >= max_out)
            break;
    }
    if (done > 0)
        consume_each(done);
    const uint64_t w0 = nitems_written(0);
    while (!d_pending.empty() &&
           d_pending.front().first < first + static_cast<int64_t>(produced)) {
        const auto& p = d_pending.front();
        add_item_tag(0, p.first, p.second.key, p.second.value, p.second.srcid);
        d_pending.pop_front();
    }
    // Per frame and channel: NaN from NaN/Inf input is tagged tfmed_invalid;
    // any other non-finite value (power beyond the float range)
    // tfmed_overflow. Both values: s32 vector of the channel indices. Only
    // frames the engine flagged can hold either, so others are not scanned.
    const size_t fsize = d_stream.frame_floats() / d_channels;
    for (size_t f = 0; f < produced; f++) {
        if (d_invalid[f] == 0)
            continue;
        d_bad.clear();
        d_over.clear();
        for (int c = 0; c < d_channels; c++) {
            const float* v = out + (f * d_channels + c) * fsize;
            if ((d_invalid[f] & dsp::kFrameInvalid) && std::isnan(v[0]))
                d_bad.push_back(c);
            else if (dsp::count_nonfinite(v, fsize) > 0)
                d_over.push_back(c);
        }
        if (!d_bad.empty())
            add_item_tag(0, w0 + f, d_invalid_key, pmt::init_s32vector(d_bad.size(), d_bad));
        if (!d_over.empty())
            add_item_tag(
                0, w0 + f, d_overflow_key, pmt::init_s32vector(d_over.size(), d_over));
    }
    return static_cast<int>(produced);
}

} // namespace tfmed
} // namespace gr
