/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * read_edf() on the input as an EDF/EDF+/BDF file, then to_recording() with and
 * without an annotation rate, and read_edf_header() (which must agree with
 * read_edf() on whether the header is acceptable).
 */
#include "fuzz_common.h"

#include <tfmed/io/edf.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace tfmed::io;
    const std::string path = tfmed_fuzz::write_file("fuzz.edf", data, size);
    TFMED_FUZZ_READ(read_edf_header(path));
    TFMED_FUZZ_READ({
        const EdfFile f = read_edf(path);
        TFMED_FUZZ_READ(to_recording(f));
        TFMED_FUZZ_READ(to_recording(f, 100.0));
    });
    return 0;
}
