/* -*- c++ -*- */
/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SpecAR-Net (models/specar.h): parameter counts of MODELS.md 2.3/2.4 (the
 * formula and the built module), names and shapes equal to the reference's
 * state dict, and outputs for fixed weights equal to the Python twin's
 * (tests/golden/gen_specar_golden.py, tests/reference/specar_twin.py): every
 * task, hop 2, a Hamming window, the dual-channel backbone, the TOP loss.
 */
#include "../support/errors.h"
#include "../support/npy.h"
#include "../support/state_dict.h"

#include <tfmed/models/specar.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

using namespace tfmed;
using tfmed_test::message_of;

namespace {

int64_t count(torch::nn::Module& m)
{
    int64_t n = 0;
    for (const auto& p : m.parameters())
        n += p.numel();
    return n;
}

models::SpecarOptions ad(int64_t N, int64_t D, int64_t E, int64_t M)
{
    models::SpecarOptions o;
    o.task = "anomaly_detection";
    o.seq_len = 100;
    o.enc_in = o.c_out = N;
    o.d_model = o.d_ff = D;
    o.e_layers = E;
    o.conv_layers = M;
    return o;
}

std::string golden_dir()
{
    const char* d = std::getenv("TFMED_GOLDEN_DIR");
    return d ? d : "";
}

models::SpecarOptions options_of(const nlohmann::json& c)
{
    models::SpecarOptions o;
    o.task = c["task_name"];
    o.seq_len = c["seq_len"];
    o.pred_len = c["pred_len"];
    o.label_len = c["label_len"];
    o.enc_in = c["enc_in"];
    o.c_out = c["c_out"];
    o.num_class = c["num_class"];
    o.d_model = c["d_model"];
    o.d_ff = c["d_ff"];
    o.e_layers = c["e_layers"];
    o.conv_layers = c["conv_layers"];
    o.n_fft = c["n_fft"];
    o.win_length = c["win_len"];
    o.hop = c["hop_length"];
    o.window = c["win_func"];
    o.backbone = c["backbone"] == "DualChannelConv2d" ? "dual" : "complex";
    o.dropout = c["dropout"];
    return o;
}

} // namespace

TEST(Specar, ParameterCountsOfTheReferenceConfigurations)
{
    struct Case {
        const char* name;
        models::SpecarOptions o;
        int64_t total, block;
    };
    auto msl = ad(55, 8, 5, 6);
    msl.n_fft = msl.win_length = 100;
    msl.window = "hamming";
    models::SpecarOptions jv;
    jv.task = "classification";
    jv.seq_len = 29;
    jv.enc_in = jv.c_out = 12;
    jv.num_class = 9;
    jv.d_model = jv.d_ff = 64;
    jv.e_layers = 3;
    jv.conv_layers = 3;
    const Case cases[] = {
        { "SMD", ad(38, 64, 2, 3), 668177, 313947 },
        { "MSL", msl, 142103, 22027 },
        { "SMAP", ad(25, 128, 3, 3), 3715455, 1223899 },
        { "SWaT", ad(51, 32, 2, 3), 209486, 86299 },
        { "PSM", ad(25, 64, 2, 4), 960260, 461659 },
        { "JapaneseVowels", jv, 935924, 304646 },
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(models::specar_block_parameters(c.o), c.block);
        EXPECT_EQ(models::specar_parameters(c.o), c.total);
        models::SpecarNet net(c.o);
        EXPECT_EQ(count(*net), c.total);
        EXPECT_EQ(count(*net->blocks->ptr(0)), c.block);
    }
}

// The matrix-product FLOPs `tfmed bench specar` divides by, for MSL
// (N 55, D = Dff = 8, 5 blocks of 6 branches, STFT 100 two-sided bins x 101
// frames), by hand in multiply-adds: token conv 3*55*8*100 = 132,000; per
// block: branch 0 4*8*8*10,100 = 2,585,600; branch k = 1..5, two dilated
// 3x3 convs of 4 real products, counting the taps inside the 100 x 101 grid
// ((300 - 2k)(303 - 2k): 89,698 + 88,504 + 87,318 + 86,140 + 84,970 =
// 436,630) x 2*4*8*8 = 223,554,560; Linear(2 -> 1) on the frequency means
// 2*8*101 = 1,616; frequency attention 8*8*100*100*101 = 64,640,000 (block
// 290,781,776); projection 8*55*100 = 44,000. Total 1,454,084,880 MACs.
TEST(Specar, ForwardFlopsByHand)
{
    auto msl = ad(55, 8, 5, 6);
    msl.n_fft = msl.win_length = 100;
    EXPECT_DOUBLE_EQ(models::specar_forward_flops(msl), 2.0 * 1454084880.0);
}

