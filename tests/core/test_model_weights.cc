/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Weights archives (models/weights.h): loading checks every tensor's name,
 * shape and dtype against the module before anything is copied; from
 * elsewhere, code that would run when LibTorch loads an archive, and tensor
 * views that reach past their storage, are refused before anything runs or
 * any value is read.
 */
#include "../support/errors.h"

#include <tfmed/models/weights.h>

#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <limits>
#include <sstream>
#include <string>

namespace models = tfmed::models;
using tfmed_test::message_of;

namespace {

// Two linear layers, 4 -> 16 -> 1.
struct Toy : torch::nn::Module {
    Toy()
    {
        fc1 = register_module("fc1", torch::nn::Linear(4, 16));
        fc2 = register_module("fc2", torch::nn::Linear(16, 1));
    }
    torch::nn::Linear fc1{ nullptr }, fc2{ nullptr };
};

// The archive `bytes` rewritten with `edit` applied to each record's text
// and `rename` to its name.
template <typename Edit>
std::string rewritten(const std::string& bytes, Edit edit,
                      const std::function<std::string(const std::string&)>& rename = nullptr)
{
    std::istringstream in(bytes);
    caffe2::serialize::PyTorchStreamReader reader(&in);
    std::string out;
    {
        caffe2::serialize::PyTorchStreamWriter writer([&](const void* p, size_t n) {
            out.append(static_cast<const char*>(p), n);
            return n;
        });
        for (const auto& name : reader.getAllRecords()) {
            if (name == "version") // (the writer adds its own)
                continue;
            auto [data, n] = reader.getRecord(name);
            const std::string text = edit(name, std::string(static_cast<const char*>(data.get()), n));
            writer.writeRecord(rename ? rename(name) : name, text.data(), text.size());
        }
        writer.writeEndOfFile();
    }
    return out;
}

} // namespace

TEST(Weights, ArchivesThatDeclareOnlyLoad)
{
    torch::nn::Linear a(3, 2), b(3, 2);
    const auto bytes = models::weights_bytes(*a);
    EXPECT_NO_THROW(models::check_archive_code(bytes, "w"));
    // The same records written again load as before (the rewriting is sound).
    const auto same = rewritten(bytes, [](const std::string&, const std::string& t) { return t; });
    models::load_weights_bytes(*b, same, torch::kCPU, "w");
    EXPECT_TRUE(torch::equal(a->weight, b->weight));
}

TEST(Weights, CodeThatWouldRunWhenLoadedIsRefused)
{
    // LibTorch compiles an archive's code/ entries and runs a class's
    // __setstate__ while unpickling; ours only declare. A method in one is
    // refused by name and line, before LibTorch sees the archive.
    torch::nn::Linear a(3, 2);
    const auto bytes = rewritten(models::weights_bytes(*a), [](const std::string& name,
                                                               const std::string& t) {
        return name == "code/__torch__/torch/nn/modules/linear.py" || name == "code/__torch__.py"
                   ? t + "  def forward(self, x: Tensor) -> Tensor:\n    return x\n"
                   : t;
    });
    try {
        models::check_archive_code(bytes, "FILE: the weights section");
        ADD_FAILURE() << "no refusal";
    } catch (const std::invalid_argument& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("FILE: the weights section: expected weights only (classes that declare "
                         "their parameters), found code that would run when loaded: "),
                  std::string::npos)
            << m;
        EXPECT_NE(m.find("code/__torch__.py line 6: '  def forward(self, x: Tensor) -> Tensor:'"),
                  std::string::npos)
            << m;
    }
    torch::nn::Linear b(3, 2);
    EXPECT_THROW(models::load_weights_bytes(*b, bytes, torch::kCPU, "w"), std::invalid_argument);
    // No "def" needed: a field default is evaluated when loaded; a vertical
    // tab is a blank to TorchScript's lexer; and an entry LibTorch's writers
    // never make (zip lookups ignore case: code/X.PY is compiled as X.py).
    for (const std::string& added : { std::string("  x : List[int] = [1]\n"),
                                      std::string("  \v def f(self) -> int:\n") }) {
        const auto b2 = rewritten(models::weights_bytes(*a), [&](const std::string& name,
                                                                 const std::string& t) {
            return name == "code/__torch__.py" ? t + added : t;
        });
        EXPECT_THROW(models::check_archive_code(b2, "w"), std::invalid_argument) << added;
    }
    const auto upper = rewritten(
        models::weights_bytes(*a), [](const std::string&, const std::string& t) { return t; },
        [](const std::string& name) {
            return name == "code/__torch__.py" ? std::string("code/__torch__.PY") : name;
        });
    try {
        models::check_archive_code(upper, "w");
        ADD_FAILURE() << "no refusal";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("found an entry named 'code/__torch__.PY'"),
                  std::string::npos)
            << e.what();
    }
}

