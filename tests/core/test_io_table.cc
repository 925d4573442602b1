/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * read_csv and read_npy on the real files in ../shared/data (ETT, the compiled
 * MIT-BIH segments, the Bonn EEG epilepsy arrays), and on small broken
 * fixtures written to a temporary folder.
 *
 * Expected values were read from the files themselves: `head -3 ETTh1.csv`
 * for the CSV, and for the .npy files python3 without numpy (struct.unpack of
 * the header length at byte 8, then array.array('f' / 'h' / 'b').frombytes of
 * the bytes after the header): X_mV.npy starts -0.405, -0.41, ... and ends
 * -0.395; X_int16.npy starts 12, 22, 35, 45, 69 (= raw/Z/Z001.txt lines 1..5).
 */
#include "data.h"
#include "text.h" // (lib/core/io: the cells' number parsing)
#include <tfmed/io/table.h>
#include <tfmed/io/table_stream.h>
#include <tfmed/io/ts.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

using tfmed::io::NpyArray;
using tfmed::io::read_csv;
using tfmed::io::read_npy;
using tfmed::io::ReadError;
using tfmed::io::Table;
using tfmed::io::TableStreamOptions;
using tfmed::io::read_ts;

namespace {

/* Little-endian bytes of `v`, `size` of them. */
std::string le(uint64_t v, int size)
{
    std::string s;
    for (int k = 0; k < size; ++k)
        s += static_cast<char>((v >> (8 * k)) & 0xff);
    return s;
}

std::string le_f32(float x)
{
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return le(u, 4);
}

std::string le_f64(double x)
{
    uint64_t u;
    std::memcpy(&u, &x, 8);
    return le(u, 8);
}

/* A .npy file as numpy writes it: the dict padded with spaces and a newline
 * so that the data start on a multiple of 64 bytes. */
std::string npy_bytes(const std::string& dict, const std::string& payload, int major = 1)
{
    const size_t pre = major == 1 ? 10 : 12;
    std::string h = dict;
    while ((pre + h.size() + 1) % 64 != 0)
        h += ' ';
    h += '\n';
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    out += le(h.size(), major == 1 ? 2 : 4);
    return out + h + payload;
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false)
{
    return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
           ", 'shape': " + shape + ", }";
}

/* A scratch folder per test, removed afterwards. */
class TableFixture : public ::testing::Test
{
protected:
    void SetUp() override
    {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() /
               ("tfmed_test_io_table_" + std::to_string(::getpid()) + "_" + info->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override
    {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::string write(const std::string& name, const std::string& bytes)
    {
        const std::string p = (dir_ / name).string();
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
    /* `read` must throw a ReadError for `path` whose text is `path + ": " + what`. */
    template <typename F>
    void expect_error(F read, const std::string& path, const std::string& what)
    {
        try {
            read(path);
            ADD_FAILURE() << "no ReadError for " << path << " (expected '" << what
                          << "')";
        } catch (const ReadError& e) {
            EXPECT_EQ(e.file(), path);
            EXPECT_EQ(std::string(e.what()), path + ": " + what);
        }
    }

    std::filesystem::path dir_;
};

const auto csv = [](const std::string& p) { return read_csv(p); };
const auto npy = [](const std::string& p) { return read_npy(p); };

} // namespace

/* -------------------------------------------------------------------------- */
/* Real files                                                                 */
/* -------------------------------------------------------------------------- */

TEST(TableReal, EtthOneCsv)
{
    TFMED_REQUIRE_DATA(path, "ett/ETTh1.csv");
    const Table t = read_csv(path);
    EXPECT_EQ(t.rows, 17420);
    EXPECT_EQ(t.text_column_name, "date");
    EXPECT_EQ(t.columns, (std::vector<std::string>{ "HUFL", "HULL", "MUFL", "MULL",
                                                    "LUFL", "LULL", "OT" }));
    ASSERT_EQ(t.values.size(), 17420u * 7u);
    ASSERT_EQ(t.text_column.size(), 17420u);
    EXPECT_EQ(t.text_column.front(), "2016-07-01 00:00:00");
    EXPECT_EQ(t.text_column[1], "2016-07-01 01:00:00");
    EXPECT_EQ(t.text_column.back(), "2018-06-26 19:00:00");
    EXPECT_EQ(t.column("OT"), 6);
    EXPECT_EQ(t.column("date"), -1);

    // Line 2 of the file, digit for digit (from_chars rounds correctly, so the
    // doubles equal the literals exactly).
    const double row0[] = { 5.827000141143799,  2.009000062942505, 1.5989999771118164,
                            0.4620000123977661, 4.203000068664552, 1.3400000333786009,
                            30.5310001373291 };
    for (int c = 0; c < 7; ++c)
        EXPECT_EQ(t.at(0, c), row0[c]) << "column " << t.columns[c];
    EXPECT_EQ(t.at(1, 0), 5.692999839782715);
    EXPECT_EQ(t.at(1, 6), 27.78700065612793);
    EXPECT_EQ(t.at(17419, 0), 10.11400032043457);
    EXPECT_EQ(t.at(17419, 6), 9.56700038909912);
    EXPECT_TRUE(std::all_of(t.values.begin(), t.values.end(),
                            [](double x) { return std::isfinite(x); }));
}

TEST(TableReal, MitdbCompiledSegmentsNpy)
{
    TFMED_REQUIRE_DATA(path, "mitdb_compiled10s/X_mV.npy");
    const NpyArray a = read_npy(path);
    EXPECT_EQ(a.dtype, "<f4");
    EXPECT_EQ(a.shape, (std::vector<int64_t>{ 400, 3600 }));
    ASSERT_EQ(a.size(), 400 * 3600);
    const auto [lo, hi] = std::minmax_element(a.data.begin(), a.data.end());
    EXPECT_FLOAT_EQ(*lo, -2.73f);
    EXPECT_FLOAT_EQ(*hi, 2.69f);
    // Millivolts = ADC units / 200 (MIT-BIH gain): every value * 200 is an integer.
    int64_t not_integral = 0;
    for (float x : a.data)
        not_integral += std::fabs(x * 200.0f - std::round(x * 200.0f)) > 1e-3f;
    EXPECT_EQ(not_integral, 0);
    EXPECT_FLOAT_EQ(a.data[0], -0.405f);
    EXPECT_FLOAT_EQ(a.data[1], -0.41f);
    EXPECT_FLOAT_EQ(a.data[3600], -0.385f); // row 1
    EXPECT_FLOAT_EQ(a.data[3601], -0.365f);
    EXPECT_FLOAT_EQ(a.data[3602], -0.375f);
    EXPECT_FLOAT_EQ(a.data.back(), -0.395f);
}

TEST(TableReal, BonnEpilepsyInt16AndLabelsNpy)
{
    TFMED_REQUIRE_DATA(xpath, "bonn_eeg/epilepsy178/X_int16.npy");
    TFMED_REQUIRE_DATA(ypath, "bonn_eeg/epilepsy178/y_uci.npy");
    const NpyArray x = read_npy(xpath);
    EXPECT_EQ(x.dtype, "<i2");
    EXPECT_EQ(x.shape, (std::vector<int64_t>{ 11500, 178 }));
    ASSERT_EQ(x.size(), 11500 * 178);
    const auto [lo, hi] = std::minmax_element(x.data.begin(), x.data.end());
    EXPECT_EQ(*lo, -1885.0f); // 12-bit A/D
    EXPECT_EQ(*hi, 2047.0f);
    const float first[] = { 12, 22, 35, 45, 69 };
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(x.data[i], first[i]) << "sample " << i;
    EXPECT_EQ(x.data[178], -41.0f); // row 1
    EXPECT_EQ(x.data[179], -50.0f);
    EXPECT_EQ(x.data[180], -53.0f);
    EXPECT_EQ(x.data.back(), -272.0f);

    const NpyArray y = read_npy(ypath);
    EXPECT_EQ(y.dtype, "|i1");
    EXPECT_EQ(y.shape, (std::vector<int64_t>{ 11500 }));
    std::map<float, int> counts;
    for (float v : y.data)
        ++counts[v];
    const std::map<float, int> expected{
        { 1.0f, 2300 }, { 2.0f, 2300 }, { 3.0f, 2300 }, { 4.0f, 2300 }, { 5.0f, 2300 }
    };
    EXPECT_EQ(counts, expected);
    EXPECT_EQ(y.data.front(), 5.0f); // set Z (eyes open) comes first
    EXPECT_EQ(y.data.back(), 1.0f);  // set S (seizure) last

    // Row 0 is raw/Z/Z001.txt samples 0..177 (one integer per CRLF line).
    const std::string raw = tfmed_test::data_path("bonn_eeg/raw/Z/Z001.txt");
    if (!raw.empty()) {
        std::ifstream f(raw);
        for (int i = 0; i < 178; ++i) {
            int v = 0;
            ASSERT_TRUE(f >> v);
            EXPECT_EQ(x.data[i], static_cast<float>(v)) << "sample " << i;
        }
    }
}

/* -------------------------------------------------------------------------- */
/* CSV fixtures                                                               */
/* -------------------------------------------------------------------------- */

TEST_F(TableFixture, CsvNumericFirstColumnMissingValuesQuotesCrlfBom)
{
    const auto p = write("a.csv", "\xEF\xBB\xBF"
                                  "t, \"x, mV\" ,y\r\n"
                                  "0,1.5,-2\r\n"
                                  "\r\n"
                                  "1,,NaN\r\n"
                                  "2,\"3\",NA\r\n"
                                  "+3,1e400,-1e-400");
    const Table t = read_csv(p);
    EXPECT_TRUE(t.text_column.empty());
    EXPECT_EQ(t.text_column_name, "");
    EXPECT_EQ(t.columns, (std::vector<std::string>{ "t", "x, mV", "y" }));
    ASSERT_EQ(t.rows, 4);
    EXPECT_EQ(t.at(0, 1), 1.5);
    EXPECT_EQ(t.at(0, 2), -2.0);
    EXPECT_TRUE(std::isnan(t.at(1, 1))); // empty cell
    EXPECT_TRUE(std::isnan(t.at(1, 2))); // NaN
    EXPECT_EQ(t.at(2, 1), 3.0);          // quoted number
    EXPECT_TRUE(std::isnan(t.at(2, 2))); // NA
    EXPECT_EQ(t.at(3, 0), 3.0);
    EXPECT_TRUE(std::isinf(t.at(3, 1))); // out of range: as strtod gives it
    EXPECT_EQ(t.at(3, 2), 0.0);
}

TEST_F(TableFixture, CsvOneColumnBlankLinesAreMissingValues)
{
    // pandas' to_csv of a one-column frame [NaN, 1, NaN, NaN, 2, NaN].
    const Table t = read_csv(write("one.csv", "x\n\n1.0\n\n\n2.0\n\n"));
    EXPECT_EQ(t.columns, (std::vector<std::string>{ "x" }));
    ASSERT_EQ(t.rows, 5); // the trailing blank line cannot be told from layout
    EXPECT_TRUE(std::isnan(t.at(0, 0)));
    EXPECT_EQ(t.at(1, 0), 1.0);
    EXPECT_TRUE(std::isnan(t.at(2, 0)));
    EXPECT_TRUE(std::isnan(t.at(3, 0)));
    EXPECT_EQ(t.at(4, 0), 2.0);
    // Headerless (pandas' header=False of [NaN, 3, NaN, 4]): a blank line
    // before the first sample or between two samples is one more sample;
    // without the first the samples would sit one place early.
    const Table h = read_csv(write("one_nohead.csv", "\n3\r\n\r\n4\r\n"));
    ASSERT_EQ(h.rows, 4);
    EXPECT_TRUE(std::isnan(h.at(0, 0)));
    EXPECT_EQ(h.at(1, 0), 3.0);
    EXPECT_TRUE(std::isnan(h.at(2, 0)));
    EXPECT_EQ(h.at(3, 0), 4.0);
    // ... but before a header, and in a table of more columns, it is layout.
    const Table g = read_csv(write("one_lead_head.csv", "\nx\n3\n"));
    ASSERT_EQ(g.rows, 1);
    EXPECT_EQ(g.at(0, 0), 3.0);
    const Table w = read_csv(write("two_lead.csv", "\n3,4\n5,6\n"));
    ASSERT_EQ(w.rows, 2);
    EXPECT_EQ(w.at(0, 0), 3.0);
    // A one-column text table keeps its rows aligned too.
    const Table s = read_csv(write("one_text.csv", "id\na\n\nb\n"));
    EXPECT_EQ(s.text_column, (std::vector<std::string>{ "a", "", "b" }));
    EXPECT_EQ(s.rows, 3);
}

TEST_F(TableFixture, CsvTextFirstColumnAndOtherSeparator)
{
    const auto p = write("b.csv", "date;v\n2020-01-01;1\n2020-01-02;2,5\n");
    expect_error([](const std::string& q) { return read_csv(q, ';'); }, p,
                 "line 3, column 'v': expected a number or an empty cell, found '2,5'");
    const auto q = write("c.csv", "date\tv\n2020-01-01\t1\n2020-01-02\t2.5\n");
    const Table t = read_csv(q, '\t');
    EXPECT_EQ(t.text_column_name, "date");
    EXPECT_EQ(t.text_column, (std::vector<std::string>{ "2020-01-01", "2020-01-02" }));
    EXPECT_EQ(t.columns, (std::vector<std::string>{ "v" }));
    EXPECT_EQ(t.values, (std::vector<double>{ 1.0, 2.5 }));
}

TEST_F(TableFixture, CsvRaggedRowsAndBadCells)
{
    expect_error(csv, write("ragged.csv", "a,b,c\n1,2,3\n4,5\n"),
                 "line 3: expected 3 cells (as in the header, line 1), found 2 cells");
    expect_error(csv, write("long.csv", "\n\na,b\n1,2,3\n"),
                 "line 4: expected 2 cells (as in the header, line 3), found 3 cells");
    expect_error(csv, write("text.csv", "a,b\n1,2\n3,four\n"),
                 "line 3, column 'b': expected a number or an empty cell, found 'four'");
    // A text first column is decided on the first row; a number there later
    // is fine, but a text cell where row 1 had a number is not.
    expect_error(csv, write("late.csv", "id,v\n1,2\nx,3\n"),
                 "line 3, column 'id': expected a number or an empty cell, found 'x'");
    expect_error(csv, write("quote.csv", "a,b\n1,\"2\n"),
                 "line 2, cell 2: expected a closing '\"', found end of line");
    expect_error(csv, write("after.csv", "a,b\n1,\"2\"x\n"),
                 "line 2, cell 2: expected ',' after a quoted cell, found 'x'");
    expect_error(csv, write("empty.csv", ""),
                 "header: expected a first line naming the columns, found an empty file");
    const Table h = read_csv(write("header_only.csv", "a,b\n"));
    EXPECT_EQ(h.rows, 0);
    EXPECT_EQ(h.columns, (std::vector<std::string>{ "a", "b" }));
    expect_error(csv, (dir_ / "absent.csv").string(),
                 "cannot open CSV file (No such file or directory)");
}

TEST_F(TableFixture, CsvHeaderDetectedOrGiven)
{
    // A headerless file keeps its first row (it was silently the header).
    const auto p = write("nohead.csv", "1.5,2,3\n4,5,6\n");
    const Table t = read_csv(p);
    EXPECT_EQ(t.rows, 2);
    EXPECT_EQ(t.columns, (std::vector<std::string>{ "c0", "c1", "c2" }));
    EXPECT_EQ(t.values, (std::vector<double>{ 1.5, 2, 3, 4, 5, 6 }));
    // A header of numeric names, said explicitly.
    const Table y = read_csv(p, ',', tfmed::io::CsvHeader::yes);
    EXPECT_EQ(y.rows, 1);
    EXPECT_EQ(y.columns, (std::vector<std::string>{ "1.5", "2", "3" }));
    // A named header is detected; "no" makes its text cells an error.
    const auto q = write("head.csv", "a,b\n1,2\n");
    EXPECT_EQ(read_csv(q).rows, 1);
    expect_error([](const std::string& f) { return read_csv(f, ',', tfmed::io::CsvHeader::no); }, q,
                 "line 1, column 'c1': expected a number or an empty cell, found 'b'");
    expect_error(csv, write("ragged_nohead.csv", "1,2\n3\n"),
                 "line 2: expected 2 cells (as in the first row, line 1), found 1 cells");
}

TEST_F(TableFixture, CsvHeaderOfPandasDefaultsAndStampedRows)
{
    // pandas' default labels after its unnamed index are a header, not a
    // row of data: the index became a channel and the labels a row
    // [NaN, 0, 1] (to_csv() of a frame; ",0" of a series).
    const Table b = read_csv(write("index.csv", ",0,1\n0,0.5,1.5\n1,3.5,4.5\n"));
    EXPECT_EQ(b.rows, 2);
    EXPECT_EQ(b.at(1, 2), 4.5);
    EXPECT_EQ(read_csv(write("series.csv", ",0\n0,0.5\n1,3.5\n")).rows, 2);
    // A plain "0,1" is data: two channels that read 0 and 1 (as pandas'
    // index=False labels would look; a header is said with CsvHeader::yes).
    const Table a = read_csv(write("labels.csv", "0,1\n0.5,1.5\n"));
    EXPECT_EQ(a.rows, 2);
    EXPECT_EQ(a.values, (std::vector<double>{ 0, 1, 0.5, 1.5 }));
    EXPECT_EQ(read_csv(write("zero.csv", "0\n1\n")).rows, 2);
    // A headerless file whose first cell is a time stamp keeps its first row
    // (df.to_csv(header=False) with a date index lost it to the header).
    const Table c = read_csv(write("stamped.csv", "2016-07-01 00:00:00,1.5,2.5\n"
                                                  "2016-07-01 01:00:00,3.5,4.5\n"));
    EXPECT_EQ(c.rows, 2);
    EXPECT_EQ(c.columns, (std::vector<std::string>{ "c1", "c2" }));
    EXPECT_EQ(c.text_column, (std::vector<std::string>{ "2016-07-01 00:00:00",
                                                        "2016-07-01 01:00:00" }));
    // ... while a header whose first name is a word stays a header.
    const Table d = read_csv(write("named.csv", "date,1,2\n2016-07-01,3,4\n"));
    EXPECT_EQ(d.rows, 1);
    EXPECT_EQ(d.text_column_name, "date");
}

TEST_F(TableFixture, CsvLineEndsAndTabSeparatedMissingRows)
{
    // Beyond double's range: +-Inf and 0 (read without strtod, whose decimal
    // mark follows the locale a Qt flowgraph sets).
    const Table big = read_csv(write("big.csv", "a,b\n1e400,-1e400\n1e-400,2.5\n"));
    EXPECT_EQ(big.values, (std::vector<double>{ INFINITY, -INFINITY, 0.0, 2.5 }));
    // \r\r\n (some Excel exports) is a line end.
    EXPECT_EQ(read_csv(write("crcrlf.csv", "a,b\r\r\n1,2\r\r\n")).rows, 1);
    // Old Mac line ends read as one line: an empty table, no error.
    expect_error(csv, write("cr.csv", "a,b\r1,2\r3,4\r"),
                 "line 1: expected lines ending in \\n or \\r\\n, found a carriage return "
                 "inside the line (old Mac line ends, \\r alone)");
    // In a tab-separated file a row of missing values is tabs, not layout.
    const Table t = read_csv(write("t.tsv", "a\tb\n1\t2\n\t\n5\t6\n"), '\t');
    EXPECT_EQ(t.rows, 3);
    EXPECT_TRUE(std::isnan(t.at(1, 0)) && std::isnan(t.at(1, 1)));
    EXPECT_EQ(t.at(2, 1), 6);
}

TEST_F(TableFixture, StreamTimesAreWholeAndValid)
{
    EXPECT_EQ(tfmed::io::parse_time("2016-07-01 00:00:00"), 1467331200.0);
    EXPECT_EQ(tfmed::io::parse_time("2016-07-01 00:01"), 1467331260.0);
    EXPECT_EQ(tfmed::io::parse_time("12.5"), 12.5);
    // A zone offset was dropped, month 13 became January, February 30 March.
    for (const char* bad : { "2016-07-01 00:00+05:00", "2016-07-01 00:00:00.5",
                             "2016-13-01 00:00:00", "2016-02-30 00:00:00", "2016-07-01 24:00",
                             // (sscanf's %d on a field past int: undefined)
                             "99999999999-01-01 00:00", "2016-07-01 00:99999999999",
                             "2016-07-01T00:00:00", "2016-07-01 00:00:", " 2016-07-01 00:00",
                             "", "1e999" })
        EXPECT_THROW(tfmed::io::parse_time(bad), std::invalid_argument) << bad;
    EXPECT_EQ(tfmed::io::parse_time("2016-7-1 0:1:2"), 1467331262.0);
    EXPECT_EQ(tfmed::io::parse_time("2016-07-01\t 00:01"), 1467331260.0);
    EXPECT_EQ(tfmed::io::parse_time("-2.5e1"), -25.0);
}

TEST_F(TableFixture, StreamRefusesATimestampedTs)
{
    // (t, v) tuples streamed back to back at sample_rate as if even.
    const auto p = write("stamped.ts", "@problemName x\n@timeStamps true\n@univariate true\n"
                                       "@classLabel false\n@data\n"
                                       "(0,1.5),(5,2),(3600,3)\n(0,1),(1,2)\n");
    tfmed::io::TableStreamOptions o;
    o.sample_rate = 1.0;
    expect_error([&](const std::string& f) { return tfmed::io::read_table_stream(f, o); }, p,
                 "@timeStamps: expected evenly sampled values (@timeStamps false) to stream at "
                 "sample_rate, found (time, value) tuples, which may be irregular");
}

/* -------------------------------------------------------------------------- */
/* .npy fixtures                                                              */
/* -------------------------------------------------------------------------- */

TEST_F(TableFixture, NpyEveryDtypeVersionsAndScalar)
{
    const auto f8 =
        read_npy(write("f8.npy", npy_bytes(dict("<f8", "(3,)"),
                                           le_f64(1.5) + le_f64(-2.25) + le_f64(1e10),
                                           2))); // format 2.0
    EXPECT_EQ(f8.shape, (std::vector<int64_t>{ 3 }));
    EXPECT_EQ(f8.data, (std::vector<float>{ 1.5f, -2.25f, 1e10f }));
    // Beyond float's range: +-Inf (the plain cast was undefined).
    const auto big = read_npy(write("big.npy", npy_bytes(dict("<f8", "(2,)"),
                                                         le_f64(1e300) + le_f64(-1e300))));
    EXPECT_EQ(big.data, (std::vector<float>{ INFINITY, -INFINITY }));

    const auto f4 = read_npy(write(
        "f4.npy", npy_bytes(dict("<f4", "(2, 1)"), le_f32(0.1f) + le_f32(-7.0f), 3)));
    EXPECT_EQ(f4.data, (std::vector<float>{ 0.1f, -7.0f }));

    // float16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, smallest subnormal 0x0001.
    const auto f2 = read_npy(write(
        "f2.npy", npy_bytes(dict("<f2", "(4,)"), le(0x3C00, 2) + le(0xC000, 2) +
                                                     le(0x3800, 2) + le(0x0001, 2))));
    EXPECT_EQ(f2.data, (std::vector<float>{ 1.0f, -2.0f, 0.5f, std::ldexp(1.0f, -24) }));

    struct Case {
        std::string descr;
        int size;
        std::vector<uint64_t> raw;
        std::vector<float> expected;
    };
    const std::vector<Case> cases = {
        { "|i1", 1, { 0x80, 0x7f, 0xff }, { -128, 127, -1 } },
        { "|u1", 1, { 0, 255 }, { 0, 255 } },
        { "|b1", 1, { 1, 0 }, { 1, 0 } },
        { "<i2", 2, { 0x8000, 0x7fff }, { -32768, 32767 } },
        { "<u2", 2, { 0xffff }, { 65535 } },
        { "<i4", 4, { 0xfffffff9, 100000 }, { -7, 100000 } },
        { "<u4", 4, { 4000000000u }, { 4e9f } },
        { "<i8", 8, { static_cast<uint64_t>(-5) }, { -5 } },
        { "<u8", 8, { 1ull << 40 }, { 1099511627776.0f } },
    };
    for (const auto& c : cases) {
        std::string payload;
        for (uint64_t v : c.raw)
            payload += le(v, c.size);
        const std::string shape = "(" + std::to_string(c.raw.size()) + ",)";
        const auto a = read_npy(write("x.npy", npy_bytes(dict(c.descr, shape), payload)));
        EXPECT_EQ(a.dtype, c.descr);
        EXPECT_EQ(a.data, c.expected) << c.descr;
    }

    // 0-d array (np.save of a scalar), and an empty array.
    const auto s = read_npy(write("s.npy", npy_bytes(dict("<f4", "()"), le_f32(42.0f))));
    EXPECT_TRUE(s.shape.empty());
    EXPECT_EQ(s.data, (std::vector<float>{ 42.0f }));
    const auto e = read_npy(write("e.npy", npy_bytes(dict("<f4", "(0, 5)"), "")));
    EXPECT_EQ(e.shape, (std::vector<int64_t>{ 0, 5 }));
    EXPECT_EQ(e.size(), 0);
    // Fortran order is harmless for a vector (same bytes); Python 2 "3L" dims.
    const auto v = read_npy(
        write("v.npy", npy_bytes(dict("<i2", "(2L,)", true), le(1, 2) + le(2, 2))));
    EXPECT_EQ(v.data, (std::vector<float>{ 1, 2 }));
}

TEST_F(TableFixture, NpyBrokenFiles)
{
    // Truncated: 5 of 6 float32.
    std::string five;
    for (int i = 0; i < 5; ++i)
        five += le_f32(static_cast<float>(i));
    expect_error(npy, write("trunc.npy", npy_bytes(dict("<f4", "(2, 3)"), five)),
                 "data: expected 24 bytes (shape (2, 3) of <f4), found 20 bytes");
    expect_error(npy, write("long.npy", npy_bytes(dict("<f4", "(1,)"), five)),
                 "data: expected 4 bytes (shape (1,) of <f4), found 20 bytes");
    expect_error(
        npy,
        write("fortran.npy", npy_bytes(dict("<f4", "(2, 3)", true), five + le(0, 4))),
        "fortran_order: expected False (C order; Fortran-order arrays are not "
        "supported), found True");
    expect_error(npy, write("big.npy", npy_bytes(dict(">f4", "(2,)"), le(0, 8))),
                 "descr: expected a little-endian dtype ('<'), found '>f4' (big-endian)");
    expect_error(
        npy, write("c8.npy", npy_bytes(dict("<c8", "(1,)"), le(0, 8))),
        "descr: expected one of <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1, "
        "found '<c8'");
    expect_error(
        npy,
        write("struct.npy", npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, "
                                      "'shape': (1,), }",
                                      le(0, 4))),
        "descr: expected a simple dtype such as '<f4', found a structured dtype "
        "(a list of fields)");
    expect_error(
        npy,
        write("noshape.npy",
              npy_bytes("{'descr': '<f4', 'fortran_order': False, }", le(0, 4))),
        "header: expected the keys 'descr', 'fortran_order' and 'shape', found no "
        "'shape'");
    expect_error(npy, write("negshape.npy", npy_bytes(dict("<f4", "(-1,)"), le(0, 4))),
                 "header (at character 51): expected a non-negative integer dimension, "
                 "found '-1,), }'");
    // Header length pointing past the end of the file (132 bytes: a 128-byte
    // preamble, as the padded dict is longer than 54 characters, plus 4 data bytes).
    std::string lying = npy_bytes(dict("<f4", "(1,)"), le(0, 4));
    lying[8] = '\xff';
    lying[9] = '\x7f';
    expect_error(npy, write("hlen.npy", lying),
                 "header: expected 32767 bytes, found 122 bytes left in the file");
    std::string v9 = npy_bytes(dict("<f4", "(1,)"), le(0, 4));
    v9[6] = 9;
    expect_error(npy, write("v9.npy", v9),
                 "format version: expected 1.0, 2.0 or 3.0, found 9.0");
    expect_error(npy, write("notnpy.npy", "PK\x03\x04 a zip file, not an array"),
                 "magic: expected '\\x93NUMPY' (a .npy file), found 'PK?? a'");
    expect_error(npy, write("tiny.npy", "\x93NUM"),
                 "magic: expected '\\x93NUMPY' (a .npy file), found a file of 4 bytes");
    // A shape whose byte count overflows 64 bits.
    expect_error(
        npy, write("huge.npy", npy_bytes(dict("<f8", "(4294967296, 4294967296)"), "")),
        "shape: expected a size that fits in 64 bits, found (4294967296, "
        "4294967296)");
    // ... in any order, a zero dimension first too (the product was 0 from
    // there on, and (0, 2^62, 2^62) passed where (2^62, 2^62, 0) did not).
    expect_error(
        npy,
        write("huge0.npy", npy_bytes(dict("<f8", "(0, 4611686018427387904, 4)"), "")),
        "shape: expected a size that fits in 64 bits, found (0, 4611686018427387904, 4)");
    // The magic and a cut-off preamble: not "the wrong magic".
    expect_error(npy, write("cut.npy", std::string("\x93NUMPY\x01\x00", 8)),
                 "preamble: expected at least 10 bytes (magic, version, header length), found "
                 "a file of 8 bytes");
}

TEST_F(TableFixture, CsvOutOfRangeCellsSaturateByTheirMagnitude)
{
    // Beyond double's range a cell is +-inf or +-0 by its size: the sign of
    // the exponent alone read 0.(330 zeros)1 as inf and 1(500 zeros)e-10 as 0.
    const std::string tiny = "0." + std::string(330, '0') + "1";
    const std::string huge = "1" + std::string(500, '0') + "e-10";
    const Table t = read_csv(write("range.csv", "a,b,c,d\n" + tiny + "," + huge + ",-" + huge +
                                                    ",1e-400\n"));
    ASSERT_EQ(t.rows, 1);
    EXPECT_EQ(t.at(0, 0), 0.0);
    EXPECT_EQ(t.at(0, 1), INFINITY);
    EXPECT_EQ(t.at(0, 2), -INFINITY);
    EXPECT_EQ(t.at(0, 3), 0.0);
    EXPECT_EQ(tfmed::io::text::decimal_order("0.0012"), -3);
    EXPECT_EQ(tfmed::io::text::decimal_order("-1500e-10"), -7);
    EXPECT_EQ(tfmed::io::text::decimal_order("1e500"), 500);
    EXPECT_EQ(tfmed::io::text::decimal_order("0.0"), 0);
}

TEST_F(TableFixture, StreamRefusalsNameWhatAndWhere)
{
    auto stream = [](const TableStreamOptions& o) {
        return [o](const std::string& f) { return tfmed::io::read_table_stream(f, o); };
    };
    TableStreamOptions rate;
    rate.sample_rate = 100;
    // No row, a billion columns: (0, 10^9) was accepted by read_npy (no byte
    // to read) and the replay then filled 24 GB of empty columns.
    expect_error(stream(rate), write("norows.npy", npy_bytes(dict("<f4", "(0, 1000000000)"), "")),
                 "shape: expected (T) or (T, C) with at least one row, found 0 rows");
    expect_error(stream(rate), write("wide.npy", npy_bytes(dict("|u1", "(1, 70000)"),
                                                           std::string(70000, '\0'))),
                 "shape: expected (T, C) with at most 65536 columns, found 70000 columns");
    expect_error(stream(rate), write("nocols.npy", npy_bytes(dict("<f4", "(5, 0)"), "")),
                 "columns: expected at least one column to stream, found none (shape (T, 0))");
    // A .ts that declares 2^31 dimensions and holds no case (fuzz_table_stream).
    expect_error(stream(rate),
                 write("dims.ts", "@dimensions 2147483647\n@classLabel true a\n@data\n"),
                 "@data: expected at least one case to stream, found none");
    // A bad time names its row; the text column is no column to stream.
    const auto ett = write("ett.csv", "date,HUFL,OT\n2016-07-01 00:00:00,1,2\n"
                                      "2016-07-01 01:00:00,3,4\n2016-07-01T02:00:00,5,6\n");
    TableStreamOptions timed;
    timed.time_column = "date";
    expect_error(stream(timed), ett,
                 "time column date row 3: expected 'YYYY-MM-DD HH:MM[:SS]' (a real date) or "
                 "seconds, found '2016-07-01T02:00:00'");
    TableStreamOptions text = rate;
    text.columns = { "date" };
    expect_error(stream(text), ett,
                 "columns: expected one of HUFL, OT, found 'date' (the text column, not "
                 "numeric)");
    TableStreamOptions fast;
    fast.sample_rate = 1e21;
    expect_error(stream(fast), ett,
                 "sample_rate: expected a rate > 0 Hz (or a time column), at most 1e12 Hz, "
                 "found 1e+21 Hz");
    // The extension is the file name's: a dot in a folder is none.
    std::filesystem::create_directories(dir_ / "data.v2");
    expect_error(stream(rate), write("data.v2/rec", "1,2\n"),
                 "extension: expected .csv, .txt, .npy or .ts, found none");
}

TEST_F(TableFixture, TsLineEndsAndByteOrderMark)
{
    const std::string body = "@problemName x\n@univariate true\n@classLabel true a b\n@data\n"
                             "1,2,3:a\n4,5,6:b\n";
    // A UTF-8 byte-order mark (a file saved from Excel or Notepad) was "a
    // '@' header line expected, found '???@problemName x'".
    const auto bom = read_ts(write("bom.ts", "\xEF\xBB\xBF" + body));
    EXPECT_EQ(bom.n_cases(), 2);
    // Old Mac line ends read as one header line without @data.
    std::string cr = body;
    std::replace(cr.begin(), cr.end(), '\n', '\r');
    expect_error([](const std::string& f) { return read_ts(f); }, write("cr.ts", cr),
                 "line 1: expected lines ending in \\n or \\r\\n, found a carriage return "
                 "inside the line (old Mac line ends, \\r alone)");
}
