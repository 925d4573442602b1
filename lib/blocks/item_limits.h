/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_BLOCKS_ITEM_LIMITS_H
#define INCLUDED_TFMED_BLOCKS_ITEM_LIMITS_H

#include <cstdint>
#include <stdexcept>
#include <string>

namespace gr {
namespace tfmed {

/*!
 * \brief The most bytes a block asks GNU Radio to hold at once: one item, or
 * the whole window of items a block works on (its output multiple). GNU
 * Radio sizes its buffers from it: beyond what a buffer can hold a
 * flowgraph hangs ("Buffer too small for min_noutput_items") or its
 * allocation fails when it starts, so sizes past this are refused at
 * construction. 64 MiB is far beyond any biosignal's frame or window (a
 * 256-channel STFT of n_fft 4096 is 8.4 MB of complex bins).
 */
constexpr uint64_t kMaxItemBytes = uint64_t(64) << 20;

/*!
 * \brief Refuse `floats` × `bytes_each` bytes past kMaxItemBytes.
 * \param what the block and what is measured, e.g. "tfmed.stft: output items"
 * \param found how `floats` comes about, e.g. "2 channel(s) x 129 bins" (the
 *        message adds " x `bytes_each` bytes = the product")
 */
inline void check_item_bytes(const std::string& what,
                             uint64_t floats,
                             uint64_t bytes_each,
                             const std::string& found)
{
    // floats <= 2^62 / bytes_each: the product cannot wrap
    const bool over = floats > (uint64_t(1) << 62) / bytes_each ||
                      floats * bytes_each > kMaxItemBytes;
    if (over)
        throw std::invalid_argument(
            what + ": expected at most " + std::to_string(kMaxItemBytes >> 20) +
            " MiB, found " + found + " x " + std::to_string(bytes_each) + " bytes = " +
            (floats > (uint64_t(1) << 62) / bytes_each
                 ? std::string("more than 2^62")
                 : std::to_string(floats * bytes_each)) +
            " bytes");
}

} // namespace tfmed
} // namespace gr

#endif
