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

#include <cmath>
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

namespace {

bool font_missing(std::string& why)
{
    try {
        plot::check_font();
        return false;
    } catch (const std::exception& e) {
        why = e.what();
        return true;
    }
}

bool red(const plot::Image& im, int x, int y)
{
    const uint8_t* p = &im.rgb[(static_cast<size_t>(y) * im.width + x) * 3];
    return p[0] > 200 && p[1] < 90 && p[2] < 90;
}

// Red pixels in columns [xa, xb) of the image (all rows), and outside the rectangle r.
int red_in_columns(const plot::Image& im, int xa, int xb)
{
    int n = 0;
    for (int y = 0; y < im.height; ++y)
        for (int x = std::max(xa, 0); x < std::min(xb, im.width); ++x)
            n += red(im, x, y);
    return n;
}

plot::Series red_series(std::vector<double> x, std::vector<double> y)
{
    plot::Series s;
    s.x = std::move(x);
    s.y = std::move(y);
    s.color = { 255, 0, 0 };
    return s;
}

} // namespace

TEST(Plot, ASinglePointIsADotInTheMiddle)
{
    // One epoch's training curve, one bench row: the line path drew from the
    // second point on (nothing), and a flat x range put the point on the
    // left frame.
    std::string why;
    if (font_missing(why))
        GTEST_SKIP() << "no font for figures: " << why;
    plot::Panel p;
    p.series.push_back(red_series({ 3.0 }, { 0.25 }));
    const auto im = plot::render_figure({ p });
    ASSERT_EQ(im.plots.size(), 1u);
    const auto r = im.plots[0];
    long sx = 0, n = 0;
    for (int y = 0; y < im.height; ++y)
        for (int x = 0; x < im.width; ++x)
            if (red(im, x, y))
                sx += x, ++n;
    ASSERT_GT(n, 0) << "the point is not drawn";
    EXPECT_NEAR(static_cast<double>(sx) / n, r.x + r.w / 2.0, 2.0);
    // An isolated point between NaNs is a dot too; points with neighbours are
    // joined, and a NaN breaks the line: nothing drawn across it.
    plot::Panel q;
    q.series.push_back(red_series({ 0, 1, 2, 3, 4, 5, 6, 7, 8 },
                                  { 0, 0, NAN, 0.5, NAN, 1, 1, 1, 1 }));
    const auto jm = plot::render_figure({ q });
    const auto& qr = jm.plots[0];
    auto X = [&](double x) { return static_cast<int>(qr.x + x / 8.0 * qr.w); };
    EXPECT_GT(red_in_columns(jm, X(3) - 1, X(3) + 2), 0) << "isolated point";
    EXPECT_EQ(red_in_columns(jm, X(1.5) - 2, X(1.5) + 3), 0) << "drawn across a NaN";
    EXPECT_EQ(red_in_columns(jm, X(3.5) - 2, X(3.5) + 3), 0) << "drawn across a NaN";
    EXPECT_GT(red_in_columns(jm, X(6.5) - 2, X(6.5) + 3), 0);
}

TEST(Plot, DenseTracesJoinSparseStretchesAndKeepTheLastPoint)
{
    std::string why;
    if (font_missing(why))
        GTEST_SKIP() << "no font for figures: " << why;
    // More points than twice the width (the min-max path), most of them in
    // the first tenth: the rest, 0.1 apart, spans empty pixel columns. They
    // were drawn as separate strokes with gaps, and x == the right limit
    // (a ROC curve's last point) was dropped.
    std::vector<double> x, y;
    for (int i = 0; i < 3000; ++i)
        x.push_back(0.1 * i / 3000.0), y.push_back(0.0);
    for (int k = 1; k <= 10; ++k)
        x.push_back(0.1 * k), y.push_back(0.0);
    x.push_back(NAN), y.push_back(5.0); // a NaN x: skipped, it breaks the line
    x.push_back(1.0), y.push_back(1.0); // after it: still drawn
    plot::Panel p;
    p.series.push_back(red_series(x, y));
    p.xmin = 0, p.xmax = 1;
    const auto im = plot::render_figure({ p });
    const auto& r = im.plots[0];
    for (int col = 1; col < r.w; col += 7)
        EXPECT_GT(red_in_columns(im, r.x + col, r.x + col + 1), 0) << "column " << col;
    // The last point (x = 1, y = 1): red near the top right corner.
    int top_right = 0;
    for (int yy = r.y; yy < r.y + r.h / 2; ++yy)
        for (int xx = r.x + r.w - 3; xx <= r.x + r.w; ++xx)
            top_right += red(im, xx, yy);
    EXPECT_GT(top_right, 0) << "the point at x = xmax was dropped";
}

