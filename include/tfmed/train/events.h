/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_EVENTS_H
#define INCLUDED_TFMED_TRAIN_EVENTS_H

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

/*!
 * \file
 * \brief Training progress as one event stream (torch-free). The CLI's
 * progress bar and JSON history and the trainer_sink's progress PDUs are
 * views of it.
 */

namespace tfmed {
namespace train {

/*! \brief One progress event. */
struct Event {
    enum class Kind {
        started,    //!< before the first step (message: what is trained on what)
        step,       //!< after each optimiser step
        epoch,      //!< after an epoch's validation
        checkpoint, //!< a checkpoint is on disk (path)
        stopped,    //!< stopped early: stop_after, cancellation (message says which)
        finished,   //!< the model file is on disk (path); message: summary
    };
    Kind kind = Kind::step;
    int epoch = 0;      //!< 1-based epoch the event belongs to
    int epochs = 0;     //!< planned epochs
    int64_t step = 0;   //!< step within the epoch, 1-based
    int64_t steps = 0;  //!< steps per epoch
    double loss = std::numeric_limits<double>::quiet_NaN();   //!< mean training loss of the epoch so far
    double metric = std::numeric_limits<double>::quiet_NaN(); //!< validation metric (epoch events)
    std::string metric_name;
    double lr = std::numeric_limits<double>::quiet_NaN();
    double elapsed_s = 0.0; //!< since the run (this invocation) started
    double eta_s = std::numeric_limits<double>::quiet_NaN(); //!< estimated time to the last epoch
    bool best = false;      //!< epoch events: the best so far
    std::string path;       //!< checkpoint / model file
    std::string message;
};

using EventSink = std::function<void(const Event&)>;

/*! \brief "started", "step", ... */
const char* to_string(Event::Kind k);

/*! \brief Every trainer's last event of a completed run: `finished` with the
 *  model file's `path` (on disk) and its one-line `summary`, sent to `events`
 *  when there is a sink. */
void emit_finished(const EventSink& events,
                   int epoch,
                   int epochs,
                   const std::string& path,
                   const std::string& summary,
                   double metric = std::numeric_limits<double>::quiet_NaN(),
                   const std::string& metric_name = {});

} // namespace train
} // namespace tfmed

#endif
