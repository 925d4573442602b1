/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Where the real data sets are (../shared/data beside the checkout; never
 * committed). Tests that need them skip with a message when they are absent.
 */
#ifndef INCLUDED_TFMED_TESTS_DATA_H
#define INCLUDED_TFMED_TESTS_DATA_H

#include <cstdlib>
#include <filesystem>
#include <string>

namespace tfmed_test {

/*! The data folder, or "" when it is not there. */
inline std::string data_dir()
{
    const char* d = std::getenv("TFMED_DATA_DIR");
    std::string dir = d ? d : "../shared/data";
    return std::filesystem::is_directory(dir) ? dir : "";
}

/*! Path of `rel` inside the data folder, or "" when absent. */
inline std::string data_path(const std::string& rel)
{
    const std::string dir = data_dir();
    if (dir.empty())
        return "";
    const std::string p = dir + "/" + rel;
    return std::filesystem::exists(p) ? p : "";
}

} // namespace tfmed_test

/*! Skip the test (with the reason) when a data file is missing. */
#define TFMED_REQUIRE_DATA(var, rel)                                                    \
    const std::string var = tfmed_test::data_path(rel);                                 \
    if (var.empty())                                                                    \
    GTEST_SKIP() << "real data file '" << rel << "' not found under TFMED_DATA_DIR ("   \
                 << (std::getenv("TFMED_DATA_DIR") ? std::getenv("TFMED_DATA_DIR")      \
                                                   : "../shared/data")                  \
                 << "): the shared data sets are not on this machine"

#endif
