/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/windows.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/weights.h>
#include <tfmed/train/trainer.h>

#include "distributed_ops.h"
#include "loop.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/utils.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tfmed {
namespace train {

using nlohmann::json;
using namespace loop;

namespace {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& p,
                                                        std::vector<torch::Tensor> params)
{
    if (p.name == "adam")
        return std::make_unique<torch::optim::Adam>(
            params, torch::optim::AdamOptions(p.lr)
                        .betas({ p.beta1, p.beta2 })
                        .eps(p.eps)
                        .weight_decay(p.weight_decay));
    return std::make_unique<torch::optim::AdamW>(params,
                                                 torch::optim::AdamWOptions(p.lr)
                                                     .betas({ p.beta1, p.beta2 })
                                                     .eps(p.eps)
                                                     .weight_decay(p.weight_decay));
}

} // namespace

namespace {

std::mutex g_lease_m;
std::thread::id g_lease_owner;
int g_lease_depth = 0;
} // namespace

RunLease::RunLease()
{
    std::lock_guard<std::mutex> lk(g_lease_m);
    const auto me = std::this_thread::get_id();
    if (g_lease_depth > 0 && g_lease_owner != me)
        throw std::runtime_error("training: another training run is in progress in this "
                                 "process (runs share torch's global generator); run one at "
                                 "a time");
    g_lease_owner = me;
    ++g_lease_depth;
}

RunLease::~RunLease()
{
    std::lock_guard<std::mutex> lk(g_lease_m);
    if (--g_lease_depth == 0)
        g_lease_owner = std::thread::id();
}

