/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * WFDB reader on the WFDB library's own sample records (../shared/data/wfdb_sample):
 * MIT-BIH record 100 against its header and .atr, every storage format against
 * its header checksum, twins against each other, multi-segment records, and
 * broken files against clear errors.
 */
#include "data.h"
#include "errors.h"
#include <tfmed/io/wfdb.h>

#include <gtest/gtest.h>

#include <set>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include <unistd.h>

using namespace tfmed::io;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& f)
{
    return tfmed_test::message_of<ReadError>(f);
}

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

// A scratch copy of some sample files, to break on purpose.
struct Scratch {
    fs::path dir;
    explicit Scratch(const std::string& name)
        : dir(fs::temp_directory_path() / ("tfmed_wfdb_" + name + "_" +
                                           std::to_string(::getpid())))
    {
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~Scratch() { fs::remove_all(dir); }
    std::string copy(const std::string& from, const std::string& name)
    {
        fs::copy_file(from, dir / name);
        return (dir / name).string();
    }
    void write(const std::string& name, const std::string& text)
    {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    std::string path(const std::string& name) const { return (dir / name).string(); }
};

} // namespace

TEST(WfdbTest, Record100MatchesHeaderAndAnnotations)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    const std::string rec = hea.substr(0, hea.size() - 4);
    const Recording r = read_wfdb(rec);
    EXPECT_EQ(r.n_samples, 650000);
    ASSERT_EQ(r.channels(), 2);
    EXPECT_EQ(r.samples.size(), 1300000u);
    EXPECT_EQ(r.channel_names, (std::vector<std::string>{ "MLII", "V5" }));
    EXPECT_EQ(r.units, (std::vector<std::string>{ "mV", "mV" }));
    EXPECT_DOUBLE_EQ(r.sample_rate, 360.0);
    // Header: initial values 995 and 1011, gain 200, baseline (ADC zero) 1024.
    EXPECT_FLOAT_EQ(r.at(0, 0), (995 - 1024) / 200.0f);
    EXPECT_FLOAT_EQ(r.at(0, 1), (1011 - 1024) / 200.0f);
    EXPECT_EQ(r.comments.front(), "unnecessary comment");

    // 100.atr: 2,273 beats (2,239 N, 33 A, 1 V) and one rhythm annotation.
    ASSERT_EQ(r.annotations.size(), 2274u);
    std::map<std::string, int> by_symbol;
    int beats = 0;
    for (const auto& a : r.annotations) {
        by_symbol[a.symbol]++;
        beats += wfdb_is_beat(a.code);
    }
    EXPECT_EQ(beats, 2273);
    EXPECT_EQ(by_symbol, (std::map<std::string, int>{ { "+", 1 }, { "A", 33 }, { "N", 2239 },
                                                     { "V", 1 } }));
    EXPECT_EQ(r.annotations[0].symbol, "+");
    EXPECT_EQ(r.annotations[0].sample, 18);
    EXPECT_EQ(r.annotations[0].aux, "(N");
    EXPECT_EQ(r.annotations[1].symbol, "N");
    EXPECT_EQ(r.annotations[1].sample, 77);
    EXPECT_EQ(r.annotations.back().sample, 649991);
    EXPECT_EQ(wfdb_annotation_code("V"), 5);
}

TEST(WfdbTest, StartAndLengthSelectSamplesAndRebaseAnnotations)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    const std::string rec = hea.substr(0, hea.size() - 4);
    const Recording all = read_wfdb(rec);
    WfdbReadOptions o;
    o.start = 3600;
    o.length = 3600;
    const Recording part = read_wfdb(rec, o);
    ASSERT_EQ(part.n_samples, 3600);
    for (int64_t t : { 0, 1, 1799, 3599 })
        for (int c : { 0, 1 })
            EXPECT_EQ(part.at(t, c), all.at(3600 + t, c));
    int expected = 0;
    for (const auto& a : all.annotations)
        expected += a.sample >= 3600 && a.sample < 7200;
    ASSERT_EQ(part.annotations.size(), static_cast<size_t>(expected));
    EXPECT_GT(expected, 8); // about 12 beats in 10 s
    EXPECT_EQ(part.annotations[0].sample + 3600,
              std::find_if(all.annotations.begin(), all.annotations.end(),
                           [](const Annotation& a) { return a.sample >= 3600; })
                  ->sample);
    o.start = 650001;
    EXPECT_TRUE(contains(error_of([&] { read_wfdb(rec, o); }),
                         "start: expected 0..650000, found 650001"));
}

TEST(WfdbTest, EveryStorageFormatMatchesItsHeaderChecksums)
{
    // read_wfdb_digital verifies each signal's 16-bit sample sum against the
    // header; a decoding error in any format would fail it.
    const std::vector<std::pair<std::string, std::vector<int>>> records = {
        { "binformats", { 8, 16, 61, 80, 160, 212, 310, 311, 24, 32 } },
        { "100", { 212 } },         { "100_3chan", { 212 } },   // odd 212 length
        { "310derive", { 310 } },   { "311derive", { 311 } },
        { "p10143", { 61 } },       { "3000003_0003", { 80 } },
        { "a103l", { 16 } },        { "s0010_re", { 16 } },     // +24 byte offset; 2 files
        { "test01_00s", { 16 } },   { "03700181", { 212 } },    // 212x4 and skew
        { "test_generator_2", { 16 } },
    };
    for (const auto& [name, formats] : records) {
        TFMED_REQUIRE_DATA(hea, "wfdb_sample/" + name + ".hea");
        const WfdbDigital d = read_wfdb_digital(hea.substr(0, hea.size() - 4), true);
        std::vector<int> seen;
        for (const auto& s : d.header.signals)
            if (std::find(seen.begin(), seen.end(), s.format) == seen.end())
                seen.push_back(s.format);
        EXPECT_EQ(seen, formats) << name;
        EXPECT_GT(d.n_frames, 0) << name;
    }
    TFMED_REQUIRE_DATA(bin, "wfdb_sample/binformats.hea");
    const Recording b = read_wfdb(bin.substr(0, bin.size() - 4));
    EXPECT_EQ(b.n_samples, 499);
    EXPECT_EQ(b.channels(), 10);
    EXPECT_EQ(b.channel_names[6], "sig 6, fmt 310");
    // Initial values in the header: -2047 (fmt 8) and -32766 (fmt 16) at 200/mV.
    EXPECT_FLOAT_EQ(b.at(0, 0), -2047 / 200.0f);
    EXPECT_FLOAT_EQ(b.at(0, 1), -32766 / 200.0f);
}

