/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PNG figures' arithmetic and text (plot/figure.h): tick positions,
 * flat traces at large values, UTF-8 labels.
 */
#include <tfmed/plot/figure.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace tfmed;

TEST(Plot, TicksAreMultiplesOfANiceStep)
{
    auto near = [](const std::vector<double>& got, const std::vector<double>& want) {
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i)
            EXPECT_NEAR(got[i], want[i], 1e-12) << i;
    };
    near(plot::nice_ticks(0.0, 1.0, 5), { 0, 0.2, 0.4, 0.6, 0.8, 1.0 });
    near(plot::nice_ticks(-3.0, 7.0, 5), { -2, 0, 2, 4, 6 });
    near(plot::nice_ticks(-3.0, 7.0, 4), { 0, 5 });
    EXPECT_TRUE(plot::nice_ticks(1.0, 1.0).empty());
    // Step 0.2 at 3e15, below the doubles' spacing (0.5): `v += step` never
    // moved and the loop filled memory until bad_alloc.
    EXPECT_TRUE(plot::nice_ticks(3e15 - 0.5, 3e15 + 0.5, 6).empty());
    // Step 5 at 5e16: lo + step moves, but the tick counter k (1e16) does not.
    EXPECT_TRUE(plot::nice_ticks(5e16 + 8, 5e16 + 32, 6).empty());
}

TEST(Plot, AFlatTraceAtALargeValueIsDrawn)
{
    // `tfmed data plot` of a channel that reads 3e15 throughout hung (the
    // flat range widened by +-0.5, lost in rounding); 5e15 drew no trace.
    try {
        plot::check_font();
    } catch (const std::exception& e) {
        GTEST_SKIP() << "no font for figures: " << e.what();
    }
    const auto dir = std::filesystem::temp_directory_path() /
                     ("tfmed_test_plot_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (const double level : { 3e15, 5e15, -1e300 }) {
        SCOPED_TRACE(level);
        plot::Panel p;
        plot::Series s;
        for (int i = 0; i < 100; ++i) {
            s.x.push_back(i);
            s.y.push_back(level);
        }
        p.series.push_back(s);
        const auto out = (dir / "flat.png").string();
        plot::save_figure({ p }, out, "flat");
        EXPECT_GT(std::filesystem::file_size(out), 1000u);
        std::vector<std::string> left;
        for (const auto& e : std::filesystem::directory_iterator(dir))
            left.push_back(e.path().filename().string());
        EXPECT_EQ(left, std::vector<std::string>{ "flat.png" }); // no temporary left
    }
    std::filesystem::remove_all(dir);
}

TEST(Plot, LabelsAreDecodedAsUtf8)
{
    // "Σignal" in µV was drawn byte by byte: "Î£ignal", "ÂµV".
    EXPECT_EQ(plot::code_points("\xCE\xA3ig \xC2\xB5V"),
              (std::vector<int>{ 0x3A3, 'i', 'g', ' ', 0xB5, 'V' }));
    EXPECT_EQ(plot::code_points("\xE2\x82\xAC\xF0\x9F\x98\x80"), (std::vector<int>{ 0x20AC, 0x1F600 }));
    // Invalid: a lone continuation byte, a truncated sequence, an overlong
    // '/', a surrogate; each bad byte one U+FFFD, the rest kept.
    EXPECT_EQ(plot::code_points("a\x80" "b"), (std::vector<int>{ 'a', 0xFFFD, 'b' }));
    EXPECT_EQ(plot::code_points("\xC2"), (std::vector<int>{ 0xFFFD }));
    EXPECT_EQ(plot::code_points("\xC0\xAF"), (std::vector<int>{ 0xFFFD, 0xFFFD }));
    EXPECT_EQ(plot::code_points("\xED\xA0\x80"), (std::vector<int>{ 0xFFFD, 0xFFFD, 0xFFFD }));
    EXPECT_TRUE(plot::code_points("").empty());
}
