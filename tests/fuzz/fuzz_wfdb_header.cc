/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * parse_wfdb_header() on arbitrary header text (no file needed).
 */
#include "fuzz_common.h"

#include <tfmed/io/wfdb.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    TFMED_FUZZ_READ(tfmed::io::parse_wfdb_header(text, "fuzz.hea"));
    return 0;
}
