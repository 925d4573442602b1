/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_IO_WFDB_H
#define INCLUDED_TFMED_IO_WFDB_H

#include <tfmed/io/recording.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief WFDB records (PhysioNet): headers, signal files, annotation files.
 *
 * \details
 * A record is named by its path without extension: `.../mitdb/100` reads
 * `100.hea`, the signal files the header names (relative to the header), and
 * annotation files `100.<annotator>`. Implemented from the WFDB Programmer's
 * Guide and the header(5)/signal(5)/annot(5) pages; torch-free.
 *
 * Signal formats: 8, 16, 24, 32, 61, 80, 160, 212, 310, 311 (and 0, a null
 * signal). The FLAC formats 508/516/524 are reported as unsupported. Also:
 * several signals per file (frame-interleaved), multi-frequency signals
 * (`212x4`), skew (`212:3`), byte offsets (`16+24`), headers without a sample
 * count (read from the file size), and multi-segment records with fixed or
 * variable layout, including null (`~`) segments.
 */

namespace tfmed {
namespace io {

/*! \brief One signal line of a WFDB header. */
struct WfdbSignalInfo {
    std::string file_name;   //!< signal file, relative to the header ("~": none)
    int format = 0;          //!< storage format code
    int samples_per_frame = 1;
    int skew = 0;            //!< samples of this signal stored before its sample 0
    int64_t byte_offset = 0; //!< bytes to skip at the start of the file
    double adc_gain = 200.0; //!< ADC units per physical unit (0 in file -> 200)
    bool gain_given = false; //!< false: "uncalibrated" (header gave no/zero gain)
    int baseline = 0;        //!< ADC value of physical zero (default adc_zero)
    std::string units = "mV";
    int adc_resolution = 0;  //!< bits (default by format)
    int adc_zero = 0;
    int initial_value = 0;   //!< first sample (used by format 8)
    int checksum = 0;        //!< 16-bit sum of all samples
    bool has_checksum = false;
    int block_size = 0;
    std::string description; //!< e.g. "MLII"
};

/*! \brief A parsed WFDB header (.hea). */
struct WfdbHeader {
    std::string path;                 //!< the .hea file
    std::string record_name;
    int n_segments = 0;               //!< > 0 for a multi-segment record
    double frame_frequency = 250.0;   //!< frames per second (WFDB default 250)
    double counter_frequency = 0.0;   //!< 0 when not given
    double base_counter = 0.0;
    int64_t n_samples = -1;           //!< frames per signal; -1 when not given
    std::string base_time, base_date; //!< as written, "" when absent
    std::vector<WfdbSignalInfo> signals;
    std::vector<std::string> segment_names;   //!< multi-segment: names ("~" = null)
    std::vector<int64_t> segment_lengths;     //!< multi-segment: frames each
    std::vector<std::string> comments;        //!< text after '#', in order
};

/*!
 * \brief Parse header text.
 * \param text the contents of a .hea file
 * \param file the file name used in error messages
 * \throws ReadError naming the line and field that is malformed
 */
WfdbHeader parse_wfdb_header(const std::string& text, const std::string& file);

/*! \brief Read and parse `<record>.hea` (`record` may also end in ".hea"). */
WfdbHeader read_wfdb_header(const std::string& record);

/*!
 * \brief The stored (digital, ADC unit) samples of a single-segment record.
 *
 * `samples[s]` holds signal s: `n_frames * samples_per_frame` values, skew
 * applied (so index 0 is the signal's sample 0); samples that skew moves past
 * the end of the file read as the format's invalid value. `invalid[s]` is that
 * value (WFDB's "no sample" marker: e.g. -32768 for format 16, -2048 for 212).
 * Null signals (format 0 or file "~") hold only that value; since no file
 * bounds them, a null signal may not have more samples per frame than the
 * fastest stored signal, and a record without stored signals may not claim
 * more than 2^26 samples (frames x samples per frame x signals).
 */
struct WfdbDigital {
    WfdbHeader header;
    int64_t n_frames = 0;
    std::vector<std::vector<int32_t>> samples;
    std::vector<int32_t> invalid;
};

/*!
 * \brief Read the signal files of a single-segment record.
 * \param record path without extension
 * \param verify_checksums compare every signal's 16-bit sample sum with the
 *        header's checksum field and throw ReadError on a mismatch
 * \throws ReadError for a missing or truncated signal file (also one shorter
 *         than its byte offset), an unknown or unsupported format, a checksum
 *         mismatch, a multi-segment record, null signals beyond the bounds above
 */
WfdbDigital read_wfdb_digital(const std::string& record, bool verify_checksums = true);

/*!
 * \brief Read a WFDB annotation file (MIT format, with SKIP/NUM/SUB/CHN/AUX).
 * \param record path without extension
 * \param annotator extension of the annotation file ("atr", "qrs", ...)
 * \throws ReadError for a missing or truncated file
 */
std::vector<Annotation> read_wfdb_annotations(const std::string& record,
                                              const std::string& annotator = "atr");

/*! \brief Options of read_wfdb(). */
struct WfdbReadOptions {
    int64_t start = 0;             //!< first frame
    int64_t length = -1;           //!< frames, -1 for the rest of the record
    std::string annotator = "atr"; //!< loaded when the file exists; "" for none
    bool verify_checksums = true;
    /*! Multi-frequency records: true gives every channel the highest signal
     *  rate (frame rate x max samples per frame), holding slower signals'
     *  samples (WFDB_HIGHRES); false gives the frame rate, averaging the
     *  samples of each frame (WFDB's default). start/length count output
     *  samples. Multi-segment records are always joined at the frame rate. */
    bool high_resolution = true;
};

/*!
 * \brief Read a record (single- or multi-segment) in physical units.
 *
 * Physical value = (digital - baseline) / gain; invalid samples and null
 * segments become NaN. Multi-frequency records are read at the highest signal
 * rate by default (see WfdbReadOptions::high_resolution). Variable
 * layout multi-segment records take their channels from the layout segment and
 * fill signals a segment lacks with NaN. Annotations (when loaded) are kept
 * when they fall in [start, start + length) and re-based to start.
 */
Recording read_wfdb(const std::string& record, const WfdbReadOptions& options = {});

/*! \brief The MIT annotation mnemonic of a code ("N" for 1, "V" for 5, ...). */
std::string wfdb_annotation_symbol(int code);

/*! \brief Whether a code labels a beat (WFDB isqrs: N L R a V F J A S E j / Q e n
 *  x f r B). */
bool wfdb_is_beat(int code);

/*! \brief The code of a mnemonic, -1 when unknown. */
int wfdb_annotation_code(const std::string& symbol);

} // namespace io
} // namespace tfmed

#endif /* INCLUDED_TFMED_IO_WFDB_H */
