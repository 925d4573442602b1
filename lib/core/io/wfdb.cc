/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The WFDB reader in one file on purpose: header parsing, the ten signal
 * formats, skew/offset/multi-frequency handling, multi-segment records and
 * annotation files share one set of private helpers and one error style
 * (ReadError naming file, field, expected and found); the fuzz targets build
 * it as one translation unit. Split by format it would need those helpers
 * in a private header shared by every piece, for no reader that stands alone.
 */
#include "file.h"
#include <tfmed/io/wfdb.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <tuple>
#include <utility>

namespace tfmed {
namespace io {

namespace {

namespace fs = std::filesystem;

std::string strip_hea(const std::string& record)
{
    const std::string ext = ".hea";
    if (record.size() > ext.size() &&
        record.compare(record.size() - ext.size(), ext.size(), ext) == 0)
        return record.substr(0, record.size() - ext.size());
    return record;
}

std::vector<uint8_t> read_bytes(const std::string& path, const std::string& what)
{
    return file::read_all<std::vector<uint8_t>>(path, what);
}

// Field separators of a header line: C-locale white space. split_ws() and the
// search for the description (the rest of a signal line) must agree on them.
const char* const header_space = " \t\n\v\f\r";

std::vector<std::string> split_ws(const std::string& line)
{
    std::vector<std::string> out;
    size_t b = line.find_first_not_of(header_space);
    while (b != std::string::npos) {
        const size_t e = line.find_first_of(header_space, b);
        out.push_back(line.substr(b, e == std::string::npos ? e : e - b));
        b = line.find_first_not_of(header_space, e);
    }
    return out;
}

// Strict number parsing: the whole token must be a number.
bool to_double(const std::string& s, double& v)
{
    if (s.empty())
        return false;
    char* end = nullptr;
    errno = 0;
    v = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && errno == 0 && std::isfinite(v);
}

bool to_int64(const std::string& s, int64_t& v)
{
    if (s.empty())
        return false;
    char* end = nullptr;
    errno = 0;
    v = std::strtoll(s.c_str(), &end, 10);
    return end == s.c_str() + s.size() && errno == 0;
}

struct LineContext {
    const std::string& file;
    int line;
    std::string where(const std::string& field) const
    {
        return "line " + std::to_string(line) + ", " + field;
    }
};

double need_double(const LineContext& c, const std::string& field, const std::string& tok)
{
    double v;
    if (!to_double(tok, v))
        throw ReadError(c.file, c.where(field), "a number", "'" + tok + "'");
    return v;
}

int64_t need_int(const LineContext& c, const std::string& field, const std::string& tok)
{
    int64_t v;
    if (!to_int64(tok, v))
        throw ReadError(c.file, c.where(field), "an integer", "'" + tok + "'");
    return v;
}

// A header field stored as an int: out-of-range values are refused by name
// (a plain cast wrapped 4294967297 samples per frame to 1).
int need_int32(const LineContext& c, const std::string& field, const std::string& tok)
{
    const int64_t v = need_int(c, field, tok);
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        throw ReadError(c.file, c.where(field), "an integer within 32 bits", "'" + tok + "'");
    return static_cast<int>(v);
}

const int known_formats[] = {
    0, 8, 16, 24, 32, 61, 80, 160, 212, 310, 311, 508, 516, 524
};

bool is_flac(int f) { return f == 508 || f == 516 || f == 524; }

// The header's skew is in samples of the signal; a file is deskewed by whole
// frames, the nearest (libwfdb: skew / spf + 0.5, truncated).
size_t skew_frames(const WfdbSignalInfo& si)
{
    const int64_t spf = si.samples_per_frame, skew = si.skew;
    return static_cast<size_t>((2 * skew + spf) / (2 * spf));
}

int default_resolution(int format)
{
    switch (format) {
    case 8:
    case 80:
        return 8;
    case 212:
        return 12;
    case 310:
    case 311:
        return 10;
    case 24:
    case 524:
        return 24;
    case 32:
        return 32;
    default:
        return 16;
    }
}

// WFDB's "no sample here" marker: the most negative value of the format.
// Format 8 stores first differences and has none (libwfdb checks no value):
// a rebuilt -128 is a sample, so its marker is one that no 8-bit difference
// from a 32-bit initial value reaches in practice, only used for samples that
// skew moves past the end of the file.
int32_t invalid_value(int format)
{
    switch (format) {
    case 8:
        return std::numeric_limits<int32_t>::min();
    case 80:
        return -128;
    case 212:
        return -2048;
    case 310:
    case 311:
        return -512;
    case 24:
        return -(1 << 23);
    case 32:
        return std::numeric_limits<int32_t>::min();
    default:
        return -32768;
    }
}

void parse_signal_line(const LineContext& c,
                       const std::vector<std::string>& t,
                       WfdbSignalInfo& s)
{
    s.file_name = t[0];
    // format[xspf][:skew][+offset]
    {
        const std::string& f = t[1];
        size_t i = 0;
        while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i])))
            i++;
        s.format = need_int32(c, "format", f.substr(0, i));
        if (std::find(std::begin(known_formats), std::end(known_formats), s.format) ==
            std::end(known_formats))
            throw ReadError(c.file,
                            c.where("format"),
                            "one of 0, 8, 16, 24, 32, 61, 80, 160, 212, 310, 311, 508, "
                            "516, 524",
                            std::to_string(s.format));
        while (i < f.size()) {
            const char tag = f[i++];
            size_t j = i;
            while (j < f.size() && (std::isdigit(static_cast<unsigned char>(f[j])) ||
                                    (j == i && f[j] == '-')))
                j++;
            const std::string num = f.substr(i, j - i);
            if (tag == 'x')
                s.samples_per_frame =
                    need_int32(c, "samples per frame", num);
            else if (tag == ':')
                s.skew = need_int32(c, "skew", num);
            else if (tag == '+')
                s.byte_offset = need_int(c, "byte offset", num);
            else
                throw ReadError(c.file,
                                c.where("format"),
                                "format[xSPF][:SKEW][+OFFSET]",
                                "'" + f + "'");
            i = j;
        }
        if (s.samples_per_frame < 1)
            throw ReadError(c.file,
                            c.where("samples per frame"),
                            ">= 1",
                            std::to_string(s.samples_per_frame));
        if (s.skew < 0 || s.byte_offset < 0)
            throw ReadError(c.file, c.where("skew/byte offset"), ">= 0", "'" + f + "'");
    }
    s.adc_resolution = default_resolution(s.format);
    bool baseline_given = false;
    if (t.size() > 2) {
        // gain[(baseline)][/units]
        std::string g = t[2];
        const auto slash = g.find('/');
        if (slash != std::string::npos) {
            s.units = g.substr(slash + 1);
            g = g.substr(0, slash);
        }
        const auto paren = g.find('(');
        if (paren != std::string::npos) {
            if (g.back() != ')')
                throw ReadError(c.file,
                                c.where("ADC gain"),
                                "GAIN(BASELINE)/UNITS",
                                "'" + t[2] + "'");
            s.baseline =
                need_int32(c, "baseline", g.substr(paren + 1, g.size() - paren - 2));
            baseline_given = true;
            g = g.substr(0, paren);
        }
        s.adc_gain = need_double(c, "ADC gain", g);
        s.gain_given = s.adc_gain != 0.0;
        if (s.adc_gain == 0.0)
            s.adc_gain = 200.0; // WFDB: uncalibrated signals use the default gain
        // A negative gain inverts the signal's polarity; libwfdb and wfdb-python
        // read it as given.
        if (!std::isfinite(s.adc_gain))
            throw ReadError(c.file, c.where("ADC gain"), "a finite number", t[2]);
    }
    if (t.size() > 3) {
        s.adc_resolution = need_int32(c, "ADC resolution", t[3]);
        if (s.adc_resolution == 0)
            s.adc_resolution = default_resolution(s.format);
    }
    if (t.size() > 4)
        s.adc_zero = need_int32(c, "ADC zero", t[4]);
    s.initial_value = s.adc_zero;
    if (t.size() > 5)
        s.initial_value = need_int32(c, "initial value", t[5]);
    if (t.size() > 6) {
        s.checksum = need_int32(c, "checksum", t[6]);
        s.has_checksum = true;
    }
    if (t.size() > 7)
        s.block_size = need_int32(c, "block size", t[7]);
    if (!baseline_given)
        s.baseline = s.adc_zero;
}

} // namespace

