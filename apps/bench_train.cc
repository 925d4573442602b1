/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed bench train --nproc 1,2`: steps/s of the one training loop with 1,
 * 2, ... data-parallel workers on this host (c10d Gloo), each world started
 * by the same launcher as `tfmed train --nproc`, and the speed-up and
 * scaling efficiency against 1 worker in the same command.
 */
#include "cli.h"
#include "common.h"
#include "launch.h"

#include <tfmed/eval/train_bench.h>
#include <tfmed/train/distributed.h>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

namespace tfmed {
namespace apps {

namespace {

using nlohmann::json;

struct BenchTrainArgs {
    eval::TrainBenchConfig cfg;
    std::vector<int> nproc{ 1, 2 };
    std::string json;
    std::string result; //!< worker mode: rank 0 writes its result here
};

int worker(const BenchTrainArgs& a)
{
    const auto w = train::dist::world_from_environment();
    train::dist::init(w, a.cfg.device);
    eval::TrainBenchResult r;
    try {
        r = eval::bench_train(a.cfg);
    } catch (...) {
        train::dist::shutdown(false);
        throw;
    }
    train::dist::shutdown(true);
    // Rank 0's row alone (after shutdown every process reads as rank 0).
    if (w.rank == 0)
        write_atomically(a.result, r.json() + "\n");
    return 0;
}

int bench(const BenchTrainArgs& a)
{
    if (!a.json.empty())
        check_writable(a.json);
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::printf("tfmed bench train: TSRNet %lld leads, width %lld, d_model %lld, global batch "
                "%lld, %lld timed steps after %lld warm-up, %s, c10d Gloo on localhost, %d "
                "cores\n",
                (long long)a.cfg.leads, (long long)a.cfg.width, (long long)a.cfg.d_model,
                (long long)a.cfg.batch, (long long)a.cfg.steps, (long long)a.cfg.warmup,
                a.cfg.device.c_str(), cores);
    std::printf("%7s %9s %10s %10s %9s %11s %9s %11s\n", "workers", "threads", "batch/rk",
                "step (s)", "steps/s", "samples/s", "speed-up", "efficiency");
    json rows = json::array();
    double base = 0.0;
    int base_cores = 1;
    for (const int n : a.nproc) {
        const auto tmp = std::filesystem::temp_directory_path() /
                         ("tfmed-bench-train-" + std::to_string(::getpid()) + "-" +
                          std::to_string(n) + ".json");
        auto argv = command_line();
        argv.push_back("--result");
        argv.push_back(tmp.string());
        const RemoveOnExit remove(tmp);
        const int rc = launch_workers(n, argv, {}, 30.0);
        throw_if_stopped("bench train");
        if (rc != 0)
            throw std::runtime_error("bench train: the world of " + std::to_string(n) +
                                     " worker(s) failed (status " + std::to_string(rc) + ")");
        std::ifstream f(tmp);
        json r = json::parse(f);
        const double sps = r.at("samples_per_s").get<double>();
        const int threads = r.at("threads").get<int>();
        const int used = std::min(cores, n * threads);
        if (base == 0.0) {
            base = sps;
            base_cores = used;
        }
        const double speedup = sps / base;
        // Efficiency per core used: 1.0 = the added workers' cores scale perfectly.
        const double eff = speedup * base_cores / used;
        const double step = r.at("step_s").get<double>();
        // Per rank: the global batch split as evenly as it goes (32 over 3
        // workers: 11, 11 and 10).
        const long long lo = a.cfg.batch / n, hi = (a.cfg.batch + n - 1) / n;
        const std::string per = lo == hi ? std::to_string(lo)
                                         : std::to_string(hi) + "-" + std::to_string(lo);
        std::printf("%7d %9d %10s %10.3f %9.3f %11.2f %8.2fx %10.0f%%\n", n, threads,
                    per.c_str(), step, 1.0 / step, sps, speedup, 100.0 * eff);
        r["speedup"] = speedup;
        r["efficiency"] = eff;
        r["cores_used"] = used;
        rows.push_back(r);
    }
    std::printf("speed-up: samples/s against %d worker(s) in this command; efficiency: speed-up "
                "x cores of the first row / cores used (1 worker per core at most)\n",
                a.nproc.front());
    if (!a.json.empty()) {
        json out = { { "bench", "train" },
                     { "leads", a.cfg.leads },
                     { "width", a.cfg.width },
                     { "d_model", a.cfg.d_model },
                     { "batch", a.cfg.batch },
                     { "steps", a.cfg.steps },
                     { "device", a.cfg.device },
                     { "cores", cores },
                     { "rows", rows } };
        write_atomically(a.json, out.dump(1) + "\n");
    }
    return 0;
}

} // namespace

void add_train_bench_commands(Cli& cli)
{
    auto a = std::make_shared<BenchTrainArgs>();
    auto* b = cli.bench->add_subcommand(
        "train", "Training steps/s of the training loop with 1, 2, ... data-parallel workers "
                 "(c10d) on this host: speed-up and scaling efficiency");
    b->add_option("--nproc", a->nproc, "Worker counts to compare (the first is the baseline)")
        ->delimiter(',')
        ->check(int_range(1, 256))
        ->capture_default_str();
    b->add_option("--leads", a->cfg.leads)->check(int_range(1, 64))->capture_default_str();
    b->add_option("--width", a->cfg.width, "TSRNet width (32 = the paper's)")
        ->check(int_range(1, 256))
        ->capture_default_str();
    b->add_option("--d-model", a->cfg.d_model)->check(int_range(1, 1024))->capture_default_str();
    b->add_option("--batch", a->cfg.batch, "Global batch (split across the workers)")
        ->check(int_range(1, 4096))
        ->capture_default_str();
    b->add_option("--steps", a->cfg.steps, "Timed steps")->check(int_range(1, 100000))
        ->capture_default_str();
    b->add_option("--warmup", a->cfg.warmup, "Untimed steps first (at least 1: the clock starts "
                                             "after the last)")
        ->check(int_range(1, 1000))
        ->capture_default_str();
    b->add_option("--threads", a->cfg.threads,
                  "Intra-op threads per worker (0 = the cores shared among the workers)")
        ->check(int_range(0, kMaxThreads))
        ->capture_default_str();
    b->add_option("--device", a->cfg.device)->check(kDeviceName)->capture_default_str();
    b->add_option("--json", a->json, "Rows as JSON");
    b->add_option("--result", a->result, "(internal: a worker's result file)")->group("");
    cli.on(b, [a] {
        for (int n : a->nproc)
            if (a->cfg.batch < n)
                throw std::invalid_argument("bench train: expected --batch >= every worker "
                                            "count, found batch " +
                                            std::to_string(a->cfg.batch) + " and " +
                                            std::to_string(n) + " workers");
        return a->result.empty() ? bench(*a) : worker(*a);
    });
}

} // namespace apps
} // namespace tfmed
