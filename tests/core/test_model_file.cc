/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model file container (models/model_file.h): sections and their
 * CRC-32s, the names a file may hold, format 1, the common card fields.
 * Files written to a temporary folder.
 */
#include "../support/errors.h"
#include <tfmed/models/model_file.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <sys/stat.h>

namespace models = tfmed::models;
using tfmed_test::message_of;

namespace {

std::string tmp(const std::string& name)
{
    const auto d = std::filesystem::temp_directory_path() / "tfmed_model_file_test";
    std::filesystem::create_directories(d);
    return (d / name).string();
}

} // namespace

TEST(ModelFile, SectionsChecksumsAndCardChecks)
{
    const auto path = tmp("m.tfm");
    models::ModelFile f;
    f.card_json = R"({"model": "tsrnet", "format": 2, "version": "0.1.0.0",
        "signal": {"sample_rate": 500, "channels": 1, "channel_names": ["MLII"], "window": 5000},
        "scoring": {"threshold": 0.3}})";
    f.sections["weights"] = std::string(1000, 'w');
    f.sections["optimizer"] = "opt";
    models::write_model_file(path, f);
    const auto g = models::read_model_file(path);
    EXPECT_EQ(g.card_json, f.card_json);
    EXPECT_EQ(g.sections, f.sections);
    EXPECT_TRUE(models::read_model_file(path, false).sections.empty());
    EXPECT_EQ(models::crc32("123456789"), 0xCBF43926u); // the CRC-32 check value

    // One flipped bit in the weights is refused, naming the section.
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const auto at = bytes.find(std::string(1000, 'w'));
    ASSERT_NE(at, std::string::npos);
    bytes[at + 500] ^= 0x04;
    {
        std::ofstream out(path + ".bad", std::ios::binary);
        out << bytes;
    }
    EXPECT_EQ(message_of<std::runtime_error>([&] { models::read_model_file(path + ".bad"); }),
              path + ".bad: the weights section is damaged (expected CRC-32 " +
                  [&] {
                      char b[16];
                      std::snprintf(b, sizeof b, "%08x", models::crc32(std::string(1000, 'w')));
                      return std::string(b);
                  }() +
                  ", found " + [&] {
                      std::string w(1000, 'w');
                      w[500] ^= 0x04;
                      char b[16];
                      std::snprintf(b, sizeof b, "%08x", models::crc32(w));
                      return std::string(b);
                  }() + ")");
    // ... but the card alone still reads (tfmed info can say what the file is).
    EXPECT_EQ(models::read_model_file(path + ".bad", false).card_json, f.card_json);

    // Format 1 (the first TSRNet release): card | weights | optimizer.
    {
        std::ofstream out(path + ".v1", std::ios::binary);
        out.write("TFMEDMDL\x01\x00\x00\x00", 12);
        for (const std::string s : { f.card_json, std::string("WEIGHTS"), std::string() }) {
            uint64_t n = s.size();
            for (int i = 0; i < 8; ++i)
                out.put(static_cast<char>((n >> (8 * i)) & 0xff));
            out << s;
        }
    }
    // Format 1 has no checksums: refused unless asked for (info, doctor,
    // upgrade), then read with its format stated.
    try {
        (void)models::read_model_file(path + ".v1");
        ADD_FAILURE() << "format 1 read without being asked for";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("format 1 carries no checksums"), std::string::npos)
            << e.what();
    }
    const auto v1 = models::read_model_file(path + ".v1", true, true);
    EXPECT_EQ(v1.format, 1u);
    EXPECT_EQ(v1.card_json, f.card_json);
    EXPECT_EQ(v1.section("weights"), "WEIGHTS");
    EXPECT_FALSE(v1.has("optimizer"));

    // The common card fields, and refusals naming expected and found.
    const auto h = models::card_head(f.card_json);
    EXPECT_EQ(h.model, "tsrnet");
    EXPECT_EQ(h.channels, 1);
    EXPECT_EQ(h.window, 5000);
    EXPECT_TRUE(h.has_threshold);
    models::check_card(path, h, { "tsrnet", 500.0, 1, 5000 });
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { models::check_card(path, h, { "specar", 360.0, 12, 0 }); }),
              path + ": the model does not fit: expected a 'specar' model, found 'tsrnet'; "
                     "expected 12 channel(s), found 1; expected a sample rate of 360 Hz, found "
                     "500 Hz");
    auto newer = h;
    newer.format = 3;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { models::check_card(path, newer, {}); }),
              path + ": the model does not fit: expected card format <= 2, found 3 (written by "
                     "gr-tfmed 0.1.0.0)");
    EXPECT_EQ(message_of<std::runtime_error>([&] { models::read_model_file(tmp("")); }),
              tmp("") + ": expected a model file, found a directory");
    // A card nested 100,000 levels deep (checksums intact) overflowed the
    // stack of `tfmed info` (the printer recurses per level): refused by
    // the one card reader every command goes through; 64 levels are taken.
    auto nested = [&](int depth) {
        return f.card_json.substr(0, f.card_json.size() - 1) + ", \"deep\": " +
               std::string(static_cast<std::size_t>(depth), '[') +
               std::string(static_cast<std::size_t>(depth), ']') + "}";
    };
    EXPECT_EQ(models::card_head(nested(63)).model, "tsrnet"); // the card + 63 arrays: 64
    for (int depth : { 64, 100000 })
        EXPECT_EQ(message_of<std::invalid_argument>([&] { models::card_head(nested(depth)); }),
                  "model card: expected JSON, found: nesting deeper than 64 levels");
}

