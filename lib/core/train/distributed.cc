/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The world a training process joins: c10d's TCPStore for the rendezvous,
 * ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA, when built with it) for
 * the collectives. See tfmed/train/distributed.h.
 */
#include "distributed_ops.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <torch/cuda.h>
// Our own switches (lib/CMakeLists.txt): a pip LibTorch defines USE_C10D_GLOO
// and USE_C10D_NCCL for every consumer but ships no gloo headers. The c10d
// headers read USE_C10D_*, so the one we use is defined for them too.
#ifdef TFMED_C10D_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef TFMED_C10D_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>

namespace tfmed {
namespace train {
namespace dist {

namespace {
std::string fmt_g(double v)
{
    char b[32];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}
} // namespace

void WorldOptions::validate() const
{
    auto fail = [](const std::string& m) { throw std::invalid_argument("distributed: " + m); };
    if (world_size < 1)
        fail("expected a world size >= 1, found " + std::to_string(world_size));
    if (rank < 0 || rank >= world_size)
        fail("expected a rank from 0 to " + std::to_string(world_size - 1) + ", found " +
             std::to_string(rank));
    if (local_rank < 0)
        fail("expected a local rank >= 0, found " + std::to_string(local_rank));
    if (master_port < 1 || master_port > 65535)
        fail("expected a master port from 1 to 65535, found " + std::to_string(master_port));
    if (master_addr.empty())
        fail("expected a master address, found an empty one");
    if (backend != "auto" && backend != "gloo" && backend != "nccl")
        fail("expected backend auto, gloo or nccl, found '" + backend + "'");
    if (!(timeout_s >= 1e-3 && timeout_s <= 1e6))
        fail("expected a timeout from 0.001 to 1e6 s, found " + fmt_g(timeout_s));
    if (!(bucket_mb > 0.0) || !std::isfinite(bucket_mb))
        fail("expected a bucket size > 0 MB, found " + std::to_string(bucket_mb));
}

namespace {

long long env_int(const char* name, long long lo, long long hi, long long fallback, bool required)
{
    const char* v = std::getenv(name);
    if (!v) {
        if (required)
            throw std::invalid_argument(std::string("distributed: expected the environment "
                                                    "variable ") +
                                        name + " (set by torchrun or tfmed train --nproc), "
                                               "found none");
        return fallback;
    }
    char* end = nullptr;
    errno = 0;
    const long long x = std::strtoll(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi)
        throw std::invalid_argument(std::string("distributed: expected ") + name +
                                    " to be an integer from " + std::to_string(lo) + " to " +
                                    std::to_string(hi) + ", found '" + v + "'");
    return x;
}

// The joined world. Collectives go through type-erased calls so that one
// code path serves Gloo and NCCL (and c10d's ProcessGroup/Backend split of
// later LibTorch versions, which keep these member signatures).
struct World {
    WorldOptions opts;
    std::string backend;
    c10::intrusive_ptr<c10d::Store> store;
    std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&, c10d::ReduceOp)>
        allreduce;
    std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)> broadcast;
    std::function<c10::intrusive_ptr<c10d::Work>()> barrier;
    std::function<void()> release;
    torch::Device device = torch::kCPU;
};

std::mutex g_mutex;
std::unique_ptr<World> g_world;
WorldOptions g_single; // the options of a world of one (or none)

World& world()
{
    if (!g_world)
        throw std::logic_error("distributed: no world joined (call dist::init first)");
    return *g_world;
}

// The collectives of one process group type (Gloo, NCCL), type-erased.
template <class PG>
void bind(World& W, c10::intrusive_ptr<PG> pg)
{
    W.allreduce = [pg](std::vector<at::Tensor>& t, c10d::ReduceOp op) {
        c10d::AllreduceOptions ao;
        ao.reduceOp = op;
        return pg->allreduce(t, ao);
    };
    W.broadcast = [pg](std::vector<at::Tensor>& t) { return pg->broadcast(t); };
    W.barrier = [pg] { return pg->barrier(); };
    W.release = [pg]() mutable { pg.reset(); };
}

// An exception's message without LibTorch's backtrace.
std::string plain(const std::exception& e)
{
    std::string m = e.what();
    const auto bt = m.find("\nException raised from ");
    if (bt != std::string::npos)
        m.erase(bt);
    return m;
}

[[noreturn]] void fail_collective(const std::string& what, const std::exception& e)
{
    const auto& o = g_world ? g_world->opts : g_single;
    const std::string m = plain(e);
    throw std::runtime_error(
        "distributed: rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size) +
        " (" + (g_world ? g_world->backend : std::string("?")) + "): " + what +
        " failed: " + m + ". A peer worker exited or did not answer within " +
        fmt_g(o.timeout_s) +
        " s (TFMED_DIST_TIMEOUT / --dist-timeout); this worker stops too. The last complete "
        "checkpoint is kept; resume with the same or another number of workers.");
}

template <class F>
auto guarded(const std::string& what, F&& f) -> decltype(f())
{
    try {
        return f();
    } catch (const std::exception& e) {
        fail_collective(what, e);
    }
}

void run_and_wait(const std::string& what,
                  const std::function<c10::intrusive_ptr<c10d::Work>()>& issue)
{
    guarded(what, [&] {
        auto w = issue();
        w->wait();
        return 0;
    });
}

} // namespace

WorldOptions world_from_environment(bool* found)
{
    const bool present = std::getenv("WORLD_SIZE") != nullptr;
    if (found)
        *found = present;
    WorldOptions w;
    if (!present)
        return w;
    w.world_size = static_cast<int>(env_int("WORLD_SIZE", 1, 1 << 20, 1, true));
    w.rank = static_cast<int>(env_int("RANK", 0, w.world_size - 1, 0, true));
    w.local_rank = static_cast<int>(env_int("LOCAL_RANK", 0, 1 << 20, w.rank, false));
    if (const char* a = std::getenv("MASTER_ADDR"))
        w.master_addr = a;
    else if (w.world_size > 1)
        throw std::invalid_argument("distributed: expected the environment variable "
                                    "MASTER_ADDR (the host of rank 0) for WORLD_SIZE " +
                                    std::to_string(w.world_size) + ", found none");
    w.master_port = static_cast<int>(env_int("MASTER_PORT", 1, 65535, 29500, w.world_size > 1));
    if (const char* t = std::getenv("TFMED_DIST_TIMEOUT")) {
        char* end = nullptr;
        const double s = std::strtod(t, &end);
        if (!*t || *end || !(s >= 1e-3 && s <= 1e6))
            throw std::invalid_argument(std::string("distributed: expected TFMED_DIST_TIMEOUT "
                                                    "in seconds from 0.001 to 1e6, found '") +
                                        t + "'");
        w.timeout_s = s;
    }
    w.validate();
    return w;
}

void init(const WorldOptions& w, const std::string& device)
{
    w.validate();
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_world)
        throw std::logic_error("distributed: this process already joined a world (rank " +
                               std::to_string(g_world->opts.rank) + " of " +
                               std::to_string(g_world->opts.world_size) + ")");
    g_single = w;
    if (w.world_size == 1)
        return; // nothing to talk to: the loop runs as one process
    // "auto": this worker's GPU (cuda:LOCAL_RANK mod the devices) when there is one.
    torch::Device dev(torch::kCPU);
    if (device == "auto") {
        const auto n = static_cast<int>(torch::cuda::device_count());
        if (n > 0)
            dev = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(w.local_rank % n));
    } else {
        dev = torch::Device(device);
        // "cuda" without an index: this worker's GPU, as parse_device puts the
        // model there (else every rank's small collectives land on GPU 0).
        if (dev.is_cuda() && !dev.has_index()) {
            const auto n = static_cast<int>(torch::cuda::device_count());
            if (n < 1)
                throw std::invalid_argument("distributed: device " + device +
                                            " asked for, but no CUDA device is visible");
            dev = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(w.local_rank % n));
        }
    }
    if (dev.is_cuda()) // the current device too: NCCL's communicators and streams follow it
        c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA).setDevice(dev);
    std::string be = w.backend;
    if (be == "auto")
        be = dev.is_cuda() ? "nccl" : "gloo";
