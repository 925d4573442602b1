/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The card parsers on the input as card JSON: card_head() (the fields every
 * model shares), TsrnetCard::from_json() and SpecarCard::from_json() with
 * their range checks. A card
 * they accept must state sizes within the limits (checked here), and must
 * survive to_json() -> from_json() unchanged. std::invalid_argument is the
 * documented answer to a bad card; anything else is a finding.
 */
#include "fuzz_common.h"

#include <tfmed/models/model_file.h>
#include <tfmed/models/specar_card.h>
#include <tfmed/models/tsrnet_card.h>

#include <cstdlib>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const auto head = tfmed::models::card_head(text);
        if (head.channels < 1 || head.channels > tfmed::models::kMaxChannels ||
            head.window < 0 || head.window > tfmed::models::kMaxWindowSamples)
            std::abort();
    } catch (const std::invalid_argument&) {
    }
    try {
        const auto c = tfmed::models::TsrnetCard::from_json(text);
        if (c.leads < 1 || c.leads > tfmed::models::kMaxChannels ||
            c.window() > tfmed::models::kMaxWindowSamples || c.hop < 1 || c.n_fft < 2)
            std::abort();
        const auto again = tfmed::models::TsrnetCard::from_json(c.to_json());
        if (again.to_json() != c.to_json())
            std::abort(); // the round trip changed the card
    } catch (const std::invalid_argument&) {
    }
    try {
        const auto c = tfmed::models::SpecarCard::from_json(text);
        const auto& a = c.arch;
        if (a.enc_in < 1 || a.enc_in > tfmed::models::kMaxChannels || a.seq_len < 1 ||
            a.T() > tfmed::models::kMaxWindowSamples || a.hop < 1 || a.n_fft < 1)
            std::abort();
        const auto again = tfmed::models::SpecarCard::from_json(c.to_json());
        if (again.to_json() != c.to_json())
            std::abort();
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
