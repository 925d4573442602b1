/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TRLS: the pieces the trainer (trls_trainer.cc) and the evaluation
 * (trls_eval.cc) share: scaling, images, the pre-training and classification
 * tasks, the linear head, fine-tuning (trls_parts.h); the data sets and
 * their splits are in trls_data.cc.
 */
#include "trls_parts.h"

#include <tfmed/data/benchmarks.h>
#include <tfmed/data/datasets.h>
#include <tfmed/data/window_set.h>
#include <tfmed/data/windows.h>
#include <tfmed/io/atomic.h>
#include <tfmed/models/metrics.h>
#include <tfmed/models/model_file.h>
#include <tfmed/models/trls_card.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/models/weights.h>
#include <tfmed/plot/figure.h>
#include <tfmed/train/distributed.h>
#include <tfmed/train/runtime.h>
#include <tfmed/train/trainer.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <map>
#include <set>
#include <stdexcept>

namespace tfmed {
namespace train {
namespace trls {

using nlohmann::json;
namespace fs = std::filesystem;

double last_metric(const LoopResult& res)
{
    const auto h = json::parse(res.history_json.empty() ? "[]" : res.history_json);
    if (h.empty())
        return std::nan("");
    for (const auto& [key, v] : h.back().items())
        if (key.rfind("val_", 0) == 0 && v.is_number())
            return v.get<double>();
    return std::nan("");
}

double kept_metric(const LoopResult& res, const std::string& select)
{
    return select == "best" ? res.best_metric : last_metric(res);
}

torch::Tensor take(const torch::Tensor& t, const std::vector<int64_t>& idx)
{
    return t.index_select(0, torch::tensor(idx, torch::kLong).to(t.device()));
}

std::vector<int64_t> to_vec(const torch::Tensor& t)
{
    const auto c = t.to(torch::kCPU, torch::kLong).contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// The card's scaling for this split, fitted per the configuration.
void fit_scaling(models::TrlsCard& card, const Labelled& d, const Parts& p,
                 const std::string& how)
{
    card.scale_min.clear();
    card.scale_max.clear();
    card.scaling = how == "none" ? "none" : "minmax";
    if (how == "none")
        return;
    if (d.x.size(1) != 1)
        throw std::invalid_argument("trls: min-max per time index is TS-TCC's scaling of "
                                    "single-channel windows; use --scaling none for " +
                                    std::to_string(d.x.size(1)) + " channels");
    const auto src = how == "all" ? d.x : take(d.x, p.train);
    const auto flat = src.select(1, 0).to(torch::kDouble);
    const auto lo = std::get<0>(flat.min(0)), hi = std::get<0>(flat.max(0));
    card.scale_min.assign(lo.data_ptr<double>(), lo.data_ptr<double>() + lo.numel());
    card.scale_max.assign(hi.data_ptr<double>(), hi.data_ptr<double>() + hi.numel());
}

torch::Tensor images_of(const models::TrlsCard& card, const torch::Tensor& x)
{
    // Chunks keep the STFT's temporaries small for long windows.
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < x.size(0); i += 512)
        out.push_back(models::spectrogram(card.scale(x.narrow(0, i, std::min<int64_t>(512, x.size(0) - i))),
                                          card.arch));
    return torch::cat(out);
}

namespace {

// ---------------------------------------------------------------- tasks

class PretrainTask : public Task
{
public:
    PretrainTask(models::Trls net, const torch::Tensor& imgs, std::vector<int64_t> train,
                 std::vector<int64_t> val, const TrlsTrainConfig& cfg, torch::Device dev,
                 models::TrlsCard& card, const torch::Tensor& views2)
        : net_(std::move(net)),
          imgs_(imgs),
          views2_(views2),
          train_(std::move(train)),
          val_(std::move(val)),
          cfg_(cfg),
          dev_(dev),
          card_(card)
    {
    }
    torch::nn::Module& module() override { return *net_; }
    int64_t train_size() const override { return static_cast<int64_t>(train_.size()); }
    torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64& rng) override
    {
        std::vector<int64_t> ids;
        for (auto i : idx)
            ids.push_back(train_[static_cast<std::size_t>(i)]);
        if (ids.size() == 1) // BatchNorm needs two: add a second window
            ids.push_back(train_[(static_cast<std::size_t>(idx[0]) + 1) % train_.size()]);
        const uint64_t seed = rng();
        return pair_loss(ids, seed);
    }
    void after_step() override { net_->update_target(cfg_.tau); }
    // The projectors' BatchNorm: a shard of one is padded with a neighbour.
    int64_t min_shard() const override { return 2; }
    double validate() override
    {
        // Fixed views (seed 0) of the validation windows, BatchNorm on its
        // running statistics (eval mode).
        torch::NoGradGuard ng;
        double sum = 0;
        int64_t n = 0;
        for (std::size_t i = 0; i < val_.size() && !stopping(); i += 256) {
            std::vector<int64_t> ids(val_.begin() + static_cast<long>(i),
                                     val_.begin() + static_cast<long>(std::min(val_.size(), i + 256)));
            sum += pair_loss(ids, 0).item<double>() * static_cast<double>(ids.size());
            n += static_cast<int64_t>(ids.size());
        }
        return n ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
    }
    std::string metric_name() const override { return "val_byol_loss"; }
    std::string card_json(const std::string& training) override
    {
        card_.training_json = training;
        return card_.to_json();
    }

private:
    torch::Tensor pair_loss(const std::vector<int64_t>& ids, uint64_t seed)
    {
        const auto x = take(imgs_, ids);
        if (views2_.defined()) // the views came made
            return net_->loss(x.to(dev_), take(views2_, ids).to(dev_), cfg_.negatives);
        const auto v1 = augment::view(x, cfg_.view1, seed, ids, 0).to(dev_);
        const auto v2 = augment::view(x, cfg_.view2, seed, ids, 1).to(dev_);
        return net_->loss(v1, v2, cfg_.negatives);
    }
    models::Trls net_;
    torch::Tensor imgs_, views2_;
    std::vector<int64_t> train_, val_;
    const TrlsTrainConfig& cfg_;
    torch::Device dev_;
    models::TrlsCard& card_;
};

// Cross-entropy on inputs X[idx] of a module: the linear head on frozen
// representations, or the whole classifier (fine-tuning, supervised).
class ClassifyTask : public Task
{
public:
    ClassifyTask(torch::nn::Module& m, std::function<torch::Tensor(const torch::Tensor&)> fwd,
                 const torch::Tensor& x, const torch::Tensor& y, std::vector<int64_t> train,
                 std::vector<int64_t> val, torch::Device dev, std::string card)
        : m_(m),
          fwd_(std::move(fwd)),
          x_(x),
          y_(y),
          train_(std::move(train)),
          val_(std::move(val)),
          dev_(dev),
          card_(std::move(card))
    {
    }
    torch::nn::Module& module() override { return m_; }
    int64_t train_size() const override { return static_cast<int64_t>(train_.size()); }
    torch::Tensor loss(const std::vector<int64_t>& idx, std::mt19937_64&) override
    {
        std::vector<int64_t> ids;
        for (auto i : idx)
            ids.push_back(train_[static_cast<std::size_t>(i)]);
        return torch::nn::functional::cross_entropy(fwd_(take(x_, ids).to(dev_)),
                                                    take(y_, ids).to(dev_));
    }
    // TS-TCC's plateau schedule watches the validation loss.
    double validate() override
    {
        torch::NoGradGuard ng;
        double sum = 0;
        for (std::size_t i = 0; i < val_.size() && !stopping(); i += 256) {
            std::vector<int64_t> b(val_.begin() + static_cast<long>(i),
                                   val_.begin() + static_cast<long>(std::min(val_.size(), i + 256)));
            sum += torch::nn::functional::cross_entropy(
                       fwd_(take(x_, b).to(dev_)), take(y_, b).to(dev_),
                       torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                       .item<double>();
        }
        return val_.empty() ? 0.0 : sum / static_cast<double>(val_.size());
    }
    std::vector<int64_t> predict(const std::vector<int64_t>& ids)
    {
        torch::NoGradGuard ng;
        std::vector<int64_t> out;
        for (std::size_t i = 0; i < ids.size(); i += 256) {
            std::vector<int64_t> b(ids.begin() + static_cast<long>(i),
                                   ids.begin() + static_cast<long>(std::min(ids.size(), i + 256)));
            const auto p = to_vec(fwd_(take(x_, b).to(dev_)).argmax(1));
            out.insert(out.end(), p.begin(), p.end());
        }
        return out;
    }
    std::string metric_name() const override { return "val_loss"; }
    std::string card_json(const std::string&) override { return card_; }

private:
    torch::nn::Module& m_;
    std::function<torch::Tensor(const torch::Tensor&)> fwd_;
    torch::Tensor x_, y_;
    std::vector<int64_t> train_, val_;
    torch::Device dev_;
    std::string card_;
};

} // namespace

TrlsScores scores(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred,
                  int64_t classes)
{
    TrlsScores s;
    s.n = static_cast<int64_t>(truth.size());
    s.accuracy = models::accuracy(truth, pred);
    // (A class absent from a small fold's test part does not count as F1 0.)
    s.macro_f1 = models::classifier_macro_f1(truth, pred, classes);
    return s;
}

json scores_json(const TrlsScores& s)
{
    return { { "accuracy", s.accuracy }, { "macro_f1", s.macro_f1 }, { "n", s.n } };
}

// Embeddings of every window by the frozen encoder (eval mode).
torch::Tensor embed_all(models::Tfrnn& enc, const torch::Tensor& imgs, torch::Device dev)
{
    torch::NoGradGuard ng;
    enc->eval();
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < imgs.size(0); i += 256)
        out.push_back(enc->embed(imgs.narrow(0, i, std::min<int64_t>(256, imgs.size(0) - i)).to(dev))
                          .to(torch::kCPU));
    return torch::cat(out);
}

Run prepare(const TrlsTrainConfig& cfg, const Labelled& d, Parts p, torch::Device dev,
            const EventSink& events, const std::atomic<bool>* cancel)
{
    Run r{ cfg, d, std::move(p), {}, {}, dev, events, cancel };
    auto& c = r.card;
    c.arch = cfg.arch;
    c.arch.channels = d.x.size(1);
    c.arch.length = d.x.size(2);
    c.arch.num_class = 0;
    c.arch.validate();
    c.sample_rate = d.sample_rate;
    c.channel_names = d.channel_names;
    c.version = TFMED_VERSION;
    fit_scaling(c, d, r.parts, cfg.effective_scaling(d.x.size(1)));
    c.pretraining_json = json{ { "view1", cfg.view1.to_string() },
                               { "view2", cfg.view2.to_string() },
                               { "tau", cfg.tau },
                               { "negatives", cfg.negatives } }
                             .dump();
    // What the run trains on, as 64 bits: the windows, labels and split
    // (--resume on other data with the same counts is refused, not trained on).
    uint64_t h = models::fnv1a64("", 0);
    for (const auto& t : { d.x.contiguous(), d.y.contiguous() })
        h = models::fnv1a64(t.data_ptr(), t.nbytes(), h);
    for (const auto* idx : { &r.parts.train, &r.parts.val, &r.parts.test })
        h = models::fnv1a64(idx->data(), idx->size() * sizeof(int64_t), h);
    char digest[24];
    std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(h));
    c.data_json = json{ { "data", cfg.data },
                        { "digest", digest },
                        { "split", r.parts.name },
                        { "split_seed", cfg.split_seed },
                        { "split_by", cfg.split },
                        { "scaling", cfg.effective_scaling(d.x.size(1)) },
                        { "train_windows", r.parts.train.size() },
                        { "val_windows", r.parts.val.size() },
                        { "test_windows", r.parts.test.size() } }
                      .dump();
    if (c.arch.image_norm == "dataset") {
        // One pair of bounds for every image, from the training windows.
        std::vector<torch::Tensor> lm;
        const auto xt = take(d.x, r.parts.train);
        for (int64_t i = 0; i < xt.size(0); i += 512)
            lm.push_back(models::log_magnitude(
                c.scale(xt.narrow(0, i, std::min<int64_t>(512, xt.size(0) - i))), c.arch));
        const auto all = torch::cat(lm);
        c.arch.image_lo = all.min().item<double>();
        c.arch.image_hi = all.max().item<double>();
        if (!(c.arch.image_hi > c.arch.image_lo))
            throw std::invalid_argument("trls: every training spectrogram value is " +
                                        std::to_string(c.arch.image_lo) +
                                        "; dataset image scaling needs a range");
    }
    r.imgs = images_of(c, d.x);
    return r;
}

// Pre-train; returns the online encoder (nullptr when cancelled).
models::Tfrnn pretrain(Run& r, const std::string& checkpoint, bool resume, LoopResult* lr)
{
    torch::manual_seed(r.cfg.pretrain.seed);
    models::Trls net(r.card.arch);
    net->to(r.dev);
    LoopOptions lo = r.cfg.pretrain;
    lo.checkpoint = checkpoint;
    lo.superseded_checkpoint = !resume && start_fresh(checkpoint);
    PretrainTask task(net, r.imgs, r.parts.train, r.parts.val, r.cfg, r.dev, r.card, r.views2);
    if (r.events) {
        Event ev;
        ev.kind = Event::Kind::started;
        ev.message = "TRLS pre-training: " + r.card.arch.to_string() + "; " +
                     std::to_string(r.parts.train.size()) + " unlabelled windows (" +
                     r.parts.name + ")";
        r.events(ev);
    }
    const auto res = run(task, lo, r.dev, resume, r.events, r.cancel);
    if (lr)
        *lr = res;
    if (!res.completed)
        return models::Tfrnn(nullptr);
    return net->encoder;
}

// A Linear head on frozen representations `feats` (every window), trained on
// the `train` rows and validated on the `val` rows. Standardised probe: it
// trains on (f - mu) / sd with the train rows' statistics (a constant feature
// keeps sd 1), then mu and sd fold into its weight and bias, so it takes the
// raw representation. The validation scores (before the fold) go to
// `val_scores`; null when cancelled.
static torch::nn::Linear fit_probe(Run& r, const torch::Tensor& feats, const std::vector<int64_t>& train,
                            const std::vector<int64_t>& val, bool standardise,
                            TrlsScores* val_scores)
{
    const int64_t K = static_cast<int64_t>(r.d.class_names.size());
    torch::manual_seed(r.cfg.downstream.seed);
    torch::nn::Linear head(feats.size(1), K);
    head->to(r.dev);
    data::ColumnScale scale;
    if (standardise) { // statistics in double, applied in float
        scale = data::column_scale(take(feats, train).to(torch::kDouble));
        scale.mean = scale.mean.to(torch::kFloat);
        scale.std = scale.std.to(torch::kFloat);
    }
    const auto xin = standardise ? (feats - scale.mean) / scale.std : feats;
    ClassifyTask task(*head, [&](const torch::Tensor& f) { return head->forward(f); }, xin,
                      r.d.y, train, val, r.dev, r.card.to_json());
    LoopOptions lo = r.cfg.downstream;
    lo.checkpoint.clear();
    lo.batch = std::min<int64_t>(lo.batch, std::max<int64_t>(2, static_cast<int64_t>(train.size())));
    const auto res = run(task, lo, r.dev, false, r.events, r.cancel);
    if (!res.completed)
        return torch::nn::Linear(nullptr);
    if (val_scores)
        *val_scores = scores(to_vec(take(r.d.y, val)), task.predict(val), K);
    if (standardise)
        models::fold_standardisation(head, scale.mean, scale.std);
    return head;
}

// Linear evaluation: a Linear head on frozen representations.
HeadResult linear_head(Run& r, models::TrlsClassifier& clf, const torch::Tensor& test_imgs)
{
    const int64_t K = static_cast<int64_t>(r.d.class_names.size());
    const auto feats = embed_all(clf->encoder, r.imgs, r.dev);
    HeadResult h;
    auto head = fit_probe(r, feats, r.parts.train, r.parts.val, r.cfg.probe == "standardised",
                          &h.val);
    h.completed = !head.is_empty();
    h.train_windows = static_cast<int64_t>(r.parts.train.size());
    if (!h.completed)
        return h;
    clf->head = clf->replace_module("head", head);
    torch::NoGradGuard ng;
    const auto test_feats = embed_all(clf->encoder, test_imgs, r.dev);
    h.test_pred = to_vec(head->forward(test_feats.to(r.dev)).argmax(1));
    h.test = scores(to_vec(take(r.d.y, r.parts.test)), h.test_pred, K);
    return h;
}

// A classifier for `arch` whose encoder starts from `enc` (parameters and
// buffers; a random start when `enc` is null).
models::TrlsClassifier classifier_from(const models::Tfrnn& enc, const models::TrlsOptions& arch)
{
    models::TrlsClassifier clf(arch);
    if (enc) {
        torch::NoGradGuard ng;
        auto src = enc->named_parameters();
        for (auto& p : clf->encoder->named_parameters())
            p.value().copy_(src[p.key()]);
        auto srcb = enc->named_buffers();
        for (auto& b : clf->encoder->named_buffers())
            b.value().copy_(srcb[b.key()]);
    }
    return clf;
}

models::TrlsClassifier classifier_for(const Run& r, const models::Tfrnn& enc)
{
    auto arch = r.card.arch;
    arch.num_class = static_cast<int64_t>(r.d.class_names.size());
    auto clf = classifier_from(enc, arch);
    clf->to(r.dev);
    return clf;
}

// Fine-tuning (encoder from `init`) or the supervised baseline (init null)
// on `percent` of the training part (class-proportional, seeded).
HeadResult tune(Run& r, const models::Tfrnn& init, double percent)
{
    const int64_t K = static_cast<int64_t>(r.d.class_names.size());
    torch::manual_seed(r.cfg.downstream.seed);
    auto clf = classifier_for(r, init);
    std::vector<int64_t> train;
    if (percent >= 100) {
        train = r.parts.train;
    } else {
        // Per class, the first ceil(percent% of its count) of a seeded order.
        const auto perm = data::permutation(static_cast<int>(r.parts.train.size()),
                                            r.cfg.split_seed + 1000);
        std::vector<int64_t> have(static_cast<std::size_t>(K), 0), want(static_cast<std::size_t>(K), 0);
        for (auto i : r.parts.train)
            want[static_cast<std::size_t>(r.d.y[i].item<int64_t>())]++;
        for (auto& w : want)
            w = w ? std::max<int64_t>(1, static_cast<int64_t>(std::ceil(w * percent / 100.0))) : 0;
        for (int p : perm) {
            const auto i = r.parts.train[static_cast<std::size_t>(p)];
            const auto c = static_cast<std::size_t>(r.d.y[i].item<int64_t>());
            if (have[c] < want[c]) {
                ++have[c];
                train.push_back(i);
            }
        }
        std::sort(train.begin(), train.end());
    }
    if (init && r.cfg.finetune_start == "probe") {
        // LP-FT: the head starts as the linear probe on the frozen encoder's
        // representations of the same labelled windows, so the first steps
        // do not push a random head's gradients into the pre-trained encoder.
        // The standardised probe, whatever --probe says: it is the better fit
        // in the same epochs, and only a starting point here.
        const auto feats = embed_all(clf->encoder, r.imgs, r.dev);
        const auto probe = fit_probe(r, feats, train, r.parts.val, true, nullptr);
        if (probe.is_empty())
            return {};
        torch::NoGradGuard ng;
        clf->head->weight.copy_(probe->weight);
        clf->head->bias.copy_(probe->bias);
    }
    ClassifyTask task(*clf, [&](const torch::Tensor& x) { return clf->forward(x); }, r.imgs,
                      r.d.y, train, r.parts.val, r.dev, r.card.to_json());
    LoopOptions lo = r.cfg.downstream;
    lo.checkpoint.clear();
    lo.batch = std::min<int64_t>(lo.batch, std::max<int64_t>(2, static_cast<int64_t>(train.size())));
    const auto res = run(task, lo, r.dev, false, r.events, r.cancel);
    HeadResult h;
    h.completed = res.completed;
    if (!res.completed)
        return h;
    h.train_windows = static_cast<int64_t>(train.size());
    clf->eval();
    h.val = scores(to_vec(take(r.d.y, r.parts.val)), task.predict(r.parts.val), K);
    h.test_pred = task.predict(r.parts.test);
    h.test = scores(to_vec(take(r.d.y, r.parts.test)), h.test_pred, K);
    h.net = clf;
    return h;
}

torch::Device device_of(const TrlsTrainConfig& cfg) { return models::parse_device(cfg.device); }

double mean_of(const std::vector<double>& v)
{
    return v.empty() ? NAN : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}
std::vector<std::string> dense_labels(const std::vector<int>& labels, torch::Tensor& y,
                                      const std::vector<std::string>& given)
{
    std::set<int64_t> present;
    for (const int v : labels)
        present.insert(std::max(v, 0));
    std::map<int64_t, int64_t> index;
    std::vector<std::string> names;
    for (const int64_t v : present) {
        index[v] = static_cast<int64_t>(names.size());
        names.push_back(v < static_cast<int64_t>(given.size())
                            ? given[static_cast<std::size_t>(v)]
                            : std::to_string(v));
    }
    std::vector<int64_t> dense;
    dense.reserve(labels.size());
    for (const int v : labels)
        dense.push_back(index[std::max(v, 0)]);
    y = torch::tensor(dense, torch::kLong);
    return names;
}

double std_of(const std::vector<double>& v)
{
    if (v.size() < 2)
        return 0.0;
    const double m = mean_of(v);
    double s = 0;
    for (double x : v)
        s += (x - m) * (x - m);
    return std::sqrt(s / static_cast<double>(v.size() - 1));
}

} // namespace trls
} // namespace train
} // namespace tfmed