TEST(WfdbTest, TwinRecordsAgree)
{
    TFMED_REQUIRE_DATA(h100, "wfdb_sample/100.hea");
    const std::string dir = fs::path(h100).parent_path().string() + "/";
    const Recording r100 = read_wfdb(dir + "100");
    // No sample count in the header: the count comes from the file size.
    const Recording nolen = read_wfdb(dir + "100-no-len");
    EXPECT_EQ(nolen.n_samples, 650000);
    EXPECT_EQ(nolen.samples, r100.samples);
    // Skew 3 on V5: its sample t is stored at frame t + 3; the last 3 are gone.
    const Recording skew = read_wfdb(dir + "100skew");
    for (int64_t t : { 0, 1, 1000, 649996 }) {
        EXPECT_EQ(skew.at(t, 0), r100.at(t, 0));
        EXPECT_EQ(skew.at(t, 1), r100.at(t + 3, 1)) << t;
    }
    EXPECT_TRUE(std::isnan(skew.at(649997, 1)));
    EXPECT_FALSE(std::isnan(skew.at(649999, 0)));
    // The same bytes read as 2 samples per frame for channel 1 (and no ECG_4):
    // at the high rate (1000 Hz) channel 1 takes ECG_2 and ECG_3 in turn.
    const Recording t4 = read_wfdb(dir + "test01_00s");
    const Recording fr = read_wfdb(dir + "test01_00s_frame");
    EXPECT_DOUBLE_EQ(fr.sample_rate, 1000.0);
    ASSERT_EQ(fr.n_samples, 2 * t4.n_samples);
    for (int64_t f : { 0, 1, 2000, 3999 }) {
        EXPECT_EQ(fr.at(2 * f, 0), t4.at(f, 0));
        EXPECT_EQ(fr.at(2 * f + 1, 0), t4.at(f, 0)); // held
        EXPECT_EQ(fr.at(2 * f, 1), t4.at(f, 1));
        EXPECT_EQ(fr.at(2 * f + 1, 1), t4.at(f, 2));
        EXPECT_EQ(fr.at(2 * f, 2), t4.at(f, 3));
    }
    WfdbReadOptions low;
    low.high_resolution = false;
    const Recording fr_low = read_wfdb(dir + "test01_00s_frame", low);
    EXPECT_DOUBLE_EQ(fr_low.sample_rate, 500.0);
    EXPECT_FLOAT_EQ(fr_low.at(10, 1), (fr.at(20, 1) + fr.at(21, 1)) / 2);
    // Byte offset: a103l-no-len computes its length past the 24-byte prefix.
    EXPECT_EQ(read_wfdb(dir + "a103l-no-len").samples, read_wfdb(dir + "a103l").samples);
}

TEST(WfdbTest, MultiSegmentRecords)
{
    TFMED_REQUIRE_DATA(fixed, "wfdb_sample/multi-segment/fixed1/v102s.hea");
    // Fixed layout: three 75,000-frame segments, here all reading v102s.dat.
    const Recording f = read_wfdb(fixed.substr(0, fixed.size() - 4));
    EXPECT_EQ(f.n_samples, 225000);
    EXPECT_EQ(f.channel_names, (std::vector<std::string>{ "II", "V", "PLETH", "RESP" }));
    for (int64_t t : { 0, 12345, 74999 })
        for (int c = 0; c < 4; c++) {
            EXPECT_EQ(f.at(t, c), f.at(75000 + t, c));
            EXPECT_EQ(f.at(t, c), f.at(150000 + t, c));
        }
    // Variable layout with a null first segment: NaN there, data after it.
    TFMED_REQUIRE_DATA(var, "wfdb_sample/multi-segment/s25047/s25047-2704-05-04-10-44.hea");
    const Recording v = read_wfdb(var.substr(0, var.size() - 4));
    const WfdbHeader vh = read_wfdb_header(var);
    EXPECT_EQ(v.n_samples, vh.n_samples);
    EXPECT_EQ(v.n_samples, 543240);
    EXPECT_EQ(v.channels(), 3);
    EXPECT_EQ(vh.segment_names.front(), "3234460_layout");
    EXPECT_TRUE(std::isnan(v.at(0, 0)));
    int64_t finite = 0;
    for (float x : v.samples)
        finite += std::isfinite(x);
    EXPECT_GT(finite, v.n_samples); // most of the record holds data
    // A segment file the header names but the folder lacks: a clear error.
    TFMED_REQUIRE_DATA(p8, "wfdb_sample/multi-segment/p000878/p000878-2137-10-26-16-57.hea");
    EXPECT_TRUE(contains(error_of([&] { read_wfdb(p8.substr(0, p8.size() - 4)); }),
                         "3269321_0003.hea: cannot open WFDB header"));
}

