/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The EDF/EDF+/BDF reader in one file on purpose: the fixed header, the
 * signal headers, 16/24-bit records, TAL annotation parsing and EDF+D gap
 * layout share private helpers and one error style (ReadError naming file,
 * field, expected and found); the fuzz target builds it as one unit.
 */
#include "file.h"
#include <tfmed/io/edf.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>
#include <string_view>
#include <system_error>

namespace tfmed {
namespace io {

namespace {

namespace fs = std::filesystem;

constexpr int64_t fixed_header_bytes = 256;  // version .. number of signals
constexpr int64_t signal_header_bytes = 256; // all per-signal fields of one signal

// TAL separators (EDF+ specification, section 2.2.2).
constexpr char tal_duration_mark = '\x15';
constexpr char tal_text_end = '\x14';
constexpr char tal_end = '\0';

// ---------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------

std::string_view trim(std::string_view s)
{
    // Spaces pad every field; some writers pad with NULs instead, which carry no
    // meaning either.
    auto pad = [](char c) { return c == ' ' || c == '\0'; };
    while (!s.empty() && pad(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && pad(s.back()))
        s.remove_suffix(1);
    return s;
}

// Header fields are ASCII by the specification. Writers that disobey use either
// UTF-8 (keep it) or a single-byte code page, almost always Latin-1 (e.g. 0xB0
// for the degree sign in test_generator_2.edf): re-encode that as UTF-8 so the
// strings we hand out are always valid UTF-8.
std::string header_text(std::string_view raw)
{
    return file::as_utf8(trim(raw));
}

// A raw field for an error message: quoted, with non-printable bytes escaped so
// that a binary mess shows up as such instead of garbling the terminal.
std::string shown(std::string_view raw, size_t limit = 40)
{
    std::string out = "'";
    size_t n = 0;
    for (char ch : raw) {
        if (n++ == limit) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F) {
            out.push_back(ch);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        }
    }
    return out + "'";
}

std::string number_text(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

// ---------------------------------------------------------------------------
// Strict numbers. std::from_chars is locale-independent: a program that set a
// German LC_NUMERIC must still read "1000.000" as one thousand.
// ---------------------------------------------------------------------------

// A leading '+' is allowed (from_chars takes only '-'), but not "+-1".
bool strip_plus(std::string_view& s)
{
    if (s.empty() || s.front() != '+')
        return !s.empty();
    s.remove_prefix(1);
    return !s.empty() && std::isdigit(static_cast<unsigned char>(s.front()));
}

bool parse_int(std::string_view field, int64_t& v)
{
    std::string_view s = trim(field);
    if (!strip_plus(s))
        return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view field, double& v)
{
    std::string_view s = trim(field);
    if (!strip_plus(s))
        return false;
    // from_chars also takes "inf", "nan" and hexadecimal-looking words; none is
    // an EDF number, so the characters are checked first.
    for (char c : s)
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
              c == 'e' || c == 'E' || c == '+'))
            return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v);
}

// TAL numbers are narrower than header numbers: digits with an optional
// fraction, no exponent (EDF+ specification 2.2.2).
bool parse_tal_number(std::string_view s, double& v)
{
    if (s.empty())
        return false;
    int dots = 0;
    bool digit = false;
    for (char c : s) {
        if (c == '.')
            ++dots;
        else if (std::isdigit(static_cast<unsigned char>(c)))
            digit = true;
        else
            return false;
    }
    if (dots > 1 || !digit)
        return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v);
}

// ---------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------

// Everything the data pass needs about every signal, annotation signals included.
struct SignalLayout {
    bool annotation = false;
    int64_t samples_per_record = 0;
    int64_t byte_offset = 0; // within a data record
    int ordinary_index = -1; // index into EdfFile::signals
    std::string label;
};

struct Header {
    EdfFile file;
    std::vector<SignalLayout> layout;
    int64_t record_bytes = 0;
    int bytes_per_sample = 2;
};

std::string signal_name(int i, const std::string& label)
{
    return "signal " + std::to_string(i) + " ('" + label + "')";
}

