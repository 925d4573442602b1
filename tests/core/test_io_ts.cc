/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The .ts reader on the UEA archive files in ../shared/data/uea, and on small
 * fixtures (written to a temporary folder) whose headers lie about the data.
 *
 * Expected values were read from the files with a few lines of python3 (split
 * each line after "@data" on ':' then ','), e.g. for BasicMotions_TRAIN:
 *   sed -n 14p BasicMotions_TRAIN.ts | tr ':' '\n' | awk -F, '{print NF, $1, $NF}'
 * prints "100 0.079106 -0.20515" for dimension 1 and "1 Standing" for the label.
 */
#include "data.h"
#include <tfmed/io/ts.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

using tfmed::io::read_ts;
using tfmed::io::ReadError;
using tfmed::io::TsDataset;

namespace {

/* Lengths of every series of every case, min and max. */
std::pair<int, int> length_range(const TsDataset& ds)
{
    int lo = 1 << 30, hi = 0;
    for (const auto& c : ds.cases)
        for (const auto& s : c) {
            lo = std::min(lo, static_cast<int>(s.size()));
            hi = std::max(hi, static_cast<int>(s.size()));
        }
    return { lo, hi };
}

std::map<int, int> label_counts(const TsDataset& ds)
{
    std::map<int, int> n;
    for (int l : ds.labels)
        ++n[l];
    return n;
}

/* Every case has `dims` series, every series of one case the same length. */
void expect_well_formed(const TsDataset& ds, int dims)
{
    ASSERT_EQ(ds.labels.size(), ds.cases.size());
    for (const auto& c : ds.cases) {
        ASSERT_EQ(static_cast<int>(c.size()), dims);
        for (const auto& s : c) {
            EXPECT_EQ(s.size(), c[0].size());
            for (float x : s)
                EXPECT_TRUE(std::isfinite(x));
        }
    }
}

/* A scratch folder per test, removed afterwards. */
class TsFixture : public ::testing::Test
{
protected:
    void SetUp() override
    {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() /
               ("tfmed_test_io_ts_" + std::to_string(::getpid()) + "_" + info->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override
    {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::string write(const std::string& name, const std::string& text)
    {
        const std::string p = (dir_ / name).string();
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
    /* read_ts(path) must throw a ReadError for `path` whose text contains `what`. */
    void expect_error(const std::string& path, const std::string& what)
    {
        try {
            read_ts(path);
            ADD_FAILURE() << "no ReadError for " << path << " (expected '" << what
                          << "')";
        } catch (const ReadError& e) {
            EXPECT_EQ(e.file(), path);
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos)
                << "message: " << e.what() << "\nexpected to contain: " << what;
        }
    }

    std::filesystem::path dir_;
};

const char* const header_abc = "# a comment\n"
                               "@problemName Toy\n"
                               "@timeStamps false\n"
                               "@missing false\n"
                               "@univariate false\n"
                               "@dimensions 3\n"
                               "@equalLength true\n"
                               "@seriesLength 4\n"
                               "@classLabel true a b\n"
                               "@data\n"; // lines 1..10; cases start on line 11

} // namespace

/* -------------------------------------------------------------------------- */
/* Real files                                                                 */
/* -------------------------------------------------------------------------- */

TEST(TsReal, JapaneseVowelsTrain)
{
    TFMED_REQUIRE_DATA(path, "uea/JapaneseVowels/JapaneseVowels_TRAIN.ts");
    const TsDataset ds = read_ts(path);
    EXPECT_EQ(ds.path, path);
    EXPECT_EQ(ds.problem_name, "JapaneseVowels");
    EXPECT_FALSE(ds.univariate);
    EXPECT_FALSE(ds.equal_length);
    EXPECT_FALSE(ds.has_timestamps);
    EXPECT_FALSE(ds.missing);
    EXPECT_TRUE(ds.class_labels);
    EXPECT_EQ(ds.dimensions, 12);
    EXPECT_EQ(ds.series_length, 0); // unequal lengths
    EXPECT_EQ(ds.class_names,
              (std::vector<std::string>{ "1", "2", "3", "4", "5", "6", "7", "8", "9" }));
    ASSERT_EQ(ds.n_cases(), 270);
    expect_well_formed(ds, 12);
    EXPECT_EQ(length_range(ds), std::make_pair(7, 26));
    const auto n = label_counts(ds);
    ASSERT_EQ(n.size(), 9u);
    for (int k = 0; k < 9; ++k)
        EXPECT_EQ(n.at(k), 30) << "class " << k + 1;

    // Case 0 (file line 16): 20 time points, speaker "1".
    EXPECT_EQ(ds.length(0, 0), 20);
    EXPECT_EQ(ds.labels[0], 0);
    EXPECT_FLOAT_EQ(ds.cases[0][0][0], 1.860936f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][1], 1.891651f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][2], 1.939205f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][19], 1.261441f);
    EXPECT_FLOAT_EQ(ds.cases[0][1][0], -0.207383f);
    EXPECT_FLOAT_EQ(ds.cases[0][11][19], -0.175986f);
    // Last case: 9 time points, speaker "9".
    EXPECT_EQ(ds.length(269, 0), 9);
    EXPECT_EQ(ds.labels[269], 8);
    EXPECT_FLOAT_EQ(ds.cases[269][0][0], 1.240598f);
}

