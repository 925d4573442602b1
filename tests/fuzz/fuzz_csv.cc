/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * read_csv() on the input as a CSV file, with ',' and with '\t' as separator
 * (a tab is also white space, which the cell splitter trims).
 */
#include "fuzz_common.h"

#include <tfmed/io/table.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = tfmed_fuzz::write_file("fuzz.csv", data, size);
    TFMED_FUZZ_READ(tfmed::io::read_csv(path));
    TFMED_FUZZ_READ(tfmed::io::read_csv(path, '\t'));
    return 0;
}
