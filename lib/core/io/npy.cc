/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "text.h"
#include <tfmed/io/table.h>


#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>
#include <system_error>

/*
 * .npy, torch-free, following numpy/lib/format.py (NEP 1): magic, version, a
 * little-endian header length, a Python dict literal, then the raw data.
 * (The CSV reader, declared in the same header: csv.cc.)
 */

namespace tfmed {
namespace io {

namespace {

using text::is_space;
using text::open_binary;
using text::quote;
using text::trim;

/* ------------------------------------------------------------------------ */
/* .npy                                                                     */
/* ------------------------------------------------------------------------ */

struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    std::vector<int64_t> shape;
};

/*
 * The header is a Python literal written by repr(): {'descr': '<f4',
 * 'fortran_order': False, 'shape': (400, 3600), }. This parses exactly that
 * subset (strings, True/False, tuples of integers, with Python 2's "3L"), and
 * reports a list for 'descr' (a structured dtype) as unsupported.
 */
class NpyHeaderParser
{
public:
    NpyHeaderParser(std::string_view s, const std::string& path) : s_(s), path_(path) {}

    NpyHeader parse()
    {
        NpyHeader h;
        bool have_descr = false, have_order = false, have_shape = false;
        expect('{');
        while (true) {
            skip();
            if (peek() == '}')
                break;
            const std::string key = string_literal();
            expect(':');
            skip();
            if (key == "descr") {
                if (peek() == '[')
                    throw ReadError(path_, "descr", "a simple dtype such as '<f4'",
                                    "a structured dtype (a list of fields)");
                h.descr = string_literal();
                have_descr = true;
            } else if (key == "fortran_order") {
                h.fortran_order = boolean();
                have_order = true;
            } else if (key == "shape") {
                h.shape = int_tuple();
                have_shape = true;
            } else {
                skip_value(); // numpy writes no other keys; tolerate them
            }
            skip();
            if (peek() == ',') {
                ++i_;
                continue;
            }
            skip();
            if (peek() != '}')
                fail("',' or '}'");
        }
        if (!have_descr || !have_order || !have_shape)
            throw ReadError(path_, "header",
                            "the keys 'descr', 'fortran_order' and 'shape'",
                            std::string("no '") +
                                (!have_descr   ? "descr"
                                 : !have_order ? "fortran_order"
                                               : "shape") +
                                "'");
        return h;
    }

private:
    [[noreturn]] void fail(const std::string& what)
    {
        throw ReadError(path_, "header (at character " + std::to_string(i_) + ")", what,
                        i_ < s_.size() ? quote(trim(s_.substr(i_))) : "end of header");
    }
    void skip()
    {
        while (i_ < s_.size() && is_space(s_[i_]))
            ++i_;
    }
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void expect(char c)
    {
        skip();
        if (peek() != c)
            fail(std::string("'") + c + "'");
        ++i_;
    }
    std::string string_literal()
    {
        skip();
        const char q = peek();
        if (q != '\'' && q != '"')
            fail("a quoted string");
        ++i_;
        std::string out;
        while (i_ < s_.size() && s_[i_] != q) {
            if (s_[i_] == '\\' && i_ + 1 < s_.size())
                ++i_;
            out += s_[i_++];
        }
        if (i_ >= s_.size())
            fail("a closing quote");
        ++i_;
        return out;
    }
    bool boolean()
    {
        skip();
        if (s_.substr(i_, 4) == "True") {
            i_ += 4;
            return true;
        }
        if (s_.substr(i_, 5) == "False") {
            i_ += 5;
            return false;
        }
        fail("True or False");
    }
    std::vector<int64_t> int_tuple()
    {
        std::vector<int64_t> out;
        expect('(');
        while (true) {
            skip();
            if (peek() == ')') {
                ++i_;
                return out;
            }
            int64_t v = 0;
            const char* b = s_.data() + i_;
            const char* e = s_.data() + s_.size();
            const auto r = std::from_chars(b, e, v);
            if (r.ec != std::errc() || r.ptr == b || v < 0)
                fail("a non-negative integer dimension");
            i_ += static_cast<size_t>(r.ptr - b);
            if (peek() == 'L' || peek() == 'l') // Python 2 long
                ++i_;
            out.push_back(v);
            skip();
            if (peek() == ',')
                ++i_;
            else if (peek() != ')')
                fail("',' or ')'");
        }
    }
    /* Skip a value of an unknown key: anything up to the next ',' or '}' at
     * bracket depth 0, honouring quotes. */
    void skip_value()
    {
        int depth = 0;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (c == '\'' || c == '"') {
                string_literal();
                continue;
            }
            if (c == '(' || c == '[' || c == '{')
                ++depth;
            else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0)
                    return;
                --depth;
            } else if (c == ',' && depth == 0)
                return;
            ++i_;
        }
    }

    std::string_view s_;
    const std::string& path_;
    size_t i_ = 0;
};

