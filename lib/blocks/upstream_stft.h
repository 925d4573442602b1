/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_BLOCKS_UPSTREAM_STFT_H
#define INCLUDED_TFMED_BLOCKS_UPSTREAM_STFT_H

#include <gnuradio/block.h>
#include <gnuradio/block_detail.h>
#include <gnuradio/buffer.h>
#include <gnuradio/buffer_reader.h>
#include <gnuradio/tfmed/stft.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>

namespace gr {
namespace tfmed {

/*!
 * \brief The tfmed.stft that writes input 0 of `b`, or null (another kind of
 * block, or a graph not running). For blocks that check their frames against
 * the STFT that made them (tfrnn_encoder, spec_augment); call from the
 * block's own thread (start() or work()).
 */
inline stft::sptr upstream_stft(gr::block& b)
{
    try {
        if (auto det = b.detail(); det && det->ninputs() > 0 && det->input(0))
            return std::dynamic_pointer_cast<stft>(det->input(0)->buffer()->link());
    } catch (const std::bad_weak_ptr&) { // the writer is gone
    }
    return nullptr;
}

/*!
 * \brief What an upstream tfmed.stft's frames were made with, frame by frame:
 * each change of its settings lands on the first frame made with them
 * (stft::settings(first_frame)), so a window is judged by the frames it
 * holds, not by the call in which the block reads it. Block thread only.
 */
class StftTransitions
{
public:
    /*! Frames from `at` on: `why` names what does not fit ("" = they fit). */
    void note(uint64_t at, std::string why)
    {
        if (!d_t.empty())
            at = std::max(at, d_t.back().first);
        if (!d_t.empty() && d_t.back().first == at) // the last made no frame
            d_t.back().second = std::move(why);
        else
            d_t.emplace_back(at, std::move(why));
    }
    /*! What does not fit in frames [a, b), or null when all fit. Windows
     *  come in order: transitions before `a` no later window needs go. */
    const std::string* mismatch(uint64_t a, uint64_t b)
    {
        while (d_t.size() > 1 && d_t[1].first <= a)
            d_t.pop_front();
        for (std::size_t i = 0; i < d_t.size(); ++i) {
            const uint64_t from = d_t[i].first;
            const uint64_t to = i + 1 < d_t.size() ? d_t[i + 1].first : UINT64_MAX;
            if (!d_t[i].second.empty() && from < to && from < b && to > a)
                return &d_t[i].second;
        }
        return nullptr;
    }
    /*! Whether the latest settings noted do not fit. */
    bool latest_mismatched() const { return !d_t.empty() && !d_t.back().second.empty(); }
    void clear() { d_t.clear(); }

private:
    std::deque<std::pair<uint64_t, std::string>> d_t; // (first frame, mismatch or "")
};

} // namespace tfmed
} // namespace gr

#endif
