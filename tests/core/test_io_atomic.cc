/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * write_atomically, check_writable and OutputLock on files in a temporary
 * folder: a regular file replaced whole, a symbolic link kept (its target
 * written), a FIFO written in place (renaming over it, as root may, would
 * turn `--csv /dev/stdout` into a file called stdout), and the refusals.
 */
#include <tfmed/io/atomic.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using tfmed::io::check_distinct_output;
using tfmed::io::check_writable;
using tfmed::io::OutputLock;
using tfmed::io::write_atomically;

namespace {

class AtomicFixture : public ::testing::Test
{
protected:
    void SetUp() override
    {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("tfmed_test_io_atomic_" + std::to_string(::getpid()) + "_" + info->name());
        fs::create_directories(dir_);
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    static std::string slurp(const std::string& p)
    {
        std::ifstream f(p, std::ios::binary);
        std::ostringstream s;
        s << f.rdbuf();
        return s.str();
    }
    /* Files in the folder, names only, sorted. */
    std::vector<std::string> listing() const
    {
        std::vector<std::string> v;
        for (const auto& e : fs::directory_iterator(dir_))
            v.push_back(e.path().filename().string());
        std::sort(v.begin(), v.end());
        return v;
    }
    fs::path dir_;
};

TEST_F(AtomicFixture, RegularFileReplacedWholeNoTemporaryLeft)
{
    const auto p = path("out.csv");
    write_atomically(p, "first\n");
    write_atomically(p, "second, longer\n");
    EXPECT_EQ(slurp(p), "second, longer\n");
    EXPECT_EQ(listing(), (std::vector<std::string>{ "out.csv" }));
}

TEST_F(AtomicFixture, SymlinkStaysALinkItsTargetIsWritten)
{
    fs::create_directories(dir_ / "real");
    const auto target = path("real/t.json");
    write_atomically(target, "old");
    fs::create_symlink("real/t.json", dir_ / "link.json"); // relative, as `ln -s` makes
    check_writable(path("link.json"));
    write_atomically(path("link.json"), "new");
    EXPECT_TRUE(fs::is_symlink(dir_ / "link.json"));
    EXPECT_EQ(slurp(target), "new");
    // A dangling link: its target is created.
    fs::create_symlink("real/later.json", dir_ / "dangling.json");
    write_atomically(path("dangling.json"), "made");
    EXPECT_TRUE(fs::is_symlink(dir_ / "dangling.json"));
    EXPECT_EQ(slurp(path("real/later.json")), "made");
}

TEST_F(AtomicFixture, FifoWrittenInPlace)
{
    const auto p = path("pipe");
    ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
    check_writable(p);
    auto reader = std::async(std::launch::async, [&] { return slurp(p); });
    write_atomically(p, "through the pipe\n");
    EXPECT_EQ(reader.get(), "through the pipe\n");
    EXPECT_TRUE(fs::is_fifo(p)); // not replaced by a regular file
    EXPECT_EQ(listing(), (std::vector<std::string>{ "pipe" }));
}

// `--csv /dev/stdout > all.txt`: /dev/stdout led to all.txt, and a new file
// was renamed over it; what the process had printed went into the unlinked
// one. A descriptor's path is written through the descriptor, at its offset.
TEST_F(AtomicFixture, DescriptorPathsAreWrittenThroughTheDescriptor)
{
    const auto f = path("all.txt");
    const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "report\n", 7), 7);
    struct stat before {};
    ASSERT_EQ(::stat(f.c_str(), &before), 0);
    for (const auto& name : { "/dev/fd/" + std::to_string(fd),
                              "/proc/self/fd/" + std::to_string(fd) }) {
        check_writable(name);
        write_atomically(name, "csv\n");
    }
    ::close(fd);
    struct stat after {};
    ASSERT_EQ(::stat(f.c_str(), &after), 0);
    EXPECT_EQ(after.st_ino, before.st_ino); // the same file, not a new one
    EXPECT_EQ(slurp(f), "report\ncsv\ncsv\n");
    // A descriptor open for reading only is refused by name.
    const int rd = ::open(f.c_str(), O_RDONLY);
    ASSERT_GE(rd, 0);
    const auto ro = "/dev/fd/" + std::to_string(rd);
    try {
        check_writable(ro);
        ADD_FAILURE() << "no error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("open for reading only"), std::string::npos)
            << e.what();
    }
    ::close(rd);
}

