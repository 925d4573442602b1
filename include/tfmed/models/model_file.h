/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef INCLUDED_TFMED_MODELS_MODEL_FILE_H
#define INCLUDED_TFMED_MODELS_MODEL_FILE_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

/*!
 * \file
 * \brief The one model file format of every gr-tfmed model (torch-free: the
 * card and sections can be read without LibTorch).
 *
 * \details
 * A model file (`.tfm`, format 2) is
 *
 *     "TFMEDMDL" | u32 format (2) | u32 sections |
 *     per section: u16 name length | name | u64 size | u32 CRC-32 | bytes
 *
 * integers little-endian. The first section is always `card`: a JSON object
 * whose common fields every model kind shares (CardHead). The others hold
 * LibTorch archives: `weights`, and in checkpoints `optimizer` (optimiser
 * state), `best_weights` (the weights of the best epoch so far) and
 * `torch_rng` (the generator inside an epoch); no other name is read or
 * written, so a damaged name (the CRC covers the bytes only) is refused.
 * Every section's CRC-32 is checked when it is read. Format 1 files (card, weights,
 * optimiser, no checksums; the first TSRNet release) cannot be checked, so
 * they are refused unless the caller asks for them (`tfmed info`, `tfmed
 * doctor`, and `tfmed upgrade`, which re-writes one as format 2 after
 * checking its card against its weights).
 */

namespace tfmed {
namespace models {

/*! \brief The model file format this library writes. */
constexpr uint32_t kModelFileFormat = 2;

/*!
 * \brief Limits on the sizes a card may state. A card is read before
 * anything is sized by it: a damaged or hostile card must not make a block
 * reserve gigabytes. Far beyond any real recording (a 12-hour window at
 * 1 kHz is 43 M samples), far below what exhausts memory.
 */
constexpr int64_t kMaxChannels = 1024;
constexpr int64_t kMaxWindowSamples = int64_t{ 1 } << 26; //!< 67 M samples
constexpr double kMaxSampleRate = 1e7;                     //!< Hz

/*! \brief A model file's sections, as bytes. */
struct ModelFile {
    std::string card_json;                       //!< the `card` section
    std::map<std::string, std::string> sections; //!< the others, by name
    uint32_t format = kModelFileFormat;          //!< 1: no checksums (legacy)
    /*! A section's bytes, or "" when absent. */
    const std::string& section(const std::string& name) const;
    bool has(const std::string& name) const { return sections.count(name) > 0; }
};

/*! \brief Write a model file atomically (temporary file beside it, then rename). */
void write_model_file(const std::string& path, const ModelFile& file);

/*!
 * \brief What `path` names can be a model file: a path is given, it is not a
 * directory, a device, a FIFO or a socket, and it exists.
 * \throws std::runtime_error naming the path and what it is instead
 */
void check_model_path(const std::string& path);

/*!
 * \brief Read a model file.
 * \param with_payload false: the card only (the other sections are skipped)
 * \param allow_unchecked true: also read a format-1 file, which has no
 *        checksums (ModelFile::format says so); false: refuse it
 * \throws std::runtime_error naming the file and what was expected (magic,
 *         format, sizes, checksums)
 */
ModelFile read_model_file(const std::string& path, bool with_payload = true,
                          bool allow_unchecked = false);

/*! \brief CRC-32 (IEEE 802.3, the one zlib and PNG use). */
uint32_t crc32(const std::string& bytes);

/*! \brief 64-bit FNV-1a of some bytes (the weight digest `tfmed info` prints). */
uint64_t fnv1a64(const std::string& bytes);
/*! \brief FNV-1a continued from `h` (the offset basis by default). */
uint64_t fnv1a64(const void* data, std::size_t n, uint64_t h = 1469598103934665603ULL);

/*!
 * \brief What every model card says, whatever the model: the fields a block
 * or command checks before it uses a model.
 */
struct CardHead {
    std::string model;         //!< "tsrnet", "specar", "trls", ...
    int64_t format = 1;        //!< card format of the file
    std::string version;       //!< library version that wrote it
    double sample_rate = 0.0;  //!< Hz of the model's input
    int64_t channels = 0;      //!< channels (leads) per sample
    std::vector<std::string> channel_names;
    int64_t window = 0;        //!< samples per window
    bool has_threshold = false; //!< a calibrated alarm threshold is in the card
};

/*!
 * \brief The common fields of a card, range-checked (channels, window and
 * rate within the limits above; channel names one per channel).
 * \throws std::invalid_argument naming the field, expected and found
 */
CardHead card_head(const std::string& card_json);

/*!
 * \brief What a caller needs of a model; unset fields (empty / 0) are not
 * checked.
 */
struct CardRequirements {
    std::string model;
    double sample_rate = 0.0;
    int64_t channels = 0;
    int64_t window = 0;
};

/*!
 * \brief Refuse a card that does not fit: wrong model kind, a card format
 * newer than this library reads, other channels, rate or window.
 * \throws std::invalid_argument "PATH: expected ..., found ..." (one line per
 *         difference)
 */
void check_card(const std::string& path, const CardHead& head, const CardRequirements& need);

} // namespace models
} // namespace tfmed

#endif
