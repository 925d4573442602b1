/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading model cards (internal): typed fields with errors that name the
 * field, shared by every model's card parser.
 */
#ifndef INCLUDED_TFMED_LIB_MODELS_CARD_JSON_H
#define INCLUDED_TFMED_LIB_MODELS_CARD_JSON_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <string>

namespace tfmed {
namespace models {
namespace card_json {

using nlohmann::json;

/*! Deepest nesting a card may have: a card is a handful of levels deep; the
 *  JSON printer and the typed reads recurse once per level, so a file with
 *  100,000 nested arrays overflowed the stack (`tfmed info`). */
constexpr int kMaxDepth = 64;

/*! json::parse, refusing nesting deeper than kMaxDepth (the parser itself
 *  keeps its own stack; everything after it recurses). */
inline json parse_bounded(const std::string& text)
{
    // (At a container's start `depth` counts the containers around it.)
    return json::parse(text, [](int depth, json::parse_event_t event, json&) {
        if ((event == json::parse_event_t::object_start ||
             event == json::parse_event_t::array_start) &&
            depth >= kMaxDepth)
            throw std::invalid_argument("nesting deeper than " + std::to_string(kMaxDepth) +
                                        " levels");
        return true;
    });
}

inline json parse_object(const std::string& s, const char* what)
{
    try {
        auto j = parse_bounded(s.empty() ? "{}" : s);
        if (!j.is_object())
            throw std::invalid_argument("not an object");
        return j;
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("model card: expected '") + what +
                                    "' to be a JSON object, found: " + e.what());
    }
}

template <typename T>
inline void get(const json& j, const char* key, T& v)
{
    if (!j.contains(key))
        throw std::invalid_argument(std::string("model card: expected field '") + key +
                                    "', found none");
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        // nlohmann converts 16.5 to 16 and 2^70 to INT64_MIN without a word.
        const auto& x = j.at(key);
        if (!x.is_number_integer())
            throw std::invalid_argument(std::string("model card: expected field '") + key +
                                        "' to be an integer, found " + x.dump());
        if (x.is_number_unsigned() &&
            x.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max()))
            throw std::invalid_argument(std::string("model card: field '") + key +
                                        "' is out of range: " + x.dump());
    }
    try {
        v = j.at(key).get<T>();
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("model card: field '") + key +
                                    "' has the wrong type: " + e.what());
    }
}

template <typename T>
inline void get_opt(const json& j, const char* key, T& v)
{
    if (j.contains(key))
        get(j, key, v);
}


/*! The card of `model`: parsed, an object, its "model" field `model`. */
inline json parse_card(const std::string& text, const std::string& model)
{
    json j;
    try {
        j = parse_bounded(text);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("model card: expected JSON, found: ") + e.what());
    }
    if (!j.is_object())
        throw std::invalid_argument("model card: expected a JSON object, found " +
                                    std::string(j.type_name()));
    std::string found;
    get(j, "model", found);
    if (found != model)
        throw std::invalid_argument("model card: expected model '" + model + "', found '" +
                                    found + "'");
    return j;
}

/*! The free-form sections every card carries (data, metrics, training), as
 *  JSON text: read from a card, and written back. */
inline void read_sections(const json& j, std::string& data, std::string& metrics,
                          std::string& training)
{
    if (j.contains("data"))
        data = j["data"].dump();
    if (j.contains("metrics"))
        metrics = j["metrics"].dump();
    if (j.contains("training"))
        training = j["training"].dump();
}

inline void write_sections(json& j, const std::string& data, const std::string& metrics,
                           const std::string& training)
{
    j["data"] = parse_object(data, "data");
    j["metrics"] = parse_object(metrics, "metrics");
    j["training"] = parse_object(training, "training");
}

} // namespace card_json
} // namespace models
} // namespace tfmed

#endif
