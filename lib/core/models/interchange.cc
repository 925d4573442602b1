/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/io/atomic.h>
#include <tfmed/models/interchange.h>
#include <tfmed/models/trls_card.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/models/weights.h>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include <filesystem>
#include <initializer_list>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>

namespace tfmed {
namespace models {

namespace {

std::vector<StateEntry> entries_of(const std::vector<std::pair<std::string, torch::Tensor>>& sd)
{
    std::vector<StateEntry> out;
    for (const auto& [k, t] : sd)
        out.push_back({ k, t.sizes().vec(), t.to(torch::kDouble).sum().item<double>() });
    return out;
}

// A whole input file: a regular file of at most 4 GiB (a device or a
// runaway file is refused, not read until memory runs out).
std::string read_all(const std::string& path)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw std::runtime_error(path + ": expected a regular file, found " +
                                 (fs::exists(path, ec) ? "something else (a directory or device)"
                                                       : "none"));
    const auto size = fs::file_size(path, ec);
    if (ec || size > (uint64_t{ 1 } << 32))
        throw std::runtime_error(path + ": expected a file of at most 4 GiB, found " +
                                 (ec ? "one whose size cannot be read" : std::to_string(size) + " bytes"));
    std::ifstream f(path, std::ios::binary);
    if (!f)
        throw std::runtime_error(path + ": cannot open it");
    return std::string(std::istreambuf_iterator<char>(f), {});
}

} // namespace

std::shared_ptr<torch::nn::Module> build_module(const std::string& card_json)
{
    const auto head = card_head(card_json);
    if (head.model == "tsrnet")
        return Tsrnet(options_of(TsrnetCard::from_json(card_json))).ptr();
    if (head.model == "specar")
        return SpecarNet(SpecarCard::from_json(card_json).arch).ptr();
    if (head.model == "trls") {
        // A pre-training checkpoint (its card carries the loop's state) holds
        // the whole BYOL network; a model file the encoder and its head.
        const auto arch = TrlsCard::from_json(card_json).arch;
        const auto j = nlohmann::json::parse(card_json);
        if (j.contains("training") && j["training"].contains("state"))
            return Trls(arch).ptr();
        return TrlsClassifier(arch).ptr();
    }
    throw std::invalid_argument("model card: expected model 'tsrnet', 'specar' or 'trls', found '" +
                                head.model + "' (not built by this version)");
}

std::vector<std::pair<std::string, torch::Tensor>> state_dict(torch::nn::Module& m)
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& p : m.named_parameters(true))
        out.emplace_back(p.key(), p.value().detach());
    for (const auto& b : m.named_buffers(true))
        out.emplace_back(b.key(), b.value().detach());
    return out;
}

void load_state_dict(torch::nn::Module& m,
                     const std::vector<std::pair<std::string, torch::Tensor>>& sd,
                     const std::string& what)
{
    std::map<std::string, torch::Tensor> given(sd.begin(), sd.end());
    std::vector<std::string> problems;
    const auto own = state_dict(m);
    for (const auto& [k, t] : own) {
        const auto it = given.find(k);
        if (it == given.end()) {
            problems.push_back("missing " + k + " " + shape_str(t.sizes()));
            continue;
        }
        if (it->second.sizes() != t.sizes())
            problems.push_back(k + ": expected shape " + shape_str(t.sizes()) + ", found " +
                               shape_str(it->second.sizes()));
        else if (it->second.is_floating_point() != t.is_floating_point())
            problems.push_back(k + ": expected " + std::string(c10::toString(t.scalar_type())) +
                               ", found " + c10::toString(it->second.scalar_type()));
        given.erase(it);
    }
    for (const auto& [k, t] : given)
        problems.push_back("unexpected " + k + " " + shape_str(t.sizes()));
    if (!problems.empty())
        refuse_misfit(what, problems);
    torch::NoGradGuard ng;
    std::map<std::string, torch::Tensor> src(sd.begin(), sd.end());
    for (auto& [k, t] : own)
        t.copy_(src.at(k).to(t.dtype()));
}

namespace {
// True when `weights` (a model file's section, read with `card`) hold the
// values of m's parameters and buffers, every one bit for bit. The archive's
// bytes are not compared: two writes of equal tensors may differ (zip entry
// names, alignment of another LibTorch version).
bool same_values(const std::string& card, const std::string& weights, torch::nn::Module& m)
{
    try {
        auto ref = build_module(card);
        load_weights_bytes(*ref, weights, torch::kCPU, "the card's weights");
        const auto a = state_dict(*ref), b = state_dict(m);
        if (a.size() != b.size())
            return false;
        std::map<std::string, torch::Tensor> by_name(b.begin(), b.end());
        for (const auto& [k, t] : a) {
            const auto it = by_name.find(k);
            if (it == by_name.end() || !torch::equal(t, it->second))
                return false;
        }
        return true;
    } catch (const std::exception&) {
        return false; // weights that do not load are not these weights
    }
}
} // namespace

std::vector<StateEntry> export_state_dict(const std::string& model_path,
                                          const std::string& out_pt,
                                          const std::string& section)
{
    io::check_distinct_output(out_pt, { model_path });
    const auto f = read_model_file(model_path, true);
    check_card(model_path, card_head(f.card_json), {});
    if (!f.has(section))
        throw std::invalid_argument(model_path + ": expected a '" + section +
                                    "' section, found none");
    auto m = build_module(f.card_json);
    load_weights_bytes(*m, f.section(section), torch::kCPU,
                       model_path + ": the " + section + " section");
    auto sd = state_dict(*m);
    if (auto sp = std::dynamic_pointer_cast<SpecarNetImpl>(m)) {
        SpecarNet net(sp);
        add_reference_entries(net, sd);
    }
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto& [k, t] : sd)
        dict.insert(k, t.contiguous());
    const auto bytes = torch::pickle_save(dict);
    io::write_atomically(out_pt, std::string(bytes.begin(), bytes.end()));
    return entries_of(sd);
}

