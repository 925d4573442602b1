/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/models/metrics.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

namespace tfmed {
namespace models {

namespace {
void check(const std::vector<double>& s, const std::vector<int>& y, int64_t& pos, int64_t& neg)
{
    if (s.size() != y.size())
        throw std::invalid_argument("roc: expected as many labels as scores (" +
                                    std::to_string(s.size()) + "), found " +
                                    std::to_string(y.size()));
    pos = neg = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (std::isnan(s[i]))
            throw std::invalid_argument("roc: expected scores without NaN, found NaN at " +
                                        std::to_string(i));
        if (y[i] == 1)
            ++pos;
        else if (y[i] == 0)
            ++neg;
        else
            throw std::invalid_argument("roc: expected labels 0 or 1, found " +
                                        std::to_string(y[i]));
    }
    if (pos == 0 || neg == 0)
        throw std::invalid_argument("roc: expected both classes, found " +
                                    std::to_string(pos) + " positive and " +
                                    std::to_string(neg) + " negative cases");
}
} // namespace

double roc_auc(const std::vector<double>& s, const std::vector<int>& y)
{
    int64_t pos, neg;
    check(s, y, pos, neg);
    std::vector<std::size_t> idx(s.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return s[a] < s[b]; });
    double rank_sum = 0.0; // ranks of positives, ties averaged
    for (std::size_t i = 0; i < idx.size();) {
        std::size_t j = i;
        while (j < idx.size() && s[idx[j]] == s[idx[i]])
            ++j;
        const double avg = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
        for (std::size_t k = i; k < j; ++k)
            if (y[idx[k]] == 1)
                rank_sum += avg;
        i = j;
    }
    return (rank_sum - static_cast<double>(pos) * (pos + 1) / 2.0) /
           (static_cast<double>(pos) * static_cast<double>(neg));
}

Roc roc_curve(const std::vector<double>& s, const std::vector<int>& y)
{
    int64_t pos, neg;
    check(s, y, pos, neg);
    std::vector<std::size_t> idx(s.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return s[a] > s[b]; });
    Roc r;
    r.fpr.push_back(0.0);
    r.tpr.push_back(0.0);
    r.threshold.push_back(INFINITY);
    int64_t tp = 0, fp = 0;
    for (std::size_t i = 0; i < idx.size();) {
        std::size_t j = i;
        while (j < idx.size() && s[idx[j]] == s[idx[i]]) {
            (y[idx[j]] == 1 ? tp : fp)++;
            ++j;
        }
        r.fpr.push_back(static_cast<double>(fp) / neg);
        r.tpr.push_back(static_cast<double>(tp) / pos);
        r.threshold.push_back(s[idx[i]]);
        i = j;
    }
    return r;
}

// ---------------------------------------------------------------------------
// Evaluation metrics (sklearn / Time-Series-Library semantics)