// `--json -`: the command line's name for standard output, written through
// descriptor 1 after what was printed (it was a file called "-").
TEST_F(AtomicFixture, DashIsStandardOutput)
{
    const auto f = path("stdout.txt");
    const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    ASSERT_GE(fd, 0);
    std::fflush(stdout);
    const int saved = ::dup(1);
    ASSERT_GE(saved, 0);
    ASSERT_EQ(::dup2(fd, 1), 1);
    std::printf("report\n"); // (buffered: write_atomically flushes it first)
    bool ok = true;
    try {
        check_writable("-");
        check_distinct_output("-", { path("in.csv") }, { path("out.png") });
        write_atomically("-", "{\"json\": 1}\n");
    } catch (...) {
        ok = false;
    }
    std::fflush(stdout);
    ::dup2(saved, 1);
    ::close(saved);
    ::close(fd);
    EXPECT_TRUE(ok);
    EXPECT_EQ(slurp(f), "report\n{\"json\": 1}\n");
    EXPECT_FALSE(fs::exists("-")); // no file of that name in the working folder
    // Two outputs to standard output are one output named twice.
    EXPECT_THROW(check_distinct_output("-", {}, { "-" }), std::invalid_argument);
}

TEST_F(AtomicFixture, RefusalsNameThePath)
{
    auto message = [](const std::string& p) {
        try {
            check_writable(p);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("(accepted)");
    };
    EXPECT_EQ(message(dir_.string()), dir_.string() + ": expected a file path, found a directory");
    EXPECT_EQ(message(path("no/such/x.csv")),
              path("no/such/x.csv") + ": the folder " + path("no/such") + " does not exist");
    EXPECT_EQ(message(path("fine.csv")), "(accepted)");
    // A name that fits alone but not with its temporary's suffix (failed at
    // the final write, after the work).
    const std::string long_name(240, 'n');
    EXPECT_NE(message(path(long_name)).find("expected a file name of at most 222 bytes"),
              std::string::npos)
        << message(path(long_name));
    EXPECT_EQ(message(path(std::string(222, 'n'))), "(accepted)");
    // Writing into a missing folder fails and leaves nothing behind.
    EXPECT_THROW(write_atomically(path("no/x.csv"), "x"), std::runtime_error);
    EXPECT_TRUE(listing().empty());
}

// The temporary name was PATH.tmp.PID, opened without O_EXCL: a symbolic link
// planted at that name was written through (its target clobbered) and then
// renamed into place. Now each write creates a name of its own; links planted
// at every name this process could pick are left alone, and so is their target.
TEST_F(AtomicFixture, TemporaryNamesAreCreatedNotFollowed)
{
    const auto victim = path("victim");
    write_atomically(victim, "precious");
    const std::string pid = std::to_string(::getpid());
    fs::create_symlink(victim, path("out.tfm.tmp." + pid));
    // (the serial is process-wide: links at every value this test binary can
    // have reached by now; with all its next names taken the write is refused)
    for (int k = 0; k < 4096; ++k)
        fs::create_symlink(victim, path("out.tfm.tmp." + pid + "." + std::to_string(k)));
    try {
        write_atomically(path("out.tfm"), "model");
        ADD_FAILURE() << "written with every temporary name taken";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("every temporary name"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(slurp(victim), "precious"); // no link was followed
    for (int k = 0; k < 4096; ++k)
        fs::remove(path("out.tfm.tmp." + pid + "." + std::to_string(k)));
    write_atomically(path("out.tfm"), "model");
    EXPECT_EQ(slurp(victim), "precious");
    EXPECT_FALSE(fs::is_symlink(dir_ / "out.tfm"));
    EXPECT_EQ(slurp(path("out.tfm")), "model");

    // Threads writing one path each use their own temporary: every write lands
    // whole (one of them last), none fails.
    std::vector<std::future<void>> writers;
    for (int t = 0; t < 8; ++t)
        writers.push_back(std::async(std::launch::async, [&, t] {
            for (int k = 0; k < 20; ++k)
                write_atomically(path("shared.json"), std::string(4096, static_cast<char>('a' + t)));
        }));
    for (auto& w : writers)
        EXPECT_NO_THROW(w.get());
    const auto got = slurp(path("shared.json"));
    ASSERT_EQ(got.size(), 4096u);
    EXPECT_EQ(got, std::string(4096, got[0]));
}

// A write cut by kill -9 left PATH.tmp.PID behind for good; the next write to
// the path removes such files of processes that no longer run, once they have
// not changed for a minute, and nothing else.
TEST_F(AtomicFixture, StaleTemporariesOfDeadProcessesAreRemoved)
{
    // A process that has exited: its number is free (the kernel does not reuse
    // it at once).
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    ASSERT_GT(child, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    const std::string dead = std::to_string(child);
    const auto old_time = fs::file_time_type::clock::now() - std::chrono::minutes(5);
    auto make = [&](const std::string& name, bool old) {
        write_atomically(path(name), "left over");
        if (old)
            fs::last_write_time(path(name), old_time);
    };
    make("m.tfm.tmp." + dead, true);           // the old naming: removed
    make("m.tfm.tmp." + dead + ".3", true);    // the new one: removed
    make("m.tfm.tmp." + dead + ".4", false);   // changed just now: kept
    make("m.tfm.tmp.1", true);                 // init runs: kept
    make("m.tfm.tmp.4294967295", true);        // no process number (was kill(-1, 0)): kept
    make("m.tfm.tmp.99999999", true);          // 8 digits, above any pid_max: kept
    make("m.tfm.tmp.x" + dead, true);          // not a process number: kept
    make("other.tfm.tmp." + dead, true);       // another path's: kept
    write_atomically(path("m.tfm"), "model");
    std::vector<std::string> kept = { "m.tfm", "m.tfm.tmp." + dead + ".4", "m.tfm.tmp.1",
                                      "m.tfm.tmp.4294967295", "m.tfm.tmp.99999999",
                                      "m.tfm.tmp.x" + dead, "other.tfm.tmp." + dead };
    std::sort(kept.begin(), kept.end());
    EXPECT_EQ(listing(), kept);
}

TEST_F(AtomicFixture, OutputLockIsExclusiveAndReleased)
{
    const auto p = path("model.tfm");
    {
        OutputLock a(p, "training");
        EXPECT_EQ(a.path(), p + ".lock");
        try {
            OutputLock b(p, "a second run");
            ADD_FAILURE() << "a second lock on the same output was granted";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("another run in this process"), std::string::npos)
                << e.what();
        }
    }
    EXPECT_FALSE(fs::exists(p + ".lock")); // removed on release
    OutputLock again(p, "after release");
    // A model is a file: its checkpoint and lock go beside it.
    for (const std::string& s : { std::string("-"), std::string("/dev/stdout"),
                                  std::string("/dev/null") }) {
        try {
            OutputLock l(s, "training");
            ADD_FAILURE() << s << ": accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_EQ(std::string(e.what()),
                      s + ": expected a file path for the model (its checkpoint and lock go "
                          "beside it), found " +
                          (s == "-" ? "standard output" : "a descriptor or device"));
        }
        EXPECT_FALSE(fs::exists(s + ".lock"));
        // (the trainers' check before any data is read says the same)
        try {
            tfmed::io::check_model_output(s);
            ADD_FAILURE() << s << ": accepted by check_model_output";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("expected a file path for the model"),
                      std::string::npos)
                << e.what();
        }
    }
    tfmed::io::check_model_output(path("fine.tfm"));
}

} // namespace