std::string shape_text(const std::vector<int64_t>& shape)
{
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

/* One little-endian element of `Size` bytes, assembled byte by byte so that
 * the result does not depend on the host's byte order or alignment. */
template <size_t Size>
uint64_t load_le(const unsigned char* p)
{
    uint64_t v = 0;
    for (size_t k = 0; k < Size; ++k)
        v |= static_cast<uint64_t>(p[k]) << (8 * k);
    return v;
}

float half_to_float(uint16_t h)
{
    const int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0)
        v = std::ldexp(static_cast<float>(man), -24); // subnormal
    else if (exp == 31)
        v = man ? std::numeric_limits<float>::quiet_NaN()
                : std::numeric_limits<float>::infinity();
    else
        v = std::ldexp(static_cast<float>(man | 0x400), exp - 25);
    return sign ? -v : v;
}

enum class Kind { f, i, u, b };

template <Kind K, size_t Size>
float convert_one(const unsigned char* p)
{
    const uint64_t v = load_le<Size>(p);
    if constexpr (K == Kind::f && Size == 2) {
        return half_to_float(static_cast<uint16_t>(v));
    } else if constexpr (K == Kind::f && Size == 4) {
        const auto u = static_cast<uint32_t>(v);
        float x;
        std::memcpy(&x, &u, 4);
        return x;
    } else if constexpr (K == Kind::f && Size == 8) {
        double x;
        std::memcpy(&x, &v, 8);
        return text::saturate_float(x);
    } else if constexpr (K == Kind::i) {
        // Sign-extend from Size bytes through the fixed-width type.
        if constexpr (Size == 1)
            return static_cast<float>(static_cast<int8_t>(v));
        else if constexpr (Size == 2)
            return static_cast<float>(static_cast<int16_t>(v));
        else if constexpr (Size == 4)
            return static_cast<float>(static_cast<int32_t>(v));
        else
            return static_cast<float>(static_cast<int64_t>(v));
    } else if constexpr (K == Kind::u) {
        return static_cast<float>(v);
    } else {
        return v ? 1.0f : 0.0f;
    }
}

template <Kind K, size_t Size>
void convert(const unsigned char* p, size_t n, float* out)
{
    for (size_t j = 0; j < n; ++j)
        out[j] = convert_one<K, Size>(p + j * Size);
}

using Converter = void (*)(const unsigned char*, size_t, float*);

/* The converter for a dtype's kind and size, or nullptr when unsupported. */
Converter converter_for(char kind, int size)
{
    switch (kind) {
    case 'f':
        return size == 2   ? convert<Kind::f, 2>
               : size == 4 ? convert<Kind::f, 4>
               : size == 8 ? convert<Kind::f, 8>
                           : nullptr;
    case 'i':
        return size == 1   ? convert<Kind::i, 1>
               : size == 2 ? convert<Kind::i, 2>
               : size == 4 ? convert<Kind::i, 4>
               : size == 8 ? convert<Kind::i, 8>
                           : nullptr;
    case 'u':
        return size == 1   ? convert<Kind::u, 1>
               : size == 2 ? convert<Kind::u, 2>
               : size == 4 ? convert<Kind::u, 4>
               : size == 8 ? convert<Kind::u, 8>
                           : nullptr;
    case 'b':
        return size == 1 ? convert<Kind::b, 1> : nullptr;
    default:
        return nullptr;
    }
}


} // namespace

