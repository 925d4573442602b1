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

#include <stdexcept>
#include <string>

namespace tfmed {
namespace models {
namespace card_json {

using nlohmann::json;

inline json parse_object(const std::string& s, const char* what)
{
    try {
        auto j = json::parse(s.empty() ? "{}" : s);
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


} // namespace card_json
} // namespace models
} // namespace tfmed

#endif
