/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Evaluation metrics (models/metrics.h): cases worked out by hand (point
 * adjustment with a detected and a missed segment, P/R/F1 before and after
 * it, macro F1 on three classes, zero division, masked errors), the errors,
 * and scikit-learn's scores on fixed random cases
 * (tests/golden/gen_metrics_golden.py) to 1e-12.
 */
#include "../support/errors.h"

#include <tfmed/models/metrics.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

using namespace tfmed;
using tfmed_test::message_of;

namespace {

constexpr double tol = 1e-12;

void expect_scores(const models::BinaryScores& s,
                   int64_t tp,
                   int64_t fp,
                   int64_t fn,
                   int64_t tn,
                   double precision,
                   double recall,
                   double f1,
                   double accuracy)
{
    EXPECT_EQ(s.tp, tp);
    EXPECT_EQ(s.fp, fp);
    EXPECT_EQ(s.fn, fn);
    EXPECT_EQ(s.tn, tn);
    EXPECT_DOUBLE_EQ(s.precision, precision);
    EXPECT_DOUBLE_EQ(s.recall, recall);
    EXPECT_DOUBLE_EQ(s.f1, f1);
    EXPECT_DOUBLE_EQ(s.accuracy, accuracy);
}

} // namespace

// Two true segments: [1, 4] detected at 3 only, [7, 9] missed; false alarms at
// 6 and 11.
TEST(Metrics, PointAdjustmentByHand)
{
    const std::vector<int> truth { 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };
    const std::vector<int> pred { 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1 };
    const auto adj = models::point_adjust(truth, pred);
    EXPECT_EQ(adj, (std::vector<int> { 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1 }));

    // Before: tp 1 (3), fp 2 (6, 11), fn 6 (1, 2, 4, 7, 8, 9), tn 3 (0, 5, 10).
    // P = 1/3, R = 1/7, F1 = 2PR/(P+R) = (2/21)/(10/21) = 1/5, accuracy 4/12.
    expect_scores(
        models::binary_scores(truth, pred), 1, 2, 6, 3, 1.0 / 3, 1.0 / 7, 0.2, 1.0 / 3);
    // After: tp 4, fp 2, fn 3 (the missed segment), tn 3.
    // P = 4/6, R = 4/7, F1 = (16/21)/(26/21) = 8/13, accuracy 7/12.
    expect_scores(models::binary_scores(truth, adj),
                  4,
                  2,
                  3,
                  3,
                  2.0 / 3,
                  4.0 / 7,
                  8.0 / 13,
                  7.0 / 12);
}

TEST(Metrics, PointAdjustmentDetails)
{
    // Hit at the segment's first point, then the state resets at truth 0: the
    // next segment is not filled by the previous one's detection.
    EXPECT_EQ(models::point_adjust({ 0, 1, 1, 0, 1, 1 }, { 0, 1, 0, 0, 0, 0 }),
              (std::vector<int> { 0, 1, 1, 0, 0, 0 }));
    // Hit at the segment's last point fills it backwards.
    EXPECT_EQ(models::point_adjust({ 0, 1, 1, 1 }, { 0, 0, 0, 1 }),
              (std::vector<int> { 0, 1, 1, 1 }));
    // The reference's backward walk stops at index 1: a segment from index 0
    // detected later keeps pred[0] == 0 ...
    EXPECT_EQ(models::point_adjust({ 1, 1, 1, 0 }, { 0, 1, 0, 0 }),
              (std::vector<int> { 0, 1, 1, 0 }));
    // ... and one detected at index 0 is filled entirely.
    EXPECT_EQ(models::point_adjust({ 1, 1, 1, 0 }, { 1, 0, 0, 0 }),
              (std::vector<int> { 1, 1, 1, 0 }));
    // Predictions where truth is 0 are left alone; a single point works.
    EXPECT_EQ(models::point_adjust({ 0, 0, 1 }, { 1, 0, 1 }),
              (std::vector<int> { 1, 0, 1 }));
    EXPECT_EQ(models::point_adjust({ 1 }, { 0 }), (std::vector<int> { 0 }));
}

