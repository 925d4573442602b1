/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_RUNTIME_H
#define INCLUDED_TFMED_TRAIN_RUNTIME_H

/*!
 * \file
 * \brief Process settings LibTorch on the CPU needs (torch-free header):
 * intra-op threads and the allocator. Debian's LibTorch starts with one
 * thread; both are set deliberately by whoever owns the process.
 */

#include <string>

namespace tfmed {
namespace train {

/*! \brief The most intra-op threads anything here accepts: 4 x the cores (a
 *  typo asking for 100,000 threads is refused, not obeyed). */
int max_threads();

/*! \brief Refuse a thread count outside [lo, max_threads()], naming `who`.
 *  \throws std::invalid_argument "WHO: expected threads from LO to MAX, found N" */
void check_threads(int threads, int lo, const std::string& who);

/*! \brief What 0 threads means: all cores, or the cores divided among
 *  the workers of one host when LOCAL_WORLD_SIZE is set (torchrun,
 *  `tfmed train --nproc`), at least 1. */
int default_threads();

/*! \brief Set LibTorch's intra-op threads: 0 = default_threads()
 *  (check_threads). */
void set_threads(int threads);

/*! \brief Keep freed memory in the heap for reuse (glibc mallopt).
 *
 * LibTorch on the CPU allocates and frees tensors of tens of MB per
 * operation; glibc serves every allocation of 128 KB or more with mmap/munmap
 * (setting a trim threshold also freezes that threshold), so every operation
 * pays page faults (SpecAR-Net at batch 64: 112 s of 160 s in the kernel; a
 * tsrnet_scorer graph: 7x the wall time). This turns mmap allocation and
 * trimming off for the whole process, unless the user's MALLOC_MMAP_MAX_ /
 * MALLOC_TRIM_THRESHOLD_ say otherwise: the peak of one batch stays
 * resident. The `tfmed` tool calls it at start; every engine (and so every
 * model block) calls it through engine::tune_allocator. Idempotent; no-op
 * where the C library is not glibc.
 * \return true when a setting was changed */
bool keep_freed_memory();

} // namespace train
} // namespace tfmed

#endif
