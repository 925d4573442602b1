/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal: the collectives the training loop uses on a joined world
 * (tfmed/train/distributed.h). Every call is collective: all ranks make it,
 * in the same order. `what` names the place for the error when a peer is
 * gone ("gradient all-reduce, epoch 2 step 3").
 */
#ifndef INCLUDED_TFMED_TRAIN_DISTRIBUTED_OPS_H
#define INCLUDED_TFMED_TRAIN_DISTRIBUTED_OPS_H

#include <tfmed/train/distributed.h>

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace tfmed {
namespace train {
namespace dist {

/*! Rank 0's parameters (unless buffers_only) and buffers, in place. */
void broadcast_module(torch::nn::Module& net, bool buffers_only, const std::string& what);

/*! Sum over ranks of (weight x each parameter's gradient), in buckets. A
 *  parameter without a gradient on a rank counts as zero there, and is left
 *  without one where no rank had one (as one process would). */
void allreduce_gradients(torch::nn::Module& net, double weight, const std::string& what);

/*! Element-wise sum over ranks (float64). */
std::vector<double> allreduce_sum(const std::vector<double>& v, const std::string& what);

/*! Rank 0's values (float64). */
std::vector<double> broadcast(const std::vector<double>& v, const std::string& what);

/*! Rank 0's bytes (a length, then the bytes). */
std::string broadcast_bytes(const std::string& bytes, const std::string& what);

void barrier(const std::string& what);

// Every rank's `mine` against rank 0's (all ranks take part). When they
// differ, every rank learns how many differ, the first that does and its
// text, so that each can name both sides.
struct Comparison {
    int differing = 0;  // ranks whose text is not rank 0's
    int first = -1;     // the lowest of them (-1: they agree)
    std::string rank0;  // rank 0's text
    std::string other;  // the first differing rank's text
};
Comparison compare_with_rank0(const std::string& mine, const std::string& what);

} // namespace dist
} // namespace train
} // namespace tfmed

#endif