TEST(TsReal, JapaneseVowelsTest)
{
    TFMED_REQUIRE_DATA(path, "uea/JapaneseVowels/JapaneseVowels_TEST.ts");
    const TsDataset ds = read_ts(path);
    EXPECT_EQ(ds.dimensions, 12);
    EXPECT_FALSE(ds.equal_length);
    ASSERT_EQ(ds.n_cases(), 370);
    expect_well_formed(ds, 12);
    EXPECT_EQ(length_range(ds), std::make_pair(7, 29));
    // The test split is unbalanced (24..88 utterances per speaker).
    const std::map<int, int> expected{ { 0, 31 }, { 1, 35 }, { 2, 88 },
                                       { 3, 44 }, { 4, 29 }, { 5, 24 },
                                       { 6, 40 }, { 7, 50 }, { 8, 29 } };
    EXPECT_EQ(label_counts(ds), expected);

    EXPECT_EQ(ds.length(0, 0), 19);
    EXPECT_EQ(ds.labels[0], 0);
    EXPECT_FLOAT_EQ(ds.cases[0][0][0], 1.635533f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][1], 1.547694f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][2], 1.602593f);
    EXPECT_FLOAT_EQ(ds.cases[0][11][18], 0.108629f);
    EXPECT_EQ(ds.length(369, 0), 11);
    EXPECT_EQ(ds.labels[369], 8);
    EXPECT_FLOAT_EQ(ds.cases[369][0][0], 1.421622f);
}

TEST(TsReal, BasicMotionsTrain)
{
    TFMED_REQUIRE_DATA(path, "uea/BasicMotions/BasicMotions_TRAIN.ts");
    const TsDataset ds = read_ts(path);
    EXPECT_EQ(ds.problem_name, "BasicMotions");
    EXPECT_FALSE(ds.univariate);
    EXPECT_TRUE(ds.equal_length);
    EXPECT_EQ(ds.dimensions, 6);
    EXPECT_EQ(ds.series_length, 100);
    EXPECT_EQ(ds.class_names, (std::vector<std::string>{ "Standing", "Running", "Walking",
                                                         "Badminton" }));
    ASSERT_EQ(ds.n_cases(), 40);
    expect_well_formed(ds, 6);
    EXPECT_EQ(length_range(ds), std::make_pair(100, 100));
    const std::map<int, int> ten_each{ { 0, 10 }, { 1, 10 }, { 2, 10 }, { 3, 10 } };
    EXPECT_EQ(label_counts(ds), ten_each);

    // Case 0 (file line 14), "Standing".
    EXPECT_EQ(ds.labels[0], 0);
    EXPECT_FLOAT_EQ(ds.cases[0][0][0], 0.079106f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][1], 0.079106f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][2], -0.903497f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][99], -0.20515f);
    EXPECT_FLOAT_EQ(ds.cases[0][1][0], 0.394032f);
    EXPECT_FLOAT_EQ(ds.cases[0][5][99], -0.03196f);
    EXPECT_EQ(ds.labels[39], 3); // "Badminton"
    EXPECT_FLOAT_EQ(ds.cases[39][0][0], 1.211973f);
}

TEST(TsReal, BasicMotionsTest)
{
    TFMED_REQUIRE_DATA(path, "uea/BasicMotions/BasicMotions_TEST.ts");
    const TsDataset ds = read_ts(path);
    EXPECT_EQ(ds.dimensions, 6);
    EXPECT_EQ(ds.series_length, 100);
    ASSERT_EQ(ds.n_cases(), 40);
    expect_well_formed(ds, 6);
    const std::map<int, int> ten_each{ { 0, 10 }, { 1, 10 }, { 2, 10 }, { 3, 10 } };
    EXPECT_EQ(label_counts(ds), ten_each);

    EXPECT_EQ(ds.labels[0], 0);
    EXPECT_FLOAT_EQ(ds.cases[0][0][0], -0.740653f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][1], -0.740653f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][2], 10.208449f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][99], -0.287192f);
    EXPECT_FLOAT_EQ(ds.cases[0][5][99], 0.02397f);
    EXPECT_EQ(ds.labels[39], 3);
    EXPECT_FLOAT_EQ(ds.cases[39][0][0], 0.901645f);
}

