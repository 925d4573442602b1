/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The training loop's checkpoints: the world's checks at the start, the
 * resume from a checkpoint, and the checkpoints it writes (loop.h).
 */
#include "loop.h"

#include <tfmed/models/model_file.h>
#include <tfmed/models/weights.h>

#include "distributed_ops.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace tfmed {
namespace train {
namespace loop {

namespace {

std::string tensor_bytes(const torch::Tensor& t)
{
    const auto c = t.contiguous().to(torch::kCPU);
    return std::string(static_cast<const char*>(c.data_ptr()), c.nbytes());
}

// Every rank's `mine` must equal rank 0's; else every rank stops with a
// message that names both sides (rank 0 and the first that differs) and
// what differs between them.
void agree(const json& mine, int W, const std::string& subject, const std::string& what)
{
    // (replace: an error text with bytes that are not UTF-8 must not throw
    // on one rank before the collective)
    const auto c = dist::compare_with_rank0(
        mine.dump(-1, ' ', false, json::error_handler_t::replace), what);
    if (c.first < 0)
        return;
    std::string diff;
    try {
        diff = differences(json::parse(c.rank0), json::parse(c.other));
    } catch (const json::exception&) {
    }
    throw std::invalid_argument("training: the workers disagree on " + subject + " (" +
                                std::to_string(c.differing) + " of " + std::to_string(W) +
                                " differ from rank 0; rank 0 -> rank " + std::to_string(c.first) +
                                ": " + (diff.empty() ? "?" : diff) + "). Rank 0: " + c.rank0 +
                                "; rank " + std::to_string(c.first) + ": " + c.other);
}

} // namespace

// A world (data parallel): a batch every rank has a share of, and every rank
// the same network, settings and data, starting the same way.
void Loop::check_world() const
{
    if (!dp)
        return;
    const int64_t need = static_cast<int64_t>(W) * std::max<int64_t>(1, task.min_shard());
    if (o.batch < need)
        throw std::invalid_argument(
            "training: expected a batch >= " +
            (need == W ? "the number of workers (" + std::to_string(W)
                       : std::to_string(task.min_shard()) + " x the " + std::to_string(W) +
                             " workers (" + std::to_string(need) +
                             ": BatchNorm trains on each worker's share") +
            "; --batch is the global batch, split across them), found " +
            std::to_string(o.batch));
    json shapes = json::object();
    for (const auto& p : net.named_parameters())
        shapes[p.key()] = p.value().sizes().vec();
    for (const auto& b : net.named_buffers())
        shapes[b.key()] = b.value().sizes().vec();
    const json mine = { { "settings", settings },
                        { "stop_after", o.stop_after },
                        { "train_examples", N },
                        { "resume", resume },
                        { "network", shapes } };
    agree(mine, W, "the training settings, the network or the data",
          "the settings check at the start");
}

// The checkpoint's state, weights, optimizer and best weights (resume).
void Loop::read_checkpoint()
{
    if (o.checkpoint.empty() || !std::filesystem::exists(o.checkpoint))
        throw std::runtime_error("resume: no checkpoint " + o.checkpoint);
    const auto f = models::read_model_file(o.checkpoint, true);
    json t;
    try {
        t = json::parse(f.card_json).at("training");
        const auto& was_settings = t.at("settings");
        const auto diff = differences(was_settings, settings);
        st = state_from(t);
        if (!diff.empty()) {
            if (was_settings.value("seed", o.seed) != o.seed ||
                was_settings.at("optimizer").value("name", o.optimizer.name) != o.optimizer.name)
                throw std::invalid_argument(
                    o.checkpoint + ": resume cannot change the seed or the optimiser kind "
                                   "(" + diff + ")");
            if (!o.allow_changed_settings)
                throw std::invalid_argument(o.checkpoint +
                                            ": resume with other training settings than "
                                            "the checkpoint's: " +
                                            diff +
                                            " (add --allow-changed-settings to apply them "
                                            "from where the checkpoint left off, recorded in the history)");
            if (st.step > 0 && was_settings.value("batch", o.batch) != o.batch)
                throw std::invalid_argument(o.checkpoint +
                                            ": the checkpoint is inside an epoch; the batch "
                                            "size can change only at an epoch boundary "
                                            "(resume from an epoch checkpoint)");
            if (st.epochs_done >= o.epochs)
                throw std::invalid_argument(o.checkpoint + ": the checkpoint has " +
                                            std::to_string(st.epochs_done) +
                                            " epochs done; expected --epochs above that, "
                                            "found " + std::to_string(o.epochs));
            changed = diff;
            st.pending_change =
                st.pending_change.empty() ? diff : st.pending_change + "; " + diff;
            if (was_settings.at("optimizer").value("lr", o.optimizer.lr) != o.optimizer.lr)
                st.lr = NAN; // the plateau schedule restarts from the new rate
        }
        // The thread count and the device change the last bits of every
        // step: a resume on others is no longer the uninterrupted run.
        // Allowed (another machine), and recorded where it starts; by
        // the writer, whose history is the one kept (rank r of a world
        // runs on cuda:r where the checkpoint says rank 0's cuda:0).
        const json here = { { "threads", at::get_num_threads() },
                            { "device", device.str() } };
        auto text = [](const json& v) {
            return v.is_string() ? v.get<std::string>() : v.dump();
        };
        if (dist::is_writer())
            for (const auto& [key, now] : here.items())
                if (t.contains(key) && t[key] != now)
                    st.pending_change += (st.pending_change.empty() ? "" : "; ") + key +
                                         " " + text(t[key]) + " -> " + text(now);
        const auto was = t.value("train_examples", int64_t{ -1 });
        if (was != N)
            throw std::invalid_argument(o.checkpoint + ": resume on other data: the "
                                                       "checkpoint trained on " +
                                        std::to_string(was) + " examples, found " +
                                        std::to_string(N));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(o.checkpoint + ": not a resumable checkpoint (" + e.what() +
                                 ")");
    }
    if (!f.has("weights") || !f.has("optimizer"))
        throw std::runtime_error(o.checkpoint +
                                 ": not a checkpoint (expected weights and optimizer "
                                 "sections)");
    {
        char h[24];
        std::snprintf(h, sizeof h, "%016llx",
                      static_cast<unsigned long long>(models::fnv1a64(
                          f.section("optimizer").data(), f.section("optimizer").size(),
                          models::fnv1a64(f.section("weights")))));
        checkpoint_digest = h;
    }
    models::load_weights_bytes(net, f.section("weights"), device,
                               o.checkpoint + ": the weights section");
    models::load_archive_bytes(*opt, f.section("optimizer"), device,
                               o.checkpoint + ": the optimizer section");
    // The archive brings the old hyper-parameters with the moments; the
    // settings of this run govern (they equal the old ones unless
    // changed explicitly above).
    for (auto& g : opt->param_groups()) {
        if (auto* w = dynamic_cast<torch::optim::AdamWOptions*>(&g.options())) {
            w->weight_decay(o.optimizer.weight_decay);
            w->betas({ o.optimizer.beta1, o.optimizer.beta2 });
            w->eps(o.optimizer.eps);
        } else if (auto* a = dynamic_cast<torch::optim::AdamOptions*>(&g.options())) {
            a->weight_decay(o.optimizer.weight_decay);
            a->betas({ o.optimizer.beta1, o.optimizer.beta2 });
            a->eps(o.optimizer.eps);
        }
    }
    best_weights = f.section("best_weights");
    torch_rng = f.section("torch_rng");
    if (o.select == "best" && best_weights.empty() && st.best_epoch > 0) {
        // A run that selected its last epoch kept no best weights, unless
        // its best epoch is the checkpoint's own.
        if (st.best_epoch == st.epochs_done && st.step == 0)
            best_weights = f.section("weights");
        else
            throw std::invalid_argument(
                o.checkpoint + ": the checkpoint kept no weights of its best epoch (" +
                std::to_string(st.best_epoch) + "; it selected the last epoch): expected "
                "select 'last' to resume it");
    }
    // An early stop of the checkpoint's run stands only under the same
    // patience: with settings changed (more epochs, other patience) the
    // rule is applied again.
    if (st.early_stopped && !changed.empty())
        st.early_stopped = o.patience > 0 && st.bad_epochs >= o.patience;
}

// The resume (when asked), then in a world one starting point for all ranks.
void Loop::start_from_checkpoint()
{
    // A rank that cannot resume (no checkpoint on its disk, a damaged one)
    // must not leave the others waiting in the next collective: its error
    // joins the resume check below, which then names it on every rank.
    std::exception_ptr resume_failed;
    std::string resume_error;
    try {
        if (resume)
            read_checkpoint();
    } catch (const std::exception& e) {
        if (!dp)
            throw;
        resume_failed = std::current_exception();
        resume_error = e.what();
    }
    if (!dp)
        return;
    // Each rank read its own checkpoint (a node-local disk may hold an
    // older one): the same state, or none of them trains.
    json from = { { "resume", resume } };
    if (resume_failed)
        from["error"] = resume_error;
    else if (resume)
        from.update({ { "checkpoint", checkpoint_digest },
                      { "epochs_done", st.epochs_done },
                      { "step", st.step } });
    agree(from, W, "the checkpoint they resume from", "the resume check at the start");
    if (resume_failed) // every rank failed the same way
        std::rethrow_exception(resume_failed);
    // One starting point for all ranks (DDP's broadcast at construction).
    dist::broadcast_module(net, false, "the broadcast of rank 0's parameters at the start");
}

std::string Loop::training_json(bool with_state) const
{
    json t = { { "settings", settings },
               { "history", st.history },
               { "metric", task.metric_name() },
               { "epochs_done", st.epochs_done },
               { "best_epoch", st.best_epoch },
               { "train_examples", N },
               { "steps_per_epoch", steps },
               { "threads", at::get_num_threads() },
               { "device", device.str() } };
    if (std::isfinite(st.best_metric))
        t["best_" + task.metric_name()] = st.best_metric;
    if (with_state)
        t["state"] = state_json(st);
    return t.dump();
}

std::string Loop::position() const
{
    return "epoch " + std::to_string(st.step ? st.epochs_done + 1 : st.epochs_done) +
           (st.step ? " step " + std::to_string(st.step) : "");
}

void Loop::write_checkpoint(const torch::Tensor* gen_state)
{
    if (o.checkpoint.empty() || !dist::is_writer())
        return;
    models::ModelFile f;
    f.card_json = task.card_json(training_json(true));
    f.sections["weights"] = models::weights_bytes(net);
    f.sections["optimizer"] = models::archive_bytes(*opt);
    if (!best_weights.empty())
        f.sections["best_weights"] = best_weights;
    if (gen_state)
        f.sections["torch_rng"] = tensor_bytes(*gen_state);
    models::write_model_file(o.checkpoint, f);
    last_checkpoint = o.checkpoint + " (" + position() + ")";
    Event ev;
    ev.kind = Event::Kind::checkpoint;
    ev.epoch = st.step ? st.epochs_done + 1 : st.epochs_done;
    ev.epochs = o.epochs;
    ev.step = st.step;
    ev.steps = steps;
    ev.path = o.checkpoint;
    emit(ev);
}

// A checkpoint inside epoch st.epochs_done + 1 after `done` of its steps
// (done == steps: all of them, before the validation), with both
// generators' states.
void Loop::checkpoint_inside_epoch(int64_t done, double loss_sum, const std::mt19937_64& rng)
{
    st.step = done;
    st.loss_sum = loss_sum;
    st.loss_per_example = true;
    std::ostringstream r;
    r << rng;
    st.rng = r.str();
    auto gen = at::detail::getDefaultCPUGenerator();
    torch::Tensor gs;
    {
        std::lock_guard<std::mutex> lock(gen.mutex());
        gs = gen.get_state();
    }
    write_checkpoint(&gs);
}

} // namespace loop
} // namespace train
} // namespace tfmed
