/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnuradio/block_detail.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/io_signature.h>
#include <gnuradio/tfmed/spec_augment.h>
#include <tfmed/engine/augment_engine.h>

#include "item_limits.h"
#include "upstream_stft.h"

#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace gr {
namespace tfmed {

class spec_augment_impl : public spec_augment
{
public:
    spec_augment_impl(int vlen, int frames, const ::tfmed::augment::ViewOptions& v,
                      uint64_t seed, int view, bool normalise)
        : gr::sync_block("spec_augment",
                         gr::io_signature::make(1, 1, sizeof(float) * vlen),
                         gr::io_signature::make(1, 1, sizeof(float) * vlen)),
          d_vlen(vlen),
          d_frames(frames),
          d_opts(v),
          d_seed(seed),
          d_view(static_cast<uint64_t>(view)),
          d_normalise(normalise),
          d_key(pmt::intern("tfmed_augment")),
          d_id(pmt::intern("spec_augment"))
    {
        set_output_multiple(frames);
        // Tags ride on frames (stft's tfmed_label, annotation, tfmed_invalid):
        // work() moves them with their frames when a window is flipped.
        set_tag_propagation_policy(TPP_DONT);
    }

    void set_jitter(double p, double b, double c) override
    {
        update([&](auto& o) {
            o.jitter_p = p;
            o.brightness = b;
            o.contrast = c;
        });
    }
    void set_blur(double p, int k, double lo, double hi) override
    {
        update([&](auto& o) {
            o.blur_p = p;
            o.blur_kernel = k;
            o.blur_sigma_min = lo;
            o.blur_sigma_max = hi;
        });
    }
    void set_flip(double p) override
    {
        update([&](auto& o) { o.flip_p = p; });
    }
    void set_masks(int t, int f) override
    {
        update([&](auto& o) {
            o.time_mask = t;
            o.freq_mask = f;
        });
    }
    bool start() override
    {
        d_bad_windows = d_outside_windows = 0;
        d_checked = false;
        d_upstream.clear(); // a new run: frames count from 0 again
        return true;
    }
    bool stop() override
    {
        // Whole windows only (set_output_multiple): frames of a last partial
        // window are left in the input buffer. Say so rather than drop them
        // without a word.
        if (const auto det = detail(); det && det->ninputs() > 0 && det->input(0)) {
            const auto left = det->input(0)->items_available();
            // At the stream's end (a stop of a running graph, lock()/unlock(),
            // leaves frames waiting too: GNU Radio drops them at the restart).
            if (left > 0 && det->input(0)->done())
                d_logger->info("stream ended with {} frame(s) after the last whole window of "
                               "{}; they were not output",
                               left, d_frames);
            else if (left > 0)
                d_logger->info("stopped with {} frame(s) waiting in the input", left);
        }
        if (d_bad_windows > 1)
            d_logger->warn("{} window(s) held non-finite values, set to 0 before augmenting",
                           d_bad_windows);
        if (d_outside_windows > 1)
            d_logger->warn("{} window(s) held values outside [0, 1] with normalise off",
                           d_outside_windows);
        return true;
    }

    std::string settings() const override
    {
        std::lock_guard<std::mutex> l(d_mutex);
        return d_opts.to_string();
    }

