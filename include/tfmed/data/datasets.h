/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_DATA_DATASETS_H
#define INCLUDED_TFMED_DATA_DATASETS_H

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Loaders for the shared real data sets (`../shared/data`): tensors and
 * class labels, ready for training and evaluation.
 *
 * \details
 * Every loader takes the data folder (the one holding `mitdb_compiled10s/`,
 * `ecg5000/`, ...; tests use `$TFMED_DATA_DIR`), reads the files with the
 * torch-free readers of tfmed/io and checks what the data set's README
 * promises (shapes, label codings) so that a changed or truncated copy fails
 * loudly instead of training on wrong labels. A file that is absent gives an
 * io::ReadError naming it:
 * "/x/mitdb_compiled10s/X_mV.npy: file not found (data set 'mitdb_compiled10s'
 * is not in /x)".
 */

namespace tfmed {
namespace data {

/*! \brief Labelled cases of one data set (one split), as tensors. */
struct LabelledSet {
    std::string name; //!< e.g. "mitdb_compiled10s", "BasicMotions_TRAIN"
    torch::Tensor x;  //!< (N, C, L) float32
    torch::Tensor y;  //!< (N) int64 class index into class_names
    std::vector<std::string> class_names; //!< class index -> name
    double sample_rate = 0.0;             //!< Hz; 0 when not meaningful (resampled beats)
    /*! Per case, its true length when cases were zero-padded at the end to L
     *  (unequal-length UEA sets); empty when every case fills L. */
    std::vector<int64_t> lengths;
    /*! Per case, where it came from ("N/1.txt", "raw/S/S001.txt#0", ...). */
    std::vector<std::string> ids;

