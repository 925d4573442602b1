/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The graph of the stft_mismatch tests: a paced test signal into a
 * tfmed.stft making log power, switched to magnitude while the graph runs.
 */
#ifndef INCLUDED_TFMED_TEST_RETUNED_STFT_H
#define INCLUDED_TFMED_TEST_RETUNED_STFT_H

#include "signals.h"

#include <gnuradio/blocks/throttle.h>
#include <gnuradio/blocks/vector_source.h>
#include <gnuradio/tfmed/stft.h>
#include <gnuradio/top_block.h>

#include <chrono>
#include <string>
#include <thread>

namespace tfmed_test {

struct RetunedStft {
    gr::top_block_sptr tb;
    gr::tfmed::stft::sptr stft; // connect its output to the block under test
};

/*! 16,000 items of `channels` at 8,000 items/s into a hop-4 Hann stft of
 *  `n_fft` (torch convention, centred, reflect, one-sided) making log power. */
inline RetunedStft retuned_stft(const std::string& name, int channels, int n_fft)
{
    RetunedStft g;
    g.tb = gr::make_top_block(name);
    auto src = gr::blocks::vector_source_f::make(signal(16000, channels), false, channels);
    auto pace = gr::blocks::throttle::make(sizeof(float) * channels, 8000.0);
    g.stft = gr::tfmed::stft::make(channels, n_fft, 4, 0, "hann", true, "torch", true, "reflect",
                                   false, true, "log_power");
    g.tb->connect(src, 0, pace, 0);
    g.tb->connect(pace, 0, g.stft, 0);
    return g;
}

/*! Run it, switching the stft to magnitude 0.8 s in; returns at its end. */
inline void run_switching_to_magnitude(RetunedStft& g)
{
    g.tb->start();
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    g.stft->set_output("magnitude");
    g.tb->wait();
}

} // namespace tfmed_test

#endif
