/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/datasets.h>
#include <tfmed/io/table.h>
#include <tfmed/io/ts.h>

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string_view>
#include <system_error>

/*
 * The layouts and codings checked here are those of ../shared/data/README.md;
 * a loader that finds something else throws rather than guess, because a
 * silently shifted label column trains a model that looks fine and is wrong.
 */

namespace tfmed {
namespace data {

namespace {

namespace fs = std::filesystem;

// `dir/set/file`, or a ReadError naming that path when it is not there. The
// message says whether the whole data set folder is missing (the usual case:
// the shared data are not on this machine) or just one file.
std::string
require_file(const std::string& dir, const std::string& set, const std::string& file)
{
    const std::string path = (fs::path(dir) / set / file).string();
    std::error_code ec;
    if (fs::is_regular_file(path, ec))
        return path;
    if (!fs::is_directory(fs::path(dir) / set, ec))
        throw io::ReadError(
            path, "file not found (data set '" + set + "' is not in " + dir + ")");
    throw io::ReadError(path, "file not found");
}

std::string read_text(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        throw io::ReadError(
            path, std::string("cannot open file (") + std::strerror(errno) + ")");
    std::string text((std::istreambuf_iterator<char>(f)),
                     std::istreambuf_iterator<char>());
    if (f.bad())
        throw io::ReadError(path, "read error");
    return text;
}

// Lines without their '\r' (CRLF files); blank lines are kept so that line
// numbers in messages match an editor's.
std::vector<std::string_view> lines_of(std::string_view text)
{
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        lines.push_back(line);
        if (nl == std::string_view::npos)
            break;
        text.remove_prefix(nl + 1);
    }
    return lines;
}

bool is_blank(std::string_view s)
{
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isspace(c & 0xff); });
}

// Whitespace-separated numbers (the UCR text format). std::from_chars, unlike
// strtod, ignores the C locale, so "0.5" never reads as 0 under a ',' locale.
std::vector<double>
parse_numbers(std::string_view s, const std::string& path, const std::string& where)
{
    std::vector<double> v;
    const char* p = s.data();
    const char* end = s.data() + s.size();
    while (true) {
        while (p < end && std::isspace(*p & 0xff))
            p++;
        if (p == end)
            break;
        const char* q = p;
        while (q < end && !std::isspace(*q & 0xff))
            q++;
        double d = 0;
        auto r = std::from_chars(p, q, d);
        if (r.ec != std::errc() || r.ptr != q)
            throw io::ReadError(path, where, "a number", "'" + std::string(p, q) + "'");
        v.push_back(d);
        p = q;
    }
    return v;
}

// A CSV data set index (labels.csv, rows.csv): plain cells, no quoting, with a
// header naming the columns. io::read_csv wants every cell after the first
// to be numeric, which these text-and-number files are not.
struct TextTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;

    int column(const std::string& path, const std::string& name) const
    {
        const auto it = std::find(header.begin(), header.end(), name);
        if (it == header.end())
            throw io::ReadError(path,
                                "header",
                                "a column '" + name + "'",
                                "none (columns: " + join() + ")");
        return static_cast<int>(it - header.begin());
    }

    std::string join() const
    {
        std::string s;
        for (const auto& h : header)
            s += (s.empty() ? "" : ",") + h;
        return s;
    }
};

std::vector<std::string> split(std::string_view line, char sep)
{
    std::vector<std::string> cells;
    while (true) {
        const size_t c = line.find(sep);
        cells.emplace_back(line.substr(0, c));
        if (c == std::string_view::npos)
            return cells;
        line.remove_prefix(c + 1);
    }
}

TextTable read_text_table(const std::string& path)
{
    const std::string text = read_text(path);
    std::string_view body(text);
    if (body.substr(0, 3) == "\xEF\xBB\xBF") // UTF-8 byte-order mark
        body.remove_prefix(3);
    TextTable t;
    int line_no = 0;
    for (std::string_view line : lines_of(body)) {
        line_no++;
        if (is_blank(line))
            continue;
        auto cells = split(line, ',');
        if (t.header.empty()) {
            t.header = std::move(cells);
            continue;
        }
        if (cells.size() != t.header.size())
            throw io::ReadError(path,
                                "line " + std::to_string(line_no),
                                std::to_string(t.header.size()) +
                                    " cells (as in the header)",
                                std::to_string(cells.size()));
        t.rows.push_back(std::move(cells));
    }
    if (t.header.empty())
        throw io::ReadError(
            path, "header", "a first line naming the columns", "an empty file");
    return t;
}

