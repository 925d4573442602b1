/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/io/atomic.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>
#include <fcntl.h>
#include <sys/file.h>
#include <csignal>
#include <sys/stat.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>

namespace tfmed {
namespace io {

namespace {

// Where the bytes of `path` go: a symbolic link's target (the link stays a
// link; renaming over it would replace it with a file).
std::string resolve_link(const std::string& path)
{
    std::error_code ec;
    std::filesystem::path p(path);
    for (int hops = 0; hops < 40 && std::filesystem::is_symlink(p, ec); ++hops) {
        const auto to = std::filesystem::read_symlink(p, ec);
        if (ec)
            break;
        p = to.is_absolute() ? to : p.parent_path() / to;
    }
    return p.string();
}

// A path that names one of this process's open descriptors (/dev/stdout,
// /dev/stderr, /dev/fd/N, /proc/self/fd/N, /proc/PID/fd/N, directly or
// through links): N, else -1. Such an output is written to the descriptor
// as the caller set it up: `--csv /dev/stdout > all.txt` resolved to
// all.txt and renamed a new file over it, so the report already written to
// stdout went into the unlinked old file (and `>>` lost the log before).
int own_descriptor(const std::string& path)
{
    if (path == "-") // the command line's name for standard output
        return 1;
    std::error_code ec;
    std::filesystem::path p(path);
    const std::string self = "/proc/" + std::to_string(::getpid()) + "/fd/";
    for (int hops = 0; hops < 40; ++hops) {
        const std::string s = p.lexically_normal().string();
        if (s == "/dev/stdout")
            return 1;
        if (s == "/dev/stderr")
            return 2;
        for (const std::string pre : { std::string("/dev/fd/"), std::string("/proc/self/fd/"),
                                       std::string("/proc/thread-self/fd/"), self }) {
            if (s.size() > pre.size() && s.size() <= pre.size() + 9 &&
                s.compare(0, pre.size(), pre) == 0 &&
                s.find_first_not_of("0123456789", pre.size()) == std::string::npos)
                return std::stoi(s.substr(pre.size()));
        }
        if (!std::filesystem::is_symlink(p, ec))
            return -1;
        const auto to = std::filesystem::read_symlink(p, ec);
        if (ec)
            return -1;
        p = to.is_absolute() ? to : p.parent_path() / to;
    }
    return -1;
}

// An existing output that is not a regular file: a device (/dev/null), a
// FIFO or a socket. Nothing can be renamed over those; they are written.
bool is_special(const std::string& path)
{
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    return !ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st) &&
           !std::filesystem::is_directory(st);
}

// A temporary file of an earlier write whose process died before its rename
// (kill -9, a power cut): PATH.tmp.PID or PATH.tmp.PID.N, a regular file whose
// process no longer runs here and which has not changed for a minute (a
// write in progress keeps changing it; the minute also spares a process of
// the same number on another machine sharing the folder). Best effort.
void remove_stale_temporaries(const std::string& path)
{
    namespace fs = std::filesystem;
    const fs::path p(path);
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    const std::string stem = p.filename().string() + ".tmp.";
    std::error_code ec;
    fs::directory_iterator it(dir, ec), end;
    const auto now = fs::file_time_type::clock::now();
    for (; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= stem.size() || name.compare(0, stem.size(), stem) != 0)
            continue;
        const std::string rest = name.substr(stem.size());
        const auto dot = rest.find('.');
        const std::string pid_text = rest.substr(0, dot);
        const std::string serial_text = dot == std::string::npos ? "0" : rest.substr(dot + 1);
        // Process numbers have at most 7 digits (pid_max <= 4194304); the
        // serial at most 20. No std::stol: it throws where long is 32 bits.
        auto digits = [](const std::string& t, std::size_t most) {
            return !t.empty() && t.size() <= most &&
                   t.find_first_not_of("0123456789") == std::string::npos;
        };
        if (!digits(pid_text, 7) || !digits(serial_text, 20))
            continue;
        const long long pid = std::strtoll(pid_text.c_str(), nullptr, 10);
        if (pid <= 1 || pid == ::getpid())
            continue;
        std::error_code e2;
        if (!fs::is_regular_file(fs::symlink_status(it->path(), e2)) || e2)
            continue;
        const auto changed = fs::last_write_time(it->path(), e2);
        if (e2 || now - changed < std::chrono::minutes(1))
            continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)
            continue; // running (or not ours to ask about)
        fs::remove(it->path(), e2);
    }
}

} // namespace

