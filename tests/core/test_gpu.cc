/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every model path on cuda:0 through the same code as on the CPU: the STFT
 * (cuFFT), TSRNet (forward, scoring, one training step), SpecAR-Net, TRLS,
 * the TSRNet engine behind the blocks, and the training loop. Each case
 * compares the GPU's output with the CPU's for the same weights and input,
 * with cuDNN's TF32 off (else convolutions round to 10-bit mantissas).
 * Without a CUDA device (or with a CPU-only LibTorch) every case is skipped
 * with the reason; scripts/gpu_check.sh runs them on a GPU machine.
 */
#include <tfmed/dsp/stft.h>
#include <tfmed/engine/tsrnet_engine.h>
#include <tfmed/models/specar.h>
#include <tfmed/models/trls.h>
#include <tfmed/models/tsrnet.h>
#include <tfmed/models/tsrnet_pipeline.h>
#include <tfmed/train/trainer.h>

#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/optim/adamw.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace tfmed;

namespace {

// TFMED_TEST_GPU_ON_CPU=1 runs every case with the "GPU" side on the CPU:
// a check of this file's own logic on a machine without a GPU.
bool on_cpu()
{
    const char* v = std::getenv("TFMED_TEST_GPU_ON_CPU");
    return v && std::string(v) == "1";
}
const torch::Device kGpu = on_cpu() ? torch::Device(torch::kCPU) : torch::Device(torch::kCUDA, 0);
const std::string kGpuName = on_cpu() ? "cpu" : "cuda:0";

#define REQUIRE_GPU()                                                                           \
    do {                                                                                        \
        if (!torch::cuda::is_available() && !on_cpu())                                          \
            GTEST_SKIP() << "no CUDA device (this LibTorch: "                                   \
                         << (torch::cuda::device_count() ? "CUDA" : "CPU only or no GPU")       \
                         << "); run scripts/gpu_check.sh on a GPU machine";                     \
        at::globalContext().setAllowTF32CuDNN(false);                                           \
        at::globalContext().setAllowTF32CuBLAS(false);                                          \
    } while (0)

// max |a - b| / max(1, max |a|): one number per comparison, printed.
double rel_diff(const torch::Tensor& cpu, const torch::Tensor& gpu)
{
    const auto a = cpu.to(torch::kCPU, torch::kDouble);
    const auto b = gpu.to(torch::kCPU, torch::kDouble);
    EXPECT_EQ(a.sizes(), b.sizes());
    const double scale = std::max(1.0, a.abs().max().item<double>());
    return (a - b).abs().max().item<double>() / scale;
}

void expect_close(const torch::Tensor& cpu, const torch::Tensor& gpu, double tol,
                  const std::string& what)
{
    const double d = rel_diff(cpu, gpu);
    std::printf("[gpu] %-44s max rel diff %.2e (tolerance %.0e)\n", what.c_str(), d, tol);
    EXPECT_LT(d, tol) << what;
}

// The width-8, one-lead TSRNet the tests share.
models::TsrnetCard small_card()
{
    models::TsrnetCard card;
    card.leads = 1;
    card.width = 8;
    card.d_model = 16;
    card.validate();
    return card;
}

// The same module twice: one on the CPU, one on cuda:0, equal weights.
template <class Net, class Make>
std::pair<Net, Net> twins(Make make)
{
    torch::manual_seed(7);
    Net a = make();
    torch::manual_seed(7);
    Net b = make();
    b->to(kGpu);
    a->eval();
    b->eval();
    return { a, b };
}

} // namespace

TEST(Gpu, StftWithCufftEqualsTheCpu)
{
    REQUIRE_GPU();
    torch::manual_seed(1);
    const auto x = torch::randn({ 4, 3, 5000 });
    for (const auto& o : { dsp::StftOptions(125, 63), dsp::StftOptions(256, 64),
                           dsp::StftOptions(16, 1) }) {
        const auto opts = dsp::StftOptions(o).output(dsp::Output::magnitude);
        const auto c = dsp::stft(x, opts);
        const auto g = dsp::stft(x.to(kGpu), opts);
        EXPECT_EQ(g.device(), kGpu);
        expect_close(c, g, 1e-5,
                     "stft n_fft " + std::to_string(o.n_fft()) + " hop " + std::to_string(o.hop()));
    }
}

TEST(Gpu, TsrnetScoresEqualTheCpu)
{
    REQUIRE_GPU();
    const auto card = small_card();
    auto [c, g] = twins<models::Tsrnet>([&] { return models::Tsrnet(models::options_of(card)); });
    torch::manual_seed(2);
    const auto x = torch::rand({ 6, card.prep.crop_length, card.leads }) * 2 - 1;
    const auto pm = torch::ones({ 6, card.prep.crop_length });
    torch::NoGradGuard ng;
    const auto sc = models::score_windows(c, card, x, pm);
    const auto sg = models::score_windows(g, card, x.to(kGpu), pm.to(kGpu));
    expect_close(sc.plain, sg.plain, 1e-4, "tsrnet score, width 8, 6 windows");
    expect_close(sc.peak, sg.peak, 1e-4, "tsrnet peak score");
}