TEST(WfdbTest, MissingAndUnsupportedFilesAreClearErrors)
{
    TFMED_REQUIRE_DATA(drive, "wfdb_sample/drive02.hea");
    const std::string dir = fs::path(drive).parent_path().string() + "/";
    EXPECT_TRUE(contains(error_of([&] { read_wfdb(dir + "drive02"); }),
                         "drive02.dat: cannot open WFDB signal file"));
    EXPECT_TRUE(contains(error_of([&] { read_wfdb(dir + "no_such_record"); }),
                         "no_such_record.hea: cannot open WFDB header"));
    EXPECT_TRUE(contains(error_of([&] { read_wfdb(dir + "flacformats"); }),
                         "signal 0 format: expected a supported format (FLAC formats "
                         "508/516/524 need libFLAC, which gr-tfmed does not use), found 508"));
    // Other annotators of the sample set decode too.
    // 100.qrs opens with a NOTE at time 0 ("gqrs -r 100"): part of the file's
    // definition table, which rdann does not list; 2273 beats remain.
    const auto qrs = read_wfdb_annotation_file(dir + "100", "qrs");
    EXPECT_EQ(qrs.annotations.size(), 2273u);
    EXPECT_EQ(qrs.notes, (std::vector<std::string>{ "gqrs -r 100" }));
    const auto an = read_wfdb_annotations(dir + "12726", "anI");
    ASSERT_EQ(an.size(), 22u);
    EXPECT_EQ(an[0].aux, "Initiate slow tilt up");
    // A SKIP takes the one annotation of huge.qrs past 2^32 samples.
    const auto huge = read_wfdb_annotations(dir + "huge", "qrs");
    ASSERT_EQ(huge.size(), 1u);
    EXPECT_EQ(huge[0].sample, 10000000000LL);
}

TEST(WfdbTest, BrokenFilesNameFileFieldExpectedAndFound)
{
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    const std::string dir = fs::path(hea).parent_path().string() + "/";
    Scratch s("broken");
    std::ifstream in(dir + "100.dat", std::ios::binary);
    std::string dat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(dat.size(), 1950000u);

    // A signal file cut short.
    s.write("cut.dat", dat.substr(0, 1000));
    s.write("cut.hea", "cut 2 360 650000\ncut.dat 212 200 11 1024 995 -22131 0 MLII\n"
                       "cut.dat 212 200 11 1024 1011 20052 0 V5\n");
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("cut")); }),
              s.path("cut.dat") + ": length: expected 1950000 bytes for 650000 frames of 2 "
                                  "signal(s) in format 212, found 1000 bytes");
    // A checksum that does not fit the samples.
    s.write("sum.dat", dat);
    s.write("sum.hea", "sum 2 360 650000\nsum.dat 212 200 11 1024 995 -22130 0 MLII\n"
                       "sum.dat 212 200 11 1024 1011 20052 0 V5\n");
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("sum")); }),
              s.path("sum.dat") + ": signal 0 (MLII) checksum: expected -22130 (header), "
                                  "found -22131 (sum of the samples)");
    WfdbReadOptions nocheck;
    nocheck.verify_checksums = false;
    EXPECT_EQ(read_wfdb(s.path("sum"), nocheck).n_samples, 650000);
    // A header that promises more signals than it lists.
    s.write("lie.hea", "lie 3 360 650000\nsum.dat 212 200 11 1024 995 -22131 0 MLII\n");
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("lie")); }),
              s.path("lie.hea") + ": signals: expected 3 signal lines, found 1");
    // Unknown format and a non-numeric gain.
    s.write("fmt.hea", "fmt 1 360 10\nsum.dat 13 200 11 1024 995 0 0 X\n");
    EXPECT_EQ(error_of([&] { read_wfdb_header(s.path("fmt")); }),
              s.path("fmt.hea") + ": line 2, format: expected one of 0, 8, 16, 24, 32, 61, "
                                  "80, 160, 212, 310, 311, 508, 516, 524, found 13");
    s.write("gain.hea", "gain 1 360 10\nsum.dat 212 2x0/mV 11 1024 995 0 0 X\n");
    EXPECT_EQ(error_of([&] { read_wfdb_header(s.path("gain")); }),
              s.path("gain.hea") + ": line 2, ADC gain: expected a number, found '2x0'");
    // A multi-segment header whose null segment asks for 10^12 frames of NaN.
    s.copy(dir + "100.hea", "seg1.hea");
    s.write("huge.hea", "huge/2 2 360 1000000000000\n~ 999999999999\nseg1 1\n");
    s.write("seg1.hea", "seg1 2 360 1\nsum.dat 212 200 11 1024 995 0 0 MLII\n"
                        "sum.dat 212 200 11 1024 1011 0 0 V5\n");
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("huge")); }),
              s.path("huge.hea") + ": null segment 0 length: expected at most 134217728 "
                                   "frames (2^28 values of NaN), found 999999999999 frames");
    // A leading null segment of a fixed-layout record is a gap in every channel.
    s.write("gap.hea", "gap/2 2 360 11\n~ 10\nseg1 1\n");
    const Recording gap = read_wfdb(s.path("gap"), nocheck);
    ASSERT_EQ(gap.n_samples, 11);
    ASSERT_EQ(gap.channels(), 2);
    EXPECT_TRUE(std::isnan(gap.at(9, 1)));
    EXPECT_FLOAT_EQ(gap.at(10, 0), (995 - 1024) / 200.0f);
    s.write("empty.hea", "# only a comment\n");
    EXPECT_EQ(error_of([&] { read_wfdb_header(s.path("empty")); }),
              s.path("empty.hea") + ": record line: expected 'NAME NSIG [FS [NSAMP]]', "
                                    "found no record line");
    // An annotation file cut inside an AUX string.
    std::ifstream atr(dir + "100.atr", std::ios::binary);
    std::string a((std::istreambuf_iterator<char>(atr)), std::istreambuf_iterator<char>());
    s.write("cut.atr", a.substr(0, 5));
    EXPECT_TRUE(contains(error_of([&] { read_wfdb_annotations(s.path("cut"), "atr"); }),
                         "cut.atr: length: expected an annotation stream ending in a 0 "
                         "word, found a file cut after"));
}