WfdbHeader parse_wfdb_header(const std::string& text, const std::string& file)
{
    WfdbHeader h;
    h.path = file;
    std::istringstream in(text);
    std::string raw;
    int line_no = 0;
    bool have_record = false;
    size_t want_signals = 0, want_segments = 0;
    while (std::getline(in, raw)) {
        line_no++;
        if (!raw.empty() && raw.back() == '\r')
            raw.pop_back();
        const auto first = raw.find_first_not_of(header_space);
        if (first == std::string::npos)
            continue;
        if (raw[first] == '#') {
            std::string c = raw.substr(first + 1);
            if (!c.empty() && c[0] == ' ')
                c.erase(0, 1);
            h.comments.push_back(c);
            continue;
        }
        const LineContext ctx { file, line_no };
        auto t = split_ws(raw);
        if (!have_record) {
            // name[/nseg] nsig [fs[/counterfreq[(base)]] [nsamp [time [date]]]]
            const auto slash = t[0].find('/');
            h.record_name = t[0].substr(0, slash);
            if (slash != std::string::npos) {
                h.n_segments = need_int32(ctx, "number of segments", t[0].substr(slash + 1));
                if (h.n_segments < 1)
                    throw ReadError(file,
                                    ctx.where("number of segments"),
                                    ">= 1",
                                    t[0].substr(slash + 1));
            }
            if (t.size() < 2)
                throw ReadError(file,
                                ctx.where("number of signals"),
                                "a record line 'NAME NSIG [FS [NSAMP]]'",
                                "'" + raw + "'");
            const int64_t nsig = need_int(ctx, "number of signals", t[1]);
            if (nsig < 0 || nsig > 100000)
                throw ReadError(file, ctx.where("number of signals"), "0..100000", t[1]);
            if (t.size() > 2) {
                std::string f = t[2];
                const auto paren = f.find('(');
                if (paren != std::string::npos) {
                    h.base_counter =
                        need_double(ctx,
                                    "base counter",
                                    f.substr(paren + 1, f.find(')') - paren - 1));
                    f = f.substr(0, paren);
                }
                const auto fslash = f.find('/');
                if (fslash != std::string::npos) {
                    h.counter_frequency =
                        need_double(ctx, "counter frequency", f.substr(fslash + 1));
                    f = f.substr(0, fslash);
                }
                h.frame_frequency = need_double(ctx, "sampling frequency", f);
                if (h.frame_frequency <= 0)
                    throw ReadError(file, ctx.where("sampling frequency"), "> 0", f);
            }
            if (t.size() > 3) {
                h.n_samples = need_int(ctx, "number of samples", t[3]);
                if (h.n_samples < 0)
                    throw ReadError(file, ctx.where("number of samples"), ">= 0", t[3]);
                if (h.n_samples == 0 && h.n_segments == 0)
                    h.n_samples = -1; // 0 means "not given" for single segments
            }
            if (t.size() > 4)
                h.base_time = t[4];
            if (t.size() > 5)
                h.base_date = t[5];
            have_record = true;
            want_segments = h.n_segments;
            want_signals = h.n_segments > 0 ? 0 : static_cast<size_t>(nsig);
            h.signals.reserve(want_signals);
            continue;
        }
        if (h.segment_names.size() < want_segments) {
            if (t.size() < 2)
                throw ReadError(
                    file, ctx.where("segment"), "'NAME NSAMP'", "'" + raw + "'");
            h.segment_names.push_back(t[0]);
            const int64_t n = need_int(ctx, "segment length", t[1]);
            if (n < 0)
                throw ReadError(file, ctx.where("segment length"), ">= 0", t[1]);
            h.segment_lengths.push_back(n);
            continue;
        }
        if (h.signals.size() < want_signals) {
            if (t.size() < 2)
                throw ReadError(file,
                                ctx.where("signal " + std::to_string(h.signals.size())),
                                "'FILE FORMAT [GAIN ...]'",
                                "'" + raw + "'");
            WfdbSignalInfo s;
            parse_signal_line(ctx, t, s);
            // The description is the rest of the line after 8 fields.
            if (t.size() > 8) {
                size_t pos = 0;
                for (int k = 0; k < 8; k++) {
                    pos = raw.find_first_not_of(header_space, pos);
                    pos = raw.find_first_of(header_space, pos);
                }
                pos = raw.find_first_not_of(header_space, pos);
                s.description = raw.substr(pos);
                s.description.erase(s.description.find_last_not_of(header_space) + 1);
            }
            h.signals.push_back(s);
            continue;
        }
        // Extra non-comment lines (rare, e.g. trailing info) are kept as comments.
        h.comments.push_back(raw);
    }
    if (!have_record)
        throw ReadError(
            file, "record line", "'NAME NSIG [FS [NSAMP]]'", "no record line");
    if (h.segment_names.size() != want_segments)
        throw ReadError(file,
                        "segments",
                        std::to_string(want_segments) + " segment lines",
                        std::to_string(h.segment_names.size()));
    if (h.signals.size() != want_signals)
        throw ReadError(file,
                        "signals",
                        std::to_string(want_signals) + " signal lines",
                        std::to_string(h.signals.size()));
    return h;
}

