/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_ENGINE_SPECAR_ENGINE_H
#define INCLUDED_TFMED_ENGINE_SPECAR_ENGINE_H

#include <tfmed/engine/serve.h>
#include <tfmed/models/specar_card.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Torch-free front of a trained SpecAR-Net for blocks and tools: load
 * a model file and run its task on raw windows from plain buffers.
 *
 * Windows are `seq_len` samples x `channels` values, time-major, in the
 * stream's physical units; the engine applies the card's standardisation
 * (fitted on the training data) and undoes it on outputs. Time features,
 * when the model takes them, are seq_len x time_features per window.
 */

namespace tfmed {
namespace engine {

class SpecarEngine
{
public:
    /*!
     * \param model_path a model file written by `tfmed train specar`
     * \param device "auto", "cpu", "cuda" or "cuda:N"
     * \param threads intra-op threads for CPU inference (>= 1)
     * \throws std::runtime_error / std::invalid_argument naming the problem
     */
    SpecarEngine(const std::string& model_path, const std::string& device = "auto",
                 int threads = 1);
    ~SpecarEngine();
    SpecarEngine(const SpecarEngine&) = delete;
    SpecarEngine& operator=(const SpecarEngine&) = delete;

    const models::SpecarCard& card() const;
    std::string device() const;
    int64_t channels() const;
    int64_t window() const; //!< seq_len

    /*! Anomaly detection: per-point energy (mean over channels of the squared
     *  reconstruction error, standardised units), n x seq_len. A window with
     *  a non-finite sample gets NaN energies. */
    std::vector<float> energy(const float* windows, int64_t n);
    /*! Forecasting: n x pred_len x channels in physical units (NaN for a
     *  window with a non-finite sample). `marks`: n x seq_len x time_features
     *  when the card takes time features (null then throws), else unused. */
    std::vector<float> forecast(const float* windows, const float* marks, int64_t n);
    /*! Imputation: NaN samples are missing; returns the windows with them
     *  filled by the network (observed samples copied unchanged). `marks` as
     *  for forecast(). */
    std::vector<float> impute(const float* windows, const float* marks, int64_t n);
    /*! Classification: n x num_class probabilities (softmax; NaN for a
     *  window with a non-finite sample). */
    std::vector<float> classify(const float* windows, int64_t n);

private:
    struct Impl;
    std::unique_ptr<Impl> d_;
};

/*!
 * \brief One window's SpecAR-Net output, by the card's task: anomaly, the
 * seq_len energies; forecast, pred_len x channels values; impute, the window
 * (seq_len x channels) with its NaN samples filled; classify, the class
 * probabilities. When the window could not be computed (`error`): NaN, but
 * for imputation the input window as it came (observed samples unchanged,
 * the missing ones NaN, `filled` empty).
 */
struct SpecarResult {
    std::vector<float> values;
    std::vector<int> filled; //!< impute: NaN channels per time step of the input
    std::string error;       //!< why the batch failed ("" when it did not)
};
using SpecarServer = BatchServer<SpecarResult>;

/*! \brief A loaded SpecAR-Net behind its batcher (what specar blocks share). */
struct SpecarService {
    std::shared_ptr<SpecarEngine> engine;
    std::shared_ptr<SpecarServer> server;
    std::string key; //!< registry key (empty for a private service)
};

/*!
 * \brief Time features per step that a queued window carries: the card's
 * for forecasting and imputation; 0 for anomaly detection and
 * classification, whose networks never read them (the reference builds the
 * embedding, so MSL cards keep 4 for the published parameter count).
 */
inline int64_t specar_marks_per_step(const models::SpecarOptions& a)
{
    return a.task == "long_term_forecast" || a.task == "imputation" ? a.time_features : 0;
}

/*!
 * \brief Open a SpecAR-Net service. A queued window is seq_len x channels
 * samples followed, when the network reads time features
 * (specar_marks_per_step), by seq_len x that many marks (each stream has
 * its own clock). With `shared`, the
 * process-wide one for (model file content, device, threads, `o`).
 */
std::shared_ptr<SpecarService> serve_specar(const std::string& model_path,
                                            const std::string& device, int threads,
                                            const ServeOptions& o, bool shared);

/*!
 * \brief Write a model file holding an untrained SpecAR-Net (weights from
 * `seed`) for `card` (torch-free entry point for tests and benchmarks).
 */
void write_untrained_specar(const std::string& path, const models::SpecarCard& card,
                            uint64_t seed);

} // namespace engine
} // namespace tfmed

#endif