// Inputs the fuzz targets (tests/fuzz) found to crash the reader or make it
// allocate without bound; each must now read or fail with a ReadError.
TEST(WfdbTest, FuzzFindingsAreHandled)
{
    Scratch s("fuzz");
    // A carriage return (or another white-space byte) inside a signal line used
    // to split the fields for one search and not for the other: the description
    // search ran off the end (std::out_of_range). A line of such bytes alone
    // is blank.
    const WfdbHeader h =
        parse_wfdb_header("r 1 125\n\v\r\r\nr.dat 80 49/mV 8 0 7 26 0\rII \n", "r.hea");
    ASSERT_EQ(h.signals.size(), 1u);
    EXPECT_EQ(h.signals[0].checksum, 26);
    EXPECT_EQ(h.signals[0].description, "II");

    // A byte offset past the end of the signal file (pointer arithmetic out of
    // the buffer).
    s.write("off.hea", "off 1 250\noff.dat 310+3\n");
    s.write("off.dat", "");
    EXPECT_EQ(error_of([&] { read_wfdb_digital(s.path("off")); }),
              s.path("off.dat") +
                  ": signal 0 byte offset: expected a signal file of at least 3 bytes (the "
                  "header's byte offset), found 0 bytes");

    // 10^12 frames with a null signal before the stored one: the null signal
    // was filled (4 TB) before the file was checked.
    s.write("nul.hea", "nul 2 250 1000000000000\n~ 0\nnul.dat 16\n");
    s.write("nul.dat", std::string(4, '\0'));
    EXPECT_EQ(error_of([&] { read_wfdb_digital(s.path("nul")); }),
              s.path("nul.dat") + ": length: expected 2000000000000 bytes for "
                                  "1000000000000 frames of 1 signal(s) in format 16, "
                                  "found 4 bytes");
    // ... and with no stored signal at all, nothing but a limit bounds it.
    s.write("all.hea", "all 2 250 1000000000000\n~ 0\n~ 0x4\n");
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("all")); }),
              s.path("all.hea") + ": number of samples: expected at most 67108864 "
                                  "samples in a record that stores none (frames x "
                                  "samples per frame of the fastest signal x signals), "
                                  "found 1000000000000 frames x 4 x 2 signals");
    s.write("few.hea", "few 2 250 12\n~ 0\n~ 0x4\n");
    const WfdbDigital few = read_wfdb_digital(s.path("few"));
    EXPECT_EQ(few.samples[1], std::vector<int32_t>(48, -32768));
    // A null signal with a samples-per-frame count no file backs.
    s.write("spf.hea", "spf 2 250\nnul.dat 16\n~ 0x1000000000 200 16 0 0 0 0 gone\n");
    EXPECT_EQ(error_of([&] { read_wfdb_digital(s.path("spf")); }),
              s.path("spf.hea") + ": signal 1 (gone) samples per frame: expected at most "
                                  "1 (a null signal may not be faster than the fastest "
                                  "stored signal), found 1000000000");

    // The checksum of 32-bit samples overflowed int (UB); it is the low 16 bits
    // of the sum: 2 * 0x7FFFFFFF = 0xFFFFFFFE -> -2.
    s.write("c32.dat", std::string("\xFF\xFF\xFF\x7F\xFF\xFF\xFF\x7F", 8));
    s.write("c32.hea", "c32 1 250 2\nc32.dat 32 200 32 0 0 -2\n");
    EXPECT_EQ(read_wfdb_digital(s.path("c32")).samples[0],
              (std::vector<int32_t>{ 2147483647, 2147483647 }));
    s.write("c32bad.hea", "c32bad 1 250 2\nc32.dat 32 200 32 0 0 0 0 X\n");
    EXPECT_EQ(error_of([&] { read_wfdb_digital(s.path("c32bad")); }),
              s.path("c32.dat") +
                  ": signal 0 (X) checksum: expected 0 (header), found -2 (sum of the "
                  "samples)");
    // Format 8 differences from an initial value at the int32 limit overflowed
    // (UB); they wrap around now.
    s.write("d8.dat", std::string("\x01\x7F", 2));
    s.write("d8.hea", "d8 1 250 2\nd8.dat 8 200 8 0 2147483647\n");
    EXPECT_EQ(read_wfdb_digital(s.path("d8")).samples[0],
              (std::vector<int32_t>{ -2147483647 - 1, -2147483647 + 126 }));

    // An empty AUX string as the last word of an annotation file indexed the
    // byte vector at its size (&b[b.size()], caught by _GLIBCXX_ASSERTIONS).
    s.write("aux.atr", std::string("\x05\x04\x00\xFC", 4)); // N at 5, AUX of 0 bytes
    const auto aux = read_wfdb_annotations(s.path("aux"), "atr");
    ASSERT_EQ(aux.size(), 1u);
    EXPECT_EQ(aux[0].sample, 5);
    EXPECT_EQ(aux[0].symbol, "N");
    EXPECT_EQ(aux[0].aux, "");
}

