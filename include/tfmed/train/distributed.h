/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_DISTRIBUTED_H
#define INCLUDED_TFMED_TRAIN_DISTRIBUTED_H

#include <string>

/*!
 * \file
 * \brief Data-parallel training across processes on LibTorch's c10d
 * (torch-free header).
 *
 * \details
 * One process per worker, launched the way `torchrun` launches PyTorch
 * workers: the environment names the worker (`RANK`, `WORLD_SIZE`,
 * `LOCAL_RANK`) and the rendezvous (`MASTER_ADDR`, `MASTER_PORT`), so
 * torchrun, a Slurm script or a Kubernetes job can start `tfmed train …`
 * unchanged; `tfmed train … --nproc N` starts N local workers itself.
 * Rendezvous is c10d's `TCPStore` (rank 0 serves it); collectives are
 * c10d's `ProcessGroupGloo` on the CPU and `ProcessGroupNCCL` on CUDA
 * devices when the build has it. There is no transport of our own.
 *
 * What the training loop (trainer.h) does with a joined world:
 * - parameters and buffers are broadcast from rank 0 at the start (after a
 *   resume too), buffers again before every validation;
 * - every epoch's permutation is the same on every rank (it derives from
 *   the seed and the epoch); the global batch b is permutation positions
 *   [bB, (b+1)B) and rank r takes positions r, r+W, r+2W, ... of it (the
 *   shards of PyTorch's DistributedSampler, disjoint, without padding);
 * - after backward the gradients are all-reduced in buckets (about
 *   `bucket_mb` MB each, issued together, then waited on) and weighted by
 *   each rank's share of the global batch, so world size W with per-rank
 *   batch B/W takes the steps that world size 1 with batch B takes (to
 *   float rounding; tasks that draw random numbers or normalise per batch
 *   draw and normalise per rank, as DDP does);
 * - training loss, cancellation and the validation metric are agreed
 *   across ranks (rank 0's metric governs model selection);
 * - rank 0 alone writes checkpoints, model files and reports; a checkpoint
 *   holds no world size, so a run resumes with the same or another one.
 *
 * Failures: every collective waits at most `timeout_s`. A worker that dies
 * closes its connections; its peers' next collective fails and they exit
 * with an error that names the rank, the operation and the timeout, never
 * hang. The last complete checkpoint stays on disk (written atomically).
 *
 * One world per process (c10d's default group is process-wide too):
 * init() once, shutdown() (or process exit) at the end.
 */

namespace tfmed {
namespace train {
namespace dist {

/*! \brief Who this worker is and where the rendezvous is. */
struct WorldOptions {
    int rank = 0;
    int world_size = 1;
    int local_rank = 0;
    std::string master_addr = "127.0.0.1";
    int master_port = 29500;
    /*! "auto" (NCCL for CUDA devices when built with it, else Gloo),
     *  "gloo" or "nccl". */
    std::string backend = "auto";
    double timeout_s = 120.0; //!< per collective and for the rendezvous
    double bucket_mb = 25.0;  //!< gradient all-reduce bucket size (DDP's default)

    /*! \throws std::invalid_argument naming the bad field */
    void validate() const;
};

/*!
 * \brief The world described by the environment (`RANK`, `WORLD_SIZE`,
 * `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT`; `TFMED_DIST_TIMEOUT` in
 * seconds). `found` is set when `WORLD_SIZE` is present.
 * \throws std::invalid_argument for a malformed or missing variable, naming
 *         it, what was expected and what was found
 */
WorldOptions world_from_environment(bool* found = nullptr);

/*! \brief Join the world (blocks until every rank has joined, at most
 *  timeout_s). `device` is "cpu" or "cuda:N" (decides "auto").
 *  \throws std::runtime_error naming the rendezvous address and timeout */
void init(const WorldOptions& w, const std::string& device = "cpu");

/*! \brief Leave the world (a barrier first when `barrier`). Idempotent. */
void shutdown(bool barrier = true);

bool active();         //!< a world of size > 1 or an explicit one is joined
int rank();            //!< 0 when not active
int world_size();      //!< 1 when not active
int local_rank();      //!< 0 when not active
bool is_writer();      //!< rank 0 (or not distributed): writes files and reports
std::string backend(); //!< "gloo", "nccl", or "" when not active
const WorldOptions& options();

/*! \brief What rank `rank` does of a global batch of `n` examples: the
 *  positions r, r + W, ... (count only). */
inline long long shard_size(long long n, int rank, int world)
{
    return n > rank ? (n - rank + world - 1) / world : 0;
}

} // namespace dist
} // namespace train
} // namespace tfmed

#endif
