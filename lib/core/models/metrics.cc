/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/models/metrics.h>

#include <algorithm>
#include <cmath>
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

} // namespace models
} // namespace tfmed