namespace loop {

Loop::Loop(Task& t,
           const LoopOptions& opts,
           const torch::Device& dev,
           bool resuming,
           const EventSink& sink,
           const std::atomic<bool>* stop)
    : task(t),
      o(opts),
      device(dev),
      resume(resuming),
      events(sink),
      cancel(stop),
      net(t.module()),
      N(t.train_size()),
      steps((N + opts.batch - 1) / opts.batch),
      lower(t.lower_is_better()),
      settings(settings_of(opts)),
      dp(dist::active()),
      W(dist::world_size()),
      R(dist::rank())
{
    if (N < 1)
        throw std::invalid_argument("training: expected at least one training example, found 0");
    opt = make_optimizer(o.optimizer, net.parameters());
}

void Loop::emit_started() const
{
    Event ev;
    ev.kind = Event::Kind::started;
    ev.epoch = start_epoch + 1;
    ev.epochs = o.epochs;
    ev.steps = steps;
    ev.metric_name = task.metric_name();
    ev.message = std::to_string(N) + " training examples, " + std::to_string(steps) +
                 " steps per epoch" +
                 (resume ? ", resumed after epoch " + std::to_string(start_epoch) +
                               (start_step ? " step " + std::to_string(start_step) : "")
                         : "");
    // An interrupted run started again without --resume lost its checkpoint
    // without a word.
    if (!resume && o.superseded_checkpoint)
        ev.message += "; started over: removed the checkpoint " + o.checkpoint +
                      " of an earlier run (--resume would have continued it)";
    emit(ev);
}

// Stopped before step b of epoch e: the last checkpoint is what remains.
LoopResult Loop::cancelled(int e, int64_t b)
{
    res.cancelled = true;
    Event ev;
    ev.kind = Event::Kind::stopped;
    ev.epoch = e + 1;
    ev.epochs = o.epochs;
    ev.step = b;
    ev.steps = steps;
    ev.path = o.checkpoint;
    ev.message = "cancelled in epoch " + std::to_string(e + 1) +
                 (b < steps ? " before step " + std::to_string(b + 1)
                            : std::string(" during its validation")) +
                 "; last checkpoint: " + last_checkpoint;
    emit(ev);
    res.epochs_done = st.epochs_done;
    res.history_json = st.history.dump();
    return res;
}

// This rank's share of global batch b of epoch e, its gradients all-reduced;
// the global batch's loss. `stop`: a rank was cancelled, all stop before
// this step.
double Loop::world_step(int e, int64_t b, uint64_t es, const std::vector<int>& order,
                        std::mt19937_64& rng, bool& stop)
{
    // This rank's shard of global batch b: positions R, R+W, ...
    const int64_t g0 = b * o.batch, g1 = std::min<int64_t>(N, (b + 1) * o.batch);
    std::vector<int64_t> idx;
    for (int64_t i = g0 + R; i < g1; i += W)
        idx.push_back(order[static_cast<std::size_t>(i)]);
    // Draws derive from (seed, epoch, step, rank): a resume inside
    // an epoch draws what the uninterrupted run drew.
    const uint64_t ss = es * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(b) * 1000003ULL +
                        static_cast<uint64_t>(R);
    torch::manual_seed(ss);
    rng.seed(ss);
    opt->zero_grad();
    const double share = static_cast<double>(idx.size()) / static_cast<double>(g1 - g0);
    double local = 0.0;
    if (!idx.empty()) {
        auto loss = task.loss(idx, rng);
        local = loss.item<double>();
        loss.backward();
    }
    const std::string where = "epoch " + std::to_string(e + 1) + " step " + std::to_string(b + 1);
    dist::allreduce_gradients(net, share, "the gradient all-reduce in " + where);
    const auto red = dist::allreduce_sum(
        { std::isfinite(local) ? local * share : 0.0, std::isfinite(local) ? 0.0 : 1.0,
          cancel && cancel->load() ? 1.0 : 0.0 },
        "the loss reduction in " + where);
    const double lv = red[1] > 0.0 ? NAN : red[0];
    if (!std::isfinite(lv))
        throw std::runtime_error("training diverged: loss " + std::to_string(lv) + " on " +
                                 std::to_string(static_cast<int>(red[1])) + " of " +
                                 std::to_string(W) + " workers at epoch " +
                                 std::to_string(e + 1) + ", step " + std::to_string(b + 1));
    stop = red[2] > 0.0;
    return lv;
}

// After epoch e's validation: selection, the plateau schedule, the history,
// the epoch event and its checkpoint; whether the run goes on.
Loop::After Loop::end_epoch(int e, double lr, double metric, double loss_sum,
                            bool epoch_checkpoint_due)
{
    st.step = 0;
    st.loss_sum = 0.0;
    st.rng.clear();
    torch_rng.clear();
    if (dp) // every rank validates the same weights; rank 0's figure governs
        metric = dist::broadcast({ metric }, "the validation metric of epoch " +
                                                 std::to_string(e + 1))[0];
    const double train_loss = loss_sum / static_cast<double>(N);
    const bool best = better(metric, st.best_metric, lower, o.ties_improve);
    if (best) {
        st.best_metric = metric;
        st.best_epoch = e + 1;
        st.bad_epochs = 0;
        if (o.select == "best")
            best_weights = models::weights_bytes(net);
    } else {
        ++st.bad_epochs;
    }
    if (o.schedule.name == "plateau") {
        // ReduceLROnPlateau, relative threshold 1e-4.
        const double ref = st.plateau_best;
        const bool improved =
            std::isfinite(metric) &&
            (!std::isfinite(ref) ||
             (lower ? metric < ref * (1.0 - 1e-4 * (ref > 0 ? 1 : -1))
                    : metric > ref * (1.0 + 1e-4 * (ref > 0 ? 1 : -1))));
        if (improved) {
            st.plateau_best = metric;
            st.plateau_bad = 0;
        } else if (++st.plateau_bad > o.schedule.patience) {
            st.lr = std::max(lr * o.schedule.factor, o.schedule.min_lr);
            st.plateau_bad = 0;
        }
        if (!std::isfinite(st.lr))
            st.lr = lr;
    }
    st.epochs_done = e + 1;
    last_metric = metric;
    const double secs = elapsed();
    st.history.push_back({ { "epoch", e + 1 },
                           { "lr", lr },
                           { "train_loss", train_loss },
                           { task.metric_name(),
                             std::isfinite(metric) ? json(metric) : json(nullptr) },
                           { "seconds", secs } });
    if (!st.pending_change.empty()) {
        // The epoch from which changed settings held.
        st.history.back()["settings_changed"] = st.pending_change;
        st.pending_change.clear();
    }
    const bool early = o.patience > 0 && st.bad_epochs >= o.patience && e + 1 < o.epochs;
    const bool pause = o.stop_after > 0 && e + 1 - start_epoch >= o.stop_after &&
                       e + 1 < o.epochs;
    {
        Event ev;
        ev.kind = Event::Kind::epoch;
        ev.epoch = e + 1;
        ev.epochs = o.epochs;
        ev.step = steps;
        ev.steps = steps;
        ev.loss = train_loss;
        ev.metric = metric;
        ev.metric_name = task.metric_name();
        ev.lr = lr;
        ev.best = best;
        ev.elapsed_s = secs;
        ev.eta_s = steps_run ? secs / steps_run * static_cast<double>(steps_total - steps_run)
                             : NAN;
        emit(ev);
    }
    st.early_stopped = early;
    if ((e + 1) % o.checkpoint_every == 0 || e + 1 == o.epochs || early || pause ||
        epoch_checkpoint_due)
        write_checkpoint(nullptr);
    if (early) {
        Event ev;
        ev.kind = Event::Kind::stopped;
        ev.epoch = e + 1;
        ev.epochs = o.epochs;
        ev.message = "early stop: no better " + task.metric_name() + " for " +
                     std::to_string(o.patience) + " epochs (best: epoch " +
                     std::to_string(st.best_epoch) + ")";
        emit(ev);
        return After::early_stop;
    }
    if (pause) {
        Event ev;
        ev.kind = Event::Kind::stopped;
        ev.epoch = e + 1;
        ev.epochs = o.epochs;
        ev.path = o.checkpoint;
        ev.message = "stopped after epoch " + std::to_string(e + 1) + " of " +
                     std::to_string(o.epochs) + "; continue with --resume";
        emit(ev);
        return After::pause;
    }
    return After::next;
}

// Stopped after the epochs --stop-after asked for (the checkpoint resumes).
LoopResult Loop::paused()
{
    res.epochs_done = st.epochs_done;
    res.best_epoch = st.best_epoch;
    res.best_metric = st.best_metric;
    res.history_json = st.history.dump();
    res.training_json = training_json(false);
    return res;
}

// Every epoch run (or an early stop): the selected weights in the module.
LoopResult Loop::completed()
{
    if (o.select == "best") {
        if (st.best_epoch == 0)
            throw std::runtime_error("training: no epoch gave a finite " + task.metric_name() +
                                     " (every validation was NaN/Inf); no model written");
        models::load_weights_bytes(net, best_weights, device, "the best epoch's weights");
    }
    net.eval();
    res.early_stopped = st.early_stopped;
    res.completed = true;
    res.epochs_done = st.epochs_done;
    res.best_epoch = st.best_epoch;
    res.best_metric = st.best_metric;
    res.kept_epoch = o.select == "best" ? st.best_epoch : st.epochs_done;
    res.kept_metric = o.select == "best" ? st.best_metric : last_metric;
    res.history_json = st.history.dump();
    res.training_json = training_json(false);
    return res;
}

LoopResult Loop::run()
{
    check_world();
    start_from_checkpoint();
    last_checkpoint = resume ? o.checkpoint + " (" + position() + ")" : std::string("none");
    // validate() polls the cancel flag through the task (not in a world: its
    // workers agree on a stop at a step); the task's own flag is restored
    // however run() ends.
    struct StopFlag {
        Task& t;
        const std::atomic<bool>* was;
        ~StopFlag() { t.set_stop_flag(was); }
    } const stop_flag{ task, task.stop_flag() };
    task.set_stop_flag(dp ? nullptr : cancel);

    start_epoch = st.epochs_done;
    start_step = st.step;
    t0 = std::chrono::steady_clock::now();
    emit_started();
    if (!st.history.empty() && st.history.back().is_object()) {
        const auto v = st.history.back().value(task.metric_name(), json(nullptr));
        if (v.is_number())
            last_metric = v.get<double>();
    }
    steps_total = (o.epochs - start_epoch) * steps - start_step;
    for (int e = st.epochs_done; e < o.epochs && !st.early_stopped; ++e) {
        const double lr = scheduled_lr(o, e, st);
        for (auto& g : opt->param_groups())
            g.options().set_lr(lr);
        // Everything random in epoch e derives from (seed, e).
        const uint64_t es = o.seed * 1000003ULL + static_cast<uint64_t>(e);
        torch::manual_seed(es);
        std::mt19937_64 rng(es);
        const auto order = data::permutation(static_cast<int>(N), es);
        int64_t b0 = 0;
        // Sum of each step's loss times its examples: the epoch's loss is the
        // mean over examples (a short last batch weighs what it holds).
        double loss_sum = 0.0;
        if (st.step > 0) { // resuming inside this epoch
            b0 = st.step;
            // (older checkpoints summed batch means; the steps before were full)
            loss_sum = st.loss_per_example ? st.loss_sum : st.loss_sum * static_cast<double>(o.batch);
            std::istringstream(st.rng) >> rng;
            if (!torch_rng.empty()) {
                auto gen = at::detail::getDefaultCPUGenerator();
                auto t = torch::empty({ static_cast<int64_t>(torch_rng.size()) }, torch::kUInt8);
                std::memcpy(t.data_ptr(), torch_rng.data(), torch_rng.size());
                std::lock_guard<std::mutex> lock(gen.mutex());
                gen.set_state(t);
            }
        }
        net.train();
        // (resumed after all the epoch's steps, before its validation: the
        // last step's checkpoint schedule still holds for the epoch's end)
        bool epoch_checkpoint_due = b0 == steps && o.checkpoint_every_steps > 0 &&
                                    (static_cast<int64_t>(e) * steps + steps) %
                                            o.checkpoint_every_steps ==
                                        0;
        for (int64_t b = b0; b < steps; ++b) {
            if (!dp && cancel && cancel->load()) // (a world agrees on it after backward)
                return cancelled(e, b);
            double lv = 0.0;
            if (!dp) {
                std::vector<int64_t> idx(order.begin() + b * o.batch,
                                         order.begin() + std::min<int64_t>(N, (b + 1) * o.batch));
                auto loss = task.loss(idx, rng);
                lv = loss.item<double>();
                if (!std::isfinite(lv))
                    throw std::runtime_error("training diverged: loss " + std::to_string(lv) +
                                             " at epoch " + std::to_string(e + 1) + ", step " +
                                             std::to_string(b + 1));
                opt->zero_grad();
                loss.backward();
            } else {
                bool stop = false;
                lv = world_step(e, b, es, order, rng, stop);
                if (stop) // a rank was cancelled: all stop before this step
                    return cancelled(e, b);
            }
            // A finite loss can still give an Inf/NaN gradient (a sqrt or log
            // at 0): one step would make every weight NaN, and the next
            // checkpoint would keep them. The norm (all gradients in one
            // reduction, read once) is checked before the step.
            const double gnorm =
                torch::nn::utils::clip_grad_norm_(net.parameters(),
                                                  o.clip_grad_norm > 0.0
                                                      ? o.clip_grad_norm
                                                      : std::numeric_limits<double>::infinity());
            if (!std::isfinite(gnorm))
                throw std::runtime_error("training diverged: gradient norm " +
                                         std::to_string(gnorm) + " at epoch " +
                                         std::to_string(e + 1) + ", step " +
                                         std::to_string(b + 1) + " (the loss was " +
                                         std::to_string(lv) + ")");
            opt->step();
            task.after_step();
            const int64_t seen = std::min<int64_t>(N, (b + 1) * o.batch);
            loss_sum += lv * static_cast<double>(seen - b * o.batch);
            ++steps_run;
            Event ev;
            ev.kind = Event::Kind::step;
            ev.epoch = e + 1;
            ev.epochs = o.epochs;
            ev.step = b + 1;
            ev.steps = steps;
            ev.loss = loss_sum / static_cast<double>(seen);
            ev.lr = lr;
            ev.elapsed_s = elapsed();
            ev.eta_s = ev.elapsed_s / steps_run * static_cast<double>(steps_total - steps_run);
            emit(ev);
            const int64_t global = static_cast<int64_t>(e) * steps + b + 1;
            const bool step_due =
                o.checkpoint_every_steps > 0 && global % o.checkpoint_every_steps == 0;
            // Due on the epoch's last step: the epoch's checkpoint after
            // validation is that one (it was skipped unless the epoch was due).
            epoch_checkpoint_due = epoch_checkpoint_due || (step_due && b + 1 == steps);
            if (step_due && b + 1 < steps)
                checkpoint_inside_epoch(b + 1, loss_sum, rng);
        }
        net.eval();
        if (dp) // batch-norm statistics differ per rank: rank 0's are the model's
            dist::broadcast_module(net, true, "the buffer broadcast before validation in epoch " +
                                                  std::to_string(e + 1));
        const double metric = task.validate();
        if (!dp && cancel && cancel->load()) {
            // Stopped during (or right after) the validation pass: the epoch's
            // steps are kept in a checkpoint at their end, and a resume
            // validates the epoch again (the pass draws nothing).
            if (st.step != steps) // (resumed at this point: that checkpoint stands)
                checkpoint_inside_epoch(steps, loss_sum, rng);
            return cancelled(e, steps);
        }
        const auto after = end_epoch(e, lr, metric, loss_sum, epoch_checkpoint_due);
        if (after == After::early_stop)
            break;
        if (after == After::pause)
            return paused();
    }
    return completed();
}

} // namespace loop

