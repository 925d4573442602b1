/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
// The dynamic batcher (engine/serve.h) with a stand-in network: results go
// back to the right stream in submission order, batches never exceed
// max_batch and form across streams, a full queue refuses windows, a batch
// that throws flags its windows, a dropped stream's windows do not disturb
// the others, and the registry shares a server by key.
#include <tfmed/engine/serve.h>

#include <gtest/gtest.h>

#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <new>
#include <stdexcept>
#include <thread>

namespace {

using namespace tfmed::engine;
using namespace std::chrono_literals;

struct Out {
    float sum = 0.0f;    // of the window's floats
    int64_t batch = 0;   // size of the batch it ran in
    std::string error;
};

constexpr int64_t kW = 3; // floats per window

// A network that sums each window and records its batch size; `gate` holds a
// batch until the test opens it.
struct Net {
    std::atomic<bool> open{ true };
    std::atomic<int> calls{ 0 };
    std::shared_ptr<BatchServer<Out>> make(ServeOptions o)
    {
        return std::make_shared<BatchServer<Out>>(
            kW, o,
            [this](const float* x, int64_t n, Out* out) {
                while (!open.load())
                    std::this_thread::sleep_for(1ms);
                ++calls;
                for (int64_t i = 0; i < n; ++i) {
                    if (x[i * kW] < 0)
                        throw std::runtime_error("negative window");
                    out[i] = Out{ x[i * kW] + x[i * kW + 1] + x[i * kW + 2], n, "" };
                }
            },
            [](const std::string& what) { return Out{ -1.0f, 0, what }; });
    }
};

std::vector<float> window_of(float v) { return { v, 2 * v, 3 * v }; }

// Take everything a stream has, waiting up to 2 s for each result.
std::vector<std::pair<uint64_t, Out>> drain(BatchServer<Out>::Stream& s)
{
    std::vector<std::pair<uint64_t, Out>> got;
    while (s.in_flight() > 0) {
        EXPECT_TRUE(s.wait_ready(2000ms)) << "no result within 2 s";
        Out o;
        uint64_t id = 0;
        BatchServer<Out>::clock::time_point t0, t1;
        if (!s.take(o, id, t0, t1))
            break;
        EXPECT_LE(t0, t1);
        got.emplace_back(id, o);
    }
    return got;
}

} // namespace

TEST(Serve, ResultsReturnToTheirStreamInOrder)
{
    Net net;
    ServeOptions o;
    o.max_batch = 5;
    o.max_wait_ms = 50;
    o.queue = 16;
    auto srv = net.make(o);
    std::vector<std::shared_ptr<BatchServer<Out>::Stream>> streams;
    for (int s = 0; s < 3; ++s)
        streams.push_back(srv->open());
    net.open = false; // hold the first batch so that the rest queue up
    for (int k = 0; k < 12; ++k)
        for (int s = 0; s < 3; ++s) {
            const auto w = window_of(100.0f * s + k);
            ASSERT_TRUE(streams[s]->try_submit(w.data(), 1000 * s + k));
        }
    net.open = true;
    for (int s = 0; s < 3; ++s) {
        const auto got = drain(*streams[s]);
        ASSERT_EQ(got.size(), 12u);
        for (int k = 0; k < 12; ++k) {
            EXPECT_EQ(got[k].first, static_cast<uint64_t>(1000 * s + k));
            EXPECT_FLOAT_EQ(got[k].second.sum, 6.0f * (100.0f * s + k));
            EXPECT_GE(got[k].second.batch, 1);
            EXPECT_LE(got[k].second.batch, 5);
        }
    }
    const auto c = srv->counters();
    EXPECT_EQ(c.windows, 36u);
    EXPECT_EQ(c.streams, 3u);
    EXPECT_EQ(c.largest, 5u);       // 35 windows were queued behind the held batch
    EXPECT_LE(c.batches, 36u / 5 + 2); // full batches, apart from the first and the last
    EXPECT_EQ(c.queued, 0u);
    EXPECT_NEAR(c.mean_batch(), 36.0 / c.batches, 1e-12);
}

