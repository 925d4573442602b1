/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_OPTIONS_H
#define INCLUDED_TFMED_TRAIN_OPTIONS_H

#include <cstdint>
#include <string>

/*!
 * \file
 * \brief The training loop's settings (torch-free, so that blocks and tools
 * can hold them without LibTorch headers). The loop is in trainer.h.
 */

namespace tfmed {
namespace train {

/*! \brief Optimiser (the papers use Adam and AdamW). */
struct OptimizerOptions {
    std::string name = "adamw"; //!< "adamw" or "adam"
    double lr = 1e-3;
    double weight_decay = 0.0;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

/*! \brief Learning-rate schedule, applied per epoch. */
struct ScheduleOptions {
    /*! "constant"; "cosine": lr * (1 + cos(pi e / epochs)) / 2; "step":
     *  lr * gamma^floor(e / step_size); "plateau": lr * factor after
     *  `patience` epochs without a better validation metric (ReduceLROnPlateau,
     *  mode min/max from the task, relative threshold 1e-4, floor min_lr). */
    std::string name = "cosine";
    int step_size = 10;
    double gamma = 0.1;
    int patience = 5;
    double factor = 0.1;
    double min_lr = 0.0;
};

/*! \brief The loop's settings. */
struct LoopOptions {
    int epochs = 50;
    int64_t batch = 32;
    OptimizerOptions optimizer;
    ScheduleOptions schedule;
    double clip_grad_norm = 0.0; //!< > 0: clip the global gradient 2-norm
    std::string select = "best"; //!< "best" (validation metric) or "last"
    int patience = 0;            //!< > 0: stop after this many epochs without a better metric
    /*! An equal validation metric counts as better: the later epoch is kept
     *  and patience starts again (TSLib's EarlyStopping, `score < best`;
     *  the SpecAR-Net presets). Off: the first epoch to reach a value stays
     *  the best. It matters for coarse metrics such as accuracy on a few
     *  dozen windows. */
    bool ties_improve = false;
    int checkpoint_every = 1;    //!< epochs between checkpoints (the last epoch always)
    int64_t checkpoint_every_steps = 0; //!< > 0: also a checkpoint every this many steps
    uint64_t seed = 668;
    int stop_after = 0;          //!< > 0: return after this many epochs (continue with resume)
    std::string checkpoint;      //!< checkpoint path ("" = none)
    /*! Set by start_fresh(): this run removed an earlier run's checkpoint
     *  at `checkpoint` (its started event says so). Not a setting. */
    bool superseded_checkpoint = false;
    /*! Resume: apply optimisation settings that differ from the checkpoint's
     *  (lr, batch, epochs, schedule, weight decay, clipping, selection,
     *  patience) from where the checkpoint left off (a checkpoint inside
     *  an epoch: the rest of that epoch), recorded in the history there.
     *  Without it they are refused. The seed and the optimiser kind are
     *  never changed by a resume. */
    bool allow_changed_settings = false;

    /*! \throws std::invalid_argument naming the bad setting */
    void validate() const;
};

} // namespace train
} // namespace tfmed

#endif
