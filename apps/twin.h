/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Python twins of `tfmed bench ...`: found beside the sources or the
 * install, run at the same threads, their figures read back as one JSON line.
 */
#ifndef INCLUDED_TFMED_APPS_TWIN_H
#define INCLUDED_TFMED_APPS_TWIN_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace tfmed {
namespace apps {

/*! `given`, or the first `name` in TFMED_TWIN_DIRS; "" when there is none. */
inline std::string find_twin(const std::string& given, const std::string& name)
{
    if (!given.empty())
        return given;
    const std::string dirs = TFMED_TWIN_DIRS;
    for (std::size_t a = 0; a <= dirs.size();) {
        const auto b = std::min(dirs.find(':', a), dirs.size());
        const std::string p = dirs.substr(a, b - a) + "/" + name;
        if (FILE* f = std::fopen(p.c_str(), "r")) {
            std::fclose(f);
            return p;
        }
        a = b + 1;
    }
    return "";
}

/*! The allocator settings the tfmed tool and its engines run under
 *  (train::keep_freed_memory, engine::tune_allocator) as environment words
 *  for a twin, each unless the user's environment sets it: a ratio then
 *  compares two code paths, not two malloc configurations (with glibc's
 *  defaults every large activation is mapped and faulted in afresh). */
inline std::string twin_allocator_env()
{
    std::string env;
    for (const char* v : { "MALLOC_MMAP_MAX_=0", "MALLOC_TRIM_THRESHOLD_=1073741824",
                           "MALLOC_ARENA_MAX=1" }) {
        const std::string name(v, std::strchr(v, '=') - v);
        if (!std::getenv(name.c_str()))
            env += std::string(env.empty() ? "" : " ") + v;
    }
    return env;
}

/*! Run `python script 'cfg'` under twin_allocator_env(); its last line
 *  starting {"torch" as JSON, or null with `why` saying what went wrong. */
inline nlohmann::json run_twin(const std::string& python, const std::string& script,
                               const nlohmann::json& cfg, std::string& why)
{
    const std::string env = twin_allocator_env();
    auto quote = [](const std::string& t) {
        std::string q = "'";
        for (char c : t)
            q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return q + "'";
    };
    const std::string cmd = (env.empty() ? "" : "env " + env + " ") + quote(python) + " " +
                            quote(script) + " " + quote(cfg.dump()) + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) {
        why = "cannot start " + python;
        return nullptr;
    }
    std::string out;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p))
        out += buf;
    const int rc = pclose(p);
    const auto line = out.rfind("{\"torch\"");
    if (rc != 0 || line == std::string::npos) {
        why = python + " " + script + " failed (exit " + std::to_string(rc) + "): " +
              out.substr(out.size() > 400 ? out.size() - 400 : 0);
        return nullptr;
    }
    return nlohmann::json::parse(out.substr(line));
}

/*! \brief The C++ side of a benchmark, and how to label its rows. */
struct BenchRows {
    std::vector<int64_t> batches;
    std::vector<double> windows_per_s; //!< per batch
    double train_step_s = 0.0;
    int64_t train_batch = 0;
    double gflop_per_window = 0.0;
    double gflop_per_step = 0.0;  //!< 0: the step row prints no GFLOP/s
    double ceiling_gflops = 0.0;  //!< measured FP32 ceiling; 0: not measured
    std::string forward_label = "forward"; //!< "forward, batch 1", ...
    std::string step_label = "training step";
};

/*!
 * \brief Print the C++ / twin table (windows/s and GFLOP/s per batch, the
 * step time, ratios > 1 = C++ faster) and fill out["cpp"] and out["twin"].
 * `twin` is run_twin()'s result (null: not run, `why` says why).
 */
inline void print_bench(const BenchRows& r, const nlohmann::json& twin, const std::string& why,
                        nlohmann::json& out)
{
    auto ratio = [](double a, double b) {
        return a > 0 && b > 0 ? std::to_string(a / b).substr(0, 5) + "x" : std::string("-");
    };
    std::printf("%-26s %16s %16s %8s\n", "", "C++ (LibTorch)", "Python twin", "C++/twin");
    out["cpp"] = nlohmann::json::object();
    out["twin"] = twin.is_null() ? nlohmann::json(why) : twin;
    for (std::size_t i = 0; i < r.batches.size(); ++i) {
        const auto b = std::to_string(r.batches[i]);
        const double c = r.windows_per_s[i];
        out["cpp"]["forward"][b] = c;
        const double t = twin.is_null() ? 0.0 : twin["forward"].value(b, 0.0);
        std::printf("%-26s %12.1f w/s %12.1f w/s %8s\n", (r.forward_label + ", batch " + b).c_str(),
                    c, t, ratio(c, t).c_str());
        std::printf("%-26s %10.2f GFLOP/s %8.2f GFLOP/s\n", "", c * r.gflop_per_window,
                    t * r.gflop_per_window);
    }
    out["cpp"]["train_step_s"] = r.train_step_s;
    const double ts = twin.is_null() ? 0.0 : twin.value("train_step_s", 0.0);
    std::printf("%-26s %14.4f s %14.4f s %8s\n",
                (r.step_label + ", batch " + std::to_string(r.train_batch)).c_str(),
                r.train_step_s, ts, ratio(ts, r.train_step_s).c_str());
    auto per_s = [](double gflop, double s) { return s > 0 ? gflop / s : 0.0; };
    if (r.gflop_per_step > 0)
        std::printf("%-26s %10.2f GFLOP/s %8.2f GFLOP/s\n", "",
                    per_s(r.gflop_per_step, r.train_step_s), per_s(r.gflop_per_step, ts));
    if (r.ceiling_gflops > 0) {
        out["ceiling_gflops"] = r.ceiling_gflops;
        std::printf("FP32 ceiling here (2048^3 matrix product, same threads): %.1f GFLOP/s; C++ "
                    "reaches",
                    r.ceiling_gflops);
        for (std::size_t i = 0; i < r.batches.size(); ++i)
            std::printf(" %.0f %%", 100.0 * r.windows_per_s[i] * r.gflop_per_window /
                                        r.ceiling_gflops);
        std::printf(" (forward)");
        if (r.gflop_per_step > 0)
            std::printf(", %.0f %% (step)",
                        100.0 * per_s(r.gflop_per_step, r.train_step_s) / r.ceiling_gflops);
        std::printf("\n");
    }
    if (twin.is_null())
        std::printf("twin: not run (%s)\n", why.c_str());
    else
        std::printf("twin: PyTorch %s at the same threads; ratio > 1 = C++ faster\n",
                    twin.value("torch", std::string("?")).c_str());
}

} // namespace apps
} // namespace tfmed

#endif