std::vector<StateEntry> import_state_dict(const std::string& kind,
                                          const std::string& card_from,
                                          const std::string& pt,
                                          const std::string& out,
                                          bool keep_threshold)
{
    io::check_distinct_output(out, { card_from, pt });
    // The card: from a model file, or a JSON file holding one.
    std::string card, card_weights;
    {
        const auto head = read_all(card_from);
        if (head.rfind("TFMEDMDL", 0) == 0) {
            const auto cf = read_model_file(card_from, true);
            card = cf.card_json;
            if (cf.has("weights"))
                card_weights = cf.section("weights");
        } else {
            card = head;
        }
    }
    CardHead h;
    try {
        h = card_head(card);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(card_from + ": " + e.what());
    }
    if (h.model != kind)
        throw std::invalid_argument(card_from + ": expected a '" + kind + "' card, found '" +
                                    h.model + "'");
    // A card no reader of this version accepts (a later format, a field out
    // of range) is refused here, not written into a file every reader refuses.
    check_card(card_from, h, { kind });
    const auto raw = read_all(pt);
    if (raw.rfind("TFMEDMDL", 0) == 0)
        throw std::invalid_argument(pt + ": expected a PyTorch state dict (torch.save), found a "
                                         "tfmed model file (`tfmed export` gives its state dict)");
    torch::IValue v;
    try {
        v = torch::pickle_load(std::vector<char>(raw.begin(), raw.end()));
    } catch (const c10::Error& e) {
        if (raw.find("_rebuild_sparse") != std::string::npos)
            throw std::invalid_argument(pt + ": expected dense tensors, found a sparse one "
                                             "(save t.to_dense())");
        if (raw.find("OrderedDict") != std::string::npos)
            throw std::invalid_argument(
                pt + ": a Python OrderedDict (what model.state_dict() returns), which "
                     "LibTorch's unpickler cannot read; save a plain dict instead: "
                     "torch.save(dict(model.state_dict()), path)");
        throw std::invalid_argument(pt + ": expected a PyTorch state dict (torch.save), found "
                                         "something torch could not read: " +
                                    e.what_without_backtrace());
    } catch (const std::exception& e) { // (not only c10::Error: std::out_of_range, ...)
        throw std::invalid_argument(pt + ": expected a PyTorch state dict (torch.save), found "
                                         "something torch could not read: " +
                                    std::string(e.what()).substr(0, 200));
    }
    if (!v.isGenericDict())
        throw std::invalid_argument(pt + ": expected a dict of name -> tensor, found " +
                                    v.tagKind());
    std::vector<std::pair<std::string, torch::Tensor>> sd;
    for (const auto& e : v.toGenericDict()) {
        if (!e.key().isString() || !e.value().isTensor())
            throw std::invalid_argument(pt + ": expected a dict of name -> tensor, found a " +
                                        e.key().tagKind() + " -> " + e.value().tagKind() +
                                        " entry");
        const auto& t = e.value().toTensor();
        const auto& name = e.key().toStringRef();
        if (t.layout() != torch::kStrided)
            throw std::invalid_argument(pt + ": " + name + ": expected a dense tensor, found a " +
                                        "sparse one");
        // (Offset, sizes and strides come from the file unchecked: no value
        // is read before they are; on the CPU, where the values are read.)
        check_tensor_extent(t, pt + ": " + name);
        if (t.is_complex())
            throw std::invalid_argument(pt + ": " + name + ": expected a real tensor, found " +
                                        std::string(c10::toString(t.scalar_type())));
        sd.emplace_back(name, t);
    }
    auto m = build_module(card);
    if (auto sp = std::dynamic_pointer_cast<SpecarNetImpl>(m)) {
        SpecarNet net(sp);
        remove_reference_entries(net, sd, pt);
    }
    // Names and shapes first (a huge unexpected entry is refused before any
    // of its values is converted), then the values as the module holds them:
    // float64 beyond float32's range became Inf in the copy.
    load_state_dict(*m, sd, pt);
    for (const auto& [name, t] : state_dict(*m))
        if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
            throw std::invalid_argument(pt + ": " + name + ": expected finite values " +
                                        "(within float32's range), found NaN/Inf or beyond " +
                                        "(every output would be NaN)");
    ModelFile f;
    f.sections["weights"] = weights_bytes(*m);
    {
        // Provenance: the card came from card_from, the weights from pt. An
        // alarm threshold was calibrated on card_from's weights: it stays only
        // when these are those weights to the byte (an export/import round
        // trip) or the caller says it was calibrated for them; otherwise it is
        // dropped (null: the scorer and tfmed eval then refuse the file until
        // a threshold is given) and the old value kept under "imported".
        auto j = nlohmann::json::parse(card);
        j["imported"] = { { "weights_from", pt }, { "card_from", card_from } };
        const bool same_weights = !card_weights.empty() && same_values(card, card_weights, *m);
        if (!same_weights && !keep_threshold && j.contains("scoring") && j["scoring"].is_object() &&
            j["scoring"].contains("threshold") && !j["scoring"]["threshold"].is_null()) {
            j["imported"]["threshold_dropped"] = j["scoring"]["threshold"];
            j["scoring"]["threshold"] = nullptr;
        }
        f.card_json = j.dump(1);
    }
    write_model_file(out, f);
    return entries_of(state_dict(*m));
}

} // namespace models
} // namespace tfmed
