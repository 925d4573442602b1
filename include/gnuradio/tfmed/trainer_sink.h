/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_TRAINER_SINK_H
#define INCLUDED_TFMED_TRAINER_SINK_H

#include <gnuradio/block.h>
#include <gnuradio/tfmed/api.h>

#include <string>

namespace gr {
namespace tfmed {

/*!
 * \brief Trains a model on the windows that reach it and writes a model file
 * that the live blocks load (headless training graphs).
 * \ingroup tfmed
 *
 * \details
 * Input, one of:
 * - `hop > 0`: a stream of float vectors of `channels` samples; the sink cuts
 *   windows of `window` samples every `hop` samples itself;
 * - `hop == 0`: one window per item, float vectors of `window x channels`
 *   samples, time-major (sample t of channel c at t * channels + c).
 *
 * Labels: `tfmed_label` stream tags (a number; 0 = normal, anything else,
 * NaN included, abnormal; TRLS: class indices). Options `labels` says what a
 * tag means:
 * - "events": a tag marks its own sample. A window's label is the largest
 *   label tagged on its samples (hop > 0) or on its item (hop == 0); a window
 *   without label tags is normal. `tfmed.annotation_labeler` turns WFDB/EDF
 *   annotations into such tags (a window is then normal when every beat in
 *   it is). Prefer hop > 0 with per-sample labels: a decimating block such as
 *   stream_to_vector rounds tag offsets to the nearest output item, which can
 *   move a beat's label into the next window.
 * - "held": a tag holds until the next (`tfmed.table_source`'s label column,
 *   tagged where it changes, and its `.ts` cases). A window's label is the
 *   largest label in force on its samples (hop == 0: the item's tag when it
 *   has one, else the label in force).
 * - "auto" (default): the first tag decides, text (table_source's) held, a
 *   number events.
 * Text labels are class names: options `classes` lists them in index order
 * (["rest", "seizure"]: the first is class 0, normal for the anomaly
 * models); a text label that is neither a listed class nor a number ends the
 * gathering with an error naming it (before, it counted as 1).
 *
 * Epochs: the sink gathers the windows of a finite source in memory (at most
 * `max_windows`; more is an error that names the limit, and no model is
 * written). When the source ends, it trains on them for the configured
 * epochs on a worker thread through the same training core as `tfmed train`
 * (same data, settings and seed: the same weights), then ends the flowgraph
 * (WORK_DONE). The scheduler thread only polls (at most 100 ms at a time).
 * Stopping the flowgraph mid-training cancels after the current step: the
 * last complete checkpoint (`out.ckpt`) stays, no model file is written.
 *
 * Message port `progress`: one PDU (dict, empty u8vector) per event: type
 * (started, step, epoch, checkpoint, stopped, finished, error), epoch,
 * epochs, step, steps, loss, metric, metric_name, lr, elapsed_s, eta_s, best,
 * path, message. `started` comes first with what is trained on in its
 * message (the windows, the split), then from the loop with the steps per
 * epoch (epoch 1; a resumed run: the epoch it resumes in). Step events are
 * published at most once a second. The last
 * PDU is `finished` with the model path (or `error` / `stopped`) when the
 * run ends by itself; a flowgraph stopped mid-training publishes no more
 * (its message blocks are stopping too): state() says "stopped", the log
 * names the checkpoint kept. A stream that ends without a single item
 * leaves state() "failed" and the error in the log, without a PDU: GNU
 * Radio retires a sink that never received an item without calling it.
 *
 * Model `tsrnet`: windows of 5000 samples at 500 Hz (10 s), trained on the
 * normal windows only (split train/validation/test by `seed`, abnormal
 * windows held out for test), alarm threshold calibrated on the training
 * normals. `options` (JSON) sets the rest: epochs, batch, lr, weight_decay,
 * optimizer, schedule, clip_grad, select, patience, checkpoint_every, seed,
 * val_fraction, test_fraction, max_train_windows, width, d_model, heads,
 * score, quantile.
 *
 * Every model's `options` also take the loop's learning-rate schedule as
 * `tfmed train` does: schedule (constant, cosine, step, plateau) with
 * step_size and gamma (step: lr * gamma^floor(epoch / step_size)) or
 * plateau_patience and plateau_factor (plateau); a schedule's parameter
 * beside another schedule is refused at construction, naming both.
 *
 * Model `specar`: SpecAR-Net anomaly detection on windows of any length and
 * rate (Window = the model's seq_len, 100 in the reference), trained on the
 * normal windows in stream order: the last val_fraction (0.2) validate, the
 * standardisation and the alarm threshold (anomaly_ratio percent of training
 * energies above it) come from the others. `options`: preset (msl, smd, smap,
 * swat, psm: the architecture of that script; default msl), epochs, batch,
 * lr, patience, seed, val_fraction, max_train_windows, anomaly_ratio,
 * d_model, d_ff, e_layers, conv_layers, n_fft, win_length, stft_window.
 *
 * Model `trls`: TRLS on windows of any length, rate and channel count: the
 * windows' TS-TCC split (20 % test, 20 % of the rest validation), BYOL
 * pre-training on the training part with fresh augmented views every epoch,
 * then, when the `tfmed_label` tags give two classes or more (the class
 * index, a window taking the largest on its samples), the linear head;
 * without labels the pre-trained encoder alone is the model. `options`:
 * epochs, batch, lr, ..., seed, head_epochs, scaling (none, train), n_fft,
 * hop, rnn, hidden, f_h, scales, image_norm, freq_norm, tau, probe (raw or standardised).
 *
 * Model `trls_views`: TRLS pre-training on the two views made in the graph
 * (`tfmed.stft` -> two `tfmed.spec_augment` with the same seed, views 0 and
 * 1, normalise on). Two inputs of spectrogram frames, vlen = (n_fft / 2 + 1)
 * x channels; each window is the frames of `window` samples (the model's
 * STFT: with n_fft 32, hop 8 and 178 samples, 23 frames) on both inputs,
 * `hop` unused. The views are used as they come (values must lie in [0, 1]):
 * a replay that repeats makes fresh views on each pass, since spec_augment
 * draws per window of the stream, so the passes play the role of epochs
 * (options `epochs` then counts runs over everything gathered; default 1
 * here). The last fifth of the pairs in stream order validates (with a
 * repeating replay, views of the same recording as training: a monitor, not
 * a held-out score). The frames come from one continuous STFT of the stream
 * (real neighbouring samples at a window's edges, no reflect padding), as
 * tfrnn_encoder's frames input sees them. No
 * labels are used and no head is fitted: the pre-trained encoder is the
 * model (for `tfmed.tfrnn_encoder`'s embeddings, or a head fitted later).
 * `options` as for `trls`; scaling must stay none and image_norm window.
 */
class TFMED_API trainer_sink : virtual public gr::block
{
public:
    typedef std::shared_ptr<trainer_sink> sptr;

