/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading the tags and PDUs of a block test's sinks.
 */
#ifndef INCLUDED_TFMED_TEST_TAGS_H
#define INCLUDED_TFMED_TEST_TAGS_H

#include <gnuradio/tags.h>
#include <pmt/pmt.h>

#include <map>
#include <string>
#include <vector>

namespace tfmed_test {

/*! Tags grouped by key, in stream order. */
inline std::map<std::string, std::vector<gr::tag_t>> by_key(const std::vector<gr::tag_t>& tags)
{
    std::map<std::string, std::vector<gr::tag_t>> m;
    for (const auto& t : tags)
        m[pmt::symbol_to_string(t.key)].push_back(t);
    return m;
}

/*! A PDU meta field as text (pmt::write_string), "()" when absent. */
inline std::string field(const pmt::pmt_t& meta, const char* k)
{
    return pmt::write_string(pmt::dict_ref(meta, pmt::mp(k), pmt::PMT_NIL));
}

/*! \brief A PDU's payload as text (the model blocks' UTF-8 bytes). */
inline std::string payload_text(const pmt::pmt_t& pdu)
{
    size_t n = 0;
    const auto* b = pmt::u8vector_elements(pmt::cdr(pdu), n);
    return std::string(reinterpret_cast<const char*>(b), n);
}

} // namespace tfmed_test

#endif
