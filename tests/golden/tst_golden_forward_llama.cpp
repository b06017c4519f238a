// Llama-family forward pass against Hugging Face transformers (float64): GQA + tied bf16 weights
// (llama_tiny) and MHA + untied f32 weights with a 16-token context (llama_mha_untied, whose loss
// spans three windows). Also the forward options: capture subsets, the attention override,
// last-position logits, cancellation, progress and the context limit.

#include "tst_golden_forward_common.h"

namespace attnscope::golden {
namespace {

TEST(GoldenForwardLlama, TinyGqaTiedBf16MatchesTransformers)
{
    checkFixture("llama_tiny");
}

TEST(GoldenForwardLlama, MhaUntiedMatchesTransformersAndWindowsTheLoss)
{
    checkFixture("llama_mha_untied");
}

class LlamaOptions : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto model = Model::openHfFolder(fixtureDir("llama_tiny"));
        ASSERT_TRUE(model.ok()) << model.error().describe();
        m_model = std::move(*model);
        Reference reference("llama_tiny");
        m_ids = reference.ids("ids");
    }
    std::unique_ptr<Model> m_model;
    std::vector<int> m_ids;
};

TEST_F(LlamaOptions, CapturesOnlyTheChosenLayers)
{
    std::vector<int> seen;
    ForwardOptions options;
    options.capture = LayerSelection::only({1});
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        seen.push_back(capture.qkv.layer);
        EXPECT_EQ(capture.qkv.nHeads, 4);
        EXPECT_EQ(capture.qkv.nKvHeads, 2);
        EXPECT_EQ(capture.qkv.headDim, 16);
        EXPECT_TRUE(capture.qkv.causal);
        EXPECT_FLOAT_EQ(capture.qkv.scale, 0.25f);
        return okResult();
    };
    options.logits = LogitsMode::None;
    auto output = m_model->forward(m_ids, options);
    ASSERT_TRUE(output.ok()) << output.error().describe();
    EXPECT_EQ(seen, std::vector<int>{1});
    EXPECT_TRUE(output->logits.empty());
}

TEST_F(LlamaOptions, DenseOverrideReproducesTheModelAndAChangedOneChangesIt)
{
    ForwardOptions plain;
    auto reference = m_model->forward(m_ids, plain);
    ASSERT_TRUE(reference.ok());

    int calls = 0;
    ForwardOptions dense;
    dense.overrideLayers = LayerSelection::allLayers();
    dense.attentionOverride = [&](const LayerQkv& qkv, std::vector<float>& outputs) -> Result<void> {
        ++calls;
        std::vector<float> computed;
        ATTNSCOPE_TRY(denseAttention(qkv, &computed, nullptr));
        outputs = computed;
        return okResult();
    };
    auto same = m_model->forward(m_ids, dense);
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(same->logits, reference->logits);

    ForwardOptions zeroed;
    zeroed.overrideLayers = LayerSelection::only({0});
    zeroed.attentionOverride = [](const LayerQkv&, std::vector<float>& outputs) -> Result<void> {
        std::fill(outputs.begin(), outputs.end(), 0.0f);
        return okResult();
    };
    auto changed = m_model->forward(m_ids, zeroed);
    ASSERT_TRUE(changed.ok());
    EXPECT_NE(changed->logits, reference->logits);

    ForwardOptions failing;
    failing.overrideLayers = LayerSelection::only({1});
    failing.attentionOverride = [](const LayerQkv&, std::vector<float>&) -> Result<void> {
        return makeError(ErrorCode::Unsupported, "variant refused");
    };
    auto refused = m_model->forward(m_ids, failing);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::Unsupported);
}

TEST_F(LlamaOptions, LastPositionLogitsEqualTheLastRow)
{
    auto all = m_model->forward(m_ids, ForwardOptions{});
    ForwardOptions lastOnly;
    lastOnly.logits = LogitsMode::LastPosition;
    auto last = m_model->forward(m_ids, lastOnly);
    ASSERT_TRUE(all.ok() && last.ok());
    ASSERT_EQ(last->logitsRows, 1);
    const std::size_t vocab = static_cast<std::size_t>(all->vocabSize);
    ASSERT_EQ(last->logits.size(), vocab);
    // A one-row product may round differently from the full GEMM, hence a tolerance.
    for (std::size_t token = 0; token < vocab; ++token) {
        EXPECT_NEAR(last->logits[token], all->logits[all->logits.size() - vocab + token], 1e-5);
    }
}

TEST_F(LlamaOptions, CancelAndProgress)
{
    CancelToken cancel;
    std::vector<double> fractions;
    ForwardOptions options;
    options.cancel = &cancel;
    options.progress = [&](double fraction, const std::string&) {
        fractions.push_back(fraction);
        cancel.cancel();
    };
    auto output = m_model->forward(m_ids, options);
    ASSERT_FALSE(output.ok());
    EXPECT_EQ(output.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(fractions, std::vector<double>{0.5});
}

TEST_F(LlamaOptions, ContextLimitAndBadInputs)
{
    std::vector<int> tooLong(65, 5);
    auto refused = m_model->forward(tooLong, ForwardOptions{});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(refused.error().message.find("context of 64"), std::string::npos) << refused.error().message;
    ForwardOptions overflow;
    overflow.allowOverflow = true;
    EXPECT_TRUE(m_model->forward(tooLong, overflow).ok());

    EXPECT_EQ(m_model->forward(std::vector<int>{}, ForwardOptions{}).error().code, ErrorCode::InvalidArgument);
    auto badId = m_model->forward(std::vector<int>{1, 128}, ForwardOptions{});
    ASSERT_FALSE(badId.ok());
    EXPECT_NE(badId.error().message.find("128"), std::string::npos);
    ForwardOptions badLayer;
    badLayer.capture = LayerSelection::only({2});
    EXPECT_EQ(m_model->forward(m_ids, badLayer).error().code, ErrorCode::InvalidArgument);

    auto oneToken = m_model->loss(std::vector<int>{1});
    ASSERT_FALSE(oneToken.ok());
    EXPECT_EQ(oneToken.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(m_model->loss(std::vector<int>{}).error().code, ErrorCode::InvalidArgument);
}

TEST_F(LlamaOptions, OpensFromTheSafetensorsFilePath)
{
    auto model = Model::openHfFolder(fixtureDir("llama_tiny") + "/model.safetensors");
    ASSERT_TRUE(model.ok()) << model.error().describe();
    EXPECT_EQ((*model)->spec().nLayers, 2);
    EXPECT_EQ((*model)->weights().parameterCount(), m_model->weights().parameterCount());
}

} // namespace
} // namespace attnscope::golden
