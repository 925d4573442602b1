/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/benchmarks.h>
#include <tfmed/data/datasets.h>
#include <tfmed/data/time_features.h>
#include <tfmed/io/recording.h>
#include <tfmed/io/table.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

namespace tfmed {
namespace data {

namespace fs = std::filesystem;

namespace {

torch::Tensor npy_2d(const std::string& path, int64_t cols)
{
    const auto a = io::read_npy(path);
    if (a.shape.size() != 2 || a.shape[1] != cols) {
        std::string shape;
        for (std::size_t i = 0; i < a.shape.size(); ++i)
            shape += (i ? ", " : "") + std::to_string(a.shape[i]);
        throw std::runtime_error(path + ": expected a (T, " + std::to_string(cols) +
                                 ") array, found shape (" + shape +
                                 (a.shape.size() == 1 ? ",)" : ")"));
    }
    // A NaN here would reach the scaler and every score or loss (an
    // evaluation printing MSE nan, exit 0): named where it is.
    for (std::size_t i = 0; i < a.data.size(); ++i)
        if (!std::isfinite(a.data[i]))
            throw std::runtime_error(path + ": expected finite values, found " +
                                     std::to_string(a.data[i]) + " at [" +
                                     std::to_string(i / cols) + ", " + std::to_string(i % cols) +
                                     "]");
    return torch::from_blob(const_cast<float*>(a.data.data()), { a.shape[0], cols },
                            torch::kFloat)
        .clone();
}

// `chan,spacecraft,"[[a, b], [c, d]]",...` -> chan -> inclusive ranges.
std::map<std::string, std::vector<std::pair<int64_t, int64_t>>>
anomaly_ranges(const std::string& path)
{
    std::ifstream f(path);
    if (!f)
        throw std::runtime_error(path + ": cannot open the MSL labels");
    std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> out;
    std::string line;
    std::getline(f, line); // header
    int line_no = 1;
    while (std::getline(f, line)) {
        ++line_no;
        if (line.empty())
            continue;
        const auto c1 = line.find(',');
        const auto q1 = line.find('"');
        const auto q2 = q1 == std::string::npos ? q1 : line.find('"', q1 + 1);
        if (c1 == std::string::npos || q2 == std::string::npos)
            throw std::runtime_error(path + ": line " + std::to_string(line_no) +
                                     ": expected chan_id,spacecraft,\"[[start, end], ...]\"");
        auto& v = out[line.substr(0, c1)];
        std::string seq = line.substr(q1 + 1, q2 - q1 - 1);
        for (char& ch : seq)
            if (ch == '[' || ch == ']' || ch == ',')
                ch = ' ';
        std::istringstream in(seq);
        int64_t a, b;
        while (in >> a >> b)
            v.emplace_back(a, b);
    }
    return out;
}

// Hour, weekday, day of month, day of year of "YYYY-MM-DD HH:MM:SS".
std::array<float, 4> time_features(const std::string& s, const std::string& where)
{
    std::tm t{};
    if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%d", &t.tm_year, &t.tm_mon, &t.tm_mday,
                    &t.tm_hour, &t.tm_min, &t.tm_sec) < 4)
        throw std::runtime_error(where + ": expected a date 'YYYY-MM-DD HH:MM:SS', found '" +
                                 s + "'");
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    t.tm_isdst = 0;
    return hourly_time_features(static_cast<int64_t>(timegm(&t)));
}

void standardise_with(torch::Tensor& x, const torch::Tensor& mean, const torch::Tensor& std)
{
    x.sub_(mean).div_(std);
}

} // namespace

ColumnScale column_scale(const torch::Tensor& rows)
{
    // In double, and a column is constant (scale 1) when its standard
    // deviation is within n eps |mean| (scikit-learn's _is_constant_feature
    // bound): a float column of one repeated value may not sum exactly, and
    // dividing by that rounding residue would blow it up.
    const auto d = rows.to(torch::kDouble);
    const auto mean = d.mean(0);
    const auto s = d.std(0, /*unbiased=*/false);
    const auto tol =
        mean.abs() * (static_cast<double>(rows.size(0)) * std::numeric_limits<double>::epsilon());
    ColumnScale c;
    c.mean = mean.to(rows.scalar_type());
    c.std = torch::where(s > tol, s, torch::ones_like(s)).to(rows.scalar_type());
    return c;
}