namespace {

// Little-endian 16-bit samples (format 16).
std::string le16(std::initializer_list<int> v)
{
    std::string out;
    for (int x : v) {
        out += static_cast<char>(x & 0xFF);
        out += static_cast<char>((x >> 8) & 0xFF);
    }
    return out;
}

// An MIT annotation stream, word by word.
struct AnnWriter {
    std::string bytes;
    void word(unsigned w)
    {
        bytes += static_cast<char>(w & 0xFF);
        bytes += static_cast<char>((w >> 8) & 0xFF);
    }
    void ann(int code, int delta) { word((code << 10) | delta); }
    void skip(int32_t n)
    {
        const auto u = static_cast<uint32_t>(n);
        word(59 << 10);
        word(u >> 16);
        word(u & 0xFFFF);
    }
    void aux(const std::string& s)
    {
        word((63 << 10) | static_cast<unsigned>(s.size()));
        bytes += s;
        if (s.size() & 1)
            bytes += '\0';
    }
    void note0(const std::string& s) // NOTE at the current time (delta 0)
    {
        ann(22, 0);
        aux(s);
    }
    // What WFDB's putann() writes for a null annotation at the current time.
    void null_here()
    {
        skip(-1);
        ann(0, 1);
    }
    std::string end() { return bytes + std::string(2, '\0'); }
};

} // namespace

// A review against libwfdb (signal.c): the header's skew is in samples and a
// file is deskewed by whole frames; format 8 has no invalid value; a record
// without a length ends with its shortest file; header numbers beyond 32 bits
// and segment sums beyond 64 bits are refused by name.
TEST(WfdbTest, SkewFormat8LengthAndHeaderRanges)
{
    Scratch s("ranges");
    // Skew 2 samples at 2 samples per frame = 1 frame: 3, 4, 5, 6 (it was read
    // as 2 frames: 5, 6 and two invalid samples).
    s.write("sk.dat", le16({ 1, 2, 3, 4, 5, 6 }));
    s.write("sk.hea", "sk 1 100 2\nsk.dat 16x2:2 1\n");
    EXPECT_EQ(read_wfdb_digital(s.path("sk")).samples[0], (std::vector<int32_t>{ 3, 4, 5, 6 }));
    // 3 samples at 2 per frame round to 2 frames (libwfdb: 3 / 2 + 0.5, truncated);
    // 1 sample rounds to 1 frame, as libwfdb's (int)(0.5 + 0.5).
    s.write("sk3.hea", "sk3 1 100 1\nsk.dat 16x2:3 1\n");
    EXPECT_EQ(read_wfdb_digital(s.path("sk3")).samples[0], (std::vector<int32_t>{ 5, 6 }));
    s.write("sk1.hea", "sk1 1 100 2\nsk.dat 16x2:1 1\n");
    EXPECT_EQ(read_wfdb_digital(s.path("sk1")).samples[0], (std::vector<int32_t>{ 3, 4, 5, 6 }));

    // Format 8: differences -100, -28, 1, 1 from 0 rebuild -100, -128, -127, -126;
    // -128 is a sample, not a gap (it read as NaN).
    s.write("t8.dat", std::string("\x9C\xE4\x01\x01", 4));
    s.write("t8.hea", "t8 1 100 4\nt8.dat 8 100 8 0 0\n");
    const Recording t8 = read_wfdb(s.path("t8"));
    ASSERT_EQ(t8.n_samples, 4);
    EXPECT_FLOAT_EQ(t8.at(1, 0), -1.28f);
    EXPECT_FLOAT_EQ(t8.at(3, 0), -1.26f);

    // No length on the record line, two files of 4 and 2 samples: 2 frames (a
    // hard error naming 4 frames the header never gave).
    s.write("a.dat", le16({ 1, 2, 3, 4 }));
    s.write("b.dat", le16({ 7, 8 }));
    s.write("t2f.hea", "t2f 2 100\na.dat 16 1\nb.dat 16 1\n");
    const WfdbDigital t2f = read_wfdb_digital(s.path("t2f"));
    EXPECT_EQ(t2f.n_frames, 2);
    EXPECT_EQ(t2f.samples[0], (std::vector<int32_t>{ 1, 2 }));
    EXPECT_EQ(t2f.samples[1], (std::vector<int32_t>{ 7, 8 }));

    // 2^32 + 1 samples per frame wrapped to 1; 2^32 + 1 segments likewise.
    s.write("tov.hea", "tov 1 100\na.dat 16x4294967297 1\n");
    EXPECT_EQ(error_of([&] { read_wfdb_header(s.path("tov")); }),
              s.path("tov.hea") + ": line 2, samples per frame: expected an integer within 32 "
                                  "bits, found '4294967297'");
    s.write("seg.hea", "seg/4294967297 1 100\n");
    EXPECT_EQ(error_of([&] { read_wfdb_header(s.path("seg")); }),
              s.path("seg.hea") + ": line 1, number of segments: expected an integer within "
                                  "32 bits, found '4294967297'");
    // Two segments of 2^62 frames overflowed the sum (undefined; the message
    // said "start: expected 0..-9223372036854775808").
    s.write("m.hea", "m/2 1 100\n~ 4611686018427387904\n~ 4611686018427387904\n");
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("m")); }),
              s.path("m.hea") + ": segment lengths: expected a record of at most "
                                "9223372036854775807 frames in all, found segments 0..1 "
                                "longer than that");

    // A negative gain inverts the polarity, as libwfdb reads it.
    s.write("neg.hea", "neg 1 100 2\na.dat 16 -2\n");
    const Recording neg = read_wfdb(s.path("neg"));
    EXPECT_FLOAT_EQ(neg.at(0, 0), -0.5f);
    EXPECT_FLOAT_EQ(neg.at(1, 0), -1.0f);
}

