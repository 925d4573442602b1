/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/train/runtime.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace tfmed {
namespace train {

namespace {
// The cores this process may run on: under `taskset -c 0` (or a container's
// CPU set) one, where hardware_concurrency() counts the machine's.
int cores()
{
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
#endif
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}
} // namespace

// The cap stays the machine's (a process may be pinned to fewer cores and
// still ask for more threads); the default follows the affinity.
int max_threads() { return 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

void check_threads(int threads, int lo, const std::string& who)
{
    if (threads < lo || threads > max_threads())
        throw std::invalid_argument(who + ": expected threads from " + std::to_string(lo) +
                                    (lo == 0 ? " (all cores)" : "") + " to " +
                                    std::to_string(max_threads()) + " (4 x the cores), found " +
                                    std::to_string(threads));
}

int default_threads()
{
    // Workers started together on one host (torchrun and `tfmed train --nproc`
    // set LOCAL_WORLD_SIZE) share its cores instead of each taking all.
    int local = 1;
    if (const char* v = std::getenv("LOCAL_WORLD_SIZE"); v && *v) { // empty: unset
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(v, &end, 10);
        // "4x" or 0 read as 1: every worker then took all the cores.
        if (*end || errno || n < 1 || n > 65536)
            throw std::invalid_argument("LOCAL_WORLD_SIZE: expected the workers on this host, "
                                        "1 .. 65536, found '" + std::string(v) + "'");
        local = static_cast<int>(n);
    }
    return std::max(1, cores() / local);
}

void set_threads(int threads)
{
    check_threads(threads, 0, "threads");
    at::set_num_threads(threads > 0 ? threads : default_threads());
}

bool keep_freed_memory()
{
    bool changed = false;
#if defined(__GLIBC__)
    // The user's MALLOC_MMAP_MAX_ / MALLOC_TRIM_THRESHOLD_ win.
    if (std::getenv("MALLOC_MMAP_MAX_") == nullptr)
        changed |= mallopt(M_MMAP_MAX, 0) == 1;
    if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr)
        changed |= mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
#endif
    return changed;
}

} // namespace train
} // namespace tfmed
