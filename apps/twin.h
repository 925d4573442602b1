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

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <sys/wait.h>

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
        // pclose gives a wait status: the exit code, or the signal.
        const std::string status =
            rc == -1                ? "not waited for"
            : WIFEXITED(rc)         ? "exit code " + std::to_string(WEXITSTATUS(rc)) +
                                  (WEXITSTATUS(rc) == 127 ? ", command not found" : "")
            : WIFSIGNALED(rc) ? "killed by signal " + std::to_string(WTERMSIG(rc))
                              : "status " + std::to_string(rc);
        why = python + " " + script + " failed (" + status + "): " +
              out.substr(out.size() > 400 ? out.size() - 400 : 0);
        return nullptr;
    }
    // Only that line: a warning Python prints after it (stderr is merged
    // here) made the rest unparseable and the bench failed after its C++ half.
    const auto end = out.find('\n', line);
    const std::string text = out.substr(line, end == std::string::npos ? std::string::npos
                                                                        : end - line);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        why = python + " " + script + ": its result line is not JSON (" + e.what() + "): " +
              text.substr(0, 200);
        return nullptr;
    }
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

/*! The twin's figures are of the same network, or not compared: `why`
 *  says so and the result becomes null (a twin built from other options
 *  would time other work). */
inline void check_twin_parameters(nlohmann::json& twin, int64_t expected, std::string& why)
{
    if (twin.is_null())
        return;
    const int64_t got = twin.value("parameters", int64_t(-1));
    if (got != expected) {
        why = "the twin has " + std::to_string(got) + " parameters, expected " +
              std::to_string(expected) + "; not compared";
        twin = nullptr;
    }
}

/*! A twin round for alternate_rounds: run_twin with `cfg`, not compared
 *  (null, `why` set) unless it has `parameters` parameters. */
inline std::function<nlohmann::json()> twin_rounds(const std::string& python,
                                                   const std::string& script,
                                                   const nlohmann::json& cfg, int64_t parameters,
                                                   std::string& why)
{
    return [python, script, cfg, parameters, &why] {
        auto t = run_twin(python, script, cfg, why);
        check_twin_parameters(t, parameters, why);
        return t;
    };
}

/*! The twin's rounds for a `tfmed bench` command (twin_rounds with the
 *  script `name`, found by find_twin from `given`), or none with `why` set:
 *  under --no-twin, off the CPU (the twins run there only; "auto" may have
 *  resolved to a GPU), or without the script. */
inline std::function<nlohmann::json()> twin_for(bool no_twin, const std::string& device,
                                                const std::string& given, const std::string& name,
                                                const std::string& python,
                                                const nlohmann::json& cfg, int64_t parameters,
                                                std::string& why)
{
    if (no_twin) {
        why = "--no-twin";
        return {};
    }
    if (device != "cpu") {
        why = "the twin runs on the CPU only; this run used " + device;
        return {};
    }
    const auto script = find_twin(given, name);
    if (script.empty()) {
        why = name + " not found (give --twin)";
        return {};
    }
    return twin_rounds(python, script, cfg, parameters, why);
}

/*! A C++ round for alternate_rounds: `bench()` again, its forward and step figures. */
template <typename Bench>
std::function<void(BenchRows&)> cpp_rounds(Bench bench)
{
    return [bench](BenchRows& b) {
        const auto q = bench();
        b.windows_per_s = q.windows_per_s;
        b.train_step_s = q.train_step_s;
    };
}

/*!
 * \brief Alternate the C++ and twin measurements for `rounds` rounds (C++
 * first in each) and keep each figure's median over the rounds: both sides
 * then meet the same drift of this machine (another process, the clock),
 * which one run of each, one after the other, does not. `rows` holds round
 * 1's C++ figures; `cpp(rows)` measures the C++ side again (windows_per_s,
 * train_step_s); `twin` (empty: no twin) returns run_twin()'s result, null
 * when it failed (then no twin figure is kept). Every round's figures go to
 * out["rounds"]; returns the twin's medians (or null).
 */
