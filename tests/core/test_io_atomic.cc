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

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
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
    // Writing into a missing folder fails and leaves nothing behind.
    EXPECT_THROW(write_atomically(path("no/x.csv"), "x"), std::runtime_error);
    EXPECT_TRUE(listing().empty());
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
}

} // namespace
