/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_RECORDING_SOURCE_IMPL_H
#define INCLUDED_TFMED_RECORDING_SOURCE_IMPL_H

#include <gnuradio/io_signature.h>
#include <gnuradio/sync_block.h>
#include <tfmed/io/recording.h>

#include <pmt/pmt.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace gr {
namespace tfmed {

/*! Select channels of a recording in make(), with a clear error for bad indices. */
::tfmed::io::Recording select_channels(::tfmed::io::Recording r,
                                       const std::vector<int>& channels,
                                       const std::string& block);

/*!
 * One implementation behind every recording replay block (wfdb_source,
 * edf_source, ...): `Iface` is the public block class.
 */
template <class Iface>
class recording_source_impl : public Iface
{
public:
    /*! Annotations leave as `annotation_key` tags: a dict (symbol, aux, code,
     *  ...) or, with `symbol_only`, just the symbol (table_source's labels). */
    recording_source_impl(const char* name,
                          ::tfmed::io::Recording rec,
                          bool realtime,
                          bool repeat,
                          const char* annotation_key = "annotation",
                          bool symbol_only = false)
        : gr::sync_block(name,
                         gr::io_signature::make(0, 0, 0),
                         gr::io_signature::make(1, 1, sizeof(float) * rec.channels())),
          d_rec(in_stream_order(std::move(rec))),
          d_realtime(realtime),
          d_repeat(repeat),
          d_annotation_key(pmt::intern(annotation_key))
    {
        // Nothing to replay would end the stream at once, even with repeat.
        if (d_rec.n_samples == 0)
            throw std::invalid_argument(std::string("tfmed.") + name + ": " + d_rec.source +
                                        ": expected at least one sample to replay, found none "
                                        "(an empty file, or start/length selecting nothing)");
        // Annotations outside the samples replayed (EDF+ allows them; a
        // start/length selection cuts them) have no item to ride on: said.
        std::size_t outside = 0;
        for (const auto& a : d_rec.annotations)
            outside += a.sample < 0 || a.sample >= d_rec.n_samples ? 1 : 0;
        if (outside > 0)
            this->d_logger->warn("{} of {} annotation(s) lie outside the {} sample(s) replayed and "
                           "are not tagged",
                           outside, d_rec.annotations.size(), d_rec.n_samples);
        // Annotation values are built once here, not in work().
        for (const auto& a : d_rec.annotations) {
            if (symbol_only) {
                d_annotation_values.push_back(pmt::string_to_symbol(a.symbol));
                continue;
            }
            pmt::pmt_t d = pmt::make_dict();
            d = pmt::dict_add(d, pmt::intern("symbol"), pmt::string_to_symbol(a.symbol));
            d = pmt::dict_add(d, pmt::intern("aux"), pmt::string_to_symbol(a.aux));
            d = pmt::dict_add(d, pmt::intern("code"), pmt::from_long(a.code));
            d = pmt::dict_add(d, pmt::intern("subtype"), pmt::from_long(a.subtype));
            d = pmt::dict_add(d, pmt::intern("channel"), pmt::from_long(a.channel));
            d = pmt::dict_add(d, pmt::intern("num"), pmt::from_long(a.num));
            if (a.duration > 0)
                d = pmt::dict_add(d, pmt::intern("duration"), pmt::from_double(a.duration));
            d_annotation_values.push_back(d);
        }
        auto strings = [](const std::vector<std::string>& v) {
            pmt::pmt_t p = pmt::make_vector(v.size(), pmt::PMT_NIL);
            for (size_t i = 0; i < v.size(); i++)
                pmt::vector_set(p, i, pmt::string_to_symbol(v[i]));
            return p;
        };
        d_names = strings(d_rec.channel_names);
        d_units = strings(d_rec.units);
    }

    int channels() const override { return d_rec.channels(); }
    double sample_rate() const override { return d_rec.sample_rate; }
    std::vector<std::string> channel_names() const override { return d_rec.channel_names; }
    std::vector<std::string> units() const override { return d_rec.units; }
    int64_t n_samples() const override { return d_rec.n_samples; }
    size_t n_annotations() const override { return d_rec.annotations.size(); }

    bool start() override
    {
        // A new run of the flowgraph (stop, wait, start: GNU Radio counts
        // items from 0 again) replays from the start, with the stream's
        // description tags. GNU Radio 3.10's unlock() restarts the graph the
        // same way (counters from 0, start() again), which a block cannot
        // tell from a new run: after lock()/unlock() the replay starts over.
        if (this->nitems_written(0) == 0 && (d_pos > 0 || d_pass > 0)) {
            d_pos = 0;
            d_next_annotation = 0;
            d_pass = 0;
        }
        d_t0 = std::chrono::steady_clock::now();
        d_paced = 0;
        return true;
    }

