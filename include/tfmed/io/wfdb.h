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
 *
 * Multi-frequency records (single- or multi-segment) read at the highest
 * signal rate, slower signals held (WFDB_HIGHRES), or at the frame rate with
 * each frame's samples averaged: exactly (frame_mean) or in integers as WFDB's
 * getvec() does (frame_average); see WfdbSampling. A multi-segment read opens
 * only the segments that overlap the selection (and the header naming the
 * channels), so a part of a long record reads without the rest being present.
 *
 * Annotation files are read as WFDB's annopen()/getann() read them: the
 * definition table at time 0 (custom mnemonics, time resolution, notes) and
 * null annotations are not returned as annotations; chan is unsigned 8-bit,
 * subtyp and num signed 8-bit.
 *
 * Every file is opened through one check: a directory or other non-regular
 * file, a missing or unreadable one, is a ReadError naming the path and the
 * kind of file expected ("x.hea: is a directory, expected a WFDB header file").
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

/*! \brief A custom annotation type defined at the start of an annotation file. */
struct WfdbAnnotationType {
    int code = 0;            //!< 0..49
    std::string symbol;      //!< mnemonic, e.g. "c"
    std::string description; //!< e.g. "calibration pulse" ("" when none)
};

/*!
 * \brief An annotation file as WFDB's annopen()/getann() present it.
 *
 * The NOTE annotations (code 22, subtype 0) at time 0 that open the file are
 * its definition table, not annotations: "## annotation type definitions",
 * "CODE MNEMONIC DESCRIPTION" lines, "## end of definitions", "## time
 * resolution: F", and any other note there (e.g. the "gqrs -r 100" a detector
 * wrote). They are collected here and left out of `annotations`, as `rdann`
 * leaves them out. Null annotations (code 0, which WFDB writes after a SKIP to
 * mark a time, e.g. the end of the table) are never annotations either.
 */
struct WfdbAnnotationFile {
    std::string path;                     //!< the annotation file
    std::vector<Annotation> annotations;  //!< times in the file's units (`sample`)
    std::vector<WfdbAnnotationType> types; //!< custom types, in file order
    /*! "## time resolution: F": annotation times count 1/F s; 0 when absent
     *  (then they count frames of the record). */
    double time_resolution = 0.0;
    std::vector<std::string> notes;       //!< other time-0 notes of the table
};

/*!
 * \brief Read a WFDB annotation file (MIT format, with SKIP/NUM/SUB/CHN/AUX).
 *
 * Fields as WFDB's struct WFDB_ann holds them: `chan` unsigned 8-bit (0..255),
 * `subtype` and `num` signed 8-bit. Annotations whose code the file redefines
 * carry the file's mnemonic as `symbol` (WFDB's annstr()).
 * \param record path without extension
 * \param annotator extension of the annotation file ("atr", "qrs", ...)
 * \throws ReadError for a missing, unreadable or truncated file, or a directory
 */
WfdbAnnotationFile read_wfdb_annotation_file(const std::string& record,
                                             const std::string& annotator = "atr");

/*! \brief The annotations of read_wfdb_annotation_file(). */
std::vector<Annotation> read_wfdb_annotations(const std::string& record,
                                              const std::string& annotator = "atr");

/*! \brief How read_wfdb() samples records whose signals differ in samples per
 *  frame (single- and multi-segment alike). Records with one rate read the same
 *  in every mode. */
enum class WfdbSampling {
    /*! WfdbReadOptions::high_resolution decides: high_rate when true (the
     *  default), frame_mean when false. */
    by_flag,
    /*! Every channel at the highest rate (frame rate x the most samples per
     *  frame of any signal); slower signals' samples are held (WFDB_HIGHRES). */
    high_rate,
    /*! Frame rate; each channel the exact (floating-point) mean of the frame's
     *  samples. */
    frame_mean,
    /*! Frame rate; each channel the mean of the frame's samples in integers as
     *  WFDB's getvec() gives it (WFDB_LOWRES, meansamp(): rounded to the
     *  nearest integer, halves up, i.e. floor((sum + spf/2) / spf)), then
     *  scaled; a frame holding an invalid sample is NaN. Matches rdsamp. */
    frame_average,
};

/*! \brief Options of read_wfdb(). */
struct WfdbReadOptions {
    int64_t start = 0;             //!< first output sample
    int64_t length = -1;           //!< output samples, -1 for the rest of the record
    std::string annotator = "atr"; //!< loaded when the file exists; "" for none
    bool verify_checksums = true;
    /*! With sampling == by_flag: true reads multi-frequency records at the
     *  highest signal rate (high_rate), false at the frame rate (frame_mean).
     *  start/length count output samples. */
    bool high_resolution = true;
    WfdbSampling sampling = WfdbSampling::by_flag; //!< see WfdbSampling
};

/*!
 * \brief Read a record (single- or multi-segment) in physical units.
 *
 * Physical value = (digital - baseline) / gain; invalid samples and null
 * segments become NaN. Multi-frequency records are read at the highest signal
 * rate by default (see WfdbSampling). Variable layout multi-segment records take
 * their channels (and samples per frame) from the layout segment and fill
 * signals a segment lacks with NaN; fixed layout ones from their first segment
 * with data. Only the segments that overlap [start, start + length) are opened
 * (besides the header that gives the channels). Annotations (when loaded) are
 * placed at the output rate (scaled by the file's time resolution when it has
 * one, rounded half up as WFDB does), kept when they fall in
 * [start, start + length) and re-based to start.
 */
Recording read_wfdb(const std::string& record, const WfdbReadOptions& options = {});

/*! \brief The MIT annotation mnemonic of a code ("N" for 1, "V" for 5, ...). */
std::string wfdb_annotation_symbol(int code);

/*! \brief Whether a code labels a beat: WFDB's isqrs() (ecgmap.h), codes 1-13,
 *  25, 30, 31, 34, 35, 38, 41 (N L R a V F J A S E j / Q, B, ?, !, e, n, f, r;
 *  not x, a non-conducted P wave). */
bool wfdb_is_beat(int code);

/*! \brief The code of a mnemonic, -1 when unknown. */
int wfdb_annotation_code(const std::string& symbol);

} // namespace io
} // namespace tfmed

#endif /* INCLUDED_TFMED_IO_WFDB_H */