TEST(Serve, AFullQueueRefusesWindows)
{
    Net net;
    ServeOptions o;
    o.max_batch = 2;
    o.max_wait_ms = 0;
    o.queue = 4;
    auto srv = net.make(o);
    auto s = srv->open();
    net.open = false;
    const auto w = window_of(1.0f);
    for (int k = 0; k < 4; ++k)
        ASSERT_TRUE(s->try_submit(w.data(), k));
    EXPECT_EQ(s->room(), 0);
    EXPECT_FALSE(s->try_submit(w.data(), 4)); // refused, nothing queued
    EXPECT_EQ(s->in_flight(), 4);
    net.open = true;
    const auto got = drain(*s);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got.back().first, 3u);
    EXPECT_EQ(s->room(), 4);
    EXPECT_LE(srv->counters().max_queued, 4u);
}

TEST(Serve, AThrowingBatchFlagsItsWindows)
{
    Net net;
    ServeOptions o;
    o.max_batch = 1;
    auto srv = net.make(o);
    auto s = srv->open();
    const auto good = window_of(2.0f), bad = window_of(-1.0f);
    ASSERT_TRUE(s->try_submit(good.data(), 0));
    ASSERT_TRUE(s->try_submit(bad.data(), 1));
    ASSERT_TRUE(s->try_submit(good.data(), 2));
    const auto got = drain(*s);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_FLOAT_EQ(got[0].second.sum, 12.0f);
    EXPECT_EQ(got[1].second.error, "negative window");
    EXPECT_FLOAT_EQ(got[2].second.sum, 12.0f); // the worker goes on
}

TEST(Serve, MaxWaitFlushesAPartialBatch)
{
    Net net;
    ServeOptions o;
    o.max_batch = 64;
    o.max_wait_ms = 20;
    auto srv = net.make(o);
    auto s = srv->open();
    const auto w = window_of(1.0f);
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(s->try_submit(w.data(), 7));
    const auto got = drain(*s);
    const double waited =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].second.batch, 1); // alone: the batch did not wait for 63 more
    EXPECT_GE(waited, 19.0);           // but it did wait max_wait_ms for them
}

// With every open stream's ring queued no fuller batch can come: the worker
// takes it at once (one stream, queue 4, max_batch 16 waited max_wait_ms,
// here 10 s, for every batch).
// One stream whose ring (queue 4) is full with windows 0..3, on a server
// that would wait 10 s for a batch of 16.
struct FullRing {
    Net net;
    std::shared_ptr<BatchServer<Out>> srv;
    std::shared_ptr<BatchServer<Out>::Stream> s;
    const std::vector<float> w = window_of(1.0f);
    FullRing()
    {
        ServeOptions o;
        o.max_batch = 16;
        o.max_wait_ms = 10000;
        o.queue = 4;
        srv = net.make(o);
        s = srv->open();
        for (int k = 0; k < 4; ++k)
            EXPECT_TRUE(s->try_submit(w.data(), k));
    }
};

TEST(Serve, AFullRingIsABatchWithoutWaiting)
{
    FullRing f;
    const auto got = drain(*f.s); // each result within 2 s, not 10
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got.back().second.batch, 4);
}

// A second stream that is idle (its block finished, stopped or never ran)
// cannot add a window: the full ring of the first is a batch at once, not
// after max_wait_ms (10 s). Active again, it counts again.
TEST(Serve, IdleStreamsDoNotHoldBatchesBack)
{
    Net net;
    ServeOptions o;
    o.max_batch = 16;
    o.max_wait_ms = 10000;
    o.queue = 4;
    auto srv = net.make(o);
    auto s = srv->open();
    auto other = srv->open();
    other->set_idle(true);
    EXPECT_TRUE(other->idle());
    const auto w = window_of(1.0f);
    for (int k = 0; k < 4; ++k)
        ASSERT_TRUE(s->try_submit(w.data(), k));
    const auto got = drain(*s); // each result within 2 s, not 10
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got.back().second.batch, 4);

    // Active again, its room counts: the first stream's full ring waits.
    other->set_idle(false);
    for (int k = 0; k < 4; ++k)
        ASSERT_TRUE(s->try_submit(w.data(), 10 + k));
    EXPECT_FALSE(s->wait_ready(300ms));
    other.reset(); // closed: nothing more can come, the batch goes at once
    const auto last = drain(*s);
    ASSERT_EQ(last.size(), 4u);
    EXPECT_EQ(last[0].first, 10u);
    EXPECT_EQ(last.back().second.batch, 4);
}

