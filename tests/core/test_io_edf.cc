/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * EDF / EDF+ / BDF reader: the real files of the WFDB sample set (an EDF+C file
 * with a WFDB twin, an annotation-only EDF+ file), small hand-built fixtures for
 * BDF, EDF+D and n_records = -1, and broken fixtures whose ReadError messages
 * are checked word for word. One file on purpose (past 600 lines): the
 * fixtures are built by shared helpers here, one short case per broken field.
 */
#include <tfmed/io/edf.h>

#include "data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace tfmed::io;
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------
// Fixture writer: builds EDF bytes field by field, so a test can make exactly
// one field lie.
// ---------------------------------------------------------------------------

struct FixtureSignal {
    std::string label = "A";
    std::string dimension = "uV";
    std::string pmin = "-500";
    std::string pmax = "500";
    std::string dmin = "-2048";
    std::string dmax = "2047";
    std::string spr = "4";
};

FixtureSignal annotation_signal(int spr)
{
    FixtureSignal s;
    s.label = "EDF Annotations";
    s.dimension = "";
    s.pmin = "-1";
    s.pmax = "1";
    s.dmin = "-32768";
    s.dmax = "32767";
    s.spr = std::to_string(spr);
    return s;
}

struct Fixture {
    std::string version = "0";
    std::string reserved;
    std::string n_records = "2";
    std::string duration = "1";
    std::string header_bytes; // "" = the right value
    std::vector<FixtureSignal> signals;
    std::string data; // all data records, raw
};

std::string field(const std::string& s, size_t width)
{
    std::string out = s.substr(0, width);
    out.resize(width, ' ');
    return out;
}

std::string build(const Fixture& f)
{
    const size_t ns = f.signals.size();
    std::string h;
    h += f.version.size() == 8 ? f.version : field(f.version, 8);
    h += field("X X X X", 80);
    h += field("Startdate X X X X", 80);
    h += "01.02.03";
    h += "04.05.06";
    h += field(f.header_bytes.empty() ? std::to_string(256 * (ns + 1)) : f.header_bytes,
               8);
    h += field(f.reserved, 44);
    h += field(f.n_records, 8);
    h += field(f.duration, 8);
    h += field(std::to_string(ns), 4);
    auto col = [&](size_t w,
                   const std::function<std::string(const FixtureSignal&)>& get) {
        for (const auto& s : f.signals)
            h += field(get(s), w);
    };
    col(16, [](const FixtureSignal& s) { return s.label; });
    col(80, [](const FixtureSignal&) { return std::string("AgAgCl"); });
    col(8, [](const FixtureSignal& s) { return s.dimension; });
    col(8, [](const FixtureSignal& s) { return s.pmin; });
    col(8, [](const FixtureSignal& s) { return s.pmax; });
    col(8, [](const FixtureSignal& s) { return s.dmin; });
    col(8, [](const FixtureSignal& s) { return s.dmax; });
    col(80, [](const FixtureSignal&) { return std::string("HP:0.1Hz"); });
    col(8, [](const FixtureSignal& s) { return s.spr; });
    col(32, [](const FixtureSignal&) { return std::string(); });
    return h + f.data;
}

std::string le16(int v)
{
    const auto u = static_cast<uint16_t>(static_cast<int16_t>(v));
    return std::string{ static_cast<char>(u & 0xFF), static_cast<char>(u >> 8) };
}

std::string le24(int v)
{
    const auto u = static_cast<uint32_t>(v) & 0xFFFFFF;
    return std::string{ static_cast<char>(u & 0xFF),
                        static_cast<char>((u >> 8) & 0xFF),
                        static_cast<char>((u >> 16) & 0xFF) };
}

std::string repeat(const std::string& s, int n)
{
    std::string out;
    for (int i = 0; i < n; ++i)
        out += s;
    return out;
}

// Annotation-signal bytes of one record: the TALs, then zero padding.
std::string tals(const std::string& text, size_t bytes)
{
    std::string out = text;
    out.resize(bytes, '\0');
    return out;
}

// Two ordinary signals (A, B), 4 samples per record, 2 records of 1 s.
Fixture two_signal_edf()
{
    Fixture f;
    f.signals = { FixtureSignal(), FixtureSignal() };
    f.signals[1].label = "B";
    f.signals[1].dimension = "mV";
    f.signals[1].pmin = "-1";
    f.signals[1].pmax = "1";
    f.signals[1].dmin = "-32768";
    f.signals[1].dmax = "32767";
    for (int r = 0; r < 2; ++r) {
        for (int n = 0; n < 4; ++n)
            f.data += le16(-2048 + 1000 * n + r); // A
        for (int n = 0; n < 4; ++n)
            f.data += le16(r == 0 ? -32768 : 32767); // B
    }
    return f;
}

