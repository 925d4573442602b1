/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_WEIGHTS_H
#define INCLUDED_TFMED_MODELS_WEIGHTS_H

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/types.h>

#include <sstream>
#include <string>
#include <vector>

/*!
 * \file
 * \brief Modules and optimisers as the bytes of a LibTorch archive: what the
 * `weights`, `best_weights` and `optimizer` sections of a model file hold.
 */

namespace tfmed {
namespace models {

/*! \brief A module's or an optimiser's state as archive bytes. */
template <typename T>
std::string archive_bytes(T& x)
{
    std::ostringstream w;
    torch::serialize::OutputArchive ar;
    x.save(ar);
    ar.save_to(w);
    return w.str();
}

/*!
 * \brief Refuse an archive whose code entries define methods. LibTorch's
 * loader compiles an archive's code/ files (TorchScript) and runs a class's
 * __setstate__ while it unpickles: an archive from elsewhere could run what
 * it likes (loop, allocate). The archives this library writes declare
 * classes, their parameters and attributes, and nothing else.
 * \throws std::invalid_argument naming `what`, the entry and the line
 */
void check_archive_code(const std::string& bytes, const std::string& what);

/*!
 * \brief Refuse a tensor that is not a plain CPU view inside its storage:
 * LibTorch 1.13's unpickler takes a tensor's offset, sizes and strides from
 * the file without checking them against the storage, so a crafted file
 * could make a later read run past its buffer. Checked before any value is
 * read.
 * \throws std::invalid_argument naming `what`
 */
void check_tensor_extent(const torch::Tensor& t, const std::string& what,
                         bool require_cpu = true);

/*! \brief check_tensor_extent on every tensor of an archive, nested ones too. */
void check_archive_tensors(torch::serialize::InputArchive& ar, const std::string& what);

/*! \brief Load archive bytes into a module or optimiser of the same shape
 *  (its code entries checked first, see check_archive_code, and every
 *  tensor's extent before the optimiser updates it in place).
 *  \throws std::invalid_argument naming `what` for an archive refused */
template <typename T>
void load_archive_bytes(T& x, const std::string& bytes, const torch::Device& device,
                        const std::string& what = "the archive")
{
    check_archive_code(bytes, what);
    std::istringstream in(bytes);
    torch::serialize::InputArchive ar;
    try {
        ar.load_from(in, device);
    } catch (const std::exception& e) {
        throw std::invalid_argument(what + ": expected a LibTorch archive, found one LibTorch "
                                           "could not load (" +
                                    std::string(e.what()).substr(0, 200) + ")");
    }
    check_archive_tensors(ar, what);
    x.load(ar);
}

/*! \brief A shape as people read it: "[2, 3]". */
std::string shape_str(c10::IntArrayRef s);

/*!
 * \brief Refuse weights that do not fit an architecture: `what`, the number
 * of differences and the first 8 ("missing NAME [shape]", "NAME: expected
 * shape [..], found [..]", "unexpected NAME [shape]").
 * \throws std::invalid_argument always
 */
[[noreturn]] void refuse_misfit(const std::string& what, const std::vector<std::string>& problems);

/*!
 * \brief Check a LibTorch archive's own checksums: it is a zip whose tensor
 * entries LibTorch stores uncompressed, each with a CRC-32 in the central
 * directory (the few compressed entries are checked for their bounds). A format-1 model file has no checksums of its own; this is the
 * one check its weights can have (tfmed upgrade).
 * \throws std::invalid_argument naming `what` and the damaged entry
 */
void check_archive(const std::string& bytes, const std::string& what);

inline std::string weights_bytes(torch::nn::Module& m) { return archive_bytes(m); }

/*!
 * \brief Load a module's weights from archive bytes, checked.
 *
 * LibTorch's `Module::load` neither checks shapes (it re-points a parameter
 * at whatever tensor the archive holds) nor notices extra entries. This
 * checks every parameter and buffer of `m` (names, shapes, dtypes) against
 * the archive, and reports names the archive has that `m` does not, before
 * it copies anything: a card edited to another architecture, or weights of
 * another model, are refused with expected-vs-found.
 * Floating-point tensors must be finite (a NaN weight makes every output NaN:
 * a detector that never alarms) unless `finite_only` is false (tfmed doctor,
 * which loads a file to say what is wrong with it).
 * \param what names the source in messages ("FILE: the weights section")
 * \throws std::invalid_argument listing the differences (at most 8), or naming
 *         the first tensor with a NaN/Inf
 */
void load_weights_bytes(torch::nn::Module& m, const std::string& bytes,
                        const torch::Device& device, const std::string& what = "weights",
                        bool finite_only = true);

} // namespace models
} // namespace tfmed

#endif