WfdbHeader read_wfdb_header(const std::string& record)
{
    const std::string path = strip_hea(record) + ".hea";
    const auto bytes = read_bytes(path, "WFDB header file");
    return parse_wfdb_header(std::string(bytes.begin(), bytes.end()), path);
}

namespace {

// Decode `count` consecutive samples of one file's sample sequence.
// Returns false when the bytes run out first.
bool decode(int format, const uint8_t* p, size_t nbytes, size_t count, int32_t* out)
{
    auto need = [&](size_t b) { return b <= nbytes; };
    switch (format) {
    case 16:
        if (!need(count * 2))
            return false;
        for (size_t i = 0; i < count; i++)
            out[i] = static_cast<int16_t>(p[2 * i] | (p[2 * i + 1] << 8));
        return true;
    case 61:
        if (!need(count * 2))
            return false;
        for (size_t i = 0; i < count; i++)
            out[i] = static_cast<int16_t>((p[2 * i] << 8) | p[2 * i + 1]);
        return true;
    case 80:
        if (!need(count))
            return false;
        for (size_t i = 0; i < count; i++)
            out[i] = static_cast<int32_t>(p[i]) - 128;
        return true;
    case 8: // differences; integrated by the caller per signal
        if (!need(count))
            return false;
        for (size_t i = 0; i < count; i++)
            out[i] = static_cast<int8_t>(p[i]);
        return true;
    case 160:
        if (!need(count * 2))
            return false;
        for (size_t i = 0; i < count; i++)
            out[i] = static_cast<int32_t>(p[2 * i] | (p[2 * i + 1] << 8)) - 32768;
        return true;
    case 24:
        if (!need(count * 3))
            return false;
        for (size_t i = 0; i < count; i++) {
            int32_t v = p[3 * i] | (p[3 * i + 1] << 8) | (p[3 * i + 2] << 16);
            out[i] = v & 0x800000 ? v - 0x1000000 : v;
        }
        return true;
    case 32:
        if (!need(count * 4))
            return false;
        for (size_t i = 0; i < count; i++) {
            uint32_t v = p[4 * i] | (p[4 * i + 1] << 8) | (p[4 * i + 2] << 16) |
                         (static_cast<uint32_t>(p[4 * i + 3]) << 24);
            out[i] = static_cast<int32_t>(v);
        }
        return true;
    case 212: {
        // Two 12-bit samples in three bytes; an odd count ends with 2 bytes.
        if (!need((count * 3 + 1) / 2))
            return false;
        for (size_t i = 0; i < count; i++) {
            const uint8_t* q = p + (i / 2) * 3;
            int32_t v = (i % 2 == 0) ? (q[0] | ((q[1] & 0x0F) << 8))
                                     : (q[2] | ((q[1] & 0xF0) << 4));
            out[i] = v & 0x800 ? v - 0x1000 : v;
        }
        return true;
    }
    case 310: {
        // Three 10-bit samples in two little-endian 16-bit words.
        const size_t groups = count / 3, rem = count % 3;
        if (!need(groups * 4 + (rem ? 2 * rem : 0)))
            return false;
        for (size_t i = 0; i < count; i++) {
            const uint8_t* q = p + (i / 3) * 4;
            const uint32_t w0 = q[0] | (q[1] << 8);
            int32_t v;
            switch (i % 3) {
            case 0:
                v = (w0 >> 1) & 0x3FF;
                break;
            case 1:
                v = ((q[2] | (q[3] << 8)) >> 1) & 0x3FF;
                break;
            default:
                v = ((w0 >> 11) & 0x1F) | ((((q[2] | (q[3] << 8)) >> 11) & 0x1F) << 5);
                break;
            }
            out[i] = v & 0x200 ? v - 0x400 : v;
        }
        return true;
    }
    case 311: {
        // Three 10-bit samples in one little-endian 32-bit word.
        const size_t groups = count / 3, rem = count % 3;
        if (!need(groups * 4 + (rem ? rem + 1 : 0)))
            return false;
        for (size_t i = 0; i < count; i++) {
            const uint8_t* q = p + (i / 3) * 4;
            int32_t v;
            switch (i % 3) {
            case 0:
                v = q[0] | ((q[1] & 0x03) << 8);
                break;
            case 1:
                v = (q[1] >> 2) | ((q[2] & 0x0F) << 6);
                break;
            default:
                v = (q[2] >> 4) | ((q[3] & 0x3F) << 4);
                break;
            }
            out[i] = v & 0x200 ? v - 0x400 : v;
        }
        return true;
    }
    default:
        return false;
    }
}

// Samples that the null signals (format 0, or file "~") of a record without any
// stored signal may claim, since no file bounds them: 2^26 (256 MiB as int32).
constexpr int64_t max_null_samples = int64_t(1) << 26;

// Bytes that `count` samples of a format occupy (for records without NSAMP).
double bytes_per_sample(int format)
{
    switch (format) {
    case 8:
    case 80:
        return 1.0;
    case 24:
        return 3.0;
    case 32:
        return 4.0;
    case 212:
        return 1.5;
    case 310:
    case 311:
        return 4.0 / 3.0;
    default:
        return 2.0;
    }
}

} // namespace