#ifndef TFMED_C10D_NCCL
    if (be == "nccl") {
        if (w.backend == "auto")
            be = "gloo"; // Gloo moves CUDA tensors too, through the host
        else
            throw std::invalid_argument("distributed: backend nccl asked for, but this build of "
                                        "gr-tfmed has no NCCL (it needs a CUDA LibTorch); use "
                                        "gloo");
    }
#endif
    // Whole milliseconds, rounded up (validate() keeps it within 1 ms .. 1e6 s;
    // c10d reads 0 ms as "no timeout").
    const auto timeout =
        std::chrono::milliseconds(static_cast<long long>(std::ceil(w.timeout_s * 1000)));
    auto world_ptr = std::make_unique<World>();
    World& W = *world_ptr;
    W.opts = w;
    W.backend = be;
    W.device = dev;
    const std::string where = w.master_addr + ":" + std::to_string(w.master_port);
    try {
        c10d::TCPStoreOptions so;
        so.port = static_cast<std::uint16_t>(w.master_port);
        so.isServer = w.rank == 0;
        so.numWorkers = static_cast<std::size_t>(w.world_size);
        so.waitWorkers = true;
        so.timeout = timeout;
        W.store = c10::make_intrusive<c10d::TCPStore>(w.master_addr, so);
    } catch (const std::exception& e) {
        const std::string m = plain(e);
        throw std::runtime_error("distributed: rank " + std::to_string(w.rank) + " of " +
                                 std::to_string(w.world_size) + ": the rendezvous at " + where +
                                 (w.rank == 0 ? " (served by this rank)" : "") +
                                 " failed within " + fmt_g(w.timeout_s) + " s: " + m);
    }
    try {
        if (be == "gloo") {
#ifdef TFMED_C10D_GLOO
            auto o = c10d::ProcessGroupGloo::Options::create(timeout);
            if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
                o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
            else if (w.master_addr == "127.0.0.1" || w.master_addr == "localhost")
                o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
            else
                o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            o->threads = 2;
            auto pg =
                c10::make_intrusive<c10d::ProcessGroupGloo>(W.store, w.rank, w.world_size, o);
            bind(W, pg);
#else
            throw std::runtime_error("this build of gr-tfmed has no c10d Gloo (configure it "
                                     "with the gloo headers: Debian's libgloo-dev)");
#endif
        } else {
#ifdef TFMED_C10D_NCCL
            // NCCL's wait() only orders streams unless blocking wait is on:
            // a dead or stuck peer then hangs a copy to the CPU (or ends the
            // process from the watchdog) instead of throwing here, where the
            // failure is named. Set unless the user chose either way (the
            // name of LibTorch 2.2 on; older ones read NCCL_BLOCKING_WAIT).
            if (!std::getenv("TORCH_NCCL_BLOCKING_WAIT") && !std::getenv("NCCL_BLOCKING_WAIT"))
                ::setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
            auto o = c10d::ProcessGroupNCCL::Options::create();
            o->timeout = timeout;
            auto pg =
                c10::make_intrusive<c10d::ProcessGroupNCCL>(W.store, w.rank, w.world_size, o);
            bind(W, pg);
#endif
        }
    } catch (const std::exception& e) {
        const std::string m = plain(e);
        throw std::runtime_error("distributed: rank " + std::to_string(w.rank) + " of " +
                                 std::to_string(w.world_size) + ": could not start the " + be +
                                 " process group (rendezvous " + where + "): " + m);
    }
    g_world = std::move(world_ptr);
}

