/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_PROGRESS_VIEW_H
#define INCLUDED_TFMED_APPS_PROGRESS_VIEW_H

#include "common.h"

#include <tfmed/train/distributed.h>
#include <tfmed/train/events.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

namespace tfmed {
namespace apps {

// "val_loss" -> "val loss"
inline std::string words(std::string s)
{
    for (char& c : s)
        if (c == '_')
            c = ' ';
    return s;
}

// The CLI's view of the training event stream: a progress bar per epoch and
// one line per epoch on stderr; the pause line on stdout.
class ProgressView
{
public:
    void operator()(const train::Event& e)
    {
        using K = train::Event::Kind;
        switch (e.kind) {
        case K::started:
            if (!e.message.empty())
                std::cerr << e.message << "\n";
            break;
        case K::step:
            if (!bar_ || epoch_ != e.epoch) {
                bar_ = std::make_unique<Progress>(
                    "epoch " + std::to_string(e.epoch) + "/" + std::to_string(e.epochs), e.steps);
                epoch_ = e.epoch;
            }
            bar_->update(e.step, "loss " + fmt("%.4f", e.loss));
            break;
        case K::epoch: {
            const std::string line = "epoch " + std::to_string(e.epoch) + "/" +
                                     std::to_string(e.epochs) + ": loss " +
                                     fmt("%.5f", e.loss) + ", " +
                                     words(e.metric_name.empty() ? "val_score" : e.metric_name) + " " +
                                     fmt("%.5f", e.metric) + (e.best ? " (best)" : "");
            if (bar_)
                bar_->finish(line);
            else
                std::cerr << line << "\n";
            bar_.reset();
            break;
        }
        case K::stopped:
            std::printf("%s\n", e.message.c_str());
            break;
        case K::checkpoint:
        case K::finished:
            break;
        }
    }

private:
    std::unique_ptr<Progress> bar_;
    int epoch_ = 0;
};

/*! The event sink of a train command: a progress view on rank 0 (or in a
 *  run of one process), nothing on the other ranks: one report per world. */
inline train::EventSink world_progress()
{
    auto view = std::make_shared<ProgressView>();
    return [view](const train::Event& e) {
        if (train::dist::is_writer())
            (*view)(e);
    };
}

} // namespace apps
} // namespace tfmed

#endif
