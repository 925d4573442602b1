/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/train/runtime.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tfmed {
namespace train {

void set_threads(int threads)
{
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    if (threads < 0 || threads > static_cast<int>(4 * hw))
        throw std::invalid_argument("threads: expected 0 (all cores) to " +
                                    std::to_string(4 * hw) + ", found " +
                                    std::to_string(threads));
    at::set_num_threads(threads > 0 ? threads : static_cast<int>(hw));
}

void keep_freed_memory()
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

} // namespace train
} // namespace tfmed
