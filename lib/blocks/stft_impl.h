/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_STFT_IMPL_H
#define INCLUDED_TFMED_STFT_IMPL_H

#include <gnuradio/tfmed/stft.h>
#include <tfmed/dsp/stft_stream.h> // torch-free engine

#include <atomic>
#include <deque>
#include <vector>

namespace gr {
namespace tfmed {

class stft_impl : public stft
{
public:
    stft_impl(int channels, const ::tfmed::dsp::StftOptions& opts);

    void set_window(const std::string& window) override;
    void set_log_floor(float log_floor) override;
    void set_output(const std::string& output) override;
    int bins() const override { return d_bins; }
    int center_offset() const override { return d_center; }
    std::string describe() const override;
    std::string settings(uint64_t& first_frame) const override;
    uint64_t settings_changes() const override { return d_changes.load(); }

    bool start() override;
    bool stop() override;
    void forecast(int noutput_items, gr_vector_int& ninput_items_required) override;
    int general_work(int noutput_items,
                     gr_vector_int& ninput_items,
                     gr_vector_const_void_star& input_items,
                     gr_vector_void_star& output_items) override;

private:
    template <typename Change>
    void retune(Change&& change);
    int64_t frame_of_sample(uint64_t sample) const; // the tag rule (see stft.h)

    ::tfmed::dsp::StftStream d_stream;
    const int d_channels;
    const int d_bins;
    const int d_hop;
    const int d_center;
    const size_t d_max_frames; // frames per call: bounds the engine's buffers
    const pmt::pmt_t d_invalid_key;  // NaN/Inf input: NaN frame
    const pmt::pmt_t d_overflow_key; // finite input, values beyond float (power)
    std::vector<uint8_t> d_invalid;
    std::vector<int32_t> d_bad, d_over; // channel lists of one frame
    std::vector<gr::tag_t> d_tags;
    std::deque<std::pair<int64_t, gr::tag_t>> d_pending; // (frame, tag)
    std::atomic<uint64_t> d_changes{ 0 }; // setter calls that changed the settings
    int64_t d_changed_at = 0;             // first frame of the current settings (under d_setlock)
};

} // namespace tfmed
} // namespace gr

#endif /* INCLUDED_TFMED_STFT_IMPL_H */
