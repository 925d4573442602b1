/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * read_table_stream() (what tfmed.table_source replays) on the input as a
 * CSV, .npy, .ts or .txt table, with a time column, a label column and a
 * rate chosen by the first byte; and parse_time() on the rest as text.
 *
 * First byte: bits 0-1 the extension (csv, npy, ts, txt); bit 2 no rate
 * (times from the time column); bit 3 a time column ("date", or column "0"
 * of a .npy); bit 4 a label column ("label", or column "1").
 */
#include "fuzz_common.h"

#include <tfmed/io/table_stream.h>

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    static const char* const ext[] = { "csv", "npy", "ts", "txt" };
    const unsigned sel = data[0];
    const std::string e = ext[sel & 3];
    tfmed::io::TableStreamOptions o;
    o.sample_rate = (sel & 4) ? 0.0 : 250.0;
    if (sel & 8)
        o.time_column = e == "npy" ? "0" : "date";
    if (sel & 16)
        o.label_column = e == "npy" ? "1" : "label";
    const std::string path = tfmed_fuzz::write_file("fuzz." + e, data + 1, size - 1);
    TFMED_FUZZ_READ(tfmed::io::read_table_stream(path, o));
    // A time cell on its own: a date and time, seconds, or an invalid_argument.
    try {
        tfmed::io::parse_time(std::string(reinterpret_cast<const char*>(data + 1),
                                          std::min<size_t>(size - 1, 64)));
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