class TempDir
{
public:
    TempDir()
    {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("tfmed_edf_" + std::to_string(::getpid()) + "_" + info->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    ~TempDir() { fs::remove_all(dir_); }
    std::string write(const std::string& name, const std::string& bytes) const
    {
        const std::string p = (dir_ / name).string();
        std::ofstream o(p, std::ios::binary);
        o.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return p;
    }

private:
    fs::path dir_;
};

// The ReadError text for `path`, or "" when it reads fine.
std::string error_of(const std::string& path)
{
    try {
        read_edf(path);
    } catch (const ReadError& e) {
        EXPECT_EQ(e.file(), path);
        return e.what();
    }
    return "";
}

// ---------------------------------------------------------------------------
// The WFDB twin of test_generator_2.edf, read straight from its header line
// by line: "file 16x200 32.7675/uV 15 0 3276 0 0 squarewave" is
// file, format x samples-per-frame, gain[(baseline)]/units, ADC resolution,
// ADC zero, initial value, checksum, block size, description.
// ---------------------------------------------------------------------------

struct WfdbTwinSignal {
    int format = 0;
    int spf = 1;
    double gain = 0;
    int baseline = 0;
    int initial = 0;
    int checksum = 0;
    std::string description;
    std::vector<int> digital;
};

struct WfdbTwin {
    double frame_rate = 0;
    int64_t frames = 0;
    std::vector<WfdbTwinSignal> signals;
};

WfdbTwin read_wfdb_twin(const std::string& hea)
{
    WfdbTwin w;
    std::ifstream in(hea);
    std::string line;
    std::getline(in, line);
    {
        std::istringstream s(line);
        std::string name;
        int nsig;
        s >> name >> nsig >> w.frame_rate >> w.frames;
    }
    std::string dat_name;
    while (std::getline(in, line)) {
        // test_generator_2.hea has CRLF line ends.
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::istringstream s(line);
        std::string fmt, gain;
        int res, zero;
        WfdbTwinSignal sig;
        s >> dat_name >> fmt >> gain >> res >> zero >> sig.initial >> sig.checksum;
        int block;
        s >> block;
        std::getline(s >> std::ws, sig.description);
        sig.format = std::stoi(fmt);
        const auto x = fmt.find('x');
        sig.spf = x == std::string::npos ? 1 : std::stoi(fmt.substr(x + 1));
        sig.gain = std::stod(gain);
        const auto paren = gain.find('(');
        sig.baseline =
            paren == std::string::npos ? zero : std::stoi(gain.substr(paren + 1));
        w.signals.push_back(sig);
    }
    // Format 16: 16-bit little-endian two's complement, one frame after the
    // other, each frame holding spf samples of signal 0, then of signal 1, ...
    const std::string dat = (fs::path(hea).parent_path() / dat_name).string();
    std::ifstream d(dat, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(d)), {});
    int frame_samples = 0;
    for (const auto& s : w.signals)
        frame_samples += s.spf;
    EXPECT_EQ(static_cast<int64_t>(bytes.size()), w.frames * frame_samples * 2);
    size_t pos = 0;
    for (int64_t k = 0; k < w.frames; ++k)
        for (auto& s : w.signals)
            for (int n = 0; n < s.spf; ++n, pos += 2)
                s.digital.push_back(
                    static_cast<int16_t>(static_cast<uint8_t>(bytes[pos]) |
                                         (static_cast<uint8_t>(bytes[pos + 1]) << 8)));
    return w;
}

} // namespace

// ---------------------------------------------------------------------------
// Real files
// ---------------------------------------------------------------------------

TEST(EdfReal, TestGenerator2Header)
{
    TFMED_REQUIRE_DATA(path, "wfdb_sample/test_generator_2.edf");
    const EdfFile f = read_edf(path);
    EXPECT_EQ(f.version, "0");
    EXPECT_TRUE(f.edf_plus);
    EXPECT_TRUE(f.continuous);
    EXPECT_FALSE(f.bdf);
    EXPECT_EQ(f.patient, "X X X X");
    EXPECT_EQ(f.recording, "Startdate 10-DEC-2009 X X test_generator");
    EXPECT_EQ(f.start_date, "10.12.09");
    EXPECT_EQ(f.start_time, "12.44.02");
    EXPECT_EQ(f.reserved, "EDF+C");
    EXPECT_EQ(f.header_bytes, 3328); // 256 * (1 + 12)
    EXPECT_EQ(f.n_records, 600);
    EXPECT_EQ(f.record_duration, 1.0);
    EXPECT_EQ(f.n_annotation_signals, 1);

    const std::vector<std::string> labels = { "squarewave", "ramp",        "pulse",
                                              "ECG",        "noise",       "sine 1 Hz",
                                              "sine 8 Hz",  "sine 8.5 Hz", "sine 15 Hz",
                                              "sine 17 Hz", "sine 50 Hz" };
    ASSERT_EQ(f.signals.size(), labels.size());
    for (size_t i = 0; i < labels.size(); ++i) {
        const EdfSignal& s = f.signals[i];
        EXPECT_EQ(s.label, labels[i]);
        // Signals 8 and 9 have the Latin-1 byte 0xB0 as their dimension; it
        // comes back as UTF-8 "°".
        EXPECT_EQ(s.physical_dimension, (i == 8 || i == 9) ? "\xC2\xB0" : "uV");
        EXPECT_EQ(s.physical_min, -1000.0);
        EXPECT_EQ(s.physical_max, 1000.0);
        EXPECT_EQ(s.digital_min, -32768);
        EXPECT_EQ(s.digital_max, 32767);
        EXPECT_EQ(s.samples_per_record, 200);
        EXPECT_EQ(s.sample_rate, 200.0);
        EXPECT_EQ(s.samples.size(), 120000u);
    }
    // The first squarewave sample is digital 3276 (first bytes after the
    // header: CC 0C): (3276 + 32768) * 2000 / 65535 - 1000.
    EXPECT_FLOAT_EQ(f.signals[0].samples[0],
                    static_cast<float>((3276 + 32768) * 2000.0 / 65535 - 1000));

    // Time keeping: record r starts at +r (its first TAL is "+r\x14\x14").
    ASSERT_EQ(f.record_onsets.size(), 600u);
    for (int r = 0; r < 600; ++r)
        EXPECT_EQ(f.record_onsets[r], r);

    // The only events (found by dumping the annotation bytes of each record
    // with python3): record 0 "+0.0000\x14RECORD START\x14", record 1
    // "+600.0000\x14REC STOP\x14"; the other 598 records hold only their
    // time-keeping TAL.
    ASSERT_EQ(f.annotations.size(), 2u);
    EXPECT_EQ(f.annotations[0].onset, 0.0);
    EXPECT_EQ(f.annotations[0].text, "RECORD START");
    EXPECT_FALSE(f.annotations[0].has_duration);
    EXPECT_EQ(f.annotations[1].onset, 600.0);
    EXPECT_EQ(f.annotations[1].text, "REC STOP");
}