WfdbDigital read_wfdb_digital(const std::string& record, bool verify_checksums)
{
    WfdbDigital d;
    d.header = read_wfdb_header(record);
    const WfdbHeader& h = d.header;
    if (h.n_segments > 0)
        throw ReadError(h.path,
                        "record",
                        "a single-segment record (read_wfdb() reads "
                        "multi-segment records)",
                        std::to_string(h.n_segments) + " segments");
    const fs::path dir = fs::path(h.path).parent_path();
    const size_t nsig = h.signals.size();
    d.samples.resize(nsig);
    d.invalid.resize(nsig);

    // Group the signals by file, in header order: one frame of a file holds
    // samples_per_frame samples of each of its signals.
    std::vector<std::vector<size_t>> groups;
    for (size_t s = 0; s < nsig; s++) {
        const auto& si = h.signals[s];
        d.invalid[s] = invalid_value(si.format);
        if (!groups.empty() && h.signals[groups.back()[0]].file_name == si.file_name &&
            si.format != 0 && si.file_name != "~")
            groups.back().push_back(s);
        else
            groups.push_back({ s });
    }

    int64_t frames = h.n_samples;
    const bool length_given = frames >= 0;
    struct Loaded {
        std::vector<uint8_t> bytes;
        size_t offset;
    };
    std::vector<Loaded> data(groups.size());
    for (size_t g = 0; g < groups.size(); g++) {
        const auto& first = h.signals[groups[g][0]];
        for (size_t s : groups[g]) {
            const auto& si = h.signals[s];
            if (si.format != first.format)
                throw ReadError(h.path,
                                "signal " + std::to_string(s) + " format",
                                "format " + std::to_string(first.format) +
                                    " like the other signals in " + si.file_name,
                                std::to_string(si.format));
        }
        if (first.format == 0 || first.file_name == "~")
            continue;
        if (is_flac(first.format))
            throw ReadError(h.path,
                            "signal " + std::to_string(groups[g][0]) + " format",
                            "a supported format (FLAC formats 508/516/524 need libFLAC, "
                            "which gr-tfmed does not use)",
                            std::to_string(first.format));
        const std::string path = (dir / first.file_name).string();
        data[g].bytes = read_bytes(path, "WFDB signal file");
        data[g].offset = static_cast<size_t>(first.byte_offset);
        if (data[g].offset > data[g].bytes.size())
            throw ReadError(path,
                            "signal " + std::to_string(groups[g][0]) + " byte offset",
                            "a signal file of at least " +
                                std::to_string(first.byte_offset) +
                                " bytes (the header's byte offset)",
                            std::to_string(data[g].bytes.size()) + " bytes");
        if (!length_given) {
            // No length on the record line: the record ends where the first of
            // its files does (libwfdb stops at the first end of file).
            size_t spf_sum = 0;
            for (size_t s : groups[g])
                spf_sum += h.signals[s].samples_per_frame;
            const double avail = data[g].bytes.size() > data[g].offset
                                     ? data[g].bytes.size() - data[g].offset
                                     : 0;
            const auto here =
                static_cast<int64_t>(avail / bytes_per_sample(first.format) / spf_sum);
            frames = frames < 0 ? here : std::min(frames, here);
        }
    }
    if (frames < 0)
        frames = 0;
    d.n_frames = frames;

    // Stored signals first: their files bound the record length, which must be
    // checked before the null signals below are given that many samples.
    std::vector<int32_t> seq;
    int64_t max_stored_spf = 0;
    for (size_t g = 0; g < groups.size(); g++) {
        const auto& first = h.signals[groups[g][0]];
        if (first.format == 0 || first.file_name == "~")
            continue;
        size_t spf_sum = 0, max_skew = 0;
        for (size_t s : groups[g]) {
            spf_sum += h.signals[s].samples_per_frame;
            max_skew = std::max<size_t>(max_skew, skew_frames(h.signals[s]));
            max_stored_spf =
                std::max<int64_t>(max_stored_spf, h.signals[s].samples_per_frame);
        }
        const auto& bytes = data[g].bytes;
        const size_t off = data[g].offset;
        // Stored frames: the record's frames plus those the skew shifts in.
        const size_t avail_bytes = bytes.size() > off ? bytes.size() - off : 0;
        const size_t stored_max =
            static_cast<size_t>(avail_bytes / bytes_per_sample(first.format) / spf_sum);
        const size_t stored = std::min<size_t>(frames + max_skew, stored_max);
        if (stored < static_cast<size_t>(frames)) {
            const double need =
                std::ceil(frames * spf_sum * bytes_per_sample(first.format));
            throw ReadError((dir / first.file_name).string(),
                            "length",
                            std::to_string(static_cast<int64_t>(need) + off) +
                                " bytes for " + std::to_string(frames) + " frames of " +
                                std::to_string(groups[g].size()) +
                                " signal(s) in format " + std::to_string(first.format),
                            std::to_string(bytes.size()) + " bytes");
        }
        seq.resize(stored * spf_sum);
        if (!decode(
                first.format, bytes.data() + off, avail_bytes, seq.size(), seq.data()))
            throw ReadError((dir / first.file_name).string(),
                            "length",
                            "enough bytes for " + std::to_string(seq.size()) + " samples",
                            std::to_string(avail_bytes) + " bytes");
        size_t col = 0;
        for (size_t s : groups[g]) {
            const auto& si = h.signals[s];
            const size_t spf = si.samples_per_frame;
            std::vector<int32_t> all(stored * spf);
            for (size_t f = 0; f < stored; f++)
                for (size_t k = 0; k < spf; k++)
                    all[f * spf + k] = seq[f * spf_sum + col + k];
            col += spf;
            if (si.format == 8) { // first differences from the initial value
                // Unsigned, so that a header's initial value near the int32 limit
                // wraps around (two's complement) instead of overflowing.
                uint32_t acc = static_cast<uint32_t>(si.initial_value);
                for (auto& v : all) {
                    acc += static_cast<uint32_t>(v);
                    v = static_cast<int32_t>(acc);
                }
            }
            if (verify_checksums && si.has_checksum) {
                // The header's checksum covers the record's frames as stored: the
                // low 16 bits of the sum, so unsigned (wrapping) arithmetic gives
                // it without overflowing on 32-bit samples.
                uint32_t sum = 0;
                const size_t n = std::min<size_t>(all.size(), frames * spf);
                for (size_t i = 0; i < n; i++)
                    sum += static_cast<uint32_t>(all[i]);
                const int16_t got = static_cast<int16_t>(sum & 0xFFFF);
                if (got != static_cast<int16_t>(si.checksum))
                    throw ReadError((dir / si.file_name).string(),
                                    "signal " + std::to_string(s) + " (" +
                                        si.description + ") checksum",
                                    std::to_string(si.checksum) + " (header)",
                                    std::to_string(got) + " (sum of the samples)");
            }
            // Skew: sample t of the signal is stored skew samples later, to the
            // nearest frame (the header gives samples; libwfdb deskews by frames).
            auto& out = d.samples[s];
            out.assign(frames * spf, d.invalid[s]);
            const size_t shift = skew_frames(si) * spf;
            for (size_t i = 0; i < out.size(); i++) {
                const size_t src = i + shift;
                if (src < all.size())
                    out[i] = all[src];
            }
        }
    }

    // Null signals: nothing stored, every sample is the invalid value, and only
    // the header says how many there are. So they are bounded: a null signal may
    // not be faster than the fastest stored signal (whose length the files
    // confirmed above), and a record that stores no signal may not claim more
    // than max_null_samples (frames x fastest rate x signals: what read_wfdb()
    // makes of it at the highest resolution).
    if (max_stored_spf == 0 && nsig > 0) {
        int64_t max_spf = 1;
        for (const auto& si : h.signals)
            max_spf = std::max<int64_t>(max_spf, si.samples_per_frame);
        if (frames > max_null_samples / max_spf / static_cast<int64_t>(nsig))
            throw ReadError(h.path,
                            "number of samples",
                            "at most " + std::to_string(max_null_samples) +
                                " samples in a record that stores none (frames x "
                                "samples per frame of the fastest signal x signals)",
                            std::to_string(frames) + " frames x " +
                                std::to_string(max_spf) + " x " + std::to_string(nsig) +
                                " signals");
    }
    for (size_t g = 0; g < groups.size(); g++) {
        const auto& first = h.signals[groups[g][0]];
        if (!(first.format == 0 || first.file_name == "~"))
            continue;
        for (size_t s : groups[g]) {
            const auto& si = h.signals[s];
            const std::string name =
                "signal " + std::to_string(s) +
                (si.description.empty() ? "" : " (" + si.description + ")");
            if (max_stored_spf > 0 && si.samples_per_frame > max_stored_spf)
                throw ReadError(h.path,
                                name + " samples per frame",
                                "at most " + std::to_string(max_stored_spf) +
                                    " (a null signal may not be faster than the fastest "
                                    "stored signal)",
                                std::to_string(si.samples_per_frame));
            d.samples[s].assign(frames * si.samples_per_frame, d.invalid[s]);
        }
    }
    return d;
}

