/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/io/atomic.h>
#include <tfmed/models/model_file.h>

#include "card_json.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace tfmed {
namespace models {

using nlohmann::json;

namespace {

const char kMagic[8] = { 'T', 'F', 'M', 'E', 'D', 'M', 'D', 'L' };
// Cards this library understands (the card's own "format" field).
const int64_t kCardFormat = 2;

std::array<uint32_t, 256> crc_table()
{
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}

void put_le(std::string& out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

} // namespace

uint32_t crc32(const std::string& bytes)
{
    static const auto table = crc_table();
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes)
        c = table[(c ^ b) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

uint64_t fnv1a64(const void* data, std::size_t n, uint64_t h)
{
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

uint64_t fnv1a64(const std::string& bytes) { return fnv1a64(bytes.data(), bytes.size()); }

const std::string& ModelFile::section(const std::string& name) const
{
    static const std::string empty;
    const auto it = sections.find(name);
    return it == sections.end() ? empty : it->second;
}

namespace {

// The sections a model file may hold besides the card. The CRC-32 covers a
// section's bytes, not its name: a flipped bit in `best_weights` or
// `torch_rng` would otherwise read as an unknown section and the real one as
// absent (a resume silently without its generator state).
bool known_section(const std::string& name)
{
    return name == "weights" || name == "optimizer" || name == "best_weights" ||
           name == "torch_rng";
}
const uint64_t kMaxSectionName = 64;
const char* const kKnownSections = "weights, optimizer, best_weights or torch_rng";

} // namespace

void write_model_file(const std::string& path, const ModelFile& file)
{
    if (file.sections.size() > 63)
        throw std::invalid_argument(path + ": expected at most 63 sections besides the card, "
                                           "found " +
                                    std::to_string(file.sections.size()));
    std::vector<std::pair<std::string, const std::string*>> parts;
    parts.emplace_back("card", &file.card_json);
    for (const auto& [name, bytes] : file.sections) {
        if (!known_section(name))
            throw std::invalid_argument(path + ": expected a section named " +
                                        std::string(kKnownSections) + ", found '" + name + "'");
        parts.emplace_back(name, &bytes);
    }
    std::string out(kMagic, 8);
    put_le(out, kModelFileFormat, 4);
    put_le(out, parts.size(), 4);
    for (const auto& [name, bytes] : parts) {
        put_le(out, name.size(), 2);
        out += name;
        put_le(out, bytes->size(), 8);
        put_le(out, crc32(*bytes), 4);
        out += *bytes;
    }
    io::write_atomically(path, out);
}

void check_model_path(const std::string& path)
{
    namespace fs = std::filesystem;
    if (path.empty())
        throw std::runtime_error("expected a model file path, found an empty one");
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (fs::is_directory(st))
        throw std::runtime_error(path + ": expected a model file, found a directory");
    // A FIFO would block the first read; a device is no model file either.
    if (fs::exists(st) && !fs::is_regular_file(st))
        throw std::runtime_error(path + ": expected a regular model file, found a device, "
                                        "FIFO or socket");
    if (!fs::exists(st)) {
        if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
            throw std::runtime_error(path + ": cannot open the model file (" + ec.message() + ")");
        throw std::runtime_error(path + ": model file not found");
    }
}

ModelFile read_model_file(const std::string& path, bool with_payload, bool allow_unchecked)
{
    check_model_path(path);
    errno = 0;
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        const int err = errno != 0 ? errno : EACCES;
        if (err == ENOENT) // removed since the check
            throw std::runtime_error(path + ": model file not found");
        throw std::runtime_error(path + ": cannot open the model file (" + std::strerror(err) +
                                 ")");
    }
    f.seekg(0, std::ios::end);
    const auto end = f.tellg();
    if (end < 0)
        throw std::runtime_error(path + ": expected a regular model file, found something "
                                        "whose size cannot be read");
    const auto total = static_cast<uint64_t>(end);
    if (total == 0)
        throw std::runtime_error(path + ": expected a tfmed model file, found an empty file "
                                        "(0 bytes: an interrupted copy?)");
    f.seekg(0);
    uint64_t pos = 0;
    // "truncated model file: expected 8 bytes (the weights section's size) at
    // byte 8072, found 3 (the file ends at 8075)".
    auto truncated = [&](uint64_t n, const std::string& what) {
        return std::runtime_error(path + ": truncated model file: expected " +
                                  std::to_string(n) + " byte(s) (" + what + ") at byte " +
                                  std::to_string(pos) + ", found " +
                                  std::to_string(total - std::min(total, pos)) +
                                  " (the file ends at " + std::to_string(total) + ")");
    };
    auto read_le = [&](int bytes, const std::string& what) {
        if (static_cast<uint64_t>(bytes) > total - std::min(total, pos))
            throw truncated(static_cast<uint64_t>(bytes), what);
        unsigned char b[8] = {};
        f.read(reinterpret_cast<char*>(b), bytes);
        if (!f)
            throw truncated(static_cast<uint64_t>(bytes), what);
        pos += static_cast<uint64_t>(bytes);
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v |= uint64_t(b[i]) << (8 * i);
        return v;
    };
    auto read_bytes = [&](uint64_t n, const std::string& what, bool keep) {
        if (n > total - std::min(total, pos))
            throw truncated(n, what);
        std::string s;
        if (keep) {
            s.resize(n);
            f.read(&s[0], static_cast<std::streamsize>(n));
            // (The size was checked against the file's: a short read here is
            // the disk's, not a damaged file's CRC, and format 1 has none.)
            if (!f || f.gcount() != static_cast<std::streamsize>(n))
                throw std::runtime_error(path + ": could not read " + what + " (" +
                                         std::to_string(n) + " bytes at offset " +
                                         std::to_string(pos) + "): a read error");
        } else {
            f.seekg(static_cast<std::streamoff>(n), std::ios::cur);
        }
        pos += n;
        return s;
    };
    char magic[8] = {};
    f.read(magic, 8);
    pos = 8;
    if (!f || std::string(magic, 8) != std::string(kMagic, 8))
        throw std::runtime_error(path + ": expected a tfmed model file (magic 'TFMEDMDL'), "
                                        "found something else");
    const auto format = read_le(4, "format");
    ModelFile out;
    if (format == 1 && !allow_unchecked)
        throw std::runtime_error(
            path + ": model file format 1 carries no checksums, so a damaged file cannot be "
                   "told from a good one; check it and re-write it with checksums: "
                   "tfmed upgrade " + path + " -o NEW.tfm");
    if (format == 1) {
        out.format = 1;
        // card | weights | optimizer, each u64 size + bytes, no checksums.
        const char* names[3] = { "card", "weights", "optimizer" };
        for (int k = 0; k < 3; ++k) {
            const auto n = read_le(8, std::string("the ") + names[k] + " section's size");
            auto s = read_bytes(n, std::string("the ") + names[k] + " section",
                                k == 0 || with_payload);
            if (k == 0)
                out.card_json = std::move(s);
            else if (with_payload && (k == 1 || !s.empty()))
                out.sections[names[k]] = std::move(s);
            if (k == 0 && !with_payload)
                break;
        }
        if (with_payload && pos != total)
            throw std::runtime_error(path + ": expected the file to end after its 3 sections, "
                                     "found " + std::to_string(total - std::min(total, pos)) +
                                     " more byte(s) (a damaged or appended file)");
        return out;
    }
    if (format != kModelFileFormat)
        throw std::runtime_error(path + ": expected model file format 1 or 2, found " +
                                 std::to_string(format) +
                                 (format > kModelFileFormat && format <= 255
                                      ? " (written by a newer gr-tfmed?)"
                                      : " (a damaged file)"));
    const auto count = read_le(4, "section count");
    if (count < 1 || count > 64)
        throw std::runtime_error(path + ": expected 1 to 64 sections, found " +
                                 std::to_string(count));
    for (uint64_t k = 0; k < count; ++k) {
        const std::string nth = "section " + std::to_string(k);
        const auto name_len = read_le(2, nth + "'s name length");
        // Known names are a few letters: a damaged length would put up to 64 KiB
        // of the file into the message below.
        if (name_len < 1 || name_len > kMaxSectionName)
            throw std::runtime_error(path + ": " + nth + ": expected a name of 1 to " +
                                     std::to_string(kMaxSectionName) +
                                     " bytes, found a length of " + std::to_string(name_len) +
                                     " (a damaged file)");
        const std::string raw_name = read_bytes(name_len, nth + "'s name", true);
        bool plain = !raw_name.empty();
        for (unsigned char ch : raw_name)
            plain = plain && (std::isalnum(ch) || ch == '_');
        // As people read it: a damaged name's other bytes as \xNN.
        std::string name;
        for (unsigned char ch : raw_name) {
            if (ch >= 0x20 && ch < 0x7f) {
                name += static_cast<char>(ch);
            } else {
                char e[8];
                std::snprintf(e, sizeof e, "\\x%02x", ch);
                name += e;
            }
        }
        const auto n = read_le(8, "the " + name + " section's size");
        const auto crc = static_cast<uint32_t>(read_le(4, "the " + name + " section's CRC"));
        const bool keep = k == 0 || with_payload;
        auto s = read_bytes(n, "the " + name + " section", keep);
        if (!plain)
            throw std::runtime_error(path + ": section " + std::to_string(k) + " has a damaged "
                                     "name: expected letters, digits and '_', found '" + name +
                                     "'");
        if (k > 0 && (raw_name == "card" || out.sections.count(raw_name)))
            throw std::runtime_error(path + ": the " + name + " section appears twice");
        if (k > 0 && !known_section(raw_name))
            throw std::runtime_error(path + ": section " + std::to_string(k) + ": expected " +
                                     kKnownSections + ", found '" + name +
                                     "' (a damaged name, or a file of a later gr-tfmed)");
        if (k == 0 && name != "card")
            throw std::runtime_error(path + ": expected the card section first, found '" +
                                     name + "'");
        if (keep && crc32(s) != crc) {
            char b[96];
            std::snprintf(b, sizeof b, "expected CRC-32 %08x, found %08x", crc, crc32(s));
            throw std::runtime_error(path + ": the " + name +
                                     " section is damaged (" + b + ")");
        }
        if (k == 0) {
            out.card_json = std::move(s);
            if (!with_payload)
                break;
        } else {
            out.sections[raw_name] = std::move(s);
        }
    }
    if (with_payload && pos != total)
        throw std::runtime_error(path + ": expected the file to end after its " +
                                 std::to_string(count) + " section(s), found " +
                                 std::to_string(total - std::min(total, pos)) +
                                 " more byte(s) (a damaged or appended file)");
    return out;
}

CardHead card_head(const std::string& card_json)
{
    json j;
    try {
        j = card_json::parse_bounded(card_json);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("model card: expected JSON, found: ") +
                                    e.what());
    }
    if (!j.is_object() || !j.contains("model") || !j["model"].is_string())
        throw std::invalid_argument("model card: expected a 'model' field naming the model "
                                    "kind, found none");
    CardHead h;
    try {
        using card_json::get_opt;
        h.model = j["model"].get<std::string>();
        get_opt(j, "format", h.format);
        get_opt(j, "version", h.version);
        const auto s = j.value("signal", json::object());
        get_opt(s, "sample_rate", h.sample_rate);
        get_opt(s, "window", h.window);
        if (s.contains("channel_names"))
            h.channel_names = s["channel_names"].get<std::vector<std::string>>();
        else if (s.contains("leads") && s["leads"].is_array())
            h.channel_names = s["leads"].get<std::vector<std::string>>();
        if (s.contains("channels"))
            get_opt(s, "channels", h.channels);
        else if (j.contains("architecture") && j["architecture"].contains("leads"))
            get_opt(j["architecture"], "leads", h.channels);
        else
            h.channels = static_cast<int64_t>(h.channel_names.size());
        const auto sc = j.value("scoring", json::object());
        h.has_threshold = sc.contains("threshold") && sc["threshold"].is_number();
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(std::string("model card: a common field has the wrong "
                                                "type: ") +
                                    e.what());
    }
    auto fail = [](const std::string& m) { throw std::invalid_argument("model card: " + m); };
    if (h.format < 1)
        fail("expected card format >= 1, found " + std::to_string(h.format));
    if (h.channels < 1 || h.channels > kMaxChannels)
        fail("expected 1 to " + std::to_string(kMaxChannels) + " channels, found " +
             std::to_string(h.channels));
    if (h.window < 0 || h.window > kMaxWindowSamples)
        fail("expected a window of at most " + std::to_string(kMaxWindowSamples) +
             " samples, found " + std::to_string(h.window));
    if (!(h.sample_rate >= 0.0 && h.sample_rate <= kMaxSampleRate)) {
        std::ostringstream m;
        m << "expected a sample rate of 0 (not stated) to " << kMaxSampleRate << " Hz, found "
          << h.sample_rate;
        fail(m.str());
    }
    if (!h.channel_names.empty() && static_cast<int64_t>(h.channel_names.size()) != h.channels)
        fail("expected " + std::to_string(h.channels) + " channel names, found " +
             std::to_string(h.channel_names.size()));
    return h;
}

void check_card(const std::string& path, const CardHead& h, const CardRequirements& need)
{
    std::vector<std::string> bad;
    auto num = [](double v) {
        std::ostringstream s;
        s << v;
        return s.str();
    };
    if (h.format > kCardFormat)
        bad.push_back("expected card format <= " + std::to_string(kCardFormat) + ", found " +
                      std::to_string(h.format) + " (written by gr-tfmed " + h.version + ")");
    if (!need.model.empty() && h.model != need.model)
        bad.push_back("expected a '" + need.model + "' model, found '" + h.model + "'");
    if (need.channels > 0 && h.channels != need.channels)
        bad.push_back("expected " + std::to_string(need.channels) + " channel(s), found " +
                      std::to_string(h.channels));
    if (need.sample_rate > 0 &&
        !(std::abs(h.sample_rate - need.sample_rate) <= 1e-6 * need.sample_rate))
        bad.push_back("expected a sample rate of " + num(need.sample_rate) + " Hz, found " +
                      num(h.sample_rate) + " Hz");
    if (need.window > 0 && h.window != need.window)
        bad.push_back("expected windows of " + std::to_string(need.window) +
                      " samples, found " + std::to_string(h.window));
    if (bad.empty())
        return;
    std::string msg = path + ": the model does not fit: ";
    for (std::size_t i = 0; i < bad.size(); ++i)
        msg += (i ? "; " : "") + bad[i];
    throw std::invalid_argument(msg);
}

} // namespace models
} // namespace tfmed