TEST(EdfReal, TestGenerator2MatchesWfdbTwin)
{
    TFMED_REQUIRE_DATA(path, "wfdb_sample/test_generator_2.edf");
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/test_generator_2.hea");
    const EdfFile f = read_edf(path);
    const WfdbTwin w = read_wfdb_twin(hea);
    ASSERT_EQ(w.signals.size(), 12u); // 11 signals + the annotation bytes
    EXPECT_EQ(w.frames, 600);

    for (size_t i = 0; i < f.signals.size(); ++i) {
        const EdfSignal& e = f.signals[i];
        const WfdbTwinSignal& t = w.signals[i];
        SCOPED_TRACE(e.label);
        EXPECT_EQ(t.description, e.label);
        EXPECT_EQ(t.format, 16);
        EXPECT_EQ(w.frame_rate * t.spf, e.sample_rate);
        ASSERT_EQ(t.digital.size(), e.samples.size());
        // The .dat was read right: the header's initial value and 16-bit
        // checksum agree with it.
        EXPECT_EQ(t.digital[0], t.initial);
        int64_t sum = 0;
        for (int d : t.digital)
            sum += d;
        EXPECT_EQ(static_cast<int16_t>(static_cast<uint16_t>(sum & 0xFFFF)), t.checksum);

        // WFDB physical = (d - baseline) / gain with gain 32.7675 = 65535/2000
        // per uV and baseline 0; the EDF scaling maps -32768..32767 onto
        // -1000..1000, whose zero lies half a digital step off. The two must
        // agree within the EDF quantisation: half a step (0.0153 uV), plus
        // float rounding.
        const double step = e.gain();
        const double tol = 0.5 * step + 1e-4;
        double worst = 0;
        for (size_t n = 0; n < e.samples.size(); ++n) {
            const double wfdb = (t.digital[n] - t.baseline) / t.gain;
            worst = std::max(worst, std::fabs(e.samples[n] - wfdb));
            // And exactly: back to digital with the EDF scaling gives the
            // .dat integer.
            const double digital = (e.samples[n] - e.physical_min) / step + e.digital_min;
            if (std::lround(digital) != t.digital[n]) {
                ADD_FAILURE() << "sample " << n << ": EDF " << e.samples[n] << " -> "
                              << digital << ", WFDB digital " << t.digital[n];
                break;
            }
        }
        EXPECT_LE(worst, tol);
    }
}

TEST(EdfReal, TestGenerator2ToRecording)
{
    TFMED_REQUIRE_DATA(path, "wfdb_sample/test_generator_2.edf");
    const EdfFile f = read_edf(path);
    const Recording r = to_recording(f);
    EXPECT_EQ(r.source, path);
    EXPECT_EQ(r.sample_rate, 200.0);
    ASSERT_EQ(r.channels(), 11);
    EXPECT_EQ(r.n_samples, 120000);
    EXPECT_EQ(r.duration(), 600.0);
    EXPECT_EQ(r.channel_names[3], "ECG");
    EXPECT_EQ(r.units[3], "uV");
    ASSERT_EQ(r.samples.size(), 120000u * 11);
    for (int64_t t : { 0, 1, 199, 200, 60000, 119999 })
        for (int c = 0; c < 11; ++c)
            ASSERT_EQ(r.at(t, c), f.signals[c].samples[t]) << "t=" << t << " c=" << c;
    ASSERT_EQ(r.annotations.size(), 2u);
    EXPECT_EQ(r.annotations[0].sample, 0);
    EXPECT_EQ(r.annotations[0].symbol, "RECORD START");
    EXPECT_EQ(r.annotations[0].aux, "RECORD START");
    // +600 s is the end of the recording: one past the last sample, kept.
    EXPECT_EQ(r.annotations[1].sample, 120000);
    EXPECT_EQ(r.annotations[1].symbol, "REC STOP");
    EXPECT_EQ(r.comments[0], "format: EDF+C");
}