std::array<float, 4> hourly_time_features(int64_t unix_seconds)
{
    const std::time_t tt = static_cast<std::time_t>(unix_seconds);
    std::tm n{};
    gmtime_r(&tt, &n);
    const int wday = (n.tm_wday + 6) % 7; // Monday = 0, as pandas
    return { static_cast<float>(n.tm_hour / 23.0 - 0.5), static_cast<float>(wday / 6.0 - 0.5),
             static_cast<float>((n.tm_mday - 1) / 30.0 - 0.5),
             static_cast<float>(n.tm_yday / 365.0 - 0.5) };
}

MslSet load_msl(const std::string& dir, bool standardise)
{
    const std::string root = dir + "/msl";
    if (!fs::is_directory(root + "/train"))
        throw std::runtime_error(root + "/train: not found (the MSL set of ../shared/data)");
    MslSet s;
    for (const auto& e : fs::directory_iterator(root + "/train"))
        if (e.path().extension() == ".npy")
            s.channels.push_back(e.path().stem().string());
    std::sort(s.channels.begin(), s.channels.end());
    const auto ranges = anomaly_ranges(root + "/labeled_anomalies.csv");
    std::vector<torch::Tensor> tr, te, lab;
    int64_t ntr = 0, nte = 0;
    for (const auto& c : s.channels) {
        s.train_begin.push_back(ntr);
        s.test_begin.push_back(nte);
        tr.push_back(npy_2d(root + "/train/" + c + ".npy", 55));
        te.push_back(npy_2d(root + "/test/" + c + ".npy", 55));
        auto l = torch::zeros({ te.back().size(0) }, torch::kLong);
        const auto it = ranges.find(c);
        if (it == ranges.end())
            throw std::runtime_error(root + "/labeled_anomalies.csv: no row for channel " + c);
        for (const auto& [a, b] : it->second) {
            if (a < 0 || b < a || b >= l.size(0))
                throw std::runtime_error(root + "/labeled_anomalies.csv: " + c + ": range [" +
                                         std::to_string(a) + ", " + std::to_string(b) +
                                         "] outside the " + std::to_string(l.size(0)) +
                                         " test rows");
            l.slice(0, a, b + 1).fill_(1);
        }
        lab.push_back(l);
        ntr += tr.back().size(0);
        nte += te.back().size(0);
    }
    s.train = torch::cat(tr);
    s.test = torch::cat(te);
    s.test_label = torch::cat(lab);
    // StandardScaler on train (a constant column keeps scale 1, as sklearn).
    const auto scale = column_scale(s.train);
    s.mean = scale.mean;
    s.std = scale.std;
    if (standardise) {
        standardise_with(s.train, s.mean, s.std);
        standardise_with(s.test, s.mean, s.std);
    }
    return s;
}

int64_t EttSet::begin(const std::string& split, int64_t seq_len) const
{
    if (split == "train")
        return 0;
    if (split == "val")
        return train_end - seq_len;
    if (split == "test")
        return val_end - seq_len;
    throw std::invalid_argument("ETT split: expected train, val or test, found '" + split + "'");
}

int64_t EttSet::end(const std::string& split) const
{
    if (split == "train")
        return train_end;
    if (split == "val")
        return val_end;
    if (split == "test")
        return test_end;
    throw std::invalid_argument("ETT split: expected train, val or test, found '" + split + "'");
}

EttSet load_ett(const std::string& dir, const std::string& name, bool standardise)
{
    if (name != "ETTh1" && name != "ETTh2")
        throw std::invalid_argument("ETT: expected ETTh1 or ETTh2, found '" + name + "'");
    const std::string path = dir + "/ett/" + name + ".csv";
    const auto t = io::read_csv(path);
    EttSet s;
    if (t.rows < s.test_end || t.cols() != 7 || t.text_column.empty())
        throw std::runtime_error(path + ": expected a date column and 7 value columns over at "
                                        "least 14400 rows, found " +
                                 std::to_string(t.cols()) + " columns over " +
                                 std::to_string(t.rows) + " rows");
    s.columns = t.columns;
    s.values = torch::empty({ s.test_end, 7 });
    s.marks = torch::empty({ s.test_end, 4 });
    auto v = s.values.accessor<float, 2>();
    auto m = s.marks.accessor<float, 2>();
    for (int64_t r = 0; r < s.test_end; ++r) {
        for (int c = 0; c < 7; ++c) {
            v[r][c] = static_cast<float>(t.at(r, c));
            if (!std::isfinite(v[r][c]))
                throw std::runtime_error(path + ": data row " + std::to_string(r + 1) + ", column '" +
                                         t.columns[static_cast<std::size_t>(c)] +
                                         "': expected a finite value, found " +
                                         std::to_string(t.at(r, c)) +
                                         " (a missing or non-numeric cell)");
        }
        const auto f = time_features(t.text_column[static_cast<std::size_t>(r)],
                                     path + ": row " + std::to_string(r + 1));
        for (int k = 0; k < 4; ++k)
            m[r][k] = f[k];
    }
    // StandardScaler on the training rows, as MSL (a constant column keeps scale 1).
    const auto scale = column_scale(s.values.slice(0, 0, s.train_end));
    s.mean = scale.mean;
    s.std = scale.std;
    if (standardise)
        standardise_with(s.values, s.mean, s.std);
    return s;
}