namespace {

const char* const symbols[] = { " ", "N", "L", "R", "a",  "V", "F",    "J", "A",
                                "S", "E", "j", "/", "Q",  "~", "[15]", "|", "[17]",
                                "s", "T", "*", "D", "\"", "=", "p",    "B", "^",
                                "t", "+", "u", "?", "!",  "[", "]",    "e", "n",
                                "@", "x", "f", "(", ")",  "r" };
constexpr int n_symbols = sizeof(symbols) / sizeof(symbols[0]);

int max_samples_per_frame(const WfdbHeader& h)
{
    int m = 1;
    for (const auto& s : h.signals)
        m = std::max(m, s.samples_per_frame);
    return m;
}

// WFDB's meansamp(): the mean of n samples rounded to the nearest integer,
// halves rounded up (floor division of sum + n/2).
int64_t wfdb_mean(const int32_t* v, int n)
{
    int64_t sum = n / 2;
    for (int k = 0; k < n; k++)
        sum += v[k];
    const int64_t q = sum / n;
    return (sum % n != 0 && sum < 0) ? q - 1 : q;
}

enum class Mode { high_rate, frame_mean, frame_average };

Mode mode_of(const WfdbReadOptions& o)
{
    switch (o.sampling) {
    case WfdbSampling::high_rate:
        return Mode::high_rate;
    case WfdbSampling::frame_mean:
        return Mode::frame_mean;
    case WfdbSampling::frame_average:
        return Mode::frame_average;
    default:
        return o.high_resolution ? Mode::high_rate : Mode::frame_mean;
    }
}

// Physical values of output rows [row0, row1) of a record (or segment) appended
// to `out` (interleaved, `channels` wide). A row is a frame, or in high-rate
// mode 1/up of one: each signal's samples are held until its next one
// (WFDB_HIGHRES). In the frame modes a row is the mean of the frame's samples
// (see WfdbSampling). A sample that is invalid, or a frame mean over an invalid
// sample, is NaN.
void append_physical(const WfdbDigital& d,
                     const std::vector<int>& channel_of_signal,
                     int channels,
                     int up,
                     Mode mode,
                     int64_t row0,
                     int64_t row1,
                     std::vector<float>& out)
{
    const size_t base = out.size();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    if (row1 <= row0 || channels <= 0)
        return; // nothing to add (and out.data() may be null: no pointer arithmetic on it)
    out.resize(base + (row1 - row0) * channels, nan);
    for (size_t s = 0; s < d.samples.size(); s++) {
        const int c = channel_of_signal[s];
        if (c < 0)
            continue;
        const auto& si = d.header.signals[s];
        const int spf = si.samples_per_frame;
        const auto& v = d.samples[s];
        const int32_t bad = d.invalid[s];
        auto phys = [&](double x) {
            return static_cast<float>((x - si.baseline) / si.adc_gain);
        };
        float* dst = out.data() + base + c;
        for (int64_t i = row0; i < row1; i++, dst += channels) {
            if (mode == Mode::high_rate) {
                const int32_t x = v[(i * spf) / up];
                *dst = x == bad ? nan : phys(x);
                continue;
            }
            const int32_t* frame = v.data() + i * spf;
            if (std::find(frame, frame + spf, bad) != frame + spf)
                continue; // NaN
            if (mode == Mode::frame_average) {
                *dst = phys(static_cast<double>(wfdb_mean(frame, spf)));
            } else {
                double acc = 0;
                for (int k = 0; k < spf; k++)
                    acc += frame[k];
                *dst = phys(acc / spf);
            }
        }
    }
}

// The output rows [row0, row1) that start/length select out of `rows`; the
// same rule and error as select_samples().
std::pair<int64_t, int64_t>
select_rows(const std::string& source, int64_t rows, int64_t start, int64_t length)
{
    if (start < 0 || start > rows)
        throw ReadError(
            source, "start", "0.." + std::to_string(rows), std::to_string(start));
    if (length < -1)
        throw ReadError(source, "length", "-1 (to the end) or a count >= 0",
                        std::to_string(length));
    const int64_t len = length < 0 ? rows - start : std::min(length, rows - start);
    return { start, start + len };
}

} // namespace

