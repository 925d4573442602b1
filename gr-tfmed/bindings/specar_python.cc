/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hand-written bindings (no header hashes to drift: STYLE.md pitfall 1).
 */
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "gil.h"

#include <gnuradio/tfmed/specar.h>
#include <gnuradio/tfmed/table_source.h>

#include <limits>

namespace py = pybind11;

void bind_specar(py::module& m)
{
    using ts = gr::tfmed::table_source;
    using base = gr::tfmed::recording_source;
    py::class_<ts, base, gr::sync_block, gr::block, gr::basic_block, std::shared_ptr<ts>>(
        m,
        "table_source",
        "Replay a CSV, NPY or UEA .ts table as float vectors (one element per selected "
        "column), with sample_rate/channel_names/units tags on the first item and "
        "tfmed_label tags where the label column changes (or at each .ts case).")
        .def(py::init(without_gil(&ts::make)),
             py::arg("path"),
             py::arg("columns") = std::vector<std::string>{},
             py::arg("sample_rate") = 0.0,
             py::arg("time_column") = "",
             py::arg("label_column") = "",
             py::arg("realtime") = false,
             py::arg("repeat") = false,
             py::arg("start") = 0,
             py::arg("length") = -1);

    using blk = gr::tfmed::specar;
    py::class_<blk, gr::block, gr::basic_block, std::shared_ptr<blk>>(
        m,
        "specar",
        "SpecAR-Net on a stream, by the model card's task: per-sample anomaly energy with "
        "alarm PDUs, forecast vectors, NaN gaps filled, or class decisions.")
        .def(py::init(without_gil(&blk::make)),
             py::arg("model_path"),
             py::arg("channels"),
             py::arg("hop") = 0,
             py::arg("device") = "auto",
             py::arg("threads") = 1,
             py::arg("threshold") = std::numeric_limits<float>::quiet_NaN(),
             py::arg("start_time") = 0.0,
             py::arg("out_vlen") = 0,
             py::arg("share") = true,
             py::arg("max_batch") = 16,
             py::arg("max_wait_ms") = 2.0,
             py::arg("queue") = 32,
             py::arg("deadline_ms") = 0.0)
        .def("task", &blk::task)
        .def("window", &blk::window)
        .def("hop", &blk::hop)
        .def("out_vlen", &blk::out_vlen)
        .def("threshold", &blk::threshold)
        .def("set_threshold", &blk::set_threshold, py::arg("threshold"))
        .def("class_names", &blk::class_names)
        .def("card_json", &blk::card_json)
        .def("device", &blk::device)
        .def("windows_queued", &blk::windows_queued)
        .def("windows_emitted", &blk::windows_emitted)
        .def("queue_depth", &blk::queue_depth)
        .def("overruns", &blk::overruns)
        .def("latencies", &blk::latencies)
        .def("serving", &blk::serving);
}