// The error result's builder may throw as well (bad_alloc): that escaped the
// worker thread and ended the process, every stream with it. The windows now
// get the error result built when the server was made, never a default one
// (a TSRNet score of 0 would read as "normal").
TEST(Serve, AThrowingErrorBuilderStillFlagsTheWindows)
{
    ServeOptions o;
    o.max_batch = 2;
    int built = 0;
    auto srv = std::make_shared<BatchServer<Out>>(
        kW, o, [](const float*, int64_t, Out*) { throw std::runtime_error("batch failed"); },
        [&built](const std::string& what) -> Out {
            if (built++ > 0) // the first, at construction, succeeds
                throw std::bad_alloc();
            return Out{ -1.0f, 0, what };
        });
    auto s = srv->open();
    const auto w = window_of(1.0f);
    ASSERT_TRUE(s->try_submit(w.data(), 0));
    ASSERT_TRUE(s->try_submit(w.data(), 1));
    const auto got = drain(*s);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].second.error, "inference failed");
    EXPECT_EQ(got[1].second.error, "inference failed");
    EXPECT_EQ(got[1].first, 1u);
}

// Results not yet taken hold their slots too: with one stream's ring in use
// (2 results waiting, 2 windows queued) no fuller batch can come.
TEST(Serve, ResultsNotTakenCountAsARingInUse)
{
    FullRing f;
    auto& s = f.s;
    auto& srv = f.srv;
    const auto& w = f.w;
    ASSERT_TRUE(s->wait_ready(2000ms));
    Out first;
    uint64_t id = 0;
    BatchServer<Out>::clock::time_point t0, t1;
    ASSERT_TRUE(s->take(first, id, t0, t1));
    ASSERT_TRUE(s->take(first, id, t0, t1)); // 2 of the first batch still untaken
    ASSERT_TRUE(s->try_submit(w.data(), 4));
    ASSERT_TRUE(s->try_submit(w.data(), 5));
    // The second batch runs with the two results still untaken (taking them
    // first would give the stream room again, and a fuller batch could come).
    const auto t_end = std::chrono::steady_clock::now() + 2s;
    while (srv->counters().batches < 2 && std::chrono::steady_clock::now() < t_end)
        std::this_thread::sleep_for(1ms);
    EXPECT_EQ(srv->counters().batches, 2u) << "the second batch waited for windows that "
                                              "could not come";
    const auto got = drain(*s);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got.back().first, 5u);
    EXPECT_EQ(got.back().second.batch, 2);
}

TEST(Serve, ADroppedStreamLeavesTheOthersAlone)
{
    Net net;
    ServeOptions o;
    o.max_batch = 4;
    o.max_wait_ms = 1;
    o.queue = 8;
    auto srv = net.make(o);
    auto keep = srv->open();
    auto drop = srv->open();
    net.open = false;
    const auto w = window_of(1.0f);
    for (int k = 0; k < 8; ++k) {
        ASSERT_TRUE(keep->try_submit(w.data(), k));
        ASSERT_TRUE(drop->try_submit(w.data(), k));
    }
    int woke = 0;
    keep->set_wake([&] { ++woke; });
    drop.reset(); // with windows queued and one batch in hand
    EXPECT_EQ(srv->counters().streams, 1u);
    net.open = true;
    EXPECT_EQ(drain(*keep).size(), 8u);
    keep->set_wake(nullptr);
    EXPECT_GE(woke, 1);
    auto again = srv->open(); // the FIFO still has room for a new stream
    for (int k = 0; k < 8; ++k)
        ASSERT_TRUE(again->try_submit(w.data(), k));
    EXPECT_EQ(drain(*again).size(), 8u);
    // The dropped stream's windows still queued were never run (at most one
    // batch of 4 was in hand when it went): run, they delayed every other
    // stream's (a restarted block's old windows, dozens per stream).
    const auto c = srv->counters();
    EXPECT_EQ(c.windows + c.discarded, 24u);
    EXPECT_GE(c.discarded, 4u);
    EXPECT_EQ(c.queued, 0u);
}

TEST(Serve, RegistrySharesByKeyWhileHeld)
{
    int made = 0;
    auto mk = [&] {
        ++made;
        return std::static_pointer_cast<void>(std::make_shared<int>(made));
    };
    auto a = shared_server("serve-test|a", mk);
    auto b = shared_server("serve-test|a", mk);
    auto c = shared_server("serve-test|c", mk);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_EQ(made, 2);
    const auto keys = shared_server_keys();
    EXPECT_EQ(std::count(keys.begin(), keys.end(), "serve-test|a"), 1);
    a.reset();
    b.reset();
    auto d = shared_server("serve-test|a", mk); // the first is gone: made anew
    EXPECT_EQ(*std::static_pointer_cast<int>(d), 3);
}

