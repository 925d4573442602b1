/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * read_npy() on the input as a .npy file.
 */
#include "fuzz_common.h"

#include <tfmed/io/table.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = tfmed_fuzz::write_file("fuzz.npy", data, size);
    TFMED_FUZZ_READ(tfmed::io::read_npy(path));
    return 0;
}
