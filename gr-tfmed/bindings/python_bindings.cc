/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_stft(py::module& m);
void bind_recording_sources(py::module& m);
void bind_tsrnet_scorer(py::module& m);
void bind_training(py::module& m);
void bind_specar(py::module& m);
void bind_trls(py::module& m);

PYBIND11_MODULE(tfmed_python, m)
{
    // gr.basic_block and gr.block must be registered before our subclasses
    // (STYLE.md pitfall 4: "referenced unknown base type").
    py::module::import("gnuradio.gr");
    bind_stft(m);
    bind_recording_sources(m);
    bind_tsrnet_scorer(m);
    bind_training(m);
    bind_specar(m);
    bind_trls(m);
}
