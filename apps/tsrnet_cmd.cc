/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tsrnet_cmd.h"
#include "common.h"

#include <tfmed/data/datasets.h>
#include <tfmed/dsp/stats.h>
#include <tfmed/dsp/stft_options.h>
#include <tfmed/data/windows.h>
#include <tfmed/io/table.h>
#include <tfmed/io/wfdb.h>
#include <tfmed/models/metrics.h>
#include <tfmed/models/rpeak_check.h>
#include <tfmed/models/tsrnet_pipeline.h>
#ifdef TFMED_HAVE_PLOT
#include <tfmed/plot/figure.h>
#endif

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

namespace tfmed {
namespace apps {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------- data

struct EcgSet {
    torch::Tensor x;                     // (N, L, window) at the model rate
    std::vector<int> label;              // 0 normal, 1 abnormal
    std::vector<std::string> cls;        // class per window ("N", "V", ...)
    std::vector<std::string> ids;        // where each window came from
    std::vector<std::string> lead_names;
    json spec;                           // how to load it again (goes into the card)
};

std::string default_data_dir()
{
    if (const char* d = std::getenv("TFMED_DATA_DIR"))
        return d;
    return "../shared/data";
}

bool ends_with(const std::string& s, const std::string& t)
{
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

// One row (L, n) at `rate` -> (L, window) at prep.sample_rate.
torch::Tensor to_model_rate(const torch::Tensor& row, double rate, const models::TsrnetPrep& p,
                            const std::string& id)
{
    const int64_t L = row.size(0), n = row.size(1);
    torch::Tensor out;
    if (std::abs(rate - p.sample_rate) < 1e-9) {
        out = row;
    } else {
        io::Recording r;
        r.sample_rate = rate;
        r.n_samples = n;
        for (int64_t c = 0; c < L; ++c) {
            r.channel_names.push_back("c" + std::to_string(c));
            r.units.push_back("mV");
        }
        const auto tm = row.transpose(0, 1).contiguous();
        r.samples.assign(tm.data_ptr<float>(), tm.data_ptr<float>() + tm.numel());
        const auto rs = data::resample(r, p.sample_rate);
        out = torch::from_blob(const_cast<float*>(rs.samples.data()), { rs.n_samples, L })
                  .transpose(0, 1)
                  .clone();
    }
    if (out.size(1) < p.window)
        throw std::invalid_argument(id + ": expected at least " + std::to_string(p.window) +
                                    " samples at " + std::to_string(p.sample_rate) +
                                    " Hz, found " + std::to_string(out.size(1)));
    return out.slice(1, 0, p.window).contiguous();
}

EcgSet load_ecg_set(const EcgDataArgs& a, const models::TsrnetPrep& p)
{
    EcgSet s;
    const std::string dir = a.data_dir.empty() ? default_data_dir() : a.data_dir;
    s.spec = { { "source", a.data },
               { "seed", a.seed },
               { "val_fraction", a.val_fraction },
               { "test_fraction", a.test_fraction },
               { "max_windows", a.max_windows } };
    std::vector<torch::Tensor> rows;
    if (a.data == "mitdb_compiled10s") {
        const auto set = data::load_mitdb_compiled(dir);
        for (int64_t i = 0; i < set.size(); ++i) {
            rows.push_back(to_model_rate(set.x[i], 360.0, p, set.ids[i]));
            const auto y = set.y[i].item<int64_t>();
            s.cls.push_back(set.class_names[y]);
            s.label.push_back(y == 0 ? 0 : 1);
            s.ids.push_back(set.ids[i]);
        }
        s.lead_names = { "MLII?" }; // the compilation does not say; first channel, usually MLII
        s.spec["protocol"] = "N segments split train/val/test; every S, V, F, Q segment in test";
    } else if (ends_with(a.data, ".hea")) {
        const std::string rec = a.data.substr(0, a.data.size() - 4);
        auto r = io::read_wfdb(rec);
        std::vector<int> chans;
        if (a.channels.empty()) {
            chans.push_back(0);
        } else {
            for (const auto& name : a.channels) {
                auto it = std::find(r.channel_names.begin(), r.channel_names.end(), name);
                if (it == r.channel_names.end())
                    throw std::invalid_argument(a.data + ": no channel '" + name + "'");
                chans.push_back(static_cast<int>(it - r.channel_names.begin()));
            }
        }
        for (int c : chans)
            s.lead_names.push_back(r.channel_names[c]);
        io::Recording sel = r;
        sel.channel_names = s.lead_names;
        sel.units.assign(chans.size(), "mV");
        sel.samples.resize(r.n_samples * chans.size());
        for (int64_t t = 0; t < r.n_samples; ++t)
            for (std::size_t k = 0; k < chans.size(); ++k)
                sel.samples[t * chans.size() + k] = r.at(t, chans[k]);
        const auto rs = data::resample(sel, p.sample_rate);
        data::WindowOptions wo;
        wo.length = p.window;
        wo.hop = p.window;
        const auto w = data::make_windows(rs, wo);
        for (int64_t i = 0; i < w.x.size(0); ++i) {
            rows.push_back(w.x[i].contiguous());
            s.label.push_back(static_cast<int>(w.label[i].item<int64_t>()));
            s.cls.push_back(s.label.back() ? "abnormal" : "N");
            s.ids.push_back(rec + "@" + std::to_string(w.start[i]));
        }
        s.spec["channels"] = s.lead_names;
        s.spec["protocol"] = "non-overlapping windows; abnormal = a beat other than N inside";
    } else if (ends_with(a.data, ".npy")) {
        if (!(a.rate > 0.0))
            throw std::invalid_argument(a.data + ": a .npy set needs --rate (Hz of its rows)");
        const auto arr = io::read_npy(a.data);
        if (arr.shape.size() != 2 && arr.shape.size() != 3)
            throw std::invalid_argument(a.data + ": expected (N, T) or (N, C, T), found " +
                                        std::to_string(arr.shape.size()) + " dimensions");
        const int64_t N = arr.shape[0], C = arr.shape.size() == 3 ? arr.shape[1] : 1,
                      T = arr.shape.back();
        const auto all = torch::from_blob(const_cast<float*>(arr.data.data()), { N, C, T }).clone();
        std::vector<int> labels(static_cast<std::size_t>(N), 0);
        if (!a.labels.empty()) {
            const auto lab = io::read_npy(a.labels);
            if (lab.size() != N)
                throw std::invalid_argument(a.labels + ": expected " + std::to_string(N) +
                                            " labels, found " + std::to_string(lab.size()));
            for (int64_t i = 0; i < N; ++i)
                labels[i] = lab.data[i] != 0.0f ? 1 : 0;
        }
        for (int64_t i = 0; i < N; ++i) {
            rows.push_back(to_model_rate(all[i], a.rate, p, a.data + "#" + std::to_string(i)));
            s.label.push_back(labels[i]);
            s.cls.push_back(labels[i] ? "abnormal" : "N");
            s.ids.push_back(a.data + "#" + std::to_string(i));
        }
        for (int64_t c = 0; c < C; ++c)
            s.lead_names.push_back("ch" + std::to_string(c));
        s.spec["rate"] = a.rate;
        s.spec["labels"] = a.labels;
    } else if (ends_with(a.data, ".csv")) {
        // One window per row: the numeric columns are its samples, except a
        // column named "label" (0 = normal), which labels it.
        if (!(a.rate > 0.0))
            throw std::invalid_argument(a.data + ": a .csv set needs --rate (Hz of its rows)");
        const auto t = io::read_csv(a.data);
        const int lc = t.column("label");
        std::vector<int> cols;
        for (int c = 0; c < t.cols(); ++c)
            if (c != lc)
                cols.push_back(c);
        if (t.rows == 0 || cols.empty())
            throw std::invalid_argument(a.data + ": expected rows of samples, found " +
                                        std::to_string(t.rows) + " rows of " +
                                        std::to_string(cols.size()) + " sample columns");
        for (int64_t r = 0; r < t.rows; ++r) {
            auto row = torch::empty({ 1, static_cast<int64_t>(cols.size()) });
            for (std::size_t k = 0; k < cols.size(); ++k)
                row[0][static_cast<int64_t>(k)] = static_cast<float>(t.at(r, cols[k]));
            const std::string id = a.data + ":" + std::to_string(r + 2);
            rows.push_back(to_model_rate(row, a.rate, p, id));
            const int y = lc >= 0 && t.at(r, lc) != 0.0 ? 1 : 0;
            s.label.push_back(y);
            s.cls.push_back(y ? "abnormal" : "N");
            s.ids.push_back(id);
        }
        s.lead_names = { "ch0" };
        s.spec["rate"] = a.rate;
    } else {
        throw std::invalid_argument("--data: expected 'mitdb_compiled10s', a WFDB record "
                                    "(.hea), a .npy or a .csv file, found '" +
                                    a.data + "'");
    }
    if (rows.empty())
        throw std::invalid_argument(a.data + ": no windows of " + std::to_string(p.window) +
                                    " samples");
    s.x = torch::stack(rows);
    return s;
}

struct SplitIdx {
    std::vector<int64_t> train, val, test;
};

// Normal windows: seeded permutation, test first, then validation, rest train.
// Abnormal windows: test only. Training never sees an abnormal window, and
// model selection uses the validation normals (never the test split).
SplitIdx split_set(const EcgSet& s, const EcgDataArgs& a)
{
    std::vector<int64_t> normal, abnormal;
    for (std::size_t i = 0; i < s.label.size(); ++i)
        (s.label[i] ? abnormal : normal).push_back(static_cast<int64_t>(i));
    const auto sp = data::split_records(static_cast<int>(normal.size()), a.val_fraction,
                                        a.test_fraction, a.seed);
    SplitIdx out;
    for (int i : sp.train)
        out.train.push_back(normal[i]);
    for (int i : sp.val)
        out.val.push_back(normal[i]);
    for (int i : sp.test)
        out.test.push_back(normal[i]);
    out.test.insert(out.test.end(), abnormal.begin(), abnormal.end());
    if (a.max_windows > 0 && static_cast<int64_t>(out.train.size()) > a.max_windows)
        out.train.resize(static_cast<std::size_t>(a.max_windows));
    return out;
}

EcgDataArgs data_args_from(const json& spec, const std::string& data_dir)
{
    EcgDataArgs a;
    a.data = spec.value("source", std::string("mitdb_compiled10s"));
    a.data_dir = data_dir;
    a.seed = spec.value("seed", uint64_t{ 668 });
    a.val_fraction = spec.value("val_fraction", 0.2);
    a.test_fraction = spec.value("test_fraction", 0.2);
    a.max_windows = spec.value("max_windows", int64_t{ 0 });
    a.rate = spec.value("rate", 0.0);
    a.labels = spec.value("labels", std::string());
    if (spec.contains("channels"))
        a.channels = spec["channels"].get<std::vector<std::string>>();
    return a;
}

void set_threads(int threads)
{
    const int n = threads > 0 ? threads
                              : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    at::set_num_threads(n);
}

std::string fmt(const char* f, double v)
{
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

models::PreparedBatch prepare(const EcgSet& s, const std::vector<int64_t>& idx,
                             const models::TsrnetPrep& p)
{
    return models::prepare_batch(s.x.index_select(0, torch::tensor(idx, torch::kLong)), p);
}

std::vector<double> to_vec(const torch::Tensor& t)
{
    const auto c = t.to(torch::kDouble).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

double card_score_quantile(const models::TsrnetCard& card, const models::Scores& sc,
                           int64_t& used)
{
    const auto v = to_vec(card.score == "peak" ? sc.peak : sc.plain);
    std::vector<double> ok;
    for (double x : v)
        if (std::isfinite(x))
            ok.push_back(x);
    used = static_cast<int64_t>(ok.size());
    return dsp::quantile(ok, card.threshold_quantile);
}

std::string optimizer_bytes(torch::optim::AdamW& opt)
{
    std::ostringstream w;
    torch::serialize::OutputArchive ar;
    opt.save(ar);
    ar.save_to(w);
    return w.str();
}

} // namespace

// ---------------------------------------------------------------- train

int train_tsrnet(const TsrnetTrainArgs& a)
{
    if (a.epochs < 1 || a.batch < 1)
        throw std::invalid_argument("train: expected --epochs >= 1 and --batch >= 1");
    set_threads(a.threads);
    dsp::set_reproducible_fft(true); // the same spectrogram bits in every run (--resume)
    const auto dev = models::parse_device(a.device);
    const std::string ckpt = a.out + ".ckpt";

    models::TsrnetCard card;
    json history = json::array();
    int start_epoch = 0;
    double best_val = INFINITY;
    int best_epoch = -1;
    models::Tsrnet net{ nullptr };
    std::string opt_state;
    EcgDataArgs data_args = a.data;
    if (a.resume) {
        if (!fs::exists(ckpt))
            throw std::runtime_error("--resume: no checkpoint " + ckpt);
        auto l = models::load_tsrnet(ckpt, dev);
        card = l.card;
        net = l.model;
        opt_state = l.optimizer_state;
        const auto tr = json::parse(card.training_json);
        history = tr.at("history");
        start_epoch = tr.at("epochs_done").get<int>();
        best_val = tr.value("best_val_score", INFINITY);
        best_epoch = tr.value("best_epoch", -1);
        const int planned = tr.at("epochs").get<int>();
        if (planned != a.epochs)
            throw std::invalid_argument("--resume: the checkpoint was planned for " +
                                        std::to_string(planned) + " epochs, found --epochs " +
                                        std::to_string(a.epochs));
        data_args = data_args_from(json::parse(card.data_json), a.data.data_dir);
        std::cerr << "resuming " << ckpt << " after epoch " << start_epoch << "\n";
    } else {
        card.width = a.width;
        card.d_model = a.d_model;
        card.heads = a.heads;
        card.score = a.score;
        card.threshold_quantile = a.quantile;
        if (a.reference_quirks) {
            card.prep.peak_offset_quirk = true;
            card.masking.spec_range = 66;
        }
    }
    auto set = load_ecg_set(data_args, card.prep);
    const auto split = split_set(set, data_args);
    if (!a.resume) {
        card.leads = set.x.size(1);
        card.lead_names = set.lead_names;
        card.version = TFMED_VERSION;
        card.validate();
        torch::manual_seed(data_args.seed);
        net = models::Tsrnet(models::options_of(card));
        net->to(dev);
    }
    if (split.train.empty() || split.val.empty())
        throw std::invalid_argument("train: the split left " + std::to_string(split.train.size()) +
                                    " training and " + std::to_string(split.val.size()) +
                                    " validation windows; need at least one of each");
    std::cerr << "data " << data_args.data << ": " << set.x.size(0) << " windows of "
              << card.window() << " x " << card.leads << " at " << card.prep.sample_rate
              << " Hz; train " << split.train.size() << " / val " << split.val.size()
              << " normal, test " << split.test.size() << "\n";

    const auto train = prepare(set, split.train, card.prep);
    const auto val = prepare(set, split.val, card.prep);
    // Flat / non-finite windows cannot be trained on.
    std::vector<int64_t> usable;
    for (std::size_t i = 0; i < train.status.size(); ++i)
        if (models::has_signal(train.status[i]))
            usable.push_back(static_cast<int64_t>(i));
    const auto X = train.x.index_select(0, torch::tensor(usable, torch::kLong));
    const int64_t N = X.size(0);
    const auto stft = models::stft_of(card);

    torch::optim::AdamW opt(net->parameters(),
                            torch::optim::AdamWOptions(a.lr).weight_decay(a.weight_decay));
    if (!opt_state.empty()) {
        std::istringstream in(opt_state);
        torch::serialize::InputArchive ar;
        ar.load_from(in, dev);
        opt.load(ar);
    }
    json train_meta = { { "optimizer", "AdamW" },     { "lr", a.lr },
                        { "weight_decay", a.weight_decay },
                        { "schedule", "cosine per epoch: lr*0.5*(1+cos(pi*e/epochs))" },
                        { "batch", a.batch },        { "epochs", a.epochs },
                        { "seed", data_args.seed },  { "device", dev.str() },
                        { "threads", at::get_num_threads() },
                        { "train_windows", N },      { "val_windows", val.x.size(0) } };
    const int64_t batches = (N + a.batch - 1) / a.batch;
    for (int e = start_epoch; e < a.epochs; ++e) {
        const double lr = a.lr * 0.5 * (1.0 + std::cos(M_PI * e / a.epochs));
        for (auto& g : opt.param_groups())
            static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        // Everything random in epoch e derives from (seed, e): a resumed run
        // draws exactly what the uninterrupted run drew.
        const uint64_t es = data_args.seed * 1000003ULL + static_cast<uint64_t>(e);
        torch::manual_seed(es);
        std::mt19937_64 rng(es);
        const auto order = data::permutation(static_cast<int>(N), es);
        net->train();
        Progress bar("epoch " + std::to_string(e + 1) + "/" + std::to_string(a.epochs), batches);
        double loss_sum = 0.0;
        for (int64_t b = 0; b < batches; ++b) {
            std::vector<int64_t> idx(order.begin() + b * a.batch,
                                     order.begin() + std::min<int64_t>(N, (b + 1) * a.batch));
            const auto xb = X.index_select(0, torch::tensor(idx, torch::kLong)).to(dev);
            const auto spec = models::tsrnet_spectrogram(xb, stft);
            const auto m = models::train_masks(card.masking, xb.size(1), spec.size(2), rng);
            auto [xh, s] = net->forward(models::mask_time(xb, m.time), models::mask_spec(spec, m.spec));
            auto loss = models::tsrnet_loss(xb, xh, s);
            opt.zero_grad();
            loss.backward();
            opt.step();
            loss_sum += loss.item<double>();
            bar.update(b + 1, "loss " + fmt("%.4f", loss_sum / (b + 1)));
        }
        const auto vs = models::score_prepared(net, card, val, dev, a.batch);
        double val_score = 0.0;
        int64_t nv = 0;
        for (double v : to_vec(vs.plain))
            if (std::isfinite(v))
                val_score += v, ++nv;
        val_score = nv ? val_score / nv : NAN;
        const double train_loss = loss_sum / batches;
        history.push_back({ { "epoch", e + 1 }, { "lr", lr }, { "train_loss", train_loss },
                            { "val_score", val_score }, { "seconds", bar.elapsed() } });
        const bool best = val_score < best_val;
        if (best) {
            best_val = val_score;
            best_epoch = e + 1;
        }
        bar.finish("epoch " + std::to_string(e + 1) + "/" + std::to_string(a.epochs) +
                   ": loss " + fmt("%.5f", train_loss) + ", val score " +
                   fmt("%.5f", val_score) + (best ? " (best)" : ""));
        auto tr = train_meta;
        tr["history"] = history;
        tr["epochs_done"] = e + 1;
        tr["best_epoch"] = best_epoch;
        tr["best_val_score"] = best_val;
        card.training_json = tr.dump();
        card.data_json = set.spec.dump();
        if (best)
            models::save_tsrnet(a.out, card, net);
        models::save_tsrnet(ckpt, card, net, optimizer_bytes(opt));
        if (a.stop_after > 0 && e + 1 - start_epoch >= a.stop_after && e + 1 < a.epochs) {
            std::printf("stopped after epoch %d of %d; continue with --resume\n", e + 1,
                        a.epochs);
            return 0;
        }
    }

    // Calibrate the alarm threshold on the normal training windows with the
    // selected model, and store it in the card.
    auto best = models::load_tsrnet(a.out, dev);
    const auto ts = models::score_prepared(best.model, best.card, train, dev, a.batch);
    int64_t used = 0;
    best.card.threshold = card_score_quantile(best.card, ts, used);
    best.card.calibration_windows = used;
    json metrics = { { "best_epoch", best_epoch },
                     { "best_val_score", best_val },
                     { "threshold", best.card.threshold },
                     { "train_windows", N } };
    best.card.metrics_json = metrics.dump();
    best.card.training_json = card.training_json;
    models::save_tsrnet(a.out, best.card, best.model);
    std::printf("model %s: %lld parameters, best epoch %d (val score %.5f), threshold %.5f "
                "(%.0f%% of %lld normal training windows, %s score)\n",
                a.out.c_str(), static_cast<long long>(models::count_parameters(*best.model)),
                best_epoch, best_val, best.card.threshold, 100 * best.card.threshold_quantile,
                static_cast<long long>(used), best.card.score.c_str());
    if (!a.json.empty()) {
        json out = { { "model", a.out }, { "metrics", metrics }, { "history", history },
                     { "training", train_meta } };
        write_atomically(a.json, out.dump(1) + "\n");
    }
#ifdef TFMED_HAVE_PLOT
    if (!a.plot.empty()) {
        plot::Panel loss{ "training loss (uncertainty-aware)", "epoch", "loss", {}, {} };
        plot::Panel vpan{ "validation score (normal windows, inference masks)", "epoch", "score", {}, {} };
        plot::Series ls, vsr;
        ls.color = { 30, 90, 200 };
        vsr.color = { 200, 80, 30 };
        for (const auto& h : history) {
            ls.x.push_back(h["epoch"].get<double>());
            ls.y.push_back(h["train_loss"].get<double>());
            vsr.x.push_back(h["epoch"].get<double>());
            vsr.y.push_back(h["val_score"].get<double>());
        }
        loss.series.push_back(ls);
        vpan.series.push_back(vsr);
        if (best_epoch > 0)
            vpan.markers.push_back({ static_cast<double>(best_epoch), "best", { 40, 150, 40 } });
        plot::save_figure({ loss, vpan }, a.plot, "tfmed train tsrnet: " + a.out);
        std::cerr << "wrote " << a.plot << "\n";
    }
#endif
    return 0;
}

// ---------------------------------------------------------------- eval

int eval_tsrnet(const TsrnetEvalArgs& a)
{
    set_threads(a.threads);
    dsp::set_reproducible_fft(true);
    const auto dev = models::parse_device(a.device);
    auto m = models::load_tsrnet(a.model, dev);
    if (a.literal_test_prep)
        m.card.prep.normalize = false; // the reference's test set: filtered, not normalised
    const auto spec = json::parse(m.card.data_json);
    EcgDataArgs da = a.data_given ? a.data : data_args_from(spec, a.data.data_dir);
    auto set = load_ecg_set(da, m.card.prep);
    if (m.card.leads != set.x.size(1))
        throw std::invalid_argument("eval: model " + a.model + " expects " +
                                    std::to_string(m.card.leads) + " lead(s), the data " +
                                    da.data + " has " + std::to_string(set.x.size(1)));
    const auto split = split_set(set, da);
    std::vector<int64_t> idx;
    if (a.split == "test")
        idx = split.test;
    else if (a.split == "val")
        idx = split.val;
    else if (a.split == "all")
        for (int64_t i = 0; i < set.x.size(0); ++i)
            idx.push_back(i);
    else
        throw std::invalid_argument("--split: expected test, val or all, found '" + a.split + "'");
    if (a.data_given && a.split != "all")
        std::cerr << "note: --data given; split '" << a.split << "' of that set with seed "
                  << da.seed << "\n";
    const auto pr = prepare(set, idx, m.card.prep);
    Progress bar("scoring", 1);
    const auto sc = models::score_prepared(m.model, m.card, pr, dev, a.batch);
    bar.finish("scored " + std::to_string(idx.size()) + " windows");

    const auto plain = to_vec(sc.plain), peak = to_vec(sc.peak);
    json result = { { "model", a.model }, { "data", da.data }, { "split", a.split },
                    { "test_normalized", m.card.prep.normalize },
                    { "windows", idx.size() } };
    std::map<std::string, std::pair<std::vector<double>, std::vector<int>>> kinds;
    int64_t flagged_plain = 0, flagged_peak = 0;
    std::map<std::string, int64_t> per_class;
    for (std::size_t k = 0; k < idx.size(); ++k) {
        const int y = set.label[idx[k]];
        per_class[set.cls[idx[k]]]++;
        if (std::isfinite(plain[k])) {
            kinds["plain"].first.push_back(plain[k]);
            kinds["plain"].second.push_back(y);
        } else {
            ++flagged_plain;
        }
        if (std::isfinite(peak[k])) {
            kinds["peak"].first.push_back(peak[k]);
            kinds["peak"].second.push_back(y);
        } else {
            ++flagged_peak;
        }
    }
    result["classes"] = per_class;
    result["flagged"] = { { "plain", flagged_plain }, { "peak", flagged_peak } };
    std::printf("%s on %s (%s split): %zu windows", a.model.c_str(), da.data.c_str(),
                a.split.c_str(), idx.size());
    for (const auto& [c, n] : per_class)
        std::printf(" %s %lld", c.c_str(), static_cast<long long>(n));
    std::printf("\n");
    std::printf("%-8s %8s %8s %10s\n", "score", "ROC-AUC", "windows", "flagged");
#ifdef TFMED_HAVE_PLOT
    plot::Panel roc_panel{ "ROC (abnormal = positive)", "false-positive rate", "true-positive rate", {}, {} };
    roc_panel.xmin = roc_panel.ymin = 0.0;
    roc_panel.xmax = roc_panel.ymax = 1.0;
#endif
    for (const auto& [kind, sy] : kinds) {
        double auc = NAN;
        try {
            auc = models::roc_auc(sy.first, sy.second);
        } catch (const std::invalid_argument& e) {
            std::cerr << kind << ": " << e.what() << "\n";
        }
        result["auc_" + kind] = std::isfinite(auc) ? json(auc) : json(nullptr);
        std::printf("%-8s %8.4f %8zu %10lld\n", kind.c_str(), auc, sy.first.size(),
                    static_cast<long long>(kind == "plain" ? flagged_plain : flagged_peak));
        // Per abnormal class: N vs that class.
        json by_class;
        for (const auto& [c, n] : per_class) {
            if (c == "N")
                continue;
            std::vector<double> s2;
            std::vector<int> y2;
            for (std::size_t k = 0; k < idx.size(); ++k) {
                const auto& ck = set.cls[idx[k]];
                const double v = kind == "plain" ? plain[k] : peak[k];
                if ((ck == "N" || ck == c) && std::isfinite(v)) {
                    s2.push_back(v);
                    y2.push_back(ck == c);
                }
            }
            try {
                by_class[c] = models::roc_auc(s2, y2);
            } catch (const std::invalid_argument&) {
            }
        }
        result["auc_" + kind + "_by_class"] = by_class;
        if (!by_class.empty()) {
            std::printf("         N vs");
            for (const auto& [c, v] : by_class.items())
                std::printf(" %s %.3f", c.c_str(), v.get<double>());
            std::printf("\n");
        }
#ifdef TFMED_HAVE_PLOT
        if (std::isfinite(auc)) {
            const auto r = models::roc_curve(sy.first, sy.second);
            plot::Series s;
            s.x = r.fpr;
            s.y = r.tpr;
            s.label = kind + " AUC " + fmt("%.3f", auc);
            s.color = kind == "plain" ? plot::Rgb{ 30, 90, 200 } : plot::Rgb{ 200, 60, 30 };
            roc_panel.series.push_back(s);
        }
#endif
    }
    // Alarm behaviour at the card's threshold.
    if (std::isfinite(m.card.threshold)) {
        const auto& v = m.card.score == "peak" ? peak : plain;
        int64_t tp = 0, fp = 0, pos = 0, neg = 0;
        for (std::size_t k = 0; k < idx.size(); ++k) {
            if (!std::isfinite(v[k]))
                continue;
            const int y = set.label[idx[k]];
            (y ? pos : neg)++;
            if (v[k] > m.card.threshold)
                (y ? tp : fp)++;
        }
        const double tpr = pos ? double(tp) / pos : NAN, fpr = neg ? double(fp) / neg : NAN;
        result["at_threshold"] = { { "threshold", m.card.threshold }, { "tpr", tpr }, { "fpr", fpr } };
        std::printf("at the card's threshold %.5f (%s score): TPR %.3f, FPR %.3f\n",
                    m.card.threshold, m.card.score.c_str(), tpr, fpr);
    }
    if (!a.json.empty())
        write_atomically(a.json, result.dump(1) + "\n");
#ifdef TFMED_HAVE_PLOT
    if (!a.roc.empty()) {
        plot::Series diag;
        diag.x = { 0, 1 };
        diag.y = { 0, 1 };
        diag.color = { 160, 160, 160 };
        roc_panel.series.push_back(diag);
        plot::save_figure({ roc_panel }, a.roc, "tfmed eval tsrnet: " + a.model, 700, 600);
        std::cerr << "wrote " << a.roc << "\n";
    }
#endif
    return 0;
}

// ---------------------------------------------------------------- bench

int bench_tsrnet(const TsrnetBenchArgs& a)
{
    set_threads(a.threads);
    const auto dev = models::parse_device(a.device);
    models::TsrnetCard card;
    models::Tsrnet net{ nullptr };
    if (!a.model.empty()) {
        auto l = models::load_tsrnet(a.model, dev);
        card = l.card;
        net = l.model;
    } else {
        card.leads = a.leads;
        card.width = a.width;
        card.d_model = a.d_model;
        torch::manual_seed(0);
        net = models::Tsrnet(models::options_of(card));
        net->to(dev);
    }
    const int64_t T = card.prep.crop_length, L = card.leads;
    auto sync = [&] {
        if (dev.is_cuda()) // a device-to-host copy waits for the queued kernels
            torch::zeros({ 1 }, torch::TensorOptions().device(dev)).cpu();
    };
    auto timed = [&](auto&& fn) {
        fn(); // warm-up
        sync();
        int reps = 0;
        const auto t0 = std::chrono::steady_clock::now();
        double el = 0.0;
        do {
            fn();
            sync();
            ++reps;
            el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        } while (el < a.seconds);
        return el / reps;
    };
    torch::manual_seed(1);
    std::printf("tfmed bench tsrnet: %s, %lld leads x %lld samples, width %lld, d_model %lld, "
                "%lld parameters, device %s, %d threads\n",
                a.model.empty() ? "fresh network" : a.model.c_str(), (long long)L, (long long)T,
                (long long)card.width, (long long)card.d_model,
                (long long)models::count_parameters(*net), dev.str().c_str(),
                at::get_num_threads());
    json j = { { "device", dev.str() }, { "threads", at::get_num_threads() },
               { "leads", L }, { "width", card.width }, { "d_model", card.d_model } };
    double per_window[2] = { 0, 0 };
    const int sizes[2] = { 1, 32 };
    for (int k = 0; k < 2; ++k) {
        const auto x = torch::rand({ sizes[k], T, L }, torch::TensorOptions().device(dev)) * 2 - 1;
        const auto pm = torch::ones({ sizes[k], T });
        const double s = timed([&] { models::score_windows(net, card, x, pm); });
        per_window[k] = s / sizes[k];
        j["windows_per_s_batch" + std::to_string(sizes[k])] = 1.0 / per_window[k];
    }
    // Preprocessing (filters, R peaks, crop) of one raw window, on the CPU.
    std::vector<float> raw(static_cast<std::size_t>(card.window() * L));
    for (std::size_t i = 0; i < raw.size(); ++i)
        raw[i] = static_cast<float>(std::sin(i * 0.01) + 0.3 * ((i / L) % 400 < 10));
    const double prep_s = timed([&] { models::prepare_window(raw.data(), L, card.prep); });
    // One training step at batch 32.
    const auto stft = models::stft_of(card);
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-4));
    std::mt19937_64 rng(1);
    const auto xb = torch::rand({ 32, T, L }, torch::TensorOptions().device(dev)) * 2 - 1;
    net->train();
    const double step = timed([&] {
        const auto spec = models::tsrnet_spectrogram(xb, stft);
        const auto m = models::train_masks(card.masking, T, spec.size(2), rng);
        auto [xh, s] = net->forward(models::mask_time(xb, m.time), models::mask_spec(spec, m.spec));
        auto loss = models::tsrnet_loss(xb, xh, s);
        opt.zero_grad();
        loss.backward();
        opt.step();
    });
    const double window_s = card.window() / card.prep.sample_rate;
    std::printf("\n%-40s %12s %14s\n", "measurement", "value", "vs real time");
    std::printf("%-40s %9.2f w/s %13.1fx\n", "inference, batch 1 (3 masked passes)",
                1.0 / per_window[0], window_s / per_window[0]);
    std::printf("%-40s %9.2f w/s %13.1fx\n", "inference, batch 32 (3 masked passes)",
                1.0 / per_window[1], window_s / per_window[1]);
    std::printf("%-40s %9.2f ms\n", "preprocessing, one window (CPU)", prep_s * 1e3);
    std::printf("%-40s %9.3f s\n", "training step, batch 32", step);
    std::printf("\nbatch 32 vs batch 1: %.2fx windows/s. 'vs real time' = %.0f s of ECG per "
                "window / seconds per window.\n",
                per_window[0] / per_window[1], window_s);
    j["preprocess_ms"] = prep_s * 1e3;
    j["train_step_s_batch32"] = step;
    j["batch32_vs_batch1"] = per_window[0] / per_window[1];
    if (!a.json.empty())
        write_atomically(a.json, j.dump(1) + "\n");
    return 0;
}

// ---------------------------------------------------------------- info, rpeaks

int model_info(const std::string& path)
{
    const auto parts = models::read_model_file(path, true);
    const auto card = models::read_card(path);
    uint64_t h = 1469598103934665603ULL; // FNV-1a 64 of the weights section
    for (unsigned char c : parts.weights)
        h = (h ^ c) * 1099511628211ULL;
    std::printf("%s\n", card.to_json().c_str());
    std::printf("weights: %zu bytes, FNV-1a 64 %016llx%s\n", parts.weights.size(),
                static_cast<unsigned long long>(h),
                parts.optimizer.empty() ? "" : " (checkpoint: with optimiser state)");
    return 0;
}

int data_rpeaks(const std::string& path, const std::string& channel, double window_s,
                double tolerance_s, const std::string& json_path)
{
    if (!ends_with(path, ".hea"))
        throw std::invalid_argument("rpeaks: expected a WFDB record header (.hea), found '" +
                                    path + "'");
    const auto rec = io::read_wfdb(path.substr(0, path.size() - 4));
    models::RpeakCheckOptions o;
    o.window_s = window_s;
    o.tolerance_s = tolerance_s;
    if (!channel.empty()) {
        auto it = std::find(rec.channel_names.begin(), rec.channel_names.end(), channel);
        if (it == rec.channel_names.end())
            throw std::invalid_argument(path + ": no channel '" + channel + "'");
        o.channel = static_cast<int>(it - rec.channel_names.begin());
    }
    const auto r = models::check_rpeaks(rec, o);
    std::printf("%s, channel %s, %s: %lld annotated beats, %lld detections\n", path.c_str(),
                rec.channel_names[o.channel].c_str(),
                window_s > 0 ? (fmt("%.0f-s windows", window_s)).c_str() : "whole record",
                (long long)r.beats, (long long)r.detections);
    std::printf("within +-%.0f ms: TP %lld, FP %lld, FN %lld; sensitivity %.2f %%, positive "
                "predictivity %.2f %%\n",
                tolerance_s * 1e3, (long long)r.match.true_positives,
                (long long)r.match.false_positives, (long long)r.match.false_negatives,
                100 * r.match.sensitivity(), 100 * r.match.positive_predictivity());
    if (r.windows_without_peaks)
        std::printf("%lld of %lld windows gave no peaks\n", (long long)r.windows_without_peaks,
                    (long long)r.windows);
    if (!json_path.empty())
        write_atomically(json_path,
                         json{ { "record", path },
                               { "channel", rec.channel_names[o.channel] },
                               { "beats", r.beats },
                               { "detections", r.detections },
                               { "sensitivity", r.match.sensitivity() },
                               { "positive_predictivity", r.match.positive_predictivity() } }
                                 .dump(1) +
                             "\n");
    return 0;
}

} // namespace apps
} // namespace tfmed
