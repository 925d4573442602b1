/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnuradio/io_signature.h>
#include <gnuradio/tfmed/annotation_labeler.h>
#include <tfmed/io/wfdb.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <set>
#include <sstream>
#include <stdexcept>

namespace gr {
namespace tfmed {

class annotation_labeler_impl : public annotation_labeler
{
public:
    annotation_labeler_impl(int channels, std::set<std::string> normal, bool beats_only)
        : gr::sync_block("annotation_labeler",
                         gr::io_signature::make(1, 1, sizeof(float) * channels),
                         gr::io_signature::make(1, 1, sizeof(float) * channels)),
          d_channels(channels),
          d_normal(std::move(normal)),
          d_beats_only(beats_only),
          d_ann_key(pmt::intern("annotation")),
          d_label_key(pmt::intern("tfmed_label")),
          d_id(pmt::intern("annotation_labeler"))
    {
    }

    long normal_labels() const override { return d_n_normal.load(); }
    long abnormal_labels() const override { return d_n_abnormal.load(); }
    long skipped() const override { return d_n_skipped.load(); }

    int work(int noutput_items,
             gr_vector_const_void_star& input_items,
             gr_vector_void_star& output_items) override
    {
        std::memcpy(output_items[0], input_items[0],
                    sizeof(float) * static_cast<std::size_t>(noutput_items) * d_channels);
        const uint64_t a0 = nitems_read(0);
        get_tags_in_range(d_tags, 0, a0, a0 + static_cast<uint64_t>(noutput_items), d_ann_key);
        for (const auto& t : d_tags) {
            if (!pmt::is_dict(t.value))
                continue;
            const auto code = pmt::dict_ref(t.value, pmt::mp("code"), pmt::PMT_NIL);
            const auto sym = pmt::dict_ref(t.value, pmt::mp("symbol"), pmt::PMT_NIL);
            const long c = pmt::is_integer(code) ? pmt::to_long(code) : 0;
            if (d_beats_only && !::tfmed::io::wfdb_is_beat(static_cast<int>(c))) {
                d_n_skipped++;
                // Code 0 is no WFDB annotation (EDF+ and table annotations
                // carry none): with beats_only such a stream gets no label.
                if (c == 0 && !d_warned) {
                    d_warned = true;
                    d_logger->warn(
                        "annotation '{}' at sample {} is not a WFDB beat annotation (code 0: "
                        "EDF+ annotations have none) and gets no label; beats_only=False "
                        "labels every annotation by its symbol",
                        pmt::is_symbol(sym) ? pmt::symbol_to_string(sym) : std::string("?"),
                        t.offset);
                }
                continue;
            }
            const bool normal = pmt::is_symbol(sym) && d_normal.count(pmt::symbol_to_string(sym));
            (normal ? d_n_normal : d_n_abnormal)++;
            // Output item k is input item k (sync block): same absolute offset.
            add_item_tag(0, t.offset, d_label_key, pmt::from_long(normal ? 0 : 1), d_id);
        }
        return noutput_items;
    }

private:
    const int d_channels;
    const std::set<std::string> d_normal;
    const bool d_beats_only;
    const pmt::pmt_t d_ann_key, d_label_key, d_id;
    std::vector<gr::tag_t> d_tags;
    std::atomic<long> d_n_normal{ 0 }, d_n_abnormal{ 0 }, d_n_skipped{ 0 };
    bool d_warned = false;
};

annotation_labeler::sptr
annotation_labeler::make(int channels, const std::string& normal, bool beats_only)
{
    if (channels < 1)
        throw std::invalid_argument("annotation_labeler: expected channels >= 1, found " +
                                    std::to_string(channels));
    std::set<std::string> symbols;
    std::stringstream ss(normal);
    std::string s;
    while (std::getline(ss, s, ',')) {
        const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
        if (b != std::string::npos)
            symbols.insert(s.substr(b, e - b + 1));
    }
    if (symbols.empty())
        throw std::invalid_argument("annotation_labeler: expected at least one normal symbol "
                                    "(e.g. \"N\"), found '" +
                                    normal + "'");
    // With beats_only the labels go to beats alone: a normal list without a
    // beat symbol would label every beat abnormal.
    if (beats_only &&
        std::none_of(symbols.begin(), symbols.end(), [](const std::string& s) {
            const int code = ::tfmed::io::wfdb_annotation_code(s);
            return code >= 0 && ::tfmed::io::wfdb_is_beat(code);
        })) {
        std::string beats; // the reader's beat codes, by their mnemonics
        for (int code = 1; code <= 49; ++code)
            if (::tfmed::io::wfdb_is_beat(code))
                beats += (beats.empty() ? "" : " ") + ::tfmed::io::wfdb_annotation_symbol(code);
        throw std::invalid_argument(
            "annotation_labeler: with beats_only, expected at least one normal symbol that is "
            "a WFDB beat annotation (" + beats + "), found '" + normal +
            "' (every beat would be labelled abnormal; beats_only=False labels every "
            "annotation by its symbol)");
    }
    return gnuradio::make_block_sptr<annotation_labeler_impl>(channels, std::move(symbols),
                                                              beats_only);
}

} // namespace tfmed
} // namespace gr