TEST(Gpu, TsrnetTrainingGradientsEqualTheCpu)
{
    REQUIRE_GPU();
    const auto card = small_card();
    auto [c, g] = twins<models::Tsrnet>([&] { return models::Tsrnet(models::options_of(card)); });
    // Eval mode: dropout draws come from each device's own generator, so the
    // training loss is compared without them (the masks are the same draws).
    torch::manual_seed(3);
    const auto x = torch::rand({ 8, card.prep.crop_length, card.leads }) * 2 - 1;
    const auto stft = models::stft_of(card);
    std::vector<double> losses;
    for (auto* net : { &c, &g }) {
        const auto dev = (*net)->parameters().front().device();
        std::mt19937_64 rng(4); // the same masks on both devices
        auto loss = models::training_loss(*net, card, stft, x.to(dev), rng);
        (*net)->zero_grad();
        loss.backward();
        losses.push_back(loss.item<double>());
    }
    std::printf("[gpu] %-44s cpu %.7f gpu %.7f\n", "tsrnet training loss", losses[0], losses[1]);
    EXPECT_NEAR(losses[0], losses[1], 1e-5 * std::max(1.0, std::abs(losses[0])));
    const auto pc = c->parameters(), pg = g->parameters();
    std::vector<torch::Tensor> gc, gg;
    for (std::size_t i = 0; i < pc.size(); ++i) {
        ASSERT_TRUE(pc[i].grad().defined() == pg[i].grad().defined());
        if (pc[i].grad().defined()) {
            gc.push_back(pc[i].grad().reshape({ -1 }));
            gg.push_back(pg[i].grad().reshape({ -1 }).cpu());
        }
    }
    expect_close(torch::cat(gc), torch::cat(gg), 1e-4, "tsrnet gradients of every parameter");
}

TEST(Gpu, SpecarNetEqualsTheCpu)
{
    REQUIRE_GPU();
    models::SpecarOptions o;
    o.seq_len = 48;
    o.enc_in = o.c_out = 5;
    o.e_layers = 2;
    o.conv_layers = 3;
    o.time_features = 0;
    o.dropout = 0.0;
    auto [c, g] = twins<models::SpecarNet>([&] { return models::SpecarNet(o); });
    torch::manual_seed(5);
    const auto x = torch::randn({ 3, 48, 5 });
    torch::NoGradGuard ng;
    expect_close(c->forward(x).out, g->forward(x.to(kGpu)).out, 1e-4,
                 "specar anomaly detection, 2 blocks x 3 branches");
}

TEST(Gpu, TrlsEncoderEqualsTheCpu)
{
    REQUIRE_GPU();
    models::TrlsOptions o;
    o.channels = 1;
    o.length = 178;
    o.n_fft = 32;
    o.hidden = 32;
    o.f_h = 16;
    o.num_class = 2;
    auto [c, g] = twins<models::TrlsClassifier>([&] { return models::TrlsClassifier(o); });
    torch::manual_seed(6);
    const auto img = models::spectrogram(torch::randn({ 4, 1, 178 }), o);
    torch::NoGradGuard ng;
    expect_close(c->embed(img), g->embed(img.to(kGpu)), 1e-4, "trls tfrnn embeddings (LSTM)");
    expect_close(c->forward(img), g->forward(img.to(kGpu)), 1e-4, "trls class logits");
}

TEST(Gpu, TsrnetEngineOnCudaScoresAsOnTheCpu)
{
    REQUIRE_GPU();
    const std::string model = TFMED_DEMO_MODEL;
    engine::TsrnetEngine cpu(model, "cpu", 1, false); // no quality gate: every window scored
    engine::TsrnetEngine gpu(model, kGpuName, 1, false);
    EXPECT_EQ(gpu.device(), kGpuName);
    const auto& card = cpu.card();
    const int64_t n = 4, len = card.window() * card.leads;
    std::vector<float> w(static_cast<std::size_t>(n * len));
    for (std::size_t i = 0; i < w.size(); ++i) // an ECG-like train of spikes
        w[i] = static_cast<float>(0.1 * std::sin(i * 0.013) + ((i / card.leads) % 400 < 8 ? 1.0 : 0.0));
    const auto a = cpu.score(w.data(), n);
    const auto b = gpu.score(w.data(), n);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        std::printf("[gpu] engine window %zu: cpu %.6f gpu %.6f\n", i, a[i].score, b[i].score);
        EXPECT_NEAR(a[i].score, b[i].score, 1e-4 * std::max(1.0, std::abs(double(a[i].score))));
    }
}