TEST(Plot, DataBeyondFixedLimitsStaysInsideThePanel)
{
    std::string why;
    if (font_missing(why))
        GTEST_SKIP() << "no font for figures: " << why;
    plot::Panel a, b;
    a.series.push_back(red_series({ 0, 1, 2, 3 }, { 0, 10, -10, 1e300 }));
    a.ymin = -1, a.ymax = 1;
    a.xmin = 0.5, a.xmax = 2.5;
    b.series.push_back(red_series({ -1e308, 1e308 }, { -1e308, 1e308 }));
    const auto im = plot::render_figure({ a, b }, "clipped");
    ASSERT_EQ(im.plots.size(), 2u);
    EXPECT_GT(red_in_columns(im, 0, im.width), 0);
    int outside = 0;
    for (int y = 0; y < im.height; ++y)
        for (int x = 0; x < im.width; ++x) {
            bool in = false;
            for (const auto& r : im.plots)
                in = in || (x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h);
            outside += !in && red(im, x, y);
        }
    EXPECT_EQ(outside, 0);
    // Ends whose pixel rows differ by more than a double holds (+-5e305 on a
    // [0, 1] axis; 1e307 maps past 1e308 pixels): the crossing is still drawn,
    // where the line meets the panel (x = 0.5), and nowhere else.
    plot::Panel d;
    d.series.push_back(red_series({ 0, 1 }, { -5e305, 5e305 }));
    d.series.push_back(red_series({ 2, 3 }, { 0.5, 1e307 }));
    for (auto& ser : d.series)
        ser.width = 3; // (a 1.2-pixel vertical line between pixel centres is pink, not red)
    d.ymin = 0, d.ymax = 1;
    const auto dm = plot::render_figure({ d });
    const auto& dr = dm.plots[0];
    auto DX = [&](double x) { return static_cast<int>(dr.x + x / 3.0 * dr.w); };
    EXPECT_GT(red_in_columns(dm, DX(0.5) - 2, DX(0.5) + 3), 0) << "the crossing";
    EXPECT_EQ(red_in_columns(dm, DX(0.25) - 2, DX(0.25) + 3), 0);
    EXPECT_GT(red_in_columns(dm, DX(2) - 1, DX(2) + 2), 0) << "the line leaving the frame";
}

TEST(Plot, BadSizesAndLimitsAreRefused)
{
    std::string why;
    if (font_missing(why))
        GTEST_SKIP() << "no font for figures: " << why;
    plot::Panel p;
    p.series.push_back(red_series({ 0, 1 }, { 0, 1 }));
    EXPECT_THROW(plot::render_figure({ p }, "", 50), std::invalid_argument);
    EXPECT_THROW(plot::render_figure({ p }, "", -1), std::invalid_argument);
    EXPECT_THROW(plot::render_figure({ p }, "", 1200, 10), std::invalid_argument);
    p.ymin = 2, p.ymax = 1;
    EXPECT_THROW(plot::render_figure({ p }), std::invalid_argument);
    p.ymin = p.ymax = 1; // one fixed value: a range of 1, not a division by 0
    EXPECT_EQ(plot::render_figure({ p }).plots.size(), 1u);
}

TEST(Plot, TickLabelsKeepTheirDigits)
{
    EXPECT_EQ(plot::tick_label(0.2, 0.2), "0.2");
    EXPECT_EQ(plot::tick_label(-3, 1), "-3");
    EXPECT_EQ(plot::tick_label(1e-13, 0.5), "0.0");
    EXPECT_EQ(plot::tick_label(123456789, 1), "123456789");
    // Past 10 characters: the significant digits that tell the ticks apart
    // (a 32-byte buffer cut -1e300 to its first 31 digits).
    EXPECT_EQ(plot::tick_label(1.25e12, 5e10), "1.25e+12");
    EXPECT_EQ(plot::tick_label(-1e300, 1e299), "-1e+300");
    EXPECT_EQ(plot::tick_label(2e-9, 1e-9), "2e-09");
    EXPECT_EQ(plot::tick_label(1234567890, 1), "1234567890");
}

TEST(Plot, MinMaxTraceKeepsPeaksInOrderAndGapsAsNaN)
{
    // 10 samples in blocks of 4: {NaN, 5, -1, 2} {7, 7, 7, 7} {NaN, NaN}.
    const std::vector<double> v{ NAN, 5, -1, 2, 7, 7, 7, 7, NAN, NAN };
    const auto s = plot::min_max_trace(
        10, [](int64_t i) { return 0.5 * i; }, [&](int64_t i) { return v[i]; }, 3);
    // A NaN first sample used to hide the block's valid ones (v < NaN is false).
    ASSERT_EQ(s.x.size(), 4u);
    EXPECT_EQ(s.x[0], 0.5); // the highest, 5, comes first in time
    EXPECT_EQ(s.y[0], 5.0);
    EXPECT_EQ(s.x[1], 1.0);
    EXPECT_EQ(s.y[1], -1.0);
    EXPECT_EQ(s.x[2], 2.0); // a flat block: one point
    EXPECT_EQ(s.y[2], 7.0);
    EXPECT_EQ(s.x[3], 4.0); // no valid sample: a gap
    EXPECT_TRUE(std::isnan(s.y[3]));
    EXPECT_TRUE(plot::min_max_trace(0, nullptr, nullptr).x.empty());
    EXPECT_EQ(plot::palette(3).r, plot::palette(23).r);
    EXPECT_NE(plot::palette(6).r, plot::palette(0).r);
}
