/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_SQI_H
#define INCLUDED_TFMED_MODELS_SQI_H

#include <cstdint>
#include <string>

/*!
 * \file
 * \brief ECG signal-quality gate: is there an ECG in this window at all?
 * (torch-free)
 *
 * \details An anomaly score is only meaningful on ECG. White noise, a lead
 * off, a clipped amplifier or electrode motion can look "normal" to a
 * reconstruction model (the R-peak detector finds "peaks" in noise). Before a
 * window is scored, every lead gets these signal-quality indices:
 *
 * - **kurtosis** of the band-passed lead (kSQI, Li, Mark & Clifford 2008,
 *   Physiol. Meas. 29:15-32: ECG is spiky, kurtosis > 5; Gaussian noise 3);
 * - **beat match**: the median over detected beats of each beat's best
 *   correlation with another beat of the window (an ectopy-tolerant variant
 *   of the template matching of Orphanidou et al. 2015, IEEE JBHI
 *   19(3):832-838: a morphology seen twice, a PVC in bigeminy, a paced beat,
 *   matches itself; peak-aligned noise finds no twin), with the number of
 *   beats;
 * - **saturation**: runs of samples at the crop's maximum or minimum
 *   (within 0.2 % of its range, at least 8 ms long), as a clipped front end
 *   gives one plateau per beat (the flat-line and saturation checks of
 *   Clifford et al. 2012, PhysioNet/CinC Challenge 2011);
 * - **in-band power**: the fraction of the high-passed signal's power left
 *   after the low-pass (a filter-based form of the in-band/out-of-band ratio
 *   pSQI of Li et al.), low when mains or broadband noise dominates;
 * - **amplitude**: P99.5 - P0.5 of the band-passed lead.
 *
 * The Orphanidou heart-rate and RR rules are deliberately not used: they
 * reject arrhythmias, which are what the gate must pass on to the model.
 *
 * What the gate is not: a rhythm detector. Ventricular flutter or
 * fibrillation (a quasi-sinusoid: kurtosis about 2) is flagged
 * `low_kurtosis`, asystole or a long pause `too_few_beats` (where the
 * peaks counted as beats include tall T waves), so such windows come out
 * `poor_quality`, not scored: route the blocks' `invalid` PDUs to a
 * technical alarm, as bedside monitors raise "check leads", and do not rely
 * on the anomaly score for them. A noiseless simulated ECG with an exactly
 * flat baseline reads as clipped (its baseline is a plateau at the
 * window's minimum): turn the gate off for simulator streams.
 * Thresholds live in the model card (`quality`); `tfmed eval quality`
 * measures the flag rates on real ECG and on generated artefacts.
 */

namespace tfmed {
namespace models {

/*! \brief Thresholds of the gate (the card's `quality` section). */
struct QualityOptions {
    bool enabled = true;
    double band_low_hz = 1.0, band_high_hz = 25.0; //!< band of the "model view"
    double edge_s = 0.2;          //!< trimmed at each end of the crop (filter edges)
    double amp_min = 0.05;        //!< P99.5 - P0.5, input units (mV for ECG)
    double kurtosis_min = 4.5;    //!< Li et al. use 5; 4.5 keeps paced ECG
    double beat_match_min = 0.90; //!< median best correlation with another beat
    int64_t min_beats = 3;        //!< fewer: asystole, lead off or noise
    double beat_before_s = 0.2, beat_after_s = 0.4; //!< beat window around R
    int64_t saturation_runs_max = 2;
    double saturation_fraction_max = 0.02;
    double in_band_min = 0.5;     //!< power fraction in the band

    std::string to_json() const;
    /*!
     * \throws std::invalid_argument naming a field of the wrong type or shape,
     *         or a key that is not one of the gate's (a misspelt threshold)
     */
    static QualityOptions from_json(const std::string& json);
    /*!
     * \param crop_length samples the model sees (the gate assesses them less
     *        `edge_s` at each end: that span must hold `min_beats` beats)
     * \throws std::invalid_argument naming the field, expected and found
     */
    void validate(double sample_rate, int64_t crop_length) const;
};

/*! \brief Why a lead is of poor quality (bits). */
enum QualityReason : unsigned {
    kFlat = 1,
    kLowKurtosis = 2,
    kInconsistentBeats = 4,
    kTooFewBeats = 8,
    kSaturation = 16,
    kOutOfBand = 32,
};

/*! \brief The indices of one lead of one window. */
struct LeadQuality {
    double sd = 0.0, amp = 0.0, kurtosis = 0.0, beat_match = 0.0;
    double saturation_fraction = 0.0, in_band = 0.0;
    int64_t beats = 0, saturation_runs = 0;
    unsigned reasons = 0; //!< QualityReason bits; 0 = good
    bool poor() const { return reasons != 0; }
    /*! One line: "low kurtosis 3.02 < 4.5, inconsistent beats 0.41 < 0.9". */
    std::string describe(const QualityOptions& o) const;
};

/*!
 * \brief The quality of one lead of a window.
 * \param window samples, time-major with `stride` values per time step
 * \param n time steps
 * \param stride values per time step (leads); the lead starts at window[0]
 * \param fs sample rate, Hz
 * \param crop_begin, crop_length the part of the window that is assessed
 *        (the part the model sees); the whole window is filtered
 * \throws std::invalid_argument for a non-finite sample, a crop outside the
 *         window, or one that leaves fewer than 8 samples inside its edges
 */
LeadQuality lead_quality(const float* window, int64_t n, int64_t stride, double fs,
                         int64_t crop_begin, int64_t crop_length, const QualityOptions& o);

/*! \brief "flat", "low_kurtosis", ... joined by '+'. */
std::string quality_reasons(unsigned reasons);

} // namespace models
} // namespace tfmed

#endif