// An integer cell, or a ReadError naming the line (header = line 1).
int64_t integer_cell(const std::string& cell,
                     const std::string& path,
                     size_t row,
                     const std::string& column)
{
    int64_t v = 0;
    auto r = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (r.ec != std::errc() || r.ptr != cell.data() + cell.size())
        throw io::ReadError(path,
                            "line " + std::to_string(row + 2) + ", column '" + column +
                                "'",
                            "an integer",
                            "'" + cell + "'");
    return v;
}

std::string shape_text(const std::vector<int64_t>& shape)
{
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); i++)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

// (N, 1, L) float32 from N x L floats.
torch::Tensor single_channel(std::vector<float>& values, int64_t n, int64_t len)
{
    return torch::from_blob(values.data(), { n, 1, len }, torch::kFloat).clone();
}

torch::Tensor labels_tensor(std::vector<int64_t>& y)
{
    return torch::from_blob(y.data(), { static_cast<int64_t>(y.size()) }, torch::kLong)
        .clone();
}

std::string upper_split(const std::string& split, const std::string& loader)
{
    std::string s = split;
    for (char& c : s)
        c = static_cast<char>(std::toupper(c & 0xff));
    if (s != "TRAIN" && s != "TEST")
        throw std::invalid_argument(
            loader + ": expected split \"TRAIN\" or \"TEST\", found \"" + split + "\"");
    return s;
}

const std::vector<std::string>& bonn_class_names()
{
    // UCI coding 1..5 minus one; see README section 3 for the recording sites.
    static const std::vector<std::string> names = {
        "S (seizure)",
        "F (seizure-free, epileptogenic zone)",
        "N (seizure-free, opposite hippocampus)",
        "O (healthy, eyes closed)",
        "Z (healthy, eyes open)",
    };
    return names;
}

} // namespace

std::vector<int64_t> class_counts(const LabelledSet& s)
{
    std::vector<int64_t> counts(s.class_names.size(), 0);
    if (!s.y.defined() || s.y.numel() == 0)
        return counts;
    const auto y = s.y.to(torch::kLong).contiguous();
    const int64_t* p = y.data_ptr<int64_t>();
    for (int64_t i = 0; i < y.numel(); i++) {
        if (p[i] < 0)
            throw std::invalid_argument("class_counts: " + s.name + ": label " +
                                        std::to_string(p[i]) + " at case " +
                                        std::to_string(i) + " is negative");
        if (static_cast<size_t>(p[i]) >= counts.size())
            counts.resize(p[i] + 1, 0);
        counts[p[i]]++;
    }
    return counts;
}

LabelledSet load_mitdb_compiled(const std::string& dir)
{
    const std::string set = "mitdb_compiled10s";
    const std::string x_path = require_file(dir, set, "X_mV.npy");
    const std::string l_path = require_file(dir, set, "labels.csv");
    io::NpyArray x = io::read_npy(x_path);
    if (x.shape.size() != 2)
        throw io::ReadError(
            x_path, "shape", "2 dimensions (segments, samples)", shape_text(x.shape));
    const int64_t n = x.shape[0], len = x.shape[1];

    const TextTable t = read_text_table(l_path);
    const int c_row = t.column(l_path, "row");
    const int c_class = t.column(l_path, "class");
    const int c_index = t.column(l_path, "class_index");
    const int c_source = t.column(l_path, "source_file");
    if (static_cast<int64_t>(t.rows.size()) != n)
        throw io::ReadError(l_path,
                            "rows",
                            std::to_string(n) + " (one per row of X_mV.npy)",
                            std::to_string(t.rows.size()));

    LabelledSet s;
    s.name = set;
    s.class_names = { "N", "S", "V", "F", "Q" };
    s.sample_rate = 360.0;
    std::vector<int64_t> y(n);
    for (size_t i = 0; i < t.rows.size(); i++) {
        const auto& r = t.rows[i];
        // The row column ties each label to its row of X: a re-sorted CSV
        // would otherwise mislabel every segment without any other sign.
        if (integer_cell(r[c_row], l_path, i, "row") != static_cast<int64_t>(i))
            throw io::ReadError(l_path,
                                "line " + std::to_string(i + 2) + ", column 'row'",
                                std::to_string(i),
                                r[c_row]);
        const int64_t k = integer_cell(r[c_index], l_path, i, "class_index");
        if (k < 0 || k >= 5 || r[c_class] != s.class_names[k])
            throw io::ReadError(l_path,
                                "line " + std::to_string(i + 2),
                                "class_index 0..4 matching class N,S,V,F,Q",
                                "class '" + r[c_class] + "', class_index " + r[c_index]);
        y[i] = k;
        s.ids.push_back(r[c_source]);
    }
    s.x = single_channel(x.data, n, len);
    s.y = labels_tensor(y);
    return s;
}

