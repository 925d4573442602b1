/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TRLS data: the named data sets as labelled windows (with the recording
 * each window was cut from, where the set says) and their train /
 * validation / test splits (trls_parts.h).
 */
#include "trls_parts.h"

#include <tfmed/data/benchmarks.h>
#include <tfmed/data/datasets.h>
#include <tfmed/data/window_set.h>
#include <tfmed/data/windows.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace tfmed {
namespace train {
namespace trls {

Labelled load(const TrlsTrainConfig& cfg)
{
    const std::string dir = cfg.data_dir.empty() ? data::default_data_dir() : cfg.data_dir;
    data::LabelledSet s;
    if (cfg.data == "epilepsy" || cfg.data == "epilepsy5") {
        s = data::load_bonn_epilepsy178(dir);
        if (cfg.data == "epilepsy")
            s = data::binary_seizure(s);
    } else if (cfg.data == "mitdb") {
        s = data::load_mitdb_compiled(dir);
    } else if (cfg.data == "ecg5000") {
        s = data::load_ecg5000(dir, "TRAIN");
    } else {
        auto a = data::load_uea(dir, "BasicMotions", "TRAIN");
        auto b = data::load_uea(dir, "BasicMotions", "TEST", a.x.size(2));
        s = a;
        s.x = torch::cat({ a.x, b.x });
        s.y = torch::cat({ a.y, b.y });
    }
    Labelled d;
    d.x = s.x.to(torch::kFloat).contiguous();
    d.y = s.y.to(torch::kLong);
    d.class_names = s.class_names;
    d.sample_rate = s.sample_rate;
    for (int64_t c = 0; c < d.x.size(1); ++c)
        d.channel_names.push_back(d.x.size(1) == 1 ? "signal" : "ch" + std::to_string(c));
    d.description = cfg.data + ": " + std::to_string(d.x.size(0)) + " windows of " +
                    std::to_string(d.x.size(1)) + " x " + std::to_string(d.x.size(2)) + ", " +
                    std::to_string(d.class_names.size()) + " classes";
    if (!torch::isfinite(d.x).all().item<bool>())
        throw std::invalid_argument(cfg.data + ": a window holds NaN or Inf");
    // The Bonn windows name their recording ("raw/S/S001.txt#7": chunk 7 of S001).
    if (cfg.data == "epilepsy" || cfg.data == "epilepsy5")
        for (const auto& id : s.ids)
            d.recordings.push_back(id.substr(0, id.rfind('#')));
    if (cfg.max_windows > 0 && cfg.max_windows < d.x.size(0)) {
        // A seeded subset with every class kept in proportion (at least one each).
        const auto perm = data::permutation(static_cast<int>(d.x.size(0)), cfg.split_seed + 7);
        const auto counts = torch::bincount(d.y);
        std::vector<int64_t> quota(static_cast<std::size_t>(counts.size(0)));
        for (int64_t k = 0; k < counts.size(0); ++k)
            quota[static_cast<std::size_t>(k)] = std::max<int64_t>(
                1, counts[k].item<int64_t>() * cfg.max_windows / d.x.size(0));
        std::vector<int64_t> keep;
        for (int i : perm) {
            auto& q = quota[static_cast<std::size_t>(d.y[i].item<int64_t>())];
            if (q > 0) {
                --q;
                keep.push_back(i);
            }
        }
        std::sort(keep.begin(), keep.end());
        const auto idx = torch::tensor(keep, torch::kLong);
        d.x = d.x.index_select(0, idx).contiguous();
        d.y = d.y.index_select(0, idx);
        if (!d.recordings.empty()) {
            std::vector<std::string> r;
            for (auto i : keep)
                r.push_back(d.recordings[static_cast<std::size_t>(i)]);
            d.recordings = std::move(r);
        }
        d.description += " (a class-proportional subset of " + std::to_string(keep.size()) + ")";
    }
    return d;
}

// TS-TCC: 20 % test, then 20 % of the rest validation; or fold k of `folds`.
Parts split(const Labelled& d, int folds, int k, uint64_t seed, const std::string& how)
{
    const int64_t N = d.x.size(0);
    if (folds == 2)
        throw std::invalid_argument("--folds 2: one part tests and the other validates, which "
                                    "leaves nothing to train on; expected 1 (TS-TCC's split) "
                                    "or 3 .. 20");
    // The units dealt into the parts: single windows, or whole recordings.
    std::vector<std::vector<int64_t>> units;
    std::vector<int64_t> unit_class;
    if (how == "recording") {
        if (d.recordings.size() != static_cast<std::size_t>(N))
            throw std::invalid_argument(
                "--split recording: the windows of this data set do not name their recording "
                "(expected epilepsy or epilepsy5 with the Bonn set's rows.csv; " +
                std::to_string(d.recordings.size()) + " of " + std::to_string(N) +
                " windows named); use --split windows or stratified");
        std::map<std::string, std::size_t> at;
        for (int64_t i = 0; i < N; ++i) {
            const auto& rec = d.recordings[static_cast<std::size_t>(i)];
            const int64_t c = d.y[i].item<int64_t>();
            const auto [it, fresh] = at.emplace(rec, units.size());
            if (fresh) {
                units.emplace_back();
                unit_class.push_back(c);
            } else if (unit_class[it->second] != c) {
                throw std::invalid_argument(
                    "--split recording: recording " + rec + " holds windows of class " +
                    d.class_names.at(static_cast<std::size_t>(unit_class[it->second])) + " and " +
                    d.class_names.at(static_cast<std::size_t>(c)) +
                    "; expected one class per recording");
            }
            units[it->second].push_back(i);
        }
    } else {
        for (int64_t i = 0; i < N; ++i) {
            units.push_back({ i });
            unit_class.push_back(d.y[i].item<int64_t>());
        }
    }
    const auto U = static_cast<int64_t>(units.size());
    const auto perm = data::permutation(static_cast<int>(U), seed);
    // The order units are dealt in: the shuffle, or the shuffle class by class.
    std::vector<std::vector<int64_t>> groups(1);
    if (how == "windows") {
        groups[0].assign(perm.begin(), perm.end());
    } else {
        const int64_t K = *std::max_element(unit_class.begin(), unit_class.end()) + 1;
        groups.assign(static_cast<std::size_t>(K), {});
        for (int u : perm)
            groups[static_cast<std::size_t>(unit_class[static_cast<std::size_t>(u)])].push_back(u);
    }
    Parts p;
    auto put = [&](std::vector<int64_t>& part, int64_t u) {
        const auto& w = units[static_cast<std::size_t>(u)];
        part.insert(part.end(), w.begin(), w.end());
    };
    if (folds <= 1) {
        for (const auto& g : groups) {
            const auto n = static_cast<int64_t>(g.size());
            const int64_t n_test = std::llround(n * 0.2);
            const int64_t n_val = std::llround((n - n_test) * 0.2);
            for (int64_t i = 0; i < n; ++i)
                put(i < n_test ? p.test : (i < n_test + n_val ? p.val : p.train),
                    g[static_cast<std::size_t>(i)]);
        }
        p.name = "TS-TCC split (20 % test, 20 % of the rest validation)";
    } else if (how == "windows") {
        // Consecutive runs of the shuffle (the split every published figure used).
        const auto& g = groups[0];
        for (int64_t i = 0; i < U; ++i) {
            const int q = static_cast<int>(i * folds / U);
            put(q == k ? p.test : (q == (k + 1) % folds ? p.val : p.train),
                g[static_cast<std::size_t>(i)]);
        }
        p.name = "fold " + std::to_string(k + 1) + " of " + std::to_string(folds);
    } else {
        // Dealt like cards, one class after the other: every part holds each
        // class in proportion (to one unit) and the parts' sizes differ by one.
        int64_t i = 0;
        for (const auto& g : groups)
            for (auto u : g) {
                const int q = static_cast<int>(i++ % folds);
                put(q == k ? p.test : (q == (k + 1) % folds ? p.val : p.train), u);
            }
        p.name = "fold " + std::to_string(k + 1) + " of " + std::to_string(folds);
    }
    if (how == "stratified")
        p.name += ", stratified by class";
    else if (how == "recording")
        p.name += ", whole recordings (" + std::to_string(U) + ") stratified by class";
    for (auto* v : { &p.train, &p.val, &p.test })
        std::sort(v->begin(), v->end());
    if (p.train.size() < 2 || p.val.empty() || p.test.empty())
        throw std::invalid_argument("trls: " + std::to_string(N) +
                                    " windows are too few for a train / validation / test split");
    return p;
}

} // namespace trls
} // namespace train
} // namespace tfmed