TEST(Metrics, BinaryZeroDivisionGivesZero)
{
    // Nothing predicted: precision 0/0 -> 0.
    expect_scores(models::binary_scores({ 0, 1, 1 }, { 0, 0, 0 }),
                  0,
                  0,
                  2,
                  1,
                  0.0,
                  0.0,
                  0.0,
                  1.0 / 3);
    // Nothing true: recall 0/0 -> 0, precision 0/1.
    expect_scores(
        models::binary_scores({ 0, 0 }, { 1, 0 }), 0, 1, 0, 1, 0.0, 0.0, 0.0, 0.5);
    // All negative and all predicted negative: every score 0, accuracy 1.
    expect_scores(
        models::binary_scores({ 0, 0 }, { 0, 0 }), 0, 0, 0, 2, 0.0, 0.0, 0.0, 1.0);
    expect_scores(
        models::binary_scores({ 1, 1 }, { 1, 1 }), 2, 0, 0, 0, 1.0, 1.0, 1.0, 1.0);
}

// class 0: tp 1, fp 1, fn 1 -> P 1/2, R 1/2, F 1/2
// class 1: tp 2, fp 2, fn 1 -> P 1/2, R 2/3, F (2/3)/(7/6) = 4/7
// class 2: tp 2, fp 0, fn 1 -> P 1,   R 2/3, F (4/3)/(5/3) = 4/5
// macro = (1/2 + 4/7 + 4/5) / 3 = 131/210; with a 4th, unused class: 131/280.
TEST(Metrics, MulticlassByHand)
{
    const std::vector<int64_t> truth { 0, 0, 1, 1, 1, 2, 2, 2 };
    const std::vector<int64_t> pred { 0, 1, 1, 1, 0, 2, 2, 1 };
    EXPECT_DOUBLE_EQ(models::accuracy(truth, pred), 5.0 / 8);
    EXPECT_NEAR(models::macro_f1(truth, pred), 131.0 / 210, 1e-15);
    EXPECT_NEAR(models::macro_f1(truth, pred, 3), 131.0 / 210, 1e-15);
    EXPECT_NEAR(models::macro_f1(truth, pred, 4), 131.0 / 280, 1e-15);
    EXPECT_EQ(
        models::confusion_matrix(truth, pred, 3),
        (std::vector<std::vector<int64_t>> { { 1, 1, 0 }, { 1, 2, 0 }, { 0, 1, 2 } }));
    EXPECT_EQ(models::confusion_matrix(truth, pred, 4),
              (std::vector<std::vector<int64_t>> {
                  { 1, 1, 0, 0 }, { 1, 2, 0, 0 }, { 0, 1, 2, 0 }, { 0, 0, 0, 0 } }));

    // labels=None: a class only predicted counts (F 0), an absent one does not.
    // class 0: P 1, R 1/2, F 2/3; class 1: F 1; class 2 (only in pred): F 0.
    EXPECT_NEAR(models::macro_f1({ 0, 0, 1, 1 }, { 0, 2, 1, 1 }), 5.0 / 9, 1e-15);
    EXPECT_NEAR(models::macro_f1({ 0, 0, 1, 1 }, { 0, 2, 1, 1 }, 5), 5.0 / 15, 1e-15);
    // What TRLS and SpecAR-Net report: the classes present, the range checked
    // (a JapaneseVowels TEST file thinned to 8 cases lacks two classes).
    EXPECT_NEAR(models::classifier_macro_f1({ 0, 0, 1, 1 }, { 0, 2, 1, 1 }, 5), 5.0 / 9, 1e-15);
    EXPECT_THROW(models::classifier_macro_f1({ 0, 0, 1, 1 }, { 0, 5, 1, 1 }, 5),
                 std::invalid_argument);
    // Any label values for labels=None (sklearn allows them).
    EXPECT_NEAR(models::macro_f1({ -7, -7, 40, 40 }, { -7, 9, 40, 40 }), 5.0 / 9, 1e-15);
    EXPECT_DOUBLE_EQ(models::accuracy({ -7, 40 }, { -7, 41 }), 0.5);
}