    int work(int noutput_items, gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override
    {
        const auto* in = static_cast<const float*>(input_items[0]);
        auto* out = static_cast<float*>(output_items[0]);
        check_upstream();
        const std::size_t per = static_cast<std::size_t>(d_frames) * d_vlen;
        std::vector<gr::tag_t> tags;
        for (int w = 0; w < noutput_items / d_frames; ++w) {
            ::tfmed::augment::ViewOptions v; // a setter's change applies from the next window
            {
                std::lock_guard<std::mutex> l(d_mutex);
                v = d_opts;
            }
            const uint64_t id = (nitems_written(0) / d_frames) + static_cast<uint64_t>(w);
            // Non-finite values (a gap upstream) are set to 0 before the
            // augmentation: counted, tagged and logged, not hidden. Without
            // `normalise` the input must already be an image in [0, 1]: the
            // jitter clamps to it, so values outside are counted the same way.
            int64_t bad = 0, outside = 0;
            for (std::size_t k = 0; k < per; ++k) {
                const float x = in[w * per + k];
                bad += std::isfinite(x) ? 0 : 1;
                outside += !d_normalise && std::isfinite(x) && (x < 0.0f || x > 1.0f) ? 1 : 0;
            }
            const auto d = ::tfmed::engine::augment_window(in + w * per, out + w * per, d_frames,
                                                           d_vlen, v, d_normalise, d_seed, id,
                                                           d_view);
            pmt::pmt_t info = pmt::make_dict();
            info = pmt::dict_add(info, pmt::mp("window"), pmt::from_uint64(id));
            info = pmt::dict_add(info, pmt::mp("flip"), pmt::from_bool(d.flip));
            if (d.jitter) {
                info = pmt::dict_add(info, pmt::mp("brightness"), pmt::from_double(d.brightness));
                info = pmt::dict_add(info, pmt::mp("contrast"), pmt::from_double(d.contrast));
            }
            if (d.blur)
                info = pmt::dict_add(info, pmt::mp("sigma"), pmt::from_double(d.sigma));
            // The masks as (first, width): frames along time, values along the vector
            if (v.time_mask > 0)
                info = pmt::dict_add(info, pmt::mp("time_mask"),
                                     pmt::make_tuple(pmt::from_long(d.time_start),
                                                     pmt::from_long(d.time_width)));
            if (v.freq_mask > 0)
                info = pmt::dict_add(info, pmt::mp("freq_mask"),
                                     pmt::make_tuple(pmt::from_long(d.freq_start),
                                                     pmt::from_long(d.freq_width)));
            const uint64_t f0 = nitems_read(0) + static_cast<uint64_t>(w) * d_frames;
            if (d_upstream.mismatch(f0, f0 + static_cast<uint64_t>(d_frames)))
                // a frame of this window was not a magnitude
                info = pmt::dict_add(info, pmt::mp("stft_mismatch"), pmt::PMT_T);
            if (outside > 0) {
                info = pmt::dict_add(info, pmt::mp("out_of_range"), pmt::from_long(outside));
                if (d_outside_windows++ == 0)
                    d_logger->warn("window {}: {} value(s) outside [0, 1] with normalise off "
                                   "(view1's jitter clamps to [0, 1]: normalise on for STFT "
                                   "magnitudes; its tfmed_augment tag counts them, later windows "
                                   "are counted at the end)",
                                   id, outside);
            }
            if (bad > 0) {
                info = pmt::dict_add(info, pmt::mp("non_finite"), pmt::from_long(bad));
                if (d_bad_windows++ == 0)
                    d_logger->warn("window {}: {} non-finite value(s) set to 0 before "
                                   "augmenting (its tfmed_augment tag counts them; later "
                                   "windows are counted at the end)",
                                   id, bad);
            }
            const uint64_t w0 = nitems_written(0) + static_cast<uint64_t>(w) * d_frames;
            add_item_tag(0, w0, d_key, info, d_id);
            // The input's tags on this window's frames, at their frames' new
            // places (sync block: item n in is item n out).
            get_tags_in_range(tags, 0, nitems_read(0) + static_cast<uint64_t>(w) * d_frames,
                              nitems_read(0) + static_cast<uint64_t>(w + 1) * d_frames);
            for (const auto& t : tags) {
                const uint64_t rel = t.offset - (nitems_read(0) + static_cast<uint64_t>(w) * d_frames);
                const uint64_t to = d.flip ? static_cast<uint64_t>(d_frames) - 1 - rel : rel;
                add_item_tag(0, w0 + to, t.key, t.value, t.srcid);
            }
        }
        return noutput_items;
    }

private:
    // With the front end on, the input is taken as STFT magnitudes (log1p):
    // an upstream tfmed.stft giving power, dB or complex values makes views
    // of something else, which a trainer downstream would learn from. Its
    // output can change while the graph runs (set_output): polled by its
    // change count on every call, said once per change. (Frames from any
    // other block are taken as they come.)
    void check_upstream()
    {
        if (!d_normalise)
            return;
        if (!d_checked) {
            d_checked = true;
            d_changes = UINT64_MAX;
            const auto up = upstream_stft(*this);
            d_stft = up;
        }
        const auto up = d_stft.lock();
        if (!up || up->settings_changes() == d_changes)
            return;
        d_changes = up->settings_changes();
        uint64_t at = 0;
        const std::string now = up->settings(at);
        const bool wrong = now.find("output=magnitude") == std::string::npos;
        // From its first frame on, not from this call's (frames made before
        // the change may still wait in this block's input).
        d_upstream.note(at, wrong ? now.substr(0, now.find(" on ")) : std::string());
        if (wrong)
            d_logger->error("the upstream tfmed.stft is {}: with normalise on, this block takes "
                            "STFT magnitudes (log1p, min-max per window, the TRLS front end); "
                            "its views are of other values",
                            now.substr(0, now.find(" on ")));
    }

    template <typename F>
    void update(F f)
    {
        std::lock_guard<std::mutex> l(d_mutex);
        auto o = d_opts;
        f(o);
        o.validate(); // throws, naming the setting, before anything changes
        // (The width is drawn up to the bound, and up to the window's size.)
        if (o.time_mask > d_frames || o.freq_mask > d_vlen)
            throw std::invalid_argument(
                "tfmed.spec_augment: expected mask widths of at most the window's " +
                std::to_string(d_frames) + " frames (time) and " + std::to_string(d_vlen) +
                " values per frame (frequency), found time " + std::to_string(o.time_mask) +
                " and frequency " + std::to_string(o.freq_mask));
        if (o.blur_p > 0 && o.blur_kernel / 2 >= std::min(d_vlen, d_frames))
            throw std::invalid_argument("tfmed.spec_augment: blur kernel " +
                                        std::to_string(o.blur_kernel) + " is too large for " +
                                        std::to_string(d_vlen) + " x " +
                                        std::to_string(d_frames) + " windows");
        d_opts = o;
    }

    const int d_vlen, d_frames;
    mutable std::mutex d_mutex;
    ::tfmed::augment::ViewOptions d_opts;
    const uint64_t d_seed, d_view;
    const bool d_normalise;
    const pmt::pmt_t d_key, d_id;
    uint64_t d_bad_windows = 0;     // windows with non-finite input (work() thread only)
    uint64_t d_outside_windows = 0; // windows outside [0, 1] without normalise (same)
    bool d_checked = false;         // upstream looked up (work() thread only)
    std::weak_ptr<stft> d_stft;     // the upstream tfmed.stft, if any
    uint64_t d_changes = 0;         // its settings_changes() when last read
    StftTransitions d_upstream;     // its outputs, frame by frame (normalise on)
};

spec_augment::sptr spec_augment::make(int vlen, int frames_per_window, const std::string& preset,
                                      uint64_t seed, int view, bool normalise)
{
    const std::string me = "tfmed.spec_augment: ";
    if (vlen < 1)
        throw std::invalid_argument(me + "expected vlen >= 1, found " + std::to_string(vlen));
    if (frames_per_window < 1)
        throw std::invalid_argument(me + "expected frames_per_window >= 1, found " +
                                    std::to_string(frames_per_window));
    // The block works on whole windows (its output multiple)
    check_item_bytes(me + "windows", static_cast<uint64_t>(vlen) * frames_per_window,
                     sizeof(float),
                     "vlen " + std::to_string(vlen) + " x " +
                         std::to_string(frames_per_window) + " frames");
    if (view < 0)
        throw std::invalid_argument(me + "expected view >= 0, found " + std::to_string(view));
    ::tfmed::augment::ViewOptions v;
    if (preset == "view1")
        v = ::tfmed::augment::ViewOptions::view1();
    else if (preset == "view2")
        v = ::tfmed::augment::ViewOptions::view2();
    else
        throw std::invalid_argument(me + "preset: expected 'view1' or 'view2', found '" + preset +
                                    "'");
    if (v.blur_p > 0 && v.blur_kernel / 2 >= std::min(vlen, frames_per_window))
        throw std::invalid_argument(me + "blur kernel " + std::to_string(v.blur_kernel) +
                                    " is too large for " + std::to_string(vlen) + " x " +
                                    std::to_string(frames_per_window) + " windows");
    return gnuradio::make_block_sptr<spec_augment_impl>(vlen, frames_per_window, v, seed, view,
                                                        normalise);
}

} // namespace tfmed
} // namespace gr
