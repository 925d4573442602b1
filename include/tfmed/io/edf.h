/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_IO_EDF_H
#define INCLUDED_TFMED_IO_EDF_H

#include <tfmed/io/recording.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief EDF, EDF+ and BDF (BDF+) files: header, signals, annotations (torch-free).
 *
 * \details
 * Our own parser, written from the EDF specification (Kemp et al. 1992), the
 * EDF+ specification (Kemp & Olivan 2003, edfplus.info) and the BioSemi BDF
 * notes. No third-party library.
 *
 * Layout. A 256-byte fixed header (version, patient, recording, start date and
 * time, header size, reserved, number of data records, record duration, number
 * of signals `ns`), then `ns` blocks of per-signal fields (each field stored for
 * all signals before the next field), 256 bytes per signal in all; then the data
 * records. Each record holds, signal after signal, `samples_per_record` samples
 * of that signal: 16-bit (EDF) or 24-bit (BDF) little-endian two's complement.
 *
 * Variants:
 *  - EDF: version "0", 16-bit samples.
 *  - EDF+: the reserved field starts with "EDF+C" (continuous) or "EDF+D"
 *    (discontinuous); one or more signals labelled "EDF Annotations" hold
 *    time-stamped annotation lists (TALs) instead of samples.
 *  - BDF: first byte 0xFF then "BIOSEMI", 24-bit samples; BDF+ uses "BDF+C" /
 *    "BDF+D" and "BDF Annotations" signals (either label is accepted in both).
 *
 * Physical values follow the specification's linear map
 *
 *     physical = (digital - digital_min) * (physical_max - physical_min)
 *                / (digital_max - digital_min) + physical_min
 *
 * computed in double and stored as float.
 *
 * Strictness. Every header field is checked (numbers must be numbers; an
 * ordinary signal needs digital_max > digital_min inside the 16- or 24-bit
 * sample range, physical_max != physical_min, and a record duration > 0); a
 * file whose size differs from `header bytes + n_records * record bytes` is
 * rejected (`n_records == -1`, a recording that was not closed, is allowed: the
 * count comes from the size and must be whole). Any defect throws ReadError
 * naming the file, the field (with the signal number and label where there is
 * one), what was expected and what was found. Signals are numbered from 0 in
 * file order in those messages, annotation signals included (the way the header
 * lists them). The reader never reads past the bytes it has checked exist.
 *
 * Text. Header fields are ASCII by the specification; writers that put other
 * bytes there are handled by keeping valid UTF-8 as it is and reading anything
 * else as Latin-1 (so a 0xB0 degree sign becomes "°"). Fields are returned with
 * leading and trailing spaces removed. TAL texts are UTF-8 by the EDF+
 * specification and are returned unchanged.
 */

namespace tfmed {
namespace io {

/*! \brief One ordinary (non-annotation) signal of an EDF/BDF file. */
struct EdfSignal {
    std::string label;              //!< e.g. "EEG Fpz-Cz" (trimmed)
    std::string transducer;         //!< transducer type, e.g. "AgAgCl electrode"
    std::string physical_dimension; //!< units, e.g. "uV"
    std::string prefiltering;       //!< e.g. "HP:0.1Hz LP:75Hz"
    double physical_min = 0.0;      //!< physical value of digital_min
    double physical_max = 0.0;      //!< physical value of digital_max
    int digital_min = 0;            //!< digital value of physical_min
    int digital_max = 0;            //!< digital value of physical_max; > digital_min
    int samples_per_record = 0;     //!< samples of this signal in one data record
    double sample_rate = 0.0;       //!< samples_per_record / record_duration, Hz
    std::vector<float> samples;     //!< physical values, n_records * samples_per_record

