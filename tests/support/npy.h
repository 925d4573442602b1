/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Minimal .npy reader for the golden files the test generators write
 * (format 1.0/2.0, little-endian float32/float64/complex64, C order).
 */
#ifndef INCLUDED_TFMED_TESTS_NPY_H
#define INCLUDED_TFMED_TESTS_NPY_H

#include <torch/torch.h>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tfmed_test {

inline torch::Tensor load_npy(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        throw std::runtime_error("cannot open " + path);
    char magic[8];
    f.read(magic, 8);
    if (!f || std::string(magic, 6) != "\x93NUMPY")
        throw std::runtime_error(path + ": not a .npy file");
    uint32_t hlen = 0;
    if (magic[6] == 1) {
        uint16_t h;
        f.read(reinterpret_cast<char*>(&h), 2);
        hlen = h;
    } else {
        f.read(reinterpret_cast<char*>(&hlen), 4);
    }
    std::string header(hlen, ' ');
    f.read(&header[0], hlen);
    auto field = [&](const std::string& key) {
        auto p = header.find("'" + key + "'");
        if (p == std::string::npos)
            throw std::runtime_error(path + ": header has no " + key);
        return header.substr(header.find(':', p) + 1);
    };
    const std::string descr = field("descr");
    if (field("fortran_order").find("False") > 2)
        throw std::runtime_error(path + ": expected C order");
    std::string shape_s = field("shape");
    shape_s = shape_s.substr(shape_s.find('(') + 1, shape_s.find(')') - shape_s.find('(') - 1);
    std::vector<int64_t> shape;
    size_t pos = 0;
    while (pos < shape_s.size()) {
        auto comma = shape_s.find(',', pos);
        auto tok = shape_s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (tok.find_first_of("0123456789") != std::string::npos)
            shape.push_back(std::stoll(tok));
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    torch::Dtype dtype;
    if (descr.find("<f4") != std::string::npos)
        dtype = torch::kFloat;
    else if (descr.find("<f8") != std::string::npos)
        dtype = torch::kDouble;
    else if (descr.find("<c8") != std::string::npos)
        dtype = torch::kComplexFloat;
    else
        throw std::runtime_error(path + ": unsupported dtype " + descr);
    auto t = torch::empty(shape, dtype);
    f.read(static_cast<char*>(t.data_ptr()), t.numel() * t.element_size());
    if (!f)
        throw std::runtime_error(path + ": truncated data");
    return t;
}

} // namespace tfmed_test

#endif