void write_atomically(const std::string& out, const std::string& bytes)
{
    if (const int fd = own_descriptor(out); fd >= 0) {
        // Whatever this process printed before goes first.
        std::fflush(fd == 2 ? stderr : stdout);
        std::size_t done = 0;
        while (done < bytes.size()) {
            const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                throw std::runtime_error(out + ": write failed (" +
                                         std::string(n < 0 ? std::strerror(errno)
                                                           : "nothing written") + ")");
            done += static_cast<std::size_t>(n);
        }
        return;
    }
    if (is_special(out)) {
        std::ofstream f(out, std::ios::binary);
        if (!f)
            throw std::runtime_error(out + ": cannot write (" + std::strerror(errno) + ")");
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        f.flush();
        if (!f)
            throw std::runtime_error(out + ": write failed");
        return;
    }
    const std::string path = resolve_link(out);
    remove_stale_temporaries(path);
    // A name of our own, created here and nowhere else: O_EXCL refuses one that
    // exists (a symbolic link planted at a predictable name was written
    // through), and the counter gives each thread of this process its own.
    static std::atomic<unsigned long> serial { 0 };
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; attempt < 64 && fd < 0; ++attempt) {
        tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(serial++);
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        const int err = errno;
        if (fd < 0 && err != EEXIST)
            throw std::runtime_error(path + ": cannot write (temporary file " + tmp + ": " +
                                     std::strerror(err) + ")");
    }
    if (fd < 0)
        throw std::runtime_error(path + ": cannot write (every temporary name " + path +
                                 ".tmp." + std::to_string(::getpid()) + ".N is taken)");
    auto fail = [&](const std::string& what, int err) {
        const std::string why = std::strerror(err);
        if (fd >= 0)
            ::close(fd);
        ::unlink(tmp.c_str());
        throw std::runtime_error(path + ": " + what + " (" + why + ")");
    };
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        const int err = n < 0 ? errno : EIO; // (0 bytes written: no errno)
        if (n < 0 && err == EINTR)
            continue;
        if (n <= 0)
            fail("write failed", err);
        done += static_cast<std::size_t>(n);
    }
    // On the disk before the rename: after a power cut the path holds the
    // old file or the new one, never an empty one (a checkpoint is the only
    // copy of hours of training).
    if (::fsync(fd) != 0)
        fail("cannot flush the temporary file to disk", errno);
    const int closed = ::close(fd);
    const int close_err = errno;
    fd = -1;
    if (closed != 0)
        fail("write failed", close_err);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        fail("cannot rename the temporary file into place", errno);
    const auto dir = std::filesystem::path(path).parent_path();
    const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { // the rename itself (best effort: some file systems refuse)
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

void check_writable(const std::string& out)
{
    if (const int fd = own_descriptor(out); fd >= 0) {
        const int fl = ::fcntl(fd, F_GETFL);
        if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
            throw std::invalid_argument(out + ": not writable (descriptor " + std::to_string(fd) +
                                        (fl < 0 ? " is not open)" : " is open for reading only)"));
        return;
    }
    if (is_special(out)) {
        if (::access(out.c_str(), W_OK) != 0)
            throw std::invalid_argument(out + ": not writable (" + std::strerror(errno) + ")");
        return;
    }
    const std::string path = resolve_link(out);
    const std::filesystem::path p(path);
    const auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec))
        throw std::invalid_argument(path + ": expected a file path, found a directory");
    if (!std::filesystem::is_directory(dir, ec))
        throw std::invalid_argument(path + ": the folder " + dir.string() + " does not exist");
    if (::access(dir.c_str(), W_OK) != 0)
        throw std::invalid_argument(path + ": the folder " + dir.string() + " is not writable");
    // The temporary beside it is NAME.tmp.PID.N: a name that fits alone but
    // not with that suffix failed at the final write (ENAMETOOLONG), after
    // the work.
    constexpr std::size_t kSuffix = 33; // ".tmp." + up to 7 + "." + up to 20 digits
    const long name_max = ::pathconf(dir.c_str(), _PC_NAME_MAX);
    const std::size_t most = name_max > 0 ? static_cast<std::size_t>(name_max) : 255;
    const std::size_t len = p.filename().string().size();
    if (len + kSuffix > most)
        throw std::invalid_argument(path + ": expected a file name of at most " +
                                    std::to_string(most - kSuffix) + " bytes (its temporary adds " +
                                    std::to_string(kSuffix) + "), found " + std::to_string(len));
}

