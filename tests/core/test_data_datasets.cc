/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Data set loaders on the shared real data (skipped when absent) and on small
 * malformed copies written here (always run).
 *
 * Expected numbers come from the files themselves, read independently of the
 * project with /usr/bin/python3 (no numpy there): .npy data unpacked with
 * `struct.unpack('<...f' / '<...h')` after the header, text files with
 * str.split(), class counts with collections.Counter, UEA lengths by counting
 * the ',' fields of each case's first dimension.
 */
#include "data.h"
#include <tfmed/data/benchmarks.h>
#include <tfmed/data/datasets.h>
#include <tfmed/io/recording.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace tfmed;
namespace fs = std::filesystem;

namespace {

// The message of the ReadError that `f` throws ("" when it throws none).
template <typename F>
std::string read_error(F f)
{
    try {
        f();
    } catch (const io::ReadError& e) {
        return e.what();
    }
    return "";
}

// A scratch data folder for malformed copies, removed by the fixture.
class MalformedData : public ::testing::Test
{
protected:
    void SetUp() override
    {
        dir_ = fs::path(::testing::TempDir()) /
               ("tfmed_datasets_" +
                std::string(
                    ::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    void write(const std::string& rel, const std::string& text)
    {
        const fs::path p = dir_ / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
    }

    // A float32 (rows, cols) .npy, version 1.0, header padded to 128 bytes.
    void write_npy(const std::string& rel, int rows, int cols)
    {
        std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                           std::to_string(rows) + ", " + std::to_string(cols) + "), }";
        dict.resize(128 - 10 - 1, ' ');
        dict += '\n';
        std::string head = std::string("\x93NUMPY\x01\x00", 8);
        head += static_cast<char>(dict.size() & 0xff);
        head += static_cast<char>(dict.size() >> 8);
        std::vector<float> v(static_cast<size_t>(rows) * cols, 0.5f);
        write(rel,
              head + dict +
                  std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
    }

    std::string dir() const { return dir_.string(); }

private:
    fs::path dir_;
};

} // namespace

TEST(DatasetsTest, MitdbCompiledSegments)
{
    TFMED_REQUIRE_DATA(x_path, "mitdb_compiled10s/X_mV.npy");
    const auto s = data::load_mitdb_compiled(tfmed_test::data_dir());
    EXPECT_EQ(s.name, "mitdb_compiled10s");
    ASSERT_EQ(s.x.sizes(), (std::vector<int64_t> { 400, 1, 3600 }));
    EXPECT_EQ(s.x.scalar_type(), torch::kFloat);
    EXPECT_EQ(s.y.scalar_type(), torch::kLong);
    EXPECT_EQ(s.class_names, (std::vector<std::string> { "N", "S", "V", "F", "Q" }));
    EXPECT_EQ(data::class_counts(s), (std::vector<int64_t>(5, 80)));
    EXPECT_DOUBLE_EQ(s.sample_rate, 360.0);
    EXPECT_TRUE(s.lengths.empty());
    // labels.csv lists the classes in blocks of 80: rows 0-79 N, 80-159 S, ...
    EXPECT_EQ(s.y[0].item<int64_t>(), 0);
    EXPECT_EQ(s.y[79].item<int64_t>(), 0);
    EXPECT_EQ(s.y[80].item<int64_t>(), 1);
    EXPECT_EQ(s.y[399].item<int64_t>(), 4);
    ASSERT_EQ(s.ids.size(), 400u);
    EXPECT_EQ(s.ids[0], "N/1.txt");
    EXPECT_EQ(s.ids[80], "S/1.txt");
    EXPECT_EQ(s.ids[399], "Q/99.txt");
    // X[0, 0:3], X[80, 0:2], X[399, 3599] as float32.
    EXPECT_FLOAT_EQ(s.x[0][0][0].item<float>(), -0.405f);
    EXPECT_FLOAT_EQ(s.x[0][0][1].item<float>(), -0.41f);
    EXPECT_FLOAT_EQ(s.x[0][0][2].item<float>(), -0.41f);
    EXPECT_FLOAT_EQ(s.x[80][0][0].item<float>(), -0.305f);
    EXPECT_FLOAT_EQ(s.x[399][0][3599].item<float>(), -0.395f);
    EXPECT_FLOAT_EQ(s.x.min().item<float>(), -2.73f);
    EXPECT_FLOAT_EQ(s.x.max().item<float>(), 2.69f);
    // MIT-BIH stores ADC units at 200 per mV: every value x 200 is an integer.
    const auto adc = s.x * 200;
    EXPECT_LT((adc - adc.round()).abs().max().item<float>(), 1e-3f);
}

TEST(DatasetsTest, Ecg5000Train)
{
    TFMED_REQUIRE_DATA(txt, "ecg5000/ECG5000_TRAIN.txt");
    const auto s = data::load_ecg5000(tfmed_test::data_dir());
    EXPECT_EQ(s.name, "ecg5000_TRAIN");
    ASSERT_EQ(s.x.sizes(), (std::vector<int64_t> { 500, 1, 140 }));
    EXPECT_EQ(data::class_counts(s), (std::vector<int64_t> { 292, 177, 10, 19, 2 }));
    EXPECT_EQ(s.class_names,
              (std::vector<std::string> {
                  "Normal", "R-on-T PVC", "PVC", "SP", "Unclassified" }));
    EXPECT_EQ(s.sample_rate, 0.0);
    // Row 0: class 1.0000000e+00, then -1.1252183e-01 -2.8272038e+00 ... 1.9313742e-01.
    EXPECT_EQ(s.y[0].item<int64_t>(), 0);
    EXPECT_FLOAT_EQ(s.x[0][0][0].item<float>(), -0.11252183f);
    EXPECT_FLOAT_EQ(s.x[0][0][1].item<float>(), -2.8272038f);
    EXPECT_FLOAT_EQ(s.x[0][0][139].item<float>(), 0.19313742f);
    // Last row: class 5, -1.1336738e+00 ... -1.2263937e-01.
    EXPECT_EQ(s.y[499].item<int64_t>(), 4);
    EXPECT_FLOAT_EQ(s.x[499][0][0].item<float>(), -1.1336738f);
    EXPECT_FLOAT_EQ(s.x[499][0][139].item<float>(), -0.12263937f);
    EXPECT_EQ(s.ids[499], "ECG5000_TRAIN.txt#499");
    // Every beat is z-normalised: a shifted column would break this.
    EXPECT_LT(s.x.mean(-1).abs().max().item<float>(), 1e-5f);
    EXPECT_LT((s.x.std(-1) - 1).abs().max().item<float>(), 1e-4f);
}

TEST(DatasetsTest, BonnEpilepsy178AndBinaryTask)
{
    TFMED_REQUIRE_DATA(x_path, "bonn_eeg/epilepsy178/X_int16.npy");
    const auto s = data::load_bonn_epilepsy178(tfmed_test::data_dir());
    EXPECT_EQ(s.name, "bonn_epilepsy178");
    ASSERT_EQ(s.x.sizes(), (std::vector<int64_t> { 11500, 1, 178 }));
    EXPECT_EQ(data::class_counts(s), (std::vector<int64_t>(5, 2300)));
    ASSERT_EQ(s.class_names.size(), 5u);
    EXPECT_EQ(s.class_names[0], "S (seizure)");
    EXPECT_EQ(s.class_names[4], "Z (healthy, eyes open)");
    EXPECT_DOUBLE_EQ(s.sample_rate, 173.61);
    // Rows are in file order Z, O, N, F, S: UCI 5 first (class 4), UCI 1 last.
    EXPECT_EQ(s.y[0].item<int64_t>(), 4);
    EXPECT_EQ(s.y[11499].item<int64_t>(), 0);
    EXPECT_EQ(s.x[0][0][0].item<float>(), 12.0f);
    EXPECT_EQ(s.x[0][0][1].item<float>(), 22.0f);
    EXPECT_EQ(s.x[0][0][2].item<float>(), 35.0f);
    EXPECT_EQ(s.x[1][0][0].item<float>(), -41.0f);
    EXPECT_EQ(s.x[11499][0][177].item<float>(), -272.0f);
    EXPECT_EQ(s.x.min().item<float>(), -1885.0f); // the 12-bit range of README
    EXPECT_EQ(s.x.max().item<float>(), 2047.0f);
    ASSERT_EQ(s.ids.size(), 11500u);
    EXPECT_EQ(s.ids[0], "raw/Z/Z001.txt#0");
    EXPECT_EQ(s.ids[9200], "raw/S/S001.txt#0");
    EXPECT_EQ(s.ids[11499], "raw/S/S100.txt#22");

    // Row 9200, the first S chunk, is raw/S/S001.txt[0:178] (100, 124, 153, ...).
    TFMED_REQUIRE_DATA(raw, "bonn_eeg/raw/S/S001.txt");
    std::ifstream f(raw);
    std::vector<float> first;
    for (int v; first.size() < 178 && f >> v;)
        first.push_back(static_cast<float>(v));
    ASSERT_EQ(first.size(), 178u);
    EXPECT_EQ(first[0], 100.0f);
    EXPECT_TRUE(torch::equal(s.x[9200][0], torch::tensor(first)));
    EXPECT_EQ(s.y[9200].item<int64_t>(), 0);

    const auto b = data::binary_seizure(s);
    EXPECT_EQ(b.class_names, (std::vector<std::string> { "non-seizure", "seizure" }));
    EXPECT_EQ(data::class_counts(b), (std::vector<int64_t> { 9200, 2300 }));
    EXPECT_EQ(b.y[9200].item<int64_t>(), 1);
    EXPECT_EQ(b.y[0].item<int64_t>(), 0);
    EXPECT_TRUE(b.x.is_same(s.x)); // shared, not copied
    EXPECT_THROW(data::binary_seizure(b), std::invalid_argument);
}

TEST(DatasetsTest, UeaJapaneseVowelsIsZeroPadded)
{
    TFMED_REQUIRE_DATA(ts, "uea/JapaneseVowels/JapaneseVowels_TRAIN.ts");
    const std::string dir = tfmed_test::data_dir();
    const auto s = data::load_uea(dir, "JapaneseVowels", "train");
    EXPECT_EQ(s.name, "JapaneseVowels_TRAIN");
    // TRAIN's longest case is 26 frames (case 1); README's 7..29 spans both splits.
    ASSERT_EQ(s.x.sizes(), (std::vector<int64_t> { 270, 12, 26 }));
    EXPECT_EQ(s.class_names,
              (std::vector<std::string> { "1", "2", "3", "4", "5", "6", "7", "8", "9" }));
    EXPECT_EQ(data::class_counts(s), (std::vector<int64_t>(9, 30)));
    EXPECT_EQ(s.sample_rate, 0.0);
    ASSERT_EQ(s.lengths.size(), 270u);
    EXPECT_EQ(s.lengths[0], 20);
    EXPECT_EQ(s.lengths[1], 26);
    EXPECT_EQ(s.lengths[68], 7); // the shortest
    EXPECT_EQ(s.lengths[269], 9);
    EXPECT_EQ(*std::min_element(s.lengths.begin(), s.lengths.end()), 7);
    int64_t total = 0;
    for (int64_t l : s.lengths)
        total += l;
    EXPECT_EQ(total, 4274);
    // Case 0: 1.860936,1.891651,1.939205,...,1.261441 (20 values) : -0.207383,...
    EXPECT_FLOAT_EQ(s.x[0][0][0].item<float>(), 1.860936f);
    EXPECT_FLOAT_EQ(s.x[0][0][1].item<float>(), 1.891651f);
    EXPECT_FLOAT_EQ(s.x[0][0][2].item<float>(), 1.939205f);
    EXPECT_FLOAT_EQ(s.x[0][0][19].item<float>(), 1.261441f);
    EXPECT_FLOAT_EQ(s.x[0][1][0].item<float>(), -0.207383f);
    EXPECT_EQ(s.y[0].item<int64_t>(), 0);
    EXPECT_EQ(s.y[269].item<int64_t>(), 8);
    // Zeros exactly after each case's length; no real series ends in 0 here,
    // so the last real frame is non-zero in every dimension.
    for (int64_t i = 0; i < 270; i++) {
        const int64_t l = s.lengths[i];
        EXPECT_EQ(s.x[i].slice(1, l).abs().sum().item<float>(), 0.0f) << "case " << i;
        EXPECT_EQ(s.x[i].select(1, l - 1).eq(0).sum().item<int64_t>(), 0) << "case " << i;
    }

    const auto t = data::load_uea(dir, "JapaneseVowels", "TEST");
    ASSERT_EQ(t.x.sizes(), (std::vector<int64_t> { 370, 12, 29 }));
    EXPECT_EQ(data::class_counts(t),
              (std::vector<int64_t> { 31, 35, 88, 44, 29, 24, 40, 50, 29 }));
    EXPECT_EQ(t.lengths[0], 19);
    EXPECT_EQ(t.lengths[7], 29);
    EXPECT_FLOAT_EQ(t.x[0][0][0].item<float>(), 1.635533f);
    EXPECT_FLOAT_EQ(t.x[0][1][0].item<float>(), 0.024848f);

    // One length for both splits: TRAIN padded to TEST's 29.
    const auto p = data::load_uea(dir, "JapaneseVowels", "TRAIN", 29);
    ASSERT_EQ(p.x.sizes(), (std::vector<int64_t> { 270, 12, 29 }));
    EXPECT_TRUE(torch::equal(p.x.slice(2, 0, 26), s.x));
    EXPECT_EQ(p.x.slice(2, 26).abs().sum().item<float>(), 0.0f);
    EXPECT_EQ(p.lengths, s.lengths);
    EXPECT_THROW(data::load_uea(dir, "JapaneseVowels", "TEST", 28),
                 std::invalid_argument);
}

TEST(DatasetsTest, UeaBasicMotionsEqualLength)
{
    TFMED_REQUIRE_DATA(ts, "uea/BasicMotions/BasicMotions_TRAIN.ts");
    const std::string dir = tfmed_test::data_dir();
    const auto s = data::load_uea(dir, "BasicMotions", "TRAIN");
    ASSERT_EQ(s.x.sizes(), (std::vector<int64_t> { 40, 6, 100 }));
    EXPECT_EQ(
        s.class_names,
        (std::vector<std::string> { "Standing", "Running", "Walking", "Badminton" }));
    EXPECT_EQ(data::class_counts(s), (std::vector<int64_t>(4, 10)));
    EXPECT_DOUBLE_EQ(s.sample_rate, 10.0);
    EXPECT_TRUE(s.lengths.empty()); // nothing padded
    EXPECT_EQ(s.ids[0], "BasicMotions_TRAIN.ts#0");
    // Case 0 (Standing): 0.079106,0.079106,-0.903497,...,-0.20515 : 0.394032,...
    EXPECT_EQ(s.y[0].item<int64_t>(), 0);
    EXPECT_EQ(s.y[39].item<int64_t>(), 3);
    EXPECT_FLOAT_EQ(s.x[0][0][0].item<float>(), 0.079106f);
    EXPECT_FLOAT_EQ(s.x[0][0][2].item<float>(), -0.903497f);
    EXPECT_FLOAT_EQ(s.x[0][0][99].item<float>(), -0.20515f);
    EXPECT_FLOAT_EQ(s.x[0][1][0].item<float>(), 0.394032f);

    const auto t = data::load_uea(dir, "BasicMotions", "TEST");
    ASSERT_EQ(t.x.sizes(), (std::vector<int64_t> { 40, 6, 100 }));
    EXPECT_EQ(data::class_counts(t), (std::vector<int64_t>(4, 10)));
    EXPECT_FLOAT_EQ(t.x[0][0][2].item<float>(), 10.208449f);
}

TEST(DatasetsTest, UcrAnomalyRangesFromFileNames)
{
    TFMED_REQUIRE_DATA(folder, "ucr_anomaly");
    const auto v = data::load_ucr_anomaly(tfmed_test::data_dir());
    ASSERT_EQ(v.size(), 4u);
    EXPECT_EQ(v[0].id, 135);
    EXPECT_EQ(v[0].name, "InternalBleeding16");
    EXPECT_EQ(v[3].name, "InternalBleeding19");
    EXPECT_EQ(v[0].x.size(0), 7501);
    EXPECT_EQ(v[1].x.size(0), 7500);
    EXPECT_EQ(v[0].train_end, 1200);
    EXPECT_EQ(v[0].anomaly_begin, 4187);
    EXPECT_EQ(v[0].anomaly_end, 4199);
    EXPECT_EQ(v[1].anomaly_begin, 3198);
    EXPECT_EQ(v[2].anomaly_end, 4587);
    EXPECT_FLOAT_EQ(v[0].x[0].item<float>(), 63.73215f);
    EXPECT_FLOAT_EQ(v[0].x[7500].item<float>(), 70.52612f);
    for (const auto& a : v) {
        EXPECT_EQ(a.label.sum().item<int64_t>(), a.anomaly_end - a.anomaly_begin)
            << a.name;
        EXPECT_EQ(a.label[a.anomaly_begin].item<int64_t>(), 1) << a.name;
        EXPECT_EQ(a.label[a.anomaly_begin - 1].item<int64_t>(), 0) << a.name;
        EXPECT_EQ(a.label[a.anomaly_end - 1].item<int64_t>(), 1) << a.name;
    }
    // InternalBleeding17 (3198_3309) and 18 (4485_4587) are one recording with
    // different anomalies: they differ exactly at 0-based [3198, 3309) and
    // [4485, 4587), which fixes the convention [begin, end) of the loader.
    const auto diff = v[1].x.ne(v[2].x).to(torch::kLong);
    EXPECT_TRUE(torch::equal(diff, v[1].label + v[2].label));
}

TEST(DatasetsTest, MissingDataNamesTheFile)
{
    const std::string none = "/nonexistent-tfmed-data";
    EXPECT_EQ(read_error([&] { data::load_mitdb_compiled(none); }),
              "/nonexistent-tfmed-data/mitdb_compiled10s/X_mV.npy: file not found "
              "(data set 'mitdb_compiled10s' is not in /nonexistent-tfmed-data)");
    EXPECT_EQ(read_error([&] { data::load_ecg5000(none); }),
              "/nonexistent-tfmed-data/ecg5000/ECG5000_TRAIN.txt: file not found "
              "(data set 'ecg5000' is not in /nonexistent-tfmed-data)");
    EXPECT_EQ(read_error([&] { data::load_bonn_epilepsy178(none); }),
              "/nonexistent-tfmed-data/bonn_eeg/epilepsy178/X_int16.npy: file not found "
              "(data set 'bonn_eeg/epilepsy178' is not in /nonexistent-tfmed-data)");
    EXPECT_EQ(read_error([&] { data::load_uea(none, "BasicMotions", "TEST"); }),
              "/nonexistent-tfmed-data/uea/BasicMotions/BasicMotions_TEST.ts: file not "
              "found (data set 'uea/BasicMotions' is not in /nonexistent-tfmed-data)");
    EXPECT_EQ(read_error([&] { data::load_ucr_anomaly(none); }),
              "/nonexistent-tfmed-data/ucr_anomaly: folder not found (data set "
              "'ucr_anomaly' is not in /nonexistent-tfmed-data)");
    EXPECT_THROW(data::load_ecg5000(none, "VAL"), std::invalid_argument);
    EXPECT_THROW(data::load_uea(none, "BasicMotions", "valid"), std::invalid_argument);
}

TEST(DatasetsTest, MissingSplitInPresentFolder)
{
    // The shared folder holds ECG5000 TRAIN only (README: TEST not staged).
    TFMED_REQUIRE_DATA(txt, "ecg5000/ECG5000_TRAIN.txt");
    const std::string dir = tfmed_test::data_dir();
    if (fs::exists(dir + "/ecg5000/ECG5000_TEST.txt"))
        GTEST_SKIP() << "ECG5000_TEST.txt is present on this machine";
    EXPECT_EQ(read_error([&] { data::load_ecg5000(dir, "TEST"); }),
              dir + "/ecg5000/ECG5000_TEST.txt: file not found");
}

TEST_F(MalformedData, MitdbLabelsMustMatchX)
{
    write_npy("mitdb_compiled10s/X_mV.npy", 2, 4);
    write("mitdb_compiled10s/labels.csv",
          "row,class,class_index,source_file\n0,N,0,N/1.txt\n");
    const std::string labels = dir() + "/mitdb_compiled10s/labels.csv";
    EXPECT_EQ(read_error([&] { data::load_mitdb_compiled(dir()); }),
              labels + ": rows: expected 2 (one per row of X_mV.npy), found 1");
    write("mitdb_compiled10s/labels.csv",
          "row,class,class_index,source_file\n0,N,0,N/1.txt\n1,V,1,S/1.txt\n");
    EXPECT_EQ(read_error([&] { data::load_mitdb_compiled(dir()); }),
              labels + ": line 3: expected class_index 0..4 matching class N,S,V,F,Q, "
                       "found class 'V', class_index 1");
    write("mitdb_compiled10s/labels.csv",
          "row,class,class_index,source_file\r\n0,N,0,N/1.txt\r\n1,S,1,S/1.txt\r\n");
    const auto s = data::load_mitdb_compiled(dir());
    ASSERT_EQ(s.x.sizes(), (std::vector<int64_t> { 2, 1, 4 }));
    EXPECT_EQ(data::class_counts(s), (std::vector<int64_t> { 1, 1, 0, 0, 0 }));
    EXPECT_EQ(s.ids[1], "S/1.txt");
    EXPECT_EQ(s.x[1][0][3].item<float>(), 0.5f);
}

TEST_F(MalformedData, Ecg5000LinesAreChecked)
{
    const std::string path = dir() + "/ecg5000/ECG5000_TRAIN.txt";
    write("ecg5000/ECG5000_TRAIN.txt", " 1.0 0.5 -0.5\n 2.0 1.5\n");
    EXPECT_EQ(read_error([&] { data::load_ecg5000(dir()); }),
              path + ": line 2: expected 3 numbers (as on the first line), found 2");
    write("ecg5000/ECG5000_TRAIN.txt", " 1.0 0.5 -0.5\n 6.0 1.5 2.5\n");
    EXPECT_EQ(read_error([&] { data::load_ecg5000(dir()); }),
              path + ": line 2, class: expected an integer in 1..5, found 6.000000");
    write("ecg5000/ECG5000_TRAIN.txt", " 1.0 0.5 -0.5\n 3.0 1.5 x\n");
    EXPECT_EQ(read_error([&] { data::load_ecg5000(dir()); }),
              path + ": line 2: expected a number, found 'x'");
    write("ecg5000/ECG5000_TRAIN.txt", "1.0 0.5 -0.5\r\n\r\n3.0 1.5 2.5\r\n");
    const auto s = data::load_ecg5000(dir());
    ASSERT_EQ(s.x.sizes(), (std::vector<int64_t> { 2, 1, 2 }));
    EXPECT_EQ(s.y[1].item<int64_t>(), 2);
    EXPECT_EQ(s.x[1][0][1].item<float>(), 2.5f);
}

TEST_F(MalformedData, UcrAnomalyNamesAndRanges)
{
    write("ucr_anomaly/001_UCR_Anomaly_Toy_Set_3_5_7.txt", "1\n2\n3\n4\n5\n6\n7\n8\n");
    auto v = data::load_ucr_anomaly(dir());
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].id, 1);
    EXPECT_EQ(v[0].name, "Toy_Set"); // '_' inside a name is kept
    EXPECT_TRUE(torch::equal(v[0].label,
                             torch::tensor({ 0, 0, 0, 0, 0, 1, 1, 0 }, torch::kLong)));
    write("ucr_anomaly/002_UCR_Anomaly_Toy_3_5_9.txt", "1\n2\n3\n4\n5\n6\n7\n8\n");
    EXPECT_EQ(read_error([&] { data::load_ucr_anomaly(dir()); }),
              dir() + "/ucr_anomaly/002_UCR_Anomaly_Toy_3_5_9.txt: file name ranges: "
                      "expected 0 < trainEnd <= begin < end <= 8 (the series length), "
                      "found 3, 5, 9");
    fs::remove(dir() + "/ucr_anomaly/002_UCR_Anomaly_Toy_3_5_9.txt");
    write("ucr_anomaly/toy.txt", "1\n");
    EXPECT_EQ(read_error([&] { data::load_ucr_anomaly(dir()); }),
              dir() + "/ucr_anomaly/toy.txt: file name: expected "
                      "<id>_UCR_Anomaly_<name>_<trainEnd>_<begin>_<end>, found 'toy'");
}

// A '?' made its dimension's mean NaN and so every value of that dimension in
// the split (TSLib interpolates them per case first): refused by name.
// EthanolConcentration's extra per-sample normalisation (TSLib's) is not
// implemented: refused rather than silently skipped.
TEST_F(MalformedData, UeaBenchRefusesMissingValuesAndEthanol)
{
    const std::string head = "@problemName Toy\n@timeStamps false\n@missing true\n"
                             "@univariate true\n@equalLength true\n@seriesLength 3\n"
                             "@classLabel true a b\n@data\n";
    write("uea/Toy/Toy_TRAIN.ts", head + "1,2,3:a\n4,?,6:b\n");
    write("uea/Toy/Toy_TEST.ts", head + "1,2,3:a\n4,5,6:b\n");
    try {
        data::load_uea_bench(dir(), "Toy", "file");
        ADD_FAILURE() << "a missing value was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()),
                  "Toy TRAIN: expected no missing values ('?'), found 1 (TSLib interpolates "
                  "them per case; gr-tfmed does not)");
    }
    write("uea/Toy/Toy_TRAIN.ts", head + "1,2,3:a\n4,5,6:b\n");
    EXPECT_EQ(data::load_uea_bench(dir(), "Toy", "file").x_train.size(0), 2);
    EXPECT_THROW(data::load_uea_bench(dir(), "EthanolConcentration", "file"),
                 std::invalid_argument);
}
