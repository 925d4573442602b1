/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_ANNOTATION_LABELER_H
#define INCLUDED_TFMED_ANNOTATION_LABELER_H

#include <gnuradio/sync_block.h>
#include <gnuradio/tfmed/api.h>

#include <string>

namespace gr {
namespace tfmed {

/*!
 * \brief Turns `annotation` tags (from wfdb_source / edf_source) into
 * `tfmed_label` tags by a symbol rule, for training graphs.
 * \ingroup tfmed
 *
 * \details
 * A pass-through for float vectors of `channels` samples: samples and all
 * tags go through unchanged. At every annotation that counts, a `tfmed_label`
 * tag (long: 0 = normal, 1 = abnormal) is added on the same sample: 0 when
 * the annotation's `symbol` (WFDB's mnemonic; an EDF+ annotation's text) is
 * in `normal` (comma-separated, e.g. "N" or "N,L,R"), else 1.
 *
 * With `beats_only` (the default), only WFDB beat annotations count (codes
 * for which WFDB's isqrs() is true: N L R a V F J A S E j / Q B ? ! e n f r;
 * not x, a non-conducted P wave); rhythm
 * changes, noise and comment annotations are passed through without a
 * label (counted by skipped()). EDF+ annotations have no WFDB code: label
 * them with `beats_only` false (the first one skipped is logged). The trainer_sink labels a window with the largest label on its
 * samples, so a window is normal when every beat in it is.
 */
class TFMED_API annotation_labeler : virtual public gr::sync_block
{
public:
    typedef std::shared_ptr<annotation_labeler> sptr;

    /*!
     * \param channels floats per item
     * \param normal comma-separated symbols that count as normal
     * \param beats_only label only WFDB beat annotations
     * \throws std::invalid_argument for channels < 1 or an empty symbol list
     */
    static sptr make(int channels, const std::string& normal = "N", bool beats_only = true);

    /*! Labels added so far: normal, abnormal. */
    virtual long normal_labels() const = 0;
    virtual long abnormal_labels() const = 0;
    /*! Annotations passed through without a label (not beats, with beats_only). */
    virtual long skipped() const = 0;
};

} // namespace tfmed
} // namespace gr

#endif
