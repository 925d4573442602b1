/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_API_H
#define INCLUDED_TFMED_API_H

#include <gnuradio/attributes.h>

#ifdef gnuradio_tfmed_EXPORTS
#define TFMED_API __GR_ATTR_EXPORT
#else
#define TFMED_API __GR_ATTR_IMPORT
#endif

#endif /* INCLUDED_TFMED_API_H */