    /*! \brief Physical units per digital step, (pmax - pmin) / (dmax - dmin). */
    double gain() const
    {
        return (physical_max - physical_min) / double(digital_max - digital_min);
    }
    /*! \brief The physical value of a digital value (the EDF formula). */
    double to_physical(int64_t digital) const
    {
        return double(digital - digital_min) * gain() + physical_min;
    }
};

/*!
 * \brief One EDF+ annotation from a TAL.
 *
 * A TAL `+onset[\x15duration]\x14text\x14text\x14\x00` gives one EdfAnnotation
 * per non-empty text, all with the TAL's onset and duration.
 */
struct EdfAnnotation {
    double onset = 0.0;        //!< seconds after the file's start date/time
    double duration = 0.0;     //!< seconds; 0 when the TAL gives none
    bool has_duration = false; //!< whether the TAL gave a duration
    std::string text;          //!< UTF-8, as stored
};

/*! \brief A whole EDF / EDF+ / BDF file: header fields, signals, annotations. */
struct EdfFile {
    std::string path;             //!< the file it was read from
    std::string version;          //!< "0" (EDF, EDF+) or "BIOSEMI" (BDF; 0xFF dropped)
    std::string patient;          //!< local patient identification (EDF+: structured)
    std::string recording;        //!< local recording identification
    std::string start_date;       //!< "dd.mm.yy", as stored
    std::string start_time;       //!< "hh.mm.ss", as stored
    std::string reserved;         //!< the 44-byte reserved field ("EDF+C", "24BIT", ...)
    int64_t header_bytes = 0;     //!< 256 * (1 + number of signals)
    bool edf_plus = false;        //!< EDF+ or BDF+ (reserved "EDF+C/D", "BDF+C/D")
    bool bdf = false;             //!< 24-bit BDF / BDF+
    bool continuous = true;       //!< false only for EDF+D / BDF+D
    int64_t n_records = 0;        //!< data records in the file (never -1 once read)
    double record_duration = 0.0; //!< seconds per data record (0: annotations only)
    int n_annotation_signals = 0; //!< "EDF/BDF Annotations" signals (not in `signals`)
    std::vector<EdfSignal> signals;         //!< ordinary signals, in file order
    std::vector<EdfAnnotation> annotations; //!< all TAL annotations, sorted by onset
    /*!
     * Start of each data record in seconds after the start date/time: the
     * onset of the time-keeping TAL in the record's first annotation signal
     * (EDF+ / BDF+ with such a signal), `r * record_duration` otherwise. Empty
     * after read_edf_header().
     */
    std::vector<double> record_onsets;
};

/*!
 * \brief Read an EDF, EDF+ or BDF file completely.
 *
 * \param path the file
 * \return header, ordinary signals in physical units, and EDF+ annotations (the
 *         time-keeping TAL that opens every data record is not an annotation;
 *         its onset goes to EdfFile::record_onsets)
 * \throws ReadError when the file is missing, truncated, has a malformed or
 *         inconsistent header field, or a malformed TAL
 */
EdfFile read_edf(const std::string& path);

/*!
 * \brief Read and check only the header (no samples, no annotations).
 *
 * \param path the file
 * \return the header fields and the signals with empty `samples`; the size
 *         check against the data records is done, so a header that passes here
 *         describes the file truthfully
 * \throws ReadError as read_edf() does for the header
 */
EdfFile read_edf_header(const std::string& path);

/*!
 * \brief Turn an EDF file into the common Recording form.
 *
 * \param f a file from read_edf()
 * \param annotation_rate for files with no ordinary signals (annotation-only
 *        EDF+): the rate used to turn annotation onsets into sample indices.
 *        Ignored when there are ordinary signals.
 * \return channels = ordinary signals (names = labels, units = physical
 *         dimensions), interleaved physical samples, and the annotations with
 *         `sample = round((onset - record_onsets[0]) * rate)` (sample 0 is the
 *         start of the first data record), `symbol` and `aux` = the text,
 *         `duration` in seconds. Annotations may lie outside [0, n_samples):
 *         EDF+ allows events before the first and after the last record.
 *         Comments hold the patient, recording and start date/time fields.
 *
 * \details
 * For EDF+D the records are placed at their time-keeping onsets and the gaps
 * between them are NaN. Records that overlap, or go back in time, throw; so do
 * gaps that would hold more values than the records themselves and more than
 * 2^28 (no byte of the file stands behind a gap).
 *
 * \throws ReadError when the ordinary signals do not all have one sample rate
 *         (the message lists every signal with its rate), when records of an
 *         EDF+D file overlap or leave gaps beyond the limit above, or when there
 *         are annotations but no rate to place them with
 */
Recording to_recording(const EdfFile& f, double annotation_rate = 0.0);

} // namespace io
} // namespace tfmed

#endif /* INCLUDED_TFMED_IO_EDF_H */
