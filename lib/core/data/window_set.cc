/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/datasets.h>
#include <tfmed/data/window_set.h>
#include <tfmed/data/windows.h>
#include <tfmed/io/table.h>
#include <tfmed/io/wfdb.h>
#include <tfmed/models/model_file.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace tfmed {
namespace data {

using nlohmann::json;

namespace {

bool ends_with(const std::string& s, const std::string& t)
{
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

// One row (L, n) at `rate` -> (L, window) at model_rate.
torch::Tensor to_model_rate(const torch::Tensor& row, double rate, double model_rate,
                            int64_t window, const std::string& id)
{
    const int64_t L = row.size(0), n = row.size(1);
    torch::Tensor out;
    if (std::abs(rate - model_rate) < 1e-9) {
        out = row;
    } else {
        io::Recording r;
        r.sample_rate = rate;
        r.n_samples = n;
        for (int64_t c = 0; c < L; ++c) {
            r.channel_names.push_back("c" + std::to_string(c));
            r.units.push_back("mV");
        }
        const auto tm = row.transpose(0, 1).contiguous();
        r.samples.assign(tm.data_ptr<float>(), tm.data_ptr<float>() + tm.numel());
        const auto rs = resample(r, model_rate);
        out = torch::from_blob(const_cast<float*>(rs.samples.data()), { rs.n_samples, L })
                  .transpose(0, 1)
                  .clone();
    }
    if (out.size(1) < window)
        throw std::invalid_argument(id + ": expected at least " + std::to_string(window) +
                                    " samples at " + std::to_string(model_rate) +
                                    " Hz, found " + std::to_string(out.size(1)));
    return out.slice(1, 0, window).contiguous();
}

// A label of a window set: a class index, 0 normal and any other class
// abnormal (0.5 or -3 were taken as abnormal without a word; NaN or an empty
// cell is refused). `where`: "at index 4", "at row 7's label".
int abnormal_label(double v, const std::string& file, const std::string& where)
{
    if (!std::isfinite(v) || v < 0 || v != std::floor(v))
        throw std::invalid_argument(file + ": expected class indices (0 = normal, 1, 2, ... "
                                           "abnormal) as labels, found " +
                                    std::to_string(v) + " " + where);
    return v != 0.0 ? 1 : 0;
}

} // namespace

WindowSet load_window_set(const WindowSetSpec& a, double model_rate, int64_t window)
{
    WindowSet s;
    const std::string dir = a.data_dir.empty() ? default_data_dir() : a.data_dir;
    // Options of another kind of data are refused, not ignored (a stray
    // --rate on a record also broke --resume later).
    const bool npy = ends_with(a.data, ".npy"), csv = ends_with(a.data, ".csv"),
               hea = ends_with(a.data, ".hea");
    for (const auto& [given, applies, what] :
         std::vector<std::tuple<bool, bool, const char*>>{
             { a.rate > 0.0, npy || csv, "--rate: only for .npy/.csv windows (the rows' rate)" },
             { !a.labels.empty(), npy, "--labels: only for .npy windows" },
             { !a.channels.empty(), hea, "--channels: only for a WFDB record (.hea)" },
             { a.csv_header != "auto", csv, "--header: only for .csv windows" } })
        if (given && !applies)
            throw std::invalid_argument(std::string(what) + "; --data is '" + a.data + "'");
    json spec = { { "source", a.data },
               { "seed", a.seed },
               { "val_fraction", a.val_fraction },
               { "test_fraction", a.test_fraction },
               { "max_windows", a.max_windows } };
    std::vector<torch::Tensor> rows;
    if (a.data == "mitdb_compiled10s") {
        const auto set = data::load_mitdb_compiled(dir);
        for (int64_t i = 0; i < set.size(); ++i) {
            rows.push_back(to_model_rate(set.x[i], 360.0, model_rate, window, set.ids[i]));
            const auto y = set.y[i].item<int64_t>();
            s.cls.push_back(set.class_names[y]);
            s.label.push_back(y == 0 ? 0 : 1);
            s.ids.push_back(set.ids[i]);
        }
        s.channel_names = { "MLII?" }; // the compilation does not say; first channel, usually MLII
        spec["protocol"] = "N segments split train/val/test; every S, V, F, Q segment in test";
    } else if (ends_with(a.data, ".hea")) {
        const std::string rec = a.data.substr(0, a.data.size() - 4);
        auto r = io::read_wfdb(rec);
        std::vector<int> chans;
        if (a.channels.empty()) {
            chans.push_back(0);
        } else {
            for (const auto& name : a.channels) {
                auto it = std::find(r.channel_names.begin(), r.channel_names.end(), name);
                if (it == r.channel_names.end())
                    throw std::invalid_argument(a.data + ": no channel '" + name + "'");
                chans.push_back(static_cast<int>(it - r.channel_names.begin()));
            }
        }
        for (int c : chans)
            s.channel_names.push_back(r.channel_names[c]);
        io::Recording sel = r;
        sel.channel_names = s.channel_names;
        sel.units.assign(chans.size(), "mV");
        sel.samples.resize(r.n_samples * chans.size());
        for (int64_t t = 0; t < r.n_samples; ++t)
            for (std::size_t k = 0; k < chans.size(); ++k)
                sel.samples[t * chans.size() + k] = r.at(t, chans[k]);
        const auto rs = resample(sel, model_rate);
        WindowOptions wo;
        wo.length = window;
        wo.hop = window;
        wo.drop_invalid = false; // refused or dropped and reported below, never silently
        const auto w = make_windows(rs, wo);
        for (int64_t i = 0; i < w.x.size(0); ++i) {
            rows.push_back(w.x[i].contiguous());
            s.label.push_back(static_cast<int>(w.label[i].item<int64_t>()));
            s.cls.push_back(s.label.back() ? "abnormal" : "N");
            s.ids.push_back(rec + "@" + std::to_string(w.start[i]));
        }
        // As given (what --resume compares and a reload repeats; none: the
        // first signal), and what that resolved to.
        if (!a.channels.empty())
            spec["channels"] = a.channels;
        spec["channels_used"] = s.channel_names;
        spec["protocol"] = "non-overlapping windows; abnormal = a beat other than N inside";
    } else if (ends_with(a.data, ".npy")) {
        if (!(a.rate > 0.0))
            throw std::invalid_argument(a.data + ": a .npy set needs --rate (Hz of its rows)");
        const auto arr = io::read_npy(a.data);
        if (arr.shape.size() != 2 && arr.shape.size() != 3)
            throw std::invalid_argument(a.data + ": expected (N, T) or (N, C, T), found " +
                                        std::to_string(arr.shape.size()) + " dimensions");
        const int64_t N = arr.shape[0], C = arr.shape.size() == 3 ? arr.shape[1] : 1,
                      T = arr.shape.back();
        // (An empty array may name any size: (0, 2^40, 1) holds no byte.)
        if (N < 1 || C < 1 || C > models::kMaxChannels || T < 1)
            throw std::invalid_argument(a.data + ": expected (N, T) or (N, C, T) with N, T >= 1 "
                                        "and C 1.." + std::to_string(models::kMaxChannels) +
                                        ", found (" + std::to_string(N) + ", " +
                                        (arr.shape.size() == 3 ? std::to_string(C) + ", " : "") +
                                        std::to_string(T) + ")");
        const auto all = torch::from_blob(const_cast<float*>(arr.data.data()), { N, C, T }).clone();
        std::vector<int> labels(static_cast<std::size_t>(N), 0);
        if (!a.labels.empty()) {
            const auto lab = io::read_npy(a.labels);
            if (lab.size() != N)
                throw std::invalid_argument(a.labels + ": expected " + std::to_string(N) +
                                            " labels, found " + std::to_string(lab.size()));
            for (int64_t i = 0; i < N; ++i)
                labels[i] = abnormal_label(lab.data[i], a.labels, "at index " + std::to_string(i));
        }
        for (int64_t i = 0; i < N; ++i) {
            rows.push_back(to_model_rate(all[i], a.rate, model_rate, window, a.data + "#" + std::to_string(i)));
            s.label.push_back(labels[i]);
            s.cls.push_back(labels[i] ? "abnormal" : "N");
            s.ids.push_back(a.data + "#" + std::to_string(i));
        }
        for (int64_t c = 0; c < C; ++c)
            s.channel_names.push_back("ch" + std::to_string(c));
        spec["rate"] = a.rate;
        spec["labels"] = a.labels;
    } else if (ends_with(a.data, ".csv")) {
        // One window per row: the numeric columns are its samples, except a
        // column named "label" (0 = normal), which labels it.
        if (!(a.rate > 0.0))
            throw std::invalid_argument(a.data + ": a .csv set needs --rate (Hz of its rows)");
        if (a.csv_header != "auto" && a.csv_header != "yes" && a.csv_header != "no")
            throw std::invalid_argument("csv header: expected auto, yes or no, found '" +
                                        a.csv_header + "'");
        const auto t = io::read_csv(a.data, ',',
                                    a.csv_header == "yes"  ? io::CsvHeader::yes
                                    : a.csv_header == "no" ? io::CsvHeader::no
                                                           : io::CsvHeader::detect);
        const int lc = t.column("label");
        std::vector<int> cols;
        for (int c = 0; c < t.cols(); ++c)
            if (c != lc)
                cols.push_back(c);
        if (t.rows == 0 || cols.empty())
            throw std::invalid_argument(a.data + ": expected rows of samples, found " +
                                        std::to_string(t.rows) + " rows of " +
                                        std::to_string(cols.size()) + " sample columns");
        for (int64_t r = 0; r < t.rows; ++r) {
            auto row = torch::empty({ 1, static_cast<int64_t>(cols.size()) });
            for (std::size_t k = 0; k < cols.size(); ++k)
                row[0][static_cast<int64_t>(k)] = static_cast<float>(t.at(r, cols[k]));
            const std::string id = a.data + ":row " + std::to_string(r + 1);
            rows.push_back(to_model_rate(row, a.rate, model_rate, window, id));
            const int y = lc >= 0 ? abnormal_label(t.at(r, lc), a.data, "at row " +
                                                       std::to_string(r + 1) + "'s label")
                                  : 0;
            s.label.push_back(y);
            s.cls.push_back(y ? "abnormal" : "N");
            s.ids.push_back(id);
        }
        s.channel_names = { "ch0" };
        spec["rate"] = a.rate;
        spec["csv_header"] = a.csv_header;
    } else {
        throw std::invalid_argument("--data: expected 'mitdb_compiled10s', a WFDB record "
                                    "(.hea), a .npy or a .csv file, found '" +
                                    a.data + "'");
    }
    if (rows.empty())
        throw std::invalid_argument(a.data + ": no windows of " + std::to_string(window) +
                                    " samples");
    s.x = torch::stack(rows);
    // Windows with NaN/Inf samples: refused, or dropped and reported; never
    // dropped silently.
    const auto finite = torch::isfinite(s.x).flatten(1).all(1);
    const int64_t bad = s.x.size(0) - finite.sum().item<int64_t>();
    if (bad > 0) {
        std::vector<int64_t> keep;
        std::string which;
        int listed = 0;
        for (int64_t i = 0; i < s.x.size(0); ++i) {
            if (finite[i].item<bool>()) {
                keep.push_back(i);
            } else {
                s.dropped.push_back(s.ids[static_cast<std::size_t>(i)]);
                if (listed++ < 5)
                    which += (which.empty() ? "" : ", ") + s.ids[static_cast<std::size_t>(i)];
            }
        }
        if (bad > 5)
            which += ", ...";
        if (!a.drop_invalid)
            throw std::invalid_argument(
                a.data + ": " + std::to_string(bad) + " of " + std::to_string(s.x.size(0)) +
                " windows contain NaN/Inf samples (" + which +
                "); fix the data, or pass --drop-invalid to drop them");
        if (keep.empty())
            throw std::invalid_argument(a.data + ": every one of the " +
                                        std::to_string(s.x.size(0)) +
                                        " windows contains NaN/Inf samples; nothing to use");
        auto pick = [&](auto& v) {
            std::remove_reference_t<decltype(v)> out;
            for (int64_t i : keep)
                out.push_back(v[static_cast<std::size_t>(i)]);
            v = std::move(out);
        };
        s.x = s.x.index_select(0, torch::tensor(keep, torch::kLong)).contiguous();
        pick(s.label);
        pick(s.cls);
        pick(s.ids);
        spec["dropped_invalid"] = bad;
    }
    if (a.drop_invalid) // as given, whether or not a window was dropped (--resume compares it)
        spec["drop_invalid"] = true;
    s.spec_json = spec.dump();
    return s;
}


// Normal windows: seeded permutation, test first, then validation, rest train.
// Abnormal windows: test only. Training never sees an abnormal window, and
// model selection uses the validation normals (never the test split).
SplitIndex split_normal_only(const WindowSet& s, const WindowSetSpec& a)
{
    std::vector<int64_t> normal, abnormal;
    for (std::size_t i = 0; i < s.label.size(); ++i)
        (s.label[i] ? abnormal : normal).push_back(static_cast<int64_t>(i));
    const auto sp = split_records(static_cast<int>(normal.size()), a.val_fraction,
                                        a.test_fraction, a.seed);
    SplitIndex out;
    for (int i : sp.train)
        out.train.push_back(normal[i]);
    for (int i : sp.val)
        out.val.push_back(normal[i]);
    for (int i : sp.test)
        out.test.push_back(normal[i]);
    out.test.insert(out.test.end(), abnormal.begin(), abnormal.end());
    // The first windows of the training part in file order (a smoke-run cap;
    // the recorded weights of check_training_core.cmake depend on it).
    if (a.max_windows > 0 && static_cast<int64_t>(out.train.size()) > a.max_windows)
        out.train.resize(static_cast<std::size_t>(a.max_windows));
    return out;
}


std::string default_data_dir()
{
    if (const char* d = std::getenv("TFMED_DATA_DIR"))
        return d;
    return "../shared/data";
}


std::string WindowSetSpec::to_json() const
{
    json j = { { "source", data },
               { "seed", seed },
               { "val_fraction", val_fraction },
               { "test_fraction", test_fraction },
               { "max_windows", max_windows } };
    if (rate > 0.0)
        j["rate"] = rate;
    if (!labels.empty())
        j["labels"] = labels;
    if (!channels.empty())
        j["channels"] = channels;
    if (csv_header != "auto")
        j["csv_header"] = csv_header;
    if (drop_invalid)
        j["drop_invalid"] = true;
    return j.dump();
}

WindowSetSpec WindowSetSpec::from_json(const std::string& text, const std::string& data_dir)
{
    const auto spec = json::parse(text.empty() ? "{}" : text);
    WindowSetSpec a;
    a.data = spec.value("source", std::string("mitdb_compiled10s"));
    a.data_dir = data_dir;
    a.seed = spec.value("seed", uint64_t{ 668 });
    a.val_fraction = spec.value("val_fraction", 0.2);
    a.test_fraction = spec.value("test_fraction", 0.2);
    a.max_windows = spec.value("max_windows", int64_t{ 0 });
    a.rate = spec.value("rate", 0.0);
    a.labels = spec.value("labels", std::string());
    if (spec.contains("channels"))
        a.channels = spec["channels"].get<std::vector<std::string>>();
    a.csv_header = spec.value("csv_header", std::string("auto"));
    a.drop_invalid = spec.value("drop_invalid", false);
    return a;
}

} // namespace data
} // namespace tfmed
