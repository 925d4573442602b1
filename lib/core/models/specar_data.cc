/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/benchmarks.h>
#include <tfmed/models/specar_data.h>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <stdexcept>

namespace tfmed {
namespace models {

using nlohmann::json;

namespace {

std::vector<double> doubles(const torch::Tensor& t)
{
    const auto c = t.to(torch::kDouble).contiguous();
    return { c.data_ptr<double>(), c.data_ptr<double>() + c.numel() };
}

torch::Tensor stack_rows(const torch::Tensor& series, const std::vector<int64_t>& starts,
                         const std::vector<int64_t>& idx, int64_t offset, int64_t len)
{
    std::vector<torch::Tensor> w;
    w.reserve(idx.size());
    for (auto i : idx)
        w.push_back(series.narrow(0, starts.at(static_cast<std::size_t>(i)) + offset, len));
    return torch::stack(w);
}

} // namespace

int64_t SpecarWindows::size() const
{
    return task == "classification" ? (x.defined() ? x.size(0) : 0)
                                    : static_cast<int64_t>(starts.size());
}

void SpecarWindows::thin(int64_t n)
{
    const int64_t have = size();
    if (n <= 0 || n >= have)
        return;
    std::vector<int64_t> keep;
    for (int64_t k = 0; k < n; ++k)
        keep.push_back(k * have / n);
    if (task == "classification") {
        const auto i = torch::tensor(keep);
        x = x.index_select(0, i);
        mask = mask.index_select(0, i);
        y = y.index_select(0, i);
    } else {
        std::vector<int64_t> s;
        for (auto k : keep)
            s.push_back(starts[static_cast<std::size_t>(k)]);
        starts = std::move(s);
    }
}

std::vector<int64_t> window_starts(int64_t begin, int64_t end, int64_t span, int64_t stride)
{
    std::vector<int64_t> s;
    for (int64_t i = begin; i + span <= end; i += stride)
        s.push_back(i);
    return s;
}

SpecarBatch specar_batch(const SpecarWindows& w, const std::vector<int64_t>& idx,
                         const torch::Device& device, double mask_rate, uint64_t seed,
                         int64_t mask_block)
{
    SpecarBatch b;
    if (w.task == "classification") {
        const auto i = torch::tensor(idx);
        b.x = w.x.index_select(0, i).to(device);
        b.mask = w.mask.index_select(0, i).to(device);
        b.target = w.y.index_select(0, i).to(device);
        return b;
    }
    b.x = stack_rows(w.series, w.starts, idx, 0, w.seq_len);
    if (w.marks.defined())
        b.mark = stack_rows(w.marks, w.starts, idx, 0, w.seq_len).to(device);
    if (w.task == "long_term_forecast") {
        b.target = stack_rows(w.series, w.starts, idx, w.seq_len, w.pred_len).to(device);
    } else if (w.task == "imputation") {
        if (mask_block > 0) {
            // Each window's row of its block's draw (torch's CPU uniform is
            // serial: a block drawn whole equals the old per-batch draw at
            // batch = mask_block, the figures measured before this).
            const int64_t n = w.size();
            std::vector<torch::Tensor> rows;
            int64_t drawn = -1;
            torch::Tensor block;
            for (const int64_t i : idx) {
                const int64_t j = i / mask_block;
                if (j != drawn) {
                    auto gen = at::detail::createCPUGenerator(seed + static_cast<uint64_t>(j));
                    const int64_t size = std::min(mask_block, n - j * mask_block);
                    block = torch::rand({ size, b.x.size(1), b.x.size(2) }, gen);
                    drawn = j;
                }
                rows.push_back(block[i - j * mask_block]);
            }
            b.mask = (torch::stack(rows) > mask_rate).to(torch::kFloat);
        } else {
            auto gen = at::detail::createCPUGenerator(seed);
            b.mask = (torch::rand(b.x.sizes(), gen) > mask_rate).to(torch::kFloat);
        }
        b.target = b.x.to(device);
        b.x = b.x * b.mask;
        b.mask = b.mask.to(device);
    } else {
        b.target = b.x.to(device);
    }
    b.x = b.x.to(device);
    return b;
}

torch::Tensor specar_loss(SpecarNet& net, const SpecarBatch& b, double top_weight)
{
    const auto& o = net->options();
    if (o.task == "classification")
        return torch::cross_entropy_loss(net->forward(b.x, {}, b.mask).out, b.target);
    if (o.task == "anomaly_detection")
        return torch::mse_loss(net->forward(b.x).out, b.target);
    if (o.task == "long_term_forecast") {
        const auto r = net->forward(b.x, b.mark);
        auto l = torch::mse_loss(r.out, b.target);
        if (top_weight > 0)
            l = l + top_weight * top_loss(r.seq_series, "prediction", o.seq_len, o.pred_len);
        return l;
    }
    const auto r = net->forward(b.x, b.mark, b.mask);
    const auto hidden = b.mask == 0;
    auto l = torch::mse_loss(r.out.masked_select(hidden), b.target.masked_select(hidden));
    if (top_weight > 0)
        l = l + top_weight * top_loss(r.seq_series, "input", o.seq_len, 0);
    return l;
}

SpecarTally specar_pass(SpecarNet& net, const SpecarWindows& w, int64_t batch,
                        const torch::Device& device, double mask_rate, uint64_t seed,
                        int64_t mask_block, const std::atomic<bool>* stop)
{
    if (batch < 1 || mask_block < 1)
        throw std::invalid_argument("specar_pass: expected batch and mask block >= 1, found " +
                                    std::to_string(batch) + " and " + std::to_string(mask_block));
    torch::NoGradGuard ng;
    SpecarTally t;
    const int64_t n = w.size();
    const auto& task = net->options().task;
    for (int64_t b0 = 0; b0 < n && !(stop && stop->load()); b0 += batch) {
        std::vector<int64_t> idx;
        for (int64_t i = b0; i < std::min(n, b0 + batch); ++i)
            idx.push_back(i);
        const auto b = specar_batch(w, idx, device, mask_rate, seed, mask_block);
        if (task == "classification") {
            const auto p = net->forward(b.x, {}, b.mask).out.argmax(-1).cpu();
            const auto y = b.target.cpu();
            for (int64_t i = 0; i < p.size(0); ++i) {
                t.predicted.push_back(p[i].item<int64_t>());
                t.truth.push_back(y[i].item<int64_t>());
            }
            continue;
        }
        torch::Tensor err;
        if (task == "imputation") {
            const auto hidden = b.mask == 0;
            err = (net->forward(b.x, b.mark, b.mask).out - b.target).masked_select(hidden);
        } else {
            err = net->forward(b.x, b.mark).out - b.target;
        }
        err = err.to(torch::kDouble).cpu();
        t.sum_sq += err.pow(2).sum().item<double>();
        t.sum_abs += err.abs().sum().item<double>();
        t.count += err.numel();
        if (task == "anomaly_detection") {
            const auto e = (err.pow(2).mean(-1)).flatten().to(torch::kFloat).contiguous();
            t.energy.insert(t.energy.end(), e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
        }
    }
    return t;
}

SpecarData specar_data(const std::string& dir, const std::string& data,
                       const SpecarOptions& arch, const std::string& protocol,
                       const std::string& uea_norm, int64_t train_stride, int64_t eval_stride)
{
    if (protocol != "clean" && protocol != "reference")
        throw std::invalid_argument("--protocol: expected clean or reference, found '" +
                                    protocol + "'");
    if (train_stride < 1 || eval_stride < 0)
        throw std::invalid_argument("window strides: expected a training stride >= 1 and an "
                                    "evaluation stride >= 0 (0: the window length), found " +
                                    std::to_string(train_stride) + " and " +
                                    std::to_string(eval_stride));
    const auto& task = arch.task;
    SpecarData d;
    json j = { { "source", data }, { "protocol", protocol }, { "train_stride", train_stride } };
    auto series = [&](SpecarWindows& w, const torch::Tensor& s, const torch::Tensor& marks,
                      std::vector<int64_t> starts) {
        w.task = task;
        w.series = s;
        w.marks = marks;
        w.starts = std::move(starts);
        w.seq_len = arch.seq_len;
        w.pred_len = task == "long_term_forecast" ? arch.pred_len : 0;
    };
    if (data == "msl") {
        if (task != "anomaly_detection")
            throw std::invalid_argument("--data msl serves --task anomaly; found task '" + task +
                                        "'");
        const auto m = data::load_msl(dir);
        const int64_t L = arch.seq_len, rows = m.train.size(0);
        const int64_t fit = protocol == "clean" ? rows - rows / 5 : rows;
        const int64_t es = eval_stride > 0 ? eval_stride : L;
        series(d.train, m.train, {}, window_starts(0, fit, L, train_stride));
        if (protocol == "clean")
            series(d.val, m.train, {}, window_starts(fit, rows, L, L));
        else
            series(d.val, m.test, {}, window_starts(0, m.test.size(0), L, L));
        d.validation = protocol == "clean" ? "clean protocol: the last fifth of train"
                                           : "reference protocol: the test split";
        series(d.test, m.test, {}, window_starts(0, m.test.size(0), L, es));
        d.test.y = m.test_label;
        series(d.calibration, m.train, {}, window_starts(0, rows, L, L));
        for (int64_t c = 0; c < m.train.size(1); ++c)
            d.channel_names.push_back(c == 0 ? "value" : "cmd" + std::to_string(c));
        d.mean = doubles(m.mean);
        d.std = doubles(m.std);
        j["channels"] = m.channels;
        j["train_rows"] = rows;
        j["test_rows"] = m.test.size(0);
        j["scaling"] = "StandardScaler fitted on train";
        d.description = "MSL: " + std::to_string(m.channels.size()) + " channels, " +
                        std::to_string(rows) + " train / " + std::to_string(m.test.size(0)) +
                        " test rows";
    } else if (data == "JapaneseVowels" || data == "BasicMotions") {
        if (task != "classification")
            throw std::invalid_argument("--data " + data + " serves --task classify; found task '" +
                                        task + "'");
        const auto u = data::load_uea_bench(dir, data, uea_norm);
        d.seq_len = u.length;
        auto cls = [&](SpecarWindows& w, const torch::Tensor& x, const torch::Tensor& m,
                       const torch::Tensor& y) {
            w.task = task;
            w.x = x;
            w.mask = m;
            w.y = y;
            w.seq_len = u.length;
        };
        if (protocol == "clean") {
            // Every fifth case of each class validates.
            std::vector<int64_t> fit, val, seen(u.class_names.size(), 0);
            const auto y = u.y_train.contiguous();
            for (int64_t i = 0; i < y.size(0); ++i)
                (seen[static_cast<std::size_t>(y[i].item<int64_t>())]++ % 5 == 4 ? val : fit)
                    .push_back(i);
            const auto fi = torch::tensor(fit), vi = torch::tensor(val);
            cls(d.train, u.x_train.index_select(0, fi), u.mask_train.index_select(0, fi),
                u.y_train.index_select(0, fi));
            cls(d.val, u.x_train.index_select(0, vi), u.mask_train.index_select(0, vi),
                u.y_train.index_select(0, vi));
            d.validation = "clean protocol: every fifth case of each class in TRAIN";
        } else {
            cls(d.train, u.x_train, u.mask_train, u.y_train);
            cls(d.val, u.x_test, u.mask_test, u.y_test);
            d.validation = "reference protocol: the TEST file";
        }
        cls(d.test, u.x_test, u.mask_test, u.y_test);
        for (int64_t c = 0; c < u.x_train.size(2); ++c)
            d.channel_names.push_back("dim" + std::to_string(c));
        d.class_names = u.class_names;
        d.mean = doubles(u.mean);
        d.std = doubles(u.std);
        d.sample_rate = u.sample_rate > 0 ? u.sample_rate : 1.0;
        j["length"] = u.length;
        j["standardisation"] = uea_norm == "file" ? "each file by its own statistics (reference)"
                                                  : "train statistics";
        j["train_cases"] = d.train.size();
        d.description = data + ": " + std::to_string(u.class_names.size()) + " classes, " +
                        std::to_string(u.x_train.size(2)) + " dimensions, length " +
                        std::to_string(u.length) + ", " + std::to_string(u.y_train.size(0)) +
                        " train / " + std::to_string(u.y_test.size(0)) + " test cases";
    } else if (data == "ETTh1" || data == "ETTh2") {
        if (task != "long_term_forecast" && task != "imputation")
            throw std::invalid_argument("--data " + data +
                                        " serves --task forecast or impute; found task '" +
                                        task + "'");
        if (arch.time_features != 0 && arch.time_features != 4)
            throw std::invalid_argument("--time-features: ETT gives 4 (timeF at freq h) or 0, "
                                        "found " + std::to_string(arch.time_features));
        const auto e = data::load_ett(dir, data);
        const auto marks = arch.time_features == 4 ? e.marks : torch::Tensor();
        const int64_t L = arch.seq_len;
        const int64_t span = L + (task == "long_term_forecast" ? arch.pred_len : 0);
        const int64_t es = eval_stride > 0 ? eval_stride : 1;
        series(d.train, e.values, marks, window_starts(0, e.end("train"), span, train_stride));
        series(d.val, e.values, marks, window_starts(e.begin("val", L), e.end("val"), span, 1));
        // The reference has a validation split of its own here: both protocols use it.
        d.validation = "Informer's validation rows, under either protocol";
        series(d.test, e.values, marks,
               window_starts(e.begin("test", L), e.end("test"), span, es));
        d.channel_names = e.columns;
        d.mean = doubles(e.mean);
        d.std = doubles(e.std);
        d.sample_rate = 1.0 / 3600.0;
        j["split"] = "Informer: rows [0, 8640) train, [8640, 11520) validation, [11520, 14400) "
                     "test";
        j["scaling"] = "StandardScaler fitted on train";
        j["time_features"] = arch.time_features == 4 ? "timeF, freq h" : "none";
        d.description = data + ": 7 columns, hourly, Informer split 8640/2880/2880 rows";
    } else if (data == "smd" || data == "smap" || data == "swat" || data == "psm") {
        throw std::invalid_argument(
            "--data: " + data + " is not among the shared data sets (only MSL of the anomaly "
            "benchmarks is); the '" + data + "' preset gives the reference's architecture: train "
            "it on MSL with --data msl (55 channels: other parameter counts than the paper's)");
    } else {
        throw std::invalid_argument("--data: expected msl, JapaneseVowels, BasicMotions, ETTh1 or "
                                    "ETTh2, found '" + data + "'");
    }
    j["train_windows"] = d.train.size();
    j["val_windows"] = d.val.size();
    d.json = j.dump();
    return d;
}

} // namespace models
} // namespace tfmed