// A server being made holds up only the callers of its own key: they wait
// and share it (made once); another key is made meanwhile (the registry's
// lock was held through every load).
TEST(Serve, RegistryMakesOtherKeysWhileOneLoads)
{
    std::atomic<bool> inside{ false }, release{ false };
    std::atomic<int> slow_made{ 0 };
    auto slow = [&] {
        inside = true;
        while (!release)
            std::this_thread::sleep_for(1ms);
        ++slow_made;
        return std::static_pointer_cast<void>(std::make_shared<int>(7));
    };
    std::shared_ptr<void> a, b;
    std::thread ta([&] { a = shared_server("serve-test|slow", slow); });
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (!inside && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(1ms);
    if (!inside) { // (make() never called: fail, not hang)
        release = true;
        ta.join();
        FAIL() << "shared_server did not call make() for a new key";
    }
    std::thread tb([&] { b = shared_server("serve-test|slow", slow); });
    std::this_thread::sleep_for(50ms); // (most likely waiting on the load by now)
    auto other = std::async(std::launch::async, [] {
        return shared_server("serve-test|other",
                             [] { return std::static_pointer_cast<void>(std::make_shared<int>(8)); });
    });
    const bool made_meanwhile = other.wait_for(2s) == std::future_status::ready;
    release = true;
    ta.join();
    tb.join();
    ASSERT_TRUE(made_meanwhile) << "another key waited for a load in progress";
    EXPECT_EQ(*std::static_pointer_cast<int>(other.get()), 8);
    EXPECT_EQ(slow_made.load(), 1);
    EXPECT_EQ(a, b);
    // A make() that throws registers nothing; the next caller makes it.
    EXPECT_THROW(shared_server("serve-test|throws",
                               []() -> std::shared_ptr<void> { throw std::runtime_error("no"); }),
                 std::runtime_error);
    auto c = shared_server("serve-test|throws",
                           [] { return std::static_pointer_cast<void>(std::make_shared<int>(9)); });
    EXPECT_EQ(*std::static_pointer_cast<int>(c), 9);
}

TEST(Serve, OptionsAreCheckedWithTheValueFound)
{
    ServeOptions o;
    o.max_batch = 0;
    try {
        o.validate("blk");
        FAIL() << "max_batch 0 accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "blk: expected max_batch in [1, 4096], found 0");
    }
    o = ServeOptions{};
    o.queue = 0;
    EXPECT_THROW(o.validate("blk"), std::invalid_argument);
    o = ServeOptions{};
    o.max_wait_ms = -1;
    EXPECT_THROW(o.validate("blk"), std::invalid_argument);
}

TEST(Serve, FileDigestFollowsContent)
{
    const auto dir = std::filesystem::temp_directory_path() / "tfmed_serve_test";
    std::filesystem::create_directories(dir);
    const auto a = (dir / "a.bin").string(), b = (dir / "b.bin").string();
    std::ofstream(a) << "same bytes";
    std::ofstream(b) << "same bytes";
    EXPECT_EQ(file_digest(a), file_digest(b));
    EXPECT_EQ(file_digest(a).size(), 16u);
    std::ofstream(b) << "other bytes";
    EXPECT_NE(file_digest(a), file_digest(b));
    try {
        file_digest((dir / "none.tfm").string());
        FAIL() << "a missing file was digested";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), (dir / "none.tfm").string() + ": model file not found");
    }
}

TEST(Serve, TunedAllocatorServesLargeBlocksFromTheHeap)
{
#ifdef __GLIBC__
    if (std::getenv("MALLOC_MMAP_MAX_") != nullptr)
        GTEST_SKIP() << "MALLOC_MMAP_MAX_ is set: the user's setting wins over tune_allocator";
    tfmed::engine::tune_allocator();
    // glibc maps blocks over its mmap threshold (128 KB by default) on their
    // own; tuned, an activation-sized block comes from the heap and stays
    // there for the next batch.
    const auto before = mallinfo2().hblks;
    void* p = std::malloc(8 << 20);
    ASSERT_NE(p, nullptr);
    static_cast<volatile char*>(p)[0] = 1;
    EXPECT_EQ(mallinfo2().hblks, before) << "an 8 MB block was mapped on its own";
    std::free(p);
#else
    GTEST_SKIP() << "not glibc: tune_allocator does nothing";
#endif
}