void shutdown(bool barrier_first)
{
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_world) {
        g_single = WorldOptions{};
        return;
    }
    if (barrier_first) {
        try {
            g_world->barrier()->wait();
        } catch (const std::exception&) {
            // a peer already gone: leaving is all that is left to do
        }
    }
    g_world->release();
    g_world.reset();
    g_single = WorldOptions{};
}

bool active() { return g_world != nullptr; }
int rank() { return g_world ? g_world->opts.rank : 0; }
int world_size() { return g_world ? g_world->opts.world_size : 1; }
int local_rank() { return g_world ? g_world->opts.local_rank : g_single.local_rank; }
bool is_writer() { return rank() == 0; }
std::string backend() { return g_world ? g_world->backend : std::string(); }
const WorldOptions& options() { return g_world ? g_world->opts : g_single; }

// ---------------------------------------------------------------- collectives

void broadcast_module(torch::nn::Module& net, bool buffers_only, const std::string& what)
{
    if (!g_world)
        return;
    torch::NoGradGuard ng;
    std::vector<torch::Tensor> ts;
    if (!buffers_only)
        for (auto& p : net.parameters())
            ts.push_back(p);
    for (auto& b : net.buffers())
        ts.push_back(b);
    for (auto& t : ts) {
        if (!t.defined() || t.numel() == 0)
            continue;
        // Broadcast in place where the tensor is contiguous; otherwise through a copy.
        std::vector<at::Tensor> one{ t.is_contiguous() ? t : t.contiguous() };
        run_and_wait(what, [&] { return world().broadcast(one); });
        if (!t.is_contiguous())
            t.copy_(one[0]);
    }
}