// The complex convolution as one real convolution over [Re; Im] channels
// equals the reference's pair of real convolutions, for both backbones.
TEST(Specar, ComplexConvIsTheReferencesPairOfRealConvs)
{
    torch::manual_seed(3);
    for (const bool dual : { false, true }) {
        models::ComplexConv2d c(3, 5, 3, 2, 2, dual);
        const auto re = torch::randn({ 2, 3, 7, 9 }), im = torch::randn({ 2, 3, 7, 9 });
        const auto out = c->forward(torch::cat({ re, im }, 1));
        ASSERT_EQ(out.sizes(), (std::vector<int64_t>{ 2, 10, 7, 9 })) << "dual " << dual;
        const auto r = dual ? c->conv_r(re) : c->conv_r(re) - c->conv_i(im);
        const auto i = dual ? -c->conv_i(im) : c->conv_r(im) + c->conv_i(re);
        EXPECT_TRUE(torch::allclose(out.narrow(1, 0, 5), r, 1e-5, 1e-6)) << "dual " << dual;
        EXPECT_TRUE(torch::allclose(out.narrow(1, 5, 5), i, 1e-5, 1e-6)) << "dual " << dual;

        // Without grad the stacked weight is cached: every change of a
        // parameter (in place as an optimiser step, by a new tensor as a
        // load or a move) must reach the next call.
        const auto x = torch::cat({ re, im }, 1);
        torch::NoGradGuard ng;
        EXPECT_TRUE(torch::equal(c->forward(x), out.detach())) << "dual " << dual;
        c->conv_i->weight.add_(0.25); // in place: the version counter moves
        const auto fresh = [&] {
            torch::AutoGradMode on(true);
            return c->forward(x).detach();
        };
        const auto after = c->forward(x);
        EXPECT_FALSE(torch::allclose(after, out.detach())) << "dual " << dual;
        EXPECT_TRUE(torch::equal(after, fresh())) << "dual " << dual;
        c->conv_r->bias.mul_(-1.0);
        EXPECT_TRUE(torch::equal(c->forward(x), fresh())) << "dual " << dual;
        c->conv_r->weight.set_data(torch::randn_like(c->conv_r->weight)); // a new tensor
        EXPECT_TRUE(torch::equal(c->forward(x), fresh())) << "dual " << dual;
        // Replaced twice between calls (set_data keeps the version counter; the
        // second tensor may land at the first one's freed address).
        for (int k = 0; k < 2; ++k)
            c->conv_i->weight.set_data(torch::randn_like(c->conv_i->weight));
        EXPECT_TRUE(torch::equal(c->forward(x), fresh())) << "dual " << dual;
        c->to(torch::kDouble);
        EXPECT_TRUE(torch::equal(c->forward(x.to(torch::kDouble)),
                                 [&] {
                                     torch::AutoGradMode on(true);
                                     return c->forward(x.to(torch::kDouble)).detach();
                                 }()))
            << "dual " << dual;
    }
}

TEST(Specar, RefusesWhatTheReferenceWouldCrashOn)
{
    auto o = ad(3, 8, 1, 2);
    o.seq_len = 8;
    o.n_fft = o.win_length = 16;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "SpecAR-Net: expected more steps than n_fft / 2 (8) for the reflect-padded STFT, "
              "found 8 steps");
    o = ad(3, 7, 1, 2);
    o.task = "imputation";
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "SpecAR-Net: expected an even d_model for imputation (the order-preserving head "
              "halves it), found 7");
    o = ad(3, 8, 1, 2);
    o.window = "kaiser";
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "SpecAR-Net: expected window hanning, hamming, rectangle, triang or blackman, "
              "found 'kaiser'");
    // An odd n_fft at a hop that divides T gives one frame fewer than the
    // Linear back to T steps takes: refused (it failed on every window).
    o = ad(3, 8, 1, 2);
    o.seq_len = 24;
    o.n_fft = o.win_length = 5;
    o.hop = 2;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "SpecAR-Net: expected n_fft 5 and hop 2 to give (T + hop) / hop = 13 frames over "
              "24 steps (an even n_fft, or hop 1), found 12 frames");
    o.hop = 5; // 1 + 23 / 5 = 5 = 29 / 5: accepted, and it runs
    {
        torch::NoGradGuard ng;
        models::SpecarNet n(o);
        EXPECT_EQ(n->forward(torch::randn({ 1, 24, 3 })).out.sizes(),
                  (std::vector<int64_t>{ 1, 24, 3 }));
    }
    o.n_fft = o.win_length = 6; // even: every hop fits
    o.hop = 2;
    EXPECT_NO_THROW(o.validate());
    // Sizes within every range whose frequency attention alone needs 6.4 G
    // floats per window.
    o = ad(3, 64, 1, 1);
    o.seq_len = 4096;
    o.n_fft = o.win_length = o.hop = 4096;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "SpecAR-Net: expected at most 2^28 values per window in the frequency attention "
              "(1 GB), found 6442450944 (6 x d_model x n_fft^2)");
    // A forecast gives back every channel it takes (c_out 3 of 7 failed in
    // the de-normalisation; c_out 1 was copied to all 7).
    o = ad(7, 8, 1, 2);
    o.seq_len = 24;
    o.task = "long_term_forecast";
    o.pred_len = 8;
    o.c_out = 1;
    EXPECT_EQ(message_of<std::invalid_argument>([&] { o.validate(); }),
              "SpecAR-Net: expected c_out equal to enc_in (7) for long_term_forecast, found 1");
}

