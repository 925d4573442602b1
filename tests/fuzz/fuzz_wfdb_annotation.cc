/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * read_wfdb_annotations() on the input as record "fuzz", annotator "atr".
 */
#include "fuzz_common.h"

#include <tfmed/io/wfdb.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    tfmed_fuzz::write_file("fuzz.atr", data, size);
    TFMED_FUZZ_READ(
        tfmed::io::read_wfdb_annotations(tfmed_fuzz::scratch_dir() + "/fuzz", "atr"));
    return 0;
}