LabelledSet load_ecg5000(const std::string& dir, const std::string& split)
{
    const std::string sp = upper_split(split, "load_ecg5000");
    const std::string file = "ECG5000_" + sp + ".txt";
    const std::string path = require_file(dir, "ecg5000", file);
    const std::string text = read_text(path);

    LabelledSet s;
    s.name = "ecg5000_" + sp;
    s.class_names = { "Normal", "R-on-T PVC", "PVC", "SP", "Unclassified" };
    s.sample_rate = 0.0; // every beat was interpolated to 140 samples
    std::vector<float> values;
    std::vector<int64_t> y;
    size_t width = 0;
    int line_no = 0;
    for (std::string_view line : lines_of(text)) {
        line_no++;
        if (is_blank(line))
            continue;
        const std::string where = "line " + std::to_string(line_no);
        const auto v = parse_numbers(line, path, where);
        if (width == 0 && v.size() < 2)
            throw io::ReadError(path,
                                where,
                                "a class and at least one sample",
                                std::to_string(v.size()) + " numbers");
        if (width == 0)
            width = v.size();
        if (v.size() != width)
            throw io::ReadError(path,
                                where,
                                std::to_string(width) + " numbers (as on the first line)",
                                std::to_string(v.size()));
        // The class is written as a float ("1.0000000e+00").
        if (v[0] != std::floor(v[0]) || v[0] < 1 || v[0] > 5)
            throw io::ReadError(
                path, where + ", class", "an integer in 1..5", std::to_string(v[0]));
        y.push_back(static_cast<int64_t>(v[0]) - 1);
        for (size_t j = 1; j < v.size(); j++)
            values.push_back(static_cast<float>(v[j]));
        s.ids.push_back(file + "#" + std::to_string(y.size() - 1));
    }
    if (y.empty())
        throw io::ReadError(path, "data", "at least one line", "none");
    s.x = single_channel(
        values, static_cast<int64_t>(y.size()), static_cast<int64_t>(width - 1));
    s.y = labels_tensor(y);
    return s;
}