bool start_fresh(const std::string& checkpoint)
{
    std::error_code ec;
    if (checkpoint.empty() || !dist::is_writer() || !std::filesystem::exists(checkpoint, ec))
        return false;
    std::filesystem::remove(checkpoint);
    return true;
}

LoopResult run(Task& task,
               const LoopOptions& o,
               const torch::Device& device,
               bool resume,
               const EventSink& events,
               const std::atomic<bool>* cancel)
{
    o.validate();
    // The loop seeds torch's global generator and the process's intra-op
    // threads: two runs at once in one process would interleave their draws.
    const RunLease lease;
    Loop this_run(task, o, device, resume, events, cancel);
    return this_run.run();
}

std::string selection_text(const LoopResult& r, const std::string& metric_name)
{
    char b[256];
    if (r.kept_epoch == r.best_epoch)
        std::snprintf(b, sizeof b, "best epoch %d (%s %.5f)", r.best_epoch, metric_name.c_str(),
                      r.best_metric);
    else
        std::snprintf(b, sizeof b, "epoch %d, the last (%s %.5f; best: epoch %d, %.5f)",
                      r.kept_epoch, metric_name.c_str(), r.kept_metric, r.best_epoch,
                      r.best_metric);
    return b;
}

} // namespace train
} // namespace tfmed
