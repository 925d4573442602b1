/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_ENGINE_TSRNET_ENGINE_H
#define INCLUDED_TFMED_ENGINE_TSRNET_ENGINE_H

#include <tfmed/engine/serve.h>
#include <tfmed/models/tsrnet_card.h>

#include <memory>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Torch-free front of a trained TSRNet for blocks and tools: load a
 * model file, score raw windows from plain buffers.
 */

namespace tfmed {
namespace engine {

/*! \brief The score of one window. */
struct TsrnetResult {
    float score = 0.0f; //!< the card's score kind; NaN when not scored
    float plain = 0.0f; //!< mean uncertainty-weighted error
    float peak = 0.0f;  //!< Peak-based Error (NaN without peaks)
    models::WindowStatus status = models::WindowStatus::ok;
    std::string detail; //!< why a window was flagged, with the figures
    std::string reason; //!< the same from a small fixed set, without figures
    int64_t rpeaks = 0; //!< R peaks found in the window
    bool scored() const { return status == models::WindowStatus::ok; }
};

/*!
 * \brief A loaded TSRNet on one device.
 *
 * \details Windows are `card().window()` samples x `card().leads` channels,
 * time-major, at `card().prep.sample_rate`. Each window is filtered,
 * normalised, R-peak-detected and cropped (TsrnetPrep), then scored with the
 * deterministic inference passes. Windows with NaN/Inf or a flat lead, and
 * (for the Peak-based score) windows without detectable R peaks, are flagged
 * and given a NaN score instead of being scored.
 */
class TsrnetEngine
{
public:
    /*!
     * \param model_path a model file written by `tfmed train tsrnet`
     * \param device "auto", "cpu", "cuda" or "cuda:N"
     * \param threads intra-op threads for CPU inference (>= 1)
     * \param quality_gate apply the card's signal-quality gate (models/sqi.h):
     *        a lead of poor quality flags the window `poor_quality`
     * \throws std::runtime_error / std::invalid_argument naming the problem
     */
    TsrnetEngine(const std::string& model_path, const std::string& device = "auto",
                 int threads = 1, bool quality_gate = true);
    ~TsrnetEngine();
    TsrnetEngine(const TsrnetEngine&) = delete;
    TsrnetEngine& operator=(const TsrnetEngine&) = delete;

    const models::TsrnetCard& card() const;
    /*! The device in use, e.g. "cpu" or "cuda:0". */
    std::string device() const;

    /*! \brief Score `n` windows stored back to back (each window x leads). */
    std::vector<TsrnetResult> score(const float* windows, int64_t n);

private:
    struct Impl;
    std::unique_ptr<Impl> d_;
};

/*! \brief The dynamic batcher that scores TSRNet windows for many streams. */
using TsrnetServer = BatchServer<TsrnetResult>;

/*! \brief A loaded TSRNet behind its batcher (what tsrnet_scorer blocks share). */
struct TsrnetService {
    std::shared_ptr<TsrnetEngine> engine;
    std::shared_ptr<TsrnetServer> server;
    std::string key; //!< registry key (empty for a private service)
};

/*!
 * \brief Open a TSRNet service: with `shared`, the one in the process-wide
 * registry for (model file content, device, threads, gate, `o`), made on
 * first use; otherwise a private one (its own engine and worker thread).
 * Windows are `card().window()` x `card().leads` floats, time-major.
 * \throws what TsrnetEngine and ServeOptions::validate throw
 */
std::shared_ptr<TsrnetService> serve_tsrnet(const std::string& model_path,
                                            const std::string& device, int threads,
                                            bool quality_gate, const ServeOptions& o,
                                            bool shared);

/*!
 * \brief Write a model file holding an untrained network (weights from
 * `seed`) for `card` (torch-free entry point for tests and benchmarks; the
 * card's threshold is kept as given).
 */
void write_untrained_tsrnet(const std::string& path, const models::TsrnetCard& card,
                            uint64_t seed);

} // namespace engine
} // namespace tfmed

#endif
