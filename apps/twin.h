/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Python twins of `tfmed bench ...`: found beside the sources or the
 * install, run at the same threads, their figures read back as one JSON line.
 */
#ifndef INCLUDED_TFMED_APPS_TWIN_H
#define INCLUDED_TFMED_APPS_TWIN_H

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace tfmed {
namespace apps {

/*! `given`, or the first `name` in TFMED_TWIN_DIRS; "" when there is none. */
inline std::string find_twin(const std::string& given, const std::string& name)
{
    if (!given.empty())
        return given;
    const std::string dirs = TFMED_TWIN_DIRS;
    for (std::size_t a = 0; a <= dirs.size();) {
        const auto b = std::min(dirs.find(':', a), dirs.size());
        const std::string p = dirs.substr(a, b - a) + "/" + name;
        if (FILE* f = std::fopen(p.c_str(), "r")) {
            std::fclose(f);
            return p;
        }
        a = b + 1;
    }
    return "";
}

/*! Run `python script 'cfg'`; its last line starting {"torch" as JSON, or
 *  null with `why` saying what went wrong. */
inline nlohmann::json run_twin(const std::string& python, const std::string& script,
                               const nlohmann::json& cfg, std::string& why)
{
    auto quote = [](const std::string& t) {
        std::string q = "'";
        for (char c : t)
            q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return q + "'";
    };
    const std::string cmd = quote(python) + " " + quote(script) + " " + quote(cfg.dump()) +
                            " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) {
        why = "cannot start " + python;
        return nullptr;
    }
    std::string out;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p))
        out += buf;
    const int rc = pclose(p);
    const auto line = out.rfind("{\"torch\"");
    if (rc != 0 || line == std::string::npos) {
        why = python + " " + script + " failed (exit " + std::to_string(rc) + "): " +
              out.substr(out.size() > 400 ? out.size() - 400 : 0);
        return nullptr;
    }
    return nlohmann::json::parse(out.substr(line));
}

} // namespace apps
} // namespace tfmed

#endif
