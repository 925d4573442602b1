/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <gnuradio/tfmed/edf_source.h>

namespace py = pybind11;

void bind_edf_source(py::module& m)
{
    using blk = gr::tfmed::edf_source;
    py::class_<blk, gr::sync_block, gr::block, gr::basic_block, std::shared_ptr<blk>>(
        m,
        "edf_source",
        "Replay an EDF/EDF+/BDF file as float vectors (one element per channel, "
        "physical units), with sample_rate/channel_names/units tags on the first item "
        "and an 'annotation' tag at every EDF+ annotation.")
        .def(py::init(&blk::make),
             py::arg("path"),
             py::arg("channels") = std::vector<int>{},
             py::arg("realtime") = false,
             py::arg("repeat") = false,
             py::arg("start") = 0,
             py::arg("length") = -1)
        .def("channels", &blk::channels)
        .def("sample_rate", &blk::sample_rate)
        .def("channel_names", &blk::channel_names)
        .def("units", &blk::units)
        .def("n_samples", &blk::n_samples)
        .def("n_annotations", &blk::n_annotations);
}
