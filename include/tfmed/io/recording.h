/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_IO_RECORDING_H
#define INCLUDED_TFMED_IO_RECORDING_H

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

/*!
 * \file
 * \brief What every reader returns, and how every reader fails (torch-free).
 */

namespace tfmed {
namespace io {

/*!
 * \brief A file that cannot be read as what it claims to be.
 *
 * The message always names the file, the field and what was expected versus
 * found: "100.hea: signal 1 format: expected one of 8, 16, ..., found 13".
 */
class ReadError : public std::runtime_error
{
public:
    ReadError(const std::string& file,
              const std::string& field,
              const std::string& expected,
              const std::string& found);
    /*! For errors that are not a field mismatch (e.g. the file cannot be opened). */
    ReadError(const std::string& file, const std::string& message);

    const std::string& file() const noexcept { return file_; }

private:
    std::string file_;
};

/*! \brief One annotation at a sample (WFDB beat label, EDF+ event, ...). */
struct Annotation {
    int64_t sample = 0;  //!< sample index in the recording (frame index)
    std::string symbol;  //!< e.g. "N", "V", "+" (WFDB), or the EDF+ text
    int code = 0;        //!< WFDB annotation code (1 = N, 5 = V, ...), 0 otherwise
    int subtype = 0;     //!< WFDB subtyp
    int channel = 0;     //!< WFDB chan
    int num = 0;         //!< WFDB num
    std::string aux;     //!< WFDB aux string (rhythm "(AFIB"), EDF+ text
    double duration = 0; //!< seconds (EDF+), 0 when none
};

/*!
 * \brief A multichannel recording in physical units, at one sample rate.
 *
 * Samples are interleaved by channel, `samples[t * channels() + c]`, the layout
 * of a GNU Radio float stream with vlen = channels. Missing samples (WFDB
 * invalid-sample values, EDF gaps, .ts '?') are NaN.
 */
struct Recording {
    std::string source;                     //!< path it was read from
    double sample_rate = 0.0;               //!< Hz
    std::vector<std::string> channel_names; //!< one per channel
    std::vector<std::string> units;         //!< one per channel ("mV", "uV", ...)
    int64_t n_samples = 0;                  //!< per channel
    std::vector<float> samples;             //!< n_samples * channels, interleaved
    std::vector<Annotation> annotations;    //!< sorted by sample
    std::vector<std::string> comments;      //!< header comments / free text

    int channels() const noexcept { return static_cast<int>(channel_names.size()); }
    float at(int64_t t, int c) const { return samples[t * channels() + c]; }
    double duration() const noexcept
    {
        return sample_rate > 0 ? n_samples / sample_rate : 0;
    }
};

/*!
 * \brief Keep samples [start, start + length) of `r` (length -1: to the end;
 * a length past the end stops there) and the annotations inside, re-based to
 * start. Throws ReadError naming the recording when start is outside
 * [0, n_samples].
 */
void select_samples(Recording& r, int64_t start, int64_t length);

/*!
 * \brief A copy of samples [start, start + length) of `r` with the
 * annotations inside, re-based to start; `r` is left as it is (the same
 * rules and errors as select_samples()).
 */
Recording slice_samples(const Recording& r, int64_t start, int64_t length);

} // namespace io
} // namespace tfmed

#endif /* INCLUDED_TFMED_IO_RECORDING_H */