void allreduce_gradients(torch::nn::Module& net, double weight, const std::string& what)
{
    if (!g_world) {
        if (weight != 1.0) {
            torch::NoGradGuard ng;
            for (auto& p : net.parameters())
                if (p.grad().defined())
                    p.mutable_grad().mul_(weight);
        }
        return;
    }
    torch::NoGradGuard ng;
    auto params = net.parameters();
    // Which parameters have a gradient on any rank.
    auto has = torch::zeros({ static_cast<int64_t>(params.size()) }, torch::kFloat64);
    {
        auto* h = has.data_ptr<double>();
        for (std::size_t i = 0; i < params.size(); ++i)
            h[i] = params[i].grad().defined() ? 1.0 : 0.0;
    }
    {
        std::vector<at::Tensor> one{ has.to(world().device) };
        run_and_wait(what, [&] { return world().allreduce(one, c10d::ReduceOp::SUM); });
        has = one[0].to(torch::kCPU);
    }
    const auto* h = has.data_ptr<double>();
    // Buckets of gradients with the same dtype and device, in parameter order.
    const double cap = options().bucket_mb * 1024.0 * 1024.0;
    struct Bucket {
        std::vector<torch::Tensor> grads;
        double bytes = 0.0;
    };
    std::vector<Bucket> buckets;
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (h[i] == 0.0)
            continue; // no rank has one: stays undefined, as in one process
        auto& p = params[i];
        if (!p.grad().defined())
            p.mutable_grad() = torch::zeros_like(p);
        auto g = p.grad();
        const double bytes = static_cast<double>(g.numel() * g.element_size());
        if (buckets.empty() || buckets.back().bytes + bytes > cap ||
            buckets.back().grads.front().scalar_type() != g.scalar_type() ||
            buckets.back().grads.front().device() != g.device())
            buckets.emplace_back();
        buckets.back().grads.push_back(g);
        buckets.back().bytes += bytes;
    }
    std::vector<std::vector<at::Tensor>> flat(buckets.size());
    std::vector<c10::intrusive_ptr<c10d::Work>> works(buckets.size());
    guarded(what, [&] {
        for (std::size_t b = 0; b < buckets.size(); ++b) {
            std::vector<torch::Tensor> views;
            for (auto& g : buckets[b].grads)
                views.push_back(g.reshape({ -1 }));
            auto f = torch::cat(views);
            if (weight != 1.0)
                f.mul_(weight);
            flat[b] = { f };
            works[b] = world().allreduce(flat[b], c10d::ReduceOp::SUM);
        }
        for (auto& w : works)
            w->wait();
        return 0;
    });
    for (std::size_t b = 0; b < buckets.size(); ++b) {
        int64_t off = 0;
        for (auto& g : buckets[b].grads) {
            const int64_t n = g.numel();
            g.copy_(flat[b][0].narrow(0, off, n).view_as(g));
            off += n;
        }
    }
}

