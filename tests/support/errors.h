/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The message of the exception a call throws, for tests that assert exact
 * error texts.
 */
#ifndef INCLUDED_TFMED_TESTS_ERRORS_H
#define INCLUDED_TFMED_TESTS_ERRORS_H

#include <string>

namespace tfmed_test {

/*! what() of the E that f() throws, or "no error". Other exceptions propagate. */
template <typename E, typename F>
std::string message_of(F&& f)
{
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "no error";
}

} // namespace tfmed_test

#endif