/* -------------------------------------------------------------------------- */
/* Fixtures: valid variants                                                   */
/* -------------------------------------------------------------------------- */

TEST_F(TsFixture, MinimalUnivariateWithMissingValuesAndInferredHeader)
{
    // No @dimensions / @equalLength / @univariate: inferred from the data.
    const auto p = write("u.ts", "@problemName U\r\n"
                                 "@classLabel true x y\r\n"
                                 "@data\r\n"
                                 "1.5, ?, -2e-1 ,+3:y\r\n"
                                 "\r\n"
                                 "4,5,6,7:x\r\n");
    const TsDataset ds = read_ts(p);
    EXPECT_EQ(ds.problem_name, "U");
    EXPECT_EQ(ds.dimensions, 1);
    EXPECT_TRUE(ds.univariate);
    EXPECT_TRUE(ds.equal_length);
    EXPECT_EQ(ds.series_length, 4);
    EXPECT_TRUE(ds.missing); // a '?' was read
    ASSERT_EQ(ds.n_cases(), 2);
    EXPECT_EQ(ds.labels, (std::vector<int>{ 1, 0 }));
    EXPECT_FLOAT_EQ(ds.cases[0][0][0], 1.5f);
    EXPECT_TRUE(std::isnan(ds.cases[0][0][1]));
    EXPECT_FLOAT_EQ(ds.cases[0][0][2], -0.2f);
    EXPECT_FLOAT_EQ(ds.cases[0][0][3], 3.0f);
    EXPECT_FLOAT_EQ(ds.cases[1][0][3], 7.0f);
}

TEST_F(TsFixture, UnequalLengthsInferredAndNoLabels)
{
    const auto p = write("v.ts", "@dimensions 2\n@classLabel false\n@data\n"
                                 "1,2,3:4,5,6\n"
                                 "1:2\n");
    const TsDataset ds = read_ts(p);
    EXPECT_FALSE(ds.class_labels);
    EXPECT_FALSE(ds.equal_length);
    EXPECT_EQ(ds.series_length, 0);
    EXPECT_FALSE(ds.univariate);
    EXPECT_EQ(ds.labels, (std::vector<int>{ -1, -1 }));
    EXPECT_EQ(ds.length(1, 1), 1);
    EXPECT_FLOAT_EQ(ds.cases[0][1][2], 6.0f);
}

TEST_F(TsFixture, TimestampsAndRegressionTarget)
{
    const auto p = write("t.ts", "@timeStamps true\n@univariate false\n@dimensions 2\n"
                                 "@equalLength false\n@targetLabel true\n@data\n"
                                 "(2007-01-01 00:00:00,1.5),(2007-01-01 00:00:01,?):"
                                 "(2007-01-01 00:00:00,-3):0.25\n");
    const TsDataset ds = read_ts(p);
    EXPECT_TRUE(ds.has_timestamps);
    EXPECT_TRUE(ds.target_label);
    ASSERT_EQ(ds.n_cases(), 1);
    EXPECT_EQ(ds.targets, (std::vector<double>{ 0.25 }));
    EXPECT_EQ(ds.labels, (std::vector<int>{ -1 }));
    ASSERT_EQ(ds.length(0, 0), 2);
    ASSERT_EQ(ds.length(0, 1), 1);
    EXPECT_FLOAT_EQ(ds.cases[0][0][0], 1.5f);
    EXPECT_TRUE(std::isnan(ds.cases[0][0][1]));
    EXPECT_FLOAT_EQ(ds.cases[0][1][0], -3.0f);
    EXPECT_EQ(ds.timestamps[0][0][1], "2007-01-01 00:00:01");
}

/* -------------------------------------------------------------------------- */
/* Fixtures: headers that lie, and garbage                                    */
/* -------------------------------------------------------------------------- */

TEST_F(TsFixture, DimensionCountMismatch)
{
    const auto p =
        write("dims.ts", std::string(header_abc) + "1,2,3,4:1,2,3,4:1,2,3,4:a\n"
                                                   "1,2,3,4:1,2,3,4:b\n");
    // The exact text, once, to pin the message format.
    try {
        read_ts(p);
        FAIL() << "no ReadError";
    } catch (const ReadError& e) {
        EXPECT_EQ(
            std::string(e.what()),
            p + ": line 12: expected 3 dimensions and a class label (4 ':'-separated "
                "fields, @dimensions), found 3 fields");
    }
}

