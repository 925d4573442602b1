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

#include <memory>

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

} // namespace tfmed
} // namespace gr

#endif
