/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/engine/serve.h>
#include <tfmed/models/model_file.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace tfmed {
namespace engine {

namespace {
std::mutex& registry_mutex()
{
    static std::mutex m;
    return m;
}
std::map<std::string, std::weak_ptr<void>>& registry()
{
    static std::map<std::string, std::weak_ptr<void>> r;
    return r;
}
} // namespace

std::shared_ptr<void> shared_server(const std::string& key,
                                    const std::function<std::shared_ptr<void>()>& make)
{
    // Loading under the lock: two blocks asking for the same model at once
    // get one server, not two.
    std::lock_guard<std::mutex> lk(registry_mutex());
    auto& r = registry();
    for (auto it = r.begin(); it != r.end();)
        it = it->second.expired() ? r.erase(it) : std::next(it);
    auto it = r.find(key);
    if (it != r.end())
        if (auto s = it->second.lock())
            return s;
    auto s = make();
    r[key] = s;
    return s;
}

std::vector<std::string> shared_server_keys()
{
    std::lock_guard<std::mutex> lk(registry_mutex());
    std::vector<std::string> keys;
    for (const auto& [k, w] : registry())
        if (!w.expired())
            keys.push_back(k);
    return keys;
}

bool tune_allocator()
{
    static const bool tuned = [] {
        bool changed = false;
#ifdef __GLIBC__
        // LibTorch allocates and frees its activations (tens to hundreds of
        // MB) on every batch. glibc's defaults hand such memory back to the
        // kernel at each free (heap trimming above 2 x the dynamic mmap
        // threshold, at most 64 MB), so the next batch faults every page in,
        // zero-filled, again: batch 32 ran at 0.47x the windows/s of batch 1.
        // And each new thread gets its own arena of 64 MB heaps, which cannot
        // hold them at all: on a worker or scheduler thread every batch maps
        // and unmaps its memory (3x slower). Keep freed memory (the peak of
        // one batch stays resident) and use one arena. The user's
        // MALLOC_TRIM_THRESHOLD_ / MALLOC_ARENA_MAX win.
        if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr)
            changed |= mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
        if (std::getenv("MALLOC_ARENA_MAX") == nullptr)
            changed |= mallopt(M_ARENA_MAX, 1) == 1;
#endif
        return changed;
    }();
    return tuned;
}

std::string service_key(const std::string& model, const std::string& path,
                        const std::string& device, int threads, const std::string& variant,
                        const ServeOptions& o)
{
    return model + "|" + file_digest(path) + "|" + device + "|t" + std::to_string(threads) + "|" +
           variant + "|" + o.key();
}

std::string file_digest(const std::string& path)
{
    // The same words as read_model_file, which a registry hit never reaches.
    if (!std::filesystem::is_regular_file(path))
        throw std::runtime_error(path + ": model file not found");
    std::ifstream f(path, std::ios::binary);
    if (!f)
        throw std::runtime_error(path + ": cannot read the model file");
    uint64_t h = 1469598103934665603ULL;
    std::vector<char> buf(1 << 16);
    while (f) {
        f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        h = models::fnv1a64(buf.data(), static_cast<std::size_t>(f.gcount()), h);
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

} // namespace engine
} // namespace tfmed