// A directory where a header, signal or annotation file should be used to fail
// at the first read with "basic_filebuf::underflow ... Is a directory" and no
// file name; every file is now checked when it is opened.
TEST(WfdbTest, DirectoriesAndUnreadableFilesAreNamed)
{
    Scratch s("dirs");
    fs::create_directory(s.path("d.hea"));
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("d")); }),
              s.path("d.hea") + ": is a directory, expected a WFDB header file");
    s.write("s.hea", "s 1 250 2\nsdat 16\n");
    fs::create_directory(s.path("sdat"));
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("s")); }),
              s.path("sdat") + ": is a directory, expected a WFDB signal file");
    fs::create_directory(s.path("s.atr"));
    EXPECT_EQ(error_of([&] { read_wfdb_annotations(s.path("s"), "atr"); }),
              s.path("s.atr") + ": is a directory, expected a WFDB annotation file");
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("absent")); }),
              s.path("absent.hea") +
                  ": cannot open WFDB header file (No such file or directory)");
    if (::geteuid() != 0) { // root reads any file
        s.write("locked.hea", "locked 1 250 2\nsdat 16\n");
        fs::permissions(s.path("locked.hea"), fs::perms::none);
        EXPECT_EQ(error_of([&] { read_wfdb_header(s.path("locked")); }),
                  s.path("locked.hea") + ": cannot open WFDB header file (Permission denied)");
    }
}

// Reading 10 samples of a long multi-segment record used to open (and load)
// every segment, and fail when one the selection does not touch was absent.
TEST(WfdbTest, MultiSegmentReadsOpenOnlyTheOverlappingSegments)
{
    Scratch s("lazy");
    s.write("ms.hea", "ms/3 1 100 30\nseg1 10\nseg2 10\nseg3 10\n");
    for (int k : { 1, 3 }) { // seg2 is absent: neither header nor signal file
        const std::string n = "seg" + std::to_string(k);
        s.write(n + ".hea", n + " 1 100 10\n" + n + ".dat 16 1 16 0 0 0 0 X\n");
        std::string dat;
        for (int i = 0; i < 10; i++)
            dat += le16({ 100 * k + i });
        s.write(n + ".dat", dat);
    }
    WfdbReadOptions o;
    o.verify_checksums = false;
    o.length = 10;
    const Recording first = read_wfdb(s.path("ms"), o);
    ASSERT_EQ(first.n_samples, 10);
    ASSERT_EQ(first.channels(), 1);
    EXPECT_EQ(first.at(0, 0), 100.0f);
    EXPECT_EQ(first.at(9, 0), 109.0f);
    o.start = 22;
    o.length = 5;
    const Recording last = read_wfdb(s.path("ms"), o);
    ASSERT_EQ(last.n_samples, 5);
    EXPECT_EQ(last.at(0, 0), 302.0f);
    EXPECT_EQ(last.at(4, 0), 306.0f);
    o.length = -1; // to the end: 8 samples of seg3
    EXPECT_EQ(read_wfdb(s.path("ms"), o).n_samples, 8);
    // A selection that reaches into seg2 needs it.
    o.start = 5;
    o.length = 10;
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("ms"), o); }),
              s.path("seg2.hea") +
                  ": cannot open WFDB header file (No such file or directory)");
    o.start = 31;
    EXPECT_EQ(error_of([&] { read_wfdb(s.path("ms"), o); }),
              s.path("ms") + ": start: expected 0..30, found 31");
}

// chan is an unsigned 8-bit field (12726.anI stores CHN 0x3FF: WFDB gives 255,
// not 1023); subtyp and num are signed 8-bit ones.
TEST(WfdbTest, AnnotationChanSubtypeAndNumAreEightBitFields)
{
    Scratch s("chan");
    AnnWriter w;
    w.ann(1, 10);
    w.word((62 << 10) | 0x3FF); // CHN, all 10 bits set
    w.ann(1, 10);
    w.word((62 << 10) | 0x0FF); // CHN 255 as WFDB's putann() writes it
    w.word((61 << 10) | 0x3FF); // SUB -1
    w.word((60 << 10) | 0x17F); // NUM: low byte 0x7F
    w.ann(5, 10);               // chan and num carry over, subtype does not
    s.write("c.atr", w.end());
    const auto a = read_wfdb_annotations(s.path("c"), "atr");
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[0].channel, 255);
    EXPECT_EQ(a[1].channel, 255);
    EXPECT_EQ(a[1].subtype, -1);
    EXPECT_EQ(a[1].num, 127);
    EXPECT_EQ(a[2].channel, 255);
    EXPECT_EQ(a[2].subtype, 0);
    EXPECT_EQ(a[2].num, 127);
    EXPECT_EQ(a[2].sample, 30);

    TFMED_REQUIRE_DATA(hea, "wfdb_sample/12726.hea");
    const auto an = read_wfdb_annotations(hea.substr(0, hea.size() - 4), "anI");
    ASSERT_EQ(an.size(), 22u);
    EXPECT_EQ(an[0].channel, 255);
    EXPECT_EQ(an[0].sample, 87240);
}

