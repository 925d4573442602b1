/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/engine/serve.h>
#include <tfmed/train/runtime.h>
#include <tfmed/models/model_file.h>

#include <nlohmann/json.hpp>

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
        // LibTorch allocates and frees its activations (tens to hundreds of
        // MB) on every batch. With glibc's defaults each of them is mapped
        // and unmapped (allocations over the mmap threshold) or trimmed away
        // at free, so the next batch faults every page in, zero-filled,
        // again, and each new thread gets its own arena of 64 MB heaps,
        // which cannot hold them at all. Measured: a tsrnet_scorer graph at
        // 1/7 of the windows/s (2/3 of it kernel time), TSRNet batch 32 at
        // 0.47x the windows/s of batch 1. Keep freed memory (the one setting,
        // train::keep_freed_memory) and use one arena; MALLOC_ARENA_MAX wins.
        bool changed = train::keep_freed_memory();
#ifdef __GLIBC__
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

std::string serving_json(const std::string& key, const ServeCounters& c)
{
    nlohmann::ordered_json j;
    j["key"] = key;
    j["streams"] = c.streams;
    j["windows"] = c.windows;
    j["batches"] = c.batches;
    j["mean_batch"] = c.mean_batch();
    j["largest_batch"] = c.largest;
    j["max_queued"] = c.max_queued;
    j["discarded"] = c.discarded;
    j["busy_s"] = c.busy_s;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