int64_t need_int(const std::string& file,
                 const std::string& field,
                 std::string_view raw,
                 const std::string& expected = "an integer")
{
    int64_t v;
    if (!parse_int(raw, v))
        throw ReadError(file, field, expected, shown(trim(raw)));
    return v;
}

double
need_double(const std::string& file, const std::string& field, std::string_view raw)
{
    double v;
    if (!parse_double(raw, v))
        throw ReadError(file, field, "a number", shown(trim(raw)));
    return v;
}

bool is_annotation_label(const std::string& label)
{
    // EDF+ names the signal "EDF Annotations", BDF+ "BDF Annotations"; writers
    // mix them up, and no ordinary signal carries either name.
    return label == "EDF Annotations" || label == "BDF Annotations";
}

Header read_header(const std::string& path, std::ifstream& in, int64_t file_size)
{
    Header h;
    EdfFile& f = h.file;
    f.path = path;

    if (file_size < fixed_header_bytes)
        throw ReadError(path,
                        "header",
                        "at least 256 bytes (the fixed part of the EDF header)",
                        std::to_string(file_size) + " bytes");
    std::string fixed(fixed_header_bytes, '\0');
    if (!in.read(fixed.data(), fixed_header_bytes))
        throw ReadError(
            path, "cannot read the header (" + std::string(std::strerror(errno)) + ")");
    const std::string_view fv(fixed);

    // Version: "0" padded with spaces (EDF), or the byte 0xFF then "BIOSEMI" (BDF).
    const std::string_view version = fv.substr(0, 8);
    if (static_cast<unsigned char>(version[0]) == 0xFF &&
        version.substr(1) == "BIOSEMI") {
        f.bdf = true;
        f.version = "BIOSEMI";
        h.bytes_per_sample = 3;
    } else if (trim(version) == "0") {
        f.version = "0";
    } else {
        throw ReadError(path,
                        "version (bytes 0-7)",
                        "'0' (EDF/EDF+) or 0xFF 'BIOSEMI' (BDF)",
                        shown(version));
    }
    f.patient = header_text(fv.substr(8, 80));
    f.recording = header_text(fv.substr(88, 80));
    f.start_date = header_text(fv.substr(168, 8));
    f.start_time = header_text(fv.substr(176, 8));
    f.reserved = header_text(fv.substr(192, 44));

    const int64_t ns = need_int(path, "number of signals", fv.substr(252, 4));
    if (ns < 1)
        throw ReadError(path, "number of signals", "at least 1", std::to_string(ns));
    f.header_bytes =
        need_int(path, "number of bytes in header record", fv.substr(184, 8));
    const int64_t want_header = fixed_header_bytes + signal_header_bytes * ns;
    if (f.header_bytes != want_header)
        throw ReadError(path,
                        "number of bytes in header record",
                        std::to_string(want_header) + " (256 + 256 * " +
                            std::to_string(ns) + " signals)",
                        std::to_string(f.header_bytes));

    // The data-record count is checked against the file size once the record
    // size is known; -1 means "unknown" (a recording still being written).
    const int64_t declared_records =
        need_int(path, "number of data records", fv.substr(236, 8));
    if (declared_records < -1)
        throw ReadError(path,
                        "number of data records",
                        "a count >= 0, or -1 (unknown)",
                        std::to_string(declared_records));
    f.record_duration = need_double(path, "duration of a data record", fv.substr(244, 8));
    if (f.record_duration < 0)
        throw ReadError(path,
                        "duration of a data record",
                        "seconds >= 0",
                        number_text(f.record_duration));

    const std::string_view reserved = trim(fv.substr(192, 44));
    if (reserved.substr(0, 4) == "EDF+" || reserved.substr(0, 4) == "BDF+") {
        const char kind = reserved.size() > 4 ? reserved[4] : ' ';
        if (kind != 'C' && kind != 'D')
            throw ReadError(path,
                            "reserved field",
                            "'EDF+C' or 'EDF+D' (or BDF+C / BDF+D) for an EDF+ file",
                            shown(reserved));
        f.edf_plus = true;
        f.continuous = kind == 'C';
    }

    if (file_size < f.header_bytes)
        throw ReadError(path,
                        "header",
                        std::to_string(f.header_bytes) + " bytes (256 + 256 * " +
                            std::to_string(ns) + " signals)",
                        "a file of " + std::to_string(file_size) + " bytes (truncated)");
    std::string sig(static_cast<size_t>(signal_header_bytes * ns), '\0');
    if (!in.read(sig.data(), static_cast<std::streamsize>(sig.size())))
        throw ReadError(path,
                        "cannot read the signal headers (" +
                            std::string(std::strerror(errno)) + ")");
    const std::string_view sv(sig);

    // Each field is stored for all signals before the next field: field k of
    // signal i is at offset(field k) * ns + i * width(field k).
    size_t offset = 0;
    auto column = [&](size_t width) {
        std::vector<std::string_view> col(static_cast<size_t>(ns));
        for (int64_t i = 0; i < ns; ++i)
            col[i] = sv.substr(offset + i * width, width);
        offset += width * ns;
        return col;
    };
    const auto labels = column(16);
    const auto transducers = column(80);
    const auto dimensions = column(8);
    const auto pmins = column(8);
    const auto pmaxs = column(8);
    const auto dmins = column(8);
    const auto dmaxs = column(8);
    const auto prefilters = column(80);
    const auto counts = column(8);
    // (32 reserved bytes per signal follow; nothing is defined in them.)

    // The storage range of one sample.
    const int64_t storage_min = f.bdf ? -(int64_t(1) << 23) : -32768;
    const int64_t storage_max = f.bdf ? (int64_t(1) << 23) - 1 : 32767;

    int64_t byte_offset = 0;
    for (int i = 0; i < ns; ++i) {
        SignalLayout lay;
        lay.label = header_text(labels[i]);
        lay.annotation = f.edf_plus && is_annotation_label(lay.label);
        const std::string name = signal_name(i, lay.label);

        // Every numeric field must be a number, annotation signals included: a
        // header with garbage there is not trustworthy anywhere.
        const double pmin = need_double(path, name + " physical minimum", pmins[i]);
        const double pmax = need_double(path, name + " physical maximum", pmaxs[i]);
        const int64_t dmin = need_int(path, name + " digital minimum", dmins[i]);
        const int64_t dmax = need_int(path, name + " digital maximum", dmaxs[i]);
        lay.samples_per_record =
            need_int(path, name + " number of samples in each data record", counts[i]);
        if (lay.samples_per_record < 1)
            throw ReadError(path,
                            name + " number of samples in each data record",
                            "at least 1",
                            std::to_string(lay.samples_per_record));
        lay.byte_offset = byte_offset;
        byte_offset += lay.samples_per_record * h.bytes_per_sample;

        if (lay.annotation) {
            ++f.n_annotation_signals;
            h.layout.push_back(lay);
            continue;
        }
        // Ordinary signal: the scaling must be a usable linear map.
        if (dmax <= dmin)
            throw ReadError(path,
                            name + " digital maximum",
                            "greater than the digital minimum (" + std::to_string(dmin) +
                                ")",
                            std::to_string(dmax));
        if (dmin < storage_min || dmax > storage_max)
            throw ReadError(path,
                            name + " digital range",
                            "within the " + std::string(f.bdf ? "24" : "16") +
                                "-bit sample range [" + std::to_string(storage_min) +
                                ", " + std::to_string(storage_max) + "]",
                            "[" + std::to_string(dmin) + ", " + std::to_string(dmax) +
                                "]");
        if (pmax == pmin)
            throw ReadError(path,
                            name + " physical maximum",
                            "different from the physical minimum (" + number_text(pmin) +
                                ")",
                            number_text(pmax));
        if (f.record_duration <= 0)
            throw ReadError(path,
                            "duration of a data record",
                            "seconds > 0 (0 is allowed only without ordinary signals; " +
                                name + " is one)",
                            number_text(f.record_duration));

        EdfSignal s;
        s.label = lay.label;
        s.transducer = header_text(transducers[i]);
        s.physical_dimension = header_text(dimensions[i]);
        s.prefiltering = header_text(prefilters[i]);
        s.physical_min = pmin;
        s.physical_max = pmax;
        s.digital_min = static_cast<int>(dmin);
        s.digital_max = static_cast<int>(dmax);
        s.samples_per_record = static_cast<int>(lay.samples_per_record);
        s.sample_rate = lay.samples_per_record / f.record_duration;
        lay.ordinary_index = static_cast<int>(f.signals.size());
        f.signals.push_back(std::move(s));
        h.layout.push_back(lay);
    }
    h.record_bytes = byte_offset;

    // Without a time-keeping TAL the records of an EDF+D file cannot be placed.
    if (f.edf_plus && !f.continuous && f.n_annotation_signals == 0)
        throw ReadError(path,
                        "signals",
                        "an 'EDF Annotations' signal (EDF+D needs its time-keeping TALs)",
                        "none among " + std::to_string(ns) + " signals");

    // The size check: the header must describe the file exactly. 8-digit
    // counts times record sizes can overflow 64 bits, so compare by division.
    const int64_t data_bytes = file_size - f.header_bytes;
    if (declared_records == -1) {
        if (data_bytes % h.record_bytes != 0)
            throw ReadError(path,
                            "file size",
                            std::to_string(f.header_bytes) + " header bytes + whole " +
                                "data records of " + std::to_string(h.record_bytes) +
                                " bytes (number of data records is -1)",
                            std::to_string(file_size) + " bytes (" +
                                std::to_string(data_bytes % h.record_bytes) +
                                " bytes of a partial record at the end)");
        f.n_records = data_bytes / h.record_bytes;
    } else {
        if (data_bytes / h.record_bytes != declared_records ||
            data_bytes % h.record_bytes != 0) {
            const long double want = static_cast<long double>(f.header_bytes) +
                                     static_cast<long double>(declared_records) *
                                         static_cast<long double>(h.record_bytes);
            char total[64];
            std::snprintf(total, sizeof total, "%.0Lf", want);
            throw ReadError(path,
                            "file size",
                            std::to_string(f.header_bytes) + " header bytes + " +
                                std::to_string(declared_records) + " data records * " +
                                std::to_string(h.record_bytes) + " bytes = " + total +
                                " bytes",
                            std::to_string(file_size) + " bytes");
        }
        f.n_records = declared_records;
    }
    return h;
}

