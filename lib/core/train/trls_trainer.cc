/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <tfmed/data/datasets.h>
#include <tfmed/data/window_set.h>
#include <tfmed/data/windows.h>
#include <tfmed/io/atomic.h>
#include <tfmed/models/metrics.h>
#include <tfmed/models/trls_card.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/models/weights.h>
#include <tfmed/plot/figure.h>
#include <tfmed/train/distributed.h>
#include <tfmed/train/runtime.h>
#include <tfmed/train/trainer.h>
#include <tfmed/train/trls_trainer.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>
#include <stdexcept>

namespace tfmed {
namespace train {

using nlohmann::json;
namespace fs = std::filesystem;

TrlsTrainConfig::TrlsTrainConfig()
{
    auto adam = [](LoopOptions& l, double wd, int epochs, int64_t batch) {
        l.optimizer.name = "adam";
        l.optimizer.lr = 3e-4;
        l.optimizer.weight_decay = wd;
        l.optimizer.beta1 = 0.9;
        l.optimizer.beta2 = 0.99;
        l.epochs = epochs;
        l.batch = batch;
        l.select = "last";
    };
    adam(pretrain, 1e-4, 50, 32);
    pretrain.schedule.name = "constant";
    adam(downstream, 3e-4, 100, 128);
    downstream.schedule.name = "plateau";
    downstream.schedule.patience = 10;
    downstream.schedule.factor = 0.1;
    apply_data_defaults();
}

void TrlsTrainConfig::apply_data_defaults()
{
    arch.hop = 0;
    if (data == "mitdb")
        arch.n_fft = 128; // 3600 samples: a long series
    else
        arch.n_fft = 32;
    if (data == "basicmotions")
        arch.hop = 4; // 100 samples: 26 frames for K = 5
}

void TrlsTrainConfig::validate() const
{
    static const char* names[] = { "epilepsy", "epilepsy5", "mitdb", "ecg5000", "basicmotions" };
    if (std::find(std::begin(names), std::end(names), data) == std::end(names))
        throw std::invalid_argument("--data: expected epilepsy, epilepsy5, mitdb, ecg5000 or "
                                    "basicmotions, found '" + data + "'");
    if (scaling != "all" && scaling != "train" && scaling != "none")
        throw std::invalid_argument("--scaling: expected all, train or none, found '" +
                                    scaling + "'");
    if (!(tau >= 0 && tau <= 1))
        throw std::invalid_argument("--tau: expected 0 <= tau <= 1, found " + std::to_string(tau));
    if (!(negatives >= 0 && std::isfinite(negatives)))
        throw std::invalid_argument("--negatives: expected a finite weight >= 0, found " +
                                    std::to_string(negatives));
    if (max_windows < 0)
        throw std::invalid_argument("--max-windows: expected >= 0");
    if (head != "linear" && head != "finetune")
        throw std::invalid_argument("--head: expected linear or finetune, found '" + head + "'");
    view1.validate();
    view2.validate();
    pretrain.validate();
    downstream.validate();
}

namespace {

struct Labelled {
    torch::Tensor x; // (N, C, L) float
    torch::Tensor y; // (N) long
    std::vector<std::string> class_names, channel_names;
    double sample_rate = 0.0;
    std::string description;
};

Labelled load(const TrlsTrainConfig& cfg)
{
    const std::string dir = cfg.data_dir.empty() ? data::default_data_dir() : cfg.data_dir;
    data::LabelledSet s;
    if (cfg.data == "epilepsy" || cfg.data == "epilepsy5") {
        s = data::load_bonn_epilepsy178(dir);
        if (cfg.data == "epilepsy")
            s = data::binary_seizure(s);
    } else if (cfg.data == "mitdb") {
        s = data::load_mitdb_compiled(dir);
    } else if (cfg.data == "ecg5000") {
        s = data::load_ecg5000(dir, "TRAIN");
    } else {
        auto a = data::load_uea(dir, "BasicMotions", "TRAIN");
        auto b = data::load_uea(dir, "BasicMotions", "TEST", a.x.size(2));
        s = a;
        s.x = torch::cat({ a.x, b.x });
        s.y = torch::cat({ a.y, b.y });
    }
    Labelled d;
    d.x = s.x.to(torch::kFloat).contiguous();
    d.y = s.y.to(torch::kLong);
    d.class_names = s.class_names;
    d.sample_rate = s.sample_rate;
    for (int64_t c = 0; c < d.x.size(1); ++c)
        d.channel_names.push_back(d.x.size(1) == 1 ? "signal" : "ch" + std::to_string(c));
    d.description = cfg.data + ": " + std::to_string(d.x.size(0)) + " windows of " +
                    std::to_string(d.x.size(1)) + " x " + std::to_string(d.x.size(2)) + ", " +
                    std::to_string(d.class_names.size()) + " classes";
    if (!torch::isfinite(d.x).all().item<bool>())
        throw std::invalid_argument(cfg.data + ": a window holds NaN or Inf");
    if (cfg.max_windows > 0 && cfg.max_windows < d.x.size(0)) {
        // A seeded subset with every class kept in proportion (at least one each).
        const auto perm = data::permutation(static_cast<int>(d.x.size(0)), cfg.split_seed + 7);
        const auto counts = torch::bincount(d.y);
        std::vector<int64_t> quota(static_cast<std::size_t>(counts.size(0)));
        for (int64_t k = 0; k < counts.size(0); ++k)
            quota[static_cast<std::size_t>(k)] = std::max<int64_t>(
                1, counts[k].item<int64_t>() * cfg.max_windows / d.x.size(0));
        std::vector<int64_t> keep;
        for (int i : perm) {
            auto& q = quota[static_cast<std::size_t>(d.y[i].item<int64_t>())];
            if (q > 0) {
                --q;
                keep.push_back(i);
            }
        }
        std::sort(keep.begin(), keep.end());
        const auto idx = torch::tensor(keep, torch::kLong);
        d.x = d.x.index_select(0, idx).contiguous();
        d.y = d.y.index_select(0, idx);
        d.description += " (a class-proportional subset of " + std::to_string(keep.size()) + ")";
    }
    return d;
}

struct Parts {
    std::vector<int64_t> train, val, test;
    std::string name;
};

// TS-TCC: 20 % test, then 20 % of the rest validation; or fold k of `folds`.
Parts split(int64_t N, int folds, int k, uint64_t seed)
{
    const auto perm = data::permutation(static_cast<int>(N), seed);
    Parts p;
    if (folds <= 1) {
        const int64_t n_test = std::llround(N * 0.2);
        const int64_t n_val = std::llround((N - n_test) * 0.2);
        for (int64_t i = 0; i < N; ++i)
            (i < n_test ? p.test : (i < n_test + n_val ? p.val : p.train))
                .push_back(perm[static_cast<std::size_t>(i)]);
        p.name = "TS-TCC split (20 % test, 20 % of the rest validation)";
    } else {
        auto part_of = [&](int64_t i) { return static_cast<int>(i * folds / N); };
        for (int64_t i = 0; i < N; ++i) {
            const int q = part_of(i);
            (q == k ? p.test : (q == (k + 1) % folds ? p.val : p.train))
                .push_back(perm[static_cast<std::size_t>(i)]);
        }
        p.name = "fold " + std::to_string(k + 1) + " of " + std::to_string(folds);
    }
    for (auto* v : { &p.train, &p.val, &p.test })
        std::sort(v->begin(), v->end());
    if (p.train.size() < 2 || p.val.empty() || p.test.empty())
        throw std::invalid_argument("trls: " + std::to_string(N) +
                                    " windows are too few for a train / validation / test split");
    return p;
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

// ---------------------------------------------------------------- tasks

class PretrainTask : public Task
{
public:
    PretrainTask(models::Trls net, const torch::Tensor& imgs, std::vector<int64_t> train,
                 std::vector<int64_t> val, const TrlsTrainConfig& cfg, torch::Device dev,
                 models::TrlsCard& card)
        : net_(std::move(net)),
          imgs_(imgs),
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
    double validate() override
    {
        // Fixed views (seed 0) of the validation windows, BatchNorm on its
        // running statistics (eval mode).
        torch::NoGradGuard ng;
        double sum = 0;
        int64_t n = 0;
        for (std::size_t i = 0; i < val_.size(); i += 256) {
            std::vector<int64_t> ids(val_.begin() + static_cast<long>(i),
                                     val_.begin() + static_cast<long>(std::min(val_.size(), i + 256)));
            if (ids.size() < 2)
                break;
            sum += pair_loss(ids, 0).item<double>() * static_cast<double>(ids.size());
            n += static_cast<int64_t>(ids.size());
        }
        return n ? sum / static_cast<double>(n) : 0.0;
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
        const auto v1 = augment::view(x, cfg_.view1, seed, ids, 0).to(dev_);
        const auto v2 = augment::view(x, cfg_.view2, seed, ids, 1).to(dev_);
        return net_->loss(v1, v2, cfg_.negatives);
    }
    models::Trls net_;
    torch::Tensor imgs_;
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
        for (std::size_t i = 0; i < val_.size(); i += 256) {
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

TrlsScores scores(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred,
                  int64_t classes)
{
    TrlsScores s;
    s.n = static_cast<int64_t>(truth.size());
    s.accuracy = models::accuracy(truth, pred);
    s.macro_f1 = models::macro_f1(truth, pred, classes);
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

// Everything one split needs: data, images, the card's fixed part.
struct Run {
    const TrlsTrainConfig& cfg;
    const Labelled& d;
    Parts parts;
    models::TrlsCard card;
    torch::Tensor imgs;
    torch::Device dev;
    const EventSink& events;
    const std::atomic<bool>* cancel;
};

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
    fit_scaling(c, d, r.parts, cfg.scaling);
    c.pretraining_json = json{ { "view1", cfg.view1.to_string() },
                               { "view2", cfg.view2.to_string() },
                               { "tau", cfg.tau },
                               { "negatives", cfg.negatives } }
                             .dump();
    c.data_json = json{ { "data", cfg.data },
                        { "split", r.parts.name },
                        { "split_seed", cfg.split_seed },
                        { "scaling", cfg.scaling },
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
    if (!resume && !checkpoint.empty() && dist::is_writer())
        fs::remove(checkpoint);
    PretrainTask task(net, r.imgs, r.parts.train, r.parts.val, r.cfg, r.dev, r.card);
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

struct HeadResult {
    TrlsScores val, test;
    std::vector<int64_t> test_pred;
    bool completed = false;
    models::TrlsClassifier net{ nullptr }; //!< the fine-tuned network (tune())
};

// Linear evaluation: a Linear head on frozen representations.
HeadResult linear_head(Run& r, models::TrlsClassifier& clf, const torch::Tensor& test_imgs)
{
    const int64_t K = static_cast<int64_t>(r.d.class_names.size());
    const auto feats = embed_all(clf->encoder, r.imgs, r.dev);
    torch::manual_seed(r.cfg.downstream.seed);
    clf->head = clf->replace_module("head", torch::nn::Linear(r.card.arch.embedding(), K));
    clf->head->to(r.dev);
    auto head = clf->head;
    ClassifyTask task(*head, [&](const torch::Tensor& f) { return head->forward(f); }, feats,
                      r.d.y, r.parts.train, r.parts.val, r.dev, r.card.to_json());
    LoopOptions lo = r.cfg.downstream;
    lo.checkpoint.clear();
    const auto res = run(task, lo, r.dev, false, r.events, r.cancel);
    HeadResult h;
    h.completed = res.completed;
    if (!res.completed)
        return h;
    const auto truth_val = to_vec(take(r.d.y, r.parts.val));
    h.val = scores(truth_val, task.predict(r.parts.val), K);
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

// Fine-tuning (encoder from `init`) or the supervised baseline (init null)
// on `percent` of the training part (class-proportional, seeded).
HeadResult tune(Run& r, const models::Tfrnn& init, double percent)
{
    const int64_t K = static_cast<int64_t>(r.d.class_names.size());
    auto arch = r.card.arch;
    arch.num_class = K;
    torch::manual_seed(r.cfg.downstream.seed);
    auto clf = classifier_from(init, arch);
    clf->to(r.dev);
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
    clf->eval();
    h.val = scores(to_vec(take(r.d.y, r.parts.val)), task.predict(r.parts.val), K);
    h.test_pred = task.predict(r.parts.test);
    h.test = scores(to_vec(take(r.d.y, r.parts.test)), h.test_pred, K);
    h.net = clf;
    return h;
}

torch::Device device_of(const TrlsTrainConfig& cfg) { return models::parse_device(cfg.device); }

void finished(const EventSink& events, const std::string& path, const std::string& summary,
              int epochs)
{
    if (!events)
        return;
    Event ev;
    ev.kind = Event::Kind::finished;
    ev.epoch = ev.epochs = epochs;
    ev.path = path;
    ev.message = summary;
    events(ev);
}

} // namespace

namespace {
TrlsTrainResult fit(const TrlsTrainConfig& cfg, const Labelled& d, bool head,
                    const EventSink& events, const std::atomic<bool>* cancel);
} // namespace

TrlsTrainResult train_trls(const TrlsTrainConfig& cfg_in, const EventSink& events,
                           const std::atomic<bool>* cancel)
{
    TrlsTrainConfig cfg = cfg_in;
    set_threads(cfg.threads);
    cfg.validate();
    io::check_writable(cfg.out);
    return fit(cfg, load(cfg), true, events, cancel);
}

TrlsTrainResult train_trls_windows(const TrlsTrainConfig& cfg_in, const float* windows,
                                   int64_t n, int64_t length, int64_t channels,
                                   const std::vector<int>& labels, double sample_rate,
                                   const EventSink& events, const std::atomic<bool>* cancel)
{
    TrlsTrainConfig cfg = cfg_in;
    set_threads(cfg.threads);
    cfg.validate();
    io::check_writable(cfg.out);
    if (n < 5)
        throw std::invalid_argument("trainer: TRLS needs at least 5 windows (train, validation, "
                                    "test), found " + std::to_string(n));
    if (static_cast<int64_t>(labels.size()) != n)
        throw std::invalid_argument("trainer: expected " + std::to_string(n) + " labels, found " +
                                    std::to_string(labels.size()));
    Labelled d;
    d.x = torch::from_blob(const_cast<float*>(windows), { n, length, channels })
              .permute({ 0, 2, 1 })
              .contiguous()
              .clone();
    if (!torch::isfinite(d.x).all().item<bool>())
        throw std::invalid_argument("trainer: a window holds NaN or Inf; TRLS trains on finite "
                                    "samples only");
    d.y = torch::tensor(std::vector<int64_t>(labels.begin(), labels.end()), torch::kLong).clamp_min(0);
    const int64_t K = d.y.max().item<int64_t>() + 1;
    for (int64_t k = 0; k < K; ++k)
        d.class_names.push_back(std::to_string(k));
    for (int64_t c = 0; c < channels; ++c)
        d.channel_names.push_back(channels == 1 ? "signal" : "ch" + std::to_string(c));
    d.sample_rate = sample_rate;
    d.description = "flowgraph: " + std::to_string(n) + " windows of " + std::to_string(channels) +
                    " x " + std::to_string(length);
    cfg.data = "flowgraph";
    // A head needs labels: two classes or more.
    return fit(cfg, d, K >= 2, events, cancel);
}

namespace {

TrlsTrainResult fit(const TrlsTrainConfig& cfg, const Labelled& d, bool with_head,
                    const EventSink& events, const std::atomic<bool>* cancel)
{
    const auto dev = device_of(cfg);
    // (In a distributed run rank 0 alone writes, so it alone holds the lock.)
    std::optional<io::OutputLock> lock;
    if (dist::is_writer())
        lock.emplace(cfg.out, "training TRLS into " + cfg.out);
    auto r = prepare(cfg, d, split(d.x.size(0), 1, 0, cfg.split_seed), dev, events, cancel);
    const std::string ckpt = cfg.out + ".ckpt";
    TrlsTrainResult out;
    out.checkpoint = ckpt;
    out.train_windows = static_cast<int64_t>(r.parts.train.size());
    out.val_windows = static_cast<int64_t>(r.parts.val.size());
    out.test_windows = static_cast<int64_t>(r.parts.test.size());
    if (cfg.resume) {
        if (!fs::exists(ckpt))
            throw std::runtime_error("--resume: no checkpoint " + ckpt);
        const auto was = models::TrlsCard::from_json(models::read_model_file(ckpt, false).card_json);
        const auto a = json::parse(was.to_json()), b = json::parse(r.card.to_json());
        for (const char* sec : { "architecture", "data", "scaling", "pretraining" })
            if (a[sec] != b[sec])
                throw std::invalid_argument(ckpt + ": --resume continues a run with its data "
                                                   "and settings; its '" + std::string(sec) +
                                            "' differs: " + a[sec].dump() + " -> " +
                                            b[sec].dump());
    }
    LoopResult pre;
    auto enc = pretrain(r, ckpt, cfg.resume, &pre);
    out.pretrain_epochs = pre.epochs_done;
    out.pretrain_val_loss = pre.best_metric;
    if (!enc)
        return out;
    if (!with_head) {
        // Pre-training only: the encoder is the model.
        auto card = r.card;
        card.metrics_json = json{ { "pretrain_val_byol_loss", pre.best_metric } }.dump();
        card.training_json = json{ { "pretraining", json::parse(pre.training_json) },
                                   { "device", dev.str() },
                                   { "threads", at::get_num_threads() } }
                                 .dump();
        auto clf = classifier_from(enc, card.arch);
        if (dist::is_writer()) // rank 0 alone writes (distributed.h)
            models::save_trls(cfg.out, card, clf);
        out.completed = true;
        out.model_path = cfg.out;
        out.parameters = models::count_parameters(*clf);
        out.summary = "model " + cfg.out + ": the pre-trained encoder (" +
                      std::to_string(out.parameters) + " parameters; no labels, no head)";
        finished(events, cfg.out, out.summary, pre.epochs_done);
        return out;
    }
    auto arch = r.card.arch;
    arch.num_class = static_cast<int64_t>(d.class_names.size());
    auto clf = classifier_from(enc, arch);
    clf->to(dev);
    const bool finetune = cfg.head == "finetune";
    const auto h = finetune ? tune(r, enc, 100) : linear_head(r, clf, take(r.imgs, r.parts.test));
    if (!h.completed)
        return out;
    if (finetune)
        clf = h.net;
    auto card = r.card;
    card.arch = arch;
    card.class_names = d.class_names;
    card.metrics_json = json{ { "protocol", finetune
                                                ? "fine-tuned (encoder and head on every "
                                                  "training label)"
                                                : "linear evaluation (frozen encoder, eval mode)" },
                              { "pretrain_val_byol_loss", pre.best_metric },
                              { "val", scores_json(h.val) },
                              { "test", scores_json(h.test) } }
                            .dump();
    card.training_json = json{ { "pretraining", json::parse(pre.training_json) },
                               { "device", dev.str() },
                               { "threads", at::get_num_threads() } }
                             .dump();
    clf->to(torch::kCPU);
    if (dist::is_writer()) // rank 0 alone writes (distributed.h)
        models::save_trls(cfg.out, card, clf);
    out.completed = true;
    out.model_path = cfg.out;
    out.val = h.val;
    out.test = h.test;
    out.parameters = models::count_parameters(*clf);
    char line[400];
    std::snprintf(line, sizeof line,
                  "model %s: %lld parameters; %s on %lld test windows: accuracy "
                  "%.2f %%, macro-F1 %.2f %% (validation %.2f %%)",
                  cfg.out.c_str(), static_cast<long long>(out.parameters),
                  finetune ? "fine-tuned" : "linear evaluation",
                  static_cast<long long>(h.test.n), 100 * h.test.accuracy, 100 * h.test.macro_f1,
                  100 * h.val.accuracy);
    out.summary = line;
    finished(events, cfg.out, out.summary, pre.epochs_done);
    return out;
}

double mean_of(const std::vector<double>& v)
{
    return v.empty() ? NAN : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
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

// Test windows with `percent` % of samples set to 0 (seeded), or white noise
// at `snr_db` (per window: noise power = signal power / 10^(snr/10)).
torch::Tensor corrupt(const torch::Tensor& x, const std::string& kind, double v, uint64_t seed)
{
    auto gen = at::detail::createCPUGenerator(seed);
    if (kind == "sparsity") {
        const auto keep = torch::rand(x.sizes(), gen) >= v / 100.0;
        return x * keep.to(x.scalar_type());
    }
    const auto centred = x - x.mean(-1, true);
    const auto p = centred.pow(2).mean({ 1, 2 }, true);
    const auto sd = torch::sqrt(p / std::pow(10.0, v / 10.0));
    return x + torch::randn(x.sizes(), gen) * sd;
}

// PCA to 2-D of the test embeddings, coloured by class.
void embedding_figure(const torch::Tensor& emb, const std::vector<int64_t>& y,
                      const std::vector<std::string>& names, const std::string& path,
                      const std::string& title)
{
    auto e = emb.to(torch::kDouble);
    e = e - e.mean(0, true);
    const auto svd = torch::linalg_svd(e, false);
    const auto xy = torch::matmul(e, std::get<2>(svd).narrow(0, 0, 2).t());
    static const plot::Rgb colors[] = { { 31, 119, 180 }, { 214, 39, 40 }, { 44, 160, 44 },
                                        { 255, 127, 14 }, { 148, 103, 189 }, { 140, 86, 75 } };
    plot::Panel p;
    p.title = title;
    p.xlabel = "principal component 1";
    p.ylabel = "principal component 2";
    for (std::size_t k = 0; k < names.size(); ++k) {
        plot::Series s;
        s.color = colors[k % 6];
        s.label = names[k];
        s.points = true;
        for (std::size_t i = 0; i < y.size(); ++i)
            if (static_cast<std::size_t>(y[i]) == k) {
                s.x.push_back(xy[static_cast<int64_t>(i)][0].item<double>());
                s.y.push_back(xy[static_cast<int64_t>(i)][1].item<double>());
            }
        p.series.push_back(s);
    }
    plot::save_figure({ p }, path, "", 900, 620);
}

} // namespace

TrlsEvalResult evaluate_trls(const TrlsTrainConfig& cfg_in, const TrlsEvalSpec& spec,
                             const EventSink& events, const std::atomic<bool>* cancel)
{
    TrlsTrainConfig cfg = cfg_in;
    set_threads(cfg.threads);
    cfg.validate();
    if (spec.folds < 1 || spec.folds > 20)
        throw std::invalid_argument("--folds: expected 1 .. 20, found " + std::to_string(spec.folds));
    for (double p : spec.finetune_percent)
        if (!(p > 0 && p <= 100))
            throw std::invalid_argument("--finetune: expected label percentages in (0, 100], "
                                        "found " + std::to_string(p));
    for (double p : spec.sparsity_percent)
        if (!(p >= 0 && p < 100))
            throw std::invalid_argument("--sparsity: expected percentages in [0, 100), found " +
                                        std::to_string(p));
    for (double s : spec.snr_db)
        if (!std::isfinite(s))
            throw std::invalid_argument("--snr: expected finite dB values");
    if (!spec.linear && !spec.supervised && spec.finetune_percent.empty())
        throw std::invalid_argument("eval trls: expected --linear, --finetune or --supervised");
    const int last = spec.last_fold < 0 ? spec.folds - 1 : spec.last_fold;
    if (spec.first_fold < 0 || spec.first_fold > last || last >= spec.folds)
        throw std::invalid_argument("--fold: expected folds within 1 .. " +
                                    std::to_string(spec.folds));
    fs::create_directories(spec.out_dir);
    const auto dev = device_of(cfg);
    const auto d = load(cfg);
    const int64_t K = static_cast<int64_t>(d.class_names.size());
    json folds = json::array(), arch_json;
    std::map<std::string, std::vector<double>> acc, f1;
    TrlsEvalResult result;
    for (int k = spec.first_fold; k <= last; ++k) {
        auto r = prepare(cfg, d, split(d.x.size(0), spec.folds, k, cfg.split_seed), dev, events,
                         cancel);
        arch_json = json::parse(r.card.to_json())["architecture"];
        json fj = { { "fold", k + 1 }, { "split", r.parts.name },
                    { "train", r.parts.train.size() }, { "val", r.parts.val.size() },
                    { "test", r.parts.test.size() } };
        auto record = [&](const std::string& mode, const HeadResult& h) {
            fj[mode] = { { "val", scores_json(h.val) }, { "test", scores_json(h.test) } };
            acc[mode].push_back(h.test.accuracy);
            f1[mode].push_back(h.test.macro_f1);
        };
        models::Tfrnn enc(nullptr);
        if (spec.linear || !spec.finetune_percent.empty()) {
            LoopResult pre;
            enc = pretrain(r, "", false, &pre);
            if (!enc)
                break;
            fj["pretrain_val_byol_loss"] = pre.best_metric;
        }
        if (spec.linear) {
            auto arch = r.card.arch;
            arch.num_class = K;
            auto clf = classifier_from(enc, arch);
            clf->to(dev);
            const auto test_x = take(d.x, r.parts.test);
            const auto h = linear_head(r, clf, take(r.imgs, r.parts.test));
            if (!h.completed)
                break;
            record("linear", h);
            const auto truth = to_vec(take(d.y, r.parts.test));
            auto robust = [&](const std::string& kind, double v) {
                const auto imgs = images_of(r.card, corrupt(test_x, kind, v, 77 + k));
                torch::NoGradGuard ng;
                const auto emb = embed_all(clf->encoder, imgs, dev);
                const auto pred = to_vec(clf->head->forward(emb.to(dev)).argmax(1));
                const auto s = scores(truth, pred, K);
                char key[64];
                std::snprintf(key, sizeof key, "linear_%s_%g", kind.c_str(), v);
                fj[key] = scores_json(s);
                acc[key].push_back(s.accuracy);
                f1[key].push_back(s.macro_f1);
            };
            for (double p : spec.sparsity_percent)
                robust("sparsity", p);
            for (double s : spec.snr_db)
                robust("snr", s);
            if (k == spec.first_fold) {
                const auto emb = embed_all(clf->encoder, take(r.imgs, r.parts.test), dev);
                const std::string png = spec.out_dir + "/trls_" + cfg.data + "_embedding.png";
                embedding_figure(emb, truth, d.class_names, png,
                                 "TRLS representations of the test windows (" + cfg.data +
                                     ", " + r.parts.name + "), PCA");
                result.figures.push_back(png);
            }
        }
        for (double p : spec.finetune_percent) {
            const auto h = tune(r, enc, p);
            if (!h.completed)
                break;
            char key[32];
            std::snprintf(key, sizeof key, "finetune_%g", p);
            record(key, h);
        }
        if (spec.supervised) {
            const auto h = tune(r, models::Tfrnn(nullptr), 100);
            if (!h.completed)
                break;
            record("supervised", h);
        }
        folds.push_back(fj);
        if (cancel && cancel->load())
            break;
    }
    json summary = json::object();
    std::string table = "mode                      accuracy %          macro-F1 %       folds\n";
    for (const auto& [mode, a] : acc) {
        summary[mode] = { { "accuracy_mean", mean_of(a) }, { "accuracy_std", std_of(a) },
                          { "macro_f1_mean", mean_of(f1[mode]) },
                          { "macro_f1_std", std_of(f1[mode]) }, { "folds", a.size() } };
        char line[200];
        std::snprintf(line, sizeof line, "%-24s %7.2f +- %-6.2f    %7.2f +- %-6.2f  %zu\n",
                      mode.c_str(), 100 * mean_of(a), 100 * std_of(a), 100 * mean_of(f1[mode]),
                      100 * std_of(f1[mode]), a.size());
        table += line;
    }
    if (spec.finetune_percent.size() > 1 || (spec.finetune_percent.size() == 1 && spec.linear)) {
        plot::Panel p;
        p.title = "TRLS fine-tuning on " + cfg.data + ": test accuracy vs labelled fraction";
        p.xlabel = "labelled training windows (%)";
        p.ylabel = "accuracy (%)";
        plot::Series s;
        s.label = "fine-tuned (mean over folds)";
        s.color = { 31, 119, 180 };
        s.width = 2.0;
        for (double q : spec.finetune_percent) {
            char key[32];
            std::snprintf(key, sizeof key, "finetune_%g", q);
            if (acc.count(key)) {
                s.x.push_back(q);
                s.y.push_back(100 * mean_of(acc[key]));
            }
        }
        p.series.push_back(s);
        if (acc.count("supervised")) {
            plot::Series b;
            b.label = "supervised, 100 % labels";
            b.color = { 214, 39, 40 };
            b.x = { 0.0, 100.0 };
            b.y = { 100 * mean_of(acc["supervised"]), 100 * mean_of(acc["supervised"]) };
            p.series.push_back(b);
        }
        const std::string png = spec.out_dir + "/trls_" + cfg.data + "_label_fraction.png";
        plot::save_figure({ p }, png, "", 900, 420);
        result.figures.push_back(png);
    }
    json all = { { "data", cfg.data },
                 { "description", d.description },
                 { "architecture", arch_json },
                 { "scaling", cfg.scaling },
                 { "pretrain_epochs", cfg.pretrain.epochs },
                 { "downstream_epochs", cfg.downstream.epochs },
                 { "folds", spec.folds },
                 { "per_fold", folds },
                 { "summary", summary } };
    result.json = all.dump(1);
    result.summary = table;
    return result;
}

} // namespace train
} // namespace tfmed