TEST(Metrics, ErrorsByHand)
{
    const std::vector<float> pred { 1, 2, 3, 4 }, truth { 1, 0, 3, 8 };
    EXPECT_DOUBLE_EQ(models::mse(pred, truth), 5.0); // (0 + 4 + 0 + 16) / 4
    EXPECT_DOUBLE_EQ(models::mae(pred, truth), 1.5); // (0 + 2 + 0 + 4) / 4
    EXPECT_DOUBLE_EQ(models::masked_mse(pred, truth, { 0, 1, 0, 1 }), 10.0);
    EXPECT_DOUBLE_EQ(models::masked_mae(pred, truth, { 0, 1, 0, 1 }), 3.0);
    EXPECT_DOUBLE_EQ(models::masked_mse(pred, truth, { 1, 0, 1, 0 }), 0.0);
    // Points not counted may be NaN.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    EXPECT_DOUBLE_EQ(models::masked_mae({ nan, 2 }, { 0, 1 }, { 0, 1 }), 1.0);
}

TEST(Metrics, ErrorMessages)
{
    using E = std::invalid_argument;
    EXPECT_EQ(message_of<E>([] {
                  models::accuracy({ 1, 2 }, { 1 });
              }),
              "accuracy: expected pred of the length of truth (2), found 1");
    EXPECT_EQ(message_of<E>([] { models::accuracy({}, {}); }),
              "accuracy: expected at least one sample, found none");
    EXPECT_EQ(message_of<E>([] { models::macro_f1({}, {}); }),
              "macro_f1: expected at least one sample, found none");
    EXPECT_EQ(message_of<E>([] {
                  models::macro_f1({ 0, 1 }, { 0, 3 }, 3);
              }),
              "macro_f1: expected pred labels in [0, 2], found 3 at index 1");
    EXPECT_EQ(message_of<E>([] { models::macro_f1({ 0 }, { 0 }, 0); }),
              "macro_f1: expected n_classes >= 1, found 0");
    EXPECT_EQ(message_of<E>([] {
                  models::confusion_matrix({ 0, -1 }, { 0, 0 }, 2);
              }),
              "confusion_matrix: expected truth labels in [0, 1], found -1 at index 1");
    EXPECT_EQ(message_of<E>([] {
                  models::binary_scores({ 0, 2 }, { 0, 1 });
              }),
              "binary_scores: expected truth labels in [0, 1], found 2 at index 1");
    EXPECT_EQ(message_of<E>([] {
                  models::binary_scores({ 0, 1 }, { 0 });
              }),
              "binary_scores: expected pred of the length of truth (2), found 1");
    EXPECT_EQ(message_of<E>([] {
                  models::point_adjust({ 0, 1 }, { 0, 5 });
              }),
              "point_adjust: expected pred labels in [0, 1], found 5 at index 1");
    EXPECT_EQ(message_of<E>([] { models::point_adjust({}, {}); }),
              "point_adjust: expected at least one sample, found none");
    EXPECT_EQ(message_of<E>([] {
                  models::mse({ 1, 2 }, { 1, 2, 3 });
              }),
              "mse: expected pred of the length of truth (3), found 2");
    EXPECT_EQ(message_of<E>([] { models::mae({}, {}); }),
              "mae: expected at least one sample, found none");
    EXPECT_EQ(message_of<E>([] {
                  models::mse({ 1, std::numeric_limits<float>::infinity() }, { 1, 2 });
              }),
              "mse: expected finite values, found inf in pred at index 1");
    EXPECT_EQ(message_of<E>([] {
                  models::masked_mse({ 1, 2 }, { 1, 2 }, { 1 });
              }),
              "masked_mse: expected evaluate of the length of truth (2), found 1");
    EXPECT_EQ(message_of<E>([] {
                  models::masked_mae({ 1, 2 }, { 1, 2 }, { 1, 2 });
              }),
              "masked_mae: expected evaluate labels in [0, 1], found 2 at index 1");
    EXPECT_EQ(
        message_of<E>([] {
            models::masked_mae({ 1, 2 }, { 1, 2 }, { 0, 0 });
        }),
        "masked_mae: expected at least one point with evaluate == 1, found none of 2");
}