TEST_F(TsFixture, SeriesLengthMismatch)
{
    const auto p = write("len.ts", std::string(header_abc) + "1,2,3,4:1,2,3,4:1,2,3,4:a\n"
                                                             "1,2,3,4:1,2,3:1,2,3,4:b\n");
    expect_error(p, "line 12, dimension 2: expected 4 values (@seriesLength, line 8), "
                    "found 3 values");
}

TEST_F(TsFixture, EqualLengthTrueWithoutSeriesLength)
{
    const auto p = write("eq.ts", "@dimensions 1\n@equalLength true\n@classLabel false\n"
                                  "@data\n1,2,3\n1,2,3\n1,2\n");
    expect_error(p, "line 7, dimension 1: expected 3 values (@equalLength true; line 5, "
                    "dimension 1 has 3), found 2 values");
}

TEST_F(TsFixture, UnknownClassLabel)
{
    const auto p =
        write("lab.ts", std::string(header_abc) + "1,2,3,4:1,2,3,4:1,2,3,4:c\n");
    expect_error(p, "line 11, class label: expected one of a, b (@classLabel, line 9), "
                    "found 'c'");
}

TEST_F(TsFixture, NonNumericValue)
{
    const auto p =
        write("num.ts", std::string(header_abc) + "1,2,3,4:1,2,3,4:1,2,3,4:a\n"
                                                  "1,2,3,4:1,2,3,4:1,x2,3,4:b\n");
    expect_error(p,
                 "line 12, dimension 3, value 2: expected a number or '?', found 'x2'");
    const auto q =
        write("empty.ts", std::string(header_abc) + "1,2,,4:1,2,3,4:1,2,3,4:a\n");
    expect_error(
        q, "line 11, dimension 1, value 3: expected a number or '?', found nothing");
    const auto r =
        write("plusminus.ts", std::string(header_abc) + "1,2,+-3,4:1,2,3,4:1,2,3,4:a\n");
    expect_error(r,
                 "line 11, dimension 1, value 3: expected a number or '?', found '+-3'");
}

TEST_F(TsFixture, HeaderErrors)
{
    expect_error(
        write("nodata.ts", "@problemName X\n@dimensions 1\n"),
        "@data: expected a '@data' line before the cases, found end of file after "
        "line 2");
    expect_error(write("bool.ts", "@univariate maybe\n@data\n"),
                 "line 1, @univariate: expected true or false, found 'maybe'");
    expect_error(write("uni.ts", "@univariate true\n@dimensions 3\n@data\n"),
                 "line 2, @dimensions: expected 1 (@univariate true, line 1), found 3");
    expect_error(write("dimzero.ts", "@dimensions 0\n@data\n"),
                 "line 1, @dimensions: expected one integer >= 1, found '0'");
    expect_error(write("nolabels.ts", "@classLabel true\n@data\n"),
                 "line 1, @classLabel: expected 'true' followed by the class names");
    expect_error(
        write("stray.ts", "@dimensions 1\n1,2,3\n@data\n"),
        "line 2: expected a '@' header line or a '#' comment before @data, found "
        "'1,2,3'");
    expect_error(
        write("both.ts", "@classLabel true a\n@targetLabel true\n@data\n"),
        "line 2, @targetLabel: expected false when @classLabel is true (line 1)");
}

TEST_F(TsFixture, MissingFileAndGarbage)
{
    expect_error((dir_ / "absent.ts").string(), "cannot open .ts file (No such file");
    expect_error(dir_.string(), "is a directory, expected a .ts file");
    std::string garbage;
    for (int i = 0; i < 4096; ++i)
        garbage += static_cast<char>((i * 37 + 11) & 0xff);
    expect_error(write("garbage.ts", garbage), "line ");
    // Garbage after @data: an error, never a crash or an out-of-range read.
    expect_error(write("garbage2.ts", "@data\n" + garbage), "line ");
    expect_error(write("empty.ts", ""), "@data");
}

/* Found by the fuzz target tests/fuzz/fuzz_ts: the largest int as @dimensions
 * with a class label made the expected field count overflow int (UB). */
TEST_F(TsFixture, HugeDimensionsWithLabelIsAnError)
{
    expect_error(write("maxdim.ts",
                       "@dimensions 2147483647\n@classLabel true a\n@data\n1:a\n"),
                 "maxdim.ts: line 4: expected 2147483647 dimensions and a class label "
                 "(2147483648 ':'-separated fields, @dimensions), found 2 fields");
}