TEST(EdfReal, EdfAnnAnnotations)
{
    TFMED_REQUIRE_DATA(path, "wfdb_sample/test_edfann.edf");
    const EdfFile f = read_edf(path);
    EXPECT_TRUE(f.edf_plus);
    EXPECT_TRUE(f.continuous);
    EXPECT_EQ(f.patient, "SN001 X X X");
    EXPECT_EQ(f.start_date, "01.01.01");
    EXPECT_EQ(f.start_time, "23.59.30");
    // An annotation-only file: one record of duration 0 whose only signal is
    // "EDF Annotations" with 30720 "samples" (61440 bytes).
    EXPECT_EQ(f.n_records, 1);
    EXPECT_EQ(f.record_duration, 0.0);
    EXPECT_TRUE(f.signals.empty());
    EXPECT_EQ(f.n_annotation_signals, 1);
    ASSERT_EQ(f.record_onsets.size(), 1u);
    EXPECT_EQ(f.record_onsets[0], 0.0);

    // Determined with python3: the 61440 annotation bytes split at 0x00 into
    // 857 TALs; the first, "+0\x14\x14", is the time-keeping TAL; each of the
    // other 856 has one text. The first ones are
    //   +0\x1530\x14Sleep stage W\x14   +30\x1530\x14Sleep stage W\x14
    //   +33.43\x150\x14Lights off@@EEG F4-A1\x14   +60\x1530\x14Sleep stage W\x14
    // the last is +25618.74\x150\x14Lights on@@EEG Fpz-Cz\x14, and the texts
    // count N2 430, W 151, R 141, N1 109, N3 23, plus the two "Lights" events.
    ASSERT_EQ(f.annotations.size(), 856u);
    const struct {
        double onset, duration;
        const char* text;
    } first[] = { { 0, 30, "Sleep stage W" },
                  { 30, 30, "Sleep stage W" },
                  { 33.43, 0, "Lights off@@EEG F4-A1" },
                  { 60, 30, "Sleep stage W" },
                  { 90, 30, "Sleep stage W" } };
    for (size_t k = 0; k < std::size(first); ++k) {
        EXPECT_DOUBLE_EQ(f.annotations[k].onset, first[k].onset) << k;
        EXPECT_DOUBLE_EQ(f.annotations[k].duration, first[k].duration) << k;
        EXPECT_TRUE(f.annotations[k].has_duration) << k;
        EXPECT_EQ(f.annotations[k].text, first[k].text) << k;
    }
    EXPECT_DOUBLE_EQ(f.annotations.back().onset, 25618.74);
    EXPECT_EQ(f.annotations.back().text, "Lights on@@EEG Fpz-Cz");

    std::map<std::string, int> counts;
    for (const auto& a : f.annotations)
        ++counts[a.text];
    EXPECT_EQ(counts["Sleep stage N2"], 430);
    EXPECT_EQ(counts["Sleep stage W"], 151);
    EXPECT_EQ(counts["Sleep stage R"], 141);
    EXPECT_EQ(counts["Sleep stage N1"], 109);
    EXPECT_EQ(counts["Sleep stage N3"], 23);
    EXPECT_EQ(counts.size(), 7u);

    // No ordinary signal, so no rate to place the annotations: the caller
    // must give one.
    try {
        to_recording(f);
        ADD_FAILURE() << "expected a ReadError";
    } catch (const ReadError& e) {
        EXPECT_EQ(std::string(e.what()),
                  path + ": annotation sample rate: expected a rate > 0 to place the "
                         "annotations (the file has no ordinary signals), found 0");
    }
    const Recording r = to_recording(f, 100.0);
    EXPECT_EQ(r.channels(), 0);
    EXPECT_EQ(r.n_samples, 0);
    ASSERT_EQ(r.annotations.size(), 856u);
    EXPECT_EQ(r.annotations[0].sample, 0);
    EXPECT_EQ(r.annotations[1].sample, 3000);
    EXPECT_EQ(r.annotations[2].sample, 3343);
    EXPECT_EQ(r.annotations[2].duration, 0.0);
    EXPECT_EQ(r.annotations[3].sample, 6000);
    EXPECT_EQ(r.annotations[3].duration, 30.0);
    EXPECT_EQ(r.annotations.back().sample, 2561874);
}

TEST(EdfReal, HeaderOnly)
{
    TFMED_REQUIRE_DATA(path, "wfdb_sample/test_generator_2.edf");
    const EdfFile f = read_edf_header(path);
    EXPECT_EQ(f.n_records, 600);
    ASSERT_EQ(f.signals.size(), 11u);
    EXPECT_TRUE(f.signals[0].samples.empty());
    EXPECT_TRUE(f.annotations.empty());
    EXPECT_TRUE(f.record_onsets.empty());
}

// ---------------------------------------------------------------------------
// Hand-built fixtures: values
// ---------------------------------------------------------------------------

