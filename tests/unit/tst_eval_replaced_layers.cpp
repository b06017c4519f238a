// Workspace::evaluate with a variant in chosen layers only (issue #4: "the variant replacing
// attention in every layer (or in chosen layers)"), on the real stories260K model. The reference
// is independent of the variant code: `window:w=1` keeps only each query's own key, so its output
// is the query position's value vector exactly; the model is run with that closed form in the same
// layer through the forward pass's override, and the loss taken in double from its logits.

#include "attnscope/workspace.h"
#include "model/forward_cpu.h"
#include "model/layer_qkv.h"
#include "model/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace attnscope {
namespace {

const std::string kStories = std::string(ATTNSCOPE_SHARED_MODELS) + "/stories260K/hf";
const std::string kText = "Once upon a time there was a little girl named Lily. She loved to play outside with her dog.";

// Mean −log softmax(logits[p])[ids[p + 1]] over p < n − 1, in double.
double meanNextTokenLoss(const ForwardResult& forward, const std::vector<int>& ids)
{
    double total = 0.0;
    for (int position = 0; position + 1 < forward.nTokens; ++position) {
        const float* row = forward.logits.data() + static_cast<std::size_t>(position) * forward.vocabSize;
        const double peak = *std::max_element(row, row + forward.vocabSize);
        double sum = 0.0;
        for (int token = 0; token < forward.vocabSize; ++token) {
            sum += std::exp(static_cast<double>(row[token]) - peak);
        }
        total += peak + std::log(sum) - static_cast<double>(row[ids[static_cast<std::size_t>(position) + 1]]);
    }
    return total / (forward.nTokens - 1);
}

class EvalReplacedLayers : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto workspace = Workspace::open(OpenOptions{kStories});
        ASSERT_TRUE(workspace.ok()) << workspace.error().describe();
        m_workspace = std::move(workspace.value());
        auto model = Model::openHfFolder(kStories);
        ASSERT_TRUE(model.ok()) << model.error().describe();
        m_model = std::move(model.value());
        auto tokens = m_workspace->tokenize(kText);
        ASSERT_TRUE(tokens.ok()) << tokens.error().describe();
        m_ids = tokens->ids;
    }

    // The model with each head's attention output in `layer` replaced by its own value vectors.
    double selfValueLoss(int layer) const
    {
        ForwardOptions options;
        options.backend = VariantBackend::Cpu;
        options.overrideLayers = LayerSelection::only({layer});
        options.attentionOverride = [](const LayerQkv& qkv, std::vector<float>& outputs) -> Result<void> {
            const int group = qkv.nHeads / qkv.nKvHeads;
            const std::size_t headSize = static_cast<std::size_t>(qkv.nTokens) * qkv.headDim;
            outputs.resize(headSize * qkv.nHeads);
            for (int head = 0; head < qkv.nHeads; ++head) {
                std::copy_n(qkv.v.begin() + static_cast<std::ptrdiff_t>((head / group) * headSize), headSize,
                            outputs.begin() + static_cast<std::ptrdiff_t>(head * headSize));
            }
            return okResult();
        };
        const std::vector<int> ids(m_ids.begin(), m_ids.end());
        auto forward = m_model->forward(ids, options);
        EXPECT_TRUE(forward.ok()) << forward.error().describe();
        return forward.ok() ? meanNextTokenLoss(forward.value(), ids) : NAN;
    }

    std::unique_ptr<Workspace> m_workspace;
    std::unique_ptr<Model> m_model;
    std::vector<std::int32_t> m_ids;
};

TEST_F(EvalReplacedLayers, WindowOfOneInOneLayerEqualsThatLayerPassingItsValuesThrough)
{
    auto dense = m_workspace->evaluate(m_ids, "dense", {});
    ASSERT_TRUE(dense.ok()) << dense.error().describe();
    for (const int layer : {0, 2, 4}) {
        auto replaced = m_workspace->evaluate(m_ids, "window:w=1", {}, {layer});
        ASSERT_TRUE(replaced.ok()) << replaced.error().describe();
        EXPECT_EQ(replaced->replacedLayers, std::vector<int>{layer});
        const double reference = selfValueLoss(layer);
        EXPECT_NEAR(replaced->loss, reference, 1e-5) << "layer " << layer;
        EXPECT_NEAR(replaced->perplexity, std::exp(reference), 1e-4 * std::exp(reference)) << "layer " << layer;
        // Not a no-op: the layer's attention changed the loss.
        EXPECT_GT(std::abs(replaced->loss - dense->loss), 1e-3) << "layer " << layer;
    }
}

TEST_F(EvalReplacedLayers, EveryLayerListedIsTheDefaultAndDuplicatesMerge)
{
    auto everywhere = m_workspace->evaluate(m_ids, "window:w=2", {});
    ASSERT_TRUE(everywhere.ok()) << everywhere.error().describe();
    EXPECT_TRUE(everywhere->replacedLayers.empty());
    auto listed = m_workspace->evaluate(m_ids, "window:w=2", {}, {4, 3, 2, 1, 0, 2});
    ASSERT_TRUE(listed.ok()) << listed.error().describe();
    EXPECT_EQ(listed->replacedLayers, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(listed->loss, everywhere->loss);
    auto two = m_workspace->evaluate(m_ids, "window:w=2", {}, {3, 1, 3});
    ASSERT_TRUE(two.ok()) << two.error().describe();
    EXPECT_EQ(two->replacedLayers, (std::vector<int>{1, 3}));
    EXPECT_NE(two->loss, everywhere->loss);
}

TEST_F(EvalReplacedLayers, ALayerOutOfRangeIsRefusedByName)
{
    for (const int layer : {-1, 5}) {
        auto refused = m_workspace->evaluate(m_ids, "window:w=2", {}, {0, layer});
        ASSERT_FALSE(refused.ok());
        EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
        EXPECT_NE(refused.error().message.find("replaced layer " + std::to_string(layer) + " is out of range [0, 5)"),
                  std::string::npos)
            << refused.error().message;
    }
    CompareRequest request;
    request.variants = {"window:w=2"};
    request.replacedLayers = {7};
    auto compared = m_workspace->compare(m_ids, request, {});
    ASSERT_FALSE(compared.ok());
    EXPECT_NE(compared.error().message.find("replaced layer 7"), std::string::npos) << compared.error().message;
}

TEST_F(EvalReplacedLayers, CompareUsesTheReplacedLayersForItsPerplexity)
{
    CompareRequest request;
    request.variants = {"window:w=1"};
    request.layers = {0};
    request.replacedLayers = {2};
    auto compared = m_workspace->compare(m_ids, request, {});
    ASSERT_TRUE(compared.ok()) << compared.error().describe();
    EXPECT_EQ(compared->replacedLayers, std::vector<int>{2});
    ASSERT_EQ(compared->variants.size(), 1u);
    EXPECT_NEAR(compared->variants[0].loss, selfValueLoss(2), 1e-5);
}

} // namespace
} // namespace attnscope