namespace {

template <typename A, typename B>
void check_pair(const char* fn,
                const std::vector<A>& truth,
                const std::vector<B>& pred,
                const char* first = "truth",
                const char* second = "pred")
{
    if (truth.size() != pred.size())
        throw std::invalid_argument(std::string(fn) + ": expected " + second +
                                    " of the length of " + first + " (" +
                                    std::to_string(truth.size()) + "), found " +
                                    std::to_string(pred.size()));
    if (truth.empty())
        throw std::invalid_argument(std::string(fn) +
                                    ": expected at least one sample, found none");
}

template <typename T>
void check_range(
    const char* fn, const char* what, const std::vector<T>& v, int64_t lo, int64_t hi)
{
    for (std::size_t i = 0; i < v.size(); ++i)
        if (static_cast<int64_t>(v[i]) < lo || static_cast<int64_t>(v[i]) > hi)
            throw std::invalid_argument(
                std::string(fn) + ": expected " + what + " labels in [" +
                std::to_string(lo) + ", " + std::to_string(hi) + "], found " +
                std::to_string(v[i]) + " at index " + std::to_string(i));
}

void check_classes(const char* fn, int64_t n_classes)
{
    if (n_classes < 1)
        throw std::invalid_argument(std::string(fn) +
                                    ": expected n_classes >= 1, found " +
                                    std::to_string(n_classes));
}

std::vector<std::vector<int64_t>> counts(const char* fn,
                                         const std::vector<int64_t>& truth,
                                         const std::vector<int64_t>& pred,
                                         int64_t n_classes)
{
    check_pair(fn, truth, pred);
    check_classes(fn, n_classes);
    check_range(fn, "truth", truth, 0, n_classes - 1);
    check_range(fn, "pred", pred, 0, n_classes - 1);
    const auto n = static_cast<std::size_t>(n_classes);
    std::vector<std::vector<int64_t>> cm(n, std::vector<int64_t>(n, 0));
    for (std::size_t i = 0; i < truth.size(); ++i)
        ++cm[static_cast<std::size_t>(truth[i])][static_cast<std::size_t>(pred[i])];
    return cm;
}

// sklearn's _prf_divide with zero_division 0.
double ratio(int64_t num, int64_t den)
{
    return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

// sklearn 1.2's F1 from precision and recall (0 when both are 0).
double f1_of(double p, double r)
{
    const double den = p + r;
    return den == 0.0 ? 0.0 : 2.0 * p * r / den;
}

double class_f1(int64_t tp, int64_t fp, int64_t fn)
{
    return f1_of(ratio(tp, tp + fp), ratio(tp, tp + fn));
}

// Compensated (Neumaier) sum of the point errors, in double.
class Sum
{
public:
    void add(double x)
    {
        const double t = s_ + x;
        c_ += std::fabs(s_) >= std::fabs(x) ? (s_ - t) + x : (x - t) + s_;
        s_ = t;
    }
    double value() const { return s_ + c_; }

private:
    double s_ = 0.0, c_ = 0.0;
};

enum class Err { squared, absolute };

double mean_error(const char* fn,
                  const std::vector<float>& pred,
                  const std::vector<float>& truth,
                  const std::vector<uint8_t>* evaluate,
                  Err kind)
{
    check_pair(fn, truth, pred);
    if (evaluate) {
        check_pair(fn, truth, *evaluate, "truth", "evaluate");
        check_range(fn, "evaluate", *evaluate, 0, 1);
    }
    Sum sum;
    int64_t n = 0;
    for (std::size_t i = 0; i < pred.size(); ++i) {
        if (evaluate && !(*evaluate)[i])
            continue;
        if (!std::isfinite(pred[i]) || !std::isfinite(truth[i]))
            throw std::invalid_argument(
                std::string(fn) + ": expected finite values, found " +
                std::to_string(std::isfinite(pred[i]) ? truth[i] : pred[i]) + " in " +
                (std::isfinite(pred[i]) ? "truth" : "pred") + " at index " +
                std::to_string(i));
        const double d = static_cast<double>(pred[i]) - static_cast<double>(truth[i]);
        sum.add(kind == Err::squared ? d * d : std::fabs(d));
        ++n;
    }
    if (n == 0)
        throw std::invalid_argument(
            std::string(fn) +
            ": expected at least one point with evaluate == 1, found "
            "none of " +
            std::to_string(pred.size()));
    return sum.value() / static_cast<double>(n);
}

} // namespace

double accuracy(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred)
{
    check_pair("accuracy", truth, pred);
    int64_t hit = 0;
    for (std::size_t i = 0; i < truth.size(); ++i)
        hit += truth[i] == pred[i];
    return static_cast<double>(hit) / static_cast<double>(truth.size());
}

double macro_f1(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred)
{
    check_pair("macro_f1", truth, pred);
    struct Counts {
        int64_t tp = 0, fp = 0, fn = 0;
    };
    std::map<int64_t, Counts> by_label; // the union of the labels, sorted
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] == pred[i]) {
            ++by_label[truth[i]].tp;
        } else {
            ++by_label[truth[i]].fn;
            ++by_label[pred[i]].fp;
        }
    }
    double sum = 0.0;
    for (const auto& [label, c] : by_label)
        sum += class_f1(c.tp, c.fp, c.fn);
    return sum / static_cast<double>(by_label.size());
}