TEST(EdfFixture, ScalingFormula)
{
    TempDir dir;
    const std::string p = dir.write("two.edf", build(two_signal_edf()));
    const EdfFile f = read_edf(p);
    EXPECT_FALSE(f.edf_plus);
    ASSERT_EQ(f.signals.size(), 2u);
    EXPECT_EQ(f.signals[0].transducer, "AgAgCl");
    EXPECT_EQ(f.signals[0].prefiltering, "HP:0.1Hz");
    ASSERT_EQ(f.signals[0].samples.size(), 8u);
    // physical = (d - dmin) * (pmax - pmin) / (dmax - dmin) + pmin
    for (int r = 0; r < 2; ++r)
        for (int n = 0; n < 4; ++n) {
            const int d = -2048 + 1000 * n + r;
            EXPECT_FLOAT_EQ(f.signals[0].samples[r * 4 + n],
                            static_cast<float>((d + 2048) * 1000.0 / 4095 - 500));
        }
    EXPECT_EQ(f.signals[1].samples[0], -1.0f); // digital_min -> physical_min
    EXPECT_EQ(f.signals[1].samples[7], 1.0f);  // digital_max -> physical_max
    EXPECT_EQ(f.record_onsets, (std::vector<double>{ 0.0, 1.0 }));
    const Recording rec = to_recording(f);
    EXPECT_EQ(rec.n_samples, 8);
    EXPECT_EQ(rec.units, (std::vector<std::string>{ "uV", "mV" }));
    EXPECT_EQ(rec.at(5, 1), 1.0f);
}

TEST(EdfFixture, Bdf24Bit)
{
    TempDir dir;
    Fixture f;
    f.version = std::string("\xFF") + "BIOSEMI";
    f.reserved = "24BIT";
    f.n_records = "1";
    FixtureSignal s;
    s.pmin = "-262144";
    s.pmax = "262143";
    s.dmin = "-8388608";
    s.dmax = "8388607";
    s.spr = "3";
    f.signals = { s };
    f.data = le24(-8388608) + le24(-1) + le24(8388607);
    const EdfFile e = read_edf(dir.write("x.bdf", build(f)));
    EXPECT_TRUE(e.bdf);
    EXPECT_EQ(e.version, "BIOSEMI");
    ASSERT_EQ(e.signals[0].samples.size(), 3u);
    EXPECT_EQ(e.signals[0].samples[0], -262144.0f);
    // -1 must be sign-extended from 24 bits (0xFFFFFF), not read as 16777215.
    EXPECT_FLOAT_EQ(e.signals[0].samples[1],
                    static_cast<float>((-1 + 8388608) * 524287.0 / 16777215 - 262144));
    EXPECT_EQ(e.signals[0].samples[2], 262143.0f);
}

TEST(EdfFixture, UnknownRecordCount)
{
    TempDir dir;
    Fixture f = two_signal_edf();
    f.n_records = "-1";
    const EdfFile e = read_edf(dir.write("open.edf", build(f)));
    EXPECT_EQ(e.n_records, 2);
    EXPECT_EQ(e.signals[0].samples.size(), 8u);
}

TEST(EdfFixture, DiscontinuousGapsAreNaN)
{
    TempDir dir;
    Fixture f;
    f.reserved = "EDF+D";
    f.n_records = "2";
    f.duration = "0.5";
    FixtureSignal s;
    s.spr = "2"; // 4 Hz
    f.signals = { s, annotation_signal(12) };
    // Record 0 at +0 s, record 1 at +1.5 s: a 1 s gap (4 samples) between.
    // ("0.5\x14" and "ev\x14" are separate literals: "\x150" would be one escape.)
    const std::string rec0 =
        std::string("+0\x14\x14\0+0.25\x15", 11) + "0.5\x14" + "ev\x14";
    f.data = le16(0) + le16(1) + tals(rec0, 24);
    f.data += le16(2) + le16(3) + tals(std::string("+1.5\x14\x14", 6), 24);
    const EdfFile e = read_edf(dir.write("d.edf", build(f)));
    EXPECT_FALSE(e.continuous);
    EXPECT_EQ(e.record_onsets, (std::vector<double>{ 0.0, 1.5 }));
    ASSERT_EQ(e.annotations.size(), 1u);
    EXPECT_EQ(e.annotations[0].onset, 0.25);
    EXPECT_EQ(e.annotations[0].duration, 0.5);
    EXPECT_EQ(e.annotations[0].text, "ev");
    const Recording r = to_recording(e);
    EXPECT_EQ(r.sample_rate, 4.0);
    ASSERT_EQ(r.n_samples, 8);
    const float dig_to_phys0 = e.signals[0].samples[0];
    EXPECT_EQ(r.at(0, 0), dig_to_phys0);
    for (int t = 2; t < 6; ++t)
        EXPECT_TRUE(std::isnan(r.at(t, 0))) << t;
    EXPECT_EQ(r.at(6, 0), e.signals[0].samples[2]);
    ASSERT_EQ(r.annotations.size(), 1u);
    EXPECT_EQ(r.annotations[0].sample, 1);
    EXPECT_EQ(r.annotations[0].duration, 0.5);
}

// ---------------------------------------------------------------------------
// Broken fixtures: the exact messages
// ---------------------------------------------------------------------------

TEST(EdfErrors, MissingFile)
{
    TempDir dir;
    const std::string p = dir.write("x", "") + ".nope";
    EXPECT_EQ(error_of(p), p + ": no such file");
    // A directory named like an EDF file: refused before any read.
    const std::string d = fs::path(dir.write("x", "")).parent_path().string() + "/d.edf";
    fs::create_directory(d);
    EXPECT_EQ(error_of(d), d + ": is a directory, expected an EDF/BDF file");
}

