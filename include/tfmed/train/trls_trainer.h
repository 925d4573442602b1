/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAIN_TRLS_TRAINER_H
#define INCLUDED_TFMED_TRAIN_TRLS_TRAINER_H

#include <tfmed/dsp/augment.h>
#include <tfmed/models/trls_card.h>
#include <tfmed/train/events.h>
#include <tfmed/train/options.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief TRLS pre-training, linear evaluation, fine-tuning and the supervised
 * baseline, all through the one training loop (trainer.h).
 *
 * \details
 * Data sets (`data`): "epilepsy" (Bonn EEG in the UCI layout, the TS-TCC binary
 * task seizure vs rest), "epilepsy5" (the five Bonn sets Z/O/N/F/S), "mitdb"
 * (compiled MIT-BIH 10-s segments, 5 AAMI classes), "ecg5000" (the shared
 * TRAIN file, 5 classes) and "basicmotions" (UEA, TRAIN and TEST pooled).
 *
 * Splits: TS-TCC's (folds = 1: 20 % test, then 20 % of the rest validation,
 * seeded shuffle) or fold k of `folds` (6:2:2 when folds = 5: part k tests,
 * part k+1 validates, the rest trains). The windows are dealt into the parts
 * one by one in a seeded shuffle ("windows", TS-TCC's), class by class so
 * that every part holds each class in proportion ("stratified"), or as whole
 * recordings, class by class ("recording": a recording's windows never sit
 * in two parts; the Bonn sets, whose 23 windows per recording TS-TCC's split
 * scatters over train and test). Scaling: TS-TCC's min-max per time index
 * fitted on all windows ("all", its leakage-prone reference), fitted on the
 * training part ("train", clean), "none", or "auto": "all" for the epilepsy
 * task split by windows (TS-TCC's protocol, which the paper's table follows),
 * "none" for windows of several channels, "train" otherwise.
 *
 * Linear evaluation: the frozen encoder (eval mode) embeds every window once;
 * a Linear layer on the K * f_h representation trains on them (TS-TCC's
 * optimiser: Adam 3e-4, betas (0.9, 0.99), weight decay 3e-4, plateau
 * schedule, batch 128, last epoch) on the representation as it is, or (probe
 * "standardised") on the representation standardised with the training
 * part's statistics, folded into the saved head afterwards. TS-TCC keeps its frozen
 * encoder in train mode (dropout on, BatchNorm statistics moving); ours does
 * not. Fine-tuning trains encoder and head on a stratified fraction of the
 * training part from a random head (TS-TCC), or (finetune_start "probe",
 * LP-FT) from the standardised linear probe fitted on that same fraction; the
 * supervised baseline trains the same network from a random start on all of
 * the training part.
 */

namespace tfmed {
namespace train {

struct TrlsTrainConfig {
    std::string data = "epilepsy";
    std::string data_dir;          //!< "" = $TFMED_DATA_DIR or ../shared/data
    std::string scaling = "auto";  //!< "auto", "all" (TS-TCC), "train" (clean) or "none"
    std::string split = "windows"; //!< "windows" (TS-TCC), "stratified" or "recording"
    uint64_t split_seed = 42;
    int64_t max_windows = 0;       //!< > 0: a stratified subset of this many (smoke runs)
    models::TrlsOptions arch;      //!< channels / length come from the data
    augment::ViewOptions view1 = augment::ViewOptions::view1();
    augment::ViewOptions view2 = augment::ViewOptions::view2();
    double tau = 0.7;
    double negatives = 0.0;        //!< > 0: weight of an InfoNCE term (ablation)
    LoopOptions pretrain;          //!< Adam 3e-4, wd 1e-4, betas (0.9, 0.99), 50 epochs, batch 32
    LoopOptions downstream;        //!< Adam 3e-4, wd 3e-4, betas (0.9, 0.99), 100 epochs, batch 128
    std::string out = "trls.tfm";
    std::string device = "auto";
    int threads = 0;
    /*! After pre-training: "linear" (a head on the frozen encoder, TS-TCC's
     *  linear evaluation) or "finetune" (encoder and head on every training
     *  label, from the pre-trained encoder). */
    std::string head = "linear";
    /*! Linear evaluation's input: "raw" (TS-TCC's protocol) or
     *  "standardised" (each representation feature scaled by the training
     *  part's mean and std while the head trains, then folded into the Linear
     *  so the model file's head takes the raw representation: still one
     *  affine map; higher clean accuracy, less robust to noise). */
    std::string probe = "raw";
    /*! Fine-tuning's head: "random" (a random head, as TS-TCC) or "probe"
     *  (LP-FT: first the standardised linear probe on the frozen encoder,
     *  trained on the same labelled windows, then encoder and head together). */
    std::string finetune_start = "random";
    bool resume = false;           //!< continue the pre-training from out + ".ckpt"

    /*! Data-set defaults: n_fft 32 for short series, 128 for long ones
     *  (MODELS.md 3.1); hop 4 for BasicMotions (100 samples). */
    void apply_data_defaults();
    TrlsTrainConfig();
    /*! \throws std::invalid_argument naming the bad setting */
    void validate() const;
    /*! \brief The scaling "auto" stands for here: "all" for data "epilepsy"
     *  with split "windows" (TS-TCC's protocol), "none" for windows of more
     *  than one channel (TS-TCC's min-max per time index is single-channel),
     *  else "train". */
    std::string effective_scaling(int64_t channels) const;
};

/*! \brief Classification scores of one model on one split. */
struct TrlsScores {
    double accuracy = 0.0, macro_f1 = 0.0;
    int64_t n = 0;
};

struct TrlsTrainResult {
    bool completed = false;
    std::string model_path, checkpoint;
    int pretrain_epochs = 0;
    double pretrain_val_loss = 0.0; //!< the last epoch's (the encoder kept)
    TrlsScores val, test;
    int64_t train_windows = 0, val_windows = 0, test_windows = 0, parameters = 0;
    std::string summary;
};

/*!
 * \brief `tfmed train trls`: pre-train on the TS-TCC split's training part,
 * then fit the linear head, and write the encoder + head to cfg.out.
 */
TrlsTrainResult train_trls(const TrlsTrainConfig& cfg, const EventSink& events = {},
                           const std::atomic<bool>* cancel = nullptr);

/*!
 * \brief `tfmed.trainer_sink`: windows gathered from a flowgraph, n x length x
 * channels (time-major), with class labels (>= 0; `class_names[i]` names
 * class i in the card when given, else its index does). The TS-TCC split of the
 * windows; pre-training on its training part; with two or more classes also
 * the linear head, else the pre-trained encoder alone is the model.
 */
TrlsTrainResult train_trls_windows(const TrlsTrainConfig& cfg, const float* windows, int64_t n,
                                   int64_t length, int64_t channels,
                                   const std::vector<int>& labels, double sample_rate,
                                   const EventSink& events = {},
                                   const std::atomic<bool>* cancel = nullptr,
                                   const std::vector<std::string>& class_names = {});

/*!
 * \brief `tfmed.trainer_sink` with model `trls_views`: the two augmented views
 * of each window made in the flowgraph (tfmed.stft -> tfmed.spec_augment view
 * 1 and view 2, normalised), `views` n x 2 x frames x features (per window:
 * view 1's frames, then view 2's; each frame the stft block's item). BYOL
 * pre-training on them as they are (a replay that repeats gives fresh views
 * each pass: spec_augment draws per window of the stream); the last fifth in
 * stream order validates. No labels, no head: the encoder is the model, its
 * card saying windows of `length` samples of `channels` channels at
 * `sample_rate`. \throws std::invalid_argument on views outside [0, 1],
 * scaling other than none, image_norm other than window, fewer than 5 pairs
 */
TrlsTrainResult train_trls_views(const TrlsTrainConfig& cfg, const float* views, int64_t n,
                                 int64_t length, int64_t channels, double sample_rate,
                                 const EventSink& events = {},
                                 const std::atomic<bool>* cancel = nullptr);

/*! \brief What `tfmed eval trls` runs per fold. */
struct TrlsEvalSpec {
    bool linear = true;
    bool supervised = false;
    /*! TS-TCC's random_init baseline: the linear evaluation of an encoder
     *  that was never trained (its pre-training's initial weights), which
     *  says how much of the linear figure pre-training contributes. */
    bool random_init = false;
    std::vector<double> finetune_percent; //!< e.g. 1, 5, 10, 50, 75, 100
    int folds = 5;                        //!< 1: the TS-TCC split once
    int first_fold = 0, last_fold = -1;   //!< run folds first..last (-1: all)
    /*! Robustness of the linear model (Table 3 style): the test windows with
     *  this percent of samples dropped (set to 0) ... */
    std::vector<double> sparsity_percent;
    /*! ... and with white noise at these SNRs (dB) added. */
    std::vector<double> snr_db;
    std::string out_dir = "out/eval-trls";
    /*! Whether figures go to out_dir: the embedding with the linear
     *  evaluation, accuracy against labels with two or more fine-tuning
     *  fractions (or one beside the linear level). */
    bool draws_figures() const { return linear || finetune_percent.size() > 1; }
    /*! Whether a mode pre-trains (--supervised and --random-init alone do not). */
    bool pretrains() const { return linear || !finetune_percent.empty(); }
};

struct TrlsEvalResult {
    std::string json;    //!< every fold, every mode, mean and std
    std::string summary; //!< the table as text
    std::vector<std::string> figures;
};

TrlsEvalResult evaluate_trls(const TrlsTrainConfig& cfg, const TrlsEvalSpec& spec,
                             const EventSink& events = {},
                             const std::atomic<bool>* cancel = nullptr);

} // namespace train
} // namespace tfmed

#endif
