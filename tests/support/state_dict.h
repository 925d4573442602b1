/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A PyTorch state dict saved by torch.save(dict(...)) (the golden generators).
 */
#ifndef INCLUDED_TFMED_TEST_STATE_DICT_H
#define INCLUDED_TFMED_TEST_STATE_DICT_H

#include <torch/serialize.h>
#include <torch/types.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace tfmed_test {

inline std::map<std::string, torch::Tensor> read_state_dict(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), {});
    const auto v = torch::pickle_load(bytes);
    std::map<std::string, torch::Tensor> out;
    for (const auto& e : v.toGenericDict())
        out[e.key().toStringRef()] = e.value().toTensor();
    return out;
}

} // namespace tfmed_test

#endif
