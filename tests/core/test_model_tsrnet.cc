/*
 * Copyright 2026 gr-tfmed authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TSRNet's architecture (MODELS.md 1.3): parameter counts per block, shapes,
 * the reference's state_dict names, shape errors.
 */
#include <tfmed/models/tsrnet.h>

#include <torch/torch.h>

#include <gtest/gtest.h>

using namespace tfmed::models;

TEST(TsrnetTest, ParameterCountsMatchTheReference)
{
    Tsrnet m;
    EXPECT_EQ(count_parameters(*m), 4394009); // the paper's 4.39 M
    EXPECT_EQ(count_parameters(*m->time_encoder), 1084818);
    EXPECT_EQ(count_parameters(*m->spec_encoder), 1803538);
    EXPECT_EQ(count_parameters(*m->conv_spec1), 382500);
    EXPECT_EQ(count_parameters(*m->attn1), 10200);
    EXPECT_EQ(count_parameters(*m->layer_norm1), 100);
    EXPECT_EQ(count_parameters(*m->mlp), 27880);
    EXPECT_EQ(count_parameters(*m->time_decoder), 1084973);
}

TEST(TsrnetTest, StateDictNamesFollowThePythonReference)
{
    Tsrnet m;
    auto params = m->named_parameters();
    auto buffers = m->named_buffers();
    for (const char* k : { "time_encoder.main.0.weight", "time_encoder.main.14.weight",
                           "spec_encoder.main.3.weight", "spec_encoder.main.14.bias",
                           "conv_spec1.weight", "attn1.linear_layers.0.weight",
                           "attn1.linear_layers.2.bias", "attn1.output_linear.weight",
                           "layer_norm1.a_2", "layer_norm1.b_2", "mlp.0.weight", "mlp.1.weight",
                           "time_decoder.main.0.weight", "time_decoder.main.15.weight" })
        EXPECT_TRUE(params.contains(k)) << k;
    EXPECT_FALSE(params.contains("conv_spec1.bias")); // bias=False in the reference
    EXPECT_TRUE(buffers.contains("time_encoder.main.3.running_mean"));
    EXPECT_TRUE(buffers.contains("time_decoder.main.1.running_var"));
    EXPECT_EQ(params["time_decoder.main.15.weight"].sizes(),
              (std::vector<int64_t>{ 32, 13, 4 }));
    EXPECT_EQ(params["conv_spec1.weight"].sizes(), (std::vector<int64_t>{ 50, 2550, 3 }));
}

TEST(TsrnetTest, ForwardShapesAndRange)
{
    torch::manual_seed(0);
    Tsrnet m;
    m->eval();
    torch::NoGradGuard no_grad;
    auto x = torch::randn({ 2, 4800, 12 });
    auto s = torch::rand({ 2, 63, 78, 12 });
    auto [xh, u] = m->forward(x, s);
    EXPECT_EQ(xh.sizes(), (std::vector<int64_t>{ 2, 4800, 12 }));
    EXPECT_EQ(u.sizes(), (std::vector<int64_t>{ 2, 4800, 1 }));
    EXPECT_LT(xh.abs().max().item<float>(), 1.0f); // tanh-bounded
    EXPECT_LT(u.abs().max().item<float>(), 1.0f);
    // A smaller configuration: 1 lead, 960 samples (16 time tokens), 33 x 30.
    Tsrnet small(TsrnetOptions(1).length(960).spec_bins(33).spec_frames(30));
    small->eval();
    auto [a, b] = small->forward(torch::randn({ 3, 960, 1 }), torch::rand({ 3, 33, 30, 1 }));
    EXPECT_EQ(a.sizes(), (std::vector<int64_t>{ 3, 960, 1 }));
    EXPECT_EQ(b.sizes(), (std::vector<int64_t>{ 3, 960, 1 }));
}

TEST(TsrnetTest, ShapeErrorsNameExpectedAndFound)
{
    Tsrnet m;
    try {
        m->forward(torch::zeros({ 1, 4000, 12 }), torch::zeros({ 1, 63, 78, 12 }));
        FAIL();
    } catch (const c10::Error& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "Tsrnet: expected the time series as (B, 4800, 12), found [1, 4000, 12]"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(Tsrnet(TsrnetOptions().length(4801)), c10::Error);
    EXPECT_THROW(Tsrnet(TsrnetOptions().spec_bins(10)), c10::Error);
}
