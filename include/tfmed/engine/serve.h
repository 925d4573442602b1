/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_ENGINE_SERVE_H
#define INCLUDED_TFMED_ENGINE_SERVE_H

/*!
 * \file
 * \brief Serving: the process-wide registry of shared batch servers
 * (batch_server.h), the model services' keys and counters, and the
 * allocator settings the engines run under.
 */

#include <tfmed/engine/batch_server.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tfmed {
namespace engine {

/*!
 * \brief The process-wide registry of shared servers: the live server for
 * `key`, or `make()`'s result, registered under `key` while anyone holds it.
 * The key should name what makes two servers interchangeable (the model
 * file's content digest, device, threads, gate, ServeOptions::key()).
 * Callers asking for one key while its server is being made wait for it
 * and share it; `make()` runs without the registry's lock, so servers of
 * other keys are made, found and reported meanwhile. A `make()` that throws
 * registers nothing (the next caller makes it again).
 */
std::shared_ptr<void> shared_server(const std::string& key,
                                    const std::function<std::shared_ptr<void>()>& make);

/*!
 * \brief A service's counters as one JSON object: key, streams, windows,
 * batches, mean_batch, largest_batch, max_queued, discarded, busy_s (in
 * that order).
 * Numbers do not follow the C locale (a Qt application's setlocale(LC_ALL,
 * "") wrote "1,500" under de_DE), the key is escaped.
 */
std::string serving_json(const std::string& key, const ServeCounters& c);

/*!
 * \brief The registry key of a model service: "model|file digest|device|tN|
 * variant|batching" (two blocks share an engine when their keys are equal).
 * `device` should be the resolved device ("cpu", "cuda:0"): "auto", "cuda"
 * and "cuda:0" naming one GPU then share an engine.
 * \throws std::runtime_error "PATH: model file not found" (or cannot be read)
 */
std::string service_key(const std::string& model, const std::string& path,
                        const std::string& device, int threads, const std::string& variant,
                        const ServeOptions& o);

/*!
 * \brief A service (engine + server; a struct with a `key` member) made by
 * `make()`: with `shared`, the registry's one under `key` (made on first
 * use, its `key` set); otherwise a private one (empty key).
 */
template <typename Service, typename Make>
std::shared_ptr<Service> open_service(bool shared, const std::string& key, Make&& make)
{
    if (!shared)
        return make();
    return std::static_pointer_cast<Service>(shared_server(key, [&] {
        std::shared_ptr<Service> svc = make();
        svc->key = key;
        return std::static_pointer_cast<void>(svc);
    }));
}

/*! \brief Keys of the servers alive now (for `serving` reports and tests). */
std::vector<std::string> shared_server_keys();

/*!
 * \brief Keep LibTorch's freed activations for the next batch: no mmap
 * allocation, M_TRIM_THRESHOLD = 1 GiB (train::keep_freed_memory) and one
 * malloc arena, each unless the user's MALLOC_MMAP_MAX_,
 * MALLOC_TRIM_THRESHOLD_ or MALLOC_ARENA_MAX is set.
 *
 * \details With glibc's defaults every batch maps or faults its activations
 * in afresh, and a new thread's arena (64 MB heaps) cannot hold them at all.
 * Measured: a tsrnet_scorer graph ran at 1/7 of the windows/s with only the
 * trim and arena settings (every activation over 128 KB mapped and unmapped,
 * two thirds of the time in the kernel); TSRNet batch 32 at 0.47x the
 * windows/s of batch 1. The cost: the peak of one batch stays resident.
 * Process-wide and idempotent; every engine calls it when it loads a model,
 * so a GNU Radio flowgraph with a model block gets it too.
 * \return true when a setting was changed
 */
bool tune_allocator();

/*! \brief FNV-1a 64 of a file's bytes, as 16 hex digits (part of registry keys).
 *  \throws std::runtime_error "PATH: model file not found" (or cannot be read) */
std::string file_digest(const std::string& path);

} // namespace engine
} // namespace tfmed

#endif