NpyArray read_npy(const std::string& path)
{
    std::ifstream f = open_binary(path, ".npy file");
    f.seekg(0, std::ios::end);
    const std::streamoff end = f.tellg();
    f.seekg(0, std::ios::beg);
    if (end < 0 || !f)
        throw ReadError(path, "cannot determine the file size");
    const uint64_t file_size = static_cast<uint64_t>(end);

    // Magic (6 bytes), version (2), header length (2 for 1.0, 4 for 2.0/3.0).
    unsigned char pre[12] = {};
    const size_t n_pre = static_cast<size_t>(std::min<uint64_t>(file_size, sizeof pre));
    f.read(reinterpret_cast<char*>(pre), static_cast<std::streamsize>(n_pre));
    if (n_pre >= 6 && n_pre < 10 && std::memcmp(pre, "\x93NUMPY", 6) == 0)
        throw ReadError(path, "preamble",
                        "at least 10 bytes (magic, version, header length)",
                        "a file of " + std::to_string(file_size) + " bytes");
    if (n_pre < 10 || std::memcmp(pre, "\x93NUMPY", 6) != 0)
        throw ReadError(
            path, "magic", "'\\x93NUMPY' (a .npy file)",
            n_pre < 6 ? "a file of " + std::to_string(file_size) + " bytes"
                      : quote(std::string_view(reinterpret_cast<const char*>(pre), 6)));
    const int major = pre[6], minor = pre[7];
    uint64_t header_start, header_len;
    if (major == 1) {
        header_start = 10;
        header_len = load_le<2>(pre + 8);
    } else if (major == 2 || major == 3) { // 3.0 only allows a UTF-8 header
        if (n_pre < 12)
            throw ReadError(path, "header length", "4 bytes",
                            std::to_string(n_pre - 8) + " bytes");
        header_start = 12;
        header_len = load_le<4>(pre + 8);
    } else {
        throw ReadError(path, "format version", "1.0, 2.0 or 3.0",
                        std::to_string(major) + "." + std::to_string(minor));
    }
    if (header_start + header_len > file_size)
        throw ReadError(path, "header", std::to_string(header_len) + " bytes",
                        std::to_string(file_size - header_start) +
                            " bytes left in the file");
    // Bounded by the file size just checked, so a lying length cannot make
    // this allocation larger than the file.
    std::string header_text(static_cast<size_t>(header_len), '\0');
    f.seekg(static_cast<std::streamoff>(header_start));
    f.read(&header_text[0], static_cast<std::streamsize>(header_len));
    if (!f)
        throw ReadError(path, "read error in the header");
    const NpyHeader h = NpyHeaderParser(header_text, path).parse();

    // dtype: byte order, kind, item size ("<f4").
    const std::string& d = h.descr;
    int item = 0;
    const char* const d_end = d.data() + d.size();
    const bool well_formed = d.size() >= 3 &&
                             std::from_chars(d.data() + 2, d_end, item).ptr == d_end &&
                             item > 0;
    const Converter conv = well_formed ? converter_for(d[1], item) : nullptr;
    if (!conv)
        throw ReadError(path, "descr",
                        "one of <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1",
                        quote(d));
    // Byte order only matters for items wider than one byte.
    if (item > 1 && d[0] != '<') {
        const std::string why = d[0] == '>'   ? " (big-endian)"
                                : d[0] == '=' ? " (native order, unknown to a reader)"
                                              : "";
        throw ReadError(path, "descr", "a little-endian dtype ('<')", quote(d) + why);
    }
    if (item == 1 && d[0] != '|' && d[0] != '<' && d[0] != '>' && d[0] != '=')
        throw ReadError(path, "descr", "a byte-order mark '|', '<', '>' or '='",
                        quote(d));

    // Fortran order only differs from C order when two or more dimensions
    // exceed 1 (for a vector both layouts are the same bytes).
    const auto wide =
        std::count_if(h.shape.begin(), h.shape.end(), [](int64_t n) { return n > 1; });
    if (h.fortran_order && wide > 1)
        throw ReadError(path, "fortran_order",
                        "False (C order; Fortran-order arrays are not supported)",
                        "True");

    // Every dimension counts, a zero one too: (0, 10^18) holds no value but
    // its shape is no array a reader of it can allocate rows of.
    uint64_t count = 1, extent = 1;
    for (const int64_t n : h.shape) {
        const uint64_t un = static_cast<uint64_t>(n);
        if (un != 0 && extent > std::numeric_limits<uint64_t>::max() / un / 8)
            throw ReadError(path, "shape", "a size that fits in 64 bits",
                            shape_text(h.shape));
        extent *= un != 0 ? un : 1;
        count *= un;
    }
    const uint64_t data_start = header_start + header_len;
    const uint64_t expected = count * static_cast<uint64_t>(item);
    const uint64_t found = file_size - data_start;
    if (found != expected)
        throw ReadError(path, "data",
                        std::to_string(expected) + " bytes (shape " +
                            shape_text(h.shape) + " of " + d + ")",
                        std::to_string(found) + " bytes");

    NpyArray a;
    a.shape = h.shape;
    a.dtype = d;
    a.data.resize(static_cast<size_t>(count)); // <= file size elements: bounded
    // Convert in chunks so that the raw bytes never need a second full copy.
    constexpr size_t chunk_items = 1 << 16;
    std::vector<unsigned char> raw(chunk_items * static_cast<size_t>(item));
    f.seekg(static_cast<std::streamoff>(data_start));
    for (size_t done = 0; done < count;) {
        const size_t n = std::min<size_t>(chunk_items, static_cast<size_t>(count) - done);
        f.read(reinterpret_cast<char*>(raw.data()),
               static_cast<std::streamsize>(n * static_cast<size_t>(item)));
        if (!f)
            throw ReadError(path, "data", std::to_string(expected) + " bytes",
                            "a read error after " + std::to_string(done * item) +
                                " bytes");
        conv(raw.data(), n, a.data.data() + done);
        done += n;
    }
    return a;
}

} // namespace io
} // namespace tfmed