LabelledSet load_bonn_epilepsy178(const std::string& dir)
{
    const std::string set = "bonn_eeg/epilepsy178";
    const std::string x_path = require_file(dir, set, "X_int16.npy");
    const std::string y_path = require_file(dir, set, "y_uci.npy");
    io::NpyArray x = io::read_npy(x_path);
    const io::NpyArray yu = io::read_npy(y_path);
    if (x.shape.size() != 2)
        throw io::ReadError(
            x_path, "shape", "2 dimensions (chunks, samples)", shape_text(x.shape));
    const int64_t n = x.shape[0], len = x.shape[1];
    if (len != 178)
        throw io::ReadError(x_path, "shape", "chunks of 178 samples (the UCI layout)",
                            shape_text(x.shape));
    if (yu.shape != std::vector<int64_t> { n })
        throw io::ReadError(y_path,
                            "shape",
                            shape_text({ n }) + " (one per row of X)",
                            shape_text(yu.shape));

    LabelledSet s;
    s.name = "bonn_epilepsy178";
    s.class_names = bonn_class_names();
    s.sample_rate = 173.61;
    std::vector<int64_t> y(n);
    for (int64_t i = 0; i < n; i++) {
        const float u = yu.data[i];
        if (u != std::floor(u) || u < 1 || u > 5)
            throw io::ReadError(y_path,
                                "element " + std::to_string(i),
                                "a UCI label in 1..5",
                                std::to_string(u));
        y[i] = static_cast<int64_t>(u) - 1;
    }

    // rows.csv is provenance only; read it when it is there.
    std::error_code ec;
    const std::string r_path = (fs::path(dir) / set / "rows.csv").string();
    if (fs::is_regular_file(r_path, ec)) {
        const TextTable t = read_text_table(r_path);
        const int c_row = t.column(r_path, "row");
        const int c_source = t.column(r_path, "source_file");
        const int c_chunk = t.column(r_path, "chunk");
        const int c_label = t.column(r_path, "uci_label");
        if (static_cast<int64_t>(t.rows.size()) != n)
            throw io::ReadError(r_path,
                                "rows",
                                std::to_string(n) + " (one per row of X)",
                                std::to_string(t.rows.size()));
        for (size_t i = 0; i < t.rows.size(); i++) {
            const auto& r = t.rows[i];
            // Each line describes the X row of its number: a reordered file
            // would name the wrong recording for a window.
            if (integer_cell(r[c_row], r_path, i, "row") != static_cast<int64_t>(i))
                throw io::ReadError(r_path,
                                    "line " + std::to_string(i + 2) + ", column 'row'",
                                    std::to_string(i) + " (the lines in row order)",
                                    r[c_row]);
            if (integer_cell(r[c_label], r_path, i, "uci_label") != y[i] + 1)
                throw io::ReadError(r_path,
                                    "line " + std::to_string(i + 2) +
                                        ", column 'uci_label'",
                                    std::to_string(y[i] + 1) + " (as in y_uci.npy)",
                                    r[c_label]);
            s.ids.push_back(r[c_source] + "#" + r[c_chunk]);
        }
    }
    s.x = single_channel(x.data, n, len);
    s.y = labels_tensor(y);
    return s;
}

LabelledSet binary_seizure(const LabelledSet& s)
{
    if (s.class_names != bonn_class_names())
        throw std::invalid_argument("binary_seizure: " + s.name +
                                    ": expected the Bonn classes of "
                                    "load_bonn_epilepsy178 (class 0 = seizure)");
    LabelledSet b = s;
    b.name = s.name + "_binary";
    b.class_names = { "non-seizure", "seizure" };
    b.y = (s.y == 0).to(torch::kLong);
    return b;
}

LabelledSet load_uea(const std::string& dir,
                     const std::string& name,
                     const std::string& split,
                     int64_t pad_to)
{
    const std::string sp = upper_split(split, "load_uea");
    const std::string file = name + "_" + sp + ".ts";
    // The archive unpacks into one folder per problem; a flat copy also works.
    std::error_code ec;
    const std::string flat = (fs::path(dir) / "uea" / file).string();
    const std::string path =
        fs::is_regular_file(flat, ec) ? flat : require_file(dir, "uea/" + name, file);
    const io::TsDataset ds = io::read_ts(path);
    if (!ds.class_labels)
        throw io::ReadError(path,
                            "@classLabel",
                            "true (a classification problem)",
                            ds.target_label ? "a regression target" : "no labels");

    const int64_t n = ds.n_cases();
    const int64_t c_n = ds.dimensions;
    std::vector<int64_t> lengths(n);
    int64_t longest = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t l = 0;
        for (const auto& d : ds.cases[i])
            l = std::max<int64_t>(l, static_cast<int64_t>(d.size()));
        lengths[i] = l;
        longest = std::max(longest, l);
    }
    if (pad_to != 0 && pad_to < longest)
        throw std::invalid_argument(
            "load_uea: " + file + ": pad_to " + std::to_string(pad_to) +
            " is shorter than its longest case (" + std::to_string(longest) + ")");
    const int64_t len = pad_to > 0 ? pad_to : longest;

    LabelledSet s;
    s.name = name + "_" + sp;
    s.class_names = ds.class_names;
    // Rates the archive documents; other problems do not state one.
    static const std::map<std::string, double> rates = { { "BasicMotions", 10.0 } };
    const auto rate = rates.find(name);
    s.sample_rate = rate == rates.end() ? 0.0 : rate->second;

    std::vector<float> values(static_cast<size_t>(n * c_n * len), 0.0f);
    std::vector<int64_t> y(n);
    for (int64_t i = 0; i < n; i++) {
        for (int64_t c = 0; c < c_n; c++) {
            const auto& d = ds.cases[i][c];
            std::copy(d.begin(), d.end(), values.begin() + (i * c_n + c) * len);
        }
        y[i] = ds.labels[i];
        s.ids.push_back(file + "#" + std::to_string(i));
    }
    if (std::any_of(lengths.begin(), lengths.end(), [len](int64_t l) { return l < len; }))
        s.lengths = std::move(lengths);
    s.x = torch::from_blob(values.data(), { n, c_n, len }, torch::kFloat).clone();
    s.y = labels_tensor(y);
    return s;
}

