/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Local worker processes for `tfmed train … --nproc N` (launch.h).
 */
#include "launch.h"
#include "cli.h"

#include <tfmed/train/distributed.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tfmed {
namespace apps {

namespace {
std::vector<std::string> g_argv;
} // namespace

void set_command_line(int argc, char** argv) { g_argv.assign(argv, argv + argc); }

const std::vector<std::string>& command_line() { return g_argv; }

void add_dist_options(CLI::App* c, DistArgs& d)
{
    c->add_option("--nproc", d.nproc,
                  "Data-parallel workers to start on this host (1 = this process; "
                  "--batch is the global batch, split across them). Under torchrun, "
                  "Slurm or Kubernetes leave it at 1: RANK, WORLD_SIZE, MASTER_ADDR and "
                  "MASTER_PORT from the environment join the workers.")
        ->check(int_range(1, 1024))
        ->capture_default_str();
    c->add_option_function<double>(
         "--dist-timeout",
         [&d](double v) {
             d.timeout_s = v;
             d.timeout_given = true;
         },
         "Seconds a worker waits for its peers in any collective and at the rendezvous "
         "(default 120, or TFMED_DIST_TIMEOUT)")
        // (distributed.cc's bounds, named here, not as the workers' TFMED_DIST_TIMEOUT)
        ->check(CLI::Validator(
            [](std::string& v) -> std::string {
                double x = 0;
                return CLI::detail::lexical_cast(v, x) && x >= 0.001 && x <= 1e6
                           ? std::string()
                           : "expected seconds from 0.001 to 1e6, found " + v;
            },
            "SECONDS"));
    c->add_option("--dist-backend", d.backend, "auto (NCCL on CUDA where built, else Gloo), gloo, nccl")
        ->check(CLI::IsMember({ "auto", "gloo", "nccl" }))
        ->capture_default_str();
}

int free_local_port()
{
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        throw std::runtime_error(std::string("--nproc: cannot open a socket: ") +
                                 std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        const int e = errno;
        ::close(s);
        throw std::runtime_error(std::string("--nproc: cannot find a free local port: ") +
                                 std::strerror(e));
    }
    ::close(s);
    return ntohs(a.sin_port);
}

namespace {
// Seconds the workers have to stop between steps after the first forwarded
// stop signal (a step of a full-size network on a CPU takes tens of seconds).
constexpr int kStopGraceS = 60;

// A stop signal the launcher received (SIGTERM, SIGINT, SIGHUP): forwarded
// to the workers, which would otherwise train on without it.
volatile sig_atomic_t g_stop_signal = 0;
volatile sig_atomic_t g_stop_count = 0; // how many came (the launcher forwards each)
int g_forwarded_signal = 0; // the last launch's, for received_stop_signal()
extern "C" void on_stop_signal(int sig)
{
    g_stop_signal = sig;
    g_stop_count = g_stop_count + 1;
}

// One training process: the first stop signal cancels the run between steps
// (the last checkpoint stays whole: a kill inside a checkpoint's write left
// its temporary behind), a second one ends the process at once as it would
// have without the handler. Lock-free atomics may be stored from a handler.
std::atomic<bool> g_cancel_training { false };
extern "C" void on_stop_training(int sig)
{
    if (g_stop_signal != 0) {
        ::signal(sig, SIG_DFL);
        ::raise(sig);
        return;
    }
    g_stop_signal = sig;
    g_cancel_training.store(true);
}

// One stop request often sends its signal twice in a row (`timeout` signals
// the child, then the group; a supervisor may repeat itself): a second
// signal within this many seconds of the first is the same request.
constexpr double kSameRequestS = 1.0;
double monotonic_s() // async-signal-safe (clock_gettime)
{
    struct timespec t {};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// A worker of a world: the same, but the signals of one stop request often
// come twice, once straight (a terminal's Ctrl-C reaches the whole
// foreground process group) and once forwarded by the parent (the --nproc
// launcher; torchrun and slurmstepd forward what they receive too). So a
// second signal ends the worker at once only when it comes from the same
// side as an earlier one, and not within kSameRequestS of it: the parent's
// second forward, or a second Ctrl-C. A worker whose --nproc launcher is
// gone (this is PR_SET_PDEATHSIG's SIGTERM) ends at once, without its
// cancel: nothing would enforce a stop any more.
pid_t g_parent = 0;          // the worker's parent when the handler was set
bool g_parent_launches = false; // the parent is a --nproc launcher
volatile sig_atomic_t g_from_parent = 0, g_from_elsewhere = 0;
volatile double g_first_parent_s = 0, g_first_elsewhere_s = 0;
extern "C" void on_stop_worker(int sig, siginfo_t* info, void*)
{
    const bool orphan = g_parent_launches && ::getppid() != g_parent;
    const bool from_parent = info != nullptr && info->si_code == SI_USER &&
                             info->si_pid == g_parent;
    volatile sig_atomic_t& count = from_parent ? g_from_parent : g_from_elsewhere;
    volatile double& first = from_parent ? g_first_parent_s : g_first_elsewhere_s;
    const double now = monotonic_s();
    if (count == 0)
        first = now;
    if (count == 0 || now - first > kSameRequestS)
        count = count + 1;
    if (orphan || g_from_parent > 1 || g_from_elsewhere > 1) {
        ::signal(sig, SIG_DFL);
        ::raise(sig);
        return;
    }
    g_stop_signal = sig;
    g_cancel_training.store(true);
}

// The handlers for the launcher's lifetime, the old ones restored after. A
// signal the launcher inherited as ignored stays ignored, in it and in its
// workers: `nohup tfmed train --nproc 2 &` survives a hang-up as a single
// process does (and a shell's `&` job without job control ignores SIGINT).
class StopSignals
{
public:
    explicit StopSignals(void (*handler)(int) = on_stop_signal) { install(handler, nullptr); }
    explicit StopSignals(void (*handler)(int, siginfo_t*, void*)) { install(nullptr, handler); }
    ~StopSignals() { restore(); }
    /*! The dispositions from before (a worker, after fork: a handler
     *  becomes the default at exec, an ignored signal stays ignored). */
    void restore() const
    {
        for (std::size_t i = 0; i < 3; ++i)
            ::sigaction(kSignals[i], &old_[i], nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

private:
    void install(void (*plain)(int), void (*with_info)(int, siginfo_t*, void*))
    {
        g_stop_signal = 0;
        g_stop_count = 0;
        g_from_parent = g_from_elsewhere = 0;
        struct sigaction sa {};
        // A write of the progress to a full pipe is resumed, not failed with
        // EINTR (std::cout would then drop every later line).
        sa.sa_flags = SA_RESTART;
        if (with_info) {
            sa.sa_sigaction = with_info;
            sa.sa_flags |= SA_SIGINFO;
        } else {
            sa.sa_handler = plain;
        }
        sigemptyset(&sa.sa_mask); // one handler at a time: their counters stay exact
        for (int sig : kSignals)
            sigaddset(&sa.sa_mask, sig);
        for (std::size_t i = 0; i < 3; ++i) {
            ::sigaction(kSignals[i], nullptr, &old_[i]);
            if (old_[i].sa_handler != SIG_IGN)
                ::sigaction(kSignals[i], &sa, nullptr);
        }
    }

    static constexpr int kSignals[3] = { SIGTERM, SIGINT, SIGHUP };
    struct sigaction old_[3] {};
};
} // namespace

int received_stop_signal() { return g_forwarded_signal; }

const std::atomic<bool>* training_cancel() { return &g_cancel_training; }

void throw_if_stopped(const std::string& what)
{
    if (const int sig = g_forwarded_signal)
        throw std::runtime_error(what + ": stopped by signal " + std::to_string(sig) + " (" +
                                 strsignal(sig) + ")");
}

int launch_workers(int n, const std::vector<std::string>& argv,
                   const std::vector<std::string>& extra_env, double grace_s)
{
    g_forwarded_signal = 0;
    const StopSignals stop_signals;
    const pid_t launcher = ::getpid();
    if (argv.empty())
        throw std::logic_error("launch_workers: no command line");
    // A world of this host's own: a free port, never an inherited
    // MASTER_PORT (a Slurm job's, or another --nproc run's: the second world
    // failed to bind, or its ranks joined the first one's store).
    const std::string port = std::to_string(free_local_port());
    std::vector<pid_t> pids(static_cast<std::size_t>(n), -1);
    std::fflush(nullptr);
    // Stop signals wait while the workers are forked: a child must not run
    // the launcher's handler (and lose the signal) before it resets it, and
    // one that arrives meanwhile is forwarded once every worker exists.
    sigset_t stops, before;
    sigemptyset(&stops);
    for (int sig : { SIGTERM, SIGINT, SIGHUP })
        sigaddset(&stops, sig);
    ::sigprocmask(SIG_BLOCK, &stops, &before);
    for (int r = 0; r < n; ++r) {
        const pid_t pid = ::fork();
        if (pid < 0) {
            const int e = errno;
            for (auto p : pids)
                if (p > 0)
                    ::kill(p, SIGTERM);
            ::sigprocmask(SIG_SETMASK, &before, nullptr);
            throw std::runtime_error(std::string("--nproc: cannot start worker ") +
                                     std::to_string(r) + ": " + std::strerror(e));
        }
        if (pid == 0) {
            // A worker ends with its launcher, however the launcher ends (a
            // SIGKILL included): no orphan holds the output's lock.
            stop_signals.restore();
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != launcher)
                ::_exit(1);
            ::sigprocmask(SIG_SETMASK, &before, nullptr); // a pending SIGTERM ends it here
            const std::string sr = std::to_string(r), sn = std::to_string(n);
            ::setenv("RANK", sr.c_str(), 1);
            ::setenv("LOCAL_RANK", sr.c_str(), 1);
            ::setenv("WORLD_SIZE", sn.c_str(), 1);
            ::setenv("LOCAL_WORLD_SIZE", sn.c_str(), 1);
            ::setenv("MASTER_ADDR", "127.0.0.1", 1);
            ::setenv("MASTER_PORT", port.c_str(), 1);
            ::setenv("TFMED_LAUNCHED", "1", 1);
            for (const auto& kv : extra_env) {
                const auto eq = kv.find('=');
                ::setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1);
            }
            std::vector<char*> args;
            for (const auto& a : argv)
                args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv("/proc/self/exe", args.data());
            std::fprintf(stderr, "tfmed: worker %d: cannot run /proc/self/exe: %s\n", r,
                         std::strerror(errno));
            ::_exit(127);
        }
        pids[static_cast<std::size_t>(r)] = pid;
    }
    ::sigprocmask(SIG_SETMASK, &before, nullptr); // a signal that came meanwhile: handled now
    int first = 0, left = n;
    bool termed = false, forwarded = false;
    sig_atomic_t forwarded_count = 0;
    double first_forward_s = 0;
    auto deadline = std::chrono::steady_clock::time_point::max();
    while (left > 0) {
        if (g_stop_count > forwarded_count) {
            // The first stop signal: the workers cancel before their next
            // step, all at the same one (run_training), the last checkpoint
            // whole; a second one, or kStopGrace without an end, stops them
            // at once (SIGKILL 5 s later).
            const int sig = g_stop_signal;
            forwarded_count = g_stop_count;
            // A repeat within kSameRequestS is the same request (not passed
            // on: the workers would take it for a second one).
            if (forwarded && monotonic_s() - first_forward_s <= kSameRequestS)
                continue;
            if (!forwarded)
                first_forward_s = monotonic_s();
            if (!forwarded)
                std::fprintf(stderr,
                             "tfmed: signal %d (%s): stopping the %d worker(s) before their "
                             "next step (again, or at most %d s without an end: at once)\n",
                             sig, strsignal(sig), left, kStopGraceS);
            else
                std::fprintf(stderr, "tfmed: signal %d (%s) again: stopping the %d worker(s) "
                                     "at once\n", sig, strsignal(sig), left);
            for (auto p : pids)
                if (p > 0)
                    ::kill(p, sig);
            // Only ever earlier: signals every few seconds must not put the
            // end off, nor one after a worker's failure its shorter grace.
            deadline = std::min(deadline, std::chrono::steady_clock::now() +
                                              std::chrono::seconds(forwarded ? 5 : kStopGraceS));
            termed = termed || forwarded; // at the deadline: SIGTERM first, then SIGKILL
            forwarded = true;
            g_forwarded_signal = sig;
            if (first == 0)
                first = 128 + sig;
        }
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno != EINTR)
            break;
        if (pid <= 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                std::fprintf(stderr, "tfmed: %d worker(s) still running: %s\n", left,
                             termed ? "SIGKILL" : "SIGTERM, SIGKILL in 5 s");
                for (auto p : pids)
                    if (p > 0)
                        ::kill(p, termed ? SIGKILL : SIGTERM);
                termed = true;
                deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        int r = -1;
        for (int i = 0; i < n; ++i)
            if (pids[static_cast<std::size_t>(i)] == pid)
                r = i;
        if (r < 0)
            continue;
        pids[static_cast<std::size_t>(r)] = -1;
        --left;
        int code = 0;
        std::string why;
        if (WIFEXITED(status)) {
            code = WEXITSTATUS(status);
            why = "exited with status " + std::to_string(code);
        } else if (WIFSIGNALED(status)) {
            code = 128 + WTERMSIG(status);
            why = std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                  strsignal(WTERMSIG(status)) + ")";
        }
        if (code != 0) {
            std::fprintf(stderr, "tfmed: worker %d of %d (pid %d) %s\n", r, n, static_cast<int>(pid),
                         why.c_str());
            if (first == 0) {
                first = code;
                if (left > 0)
                    std::fprintf(stderr,
                                 "tfmed: stopping the other worker(s): they stop on their own "
                                 "when their next collective fails, else in %.0f s\n",
                                 grace_s);
                deadline = std::min(deadline, std::chrono::steady_clock::now() +
                                                  std::chrono::milliseconds(
                                                      static_cast<long long>(grace_s * 1000)));
            }
        }
    }
    // A stop signal that came after the last worker was reaped (or with the
    // same Ctrl-C that ended them) still ends the launcher by it.
    if (g_stop_count > 0 && !forwarded) {
        g_forwarded_signal = g_stop_signal;
        if (first == 0)
            first = 128 + g_stop_signal;
    }
    return first;
}

int run_interruptible(const std::function<int()>& body)
{
    g_cancel_training = false;
    g_forwarded_signal = 0;
    const StopSignals stop_signals(on_stop_training);
    int rc = 0;
    try {
        rc = body();
    } catch (...) {
        g_forwarded_signal = g_stop_signal; // main() still ends by it
        throw;
    }
    g_forwarded_signal = g_stop_signal;
    return rc;
}

int run_training(const DistArgs& d, const std::string& device, const std::function<int()>& body)
{
    bool from_env = false;
    auto w = train::dist::world_from_environment(&from_env);
    const bool launched = std::getenv("TFMED_LAUNCHED") != nullptr;
    if (!from_env && d.nproc > 1) {
        std::vector<std::string> env;
        if (d.timeout_given) {
            char t[40];
            std::snprintf(t, sizeof t, "%.17g", d.timeout_s); // to_string keeps 6 decimals
            env.push_back(std::string("TFMED_DIST_TIMEOUT=") + t);
        }
        return launch_workers(d.nproc, g_argv, env, std::min(d.timeout_s, 30.0));
    }
    if (from_env && d.nproc > 1 && !launched)
        throw std::invalid_argument("--nproc " + std::to_string(d.nproc) +
                                    ": the environment already describes a world (WORLD_SIZE=" +
                                    std::to_string(w.world_size) +
                                    ", e.g. from torchrun); expected one of the two, found both");
    if (from_env && launched && d.nproc != w.world_size)
        throw std::logic_error("--nproc: a worker of " + std::to_string(w.world_size) +
                               " found --nproc " + std::to_string(d.nproc));
    if (!from_env) {
        // One process and no world: the collectives' options would be ignored.
        if (d.timeout_given || d.backend != "auto")
            throw std::invalid_argument(
                std::string(d.timeout_given ? "--dist-timeout" : "--dist-backend") +
                ": only for a world of workers (--nproc > 1, or RANK/WORLD_SIZE from a "
                "launcher such as torchrun); found --nproc 1 and no world in the environment");
        // Ctrl-C, kill or a hang-up stop the loop between steps (training_cancel()),
        // then main() ends by the signal.
        return run_interruptible(body);
    }
    if (d.timeout_given)
        w.timeout_s = d.timeout_s;
    w.backend = d.backend;
    // A worker's first stop signal (its launcher's forward, torchrun's, a
    // kill of one rank) cancels before the next step on every rank: the loop
    // agrees on it in each step's reduction, so all stop at the same step
    // and the last checkpoint stays whole. A second one from the same side
    // ends it at once (on_stop_worker).
    g_cancel_training = false;
    g_forwarded_signal = 0;
    g_parent = ::getppid();
    g_parent_launches = launched;
    const StopSignals stop_signals(on_stop_worker);
    train::dist::init(w, device);
    int rc = 0;
    try {
        rc = body();
    } catch (const std::exception& e) {
        g_forwarded_signal = g_stop_signal; // main() still ends by it
        train::dist::shutdown(false);
        std::string m = message_of(e);
        if (m.rfind("distributed:", 0) != 0)
            m = "rank " + std::to_string(w.rank) + " of " + std::to_string(w.world_size) + ": " + m;
        throw std::runtime_error(m);
    }
    train::dist::shutdown(true);
    g_forwarded_signal = g_stop_signal;
    return rc;
}

} // namespace apps
} // namespace tfmed
