/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Constructors that load a model or read a whole recording run without the
 * GIL (other Python threads, a Qt GUI, keep running), and only them.
 */
#ifndef INCLUDED_TFMED_BINDINGS_GIL_H
#define INCLUDED_TFMED_BINDINGS_GIL_H

#include <pybind11/pybind11.h>

#include <utility>

/*!
 * `make` as a factory for py::init that releases the GIL around the call
 * alone. py::call_guard<gil_scoped_release> on a py::init would also keep
 * it released while pybind11 registers the new object in its instance map,
 * which only the GIL guards (pybind11 PR #6172): another Python thread
 * making or freeing objects then could corrupt it.
 */
template <typename R, typename... A>
auto without_gil(R (*make)(A...))
{
    return [make](A... a) -> R {
        pybind11::gil_scoped_release nogil;
        return make(std::forward<A>(a)...);
    };
}

#endif
