/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tfmed train / eval trls`: options in, printing and files out; the work is
 * in the core (tfmed::train::train_trls, tfmed::train::evaluate_trls).
 */
#include "cli.h"
#include "common.h"
#include "launch.h"
#include "progress_view.h"
#include "twin.h"

#include <tfmed/engine/serve.h>
#include <tfmed/eval/trls_bench.h>

#include <tfmed/train/distributed.h>
#include <tfmed/train/trls_trainer.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <memory>

namespace tfmed {
namespace apps {

using nlohmann::json;

namespace {

struct TrlsArgs {
    DistArgs dist; //!< --nproc and the world (launch.h)
    train::TrlsTrainConfig cfg;
    train::TrlsEvalSpec spec;
    std::string json;
    bool finetune = false;
    int fold = 0; //!< 1-based; 0 = every fold
};

// The options `train trls` and `eval trls` share.
void add_common(CLI::App* c, TrlsArgs& a)
{
    auto& cfg = a.cfg;
    c->add_option("--data", cfg.data, "epilepsy (seizure vs rest), epilepsy5 (Z/O/N/F/S), mitdb, "
                                      "ecg5000 or basicmotions")
        ->capture_default_str();
    c->add_option("--data-dir", cfg.data_dir,
                  "Folder of the named data sets (default $TFMED_DATA_DIR or ../shared/data)");
    c->add_option("--scaling", cfg.scaling,
                  "Min-max per time index fitted on all windows (all, TS-TCC), on the training "
                  "part (train) or none; auto: all for epilepsy split by windows (TS-TCC's "
                  "protocol), none for several channels, else train")
        ->check(CLI::IsMember({ "auto", "all", "train", "none" }))
        ->capture_default_str();
    c->add_option("--split", cfg.split,
                  "Deal windows into train / validation / test one by one (windows, TS-TCC), "
                  "class by class (stratified), or as whole recordings class by class "
                  "(recording: epilepsy, epilepsy5)")
        ->check(CLI::IsMember({ "windows", "stratified", "recording" }))
        ->capture_default_str();
    c->add_option("--split-seed", cfg.split_seed)->check(kSeed)->capture_default_str();
    c->add_option("--max-windows", cfg.max_windows,
                  "At most this many windows, every class in proportion (smoke runs)")
        ->check(int_range(0, 1LL << 40));
    c->add_option("--n-fft", cfg.arch.n_fft, "FFT size (default 32; 128 for mitdb)")
        ->check(int_range(2, 8192));
    c->add_option("--hop", cfg.arch.hop, "Frame advance (0 = n_fft / 4; default: n_fft / 4, 4 for basicmotions)")->check(int_range(0, 8192));
    c->add_option("--rnn", cfg.arch.rnn, "lstm, gru, rnn or tcn")
        ->check(CLI::IsMember({ "lstm", "gru", "rnn", "tcn" }))
        ->capture_default_str();
    c->add_option("--multichannel", cfg.arch.multichannel, "stack (bins stacked) or features")
        ->check(CLI::IsMember({ "stack", "features" }));
    c->add_option("--freq-norm", cfg.arch.freq_norm,
                  "The frequency path's LayerNorm: bins (over each frame's bins) or time (over "
                  "each bin's frames, models made before this option)")
        ->check(CLI::IsMember({ "bins", "time" }))
        ->capture_default_str();
    c->add_option("--image-norm", cfg.arch.image_norm,
                  "Image scaling after log1p: window (min-max per window) or dataset (bounds "
                  "from the training images; keeps relative amplitude)")
        ->check(CLI::IsMember({ "window", "dataset" }))
        ->capture_default_str();
    c->add_option("--hidden", cfg.arch.hidden)->check(int_range(1, 4096))->capture_default_str();
    c->add_option("--blocks", cfg.arch.blocks)->check(int_range(1, 16))->capture_default_str();
    c->add_option("--f-h", cfg.arch.f_h)->check(int_range(1, 4096))->capture_default_str();
    c->add_option("--scales", cfg.arch.scales, "K, time pyramid scales")
        ->check(int_range(1, 16))
        ->capture_default_str();
    c->add_option("--dropout", cfg.arch.dropout)->check(number_check(
        [](double v) { return v >= 0 && v < 1; }, "a fraction in [0, 1)", "FRACTION"));
    c->add_option("--tau", cfg.tau, "EMA rate of the target network")->check(kFraction)
        ->capture_default_str();
    c->add_option("--negatives", cfg.negatives, "Weight of an InfoNCE term (the ablation; 0 = off)")
        ->check(kFiniteNonNegative);
    c->add_option("--brightness", cfg.view1.brightness,
                  "ColorJitter brightness strength of view 1: factor ~ U[1 - B, 1 + B] "
                  "(0 = off)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    c->add_option("--contrast", cfg.view1.contrast,
                  "ColorJitter contrast strength of view 1 (0 = off)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    c->add_option("--blur-kernel", cfg.view2.blur_kernel, "Gaussian blur kernel of view 2")
        ->check(int_range(1, 31));
    c->add_option("--time-mask", cfg.view1.time_mask,
                  "Widest time mask in frames, both views (0 = none)")
        ->check(int_range(0, 1 << 20));
    c->add_option("--freq-mask", cfg.view1.freq_mask,
                  "Widest frequency mask in bins, both views (0 = none)")
        ->check(int_range(0, 1 << 20));
    c->add_option("--epochs", cfg.pretrain.epochs, "Pre-training epochs")
        ->check(int_range(1, 100000))
        ->capture_default_str();
    c->add_option("--batch", cfg.pretrain.batch, "Pre-training batch")
        ->check(int_range(2, 1 << 20))
        ->capture_default_str();
    c->add_option("--lr", cfg.pretrain.optimizer.lr, "Pre-training learning rate")
        ->check(kFinitePositive);
    c->add_option("--head-epochs", cfg.downstream.epochs,
                  "Epochs of the linear head / fine-tuning")
        ->check(int_range(1, 100000))
        ->capture_default_str();
    c->add_option("--head-batch", cfg.downstream.batch)->check(int_range(1, 1 << 20));
    c->add_option("--probe", cfg.probe,
                  "Linear evaluation's input: raw (TS-TCC's protocol) or standardised "
                  "(features scaled by the training part's mean and std, folded into the head)")
        ->check(CLI::IsMember({ "raw", "standardised" }))
        ->capture_default_str();
    c->add_option("--finetune-start", cfg.finetune_start,
                  "Fine-tuning's head: random (TS-TCC) or probe (LP-FT: the standardised "
                  "linear probe first, then encoder and head)")
        ->check(CLI::IsMember({ "random", "probe" }))
        ->capture_default_str();
    c->add_option("--seed", cfg.pretrain.seed)->check(kSeed)->capture_default_str();
    c->add_option("--device", cfg.device)->check(kDeviceName)->capture_default_str();
    c->add_option("--threads", cfg.threads, "Intra-op threads (0 = all cores)")
        ->check(int_range(0, kMaxThreads));
    c->add_option("--json", a.json, "Results as JSON");
}

// Options that apply to both views and the downstream seed.
void finish(TrlsArgs& a, CLI::App* c)
{
    auto& cfg = a.cfg;
    const auto chosen = cfg.arch;
    cfg.apply_data_defaults();
    if (c->count("--n-fft"))
        cfg.arch.n_fft = chosen.n_fft;
    if (c->count("--hop"))
        cfg.arch.hop = chosen.hop;
    cfg.view2.time_mask = cfg.view1.time_mask;
    cfg.view2.freq_mask = cfg.view1.freq_mask;
    cfg.downstream.seed = cfg.pretrain.seed;
}

int train_trls(TrlsArgs& a)
{
    return run_training(a.dist, a.cfg.device, [&] {
        check_outputs({ a.json, a.cfg.out }, {});
        const auto r = train::train_trls(a.cfg, world_progress(), training_cancel());
        if (!train::dist::is_writer())
            return 0;
        note_unwritten(r.completed, { a.json });
        if (!r.completed)
            return 0;
        std::printf("%s\n", r.summary.c_str());
        if (!a.json.empty()) {
            json j = { { "model", r.model_path },
                       { "data", a.cfg.data },
                       { "parameters", r.parameters },
                       { "pretrain_epochs", r.pretrain_epochs },
                       { "pretrain_val_byol_loss", r.pretrain_val_loss },
                       { "windows", { { "train", r.train_windows }, { "val", r.val_windows },
                                      { "test", r.test_windows } } },
                       { "val", { { "accuracy", r.val.accuracy }, { "macro_f1", r.val.macro_f1 } } },
                       { "test", { { "accuracy", r.test.accuracy }, { "macro_f1", r.test.macro_f1 } } } };
            write_atomically(a.json, j.dump(1) + "\n");
        }
        return 0;
    });
}

int eval_trls(TrlsArgs& a)
{
    if (!a.json.empty())
        check_writable(a.json);
    if (a.fold > 0) {
        if (a.fold > a.spec.folds)
            throw std::invalid_argument("--fold: expected 1 .. " + std::to_string(a.spec.folds) +
                                        ", found " + std::to_string(a.fold));
        a.spec.first_fold = a.spec.last_fold = a.fold - 1;
    }
    auto view = std::make_shared<ProgressView>();
    const auto r = train::evaluate_trls(a.cfg, a.spec, [view](const train::Event& e) { (*view)(e); });
    // --supervised and --random-init alone pre-train nothing.
    const std::string pre =
        a.spec.pretrains() ? "pre-training " + std::to_string(a.cfg.pretrain.epochs) + " epochs, " : "";
    std::printf("TRLS on %s (%d-fold, %shead %d epochs), test scores:\n%s", a.cfg.data.c_str(),
                a.spec.folds, pre.c_str(), a.cfg.downstream.epochs, r.summary.c_str());
    for (const auto& f : r.figures)
        std::printf("figure: %s\n", f.c_str());
    if (!a.json.empty())
        write_atomically(a.json, r.json + "\n");
    return 0;
}

struct BenchArgs {
    train::TrlsTrainConfig cfg; // data and architecture options
    eval::TrlsBenchConfig bench;
    std::string twin, python = "/usr/bin/python3", json;
    bool no_twin = false;
    int rounds = 1;
};

int bench_trls(BenchArgs& a)
{
    if (!a.json.empty())
        check_writable(a.json);
    // The window shapes of the named data sets.
    auto& o = a.bench.arch;
    o = a.cfg.arch;
    const auto& d = a.cfg.data;
    o.channels = d == "basicmotions" ? 6 : 1;
    o.length = d == "mitdb" ? 3600 : d == "ecg5000" ? 140 : d == "basicmotions" ? 100 : 178;
    o.num_class = d == "epilepsy" ? 2 : (d == "basicmotions" ? 4 : 5);
    o.validate();
    std::printf("TRLS encoder for %s: %s; %d thread(s), %s\n", d.c_str(), o.to_string().c_str(),
                a.bench.threads, a.bench.device.c_str());
    engine::tune_allocator(); // the engines' (and the twin's) allocator settings
    const auto r = eval::bench_trls(a.bench);
    std::string why;
    const auto twin = twin_for(
        a.no_twin, r.device, a.twin, "bench_trls_twin.py", a.python,
        { { "arch",
            { { "channels", o.channels }, { "length", o.length }, { "n_fft", o.n_fft },
              { "hop", o.effective_hop() }, { "multichannel", o.multichannel }, { "rnn", o.rnn },
              { "freq_norm", o.freq_norm }, { "hidden", o.hidden }, { "blocks", o.blocks },
              { "f_h", o.f_h }, { "scales", o.scales }, { "dropout", o.dropout },
              { "proj_hidden", o.proj_hidden }, { "proj_out", o.proj_out },
              { "num_class", o.num_class } } },
          { "threads", a.bench.threads },
          { "seconds", a.bench.seconds },
          { "batches", a.bench.batches },
          { "train_batch", a.bench.train_batch } },
        r.parameters, why);
    std::printf("%lld parameters (encoder + head), %.4f GFLOP per window forward (RNN gates, "
                "linear maps, the reduction)\n",
                static_cast<long long>(r.parameters), r.forward_gflop);
    json out = { { "data", d },
                 { "threads", a.bench.threads },
                 { "parameters", r.parameters },
                 { "forward_gflop_per_window", r.forward_gflop } };
    BenchRows rows;
    rows.batches = a.bench.batches;
    rows.windows_per_s = r.windows_per_s;
    rows.train_step_s = r.train_step_s;
    rows.train_batch = a.bench.train_batch;
    rows.gflop_per_window = r.forward_gflop;
    rows.forward_label = "encoder";
    rows.step_label = "pre-training step";
    const json tw = alternate_rounds(
        a.rounds, rows, cpp_rounds([&a] { return eval::bench_trls(a.bench); }), twin, out);
    print_bench(rows, tw, why, out);
    if (!r.libtorch_lstm_windows_per_s.empty()) {
        // The same C++ network with LibTorch's LSTM: what the fused recurrence gives.
        std::printf("C++ with LibTorch's LSTM in place of the fused recurrence:");
        for (std::size_t i = 0; i < a.bench.batches.size(); ++i) {
            const double u = r.libtorch_lstm_windows_per_s[i];
            std::printf(" batch %lld %.1f w/s (fused %.2fx);",
                        static_cast<long long>(a.bench.batches[i]), u, r.windows_per_s[i] / u);
            out["cpp_libtorch_lstm"]["forward"][std::to_string(a.bench.batches[i])] = u;
        }
        std::printf(" step %.4f s (fused %.2fx)\n", r.libtorch_lstm_train_step_s,
                    r.libtorch_lstm_train_step_s / r.train_step_s);
        out["cpp_libtorch_lstm"]["train_step_s"] = r.libtorch_lstm_train_step_s;
    }
    if (!a.json.empty())
        write_atomically(a.json, out.dump(1) + "\n");
    return 0;
}

} // namespace

void add_trls_commands(Cli& cli)
{
    auto ta = std::make_shared<TrlsArgs>();
    auto* t = cli.train->add_subcommand(
        "trls", "TRLS: self-supervised pre-training of the TFRNN encoder on augmented "
                "spectrograms (BYOL, EMA target), then a linear head; writes the encoder + head");
    add_common(t, *ta);
    t->add_option("-o,--out", ta->cfg.out, "Model file (the checkpoint is OUT.ckpt)")
        ->capture_default_str();
    t->add_option("--head", ta->cfg.head,
                  "After pre-training: linear (frozen encoder) or finetune (encoder and head)")
        ->check(CLI::IsMember({ "linear", "finetune" }))
        ->capture_default_str();
    t->add_flag("--resume", ta->cfg.resume, "Continue the pre-training from OUT.ckpt");
    t->add_flag("--allow-changed-settings", ta->cfg.pretrain.allow_changed_settings,
                "With --resume: apply changed optimisation settings from where the checkpoint left off");
    t->add_option("--stop-after", ta->cfg.pretrain.stop_after,
                  "Stop the pre-training after this many epochs (continue with --resume)")
        ->check(int_range(0, 100000));
    add_dist_options(t, ta->dist);
    cli.on(t, [ta, t] {
        refuse_unless(t, { "--allow-changed-settings" }, ta->cfg.resume, "only with --resume");
        finish(*ta, t);
        // The head's options are refused where they do not apply, not ignored.
        const bool linear = ta->cfg.head == "linear";
        if (linear && t->count("--finetune-start"))
            throw std::invalid_argument("--finetune-start: only with --head finetune");
        if (!linear && t->count("--probe"))
            throw std::invalid_argument("--probe: only with --head linear (fine-tuning's "
                                        "probe start is the standardised one)");
        return train_trls(*ta);
    });

    auto ea = std::make_shared<TrlsArgs>();
    auto* e = cli.eval->add_subcommand(
        "trls", "TRLS evaluations with k-fold cross-validation: linear evaluation (TS-TCC "
                "protocol), fine-tuning with a fraction of labels, the supervised baseline, "
                "robustness to dropped samples and noise; mean +- std, JSON, PNG");
    add_common(e, *ea);
    e->add_flag("--linear", ea->spec.linear, "Linear evaluation of the frozen encoder");
    e->add_option("--finetune", ea->spec.finetune_percent,
                  "Fine-tune with these percentages of labelled training windows, e.g. "
                  "1,5,10,50,75,100")
        ->delimiter(',')
        ->check(number_check([](double v) { return v > 0 && v <= 100; }, "a percentage in (0, 100]",
                             "PERCENT"));
    e->add_flag("--supervised", ea->spec.supervised,
                "The same network trained from scratch on every training label");
    e->add_flag("--random-init", ea->spec.random_init,
                "Linear evaluation of the untrained encoder (TS-TCC's random_init baseline)");
    e->add_option("--folds", ea->spec.folds, "Cross-validation folds (6:2:2 at 5; 1 = the TS-TCC "
                                             "split)")
        ->check(int_range(1, 20))
        ->capture_default_str();
    e->add_option("--fold", ea->fold, "Run only this fold (1-based)")->check(int_range(1, 20));
    e->add_option("--sparsity", ea->spec.sparsity_percent,
                  "Also score the linear probes (--linear, --random-init) on test windows "
                  "with these percentages of samples dropped")
        ->delimiter(',')
        ->check(number_check([](double v) { return v >= 0 && v < 100; }, "a percentage in [0, 100)",
                             "PERCENT"));
    e->add_option("--snr", ea->spec.snr_db, "... and with white noise at these SNRs (dB)")
        ->delimiter(',')
        ->check(number_check([](double v) { return std::isfinite(v); }, "a finite number", "DB"));
    e->add_option("--out-dir", ea->spec.out_dir, "Folder of the figures")->capture_default_str();
    cli.on(e, [ea, e] {
        finish(*ea, e);
        // --linear is the default when no mode is named.
        if (!e->count("--linear"))
            ea->spec.linear =
                !(e->count("--finetune") || e->count("--supervised") || e->count("--random-init"));
        if (e->count("--probe") && !(ea->spec.linear || ea->spec.random_init))
            throw std::invalid_argument("--probe: only for the linear probes (--linear, "
                                        "--random-init)");
        if (e->count("--finetune-start") && !e->count("--finetune"))
            throw std::invalid_argument("--finetune-start: only with --finetune");
        refuse_unless(e, { "--out-dir" }, ea->spec.draws_figures(),
                      "only where figures are drawn (--linear: the embedding; --finetune with "
                      "two or more percentages: accuracy against labels)");
        // Pre-training's options where no mode pre-trains (--supervised,
        // --random-init alone) are refused, not ignored.
        if (!ea->spec.pretrains())
            for (const char* opt : { "--epochs", "--batch", "--lr", "--tau", "--negatives",
                                     "--brightness", "--contrast", "--blur-kernel",
                                     "--time-mask", "--freq-mask" })
                if (e->count(opt))
                    throw std::invalid_argument(
                        std::string(opt) + ": a pre-training option; --supervised and "
                        "--random-init alone pre-train nothing (add --linear or --finetune)");
        return eval_trls(*ea);
    });

    auto ba = std::make_shared<BenchArgs>();
    auto* b = cli.bench->add_subcommand(
        "trls", "TRLS: encoder windows/s (batch 1 and 128) and the pre-training step time, "
                "against the Python twin at the same threads");
    b->add_option("--data", ba->cfg.data, "Window shape of: epilepsy (1 x 178), mitdb (1 x 3600), "
                                          "ecg5000 (1 x 140), basicmotions (6 x 100)")
        ->check(CLI::IsMember({ "epilepsy", "epilepsy5", "mitdb", "ecg5000", "basicmotions" }))
        ->capture_default_str();
    b->add_option("--rnn", ba->cfg.arch.rnn)->check(CLI::IsMember({ "lstm", "gru", "rnn", "tcn" }));
    b->add_option("--hidden", ba->cfg.arch.hidden)->check(int_range(1, 4096));
    b->add_option("--f-h", ba->cfg.arch.f_h)->check(int_range(1, 4096));
    b->add_option("--threads", ba->bench.threads)->check(int_range(1, kMaxThreads))
        ->capture_default_str();
    b->add_option("--seconds", ba->bench.seconds, "Per measurement")->check(kFinitePositive)
        ->capture_default_str();
    b->add_option("--batches", ba->bench.batches)->delimiter(',')->check(int_range(1, 1 << 16));
    b->add_option("--train-batch", ba->bench.train_batch)->check(int_range(2, 1 << 16))
        ->capture_default_str();
    b->add_option("--device", ba->bench.device)->check(kDeviceName)->capture_default_str();
    b->add_option("--twin", ba->twin, "bench_trls_twin.py (default: beside the sources or the "
                                      "install)")->check(kTwinScript);
    b->add_option("--python", ba->python)->check(kPythonProgram)->capture_default_str();
    b->add_flag("--no-twin", ba->no_twin, "C++ figures only");
    b->add_option("--rounds", ba->rounds,
                  "Alternate C++ and twin this many times; medians (ratios near 1)")
        ->check(int_range(1, 100))->capture_default_str();
    b->add_option("--json", ba->json, "Figures as JSON");
    cli.on(b, [ba, b] {
        refuse_unless(b, { "--twin", "--python" }, !ba->no_twin,
                      "for the Python twin, which --no-twin leaves out");
        const auto chosen = ba->cfg.arch;
        ba->cfg.apply_data_defaults();
        ba->cfg.arch.rnn = chosen.rnn;
        ba->cfg.arch.hidden = chosen.hidden;
        ba->cfg.arch.f_h = chosen.f_h;
        return bench_trls(*ba);
    });
}

} // namespace apps
} // namespace tfmed