TEST(EdfErrors, TruncatedFixedHeader)
{
    TempDir dir;
    const std::string p = dir.write("t.edf", build(two_signal_edf()).substr(0, 100));
    EXPECT_EQ(error_of(p),
              p + ": header: expected at least 256 bytes (the fixed part of the EDF "
                  "header), found 100 bytes");
}

TEST(EdfErrors, TruncatedSignalHeaders)
{
    TempDir dir;
    const std::string p = dir.write("t.edf", build(two_signal_edf()).substr(0, 356));
    EXPECT_EQ(error_of(p),
              p + ": header: expected 768 bytes (256 + 256 * 2 signals), found a file of "
                  "356 bytes (truncated)");
}

TEST(EdfErrors, TruncatedData)
{
    TempDir dir;
    const std::string bytes = build(two_signal_edf()); // 768 + 2 * 16
    const std::string p = dir.write("t.edf", bytes.substr(0, bytes.size() - 1));
    EXPECT_EQ(error_of(p),
              p + ": file size: expected 768 header bytes + 2 data records * 16 bytes = "
                  "800 bytes, found 799 bytes");
}

TEST(EdfErrors, LyingRecordCount)
{
    TempDir dir;
    Fixture f = two_signal_edf();
    f.n_records = "3";
    const std::string p = dir.write("lie.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": file size: expected 768 header bytes + 3 data records * 16 bytes = "
                  "816 bytes, found 800 bytes");
    // A count so large that count * record size overflows 64 bits.
    f.n_records = "99999999";
    f.signals[0].spr = "99999999";
    f.signals[1].spr = "99999999";
    const std::string q = dir.write("huge.edf", build(f));
    const std::string e = error_of(q);
    EXPECT_NE(e.find(": file size: expected 768 header bytes + 99999999 data records * "
                     "399999996 bytes = "),
              std::string::npos)
        << e;
}

TEST(EdfErrors, UnknownCountWithPartialRecord)
{
    TempDir dir;
    Fixture f = two_signal_edf();
    f.n_records = "-1";
    f.data += "xyz";
    const std::string p = dir.write("p.edf", build(f));
    EXPECT_EQ(
        error_of(p),
        p + ": file size: expected 768 header bytes + whole data records of 16 bytes "
            "(number of data records is -1), found 803 bytes (3 bytes of a partial "
            "record at the end)");
}

TEST(EdfErrors, BadDigitalRange)
{
    TempDir dir;
    Fixture f = two_signal_edf();
    f.signals[1].dmin = "100";
    f.signals[1].dmax = "100";
    const std::string p = dir.write("d.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": signal 1 ('B') digital maximum: expected greater than the digital "
                  "minimum (100), found 100");

    f = two_signal_edf();
    f.signals[0].dmax = "40000";
    const std::string q = dir.write("e.edf", build(f));
    EXPECT_EQ(
        error_of(q),
        q + ": signal 0 ('A') digital range: expected within the 16-bit sample range "
            "[-32768, 32767], found [-2048, 40000]");
}

TEST(EdfErrors, EqualPhysicalRange)
{
    TempDir dir;
    Fixture f = two_signal_edf();
    f.signals[0].pmax = "-500";
    const std::string p = dir.write("d.edf", build(f));
    EXPECT_EQ(
        error_of(p),
        p + ": signal 0 ('A') physical maximum: expected different from the physical "
            "minimum (-500), found -500");
}