// The definition table at the start of an annotation file, and null (code 0)
// annotations, are not annotations: as rdann lists them.
TEST(WfdbTest, AnnotationDefinitionTableAndNullAnnotations)
{
    Scratch s("defs");
    AnnWriter w; // what WFDB's put_ann_table() writes, then annotations
    w.note0("## annotation type definitions");
    w.note0("15 c calibration pulse");
    w.note0("48 QM mystery beat");
    w.note0("## end of definitions");
    w.null_here(); // time 0: marks the end of the table
    w.ann(1, 100); // N at 100
    w.ann(15, 20); // 15 (redefined as "c") at 120
    w.skip(100000);
    w.ann(48, 0);  // 48 ("QM") at 100120
    w.null_here(); // a null annotation in the middle: not an annotation
    w.ann(22, 5);  // a NOTE after time 0 is an annotation
    w.aux("late note");
    s.write("d.atr", w.end());
    const WfdbAnnotationFile f = read_wfdb_annotation_file(s.path("d"), "atr");
    ASSERT_EQ(f.annotations.size(), 4u);
    const std::vector<int64_t> samples = { 100, 120, 100120, 100125 };
    const std::vector<std::string> symbols = { "N", "c", "QM", "\"" };
    for (size_t i = 0; i < 4; i++) {
        EXPECT_EQ(f.annotations[i].sample, samples[i]) << i;
        EXPECT_EQ(f.annotations[i].symbol, symbols[i]) << i;
    }
    EXPECT_EQ(f.annotations[3].aux, "late note");
    ASSERT_EQ(f.types.size(), 2u);
    EXPECT_EQ(f.types[0].code, 15);
    EXPECT_EQ(f.types[0].symbol, "c");
    EXPECT_EQ(f.types[0].description, "calibration pulse");
    EXPECT_EQ(f.types[1].code, 48);
    EXPECT_EQ(f.types[1].symbol, "QM");
    EXPECT_TRUE(f.notes.empty());
    EXPECT_EQ(f.time_resolution, 0.0);

    // 1003.atr of the sample set opens with such a table (6 types) and its
    // end and first annotation are not annotations either.
    TFMED_REQUIRE_DATA(hea, "wfdb_sample/1003.hea");
    const WfdbAnnotationFile d = read_wfdb_annotation_file(hea.substr(0, hea.size() - 4));
    EXPECT_GE(d.types.size(), 6u);
    for (const auto& a : d.annotations) {
        EXPECT_NE(a.code, 0);
        EXPECT_FALSE(a.sample == 0 && a.code == 22 && a.subtype == 0);
    }
}

// AUX texts leave as valid UTF-8 (Python decodes tags' texts as UTF-8): a
// Latin-1 byte is re-encoded, UTF-8 kept; and the record's own header or
// signal file given as the annotator is refused, not decoded into made-up
// annotations.
TEST(WfdbTest, AuxTextIsUtf8AndTheRecordsOwnFilesAreNoAnnotator)
{
    Scratch s("aux");
    AnnWriter w;
    w.ann(1, 10);
    w.aux("37\xB0" "C"); // Latin-1 degree sign
    w.ann(1, 10);
    w.aux("37\xC2\xB0" "C"); // the same in UTF-8
    s.write("u.atr", w.end());
    const auto a = read_wfdb_annotations(s.path("u"), "atr");
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].aux, "37\xC2\xB0" "C");
    EXPECT_EQ(a[1].aux, "37\xC2\xB0" "C");

    TFMED_REQUIRE_DATA(hea, "wfdb_sample/100.hea");
    const std::string rec = hea.substr(0, hea.size() - 4);
    WfdbReadOptions o;
    o.length = 1000;
    o.annotator = "hea";
    EXPECT_EQ(error_of([&] { read_wfdb(rec, o); }),
              rec + ".hea: annotator: expected an annotation file (e.g. atr), found 'hea', "
                    "the record's own header");
    o.annotator = "dat";
    EXPECT_EQ(error_of([&] { read_wfdb(rec, o); }),
              rec + ".dat: annotator: expected an annotation file (e.g. atr), found 'dat', "
                    "the record's own signal file");
    o.annotator = "atr";
    EXPECT_GT(read_wfdb(rec, o).annotations.size(), 0u);
}

// A SKIP may step back: the reader keeps the file's order (the replay blocks
// sort their tags), but an annotation before sample 0 is refused, named.
TEST(WfdbTest, AnnotationsOutOfOrderKeptAndNegativeTimesRefused)
{
    Scratch s("order");
    AnnWriter w;
    w.ann(1, 30);  // N at 30
    w.skip(-25);   // back to 5
    w.ann(5, 5);   // V at 10
    w.ann(8, 10);  // A at 20
    s.write("o.atr", w.end());
    const auto a = read_wfdb_annotations(s.path("o"), "atr");
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[0].sample, 30);
    EXPECT_EQ(a[1].sample, 10);
    EXPECT_EQ(a[2].sample, 20);
    EXPECT_EQ(a[1].symbol, "V");

    AnnWriter n;
    n.ann(1, 5);
    n.skip(-10);
    n.ann(1, 1); // at -4
    s.write("n.atr", n.end());
    try {
        read_wfdb_annotations(s.path("n"), "atr");
        FAIL() << "a negative annotation time was read";
    } catch (const ReadError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("n.atr"), std::string::npos) << m;
        EXPECT_NE(m.find("annotation 2 time"), std::string::npos) << m;
        EXPECT_NE(m.find(">= 0"), std::string::npos) << m;
        EXPECT_NE(m.find("-4"), std::string::npos) << m;
    }
}

namespace {

// Two signals in one format-16 file: A at 3 samples per frame, B at 2 (frames
// A0 A1 A2 B0 B1), gain 1 and baseline 0, so physical = digital.
void write_multifrequency(Scratch& s)
{
    s.write("mf.dat", le16({ 1, 2, 2, 1, 2,           //
                             -1, -2, -2, -1, -2,      //
                             0, 0, 1, -32768, 5,      // B holds an invalid sample
                             7, 7, 8, 4, 5 }));
    s.write("mf.hea", "mf 2 100 4\nmf.dat 16x3 1 16 0 0 0 0 A\nmf.dat 16x2 1 16 0 0 0 0 B\n");
    s.write("mf2.hea", "mf2 2 100 4\nmf.dat 16x3 1 16 0 0 0 0 A\nmf.dat 16x2 1 16 0 0 0 0 B\n");
    s.write("mm.hea", "mm/2 2 100 8\nmf 4\nmf2 4\n");
}

std::vector<float> column(const Recording& r, int c)
{
    std::vector<float> out;
    for (int64_t t = 0; t < r.n_samples; t++)
        out.push_back(r.at(t, c));
    return out;
}

// Exact comparison, NaN equal to NaN.
void expect_samples(const std::vector<float>& got, const std::vector<float>& want)
{
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); i++) {
        if (std::isnan(want[i]))
            EXPECT_TRUE(std::isnan(got[i])) << i;
        else
            EXPECT_EQ(got[i], want[i]) << i;
    }
}

} // namespace