TEST(Weights, OptimiserStateIsCheckedToo)
{
    // Adam's moments are updated in place: a crafted view would be a write
    // past its buffer. A real state loads; a method in its code is refused.
    torch::nn::Linear a(3, 2);
    torch::optim::Adam opt(a->parameters(), torch::optim::AdamOptions(1e-3));
    a->forward(torch::ones({ 1, 3 })).sum().backward();
    opt.step();
    const auto bytes = models::archive_bytes(opt);
    torch::optim::Adam again(a->parameters(), torch::optim::AdamOptions(1e-3));
    EXPECT_NO_THROW(models::load_archive_bytes(again, bytes, torch::kCPU, "CKPT: optimizer"));
    const auto bad = rewritten(bytes, [](const std::string& name, const std::string& t) {
        return name.rfind("code/", 0) == 0 && name.size() > 3 &&
                       name.compare(name.size() - 3, 3, ".py") == 0
                   ? t + "  def f(self) -> int:\n    return 1\n"
                   : t;
    });
    try {
        models::load_archive_bytes(again, bad, torch::kCPU, "CKPT: optimizer");
        ADD_FAILURE() << "no refusal";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).rfind("CKPT: optimizer: expected weights only", 0), 0u)
            << e.what();
    }
}

TEST(Weights, ViewsPastTheirStorageAreRefused)
{
    // LibTorch 1.13's unpickler takes offset, sizes and strides from the file
    // as they are: a later read of such a tensor runs past its buffer.
    auto strided = torch::zeros({ 4 });
    EXPECT_NO_THROW(models::check_tensor_extent(strided, "t"));
    EXPECT_NO_THROW(models::check_tensor_extent(torch::zeros({ 6 }).narrow(0, 2, 4), "t"));
    strided.unsafeGetTensorImpl()->set_sizes_and_strides(c10::IntArrayRef{ 4 }, c10::IntArrayRef{ 100 });
    try {
        models::check_tensor_extent(strided, "FILE: w");
        ADD_FAILURE() << "no refusal";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()),
                  "FILE: w: expected a tensor within its storage of 16 bytes, found offset, "
                  "sizes and strides that reach byte 1204 (a damaged or crafted file)");
    }
    auto wrapped = torch::zeros({ 2 }); // (offset + 1 wrapped to a negative extent in 64 bits)
    wrapped.unsafeGetTensorImpl()->set_storage_offset(std::numeric_limits<int64_t>::max());
    EXPECT_THROW(models::check_tensor_extent(wrapped, "t"), std::invalid_argument);
    auto shifted = torch::zeros({ 2, 2 });
    shifted.unsafeGetTensorImpl()->set_storage_offset(1);
    EXPECT_THROW(models::check_tensor_extent(shifted, "t"), std::invalid_argument);
    auto huge = torch::zeros({ 2 });
    huge.unsafeGetTensorImpl()->set_sizes_and_strides(c10::IntArrayRef{ 2 },
                                                      c10::IntArrayRef{ int64_t{ 1 } << 62 });
    EXPECT_THROW(models::check_tensor_extent(huge, "t"), std::invalid_argument);
    // No element, nothing read: any stride passes.
    auto none = torch::zeros({ 0, 3 });
    none.unsafeGetTensorImpl()->set_sizes_and_strides(c10::IntArrayRef{ 0, 3 },
                                                      c10::IntArrayRef{ 1000, 1000 });
    EXPECT_NO_THROW(models::check_tensor_extent(none, "t"));
}

TEST(Weights, LoadChecksNamesShapesAndDtypes)
{
    Toy a;
    const auto bytes = models::weights_bytes(a);
    // Same architecture: loads, bit for bit.
    Toy b;
    models::load_weights_bytes(b, bytes, torch::kCPU, "w");
    EXPECT_EQ(models::weights_bytes(b), bytes);
    // Another width: refused before anything is copied, naming each tensor.
    struct Wide : torch::nn::Module {
        Wide()
        {
            fc1 = register_module("fc1", torch::nn::Linear(4, 8));
            fc2 = register_module("fc2", torch::nn::Linear(8, 1));
        }
        torch::nn::Linear fc1{ nullptr }, fc2{ nullptr };
    } wide;
    const auto before = models::weights_bytes(wide);
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { models::load_weights_bytes(wide, bytes, torch::kCPU, "m.tfm: weights"); }),
              "m.tfm: weights: the weights do not fit the card's architecture (3 "
              "difference(s)): fc1.weight: expected shape [8, 4], found [16, 4]; fc1.bias: "
              "expected shape [8], found [16]; fc2.weight: expected shape [1, 8], found [1, 16]");
    EXPECT_EQ(models::weights_bytes(wide), before);
    // A missing and an unexpected submodule; another dtype.
    struct Other : torch::nn::Module {
        Other()
        {
            fc1 = register_module("fc1", torch::nn::Linear(4, 16));
            head = register_module("head", torch::nn::Linear(16, 1));
        }
        torch::nn::Linear fc1{ nullptr }, head{ nullptr };
    } other;
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { models::load_weights_bytes(other, bytes, torch::kCPU, "w"); }),
              "w: the weights do not fit the card's architecture (2 difference(s)): missing "
              "head (2 tensors); unexpected fc2 (2 tensors)");
    Toy d;
    d.to(torch::kDouble);
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { models::load_weights_bytes(d, bytes, torch::kCPU, "w"); })
                  .substr(0, 96),
              "w: the weights do not fit the card's architecture (4 difference(s)): fc1.weight: "
              "expected Double");
    EXPECT_EQ(message_of<std::invalid_argument>(
                  [&] { models::load_weights_bytes(d, "not an archive", torch::kCPU, "w"); })
                  .substr(0, 70),
              "w: expected a LibTorch archive of weights, found bytes LibTorch cannot");
}