TEST(EdfErrors, NonNumericFields)
{
    TempDir dir;
    Fixture f = two_signal_edf();
    f.signals[0].pmin = "abc";
    std::string p = dir.write("n1.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": signal 0 ('A') physical minimum: expected a number, found 'abc'");

    f = two_signal_edf();
    f.signals[1].spr = "4.5";
    p = dir.write("n2.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": signal 1 ('B') number of samples in each data record: expected an "
                  "integer, found '4.5'");

    f = two_signal_edf();
    f.n_records = "two";
    p = dir.write("n3.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": number of data records: expected an integer, found 'two'");

    f = two_signal_edf();
    f.duration = "1,0"; // a decimal comma
    p = dir.write("n4.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": duration of a data record: expected a number, found '1,0'");

    f = two_signal_edf();
    f.duration = "nan";
    p = dir.write("n5.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": duration of a data record: expected a number, found 'nan'");
}

TEST(EdfErrors, HeaderFields)
{
    TempDir dir;
    Fixture f = two_signal_edf();
    f.version = "1";
    std::string p = dir.write("v.edf", build(f));
    EXPECT_EQ(
        error_of(p),
        p + ": version (bytes 0-7): expected '0' (EDF/EDF+) or 0xFF 'BIOSEMI' (BDF), "
            "found '1       '");

    f = two_signal_edf();
    f.header_bytes = "1024";
    p = dir.write("h.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": number of bytes in header record: expected 768 (256 + 256 * 2 "
                  "signals), found 1024");

    f = two_signal_edf();
    f.reserved = "EDF+X";
    p = dir.write("r.edf", build(f));
    EXPECT_EQ(
        error_of(p),
        p + ": reserved field: expected 'EDF+C' or 'EDF+D' (or BDF+C / BDF+D) for an "
            "EDF+ file, found 'EDF+X'");

    f = two_signal_edf();
    f.signals[0].spr = "0";
    p = dir.write("s.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": signal 0 ('A') number of samples in each data record: expected at "
                  "least 1, found 0");

    f = two_signal_edf();
    f.reserved = "EDF+D"; // discontinuous but nothing to tell where records are
    p = dir.write("nd.edf", build(f));
    EXPECT_EQ(error_of(p),
              p + ": signals: expected an 'EDF Annotations' signal (EDF+D needs its "
                  "time-keeping TALs), found none among 2 signals");
}

TEST(EdfErrors, MalformedTals)
{
    TempDir dir;
    auto one = [&](const std::string& name, const std::string& tal_bytes) {
        Fixture f;
        f.reserved = "EDF+C";
        f.n_records = "1";
        f.signals = { FixtureSignal(), annotation_signal(8) };
        f.data = le16(0) + le16(0) + le16(0) + le16(0) + tals(tal_bytes, 16);
        return dir.write(name, build(f));
    };
    std::string p = one("a.edf", "0\x14\x14");
    EXPECT_EQ(error_of(p),
              p + ": data record 0, signal 1 ('EDF Annotations'), TAL onset at byte 0: "
                  "expected '+' or '-' then seconds, found "
                  "'0\\x14\\x14" +
                  repeat("\\x00", 13) + "'");
    p = one("b.edf", "+1.2.3\x14\x14");
    EXPECT_EQ(error_of(p),
              p + ": data record 0, signal 1 ('EDF Annotations'), TAL onset at byte 0: "
                  "expected '+' or '-' then seconds (digits, optional '.'), found "
                  "'+1.2.3\\x14\\x14\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'");
    p = one("c.edf", std::string("+0\x14\x14\0+1\x15x\x14y\x14", 12));
    EXPECT_EQ(
        error_of(p),
        p + ": data record 0, signal 1 ('EDF Annotations'), TAL duration at byte 8: "
            "expected seconds (digits, optional '.', no sign), found "
            "'+0\\x14\\x14\\x00+1\\x15x\\x14y\\x14\\x00\\x00\\x00\\x00'");
    p = one("d.edf", "+0\x14text\x14");
    EXPECT_EQ(
        error_of(p),
        p + ": data record 0, signal 1 ('EDF Annotations'), time-keeping TAL at byte "
            "0: expected an empty first text (the record's time-keeping TAL), found "
            "'+0\\x14text\\x14\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'");
    p = one("e.edf", "");
    EXPECT_EQ(
        error_of(p),
        p + ": data record 0, signal 1 ('EDF Annotations'): expected a time-keeping "
            "TAL opening the data record, found no TAL (only zero bytes)");
    // Bytes after "+0\x14\x14" belong to a second text of the time-keeping
    // TAL (texts end only at 0x14 or 0x00); here it runs to the end of the
    // signal with neither, so the TAL is never closed.
    p = one("f.edf", "+0\x14\x14\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\x0B\x0C");
    EXPECT_EQ(
        error_of(p),
        p + ": data record 0, signal 1 ('EDF Annotations'), TAL at byte 0: expected "
            "the TAL closed by 0x00 within the annotation signal, found "
            "'+0\\x14\\x14\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x09\\x0A\\x0B\\x0C'");
    // The second TAL is cut by the end of the 16-byte signal.
    p = one("h.edf", "+0\x14\x14" + std::string(1, '\0') + "+1\x14long text");
    EXPECT_EQ(
        error_of(p),
        p + ": data record 0, signal 1 ('EDF Annotations'), TAL at byte 5: expected "
            "the TAL closed by 0x00 within the annotation signal, found "
            "'+0\\x14\\x14\\x00+1\\x14long tex'");
}

TEST(EdfErrors, MixedRatesInRecording)
{
    TempDir dir;
    Fixture f = two_signal_edf();
    f.signals[1].spr = "2";
    f.data.clear();
    for (int r = 0; r < 2; ++r)
        f.data += le16(0) + le16(0) + le16(0) + le16(0) + le16(0) + le16(0);
    const std::string p = dir.write("m.edf", build(f));
    const EdfFile e = read_edf(p);
    try {
        to_recording(e);
        ADD_FAILURE() << "expected a ReadError";
    } catch (const ReadError& err) {
        EXPECT_EQ(std::string(err.what()),
                  p + ": sample rates: expected one rate for all ordinary signals (a "
                      "Recording has one rate), found 'A' 4 Hz, 'B' 2 Hz");
    }
}

TEST(EdfErrors, OverlappingDiscontinuousRecords)
{
    TempDir dir;
    Fixture f;
    f.reserved = "EDF+D";
    f.n_records = "2";
    FixtureSignal s;
    s.spr = "2";
    f.signals = { s, annotation_signal(4) };
    f.data = le16(0) + le16(0) + tals("+5\x14\x14", 8) + le16(0) + le16(0) +
             tals("+5.5\x14\x14", 8);
    const std::string p = dir.write("o.edf", build(f));
    const EdfFile e = read_edf(p);
    try {
        to_recording(e);
        ADD_FAILURE() << "expected a ReadError";
    } catch (const ReadError& err) {
        EXPECT_EQ(
            std::string(err.what()),
            p + ": data record 1 onset: expected at or after the end of data record "
                "0 (EDF+D records must not overlap), found 5.5 s");
    }
}

// EDF+C declares its records back to back: an onset that jumps would put
// every later annotation on the wrong sample (it was laid out without a
// word). Onsets within half a sample pass.
TEST(EdfErrors, ContinuousRecordsWhoseOnsetsJump)
{
    TempDir dir;
    Fixture f;
    f.reserved = "EDF+C";
    f.n_records = "2";
    FixtureSignal s;
    s.spr = "2"; // 2 Hz (1 s records)
    f.signals = { s, annotation_signal(4) };
    f.data = le16(0) + le16(0) + tals("+0\x14\x14", 8) + le16(0) + le16(0) +
             tals("+10\x14\x14", 8);
    const std::string p = dir.write("c.edf", build(f));
    try {
        to_recording(read_edf(p));
        ADD_FAILURE() << "expected a ReadError";
    } catch (const ReadError& err) {
        EXPECT_EQ(std::string(err.what()),
                  p + ": data record 1 onset: expected 1 s (EDF+C: records back to back; "
                      "EDF+D for gaps), found 10 s");
    }
    f.data = le16(0) + le16(0) + tals("+0\x14\x14", 8) + le16(0) + le16(0) +
             tals("+1.2\x14\x14", 8); // 0.4 samples late: the onsets' decimals
    EXPECT_EQ(to_recording(read_edf(dir.write("c2.edf", build(f)))).n_samples, 4);
}

// A header may declare huge records and none of them: nothing is allocated
// for records that are not there (400 signals of 99,999,999 samples: an
// 80 GB record buffer, which the allocator refuses, before the fix).
TEST(EdfFixture, NoRecordsAllocateNothing)
{
    TempDir dir;
    Fixture f;
    f.n_records = "0";
    FixtureSignal s;
    s.spr = "99999999";
    f.signals.assign(400, s);
    const EdfFile e = read_edf(dir.write("z.edf", build(f)));
    EXPECT_EQ(e.n_records, 0);
    EXPECT_EQ(e.signals[0].samples.size(), 0u);
}

// Every truncation, and random damage to header and annotation bytes: the
// reader must throw ReadError or succeed, never crash or read out of bounds.
TEST(EdfErrors, NeverCrashes)
{
    TempDir dir;
    Fixture f;
    f.reserved = "EDF+C";
    f.n_records = "2";
    f.signals = { FixtureSignal(), annotation_signal(8) };
    for (int r = 0; r < 2; ++r)
        f.data += le16(1) + le16(2) + le16(3) + le16(4) +
                  tals("+" + std::to_string(r) + "\x14\x14", 16);
    const std::string good = build(f);
    ASSERT_EQ(error_of(dir.write("good.edf", good)), "");

    for (size_t n = 0; n < good.size(); ++n)
        EXPECT_NE(error_of(dir.write("cut.edf", good.substr(0, n))), "") << n;

    std::mt19937 rng(1234);
    std::uniform_int_distribution<size_t> where(0, good.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    int ok = 0, rejected = 0;
    for (int k = 0; k < 3000; ++k) {
        std::string bad = good;
        for (int j = 0; j < 3; ++j)
            bad[where(rng)] = static_cast<char>(byte(rng));
        const std::string p = dir.write("bad.edf", bad);
        try {
            const EdfFile e = read_edf(p);
            ++ok;
            (void)to_recording(e, 1.0);
        } catch (const ReadError&) {
            ++rejected;
        }
    }
    EXPECT_GT(ok, 0);
    EXPECT_GT(rejected, 0);
}

// Found by the fuzz target tests/fuzz/fuzz_edf: one TAL onset of a 1 KB EDF+D
// file made to_recording() fill gigabytes of NaN (3.2 GB for +100000000 s at
// 4 Hz). Gaps may hold as many values as the records, or 2^28.
TEST(EdfErrors, HugeDiscontinuousGapIsAnError)
{
    TempDir dir;
    Fixture f;
    f.reserved = "EDF+D";
    f.n_records = "2";
    FixtureSignal s;
    s.spr = "4"; // 4 Hz
    f.signals = { s, annotation_signal(8) };
    f.data = repeat(le16(0), 4) + tals(std::string("+0\x14\x14", 4), 16) +
             repeat(le16(1), 4) + tals(std::string("+100000000\x14\x14", 12), 16);
    const std::string p = dir.write("gap.edf", build(f));
    const EdfFile e = read_edf(p);
    EXPECT_EQ(e.record_onsets, (std::vector<double>{ 0.0, 1e8 }));
    try {
        to_recording(e);
        ADD_FAILURE() << "expected a ReadError";
    } catch (const ReadError& err) {
        EXPECT_EQ(std::string(err.what()),
                  p + ": data record onsets: expected gaps of at most 268435456 values "
                      "between the EDF+D records (as many as the records hold, or 2^28; "
                      "read_edf() gives the records and their onsets without filling "
                      "gaps), found 399999996 values of gaps (400000004 samples x 1 "
                      "channels, 8 values stored)");
    }
    // A gap within the limit is still filled: +1000 s is 3996 NaN samples.
    f.data = repeat(le16(0), 4) + tals(std::string("+0\x14\x14", 4), 16) +
             repeat(le16(1), 4) + tals(std::string("+1000\x14\x14", 7), 16);
    const Recording r = to_recording(read_edf(dir.write("gap2.edf", build(f))));
    EXPECT_EQ(r.n_samples, 4004);
    EXPECT_TRUE(std::isnan(r.at(4, 0)));
}