inline nlohmann::json alternate_rounds(int rounds, BenchRows& rows,
                                       const std::function<void(BenchRows&)>& cpp,
                                       const std::function<nlohmann::json()>& twin,
                                       nlohmann::json& out)
{
    std::vector<BenchRows> c{ rows };
    std::vector<nlohmann::json> t;
    bool twin_ok = static_cast<bool>(twin);
    for (int k = 0; k < rounds; ++k) {
        if (k > 0) {
            BenchRows r = rows;
            cpp(r);
            c.push_back(r);
        }
        if (twin_ok) {
            auto j = twin();
            if (j.is_null())
                twin_ok = false;
            else
                t.push_back(std::move(j));
        }
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        const std::size_t n = v.size();
        return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    };
    nlohmann::json per = nlohmann::json::array();
    for (std::size_t k = 0; k < c.size(); ++k) {
        nlohmann::json r = { { "cpp", { { "train_step_s", c[k].train_step_s } } } };
        for (std::size_t i = 0; i < rows.batches.size(); ++i)
            r["cpp"]["forward"][std::to_string(rows.batches[i])] = c[k].windows_per_s[i];
        if (twin_ok)
            r["twin"] = { { "forward", t[k]["forward"] }, { "train_step_s", t[k]["train_step_s"] } };
        per.push_back(r);
    }
    out["rounds"] = per;
    for (std::size_t i = 0; i < rows.batches.size(); ++i) {
        std::vector<double> v;
        for (const auto& r : c)
            v.push_back(r.windows_per_s[i]);
        rows.windows_per_s[i] = median(v);
    }
    {
        std::vector<double> v;
        for (const auto& r : c)
            v.push_back(r.train_step_s);
        rows.train_step_s = median(v);
    }
    if (!twin_ok)
        return nullptr;
    nlohmann::json tw = t.front();
    for (const auto& b : rows.batches) {
        const auto key = std::to_string(b);
        std::vector<double> v;
        for (const auto& j : t)
            v.push_back(j["forward"].value(key, 0.0));
        tw["forward"][key] = median(v);
    }
    std::vector<double> v;
    for (const auto& j : t)
        v.push_back(j.value("train_step_s", 0.0));
    tw["train_step_s"] = median(v);
    return tw;
}

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
    // A twin that did not run shows "-", not a measured-looking 0.
    auto twin_cell = [&twin](double v, const char* fmt) {
        if (twin.is_null())
            return std::string("-");
        char buf[64];
        std::snprintf(buf, sizeof buf, fmt, v);
        return std::string(buf);
    };
    std::printf("%-26s %16s %16s %8s\n", "", "C++ (LibTorch)", "Python twin", "C++/twin");
    out["cpp"] = nlohmann::json::object();
    out["twin"] = twin.is_null() ? nlohmann::json(why) : twin;
    for (std::size_t i = 0; i < r.batches.size(); ++i) {
        const auto b = std::to_string(r.batches[i]);
        const double c = r.windows_per_s[i];
        out["cpp"]["forward"][b] = c;
        const double t = twin.is_null() ? 0.0 : twin["forward"].value(b, 0.0);
        std::printf("%-26s %12.1f w/s %16s %8s\n", (r.forward_label + ", batch " + b).c_str(),
                    c, twin_cell(t, "%12.1f w/s").c_str(), ratio(c, t).c_str());
        std::printf("%-26s %10.2f GFLOP/s %16s\n", "", c * r.gflop_per_window,
                    twin_cell(t * r.gflop_per_window, "%8.2f GFLOP/s").c_str());
    }
    out["cpp"]["train_step_s"] = r.train_step_s;
    const double ts = twin.is_null() ? 0.0 : twin.value("train_step_s", 0.0);
    std::printf("%-26s %14.4f s %16s %8s\n",
                (r.step_label + ", batch " + std::to_string(r.train_batch)).c_str(),
                r.train_step_s, twin_cell(ts, "%14.4f s").c_str(), ratio(ts, r.train_step_s).c_str());
    auto per_s = [](double gflop, double s) { return s > 0 ? gflop / s : 0.0; };
    if (r.gflop_per_step > 0)
        std::printf("%-26s %10.2f GFLOP/s %16s\n", "", per_s(r.gflop_per_step, r.train_step_s),
                    twin_cell(per_s(r.gflop_per_step, ts), "%8.2f GFLOP/s").c_str());
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
    const std::size_t rounds = out.contains("rounds") ? out["rounds"].size() : 1;
    if (rounds > 1)
        std::printf("medians over %zu rounds, C++ and twin alternated (each round: \"rounds\" "
                    "in the JSON)\n",
                    rounds);
    else
        std::printf("one round: each side timed once, one after the other (median call); "
                    "--rounds N alternates them N times for ratios near 1\n");
}

} // namespace apps
} // namespace tfmed

#endif