// ---------------------------------------------------------------------------
// Data records
// ---------------------------------------------------------------------------

inline int32_t sample16(const unsigned char* p)
{
    return static_cast<int16_t>(static_cast<uint16_t>(p[0] | (p[1] << 8)));
}

inline int32_t sample24(const unsigned char* p)
{
    int32_t v = p[0] | (p[1] << 8) | (p[2] << 16);
    return (v & 0x800000) ? v - 0x1000000 : v;
}

// Parse the TALs in one annotation signal of one data record. `time_keeping`:
// this is the first annotation signal, whose first TAL gives the record onset.
void parse_tals(const std::string& path,
                const std::string& where,
                std::string_view b,
                bool time_keeping,
                double& record_onset,
                std::vector<EdfAnnotation>& out)
{
    auto bad = [&](const std::string& what, size_t at, const std::string& expected) {
        const size_t from = at >= 8 ? at - 8 : 0;
        throw ReadError(path,
                        where + ", " + what + " at byte " + std::to_string(at),
                        expected,
                        shown(b.substr(from, 32)));
    };

    bool first = true;
    size_t i = 0;
    while (i < b.size()) {
        // Unused bytes after the last TAL (and, leniently, between TALs) are 0.
        if (b[i] == tal_end) {
            ++i;
            continue;
        }
        const size_t tal_start = i;
        // Onset: a sign, then seconds; ends at 0x15 (duration follows) or 0x14.
        if (b[i] != '+' && b[i] != '-')
            bad("TAL onset", i, "'+' or '-' then seconds");
        size_t j = i + 1;
        while (j < b.size() && b[j] != tal_duration_mark && b[j] != tal_text_end &&
               b[j] != tal_end)
            ++j;
        double onset = 0.0;
        if (!parse_tal_number(b.substr(i + 1, j - i - 1), onset))
            bad("TAL onset", i, "'+' or '-' then seconds (digits, optional '.')");
        if (b[i] == '-')
            onset = -onset;
        if (j == b.size() || b[j] == tal_end)
            bad("TAL", tal_start, "0x14 after the onset");

        EdfAnnotation a;
        a.onset = onset;
        if (b[j] == tal_duration_mark) {
            size_t k = j + 1;
            while (k < b.size() && b[k] != tal_text_end && b[k] != tal_end &&
                   b[k] != tal_duration_mark)
                ++k;
            if (!parse_tal_number(b.substr(j + 1, k - j - 1), a.duration))
                bad("TAL duration", j + 1, "seconds (digits, optional '.', no sign)");
            if (k == b.size() || b[k] != tal_text_end)
                bad("TAL", tal_start, "0x14 after the duration");
            a.has_duration = true;
            j = k;
        }
        i = j + 1; // past the 0x14 that closes onset[/duration]

        // Texts, each closed by 0x14; the TAL is closed by 0x00.
        bool first_text = true;
        for (;;) {
            size_t m = i;
            while (m < b.size() && b[m] != tal_text_end && b[m] != tal_end)
                ++m;
            if (m == b.size())
                bad("TAL",
                    tal_start,
                    "the TAL closed by 0x00 within the annotation signal");
            if (b[m] == tal_end) {
                if (m != i)
                    bad("TAL text", i, "text closed by 0x14 before the closing 0x00");
                i = m + 1;
                break;
            }
            const std::string_view text = b.substr(i, m - i);
            if (first && time_keeping && first_text) {
                // The time-keeping TAL: "+onset\x14\x14", its first text empty.
                // It states when the record starts; it is not an event.
                if (!text.empty())
                    bad("time-keeping TAL",
                        tal_start,
                        "an empty first text (the record's time-keeping TAL)");
                record_onset = onset;
            } else if (!text.empty()) {
                a.text = std::string(text);
                out.push_back(a);
            }
            first_text = false;
            i = m + 1;
        }
        // "+onset\x14\x00" (no text at all) is not what the specification writes
        // for time keeping, but it cannot mean anything else.
        if (first && time_keeping && first_text)
            record_onset = onset;
        first = false;
    }
    if (time_keeping && first)
        throw ReadError(path,
                        where,
                        "a time-keeping TAL opening the data record",
                        "no TAL (only zero bytes)");
}

