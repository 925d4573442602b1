/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/models/weights.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace tfmed {
namespace models {

namespace {

struct Pending {
    torch::Tensor dst, src;
};

int64_t count_tensors(torch::serialize::InputArchive& ar)
{
    int64_t n = 0;
    for (const auto& k : ar.keys()) {
        torch::Tensor t;
        torch::serialize::InputArchive sub;
        if (ar.try_read(k, t))
            ++n;
        else if (ar.try_read(k, sub))
            n += count_tensors(sub);
    }
    return n;
}

// Walk module and archive together: own parameters and buffers, then children.
void match(torch::nn::Module& m,
           torch::serialize::InputArchive& ar,
           const std::string& prefix,
           std::vector<std::string>& problems,
           std::vector<Pending>& copies)
{
    std::vector<std::string> known;
    auto check = [&](const std::string& key, const torch::Tensor& own, bool buffer) {
        known.push_back(key);
        const auto name = prefix + key;
        torch::Tensor t;
        if (!ar.try_read(key, t, buffer)) {
            problems.push_back("missing " + name + " " + shape_str(own.sizes()));
            return;
        }
        if (t.sizes() != own.sizes()) {
            problems.push_back(name + ": expected shape " + shape_str(own.sizes()) +
                               ", found " + shape_str(t.sizes()));
            return;
        }
        if (t.scalar_type() != own.scalar_type()) {
            problems.push_back(name + ": expected " +
                               std::string(c10::toString(own.scalar_type())) + ", found " +
                               c10::toString(t.scalar_type()));
            return;
        }
        copies.push_back({ own, t });
    };
    for (const auto& p : m.named_parameters(false))
        check(p.key(), p.value(), false);
    for (const auto& b : m.named_buffers(false))
        check(b.key(), b.value(), true);
    for (const auto& c : m.named_children()) {
        known.push_back(c.key());
        torch::serialize::InputArchive sub;
        if (!ar.try_read(c.key(), sub)) {
            const auto n = c.value()->named_parameters(true).size() +
                           c.value()->named_buffers(true).size();
            if (n > 0)
                problems.push_back("missing " + prefix + c.key() + " (" + std::to_string(n) +
                                   " tensors)");
            continue;
        }
        match(*c.value(), sub, prefix + c.key() + ".", problems, copies);
    }
    for (const auto& k : ar.keys()) {
        if (std::find(known.begin(), known.end(), k) != known.end())
            continue;
        torch::Tensor t;
        torch::serialize::InputArchive sub;
        if (ar.try_read(k, t))
            problems.push_back("unexpected " + prefix + k + " " + shape_str(t.sizes()));
        else if (ar.try_read(k, sub) && count_tensors(sub) > 0)
            problems.push_back("unexpected " + prefix + k + " (" +
                               std::to_string(count_tensors(sub)) + " tensors)");
        // (an empty submodule, e.g. a Dropout, holds nothing to load)
    }
}

} // namespace

std::string shape_str(c10::IntArrayRef s)
{
    std::ostringstream o;
    o << "[";
    for (std::size_t i = 0; i < s.size(); ++i)
        o << (i ? ", " : "") << s[i];
    o << "]";
    return o.str();
}

void refuse_misfit(const std::string& what, const std::vector<std::string>& problems)
{
    std::string msg = what + ": the weights do not fit the card's architecture (" +
                      std::to_string(problems.size()) + " difference(s)): ";
    for (std::size_t i = 0; i < problems.size() && i < 8; ++i)
        msg += (i ? "; " : "") + problems[i];
    if (problems.size() > 8)
        msg += "; ...";
    throw std::invalid_argument(msg);
}

void load_weights_bytes(torch::nn::Module& m, const std::string& bytes,
                        const torch::Device& device, const std::string& what)
{
    torch::serialize::InputArchive ar;
    try {
        std::istringstream in(bytes);
        ar.load_from(in, device);
    } catch (const c10::Error& e) {
        throw std::invalid_argument(what + ": expected a LibTorch archive of weights, found "
                                           "bytes LibTorch cannot read (" +
                                    std::string(e.what_without_backtrace()).substr(0, 200) +
                                    ")");
    }
    std::vector<std::string> problems;
    std::vector<Pending> copies;
    match(m, ar, "", problems, copies);
    if (!problems.empty())
        refuse_misfit(what, problems);
    torch::NoGradGuard ng;
    for (auto& c : copies)
        c.dst.copy_(c.src);
}

} // namespace models
} // namespace tfmed