    /*!
     * \param model model kind ("tsrnet", "specar", "trls" on raw windows, or
     *              "trls_views": pairs of spec_augment views)
     * \param out_path model file to write (checkpoints go to out_path.ckpt)
     * \param channels channels per sample
     * \param sample_rate input rate in Hz (must fit the model)
     * \param window samples per window (must fit the model)
     * \param hop samples between window starts; 0 = one window per item
     * \param options training settings as JSON, e.g. {"epochs": 30, "batch": 16}
     * \param max_windows most windows held in memory
     * \param device "auto", "cpu", "cuda" or "cuda:N"
     * \param threads intra-op threads for training (0 = all cores)
     * \throws std::invalid_argument naming what was expected and found
     */
    static sptr make(const std::string& model,
                     const std::string& out_path,
                     int channels,
                     double sample_rate,
                     int window,
                     int hop,
                     const std::string& options = "{}",
                     int max_windows = 20000,
                     const std::string& device = "auto",
                     int threads = 0);

    /*! Windows gathered so far. */
    virtual int windows() const = 0;
    /*! Of those, labelled normal. */
    virtual int normal_windows() const = 0;
    /*! "gathering", "training", "finished", "failed" or "stopped". */
    virtual std::string state() const = 0;
    /*! The model file written ("" until training completes). */
    virtual std::string model_path() const = 0;
};

} // namespace tfmed
} // namespace gr

#endif
