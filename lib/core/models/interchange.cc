/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/io/atomic.h>
#include <tfmed/models/interchange.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/models/weights.h>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>

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

std::string read_all(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        throw std::runtime_error(path + ": file not found");
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
    throw std::invalid_argument("model card: expected model 'tsrnet' or 'specar', found '" +
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

std::vector<StateEntry> export_state_dict(const std::string& model_path,
                                          const std::string& out_pt,
                                          const std::string& section)
{
    const auto f = read_model_file(model_path, true);
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
                                          const std::string& out)
{
    // The card: from a model file, or a JSON file holding one.
    std::string card;
    {
        const auto head = read_all(card_from);
        card = head.rfind("TFMEDMDL", 0) == 0 ? read_model_file(card_from, false).card_json
                                               : head;
    }
    const auto h = card_head(card);
    if (h.model != kind)
        throw std::invalid_argument(card_from + ": expected a '" + kind + "' card, found '" +
                                    h.model + "'");
    const auto raw = read_all(pt);
    torch::IValue v;
    try {
        v = torch::pickle_load(std::vector<char>(raw.begin(), raw.end()));
    } catch (const c10::Error& e) {
        if (raw.find("OrderedDict") != std::string::npos)
            throw std::invalid_argument(
                pt + ": a Python OrderedDict (what model.state_dict() returns), which "
                     "LibTorch's unpickler cannot read; save a plain dict instead: "
                     "torch.save(dict(model.state_dict()), path)");
        throw std::invalid_argument(pt + ": expected a PyTorch state dict (torch.save), found "
                                         "something torch could not read: " +
                                    e.what_without_backtrace());
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
        sd.emplace_back(e.key().toStringRef(), e.value().toTensor());
    }
    auto m = build_module(card);
    if (auto sp = std::dynamic_pointer_cast<SpecarNetImpl>(m)) {
        SpecarNet net(sp);
        remove_reference_entries(net, sd, pt);
    }
    load_state_dict(*m, sd, pt);
    ModelFile f;
    {
        // Provenance: the card (and its alarm threshold) came from card_from,
        // the weights from pt.
        auto j = nlohmann::json::parse(card);
        j["imported"] = { { "weights_from", pt }, { "card_from", card_from } };
        f.card_json = j.dump(1);
    }
    f.sections["weights"] = weights_bytes(*m);
    write_model_file(out, f);
    return entries_of(state_dict(*m));
}

} // namespace models
} // namespace tfmed
