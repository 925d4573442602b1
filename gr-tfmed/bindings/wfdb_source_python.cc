/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <gnuradio/tfmed/wfdb_source.h>

namespace py = pybind11;

void bind_wfdb_source(py::module& m)
{
    using blk = gr::tfmed::wfdb_source;
    py::class_<blk, gr::sync_block, gr::block, gr::basic_block, std::shared_ptr<blk>>(
        m,
        "wfdb_source",
        "Replay a WFDB record as float vectors (one element per channel, physical "
        "units), with sample_rate/channel_names/units tags on the first item and "
        "an 'annotation' tag at every annotated sample.")
        .def(py::init(&blk::make),
             py::arg("record"),
             py::arg("channels") = std::vector<int>{},
             py::arg("realtime") = false,
             py::arg("repeat") = false,
             py::arg("start") = 0,
             py::arg("length") = -1,
             py::arg("annotator") = "atr")
        .def("channels", &blk::channels)
        .def("sample_rate", &blk::sample_rate)
        .def("channel_names", &blk::channel_names)
        .def("units", &blk::units)
        .def("n_samples", &blk::n_samples)
        .def("n_annotations", &blk::n_annotations);
}
