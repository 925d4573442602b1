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
#include <memory>
#include <mutex>
#include <sstream>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace tfmed {
namespace engine {

namespace {

// One key's server, and its loading: loads of one key are serialised (two
// blocks asking for the same model at once get one server, not two), loads
// of other keys run beside it (a 100 MB model on a GPU held up every other
// block's construction while the whole registry was locked).
struct KeySlot {
    std::mutex load_m;          // held while this key's server is made
    std::weak_ptr<void> server; // under registry_mutex()
};
std::mutex& registry_mutex()
{
    static std::mutex m;
    return m;
}
std::map<std::string, std::shared_ptr<KeySlot>>& registry()
{
    static std::map<std::string, std::shared_ptr<KeySlot>> r;
    return r;
}
} // namespace

std::shared_ptr<void> shared_server(const std::string& key,
                                    const std::function<std::shared_ptr<void>()>& make)
{
    std::shared_ptr<KeySlot> slot;
    {
        std::lock_guard<std::mutex> lk(registry_mutex());
        auto& r = registry();
        // A slot someone holds is loading (or about to): it stays.
        for (auto it = r.begin(); it != r.end();)
            it = it->second->server.expired() && it->second.use_count() == 1 ? r.erase(it)
                                                                             : std::next(it);
        auto it = r.find(key);
        if (it == r.end()) // (the slot made before the key goes in: never a null slot)
            it = r.emplace(key, std::make_shared<KeySlot>()).first;
        if (auto live = it->second->server.lock())
            return live;
        slot = it->second;
    }
    std::lock_guard<std::mutex> load(slot->load_m);
    {
        std::lock_guard<std::mutex> lk(registry_mutex()); // made while this one waited?
        if (auto live = slot->server.lock())
            return live;
    }
    auto made = make(); // outside the registry's lock
    std::lock_guard<std::mutex> lk(registry_mutex());
    slot->server = made;
    return made;
}

std::vector<std::string> shared_server_keys()
{
    std::lock_guard<std::mutex> lk(registry_mutex());
    std::vector<std::string> keys;
    for (const auto& [k, s] : registry())
        if (!s->server.expired())
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
    j["queued"] = c.queued;
    j["max_queued"] = c.max_queued;
    j["discarded"] = c.discarded;
    j["busy_s"] = c.busy_s;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string file_digest(const std::string& path)
{
    // The same words as read_model_file, which a registry hit never reaches.
    models::check_model_path(path);
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