double macro_f1(const std::vector<int64_t>& truth,
                const std::vector<int64_t>& pred,
                int64_t n_classes)
{
    const auto cm = counts("macro_f1", truth, pred, n_classes);
    double sum = 0.0;
    for (int64_t k = 0; k < n_classes; ++k) {
        int64_t row = 0, col = 0;
        for (int64_t j = 0; j < n_classes; ++j) {
            row += cm[k][j];
            col += cm[j][k];
        }
        const int64_t tp = cm[k][k];
        sum += class_f1(tp, col - tp, row - tp);
    }
    return sum / static_cast<double>(n_classes);
}

double classifier_macro_f1(const std::vector<int64_t>& truth,
                           const std::vector<int64_t>& pred,
                           int64_t n_classes)
{
    (void)macro_f1(truth, pred, n_classes); // the ranges
    return macro_f1(truth, pred);
}

BinaryScores binary_scores(const std::vector<int>& truth, const std::vector<int>& pred)
{
    check_pair("binary_scores", truth, pred);
    check_range("binary_scores", "truth", truth, 0, 1);
    check_range("binary_scores", "pred", pred, 0, 1);
    BinaryScores s {};
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (truth[i])
            (pred[i] ? s.tp : s.fn)++;
        else
            (pred[i] ? s.fp : s.tn)++;
    }
    s.precision = ratio(s.tp, s.tp + s.fp);
    s.recall = ratio(s.tp, s.tp + s.fn);
    s.f1 = f1_of(s.precision, s.recall);
    s.accuracy = ratio(s.tp + s.tn, static_cast<int64_t>(truth.size()));
    return s;
}

std::vector<int> point_adjust(const std::vector<int>& truth, const std::vector<int>& pred)
{
    check_pair("point_adjust", truth, pred);
    check_range("point_adjust", "truth", truth, 0, 1);
    check_range("point_adjust", "pred", pred, 0, 1);
    std::vector<int> out = pred;
    const std::size_t n = truth.size();
    // Segment by segment: [begin, end) is a maximal run of truth == 1.
    for (std::size_t begin = 0; begin < n;) {
        if (!truth[begin]) {
            ++begin;
            continue;
        }
        std::size_t end = begin;
        while (end < n && truth[end])
            ++end;
        std::size_t first = begin; // the first detected point, if any
        while (first < end && !pred[first])
            ++first;
        if (first < end) {
            // The reference fills backwards from `first` down to index 1 only,
            // forwards from `first` to the end of the segment.
            const std::size_t from = first == 0 ? 0 : std::max<std::size_t>(begin, 1);
            std::fill(out.begin() + static_cast<std::ptrdiff_t>(from),
                      out.begin() + static_cast<std::ptrdiff_t>(end),
                      1);
        }
        begin = end;
    }
    return out;
}

double mse(const std::vector<float>& pred, const std::vector<float>& truth)
{
    return mean_error("mse", pred, truth, nullptr, Err::squared);
}

double mae(const std::vector<float>& pred, const std::vector<float>& truth)
{
    return mean_error("mae", pred, truth, nullptr, Err::absolute);
}

double masked_mse(const std::vector<float>& pred,
                  const std::vector<float>& truth,
                  const std::vector<uint8_t>& evaluate)
{
    return mean_error("masked_mse", pred, truth, &evaluate, Err::squared);
}

double masked_mae(const std::vector<float>& pred,
                  const std::vector<float>& truth,
                  const std::vector<uint8_t>& evaluate)
{
    return mean_error("masked_mae", pred, truth, &evaluate, Err::absolute);
}

std::vector<std::vector<int64_t>> confusion_matrix(const std::vector<int64_t>& truth,
                                                   const std::vector<int64_t>& pred,
                                                   int64_t n_classes)
{
    return counts("confusion_matrix", truth, pred, n_classes);
}

} // namespace models
} // namespace tfmed
