/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DATA_BENCHMARKS_H
#define INCLUDED_TFMED_DATA_BENCHMARKS_H

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief The multivariate benchmarks SpecAR-Net is evaluated on, laid out as
 * the Time-Series-Library (TSLib) data loaders lay them out, so that figures
 * compare with the paper's.
 */

namespace tfmed {
namespace data {

/*! \brief StandardScaler's statistics of the rows of `rows` (n, d): the
 *  column means and population stds (computed in double), a constant
 *  column's std 1 (as scikit-learn: constant when the std is within
 *  n eps |mean|). One fit for every scaler that needs it. */
struct ColumnScale {
    torch::Tensor mean, std; //!< (d) each, the dtype of `rows`
};
ColumnScale column_scale(const torch::Tensor& rows);

/*!
 * \brief NASA MSL telemetry (telemanom): the channels of `msl/`, concatenated
 * in sorted channel order (TSLib's MSL_train/test.npy layout), 55 columns
 * (the value and 54 command flags).
 */
struct MslSet {
    torch::Tensor train, test; //!< (T, 55) float32, standardised with train statistics
    torch::Tensor test_label;  //!< (T_test) int64, 1 inside a labelled anomaly
    torch::Tensor mean, std;   //!< (55) the train statistics (std of a constant column: 1)
    std::vector<std::string> channels; //!< in order, e.g. "C-2", "D-14", ...
    std::vector<int64_t> train_begin, test_begin; //!< first row of each channel
};

/*!
 * \brief Load `msl/` (train/<chan>.npy, test/<chan>.npy, labeled_anomalies.csv).
 * \param dir the data folder
 * \param standardise false: the raw values (scaled to [-1, 1] by telemanom)
 * \throws io::ReadError / std::runtime_error naming a missing or malformed file
 */
MslSet load_msl(const std::string& dir, bool standardise = true);

/*!
 * \brief ETTh1 / ETTh2 (hourly) with the Informer split: rows [0, 8640) train,
 * [8640, 11520) validation, [11520, 14400) test (12/4/4 months); scaling
 * fitted on the train rows; time features "timeF" at freq 'h' (hour of day,
 * day of week, day of month, day of year, each scaled to [-0.5, 0.5]).
 */
struct EttSet {
    torch::Tensor values;             //!< (14400, 7) float32, standardised
    torch::Tensor marks;              //!< (14400, 4) float32 time features
    torch::Tensor mean, std;          //!< (7) train statistics
    std::vector<std::string> columns; //!< HUFL, HULL, MUFL, MULL, LUFL, LULL, OT
    int64_t train_end = 8640, val_end = 11520, test_end = 14400;
    /*! First row of a split's windows of `seq_len` inputs: Informer starts
     *  the validation and test windows seq_len rows before the split border. */
    int64_t begin(const std::string& split, int64_t seq_len) const;
    int64_t end(const std::string& split) const;
};

/*! \brief Load `ett/<name>.csv` ("ETTh1" or "ETTh2"). */
EttSet load_ett(const std::string& dir, const std::string& name, bool standardise = true);


/*!
 * \brief A UEA classification problem laid out for SpecAR-Net (TSLib's
 * UEAloader): both splits padded to one length L (the longest case of
 * either), (N, L, C) with a padding mask (N, L), 1 = data.
 *
 * Standardisation per dimension over the unpadded rows (TSLib's
 * `Normalizer('standardization')`, sample std): `norm` "file" uses each
 * file's own statistics (the reference), "train" the train file's for both.
 * Padding stays 0.
 */
struct UeaBench {
    std::string name;
    torch::Tensor x_train, mask_train, y_train; //!< (N, L, C) float, (N, L) float, (N) int64
    torch::Tensor x_test, mask_test, y_test;
    torch::Tensor mean, std;                    //!< (C) the train file's statistics
    std::vector<std::string> class_names;
    double sample_rate = 0.0;                   //!< Hz; 0 when the problem has none
    int64_t length = 0;                         //!< L
};

/*! \throws std::invalid_argument for another `norm`; io::ReadError for a bad file */
UeaBench load_uea_bench(const std::string& dir, const std::string& name,
                        const std::string& norm = "file");

} // namespace data
} // namespace tfmed

#endif
