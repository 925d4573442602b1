/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * WFDB signal decoding: the first input byte picks one of the headers below,
 * the rest of the input is the signal file "sig.dat" they all name. Each header
 * is read with read_wfdb_digital() and then read_wfdb() (physical values, at
 * the highest rate and at the frame rate). The headers cover every supported
 * format, several signals per file, multi-frequency signals, skew, byte
 * offsets, checksums, and null signals beside stored ones (with a record
 * length the file cannot hold).
 *
 * The seed script (make_seeds.py) gives every selector 0..39 a seed, so the
 * table must not grow beyond 40 entries without changing it too.
 */
#include "fuzz_common.h"

#include <tfmed/io/wfdb.h>

#include <vector>

namespace {

struct Variant {
    const char* header;
    bool verify_checksums;
};

const Variant variants[] = {
    // One signal, the length taken from the file size: every format.
    { "v 1 250\nsig.dat 8 200 8 0 5\n", false },
    { "v 1 250\nsig.dat 16\n", false },
    { "v 1 250\nsig.dat 24\n", false },
    { "v 1 250\nsig.dat 32\n", false },
    { "v 1 250\nsig.dat 61\n", false },
    { "v 1 250\nsig.dat 80\n", false },
    { "v 1 250\nsig.dat 160\n", false },
    { "v 1 250\nsig.dat 212\n", false },
    { "v 1 250\nsig.dat 310\n", false },
    { "v 1 250\nsig.dat 311\n", false },
    // Several signals in one file, with a length the file must hold.
    { "v 2 360 20\nsig.dat 212 200 11 1024 995 0 0 MLII\n"
      "sig.dat 212 200 11 1024 1011 0 0 V5\n",
      false },
    { "v 3 250 10\nsig.dat 310\nsig.dat 310\nsig.dat 310\n", false },
    { "v 3 250 10\nsig.dat 311\nsig.dat 311\nsig.dat 311\n", false },
    { "v 2 250 16\nsig.dat 16 100(-5)/uV\nsig.dat 16 0\n", false },
    { "v 2 250 16\nsig.dat 8 200 8 0 -3\nsig.dat 8 200 8 0 7\n", false },
    // Multi-frequency signals.
    { "v 2 250\nsig.dat 16x4\nsig.dat 16\n", false },
    { "v 3 250 8\nsig.dat 212x3\nsig.dat 212\nsig.dat 212x2\n", false },
    { "v 2 125\nsig.dat 80x2\nsig.dat 80x3\n", false },
    // Skew.
    { "v 2 250\nsig.dat 16:3\nsig.dat 16\n", false },
    { "v 2 250 12\nsig.dat 212:2\nsig.dat 212:5\n", false },
    { "v 2 250\nsig.dat 8x2:1 200 8 0 4\nsig.dat 8\n", false },
    { "v 2 250 6\nsig.dat 311x2:1\nsig.dat 311:2\n", false },
    // Byte offsets.
    { "v 1 250\nsig.dat 16+5\n", false },
    { "v 2 250 4\nsig.dat 24+7\nsig.dat 24+7\n", false },
    { "v 1 250\nsig.dat 310+3\n", false },
    // Checksums, verified (32-bit samples: the sum must not overflow).
    { "v 1 250 8\nsig.dat 16 200 16 0 0 0 0 ch\n", true },
    { "v 2 250 8\nsig.dat 212 200 12 0 0 0 0 a\nsig.dat 212 200 12 0 0 0 0 b\n", true },
    { "v 1 250\nsig.dat 32 200 32 0 0 0\n", true },
    // Format 8 from an initial value at the int32 limit.
    { "v 2 250\nsig.dat 8 200 8 0 2147483600\nsig.dat 8 200 8 0 -2147483600\n", true },
    // Null signals beside stored ones; the first claims 10^12 frames.
    { "v 2 250 1000000000000\n~ 0\nsig.dat 16\n", false },
    { "v 3 250 30\nsig.dat 16\n~ 0x4\nsig.dat 16x2\n", false },
    { "v 2 250\nsig.dat 0\nsig.dat 16\n", false },
    // Only null signals.
    { "v 1 250 12\n~ 0x2\n", false },
};
constexpr size_t n_variants = sizeof(variants) / sizeof(variants[0]);
static_assert(n_variants <= 40, "make_seeds.py seeds selectors 0..39 only");

// The headers are written once; only sig.dat changes between iterations.
const std::string& record(size_t v)
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (size_t i = 0; i < n_variants; i++) {
            const std::string name = "v" + std::to_string(i);
            tfmed_fuzz::write_file(name + ".hea", variants[i].header);
            out.push_back(tfmed_fuzz::scratch_dir() + "/" + name);
        }
        return out;
    }();
    return names[v];
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace tfmed::io;
    if (size < 1)
        return 0;
    const size_t v = data[0] % n_variants;
    const std::string& rec = record(v);
    tfmed_fuzz::write_file("sig.dat", data + 1, size - 1);
    TFMED_FUZZ_READ(read_wfdb_digital(rec, variants[v].verify_checksums));
    WfdbReadOptions opt;
    opt.annotator = "";
    opt.verify_checksums = variants[v].verify_checksums;
    TFMED_FUZZ_READ(read_wfdb(rec, opt));
    opt.high_resolution = false;
    TFMED_FUZZ_READ(read_wfdb(rec, opt));
    opt.sampling = WfdbSampling::frame_average;
    TFMED_FUZZ_READ(read_wfdb(rec, opt));
    return 0;
}
