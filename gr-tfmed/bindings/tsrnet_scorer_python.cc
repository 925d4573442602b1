/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hand-written binding (no header hashes to drift: STYLE.md pitfall 1).
 */
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "gil.h"

#include <gnuradio/tfmed/tsrnet_scorer.h>

#include <limits>

namespace py = pybind11;

void bind_tsrnet_scorer(py::module& m)
{
    using blk = gr::tfmed::tsrnet_scorer;
    py::class_<blk, gr::block, gr::basic_block, std::shared_ptr<blk>>(
        m,
        "tsrnet_scorer",
        "TSRNet ECG anomaly score: float vectors of `leads` samples in (at the model's "
        "rate), one score per `hop` samples out; tfmed_score tags and alarm PDUs on the "
        "'alarm' port above the threshold (the model card's unless set).")
        .def(py::init(without_gil(&blk::make)),
             py::arg("model_path"),
             py::arg("leads"),
             py::arg("sample_rate"),
             py::arg("hop"),
             py::arg("device") = "auto",
             py::arg("threshold") = std::numeric_limits<float>::quiet_NaN(),
             py::arg("threads") = 1,
             py::arg("quality_gate") = true,
             py::arg("share") = true,
             py::arg("max_batch") = 16,
             py::arg("max_wait_ms") = 2.0,
             py::arg("queue") = 32,
             py::arg("deadline_ms") = 0.0)
        .def("threshold", &blk::threshold)
        .def("set_threshold", &blk::set_threshold, py::arg("threshold"))
        .def("window", &blk::window)
        .def("hop", &blk::hop)
        .def("card_json", &blk::card_json)
        .def("device", &blk::device)
        .def("windows_queued", &blk::windows_queued)
        .def("windows_scored", &blk::windows_scored)
        .def("queue_depth", &blk::queue_depth)
        .def("overruns", &blk::overruns)
        .def("latencies", &blk::latencies)
        .def("serving", &blk::serving);
}
