/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The training loop's settings and record (loop_state.h): option checks,
 * the settings and state objects its checkpoints and cards carry, the
 * schedule and what a resume may change.
 */
#include "loop_state.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace tfmed {
namespace train {

const char* to_string(Event::Kind k)
{
    switch (k) {
    case Event::Kind::started:
        return "started";
    case Event::Kind::step:
        return "step";
    case Event::Kind::epoch:
        return "epoch";
    case Event::Kind::checkpoint:
        return "checkpoint";
    case Event::Kind::stopped:
        return "stopped";
    case Event::Kind::finished:
        return "finished";
    }
    return "?";
}

void emit_finished(const EventSink& events,
                   int epoch,
                   int epochs,
                   const std::string& path,
                   const std::string& summary,
                   double metric,
                   const std::string& metric_name)
{
    if (!events)
        return;
    Event ev;
    ev.kind = Event::Kind::finished;
    ev.epoch = epoch;
    ev.epochs = epochs;
    ev.metric = metric;
    ev.metric_name = metric_name;
    ev.path = path;
    ev.message = summary;
    events(ev);
}

void LoopOptions::validate() const
{
    auto fail = [](const std::string& m) { throw std::invalid_argument("training: " + m); };
    if (epochs < 1)
        fail("expected epochs >= 1, found " + std::to_string(epochs));
    if (batch < 1)
        fail("expected batch >= 1, found " + std::to_string(batch));
    if (optimizer.name != "adam" && optimizer.name != "adamw")
        fail("expected optimizer 'adam' or 'adamw', found '" + optimizer.name + "'");
    if (!(optimizer.lr > 0.0) || !std::isfinite(optimizer.lr))
        fail("expected a learning rate > 0, found " + std::to_string(optimizer.lr));
    if (!(optimizer.weight_decay >= 0.0) || !std::isfinite(optimizer.weight_decay))
        fail("expected weight decay >= 0, found " + std::to_string(optimizer.weight_decay));
    if (!(optimizer.beta1 >= 0.0 && optimizer.beta1 < 1.0 && optimizer.beta2 >= 0.0 &&
          optimizer.beta2 < 1.0))
        fail("expected betas in [0, 1), found (" + std::to_string(optimizer.beta1) + ", " +
             std::to_string(optimizer.beta2) + ")");
    const auto& s = schedule.name;
    if (s != "constant" && s != "cosine" && s != "step" && s != "plateau")
        fail("expected schedule constant, cosine, step or plateau, found '" + s + "'");
    auto num = [](double v) {
        std::ostringstream o;
        o << v;
        return o.str();
    };
    if (!(optimizer.eps > 0.0) || !std::isfinite(optimizer.eps))
        fail("expected an optimiser eps > 0, found " + num(optimizer.eps));
    // A gamma above 1 (or Inf) grows the rate until the loss is NaN; it failed
    // later as "training diverged" or a float overflow.
    if (s == "step" && (schedule.step_size < 1 || !(schedule.gamma > 0.0 && schedule.gamma <= 1.0)))
        fail("expected step_size >= 1 and 0 < gamma <= 1 for the step schedule, found " +
             std::to_string(schedule.step_size) + " and " + num(schedule.gamma));
    if (s == "plateau" && (schedule.patience < 0 || !(schedule.factor > 0.0 && schedule.factor < 1.0)))
        fail("expected patience >= 0 and 0 < factor < 1 for the plateau schedule, found " +
             std::to_string(schedule.patience) + " and " + num(schedule.factor));
    // A min_lr above the rate (or NaN) made a plateau "cut" raise it.
    if (s == "plateau" && !(schedule.min_lr >= 0.0 && schedule.min_lr <= optimizer.lr))
        fail("expected 0 <= min_lr <= the learning rate " + num(optimizer.lr) +
             " for the plateau schedule, found " + num(schedule.min_lr));
    if (!(clip_grad_norm >= 0.0))
        fail("expected clip_grad_norm >= 0 (0 = off), found " + std::to_string(clip_grad_norm));
    if (select != "best" && select != "last")
        fail("expected select 'best' or 'last', found '" + select + "'");
    if (patience < 0 || checkpoint_every < 1 || checkpoint_every_steps < 0 || stop_after < 0)
        fail("expected patience >= 0, checkpoint_every >= 1, checkpoint_every_steps >= 0 and "
             "stop_after >= 0, found " +
             std::to_string(patience) + ", " + std::to_string(checkpoint_every) + ", " +
             std::to_string(checkpoint_every_steps) + ", " + std::to_string(stop_after));
}
namespace loop {

json settings_of(const LoopOptions& o)
{
    const auto& p = o.optimizer;
    const auto& s = o.schedule;
    json sched = { { "name", s.name } };
    if (s.name == "step")
        sched.update({ { "step_size", s.step_size }, { "gamma", s.gamma } });
    if (s.name == "plateau")
        sched.update({ { "patience", s.patience }, { "factor", s.factor }, { "min_lr", s.min_lr } });
    json j = { { "epochs", o.epochs },
             { "batch", o.batch },
             { "optimizer",
               { { "name", p.name },
                 { "lr", p.lr },
                 { "weight_decay", p.weight_decay },
                 { "betas", { p.beta1, p.beta2 } },
                 { "eps", p.eps } } },
             { "schedule", sched },
             { "clip_grad_norm", o.clip_grad_norm },
             { "select", o.select },
             { "patience", o.patience },
             { "seed", o.seed } };
    if (o.ties_improve) // absent when off: older checkpoints compare equal
        j["ties_improve"] = true;
    return j;
}

json state_json(const State& s)
{
    auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    return { { "epochs_done", s.epochs_done }, { "step", s.step },
             { "loss_sum_examples", s.loss_sum }, { "rng", s.rng },
             { "best_epoch", s.best_epoch },   { "best_metric", num(s.best_metric) },
             { "bad_epochs", s.bad_epochs },   { "lr", num(s.lr) },
             { "plateau_best", num(s.plateau_best) }, { "plateau_bad", s.plateau_bad },
             { "early_stopped", s.early_stopped }, { "pending_change", s.pending_change } };
}

State state_from(const json& t)
{
    auto num = [](const json& v) { return v.is_number() ? v.get<double>() : NAN; };
    const auto& r = t.at("state");
    State s;
    s.epochs_done = r.at("epochs_done").get<int>();
    s.step = r.at("step").get<int64_t>();
    s.loss_per_example = r.contains("loss_sum_examples");
    s.loss_sum = r.at(s.loss_per_example ? "loss_sum_examples" : "loss_sum").get<double>();
    s.rng = r.at("rng").get<std::string>();
    s.best_epoch = r.at("best_epoch").get<int>();
    s.best_metric = num(r.at("best_metric"));
    s.bad_epochs = r.at("bad_epochs").get<int>();
    s.lr = num(r.at("lr"));
    s.plateau_best = num(r.at("plateau_best"));
    s.plateau_bad = r.at("plateau_bad").get<int>();
    s.early_stopped = r.value("early_stopped", false);
    s.pending_change = r.value("pending_change", std::string());
    s.history = t.at("history");
    return s;
}

bool better(double v, double ref, bool lower, bool ties_improve)
{
    if (!std::isfinite(v))
        return false;
    if (!std::isfinite(ref))
        return true;
    if (ties_improve && v == ref) // TSLib's EarlyStopping: only `score < best` is worse
        return true;
    return lower ? v < ref : v > ref;
}

double scheduled_lr(const LoopOptions& o, int e, const State& s)
{
    const double lr = o.optimizer.lr;
    const auto& n = o.schedule.name;
    if (n == "cosine")
        return lr * 0.5 * (1.0 + std::cos(M_PI * e / o.epochs));
    if (n == "step")
        return lr * std::pow(o.schedule.gamma, e / o.schedule.step_size);
    if (n == "plateau")
        return std::isfinite(s.lr) ? s.lr : lr;
    return lr;
}

// The differences between two settings objects, one "key: a -> b" each.
std::string differences(const json& was, const json& now, const std::string& prefix)
{
    std::string out;
    for (const auto& [k, v] : now.items()) {
        const auto name = prefix + k;
        if (!was.contains(k)) {
            out += (out.empty() ? "" : ", ") + name + " (new)";
        } else if (v.is_object() && was[k].is_object()) {
            const auto d = differences(was[k], v, name + ".");
            if (!d.empty())
                out += (out.empty() ? "" : ", ") + d;
        } else if (was[k] != v) {
            out += (out.empty() ? "" : ", ") + name + " " + was[k].dump() + " -> " + v.dump();
        }
    }
    for (const auto& [k, v] : was.items()) // a setting the checkpoint had, absent now
        if (!now.contains(k))
            out += (out.empty() ? "" : ", ") + prefix + k + " (dropped)";
    return out;
}

} // namespace loop
} // namespace train
} // namespace tfmed