    int work(int noutput_items,
             gr_vector_const_void_star&,
             gr_vector_void_star& output_items) override
    {
        float* out = static_cast<float*>(output_items[0]);
        const int64_t n_total = d_rec.n_samples;
        if (n_total == 0 || (!d_repeat && d_pos >= n_total))
            return -1; // WORK_DONE
        int64_t n = noutput_items;
        if (d_realtime && !pace(n))
            return 0;
        const int c = d_rec.channels();
        int64_t done = 0;
        while (done < n) {
            if (d_pos >= n_total) {
                if (!d_repeat)
                    break;
                d_pos = 0;
                d_next_annotation = 0;
                d_pass++;
            }
            const int64_t k = std::min(n - done, n_total - d_pos);
            std::memcpy(out + done * c,
                        d_rec.samples.data() + d_pos * c,
                        static_cast<size_t>(k * c) * sizeof(float));
            tag(done, k);
            d_pos += k;
            done += k;
        }
        d_paced += done;
        return static_cast<int>(done);
    }

private:
    // Tags go out in stream order: a file may list its annotations out of
    // order (WFDB's SKIP may step back), and work() walks them with one
    // cursor, which would pass over an earlier one. Equal samples keep the
    // file's order.
    static ::tfmed::io::Recording in_stream_order(::tfmed::io::Recording r)
    {
        std::stable_sort(r.annotations.begin(), r.annotations.end(),
                         [](const auto& x, const auto& y) { return x.sample < y.sample; });
        return r;
    }

    // Annotations and stream-description tags for output items [at, at + k).
    void tag(int64_t at, int64_t k)
    {
        const uint64_t w = this->nitems_written(0) + at;
        if (d_pass == 0 && d_pos == 0) {
            this->add_item_tag(0, w, pmt::intern("sample_rate"),
                               pmt::from_double(d_rec.sample_rate));
            this->add_item_tag(0, w, pmt::intern("channel_names"), d_names);
            this->add_item_tag(0, w, pmt::intern("units"), d_units);
        }
        const auto& ann = d_rec.annotations;
        while (d_next_annotation < ann.size() &&
               ann[d_next_annotation].sample < d_pos + k) {
            const auto& a = ann[d_next_annotation];
            if (a.sample >= d_pos)
                this->add_item_tag(0, w + (a.sample - d_pos), d_annotation_key,
                                   d_annotation_values[d_next_annotation]);
            d_next_annotation++;
        }
    }

    // Real-time pacing: allow what the clock says is due, at most 20 ms ahead
    // of the last slice; when nothing is due yet, sleep here until it is (at
    // most about one slice). Returning 0 instead would let GNU Radio's
    // scheduler park the source for about 250 ms: bursts, not 20-ms slices.
    bool pace(int64_t& n)
    {
        const double rate = d_rec.sample_rate;
        // (Bounded before the conversions: a WFDB header may state 1e30 Hz,
        // where int64_t(rate * 0.02) is undefined.)
        const int64_t slice =
            std::max<int64_t>(1, static_cast<int64_t>(std::min(rate * 0.02, 1e15)));
        for (int tries = 0; tries < 50; ++tries) {
            const double elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - d_t0).count();
            const int64_t due =
                static_cast<int64_t>(std::min(elapsed * rate, 4e18)) + slice - d_paced;
            if (due > 0) {
                n = std::min<int64_t>(n, std::min(due, slice));
                return true;
            }
            const double wait = (d_paced - slice + 1) / rate - elapsed;
            std::this_thread::sleep_for(
                std::chrono::duration<double>(std::clamp(wait, 1e-4, 0.02)));
        }
        return false; // (a clock that stood still for a second: try again)
    }

    const ::tfmed::io::Recording d_rec;
    const bool d_realtime, d_repeat;
    const pmt::pmt_t d_annotation_key;
    std::vector<pmt::pmt_t> d_annotation_values;
    pmt::pmt_t d_names, d_units;
    int64_t d_pos = 0;
    size_t d_next_annotation = 0;
    int64_t d_pass = 0;
    int64_t d_paced = 0;
    std::chrono::steady_clock::time_point d_t0;
};

} // namespace tfmed
} // namespace gr

#endif
