/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_COMMON_H
#define INCLUDED_TFMED_APPS_COMMON_H

#include <tfmed/io/atomic.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace tfmed {
namespace apps {

/*! A temporary file of the command's own, removed when this goes out of
 *  scope, whatever happens in between (empty: none). */
struct RemoveOnExit {
    std::filesystem::path p;
    RemoveOnExit() = default;
    explicit RemoveOnExit(std::filesystem::path q) : p(std::move(q)) {}
    RemoveOnExit(const RemoveOnExit&) = delete;
    RemoveOnExit& operator=(const RemoveOnExit&) = delete;
    ~RemoveOnExit()
    {
        if (!p.empty()) {
            std::error_code ec;
            std::filesystem::remove(p, ec);
        }
    }
};


/*! Write text to `path` atomically (tfmed::io::write_atomically). */
inline void write_atomically(const std::string& path, const std::string& text)
{
    io::write_atomically(path, text);
}

using io::check_writable;

/*! One number through a printf format ("%g", "%.3f"). */
inline std::string fmt(const char* f, double v)
{
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

/*! Refuse, before any work, an output that is one of the command's inputs
 *  or another of its outputs (io::check_distinct_output: `--json m.tfm`
 *  would replace the model); empty paths are skipped. */
inline void check_outputs(const std::vector<std::string>& outputs,
                          const std::vector<std::string>& inputs)
{
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        if (outputs[i].empty())
            continue;
        std::vector<std::string> others;
        for (std::size_t j = 0; j < outputs.size(); ++j)
            if (j != i)
                others.push_back(outputs[j]);
        io::check_distinct_output(outputs[i], inputs, others);
    }
}

/*! A training run that stopped before completing (--stop-after, a
 *  cancellation) writes no model file, and no --json or --plot either: say
 *  so rather than leave them silently missing. */
inline void note_unwritten(bool completed, const std::vector<std::string>& outputs)
{
    if (completed)
        return;
    std::string list;
    for (const auto& o : outputs)
        if (!o.empty())
            list += (list.empty() ? "" : ", ") + o;
    if (!list.empty())
        std::fprintf(stderr, "tfmed: the run stopped before completing; not written: %s (the "
                             "run that completes them, with --resume, writes them)\n",
                     list.c_str());
}

/*! A one-line progress bar on stderr (redrawn in place on a terminal;
 *  otherwise only finish() prints). */
class Progress
{
public:
    Progress(std::string what, long total)
        : what_(std::move(what)), total_(total), tty_(::isatty(2)),
          t0_(std::chrono::steady_clock::now())
    {
    }
    void update(long done, const std::string& extra)
    {
        if (!tty_)
            return;
        const double el = elapsed();
        const double eta = done > 0 ? el * (total_ - done) / done : 0.0;
        const int width = 24;
        const int fill = total_ > 0 ? static_cast<int>(width * done / total_) : 0;
        std::fprintf(stderr, "\r%s [%s%s] %ld/%ld %s ETA %s ", what_.c_str(),
                     std::string(fill, '#').c_str(), std::string(width - fill, '.').c_str(),
                     done, total_, extra.c_str(), clock(eta).c_str());
        std::fflush(stderr);
    }
    void finish(const std::string& line)
    {
        if (tty_)
            std::fprintf(stderr, "\r\033[K");
        std::fprintf(stderr, "%s (%s)\n", line.c_str(), clock(elapsed()).c_str());
    }
    double elapsed() const
    {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    }
    static std::string clock(double s)
    {
        char b[32];
        const long t = static_cast<long>(s + 0.5);
        std::snprintf(b, sizeof b, "%ld:%02ld", t / 60, t % 60);
        return b;
    }

private:
    std::string what_;
    long total_;
    bool tty_;
    std::chrono::steady_clock::time_point t0_;
};

} // namespace apps
} // namespace tfmed

#endif
