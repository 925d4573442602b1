/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_APPS_DOCTOR_H
#define INCLUDED_TFMED_APPS_DOCTOR_H

#include <string>

namespace tfmed {
namespace apps {

/*!
 * \brief `tfmed doctor PATH`: every check a model file can be given (its
 * sections and checksums, the card's fields and ranges, card against
 * weights, the threshold, a forward pass of the card's model on a synthetic
 * window), one line each, and whether the blocks and `tfmed eval` accept it.
 * \return 0 when they do, 1 otherwise
 */
int model_doctor(const std::string& path);

} // namespace apps
} // namespace tfmed

#endif