    /*! \brief Number of cases N. */
    int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

/*!
 * \brief Cases per class: element k counts `y == k`.
 *
 * \param s a loaded set
 * \return one count per class name (longer when a label exceeds the names)
 * \throws std::invalid_argument for a negative label
 */
std::vector<int64_t> class_counts(const LabelledSet& s);

/*!
 * \brief The compiled MIT-BIH Arrhythmia 10-s segments (`mitdb_compiled10s/`).
 *
 * `X_mV.npy` (400 x 3600 float32, millivolts, 360 Hz, single lead) and
 * `labels.csv` (`row,class,class_index,source_file`). Gives x (400, 1, 3600),
 * y = class_index with class_names {N, S, V, F, Q} (AAMI classes; N normal),
 * ids = source_file (the file in the original zip, e.g. "N/1.txt").
 *
 * \param dir the data folder
 * \throws io::ReadError when a file is absent or malformed, when labels.csv has
 *         a different number of rows than X, or when a class name contradicts
 *         its class_index
 */
LabelledSet load_mitdb_compiled(const std::string& dir);

/*!
 * \brief ECG5000 (UCR archive) from `ecg5000/ECG5000_<split>.txt`.
 *
 * Whitespace-separated text, one beat per line: the class (1..5) then 140
 * z-normalised samples. Gives x (N, 1, 140), y = class - 1 with class_names
 * {Normal, R-on-T PVC, PVC, SP, Unclassified}, sample_rate 0 (each beat was
 * interpolated to 140 samples, so there is no common rate), ids
 * "ECG5000_TRAIN.txt#<row>". Only TRAIN (500 beats) is in the shared folder.
 *
 * \param dir the data folder
 * \param split "TRAIN" or "TEST" (case-insensitive)
 * \throws io::ReadError when the file is absent, a line is not numbers, lines
 *         differ in length or a class is not an integer in 1..5
 * \throws std::invalid_argument for another split
 */
LabelledSet load_ecg5000(const std::string& dir, const std::string& split = "TRAIN");

/*!
 * \brief Bonn EEG in the UCI "Epileptic Seizure Recognition" layout
 * (`bonn_eeg/epilepsy178/`).
 *
 * `X_int16.npy` (11500 x 178, raw A/D values) and `y_uci.npy` (UCI coding
 * 1..5). Gives x (11500, 1, 178) float32, y = uci - 1, so class 0 is the
 * seizure set S, then F, N, O, Z (class_names "S (seizure)", ...,
 * "Z (healthy, eyes open)"), sample_rate 173.61 Hz. When `rows.csv` is present
 * its `source_file` and `chunk` give ids ("raw/S/S001.txt#0") and its
 * `uci_label` column is checked against y_uci.npy; without it ids stay empty.
 *
 * \param dir the data folder
 * \throws io::ReadError when X or y is absent or malformed, their row counts
 *         differ, a label is outside 1..5 or rows.csv disagrees with y
 */
LabelledSet load_bonn_epilepsy178(const std::string& dir);

/*!
 * \brief The binary TS-TCC / TRLS "Epilepsy" task on a Bonn set: seizure
 * (class 0, set S) -> 1, every other class -> 0 (the shared data README's
 * coding; TS-TCC's preprocessing codes seizure 0 and the rest 1: accuracy
 * and macro-F1 are the same, per-class figures and heads swap).
 *
 * x, lengths and ids are shared with `s` (tensors are not copied);
 * class_names become {"non-seizure", "seizure"}.
 *
 * \param s a set from load_bonn_epilepsy178() (or a subset of one)
 * \throws std::invalid_argument when `s` does not have the Bonn class names
 */
LabelledSet binary_seizure(const LabelledSet& s);

/*!
 * \brief A UEA/UCR classification archive split in `.ts` format
 * (`uea/<name>/<name>_<split>.ts`, or `uea/<name>_<split>.ts`).
 *
 * Gives x (N, dimensions, L) with L the longest series in the file (or
 * `pad_to`); shorter cases are zero-padded at the end and their true lengths
 * (the longest of their dimensions) stored in `lengths`, which stays empty
 * when every case is L long. Missing values (`?`) stay NaN. y indexes
 * class_names in `@classLabel` order (TSLib's UEAloader sorts the names:
 * BasicMotions' indices differ from TSLib's, its accuracy does not). sample_rate is known for BasicMotions
 * (10 Hz); JapaneseVowels (one LPC cepstrum per analysis frame; the shared
 * README states no rate) and unknown problems get 0.
 * ids are "<name>_<split>.ts#<case>".
 *
 * \param dir the data folder
 * \param name the problem, e.g. "JapaneseVowels", "BasicMotions"
 * \param split "TRAIN" or "TEST" (case-insensitive)
 * \param pad_to common length L; 0 for the longest case of this file (pass
 *        the longer of TRAIN's and TEST's to give both splits one length)
 * \throws io::ReadError when the file is absent or malformed (see io::read_ts)
 *         or it has no class labels
 * \throws std::invalid_argument for another split or a pad_to shorter than a case
 */
LabelledSet load_uea(const std::string& dir,
                     const std::string& name,
                     const std::string& split,
                     int64_t pad_to = 0);

/*!
 * \brief One series of the UCR Time Series Anomaly Archive.
 *
 * The file name `<id>_UCR_Anomaly_<name>_<trainEnd>_<anomStart>_<anomEnd>.txt`
 * holds the split and the single anomaly. As 0-based sample indices, x[0,
 * train_end) is anomaly-free training data and the anomaly is the half-open
 * range [anomaly_begin, anomaly_end): in the shared InternalBleeding17/18
 * series, which are copies of one recording with different anomalies, exactly
 * the samples 3198..3308 and 4485..4586 differ.
 */
struct AnomalySeries {
    std::string file;      //!< path it was read from
    int id = 0;            //!< archive number (135 ...)
    std::string name;      //!< e.g. "InternalBleeding16"
    torch::Tensor x;       //!< (T) float32
    torch::Tensor label;   //!< (T) int64: 1 inside [anomaly_begin, anomaly_end)
    int64_t train_end = 0; //!< samples [0, train_end) are training data
    int64_t anomaly_begin = 0;
    int64_t anomaly_end = 0;
};

/*!
 * \brief Every series in `ucr_anomaly/`, sorted by file name.
 *
 * \param dir the data folder
 * \throws io::ReadError when the folder is absent or holds no series, a file
 *         name does not follow the archive pattern, a value is not a number or
 *         the ranges do not fit the series (train_end <= anomaly_begin <
 *         anomaly_end <= T)
 */
std::vector<AnomalySeries> load_ucr_anomaly(const std::string& dir);

} // namespace data
} // namespace tfmed

#endif /* INCLUDED_TFMED_DATA_DATASETS_H */
