/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed train … --nproc N` and torchrun-style workers: every train command
 * runs its body through run_training(), which either starts N local worker
 * processes (this same command line, with RANK, WORLD_SIZE, LOCAL_RANK,
 * LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set, as torchrun sets them)
 * and waits for them, or joins the world the environment describes and runs
 * the body as one worker (tfmed/train/distributed.h).
 */
#ifndef INCLUDED_TFMED_APPS_LAUNCH_H
#define INCLUDED_TFMED_APPS_LAUNCH_H

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace tfmed {
namespace apps {

struct DistArgs {
    int nproc = 1;           //!< local workers to start (1: this process trains)
    double timeout_s = 120;  //!< per collective and rendezvous
    bool timeout_given = false;
    std::string backend = "auto";
};

/*! The command line, for workers that re-run it (main calls this first). */
void set_command_line(int argc, char** argv);

/*! The command line set_command_line() recorded. */
const std::vector<std::string>& command_line();

/*! --nproc, --dist-timeout, --dist-backend on a train command. */
void add_dist_options(CLI::App* c, DistArgs& d);

/*! Run `body` as this process's part of the training world (see the file
 *  comment). `device` is the command's --device. The body reports and
 *  writes files only where train::dist::is_writer(). Returns the exit
 *  status (the first failing worker's when this process launched them). */
int run_training(const DistArgs& d, const std::string& device, const std::function<int()>& body);

/*! A free TCP port on the loopback interface (for a local rendezvous). */
int free_local_port();

/*! Start `n` local workers of `argv` (argv[0] is run as /proc/self/exe)
 *  with torchrun's environment plus `extra_env` ("NAME=value"), wait for
 *  them, and report each failure on stderr. When one fails the others get
 *  `grace_s` to stop on their own, then SIGTERM. Returns 0 or the first
 *  failure's status (128 + signal for a signal). */
int launch_workers(int n, const std::vector<std::string>& argv,
                   const std::vector<std::string>& extra_env, double grace_s);

/*! The stop signal (SIGTERM, SIGINT, SIGHUP) the last launch_workers()
 *  received and forwarded to its workers; 0 = none. main() ends by that
 *  signal once everything has unwound: a shell stops a script on a child
 *  killed by SIGINT, not on an exit status of 130. */
int received_stop_signal();

/*! The cancel flag of a one-process training run (run_training() sets it on
 *  the first SIGINT, SIGTERM or SIGHUP; the loop stops between steps, its last
 *  checkpoint whole, and received_stop_signal() then names the signal).
 *  Pass it to the train_* entry points. */
const std::atomic<bool>* training_cancel();

/*! Run `body` with the stop signals caught: the first SIGINT, SIGTERM or
 *  SIGHUP sets training_cancel() for `body` to poll (a soak stops its graph
 *  and writes what it sampled), a second ends the process at once; main()
 *  then ends by the signal. run_training() uses it for one process. */
int run_interruptible(const std::function<int()>& body);

/*! After launch_workers(): throws "`what`: stopped by signal N (name)" when
 *  a stop signal was forwarded (the command's own result is then moot). */
void throw_if_stopped(const std::string& what);

} // namespace apps
} // namespace tfmed

#endif