EdfFile read_impl(const std::string& path, bool with_data)
{
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st))
        throw ReadError(path, "no such file");
    std::ifstream in = file::open_input(path, "EDF/BDF file");
    const auto size = fs::file_size(path, ec);
    if (ec)
        throw ReadError(path, "cannot get the file size (" + ec.message() + ")");

    Header h = read_header(path, in, static_cast<int64_t>(size));
    EdfFile& f = h.file;
    if (!with_data)
        return std::move(f);

    // The size check passed, so every byte below exists; allocation is bounded
    // by the file size (at most 2 floats per 2- or 3-byte sample).
    for (auto& s : f.signals)
        s.samples.resize(static_cast<size_t>(f.n_records * s.samples_per_record));
    f.record_onsets.resize(static_cast<size_t>(f.n_records));

    std::vector<double> gain(f.signals.size());
    for (size_t k = 0; k < f.signals.size(); ++k)
        gain[k] = f.signals[k].gain();

    // (no records: no buffer; a header may declare huge records and none)
    std::string rec(f.n_records > 0 ? static_cast<size_t>(h.record_bytes) : 0, '\0');
    const auto* bytes = reinterpret_cast<const unsigned char*>(rec.data());
    for (int64_t r = 0; r < f.n_records; ++r) {
        if (!in.read(rec.data(), static_cast<std::streamsize>(rec.size())))
            throw ReadError(path,
                            "data record " + std::to_string(r),
                            std::to_string(h.record_bytes) + " bytes",
                            std::to_string(in.gcount()) +
                                " bytes (the file shrank while being read?)");
        // Without a time-keeping TAL (plain EDF/BDF) records are back to back.
        double onset = r * f.record_duration;
        bool first_annotation_signal = true;
        for (size_t i = 0; i < h.layout.size(); ++i) {
            const SignalLayout& lay = h.layout[i];
            const unsigned char* p = bytes + lay.byte_offset;
            if (lay.annotation) {
                const std::string_view b(rec.data() + lay.byte_offset,
                                         lay.samples_per_record * h.bytes_per_sample);
                const std::string where = "data record " + std::to_string(r) + ", " +
                                          signal_name(static_cast<int>(i), lay.label);
                parse_tals(path, where, b, first_annotation_signal, onset, f.annotations);
                first_annotation_signal = false;
                continue;
            }
            EdfSignal& s = f.signals[lay.ordinary_index];
            float* out = s.samples.data() + r * lay.samples_per_record;
            const double dmin = s.digital_min;
            const double pmin = s.physical_min;
            const double g = gain[lay.ordinary_index];
            // The specification's formula, term by term, in double.
            if (f.bdf) {
                for (int64_t n = 0; n < lay.samples_per_record; ++n)
                    out[n] = static_cast<float>((sample24(p + 3 * n) - dmin) * g + pmin);
            } else {
                for (int64_t n = 0; n < lay.samples_per_record; ++n)
                    out[n] = static_cast<float>((sample16(p + 2 * n) - dmin) * g + pmin);
            }
        }
        f.record_onsets[r] = onset;
    }
    // TALs need not come in time order across records and signals; keep the
    // file order among equal onsets.
    std::stable_sort(
        f.annotations.begin(),
        f.annotations.end(),
        [](const EdfAnnotation& a, const EdfAnnotation& b) { return a.onset < b.onset; });
    return std::move(f);
}

