/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/models/model_file.h>
#include <tfmed/models/weights.h>

#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <sstream>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace tfmed {
namespace models {

namespace {

struct Pending {
    torch::Tensor dst, src;
    std::string name;
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
        copies.push_back({ own, t, name });
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

void check_archive(const std::string& b, const std::string& what)
{
    auto u16 = [&](std::size_t at) {
        return static_cast<uint32_t>(static_cast<unsigned char>(b[at])) |
               static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8;
    };
    auto u32 = [&](std::size_t at) { return u16(at) | u16(at + 2) << 16; };
    auto bad = [&](const std::string& m) {
        throw std::invalid_argument(what + ": expected an intact LibTorch archive (zip), " + m);
    };
    // End of central directory: the last "PK\5\6" within the final 64 KiB.
    if (b.size() < 22)
        bad("found " + std::to_string(b.size()) + " bytes");
    std::size_t eocd = std::string::npos;
    const std::size_t lo = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
    for (std::size_t at = b.size() - 22 + 1; at-- > lo;)
        if (u32(at) == 0x06054b50) {
            eocd = at;
            break;
        }
    if (eocd == std::string::npos)
        bad("found no end-of-directory record");
    const uint32_t entries = u16(eocd + 10), dir_size = u32(eocd + 12), dir_at = u32(eocd + 16);
    if (entries == 0xFFFF || dir_at == 0xFFFFFFFF)
        bad("found a zip64 archive, which this check does not read");
    if (uint64_t{ dir_at } + dir_size > eocd)
        bad("found a directory outside the file");
    std::size_t next = dir_at;
    for (uint32_t k = 0; k < entries; ++k) {
        const std::size_t at = next;
        if (at + 46 > eocd || u32(at) != 0x02014b50)
            bad("found a damaged directory entry " + std::to_string(k));
        const uint32_t method = u16(at + 10), crc = u32(at + 16), csize = u32(at + 20),
                       usize = u32(at + 24), nlen = u16(at + 28), xlen = u16(at + 30),
                       clen = u16(at + 32), local = u32(at + 42);
        if (at + 46 + nlen > eocd)
            bad("found a damaged directory entry " + std::to_string(k));
        const std::string name = b.substr(at + 46, nlen);
        next = at + 46 + nlen + xlen + clen;
        if (uint64_t{ local } + 30 > b.size() || u32(local) != 0x04034b50)
            bad("found entry " + name + " without its local header");
        const uint64_t data = uint64_t{ local } + 30 + u16(local + 26) + u16(local + 28);
        if (data + csize > b.size())
            bad("found entry " + name + " cut short");
        // The tensors' bytes are stored (method 0) and checked here; the few
        // compressed entries (code, constants) are parsed when loaded.
        if (method != 0)
            continue;
        if (csize != usize)
            bad("found entry " + name + " with stored size " + std::to_string(csize) + " != " +
                std::to_string(usize));
        const uint32_t got = crc32(b.substr(static_cast<std::size_t>(data), usize));
        if (got != crc) {
            char m[64];
            std::snprintf(m, sizeof m, " damaged (CRC-32 %08x, expected %08x)", got, crc);
            bad("found entry " + name + m);
        }
    }
}

void check_archive_code(const std::string& bytes, const std::string& what)
{
    // The entries LibTorch's writers make (1.13; 2.x adds byteorder and
    // .data/), by exact name: zip lookups ignore case, so code/X.PY would be
    // compiled as code/X.py; a model.json would select the legacy loader.
    static const std::regex entry(R"(version|byteorder|\.data/version|\.data/serialization_id|)"
                                  R"(data\.pkl|constants\.pkl|data/[0-9]+|)"
                                  R"(code/[A-Za-z0-9_/]+\.py(\.debug_pkl)?)");
    std::istringstream in(bytes);
    std::vector<std::pair<std::string, std::string>> code;
    try {
        caffe2::serialize::PyTorchStreamReader reader(&in);
        for (const auto& name : reader.getAllRecords()) {
            if (name.size() >= 500 || !std::regex_match(name, entry))
                throw std::invalid_argument(
                    what + ": expected a LibTorch archive of weights (data.pkl, data/N, "
                           "code/*.py, ...), found an entry named '" +
                    name.substr(0, 80) + "'");
            const bool py = name.size() > 3 && name.compare(name.size() - 3, 3, ".py") == 0;
            if (!py)
                continue;
            auto [data, n] = reader.getRecord(name);
            if (n > (std::size_t{ 1 } << 20))
                throw std::invalid_argument(what + ": expected code entries that declare "
                                                   "classes (a few hundred bytes), found " +
                                            name + " of " + std::to_string(n) + " bytes");
            code.emplace_back(name, std::string(static_cast<const char*>(data.get()), n));
        }
    } catch (const c10::Error& e) {
        throw std::invalid_argument(what + ": expected a LibTorch archive of weights, found "
                                           "bytes LibTorch cannot read (" +
                                    std::string(e.what_without_backtrace()).substr(0, 200) +
                                    ")");
    } catch (const std::bad_alloc&) {
        throw std::invalid_argument(what + ": expected a LibTorch archive of weights, found a "
                                           "code entry whose stated size cannot be allocated");
    }
    // Every line one of the shapes LibTorch's printer gives a module that
    // holds parameters: a method (def, and so __setstate__), a decorator, a
    // default value (NamedTuple field defaults are evaluated when loaded) or
    // a line continuation is none of them.
    static const std::regex declaration(
        R"(class [A-Za-z_][A-Za-z0-9_]*\([A-Za-z0-9_.]+\):|)"
        R"(  (__parameters__|__buffers__|__annotations__) = \[("[A-Za-z0-9_./]*", )*\]|)"
        R"(  __annotations__\["[A-Za-z0-9_./]*"\] = [A-Za-z0-9_.\[\], ]+|)"
        R"(  [A-Za-z_][A-Za-z0-9_]* : [A-Za-z0-9_.\[\], ]+)");
    for (const auto& [name, text] : code) {
        std::istringstream lines(text);
        std::string line;
        for (int no = 1; std::getline(lines, line); ++no)
            if (!line.empty() && !std::regex_match(line, declaration))
                throw std::invalid_argument(
                    what + ": expected weights only (classes that declare their parameters), "
                           "found code that would run when loaded: " +
                    name + " line " + std::to_string(no) + ": '" + line.substr(0, 80) + "'");
    }
}

void check_archive_tensors(torch::serialize::InputArchive& ar, const std::string& what)
{
    for (const auto& k : ar.keys()) {
        torch::Tensor t;
        torch::serialize::InputArchive sub;
        if (ar.try_read(k, t))
            check_tensor_extent(t, what + ": " + k, false);
        else if (ar.try_read(k, sub))
            check_archive_tensors(sub, what + ": " + k);
    }
}

void check_tensor_extent(const torch::Tensor& t, const std::string& what, bool require_cpu)
{
    if (!t.defined())
        return;
    if (require_cpu && !t.device().is_cpu())
        throw std::invalid_argument(what + ": expected a tensor saved on the CPU, found one on " +
                                    t.device().str() + " (save it with .cpu() first)");
    if (t.layout() != torch::kStrided)
        throw std::invalid_argument(what + ": expected a dense tensor, found another layout");
    const int64_t offset = t.storage_offset();
    if (offset < 0)
        throw std::invalid_argument(what + ": expected a storage offset >= 0, found " +
                                    std::to_string(offset));
    // The last element's index + 1, in elements (in 128 bits: sizes and
    // strides come from the file).
    __int128 extent = static_cast<__int128>(offset) + 1; // (offset INT64_MAX: no wrap)
    bool empty = false;
    for (int64_t d = 0; d < t.dim(); ++d) {
        const int64_t n = t.size(d), st = t.stride(d);
        if (n < 0 || st < 0)
            throw std::invalid_argument(what + ": expected sizes and strides >= 0, found size " +
                                        std::to_string(n) + ", stride " + std::to_string(st) +
                                        " in dimension " + std::to_string(d));
        empty = empty || n == 0;
        if (n > 0)
            extent += static_cast<__int128>(n - 1) * st;
        if (extent > (static_cast<__int128>(1) << 62))
            throw std::invalid_argument(what + ": expected a tensor within its storage, found "
                                               "sizes and strides beyond 2^62 elements");
    }
    if (empty)
        return;
    const __int128 need = extent * static_cast<__int128>(t.element_size());
    const __int128 have = static_cast<__int128>(t.storage().nbytes());
    if (need > have)
        throw std::invalid_argument(
            what + ": expected a tensor within its storage of " +
            std::to_string(static_cast<long long>(have)) + " bytes, found offset, sizes and "
            "strides that reach byte " + std::to_string(static_cast<long long>(need)) +
            " (a damaged or crafted file)");
}

void load_weights_bytes(torch::nn::Module& m, const std::string& bytes,
                        const torch::Device& device, const std::string& what,
                        bool finite_only)
{
    check_archive_code(bytes, what);
    torch::serialize::InputArchive ar;
    try {
        std::istringstream in(bytes);
        ar.load_from(in, device);
    } catch (const c10::Error& e) {
        throw std::invalid_argument(what + ": expected a LibTorch archive of weights, found "
                                           "bytes LibTorch cannot read (" +
                                    std::string(e.what_without_backtrace()).substr(0, 200) +
                                    ")");
    } catch (const std::exception& e) { // (TorchScript's ErrorReport, std::out_of_range, ...)
        throw std::invalid_argument(what + ": expected a LibTorch archive of weights, found "
                                           "one LibTorch could not load (" +
                                    std::string(e.what()).substr(0, 200) + ")");
    }
    std::vector<std::string> problems;
    std::vector<Pending> copies;
    match(m, ar, "", problems, copies);
    if (!problems.empty())
        refuse_misfit(what, problems);
    for (const auto& c : copies) // (before any value of it is read)
        check_tensor_extent(c.src, what + ": " + c.name, false); // (loaded onto `device`)
    // A NaN weight makes every output NaN: a detector that never alarms.
    if (finite_only)
        for (const auto& c : copies)
            if (c.src.is_floating_point() && !torch::isfinite(c.src).all().item<bool>())
                throw std::invalid_argument(what + ": expected finite weights, found NaN/Inf in " +
                                            c.name + " (every output would be NaN)");
    torch::NoGradGuard ng;
    for (auto& c : copies)
        c.dst.copy_(c.src);
}

} // namespace models
} // namespace tfmed