// The CRC-32 covers a section's bytes, not its name: a name is one of the four
// the library writes, so a flipped bit there is refused, not read as an
// unknown section beside a missing one.
TEST(ModelFile, OnlyKnownSectionNames)
{
    const auto path = tmp("names.tfm");
    models::ModelFile f;
    f.card_json = R"({"model": "tsrnet", "format": 2})";
    for (const char* name : { "weights", "optimizer", "best_weights", "torch_rng" })
        f.sections[name] = name;
    models::write_model_file(path, f);
    EXPECT_EQ(models::read_model_file(path).sections, f.sections);

    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const auto at = bytes.find("best_weights");
    ASSERT_NE(at, std::string::npos);
    bytes[at + 10] ^= 0x01; // best_weights -> best_weighus, its CRC still right
    {
        std::ofstream out(path + ".flip", std::ios::binary);
        out << bytes;
    }
    const auto msg = message_of<std::runtime_error>([&] { models::read_model_file(path + ".flip"); });
    EXPECT_NE(msg.find(": expected weights, optimizer, best_weights or torch_rng, found "
                       "'best_weighus' (a damaged name"),
              std::string::npos)
        << msg;
    models::ModelFile g = f;
    g.sections["extra"] = "x";
    EXPECT_EQ(message_of<std::invalid_argument>([&] { models::write_model_file(path, g); }),
              path + ": expected a section named weights, optimizer, best_weights or torch_rng, "
                     "found 'extra'");
}

// A review of the reader: an empty file, a FIFO, a damaged name length or
// format field, and a file cut anywhere are each refused with what was
// expected where (a damaged name length put up to 64 KiB of the file into
// the message; a FIFO hung; a 0-byte file read as "something else").
TEST(ModelFile, DamagedHeadersNameWhatWasExpected)
{
    const auto path = tmp("hdr.tfm");
    models::ModelFile f;
    f.card_json = R"({"model": "tsrnet", "format": 2})";
    f.sections["weights"] = std::string(64, 'w');
    models::write_model_file(path, f);
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto write = [&](const std::string& name, const std::string& b) {
        std::ofstream(tmp(name), std::ios::binary | std::ios::trunc) << b;
        return tmp(name);
    };
    auto error = [](const std::string& p) {
        return message_of<std::runtime_error>([&] { models::read_model_file(p); });
    };
    EXPECT_EQ(error(write("empty.tfm", "")),
              tmp("empty.tfm") + ": expected a tfmed model file, found an empty file (0 bytes: "
                                 "an interrupted copy?)");
    // Section 0's name length (bytes 16-17): 0xff01 is no name.
    std::string b = bytes;
    b[17] = '\xff';
    EXPECT_EQ(error(write("namelen.tfm", b)),
              tmp("namelen.tfm") + ": section 0: expected a name of 1 to 64 bytes, found a "
                                   "length of 65284 (a damaged file)");
    // The format field (bytes 8-11): 2 with its top byte flipped.
    b = bytes;
    b[11] = '\x01';
    EXPECT_EQ(error(write("format.tfm", b)),
              tmp("format.tfm") + ": expected model file format 1 or 2, found 16777218 (a "
                                  "damaged file)");
    b[11] = '\0';
    b[8] = '\x07';
    EXPECT_EQ(error(write("format7.tfm", b)),
              tmp("format7.tfm") + ": expected model file format 1 or 2, found 7 (written by a "
                                   "newer gr-tfmed?)");
    // Cut inside the weights' size field (card: 2 + 4 + 8 + 4 + card bytes,
    // then 2 + 7 for the weights' name, so its size begins at byte 16 + 18 +
    // card + 9).
    const std::size_t size_at = 16 + 18 + f.card_json.size() + 9;
    EXPECT_EQ(error(write("cut.tfm", bytes.substr(0, size_at + 3))),
              tmp("cut.tfm") + ": truncated model file: expected 8 byte(s) (the weights "
                               "section's size) at byte " + std::to_string(size_at) +
                  ", found 3 (the file ends at " + std::to_string(size_at + 3) + ")");
    // Every cut is refused (the card alone still reads where it is whole).
    for (std::size_t n = 1; n < bytes.size(); ++n) {
        const auto p = write("cutn.tfm", bytes.substr(0, n));
        EXPECT_THROW(models::read_model_file(p), std::runtime_error) << n;
    }
    const auto fifo = tmp("fifo.tfm");
    std::filesystem::remove(fifo);
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(error(fifo), fifo + ": expected a regular model file, found a device, FIFO or "
                                  "socket");
    std::filesystem::remove(fifo);
}