// Imputation statistics are over the observed points whatever the hidden
// ones hold (NaN placeholders gave NaN everywhere).
TEST(Specar, ImputationIgnoresWhatHiddenPointsHold)
{
    torch::manual_seed(5);
    auto o = ad(3, 8, 1, 2);
    o.seq_len = 24;
    o.task = "imputation";
    models::SpecarNet n(o);
    n->eval();
    torch::NoGradGuard ng;
    const auto x = torch::randn({ 2, 24, 3 });
    const auto mask = (torch::rand({ 2, 24, 3 }) > 0.3).to(torch::kFloat);
    const auto zeros = n->forward(x.masked_fill(mask == 0, 0), {}, mask);
    const auto nans = n->forward(x.masked_fill(mask == 0, NAN), {}, mask);
    const auto other = n->forward(x.masked_fill(mask == 0, 1e6), {}, mask);
    ASSERT_TRUE(torch::isfinite(nans.out).all().item<bool>());
    EXPECT_TRUE(torch::equal(zeros.out, nans.out));
    EXPECT_TRUE(torch::equal(zeros.out, other.out));
}

TEST(Specar, ShapesPerTask)
{
    torch::manual_seed(0);
    auto o = ad(3, 8, 2, 3);
    o.seq_len = 24;
    const auto x = torch::randn({ 2, 24, 3 });
    models::SpecarNet a(o);
    EXPECT_EQ(a->forward(x).out.sizes(), (std::vector<int64_t>{ 2, 24, 3 }));
    o.task = "long_term_forecast";
    o.pred_len = 8;
    models::SpecarNet f(o);
    const auto r = f->forward(x, torch::randn({ 2, 24, 4 }));
    EXPECT_EQ(r.out.sizes(), (std::vector<int64_t>{ 2, 8, 3 }));
    EXPECT_EQ(r.seq_series.sizes(), (std::vector<int64_t>{ 2, 32 }));
    o.task = "classification";
    o.pred_len = 0;
    o.num_class = 4;
    models::SpecarNet c(o);
    EXPECT_EQ(c->forward(x, {}, torch::ones({ 2, 24 })).out.sizes(),
              (std::vector<int64_t>{ 2, 4 }));
}

// The paper's window (§3.2: 2n + 1 points, h(t) = 0.54 - 0.46 cos(pi t / n))
// is the symmetric one; the reference's torch windows are periodic. The card
// carries the choice; cards written before it existed read as periodic.
TEST(Specar, SymmetricWindowOfThePapersFormula)
{
    auto o = ad(3, 8, 2, 3);
    o.seq_len = 24;
    o.window = "hamming";
    o.n_fft = o.win_length = 5;
    EXPECT_TRUE(o.stft().periodic());
    o.window_periodic = false;
    EXPECT_FALSE(o.stft().periodic());
    const auto w = dsp::make_window(o.stft().window(), 5, o.stft().periodic());
    EXPECT_NEAR(w[0], 0.08, 1e-12);
    EXPECT_NEAR(w[4], 0.08, 1e-12);
    EXPECT_NEAR(w[2], 1.0, 1e-12);

    models::SpecarCard c;
    c.arch = o;
    c.threshold = 0.5;
    auto j = nlohmann::json::parse(c.to_json());
    EXPECT_EQ(j["architecture"]["window_periodic"], false);
    EXPECT_FALSE(models::SpecarCard::from_json(j.dump()).arch.window_periodic);
    j["architecture"].erase("window_periodic");
    EXPECT_TRUE(models::SpecarCard::from_json(j.dump()).arch.window_periodic);

    // The same weights give other outputs with the other window.
    torch::manual_seed(3);
    models::SpecarNet sym(o);
    o.window_periodic = true;
    models::SpecarNet per(o);
    torch::NoGradGuard ng;
    const auto src = sym->named_parameters();
    for (auto& item : per->named_parameters())
        item.value().copy_(src[item.key()]);
    sym->eval();
    per->eval();
    const auto x = torch::randn({ 2, 24, 3 });
    const auto a = sym->forward(x).out, b = per->forward(x).out;
    EXPECT_EQ(a.sizes(), b.sizes());
    EXPECT_GT((a - b).abs().max().item<float>(), 1e-4);
}