TEST(Metrics, GoldenScikitLearn)
{
    const char* env = std::getenv("TFMED_GOLDEN_DIR");
    const std::string path = env ? std::string(env) + "/metrics.json" : std::string();
    if (path.empty() || !std::filesystem::exists(path))
        GTEST_SKIP()
            << "no metrics golden file (tests/golden/gen_metrics_golden.py needs "
               "python3-numpy and python3-sklearn)";
    std::ifstream f(path);
    const auto doc = nlohmann::json::parse(f);
    ASSERT_EQ(doc["binary"].size(), 9u);
    ASSERT_EQ(doc["classification"].size(), 5u);
    ASSERT_EQ(doc["regression"].size(), 3u);

    const auto check_binary = [](const models::BinaryScores& s, const nlohmann::json& j) {
        EXPECT_EQ(s.tp, j["tp"].get<int64_t>());
        EXPECT_EQ(s.fp, j["fp"].get<int64_t>());
        EXPECT_EQ(s.fn, j["fn"].get<int64_t>());
        EXPECT_EQ(s.tn, j["tn"].get<int64_t>());
        EXPECT_NEAR(s.precision, j["precision"].get<double>(), tol);
        EXPECT_NEAR(s.recall, j["recall"].get<double>(), tol);
        EXPECT_NEAR(s.f1, j["f1"].get<double>(), tol);
        EXPECT_NEAR(s.accuracy, j["accuracy"].get<double>(), tol);
    };
    for (const auto& c : doc["binary"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        const auto truth = c["truth"].get<std::vector<int>>();
        const auto pred = c["pred"].get<std::vector<int>>();
        const auto adj = models::point_adjust(truth, pred);
        EXPECT_EQ(adj, c["adjusted_pred"].get<std::vector<int>>());
        check_binary(models::binary_scores(truth, pred), c["raw"]);
        check_binary(models::binary_scores(truth, adj), c["adjusted"]);
    }
    for (const auto& c : doc["classification"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        const auto truth = c["truth"].get<std::vector<int64_t>>();
        const auto pred = c["pred"].get<std::vector<int64_t>>();
        const auto n = c["n_classes"].get<int64_t>();
        EXPECT_NEAR(models::accuracy(truth, pred), c["accuracy"].get<double>(), tol);
        EXPECT_NEAR(models::macro_f1(truth, pred), c["macro_f1"].get<double>(), tol);
        EXPECT_NEAR(models::macro_f1(truth, pred, n), c["macro_f1_n"].get<double>(), tol);
        EXPECT_EQ(models::confusion_matrix(truth, pred, n),
                  c["confusion"].get<std::vector<std::vector<int64_t>>>());
    }
    for (const auto& c : doc["regression"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        std::vector<float> pred, truth;
        for (double v : c["pred"].get<std::vector<double>>())
            pred.push_back(static_cast<float>(v)); // float32 values, exact
        for (double v : c["truth"].get<std::vector<double>>())
            truth.push_back(static_cast<float>(v));
        const auto ev = c["evaluate"].get<std::vector<uint8_t>>();
        EXPECT_NEAR(models::mse(pred, truth), c["mse"].get<double>(), tol);
        EXPECT_NEAR(models::mae(pred, truth), c["mae"].get<double>(), tol);
        EXPECT_NEAR(
            models::masked_mse(pred, truth, ev), c["masked_mse"].get<double>(), tol);
        EXPECT_NEAR(
            models::masked_mae(pred, truth, ev), c["masked_mae"].get<double>(), tol);
    }
}