void check_distinct_output(const std::string& out,
                           const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs)
{
    namespace fs = std::filesystem;
    auto same = [&](const std::string& o) {
        std::error_code e1, e2;
        if (fs::exists(out, e1) && fs::exists(o, e2))
            return fs::equivalent(out, o, e1);
        const auto a = fs::weakly_canonical(out, e1), b = fs::weakly_canonical(o, e2);
        return !e1 && !e2 && a == b;
    };
    for (const auto* list : { &inputs, &outputs })
        for (const auto& o : *list)
            if (!o.empty() && same(o))
                throw std::invalid_argument(out + ": expected an output other than the " +
                                            (list == &inputs ? "input " : "output ") + o +
                                            ", found the same file");
    check_writable(out);
}

namespace {
// flock(2) locks belong to open file descriptions: a second open in the same
// process would get its own and succeed. Track this process's locks too.
std::mutex g_locks_mutex;
std::set<std::string> g_locks;
} // namespace

void refuse_non_file(const std::string& path, const std::string& what)
{
    if (own_descriptor(path) >= 0 || is_special(path))
        throw std::invalid_argument(path + ": expected a file path for " + what + ", found " +
                                    (path == "-" ? std::string("standard output")
                                                 : std::string("a descriptor or device")));
}

namespace {
// A training's model has its checkpoint and lock beside it: a file, not
// standard output or a device (`-o /dev/stdout` made /dev/stdout.lock).
void refuse_non_file_model(const std::string& path)
{
    refuse_non_file(path, "the model (its checkpoint and lock go beside it)");
}
} // namespace

void check_model_output(const std::string& path)
{
    refuse_non_file_model(path);
    check_writable(path);
}

OutputLock::OutputLock(const std::string& path, const std::string& what)
    : lock_path_(path + ".lock")
{
    refuse_non_file_model(path);
    {
        std::lock_guard<std::mutex> g(g_locks_mutex);
        if (!g_locks.insert(lock_path_).second)
            throw std::runtime_error(path + ": another run in this process is writing it "
                                            "(lock " + lock_path_ + ")");
    }
    auto fail = [&](const std::string& msg) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
        std::lock_guard<std::mutex> g(g_locks_mutex);
        g_locks.erase(lock_path_);
        throw std::runtime_error(msg);
    };
    for (int attempt = 0; attempt < 5; ++attempt) {
        fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0)
            fail(lock_path_ + ": cannot create the lock file (" + std::strerror(errno) + ")");
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            std::string holder(512, '\0');
            const auto n = ::pread(fd_, holder.data(), holder.size(), 0);
            holder.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
            while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0'))
                holder.pop_back();
            fail(path + ": another run is writing it (" +
                 (holder.empty() ? std::string("holder unknown") : holder) + "; lock " +
                 lock_path_ + "); wait for it to finish or choose another output");
        }
        // The holder before us may have removed the file after we opened it:
        // then our lock is on a name nobody else sees. Try again.
        struct stat a {}, b {};
        if (::fstat(fd_, &a) == 0 && ::stat(lock_path_.c_str(), &b) == 0 &&
            a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            break;
        ::close(fd_);
        fd_ = -1;
    }
    if (fd_ < 0)
        fail(lock_path_ + ": could not take the lock (the file kept changing)");
    char host[256] = "?";
    ::gethostname(host, sizeof host - 1);
    char when[64];
    const std::time_t now = std::time(nullptr);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    const std::string line = "pid " + std::to_string(::getpid()) + " on " + host +
                             ", since " + when + ": " + what + "\n";
    if (::ftruncate(fd_, 0) != 0 ||
        ::pwrite(fd_, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
        // The lock holds without the note; the holder is then "unknown".
    }
}

OutputLock::~OutputLock()
{
    if (fd_ >= 0) {
        ::unlink(lock_path_.c_str());
        ::close(fd_);
    }
    std::lock_guard<std::mutex> g(g_locks_mutex);
    g_locks.erase(lock_path_);
}

} // namespace io
} // namespace tfmed