std::string wfdb_annotation_symbol(int code)
{
    if (code >= 0 && code < n_symbols)
        return symbols[code];
    return "[" + std::to_string(code) + "]";
}

int wfdb_annotation_code(const std::string& symbol)
{
    for (int i = 1; i < n_symbols; i++)
        if (symbol == symbols[i])
            return i;
    return -1;
}

bool wfdb_is_beat(int code)
{
    switch (code) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
    case 12:
    case 13:
    case 25:
    case 30: // ? (LEARN): an unclassifiable beat
    case 31: // ! (FLWAV): a ventricular flutter wave
    case 34:
    case 35:
    case 38:
    case 41:
        return true; // (37, x: a non-conducted P wave, has no QRS)
    default:
        return false;
    }
}

namespace {

// One entry of the annotation stream as WFDB's getann() returns it, before the
// definition notes and null annotations are taken out.
struct RawAnnotation {
    int64_t time = 0; // in the file's time units
    int code = 0;
    int subtype = 0;
    int chan = 0;
    int num = 0;
    std::string aux;
};

constexpr int note_code = 22;     // NOTE: comment annotation
constexpr int max_ann_code = 49;  // ACMAX: the largest annotation code

std::vector<RawAnnotation> decode_annotations(const std::vector<uint8_t>& b,
                                              const std::string& path)
{
    std::vector<RawAnnotation> out;
    int64_t t = 0;
    int chan = 0, num = 0; // persist from one annotation to the next (getann)
    size_t i = 0;
    auto word = [&](size_t at) {
        return static_cast<unsigned>(b[at] | (b[at + 1] << 8));
    };
    // subtyp and num are signed 8-bit fields, chan an unsigned one (struct
    // WFDB_ann); the pseudo-annotation carries 10 bits, of which the field
    // keeps the low 8 as WFDB's assignment does.
    auto s8 = [](int x) { return static_cast<int>(static_cast<int8_t>(x & 0xFF)); };
    while (i + 1 < b.size()) {
        const unsigned w = word(i);
        const int a = w >> 10;
        const int x = w & 0x3FF;
        i += 2;
        if (w == 0)
            return out; // end of file marker
        if (a == 59) {  // SKIP: a signed 32-bit interval follows, high word first
            if (i + 4 > b.size())
                break;
            const int32_t skip = static_cast<int32_t>((word(i) << 16) | word(i + 2));
            t += skip;
            i += 4;
        } else if (a == 60) { // NUM
            num = s8(x);
            if (!out.empty())
                out.back().num = num;
        } else if (a == 61) { // SUB: this annotation only
            if (!out.empty())
                out.back().subtype = s8(x);
        } else if (a == 62) { // CHN
            chan = x & 0xFF;
            if (!out.empty())
                out.back().chan = chan;
        } else if (a == 63) { // AUX: len (low 8 bits) bytes, padded to an even count
            const size_t len = static_cast<size_t>(x & 0xFF);
            if (i + len > b.size())
                break;
            if (!out.empty()) {
                // b.data() + i, not &b[i]: i may be b.size() when len is 0.
                std::string aux(reinterpret_cast<const char*>(b.data() + i), len);
                aux.erase(std::find(aux.begin(), aux.end(), '\0'), aux.end());
                out.back().aux = file::as_utf8(aux); // Python reads tags' texts as UTF-8
            }
            i += len + (len & 1);
        } else {
            // An annotation (codes 0..58): x is the time since the previous one.
            t += x;
            RawAnnotation an;
            an.time = t;
            an.code = a;
            an.chan = chan;
            an.num = num;
            out.push_back(an);
        }
    }
    if (i < b.size() || b.size() < 2)
        throw ReadError(path,
                        "length",
                        "an annotation stream ending in a 0 word",
                        "a file cut after " + std::to_string(i) + " of " +
                            std::to_string(b.size()) + " bytes");
    return out; // ended without the 0 word, but on a record boundary
}

// A definition note's text: "CODE MNEMONIC [DESCRIPTION]". False when it is
// not one (WFDB consumes such notes all the same).
bool parse_type_definition(const std::string& text, WfdbAnnotationType& def)
{
    const char* const blank = " \t";
    size_t p = text.find_first_not_of(blank);
    if (p == std::string::npos)
        return false;
    size_t e = p;
    if (e < text.size() && (text[e] == '-' || text[e] == '+'))
        e++;
    while (e < text.size() && std::isdigit(static_cast<unsigned char>(text[e])))
        e++;
    int64_t code;
    if (!to_int64(text.substr(p, e - p), code) || code < 0 || code > max_ann_code)
        return false;
    e = text.find_first_of(blank, e); // the rest of the code token
    if (e == std::string::npos)
        return false;
    p = text.find_first_not_of(blank, e);
    if (p == std::string::npos)
        return false;
    e = text.find_first_of(blank, p);
    def.code = static_cast<int>(code);
    def.symbol = text.substr(p, e == std::string::npos ? e : e - p);
    def.description = e == std::string::npos ? "" : text.substr(e + 1);
    def.description.erase(def.description.find_last_not_of(" \t\r\n") + 1);
    return true;
}

} // namespace