std::vector<AnomalySeries> load_ucr_anomaly(const std::string& dir)
{
    const fs::path folder = fs::path(dir) / "ucr_anomaly";
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw io::ReadError(folder.string(),
                            "folder not found (data set 'ucr_anomaly' is not in " + dir +
                                ")");
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(folder))
        if (e.is_regular_file() && e.path().extension() == ".txt")
            files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty())
        throw io::ReadError(folder.string(),
                            "no series",
                            "files <id>_UCR_Anomaly_<name>_<trainEnd>_<begin>_<end>.txt",
                            "none");

    std::vector<AnomalySeries> out;
    for (const auto& path : files) {
        const std::string stem = fs::path(path).stem().string();
        const std::string pattern = "<id>_UCR_Anomaly_<name>_<trainEnd>_<begin>_<end>";
        const std::string tag = "_UCR_Anomaly_";
        const size_t at = stem.find(tag);
        // The name may hold '_' itself: the three numbers are the last fields.
        std::vector<std::string> fields;
        if (at != std::string::npos)
            fields = split(std::string_view(stem).substr(at + tag.size()), '_');
        AnomalySeries a;
        a.file = path;
        int64_t nums[3] = { 0, 0, 0 };
        bool ok = at != std::string::npos && at > 0 && fields.size() >= 4;
        if (ok) {
            auto r = std::from_chars(stem.data(), stem.data() + at, a.id);
            ok = r.ec == std::errc() && r.ptr == stem.data() + at;
        }
        for (int k = 0; ok && k < 3; k++) {
            const std::string& f = fields[fields.size() - 3 + k];
            auto r = std::from_chars(f.data(), f.data() + f.size(), nums[k]);
            ok = r.ec == std::errc() && r.ptr == f.data() + f.size() && !f.empty();
        }
        if (!ok)
            throw io::ReadError(path, "file name", pattern, "'" + stem + "'");
        for (size_t k = 0; k + 3 < fields.size(); k++)
            a.name += (k ? "_" : "") + fields[k];
        a.train_end = nums[0], a.anomaly_begin = nums[1], a.anomaly_end = nums[2];

        std::vector<float> x;
        const std::string text = read_text(path);
        int line_no = 0;
        for (std::string_view line : lines_of(text)) {
            line_no++;
            for (double d : parse_numbers(line, path, "line " + std::to_string(line_no)))
                x.push_back(static_cast<float>(d));
        }
        const int64_t t_n = static_cast<int64_t>(x.size());
        if (!(a.train_end > 0 && a.train_end <= a.anomaly_begin &&
              a.anomaly_begin < a.anomaly_end && a.anomaly_end <= t_n))
            throw io::ReadError(path,
                                "file name ranges",
                                "0 < trainEnd <= begin < end <= " + std::to_string(t_n) +
                                    " (the series length)",
                                std::to_string(a.train_end) + ", " +
                                    std::to_string(a.anomaly_begin) + ", " +
                                    std::to_string(a.anomaly_end));
        a.x = torch::from_blob(x.data(), { t_n }, torch::kFloat).clone();
        a.label = torch::zeros({ t_n }, torch::kLong);
        a.label.slice(0, a.anomaly_begin, a.anomaly_end).fill_(1);
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace data
} // namespace tfmed
