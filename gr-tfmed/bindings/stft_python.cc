/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hand-written binding (no header hashes to drift: STYLE.md pitfall 1).
 */
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <gnuradio/tfmed/stft.h>

namespace py = pybind11;

void bind_stft(py::module& m)
{
    using stft = gr::tfmed::stft;
    py::class_<stft, gr::block, gr::basic_block, std::shared_ptr<stft>>(
        m,
        "stft",
        "Streaming STFT: float vectors of `channels` samples in, one frame of "
        "channels*bins values per hop out. Matches scipy.signal.stft "
        "(convention='scipy') or torch.stft (convention='torch') exactly.")
        .def(py::init(&stft::make),
             py::arg("channels") = 1,
             py::arg("n_fft") = 256,
             py::arg("hop") = 64,
             py::arg("win_length") = 0,
             py::arg("window") = "hann",
             py::arg("periodic") = true,
             py::arg("convention") = "scipy",
             py::arg("center") = true,
             py::arg("pad_mode") = "reflect",
             py::arg("normalized") = false,
             py::arg("onesided") = true,
             py::arg("output") = "magnitude",
             py::arg("log_floor") = 1e-10f)
        .def("set_window", &stft::set_window, py::arg("window"))
        .def("set_log_floor", &stft::set_log_floor, py::arg("log_floor"))
        .def("set_output", &stft::set_output, py::arg("output"))
        .def("bins", &stft::bins)
        .def("center_offset", &stft::center_offset)
        .def("describe", &stft::describe)
        .def(
            "settings",
            [](const stft& b) {
                uint64_t first = 0;
                std::string text = b.settings(first);
                return py::make_tuple(text, first);
            },
            "The settings in use and the first output frame computed with them: "
            "(text, first_frame).")
        .def("settings_changes", &stft::settings_changes);
}
