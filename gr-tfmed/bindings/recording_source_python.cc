/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "gil.h"

#include <gnuradio/tfmed/edf_source.h>
#include <gnuradio/tfmed/wfdb_source.h>

namespace py = pybind11;

void bind_recording_sources(py::module& m)
{
    using base = gr::tfmed::recording_source;
    py::class_<base, gr::sync_block, gr::block, gr::basic_block, std::shared_ptr<base>>(
        m, "recording_source", "Common interface of the recording replay blocks.")
        .def("channels", &base::channels)
        .def("sample_rate", &base::sample_rate)
        .def("channel_names", &base::channel_names)
        .def("units", &base::units)
        .def("n_samples", &base::n_samples)
        .def("n_annotations", &base::n_annotations);

    using wfdb = gr::tfmed::wfdb_source;
    py::class_<wfdb, base, gr::sync_block, gr::block, gr::basic_block, std::shared_ptr<wfdb>>(
        m,
        "wfdb_source",
        "Replay a WFDB record as float vectors (one element per channel, physical "
        "units), with sample_rate/channel_names/units tags on the first item and "
        "an 'annotation' tag at every annotated sample.")
        .def(py::init(without_gil(&wfdb::make)),
             py::arg("record"),
             py::arg("channels") = std::vector<int>{},
             py::arg("realtime") = false,
             py::arg("repeat") = false,
             py::arg("start") = 0,
             py::arg("length") = -1,
             py::arg("annotator") = "atr",
             py::arg("sampling") = "high_rate");

    using edf = gr::tfmed::edf_source;
    py::class_<edf, base, gr::sync_block, gr::block, gr::basic_block, std::shared_ptr<edf>>(
        m,
        "edf_source",
        "Replay an EDF/EDF+/BDF file as float vectors (one element per channel, "
        "physical units), with sample_rate/channel_names/units tags on the first item "
        "and an 'annotation' tag at every EDF+ annotation within the replayed samples "
        "(those the file places outside its samples are counted in a warning).")
        .def(py::init(without_gil(&edf::make)),
             py::arg("path"),
             py::arg("channels") = std::vector<int>{},
             py::arg("realtime") = false,
             py::arg("repeat") = false,
             py::arg("start") = 0,
             py::arg("length") = -1);
}