// NaN values that to_recording() may fill into the gaps of an EDF+D file beyond
// the number of values its records hold: 2^28 (1 GiB of float).
constexpr uint64_t max_gap_values = uint64_t(1) << 28;

// round(x) as a sample index, refusing values no index can hold.
int64_t sample_index(const std::string& path, const std::string& field, double x)
{
    if (!(std::fabs(x) < 9.0e18))
        throw ReadError(path, field, "a sample index within 64 bits", number_text(x));
    return std::llround(x);
}

} // namespace

EdfFile read_edf(const std::string& path) { return read_impl(path, true); }

EdfFile read_edf_header(const std::string& path) { return read_impl(path, false); }

Recording to_recording(const EdfFile& f, double annotation_rate)
{
    Recording rec;
    rec.source = f.path;

    const int channels = static_cast<int>(f.signals.size());
    int64_t spr = 0;
    if (channels == 0) {
        if (!f.annotations.empty() && !(annotation_rate > 0))
            throw ReadError(f.path,
                            "annotation sample rate",
                            "a rate > 0 to place the annotations (the file has no "
                            "ordinary signals)",
                            number_text(annotation_rate));
        rec.sample_rate = annotation_rate > 0 ? annotation_rate : 0.0;
    } else {
        // One rate for all: with one record duration that is one sample count
        // per record, so compare the integers, not the quotients.
        spr = f.signals[0].samples_per_record;
        bool same = true;
        for (const auto& s : f.signals)
            same = same && s.samples_per_record == spr;
        if (!same) {
            std::string found;
            for (size_t i = 0; i < f.signals.size(); ++i)
                found += (i ? ", '" : "'") + f.signals[i].label + "' " +
                         number_text(f.signals[i].sample_rate) + " Hz";
            throw ReadError(
                f.path,
                "sample rates",
                "one rate for all ordinary signals (a Recording has one rate)",
                found);
        }
        rec.sample_rate = f.signals[0].sample_rate;
        for (const auto& s : f.signals) {
            rec.channel_names.push_back(s.label);
            rec.units.push_back(s.physical_dimension);
        }
    }

    // Where each record starts, in samples. Continuous: back to back. EDF+D:
    // at its time-keeping onset, measured from the first record's.
    const double t0 = f.record_onsets.empty() ? 0.0 : f.record_onsets[0];
    std::vector<int64_t> starts(static_cast<size_t>(f.n_records));
    int64_t end = 0;
    if (channels > 0) {
        const bool placed = !f.continuous && f.record_onsets.size() == starts.size();
        for (int64_t r = 0; r < f.n_records; ++r) {
            int64_t s = r * spr;
            if (placed) {
                const std::string field = "data record " + std::to_string(r) + " onset";
                s = sample_index(
                    f.path, field, (f.record_onsets[r] - t0) * rec.sample_rate);
                if (s < end)
                    throw ReadError(f.path,
                                    field,
                                    "at or after the end of data record " +
                                        std::to_string(r - 1) +
                                        " (EDF+D records must not "
                                        "overlap)",
                                    number_text(f.record_onsets[r]) + " s");
            }
            else if (f.record_onsets.size() == starts.size()) {
                // EDF+C: contiguous by declaration; a record whose onset says
                // otherwise would put every later annotation on the wrong
                // sample. Half a sample of slack for the onsets' decimals.
                const double at = (f.record_onsets[r] - t0) * rec.sample_rate;
                if (!(std::abs(at - static_cast<double>(s)) <= 0.5))
                    throw ReadError(f.path,
                                    "data record " + std::to_string(r) + " onset",
                                    number_text(t0 + static_cast<double>(s) / rec.sample_rate) +
                                        " s (EDF+C: records back to back; EDF+D for gaps)",
                                    number_text(f.record_onsets[r]) + " s");
            }
            starts[r] = s;
            end = s + spr;
        }
    }
    rec.n_samples = end;

    // Gaps of an EDF+D file are NaN; their size comes from the file's onsets,
    // so an absurd onset must fail as a ReadError, not as a crash.
    const std::string too_big = std::to_string(rec.n_samples) + " samples x " +
                                std::to_string(channels) + " channels";
    if (channels > 0 &&
        static_cast<uint64_t>(rec.n_samples) > rec.samples.max_size() / channels)
        throw ReadError(
            f.path, "data record onsets", "a recording that fits in memory", too_big);
    // No byte of the file stands behind a gap: one TAL onset of a 1 KB file can
    // ask for gigabytes of NaN. So the gaps may hold at most as many values as
    // the records, or max_gap_values when that is more.
    const uint64_t stored_values = static_cast<uint64_t>(f.n_records) *
                                   static_cast<uint64_t>(spr) *
                                   static_cast<uint64_t>(channels);
    const uint64_t gap_values =
        static_cast<uint64_t>(rec.n_samples) * static_cast<uint64_t>(channels) -
        stored_values;
    if (gap_values > std::max(max_gap_values, stored_values))
        throw ReadError(f.path,
                        "data record onsets",
                        "gaps of at most " +
                            std::to_string(std::max(max_gap_values, stored_values)) +
                            " values between the EDF+D records (as many as the records "
                            "hold, or 2^28; read_edf() gives the records and their "
                            "onsets without filling gaps)",
                        std::to_string(gap_values) + " values of gaps (" + too_big +
                            ", " + std::to_string(stored_values) + " values stored)");
    try {
        rec.samples.assign(static_cast<size_t>(rec.n_samples) * channels,
                           std::numeric_limits<float>::quiet_NaN());
    } catch (const std::bad_alloc&) {
        throw ReadError(
            f.path, "data record onsets", "a recording that fits in memory", too_big);
    }
    for (int c = 0; c < channels; ++c) {
        const float* src = f.signals[c].samples.data();
        for (int64_t r = 0; r < f.n_records; ++r) {
            float* dst = rec.samples.data() + starts[r] * channels + c;
            const float* s = src + r * spr;
            for (int64_t n = 0; n < spr; ++n)
                dst[n * channels] = s[n];
        }
    }

    for (const auto& a : f.annotations) {
        Annotation out;
        out.sample = sample_index(f.path,
                                  "annotation '" + a.text + "' onset",
                                  (a.onset - t0) * rec.sample_rate);
        out.symbol = a.text;
        out.aux = a.text;
        out.duration = a.duration;
        rec.annotations.push_back(std::move(out));
    }
    // Already in onset order; a stable sort keeps that for equal samples.
    std::stable_sort(
        rec.annotations.begin(),
        rec.annotations.end(),
        [](const Annotation& a, const Annotation& b) { return a.sample < b.sample; });

    const std::string kind = std::string(f.bdf ? "BDF" : "EDF") +
                             (f.edf_plus ? (f.continuous ? "+C" : "+D") : "");
    rec.comments.push_back("format: " + kind);
    rec.comments.push_back("patient: " + f.patient);
    rec.comments.push_back("recording: " + f.recording);
    rec.comments.push_back("start: " + f.start_date + " " + f.start_time);
    return rec;
}

} // namespace io
} // namespace tfmed
