/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * read_model_file() on the input as a model file, then the card parsers on
 * its card. The documented answers to a broken file are std::runtime_error
 * and std::invalid_argument naming the problem; anything else (an escaped
 * JSON exception, std::length_error from a size taken on trust, a crash, an
 * allocation past -malloc_limit_mb) is a finding.
 */
#include "fuzz_common.h"

#include <tfmed/models/model_file.h>
#include <tfmed/models/specar_card.h>
#include <tfmed/models/tsrnet_card.h>

#include <cstdlib>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string path = tfmed_fuzz::write_file("fuzz.tfm", data, size);
    try {
        const auto f = tfmed::models::read_model_file(path, true, true);
        const auto head = tfmed::models::card_head(f.card_json);
        if (head.channels < 1 || head.channels > tfmed::models::kMaxChannels ||
            head.window > tfmed::models::kMaxWindowSamples)
            std::abort(); // a size outside the limits got through
        if (head.model == "specar")
            (void)tfmed::models::SpecarCard::from_json(f.card_json);
        else
            (void)tfmed::models::TsrnetCard::from_json(f.card_json);
    } catch (const std::invalid_argument&) {
    } catch (const std::runtime_error&) {
    }
    return 0;
}
