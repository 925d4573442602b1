/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hand-written bindings (no header hashes to drift: STYLE.md pitfall 1).
 */
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "gil.h"

#include <gnuradio/tfmed/spec_augment.h>
#include <gnuradio/tfmed/tfrnn_encoder.h>

namespace py = pybind11;

void bind_trls(py::module& m)
{
    using enc = gr::tfmed::tfrnn_encoder;
    py::class_<enc, gr::block, gr::basic_block, std::shared_ptr<enc>>(
        m,
        "tfrnn_encoder",
        "TRLS's TFRNN encoder on a stream: raw sample windows or tfmed.stft frames in, one "
        "embedding per window out; with a linear head also class probabilities, tfmed_label "
        "tags and decision PDUs.")
        .def(py::init(without_gil(&enc::make)),
             py::arg("model_path"),
             py::arg("input") = "samples",
             py::arg("channels") = 1,
             py::arg("hop") = 0,
             py::arg("device") = "auto",
             py::arg("threads") = 1,
             py::arg("sample_rate") = 0.0,
             py::arg("embedding_vlen") = 0,
             py::arg("classes") = -1,
             py::arg("share") = true,
             py::arg("max_batch") = 16,
             py::arg("max_wait_ms") = 2.0,
             py::arg("queue") = 32,
             py::arg("deadline_ms") = 0.0)
        .def("window", &enc::window)
        .def("hop", &enc::hop)
        .def("embedding_size", &enc::embedding_size)
        .def("class_names", &enc::class_names)
        .def("card_json", &enc::card_json)
        .def("device", &enc::device)
        .def("windows_queued", &enc::windows_queued)
        .def("windows_emitted", &enc::windows_emitted)
        .def("queue_depth", &enc::queue_depth)
        .def("overruns", &enc::overruns)
        .def("latencies", &enc::latencies)
        .def("serving", &enc::serving);

    using aug = gr::tfmed::spec_augment;
    py::class_<aug, gr::sync_block, gr::block, gr::basic_block, std::shared_ptr<aug>>(
        m,
        "spec_augment",
        "One augmented TRLS view of spectrogram windows (ColorJitter / Gaussian blur / flip "
        "along time / masks), reproducible per (seed, window, view).")
        .def(py::init(&aug::make),
             py::arg("vlen"),
             py::arg("frames_per_window"),
             py::arg("preset") = "view1",
             py::arg("seed") = 0,
             py::arg("view") = 0,
             py::arg("normalise") = true)
        .def("set_jitter", &aug::set_jitter, py::arg("probability"), py::arg("brightness"),
             py::arg("contrast"))
        .def("set_blur", &aug::set_blur, py::arg("probability"), py::arg("kernel"),
             py::arg("sigma_min"), py::arg("sigma_max"))
        .def("set_flip", &aug::set_flip, py::arg("probability"))
        .def("set_masks", &aug::set_masks, py::arg("time_mask"), py::arg("freq_mask"))
        .def("settings", &aug::settings);
}