// Frame averaging as WFDB's getvec() does it (meansamp: integers, rounded to
// the nearest, halves up), and multi-segment records at the high rate too.
TEST(WfdbTest, MultiFrequencySamplingModesSingleAndMultiSegment)
{
    Scratch s("rates");
    write_multifrequency(s);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    WfdbReadOptions o;
    o.verify_checksums = false;
    o.annotator = "";

    o.sampling = WfdbSampling::frame_average;
    const std::vector<float> avg_a = { 2, -2, 0, 7 }; // 5/3, -5/3, 1/3, 22/3
    const std::vector<float> avg_b = { 2, -1, nan, 5 }; // 1.5, -1.5, invalid, 4.5
    for (const std::string rec : { "mf", "mm" }) {
        const Recording r = read_wfdb(s.path(rec), o);
        EXPECT_DOUBLE_EQ(r.sample_rate, 100.0) << rec;
        std::vector<float> a = avg_a, b = avg_b;
        if (rec == "mm") { // two segments over the same samples
            a.insert(a.end(), avg_a.begin(), avg_a.end());
            b.insert(b.end(), avg_b.begin(), avg_b.end());
        }
        expect_samples(column(r, 0), a);
        expect_samples(column(r, 1), b);
    }

    o.sampling = WfdbSampling::frame_mean; // the exact mean
    const Recording mean = read_wfdb(s.path("mm"), o);
    EXPECT_FLOAT_EQ(mean.at(4, 0), 5.0f / 3);
    EXPECT_FLOAT_EQ(mean.at(5, 1), -1.5f);

    // The highest rate (also the default): 300 Hz, B held.
    const std::vector<float> hi_a = { 1, 2, 2, -1, -2, -2, 0, 0, 1, 7, 7, 8 };
    const std::vector<float> hi_b = { 1, 1, 2, -1, -1, -2, nan, nan, 5, 4, 4, 5 };
    for (WfdbSampling m : { WfdbSampling::high_rate, WfdbSampling::by_flag }) {
        o.sampling = m;
        const Recording r = read_wfdb(s.path("mm"), o);
        EXPECT_DOUBLE_EQ(r.sample_rate, 300.0);
        ASSERT_EQ(r.n_samples, 24);
        std::vector<float> a = hi_a, b = hi_b;
        a.insert(a.end(), hi_a.begin(), hi_a.end());
        b.insert(b.end(), hi_b.begin(), hi_b.end());
        expect_samples(column(r, 0), a);
        expect_samples(column(r, 1), b);
    }
    o.start = 13; // start/length count 300 Hz samples
    o.length = 4;
    expect_samples(column(read_wfdb(s.path("mm"), o), 0), { 2, 2, -1, -2 });
}

// "## time resolution: F" in an annotation file: its times count 1/F s, and
// are placed at the output rate (rounded half up, as WFDB does).
TEST(WfdbTest, AnnotationTimeResolutionIsApplied)
{
    Scratch s("tres");
    write_multifrequency(s);
    AnnWriter w;
    w.note0("## time resolution: 300");
    w.null_here();
    w.ann(1, 7); // 7/300 s
    w.ann(5, 1); // 8/300 s
    s.write("mf.atr", w.end());
    WfdbReadOptions o;
    o.verify_checksums = false;
    const Recording hi = read_wfdb(s.path("mf"), o);
    ASSERT_EQ(hi.annotations.size(), 2u);
    EXPECT_EQ(hi.annotations[0].sample, 7);
    EXPECT_EQ(hi.annotations[1].sample, 8);
    o.sampling = WfdbSampling::frame_average;
    const Recording lo = read_wfdb(s.path("mf"), o);
    ASSERT_EQ(lo.annotations.size(), 2u);
    EXPECT_EQ(lo.annotations[0].sample, 2); // 2.33
    EXPECT_EQ(lo.annotations[1].sample, 3); // 2.67
    EXPECT_EQ(read_wfdb_annotation_file(s.path("mf")).time_resolution, 300.0);
}

TEST(WfdbTest, BeatCodesAreWfdbIsqrs)
{
    // WFDB's ecgmap.h wfdb_qrs[]: QRS complexes are codes 1-13, 25 (B),
    // 30 (?), 31 (!), 34 (e), 35 (n), 38 (f) and 41 (r). 37 (x) is a
    // non-conducted P wave (no QRS): it was counted as a beat, ? and ! not.
    const std::set<int> qrs = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                25, 30, 31, 34, 35, 38, 41 };
    for (int code = -1; code <= 60; ++code)
        EXPECT_EQ(wfdb_is_beat(code), qrs.count(code) > 0) << "code " << code;
    EXPECT_EQ(wfdb_annotation_code("x"), 37);
    EXPECT_FALSE(wfdb_is_beat(wfdb_annotation_code("x")));
    EXPECT_TRUE(wfdb_is_beat(wfdb_annotation_code("?")));
    EXPECT_TRUE(wfdb_is_beat(wfdb_annotation_code("!")));
}
