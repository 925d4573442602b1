/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_ENGINE_TRLS_ENGINE_H
#define INCLUDED_TFMED_ENGINE_TRLS_ENGINE_H

#include <cstdint>
#include <tfmed/engine/serve.h>

#include <memory>
#include <string>
#include <vector>

/*!
 * \file
 * \brief TRLS inference for the blocks, torch-free in its interface: a model
 * file in, embeddings and class probabilities out.
 */

namespace tfmed {
namespace engine {

class TrlsEngine
{
public:
    /*!
     * \param model_path a model file written by `tfmed train trls`
     * \param device "auto", "cpu", "cuda" or "cuda:N"
     * \param threads intra-op threads for CPU inference (>= 1)
     * \throws std::runtime_error / std::invalid_argument naming the problem
     */
    TrlsEngine(const std::string& model_path, const std::string& device = "auto",
               int threads = 1);
    ~TrlsEngine();
    TrlsEngine(const TrlsEngine&) = delete;
    TrlsEngine& operator=(const TrlsEngine&) = delete;

    int64_t channels() const;
    int64_t length() const;    //!< samples per window
    int64_t bins() const;      //!< per channel (n_fft / 2 + 1)
    int64_t frames() const;    //!< STFT frames per window
    int64_t n_fft() const;
    int64_t hop() const;       //!< STFT hop
    /*! The front end's STFT as dsp::StftOptions::to_string() writes it: what
     *  an upstream tfmed.stft must be for input "frames". */
    std::string stft_spec() const;
    int64_t embedding() const; //!< K * f_h
    int64_t num_class() const; //!< 0 without a linear head
    double sample_rate() const;
    std::string scaling() const; //!< "none" or "minmax"
    std::vector<std::string> class_names() const;
    std::string card_json() const;
    std::string device() const;

    /*!
     * \brief Raw windows, n x length x channels (stream order), through the
     * card's scaling and front end. A window with a non-finite sample gives
     * NaN outputs. `prob` gets n x num_class softmax values when there is a
     * head (left empty otherwise).
     */
    void from_samples(const float* windows, int64_t n, std::vector<float>& emb,
                      std::vector<float>& prob);
    /*!
     * \brief STFT magnitude frames, n x frames x (channels * bins) (the
     * tfmed.stft block's items, channel-major), through log1p and the
     * per-window min-max. \throws std::invalid_argument for a model trained
     * with per-time-index scaling (it cannot apply to frames)
     */
    void from_frames(const float* frames, int64_t n, std::vector<float>& emb,
                     std::vector<float>& prob);

private:
    struct Impl;
    std::unique_ptr<Impl> d_;
};

/*! \brief One window's TRLS outputs (NaN-filled when it could not be computed). */
struct TrlsResult {
    std::vector<float> emb;  //!< K x f_h
    std::vector<float> prob; //!< classes (empty without a head)
    std::string error;       //!< why the batch failed ("" when it did not)
    /*! A channel held one value over the whole window (a lead off, a gap
     *  filled with zeros): its spectrogram is blank or, min-max scaled per
     *  time index, a made-up pattern. Not classified (NaN outputs). */
    bool flat = false;
};
using TrlsServer = BatchServer<TrlsResult>;

/*!
 * \brief Per window of `n` windows of `steps` x `channels` x `block` floats
 * (time-major: samples, block 1; or STFT frames, block = bins), whether one
 * of its channels holds the same values at every step: a lead off, a gap
 * filled with a constant (whose frames are all alike). What the
 * tfrnn_encoder block and `tfmed score` flag `flat` instead of classifying.
 */
std::vector<uint8_t> trls_flat_windows(const float* x, int64_t n, int64_t steps,
                                       int64_t channels, int64_t block = 1);

/*! \brief A loaded TRLS encoder behind its batcher (what tfrnn_encoder blocks share). */
struct TrlsService {
    std::shared_ptr<TrlsEngine> engine;
    std::shared_ptr<TrlsServer> server;
    std::string key; //!< registry key (empty for a private service)
};

/*!
 * \brief Open a TRLS service for windows of raw samples (`frames` false:
 * length x channels floats) or STFT frames (frames x channels x bins): with
 * `shared`, the process-wide one for (model file content, device, threads,
 * input, `o`); otherwise a private one.
 */
std::shared_ptr<TrlsService> serve_trls(const std::string& model_path, const std::string& device,
                                        int threads, bool frames, const ServeOptions& o,
                                        bool shared);

/*! \brief A small untrained TRLS model file (tests, demos): one TFR block
 *  (LSTM, hidden 8), f_h 8, K = 3, Hann STFT, weights from `seed`. */
struct UntrainedTrls {
    int channels = 1;
    int length = 128;
    int n_fft = 32;
    int hop = 0;              //!< 0 = n_fft / 4
    int num_class = 0;        //!< > 0: a linear head and class names "class0", ...
    double sample_rate = 100.0;
    bool minmax = false;      //!< per-time-index scaling [0, 1] -> unchanged values
};
void write_untrained_trls(const std::string& path, const UntrainedTrls& spec, uint64_t seed);

} // namespace engine
} // namespace tfmed

#endif