namespace {
// A float64 vector through one collective on the world's device.
std::vector<double> doubles_through(const std::vector<double>& v, const std::string& what,
                                    bool reduce)
{
    if (!g_world || v.empty())
        return v;
    auto t = torch::from_blob(const_cast<double*>(v.data()), { static_cast<int64_t>(v.size()) },
                              torch::kFloat64)
                 .to(world().device, /*non_blocking=*/false, /*copy=*/true);
    std::vector<at::Tensor> one{ t };
    run_and_wait(what, [&] {
        return reduce ? world().allreduce(one, c10d::ReduceOp::SUM) : world().broadcast(one);
    });
    auto c = one[0].to(torch::kCPU).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}
} // namespace

std::vector<double> allreduce_sum(const std::vector<double>& v, const std::string& what)
{
    return doubles_through(v, what, true);
}

std::vector<double> broadcast(const std::vector<double>& v, const std::string& what)
{
    return doubles_through(v, what, false);
}

std::string broadcast_bytes(const std::string& bytes, const std::string& what)
{
    if (!g_world)
        return bytes;
    const auto n = broadcast({ static_cast<double>(bytes.size()) }, what)[0];
    const auto len = static_cast<int64_t>(n);
    if (len == 0)
        return {};
    auto t = torch::empty({ len }, torch::kUInt8);
    if (rank() == 0)
        std::memcpy(t.data_ptr(), bytes.data(), static_cast<std::size_t>(len));
    std::vector<at::Tensor> one{ t.to(world().device) };
    run_and_wait(what, [&] { return world().broadcast(one); });
    auto c = one[0].to(torch::kCPU).contiguous();
    return std::string(static_cast<const char*>(c.data_ptr()), static_cast<std::size_t>(len));
}

Comparison compare_with_rank0(const std::string& mine, const std::string& what)
{
    Comparison c;
    c.rank0 = broadcast_bytes(mine, what);
    if (!g_world)
        return c;
    const int W = world_size(), R = rank();
    // Per rank: whether it differs, and its text's length.
    std::vector<double> v(static_cast<std::size_t>(2 * W), 0.0);
    v[static_cast<std::size_t>(R)] = c.rank0 == mine ? 0.0 : 1.0;
    v[static_cast<std::size_t>(W + R)] = static_cast<double>(mine.size());
    v = allreduce_sum(v, what);
    for (int r = 0; r < W; ++r)
        if (v[static_cast<std::size_t>(r)] > 0.0) {
            ++c.differing;
            if (c.first < 0)
                c.first = r;
        }
    if (c.first < 0)
        return c;
    // The first differing rank's text, byte by byte (as exact doubles).
    std::vector<double> b(static_cast<std::size_t>(v[static_cast<std::size_t>(W + c.first)]), 0.0);
    if (R == c.first)
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = static_cast<unsigned char>(mine[i]);
    b = allreduce_sum(b, what);
    for (double x : b)
        c.other.push_back(static_cast<char>(static_cast<unsigned char>(x)));
    return c;
}

void barrier(const std::string& what)
{
    if (!g_world)
        return;
    run_and_wait(what, [&] { return world().barrier(); });
}

} // namespace dist
} // namespace train
} // namespace tfmed
