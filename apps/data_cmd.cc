/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed data inspect PATH` and `tfmed data plot PATH`: what a recording or a
 * data set holds, in a table or a picture.
 */
#include "cli.h"
#include "common.h"

#include <tfmed/io/recording.h>

#include <tfmed/io/edf.h>
#include <tfmed/io/table.h>
#include <tfmed/io/ts.h>
#include <tfmed/io/wfdb.h>
#ifdef TFMED_HAVE_PLOT
#include <tfmed/plot/figure.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

namespace tfmed {
namespace apps {

namespace fs = std::filesystem;

std::string lower_ext(const std::string& path)
{
    std::string e = fs::path(path).extension().string();
    std::transform(e.begin(), e.end(), e.begin(), ::tolower);
    return e;
}

namespace {

bool is_wfdb(const std::string& path)
{
    return lower_ext(path) == ".hea" || (fs::path(path).extension().empty() &&
                                        fs::exists(path + ".hea"));
}

std::string duration_text(double s)
{
    char buf[64];
    const int h = static_cast<int>(s / 3600), m = static_cast<int>(std::fmod(s, 3600) / 60);
    std::snprintf(buf, sizeof buf, "%.3f s (%d:%02d:%06.3f)", s, h, m, std::fmod(s, 60.0));
    return buf;
}

// "range lo .. hi", "missing N" for the non-finite values, or that no value
// is finite (the bounds of an empty range printed as inf .. -inf).
std::string range_text(double lo, double hi, int64_t non_finite, const char* what)
{
    if (lo > hi)
        return "no finite value (" + std::to_string(non_finite) + " " + what + ")";
    std::string s = fmt("range %10.4g", lo) + " .. " + fmt("%-10.4g", hi);
    if (non_finite)
        s += " " + std::to_string(non_finite) + " " + what;
    return s;
}

void print_recording(const io::Recording& r, const std::string& kind)
{
    std::printf("%s record %s\n", kind.c_str(), r.source.c_str());
    std::printf("  sample rate   %g Hz\n", r.sample_rate);
    std::printf("  samples       %lld per channel\n", static_cast<long long>(r.n_samples));
    std::printf("  duration      %s\n", duration_text(r.duration()).c_str());
    std::printf("  channels      %d\n", r.channels());
    for (int c = 0; c < r.channels(); c++) {
        double lo = INFINITY, hi = -INFINITY;
        int64_t nan = 0;
        for (int64_t t = 0; t < r.n_samples; t++) {
            const float v = r.at(t, c);
            if (std::isfinite(v))
                lo = std::min<double>(lo, v), hi = std::max<double>(hi, v);
            else
                nan++;
        }
        std::printf("    %2d  %-20s %-8s %s\n", c, r.channel_names[c].c_str(),
                    r.units[c].c_str(), range_text(lo, hi, nan, "missing").c_str());
    }
    std::map<std::string, int> by_symbol;
    int beats = 0;
    for (const auto& a : r.annotations) {
        by_symbol[a.symbol.empty() ? a.aux : a.symbol]++;
        beats += io::wfdb_is_beat(a.code);
    }
    std::printf("  annotations   %zu", r.annotations.size());
    if (beats)
        std::printf(" (%d beats)", beats);
    std::printf("\n");
    std::vector<std::pair<std::string, int>> sorted(by_symbol.begin(), by_symbol.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    size_t shown = 0;
    for (const auto& [sym, n] : sorted) {
        if (++shown > 30) {
            std::printf("    ... %zu more kinds\n", sorted.size() - 30);
            break;
        }
        const int code = io::wfdb_annotation_code(sym);
        std::printf("    %-24s %7d%s\n", ("'" + sym + "'").c_str(), n,
                    code > 0 && io::wfdb_is_beat(code) ? "  beat" : "");
    }
    for (size_t i = 0; i < r.comments.size() && i < 5; i++)
        std::printf("  # %s\n", r.comments[i].c_str());
}


int data_inspect(const std::string& path)
{
    if (is_wfdb(path)) {
        const auto h = io::read_wfdb_header(path);
        const io::Recording r = io::read_wfdb(path);
        print_recording(r, h.n_segments ? "WFDB multi-segment (" +
                                              std::to_string(h.n_segments) + " segments)"
                                        : "WFDB");
        if (!h.n_segments) {
            std::printf("  storage      ");
            for (const auto& s : h.signals)
                std::printf(" %s:fmt %d x%d gain %g", s.file_name.c_str(), s.format,
                            s.samples_per_frame, s.adc_gain);
            std::printf("\n");
        }
        return 0;
    }
    const std::string e = lower_ext(path);
    if (e == ".edf" || e == ".bdf" || e == ".rec") {
        const auto f = io::read_edf(path);
        const std::string kind = std::string(f.bdf ? "BDF" : "EDF") +
                                 (f.edf_plus ? (f.continuous ? "+C" : "+D (discontinuous)") : "");
        std::printf("%s file %s: %lld records of %g s, %s of data, %zu signals%s\n",
                    kind.c_str(), path.c_str(), static_cast<long long>(f.n_records),
                    f.record_duration,
                    duration_text(static_cast<double>(f.n_records) * f.record_duration).c_str(),
                    f.signals.size(), f.n_annotation_signals ? " + annotations" : "");
        for (const auto& s : f.signals) {
            float lo = 0, hi = 0;
            if (!s.samples.empty()) {
                const auto [a, b] = std::minmax_element(s.samples.begin(), s.samples.end());
                lo = *a, hi = *b;
            }
            std::printf("    %-20s %-8s %8g Hz  %zu samples  range %g .. %g\n", s.label.c_str(),
                        s.physical_dimension.c_str(), s.sample_rate, s.samples.size(), lo, hi);
        }
        // Onsets as the plot, the replay block and tfmed score count them:
        // from the first data record's onset (EDF+ files may start later).
        const double t0 = f.record_onsets.empty() ? 0.0 : f.record_onsets[0];
        char origin[96] = "";
        if (t0 != 0.0)
            std::snprintf(origin, sizeof origin,
                          " (times from the first record's onset, %g s after the file's start)",
                          t0);
        std::printf("  annotations   %zu%s\n", f.annotations.size(), origin);
        std::map<std::string, int> by_text;
        for (const auto& a : f.annotations)
            by_text[a.text]++;
        for (const auto& [text, n] : by_text)
            std::printf("    %-30s %d\n", ("'" + text + "'").c_str(), n);
        for (size_t i = 0; i < f.annotations.size() && i < 10; i++)
            std::printf("    %10.3f s  %s\n", f.annotations[i].onset - t0,
                        f.annotations[i].text.c_str());
        if (f.annotations.size() > 10)
            std::printf("    ... %zu more\n", f.annotations.size() - 10);
        return 0;
    }
    if (e == ".ts") {
        const auto d = io::read_ts(path);
        int lo = 1 << 30, hi = 0;
        for (int i = 0; i < d.n_cases(); i++)
            for (int k = 0; k < d.dimensions; k++)
                lo = std::min(lo, d.length(i, k)), hi = std::max(hi, d.length(i, k));
        const std::string lengths = lo <= hi ? ", length " + std::to_string(lo) + ".." +
                                                   std::to_string(hi)
                                             : "";
        std::printf(".ts data set %s (%s)\n  cases %d, dimensions %d%s%s\n", path.c_str(),
                    d.problem_name.c_str(), d.n_cases(), d.dimensions, lengths.c_str(),
                    d.missing ? ", has missing values" : "");
        std::vector<int> count(d.class_names.size());
        for (int l : d.labels)
            if (l >= 0)
                count[l]++;
        for (size_t k = 0; k < d.class_names.size(); k++)
            std::printf("    class %-16s %d\n", d.class_names[k].c_str(), count[k]);
        return 0;
    }
    if (e == ".npy") {
        const auto a = io::read_npy(path);
        std::printf(".npy array %s: dtype %s, shape (", path.c_str(), a.dtype.c_str());
        for (size_t i = 0; i < a.shape.size(); i++)
            std::printf("%s%lld", i ? ", " : "", static_cast<long long>(a.shape[i]));
        double lo = INFINITY, hi = -INFINITY;
        int64_t bad = 0;
        for (float v : a.data)
            if (std::isfinite(v))
                lo = std::min<double>(lo, v), hi = std::max<double>(hi, v);
            else
                ++bad;
        // (Values are read as float32: a float64 beyond its range reads as Inf.)
        std::printf("%s)\n  %s\n", a.shape.size() == 1 ? "," : "",
                    a.data.empty() ? "no values"
                                   : range_text(lo, hi, bad, "not finite (NaN, Inf, or beyond "
                                                             "float32's range)").c_str());
        return 0;
    }
    if (e == ".csv") {
        const auto t = io::read_csv(path);
        std::printf("CSV table %s: %lld rows, %zu numeric columns%s\n", path.c_str(),
                    static_cast<long long>(t.rows), t.columns.size(),
                    t.text_column.empty() ? "" : (" + text column '" + t.text_column_name + "'").c_str());
        // Each column's range, and its cells that are no finite number (an
        // empty cell, NaN, 1e400): said, as for .npy.
        for (int c = 0; c < t.cols(); ++c) {
            double lo = INFINITY, hi = -INFINITY;
            int64_t bad = 0;
            for (int64_t r = 0; r < t.rows; ++r) {
                const double v = t.at(r, c);
                if (std::isfinite(v))
                    lo = std::min(lo, v), hi = std::max(hi, v);
                else
                    ++bad;
            }
            std::printf("    %-20s %s\n", t.columns[static_cast<std::size_t>(c)].c_str(),
                        t.rows == 0 ? "no values"
                                    : range_text(lo, hi, bad, "not finite (empty, NaN, Inf "
                                                              "or beyond double's range)")
                                          .c_str());
        }
        return 0;
    }
    throw std::invalid_argument("tfmed data inspect: expected a .hea, .edf, .bdf, .ts, .npy "
                                "or .csv path, found '" + path + "'");
}

int data_plot(const std::string& path,
              double from,
              double to,
              const std::vector<int>& channels,
              const std::string& out)
{
#ifdef TFMED_HAVE_PLOT
    if (!(to > from) || from < 0)
        throw std::invalid_argument("tfmed data plot: expected 0 <= --from < --to (--to "
                                    "defaults to 10 s), found " + fmt("%.9g", from) + " .. " +
                                    fmt("%.9g", to));
    // Before any work; a WFDB record's own files (header, signals,
    // annotations) too: `-o 100.dat` replaced the signal file with a PNG.
    auto inputs = record_files(path);
    inputs.push_back(path);
    check_outputs({ out }, inputs);
    // The samples in [from, to): the first at or after `from`, the last
    // before `to`; a time within rounding of a sample's is that sample's
    // (1.15 s * 360 Hz = 413.99999999999994 is sample 414; 69718.725 s *
    // 360 Hz = 25098741.000000004 is sample 25098741).
    auto first_at = [](double seconds, double rate) {
        const double x = std::min(seconds * rate, 9e15);
        return static_cast<int64_t>(std::ceil(x - 1e-12 * std::max(1.0, x))); // (relative: day-long records)
    };
    // A WFDB record is read for [from, to) only: a multi-segment record opens
    // just the segments that overlap it (a day-long record plots in
    // milliseconds). `base` is the first sample read.
    io::Recording r;
    int64_t base = 0;
    double last_s = -1.0; // the record's last sample's time where known
    std::vector<int> chosen = channels;
    refuse_repeated_channels(channels, [](int c) { return std::to_string(c); });
    auto past_end = [&]() {
        return std::invalid_argument(
            "tfmed data plot: --from " + fmt("%.9g", from) + " s is past the end of the record" +
            (last_s >= 0 ? " (its last sample at " + fmt("%.9g", last_s) + " s)"
                         : " (no sample at or after it)"));
    };
    if (is_wfdb(path)) {
        const auto h = io::read_wfdb_header(path);
        if (h.n_samples >= 0) {
            last_s = (h.n_samples - 1) / h.frame_frequency;
            if (h.n_samples == 0 || from > last_s)
                throw past_end();
        }
        io::WfdbReadOptions o;
        o.length = 1;
        const double rate = io::read_wfdb(path, o).sample_rate;
        base = first_at(from, rate);
        o.start = base;
        // (--to far past the end: at most the record, not an overflowed count)
        o.length = std::max<int64_t>(1, first_at(to, rate) - base);
        try {
            r = io::read_wfdb(path, o);
        } catch (const io::ReadError& e) {
            // (A header without a length: the reader finds the end, in samples.)
            if (h.n_samples >= 0)
                throw;
            throw std::invalid_argument("tfmed data plot: --from " + fmt("%.9g", from) +
                                        " s (sample " + std::to_string(base) + " at " +
                                        fmt("%g", rate) + " Hz): " + e.what());
        }
    } else {
        // EDF: the chosen signals only (their rates may differ from the others')
        r = read_any_recording(path, channels);
        if (!channels.empty()) {
            chosen.resize(channels.size());
            for (std::size_t k = 0; k < chosen.size(); ++k)
                chosen[k] = static_cast<int>(k);
        }
    }
    if (last_s < 0 && base == 0 && r.n_samples > 0)
        last_s = (r.n_samples - 1) / r.sample_rate; // (EDF: read whole)
    const int64_t t0 = std::max<int64_t>(base, first_at(from, r.sample_rate));
    const int64_t t1 = std::min<int64_t>(base + r.n_samples, first_at(to, r.sample_rate));
    if (t0 >= base + r.n_samples)
        throw past_end();
    if (t0 >= t1)
        throw std::invalid_argument("tfmed data plot: no sample in [" + fmt("%.9g", from) + ", " +
                                    fmt("%.9g", to) + ") s: expected a span of at least one "
                                    "sample (" + fmt("%g", 1.0 / r.sample_rate) + " s at " +
                                    fmt("%g", r.sample_rate) + " Hz)");
    if (r.channels() == 0)
        throw std::invalid_argument("tfmed data plot: " + path +
                                    ": expected at least one signal to plot, found none");
    std::vector<int> chans = chosen;
    if (chans.empty())
        for (int c = 0; c < std::min(r.channels(), 6); c++)
            chans.push_back(c);
    std::vector<plot::Panel> panels;
    for (int c : chans) {
        if (c < 0 || c >= r.channels())
            throw std::invalid_argument("tfmed data plot: channel " + std::to_string(c) +
                                        " out of range: expected 0.." +
                                        std::to_string(r.channels() - 1));
        plot::Panel p;
        p.title = r.channel_names[c];
        p.ylabel = r.units[c];
        p.xlabel = "time (s)";
        p.xmin = t0 / r.sample_rate;
        p.xmax = t1 / r.sample_rate;
        // (A day of Holter ECG is 31 M samples a channel: each pixel column
        // needs only its lowest and highest.)
        p.series.push_back(plot::min_max_trace(
            t1 - t0, [&](int64_t i) { return (t0 + i) / r.sample_rate; },
            [&](int64_t i) { return static_cast<double>(r.at(t0 + i - base, c)); }));
        for (const auto& a : r.annotations)
            if (a.sample + base >= t0 && a.sample + base < t1) {
                plot::Marker m;
                m.x = static_cast<double>(a.sample + base) / r.sample_rate;
                m.label = a.symbol.empty() ? a.aux.substr(0, 12) : a.symbol;
                const bool normal = a.symbol == "N";
                m.color = normal ? plot::Rgb{ 40, 110, 40 } : plot::Rgb{ 200, 30, 30 };
                p.markers.push_back(m);
            }
        panels.push_back(std::move(p));
    }
    plot::save_figure(panels, out,
                      fs::path(r.source).filename().string() + "  (" +
                          fmt("%g", r.sample_rate) + " Hz, " +
                          std::to_string(panels.empty() ? size_t(0) : panels[0].markers.size()) +
                          " annotations in the plotted span)");
    std::printf("wrote %s: %zu channel(s), %.3f..%.3f s, %zu annotation marker(s)\n",
                out.c_str(), panels.size(), t0 / r.sample_rate, t1 / r.sample_rate,
                panels.empty() ? size_t(0) : panels[0].markers.size());
    return 0;
#else
    (void)path, (void)from, (void)to, (void)channels, (void)out;
    throw std::runtime_error("tfmed data plot: this build has no PNG support (configure "
                             "with Debian's libstb-dev installed)");
#endif
}

} // namespace

std::vector<std::string> record_files(const std::string& path)
{
    std::vector<std::string> files;
    if (!is_wfdb(path))
        return files;
    const fs::path hea = lower_ext(path) == ".hea" ? fs::path(path) : fs::path(path + ".hea");
    const fs::path dir = hea.parent_path();
    const std::string stem = hea.stem().string();
    files.push_back(hea.string());
    try {
        const auto h = io::read_wfdb_header(hea.string());
        for (const auto& s : h.signals)
            if (!s.file_name.empty() && s.file_name != "~")
                files.push_back((dir / s.file_name).string());
        // A multi-segment record: every segment's header and signal files
        // (the layout segment's too).
        for (const auto& seg : h.segment_names) {
            if (seg.empty() || seg == "~")
                continue;
            const auto sh = dir / (seg + ".hea");
            files.push_back(sh.string());
            try {
                for (const auto& s : io::read_wfdb_header(sh.string()).signals)
                    if (!s.file_name.empty() && s.file_name != "~")
                        files.push_back((dir / s.file_name).string());
            } catch (const std::exception&) {
                // (an absent or unreadable segment is the reader's to report)
            }
        }
    } catch (const std::exception&) {
        // an unreadable header is reported by the reader itself
    }
    files.push_back((dir / (stem + "." + io::WfdbReadOptions().annotator)).string());
    return files;
}

bool is_recording_path(const std::string& path)
{
    const std::string e = lower_ext(path);
    return is_wfdb(path) || e == ".edf" || e == ".bdf" || e == ".rec";
}

io::Recording read_any_recording(const std::string& path,
                                 const std::vector<int>& indices,
                                 const std::vector<std::string>& names,
                                 bool* picked)
{
    if (picked)
        *picked = false;
    if (is_wfdb(path))
        return io::read_wfdb(path);
    if (is_recording_path(path)) { // EDF/BDF
        auto f = io::read_edf(path);
        const auto& all = f.signals;
        if (all.empty())
            throw std::invalid_argument(path + ": expected at least one ordinary signal, found "
                                               "only annotations");
        std::vector<io::EdfSignal> keep;
        for (int c : indices) {
            if (c < 0 || c >= static_cast<int>(all.size()))
                throw std::invalid_argument("channel " + std::to_string(c) +
                                            " out of range: expected 0.." +
                                            std::to_string(all.size() - 1) + " for " + path);
            keep.push_back(all[static_cast<std::size_t>(c)]);
        }
        if (indices.empty() && !names.empty()) {
            // By label, or by a 0-based index into the file's signals (as
            // tfmed score's --channels reads a number that is not a label).
            for (const auto& n : names) {
                const auto it = std::find_if(all.begin(), all.end(),
                                             [&](const io::EdfSignal& s) { return s.label == n; });
                const int k = channel_number(n);
                if (it != all.end())
                    keep.push_back(*it);
                else if (k >= 0 && k < static_cast<int>(all.size()))
                    keep.push_back(all[static_cast<std::size_t>(k)]);
            }
            if (keep.size() != names.size())
                keep.clear(); // not all here: the rate rule below (score names what is missing)
            else if (picked)
                *picked = true;
        }
        if (keep.empty() && !all.empty()) {
            std::string left;
            for (const auto& s : all)
                if (s.samples_per_record == all[0].samples_per_record)
                    keep.push_back(s);
                else {
                    char hz[32];
                    std::snprintf(hz, sizeof hz, "%g", s.sample_rate);
                    left += (left.empty() ? "" : ", ") + s.label + " (" + hz + " Hz)";
                }
            if (!left.empty())
                std::fprintf(stderr, "%s: signals at another rate than %s's %g Hz left out: %s\n",
                             path.c_str(), all[0].label.c_str(), all[0].sample_rate,
                             left.c_str());
        }
        f.signals = std::move(keep);
        return io::to_recording(f);
    }
    throw std::invalid_argument("expected a WFDB record (.hea) or an EDF/BDF file, found '" +
                                path + "'");
}

io::Recording read_table_recording(const std::string& path, double rate)
{
    io::Recording r;
    r.source = path;
    r.sample_rate = rate;
    if (lower_ext(path) == ".npy") {
        const auto a = io::read_npy(path);
        if (a.shape.size() != 1 && a.shape.size() != 2)
            throw std::invalid_argument(path + ": expected a 1-D or 2-D array (rows x channels), "
                                               "found " + std::to_string(a.shape.size()) + " dimensions");
        const int64_t cols = a.shape.size() == 2 ? a.shape[1] : 1;
        if (a.shape[0] == 0 || cols == 0)
            throw std::invalid_argument(path + ": expected rows of samples, found an empty array");
        for (int64_t c = 0; c < cols; ++c)
            r.channel_names.push_back(std::to_string(c));
        r.n_samples = a.shape[0];
        r.samples = a.data;
    } else {
        const auto t = io::read_csv(path);
        if (t.cols() == 0)
            throw std::invalid_argument(path + ": expected numeric columns, found none");
        // A text first column (times, labels) is not a channel: indices count
        // the numeric columns.
        if (!t.text_column.empty()) {
            std::string columns;
            for (const auto& c : t.columns)
                columns += (columns.empty() ? "" : ", ") + c;
            std::printf("%s: the text column '%s' is not a channel; channels are %s\n",
                        path.c_str(), t.text_column_name.c_str(), columns.c_str());
        }
        r.channel_names = t.columns;
        r.n_samples = t.rows;
        r.samples.assign(t.values.begin(), t.values.end());
    }
    r.units.assign(r.channel_names.size(), "");
    return r;
}

void add_data_commands(Cli& cli)
{
    struct Args {
        std::string path;
        double from = 0.0, to = 10.0;
        std::vector<int> channels;
        std::string out = "record.png";
    };
    auto a = std::make_shared<Args>();
    auto* inspect = cli.data->add_subcommand(
        "inspect", "Summary of a record or data set: channels, rate, duration, units, "
                   "annotation counts by symbol");
    inspect->add_option("PATH", a->path, "WFDB record (.hea), EDF/BDF, .ts, .npy or .csv")
        ->required();
    cli.on(inspect, [a] { return data_inspect(a->path); });

    auto* plot = cli.data->add_subcommand("plot", "PNG of a record's traces with annotation markers");
    plot->add_option("PATH", a->path, "WFDB record (.hea) or EDF/BDF file")->required();
    plot->add_option("--from", a->from, "Start, seconds")
        ->check(kFiniteNonNegative)
        ->capture_default_str();
    plot->add_option("--to", a->to, "End, seconds")->check(kFinitePositive)->capture_default_str();
    plot->add_option("--channels", a->channels, "Channel indices, e.g. 0,1 (default: up to 6)")
        ->delimiter(',');
    plot->add_option("-o,--out", a->out, "PNG file")
        ->check(file_output("a PNG"))
        ->capture_default_str();
    cli.on(plot, [a] { return data_plot(a->path, a->from, a->to, a->channels, a->out); });
}

} // namespace apps
} // namespace tfmed
