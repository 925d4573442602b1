/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * read_ts() on the input as a sktime .ts file.
 */
#include "fuzz_common.h"

#include <tfmed/io/ts.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = tfmed_fuzz::write_file("fuzz.ts", data, size);
    TFMED_FUZZ_READ(tfmed::io::read_ts(path));
    return 0;
}