namespace {

struct Standardised {
    torch::Tensor x, mask, mean, std;
};

// (N, C, L) zero-padded cases with their lengths -> (N, L', C) padded to L'
// with the padding mask; statistics over the unpadded rows.
Standardised uea_layout(const LabelledSet& s, int64_t L)
{
    const int64_t n = s.size(), c = s.x.size(1);
    Standardised out;
    out.x = torch::zeros({ n, L, c });
    out.mask = torch::zeros({ n, L });
    out.x.narrow(1, 0, s.x.size(2)).copy_(s.x.transpose(1, 2));
    for (int64_t i = 0; i < n; ++i) {
        const int64_t len =
            s.lengths.empty() ? s.x.size(2) : s.lengths[static_cast<std::size_t>(i)];
        out.mask[i].narrow(0, 0, len).fill_(1.0f);
    }
    const auto rows =
        out.x.reshape({ -1, c }).index_select(0, out.mask.reshape({ -1 }).nonzero().flatten());
    out.mean = rows.mean(0);
    out.std = rows.std(0, /*unbiased=*/true) + 2.220446049250313e-16;
    return out;
}

} // namespace

UeaBench load_uea_bench(const std::string& dir, const std::string& name, const std::string& norm)
{
    if (norm != "file" && norm != "train")
        throw std::invalid_argument("UEA standardisation: expected file or train, found '" +
                                    norm + "'");
    // TSLib normalises EthanolConcentration per sample on top (instance_norm),
    // a step not implemented here: refused rather than silently skipped.
    if (name == "EthanolConcentration")
        throw std::invalid_argument("UEA benchmark: EthanolConcentration needs TSLib's extra "
                                    "per-sample normalisation, which gr-tfmed does not "
                                    "implement; expected another data set");
    const auto tr = load_uea(dir, name, "TRAIN");
    const auto te = load_uea(dir, name, "TEST");
    if (tr.x.size(1) != te.x.size(1) || tr.class_names != te.class_names)
        throw std::runtime_error(name + ": TRAIN and TEST differ in dimensions or classes");
    // A '?' (NaN) would make its dimension's mean NaN and so every value of it
    // in the split; TSLib interpolates them per case first (not done here).
    for (const auto* part : { &tr, &te }) {
        const auto missing = torch::isnan(part->x).sum().item<int64_t>();
        if (missing > 0)
            throw std::invalid_argument(name + " " + (part == &tr ? "TRAIN" : "TEST") +
                                        ": expected no missing values ('?'), found " +
                                        std::to_string(missing) +
                                        " (TSLib interpolates them per case; gr-tfmed does "
                                        "not)");
    }
    UeaBench b;
    b.name = name;
    b.length = std::max(tr.x.size(2), te.x.size(2));
    auto a = uea_layout(tr, b.length), t = uea_layout(te, b.length);
    b.mean = a.mean;
    b.std = a.std;
    const auto& tm = norm == "file" ? t.mean : a.mean;
    const auto& ts = norm == "file" ? t.std : a.std;
    b.x_train = (a.x - a.mean) / a.std * a.mask.unsqueeze(-1);
    b.x_test = (t.x - tm) / ts * t.mask.unsqueeze(-1);
    b.mask_train = a.mask;
    b.mask_test = t.mask;
    b.y_train = tr.y;
    b.y_test = te.y;
    b.class_names = tr.class_names;
    b.sample_rate = tr.sample_rate;
    return b;
}

} // namespace data
} // namespace tfmed
