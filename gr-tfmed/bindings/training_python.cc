/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hand-written bindings of the training blocks (no header hashes to drift:
 * STYLE.md pitfall 1).
 */
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "gil.h"

#include <gnuradio/sync_block.h>
#include <gnuradio/tfmed/annotation_labeler.h>
#include <gnuradio/tfmed/trainer_sink.h>

namespace py = pybind11;

void bind_training(py::module& m)
{
    using ts = gr::tfmed::trainer_sink;
    py::class_<ts, gr::block, gr::basic_block, std::shared_ptr<ts>>(
        m,
        "trainer_sink",
        "Trains a model (tsrnet, specar, trls or trls_views) on the windows that reach it: "
        "gathers the windows of a "
        "finite source, trains on a worker thread when it ends, writes the model file, "
        "publishes progress PDUs on the 'progress' port, then ends the flowgraph.")
        .def(py::init(without_gil(&ts::make)),
             py::arg("model"),
             py::arg("out_path"),
             py::arg("channels"),
             py::arg("sample_rate"),
             py::arg("window"),
             py::arg("hop"),
             py::arg("options") = "{}",
             py::arg("max_windows") = 20000,
             py::arg("device") = "auto",
             py::arg("threads") = 0)
        .def("windows", &ts::windows)
        .def("normal_windows", &ts::normal_windows)
        .def("state", &ts::state)
        .def("model_path", &ts::model_path);

    using al = gr::tfmed::annotation_labeler;
    py::class_<al, gr::sync_block, gr::block, gr::basic_block, std::shared_ptr<al>>(
        m,
        "annotation_labeler",
        "Pass-through that adds tfmed_label tags (0 normal, 1 abnormal) at annotation tags "
        "by a symbol rule, for training graphs.")
        .def(py::init(&al::make),
             py::arg("channels"),
             py::arg("normal") = "N",
             py::arg("beats_only") = true)
        .def("normal_labels", &al::normal_labels)
        .def("abnormal_labels", &al::abnormal_labels)
        .def("skipped", &al::skipped);
}
