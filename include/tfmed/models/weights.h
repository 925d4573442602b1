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

/*! \brief Load archive bytes into a module or optimiser of the same shape. */
template <typename T>
void load_archive_bytes(T& x, const std::string& bytes, const torch::Device& device)
{
    std::istringstream in(bytes);
    torch::serialize::InputArchive ar;
    ar.load_from(in, device);
    x.load(ar);
}

inline std::string weights_bytes(torch::nn::Module& m) { return archive_bytes(m); }
inline void load_weights_bytes(torch::nn::Module& m, const std::string& bytes,
                               const torch::Device& device)
{
    load_archive_bytes(m, bytes, device);
}

} // namespace models
} // namespace tfmed

#endif