WfdbAnnotationFile read_wfdb_annotation_file(const std::string& record,
                                             const std::string& annotator)
{
    WfdbAnnotationFile f;
    f.path = strip_hea(record) + "." + annotator;
    const auto raw = decode_annotations(read_bytes(f.path, "WFDB annotation file"), f.path);

    // As WFDB's annopen() does: the NOTEs (subtype 0) at time 0 that open the
    // file are the annotation-type table and the file's own notes, not
    // annotations; a null annotation (code 0) right after them marks the
    // table's end and is dropped with it.
    size_t k = 0;
    for (; k < raw.size() && raw[k].time == 0 && raw[k].code == note_code &&
           raw[k].subtype == 0;
         k++) {
        const std::string& text = raw[k].aux;
        if (text.empty())
            continue;
        const std::string resolution = "## time resolution: ";
        WfdbAnnotationType def;
        if (text.compare(0, resolution.size(), resolution) == 0) {
            double v;
            if (to_double(text.substr(resolution.size()), v) && v > 0)
                f.time_resolution = v;
        } else if (text[0] == '#') {
            continue; // "## annotation type definitions", "## end of definitions"
        } else if (parse_type_definition(text, def)) {
            auto same = [&](const WfdbAnnotationType& d) { return d.code == def.code; };
            f.types.erase(std::remove_if(f.types.begin(), f.types.end(), same),
                          f.types.end());
            f.types.push_back(def);
        } else {
            f.notes.push_back(text);
        }
    }
    // Code 0 (NOTQRS) is "not a getann/putann code" (ecgcodes.h): it is what
    // putann() writes after a SKIP to place a null annotation, never a label.
    for (; k < raw.size(); k++) {
        const RawAnnotation& r = raw[k];
        if (r.code == 0)
            continue;
        // A SKIP may step back (the stream need not be in time order: the
        // replay blocks sort), but never before the record's first sample.
        if (r.time < 0)
            throw ReadError(f.path,
                            "annotation " + std::to_string(f.annotations.size() + 1) + " time",
                            "a sample number >= 0",
                            std::to_string(r.time));
        Annotation an;
        an.sample = r.time;
        an.code = r.code;
        an.symbol = wfdb_annotation_symbol(r.code);
        for (const auto& d : f.types)
            if (d.code == r.code)
                an.symbol = d.symbol;
        an.subtype = r.subtype;
        an.channel = r.chan;
        an.num = r.num;
        an.aux = r.aux;
        f.annotations.push_back(an);
    }
    return f;
}

std::vector<Annotation> read_wfdb_annotations(const std::string& record,
                                              const std::string& annotator)
{
    return read_wfdb_annotation_file(record, annotator).annotations;
}