TEST(Specar, GoldenOutputsOfThePythonTwin)
{
    const auto dir = golden_dir();
    if (dir.empty() || !std::filesystem::exists(dir + "/cases.json"))
        GTEST_SKIP() << "no SpecAR-Net golden files (tests/golden/gen_specar_golden.py needs "
                        "python3-torch)";
    std::ifstream f(dir + "/cases.json");
    const auto cases = nlohmann::json::parse(f)["cases"];
    ASSERT_EQ(cases.size(), 7u);
    for (const auto& [name, c] : cases.items()) {
        SCOPED_TRACE(name);
        const auto o = options_of(c["config"]);
        torch::NoGradGuard ng;
        models::SpecarNet net(o);
        net->eval();
        auto sd = tfmed_test::read_state_dict(dir + "/" + c["files"]["state_dict"].get<std::string>());
        // The reference's extras: the position table and the duplicate
        // branch-0 entries equal what the module computes / holds.
        const auto pe = sd.at("enc_embedding.position_embedding.pe");
        EXPECT_TRUE(torch::equal(pe[0].narrow(0, 0, 1000), net->positions(1000)));
        sd.erase("enc_embedding.position_embedding.pe");
        std::map<std::string, torch::Tensor> own;
        for (const auto& p : net->named_parameters())
            own[p.key()] = p.value();
        for (auto it = sd.begin(); it != sd.end();) {
            const auto dup = it->first.find(".single_ComplexConv_dila0.");
            if (dup != std::string::npos) {
                auto twin = it->first;
                twin.replace(dup, 26, ".cnn.0.");
                EXPECT_TRUE(torch::equal(it->second, sd.at(twin))) << it->first;
                it = sd.erase(it);
            } else {
                ++it;
            }
        }
        ASSERT_EQ(sd.size(), own.size());
        for (const auto& [k, t] : own) {
            ASSERT_TRUE(sd.count(k)) << "the reference has no " << k;
            ASSERT_EQ(sd.at(k).sizes(), t.sizes()) << k;
            t.copy_(sd.at(k));
        }
        auto in = [&](const char* key) {
            const auto& a = c["forward_args"][key];
            return a.is_null() ? torch::Tensor()
                               : tfmed_test::load_npy(dir + "/" + c["files"][a.get<std::string>()]
                                                                        .get<std::string>());
        };
        const auto x = in("x_enc");
        torch::Tensor mark = in("x_mark_enc"), mask = in("mask");
        if (o.task == "classification")
            std::swap(mark, mask); // the reference passes the padding mask as x_mark
        const auto r = net->forward(x, mark, mask);
        const auto want = tfmed_test::load_npy(dir + "/" + c["files"]["out"].get<std::string>());
        ASSERT_EQ(r.out.sizes(), want.sizes());
        EXPECT_LE((r.out - want).abs().max().item<double>(),
                  2e-5 * (1.0 + want.abs().max().item<double>()));
        if (c["files"].contains("seq_series")) {
            const auto ss =
                tfmed_test::load_npy(dir + "/" + c["files"]["seq_series"].get<std::string>());
            EXPECT_LE((r.seq_series - ss).abs().max().item<double>(),
                      2e-5 * (1.0 + ss.abs().max().item<double>()));
            const auto& l = c["losses"];
            const auto input = models::top_loss(r.seq_series, "input", o.seq_len, o.pred_len);
            EXPECT_NEAR(input.item<double>(), l["top_input"].get<double>(),
                        1e-4 * l["top_input"].get<double>());
            if (o.pred_len > 0) {
                const auto pred =
                    models::top_loss(r.seq_series, "prediction", o.seq_len, o.pred_len);
                EXPECT_NEAR(pred.item<double>(), l["top_pred"].get<double>(),
                            1e-4 * l["top_pred"].get<double>());
            }
        }
    }
}