Recording read_wfdb(const std::string& record, const WfdbReadOptions& opt)
{
    Recording r;
    const std::string base = strip_hea(record);
    r.source = base;
    const WfdbHeader h = read_wfdb_header(base);
    r.comments = h.comments;
    const Mode mode = mode_of(opt);
    // Multi-frequency records: the highest signal rate, or the frame rate.
    int up = 1;
    int64_t row0 = 0, row1 = 0;
    if (h.n_segments == 0) {
        const WfdbDigital d = read_wfdb_digital(base, opt.verify_checksums);
        up = mode == Mode::high_rate ? max_samples_per_frame(h) : 1;
        std::vector<int> map(h.signals.size());
        for (size_t s = 0; s < map.size(); s++) {
            map[s] = static_cast<int>(s);
            r.channel_names.push_back(h.signals[s].description.empty()
                                          ? "sig" + std::to_string(s)
                                          : h.signals[s].description);
            r.units.push_back(h.signals[s].units);
        }
        std::tie(row0, row1) = select_rows(r.source, d.n_frames * up, opt.start, opt.length);
        append_physical(
            d, map, static_cast<int>(map.size()), up, mode, row0, row1, r.samples);
    } else {
        const fs::path dir = fs::path(h.path).parent_path();
        // The channels and their samples per frame: a variable layout record
        // names them in its layout segment (a first segment of length 0), a
        // fixed layout one in every segment, so its first one with data serves
        // (as in WFDB, which opens that segment's header first). No other
        // segment is opened unless it overlaps the selection.
        size_t first_data = 0;
        const bool variable = !h.segment_lengths.empty() && h.segment_lengths[0] == 0;
        std::vector<int> channel_spf;
        auto take_channels = [&](const WfdbHeader& layout) {
            for (const auto& s : layout.signals) {
                r.channel_names.push_back(s.description);
                r.units.push_back(s.units);
                channel_spf.push_back(s.samples_per_frame);
            }
        };
        if (variable) {
            take_channels(read_wfdb_header((dir / h.segment_names[0]).string()));
            first_data = 1;
        } else {
            for (size_t k = 0; k < h.segment_names.size(); k++)
                if (h.segment_names[k] != "~") {
                    take_channels(read_wfdb_header((dir / h.segment_names[k]).string()));
                    break;
                }
        }
        if (mode == Mode::high_rate)
            for (int spf : channel_spf)
                up = std::max(up, spf);
        int64_t total = 0;
        for (size_t k = first_data; k < h.segment_lengths.size(); k++)
            if (__builtin_add_overflow(total, h.segment_lengths[k], &total) ||
                total > std::numeric_limits<int64_t>::max() / up)
                throw ReadError(h.path,
                                "segment lengths",
                                "a record of at most " +
                                    std::to_string(std::numeric_limits<int64_t>::max() / up) +
                                    " frames in all",
                                "segments " + std::to_string(first_data) + ".." +
                                    std::to_string(k) + " longer than that");
        if (h.n_samples > 0 && h.n_samples != total)
            throw ReadError(h.path,
                            "number of samples",
                            std::to_string(h.n_samples) + " (record line)",
                            std::to_string(total) + " (sum of the segments)");
        std::tie(row0, row1) = select_rows(r.source, total * up, opt.start, opt.length);

        int64_t seg_row = 0; // first output row of segment k
        for (size_t k = first_data; k < h.segment_names.size(); k++) {
            const std::string& name = h.segment_names[k];
            const int64_t len = h.segment_lengths[k];
            const int64_t b = std::max(row0, seg_row);
            const int64_t e = std::min(row1, seg_row + len * up);
            seg_row += len * up;
            if (b >= e)
                continue; // outside the selection: not opened
            if (name == "~") { // null segment: a gap
                // No byte stands behind a gap: bound what a header line can ask for.
                const int64_t max_gap_values = int64_t(1) << 28; // 1 GiB of float
                const int64_t max_frames = max_gap_values / std::max(1, r.channels()) / up;
                if ((e - b) / up > max_frames)
                    throw ReadError(h.path,
                                    "null segment " + std::to_string(k) + " length",
                                    "at most " + std::to_string(max_frames) +
                                        " frames (2^28 values of NaN)",
                                    std::to_string((e - b) / up) + " frames");
                r.samples.resize(r.samples.size() + (e - b) * r.channels(),
                                 std::numeric_limits<float>::quiet_NaN());
                continue;
            }
            const WfdbDigital d =
                read_wfdb_digital((dir / name).string(), opt.verify_checksums);
            if (d.n_frames != len)
                throw ReadError(h.path,
                                "segment " + name + " length",
                                std::to_string(len) + " frames (master header)",
                                std::to_string(d.n_frames) + " (segment header)");
            // Variable layout: signals by name (a segment may lack some);
            // fixed layout: by position, as WFDB maps them.
            std::vector<int> map(d.header.signals.size(), -1);
            for (size_t s = 0; s < map.size(); s++) {
                const auto& si = d.header.signals[s];
                if (variable) {
                    auto it = std::find(
                        r.channel_names.begin(), r.channel_names.end(), si.description);
                    if (it != r.channel_names.end())
                        map[s] = static_cast<int>(it - r.channel_names.begin());
                } else if (s < channel_spf.size()) {
                    map[s] = static_cast<int>(s);
                }
                if (map[s] >= 0 && mode == Mode::high_rate && si.samples_per_frame > up)
                    throw ReadError(d.header.path,
                                    "signal " + std::to_string(s) + " (" +
                                        si.description + ") samples per frame",
                                    "at most " + std::to_string(up) +
                                        " (the fastest signal of the record's layout)",
                                    std::to_string(si.samples_per_frame));
            }
            const int64_t seg_begin = seg_row - len * up;
            append_physical(
                d, map, r.channels(), up, mode, b - seg_begin, e - seg_begin, r.samples);
        }
    }
    r.n_samples = row1 - row0;
    r.sample_rate = h.frame_frequency * up;

    if (!opt.annotator.empty() && fs::exists(base + "." + opt.annotator)) {
        // The record's own header and signal files are no annotation files:
        // decoded as one, a header gave dozens of made-up annotations.
        const std::string name = fs::path(base).filename().string() + "." + opt.annotator;
        bool own = opt.annotator == "hea";
        for (const auto& s : h.signals)
            own = own || s.file_name == name;
        if (own)
            throw ReadError(base + "." + opt.annotator,
                            "annotator",
                            "an annotation file (e.g. atr)",
                            "'" + opt.annotator + "', the record's own " +
                                (opt.annotator == "hea" ? "header" : "signal file"));
        WfdbAnnotationFile af = read_wfdb_annotation_file(base, opt.annotator);
        for (auto& a : af.annotations) {
            // Annotation times count frames, or 1/F s with a time resolution F;
            // WFDB rounds the scaled time half up.
            if (af.time_resolution > 0)
                a.sample = static_cast<int64_t>(
                    std::floor(a.sample * r.sample_rate / af.time_resolution + 0.5));
            else
                a.sample *= up;
            if (a.sample >= row0 && a.sample < row1) {
                a.sample -= row0;
                r.annotations.push_back(a);
            }
        }
    }
    return r;
}

} // namespace io
} // namespace tfmed
