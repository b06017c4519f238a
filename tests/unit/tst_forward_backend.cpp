// Which backend ran the forward pass's dense attention (issue #7), checked on the CPU path every
// machine has: with CUDA disabled (ATTNSCOPE_DISABLE_CUDA, so the test means the same with or
// without a GPU) the Auto backend falls back to the CPU in every layer with the reason recorded and
// gives the same bits as the CPU-only pass, which records no reason. The GPU side of the same
// passes is tests/backend/tst_backend_cuda_forward.cpp.

#include "attnscope/workspace.h"
#include "model/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace attnscope {
namespace {

const std::string kStories = std::string(ATTNSCOPE_SHARED_MODELS) + "/stories260K/hf";

std::vector<int> testIds()
{
    std::vector<int> ids;
    for (int position = 0; position < 97; ++position) {
        ids.push_back(3 + (position * 37) % 509);
    }
    return ids;
}

struct Pass {
    ForwardResult result;
    std::vector<LayerCapture> layers;
};

Pass runPass(const Model& model, VariantBackend backend, bool probabilities = false)
{
    Pass pass;
    ForwardOptions options;
    options.backend = backend;
    options.capture = LayerSelection::allLayers();
    options.captureProbabilities = probabilities;
    options.keepHiddenStates = true;
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        pass.layers.push_back(std::move(capture));
        return okResult();
    };
    auto result = model.forward(testIds(), options);
    EXPECT_TRUE(result.ok()) << (result.ok() ? std::string() : result.error().describe());
    if (result.ok()) {
        pass.result = std::move(result.value());
    }
    return pass;
}

class ForwardBackend : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1), 0); }
    void TearDown() override { unsetenv("ATTNSCOPE_DISABLE_CUDA"); }
};

TEST_F(ForwardBackend, DisabledCudaFallsBackWithReasonAndSameBits)
{
    auto model = Model::openHfFolder(kStories);
    ASSERT_TRUE(model.ok()) << model.error().describe();
    const Pass automatic = runPass(*model.value(), VariantBackend::Auto);
    const Pass cpu = runPass(*model.value(), VariantBackend::Cpu);
    const int nLayers = model.value()->spec().nLayers;

    ASSERT_FALSE(cpu.result.logits.empty());
    ASSERT_FALSE(cpu.result.hiddenStates.empty());
    EXPECT_EQ(automatic.result.logits, cpu.result.logits);
    EXPECT_EQ(automatic.result.hiddenStates, cpu.result.hiddenStates);
    ASSERT_EQ(automatic.layers.size(), static_cast<std::size_t>(nLayers));
    ASSERT_EQ(cpu.layers.size(), automatic.layers.size());
    for (std::size_t layer = 0; layer < cpu.layers.size(); ++layer) {
        SCOPED_TRACE("layer " + std::to_string(layer));
        ASSERT_EQ(cpu.layers[layer].lse.size(), cpu.layers[layer].qkv.q.size() / cpu.layers[layer].qkv.headDim);
        EXPECT_EQ(automatic.layers[layer].lse, cpu.layers[layer].lse);
        EXPECT_EQ(automatic.layers[layer].qkv.q, cpu.layers[layer].qkv.q);
        EXPECT_EQ(automatic.layers[layer].qkv.v, cpu.layers[layer].qkv.v);
    }

    EXPECT_EQ(automatic.result.layerAttentionBackends, std::vector<std::string>(nLayers, "cpu"));
    EXPECT_EQ(cpu.result.layerAttentionBackends, std::vector<std::string>(nLayers, "cpu"));
    EXPECT_EQ(automatic.result.attentionBackend.backend, "cpu");
    EXPECT_EQ(cpu.result.attentionBackend.backend, "cpu");
    EXPECT_NE(automatic.result.attentionBackend.fallbackReason.find("ATTNSCOPE_DISABLE_CUDA"), std::string::npos)
        << automatic.result.attentionBackend.fallbackReason;
    EXPECT_TRUE(cpu.result.attentionBackend.fallbackReason.empty()) << cpu.result.attentionBackend.fallbackReason;
}

TEST_F(ForwardBackend, ProbabilityPassesStayOnTheCpuWithoutTryingCuda)
{
    auto model = Model::openHfFolder(kStories);
    ASSERT_TRUE(model.ok()) << model.error().describe();
    const Pass automatic = runPass(*model.value(), VariantBackend::Auto, true);
    const Pass cpu = runPass(*model.value(), VariantBackend::Cpu, true);
    EXPECT_EQ(automatic.result.attentionBackend.backend, "cpu");
    EXPECT_TRUE(automatic.result.attentionBackend.fallbackReason.empty());
    EXPECT_EQ(automatic.result.logits, cpu.result.logits);
    ASSERT_EQ(automatic.layers.size(), cpu.layers.size());
    for (std::size_t layer = 0; layer < cpu.layers.size(); ++layer) {
        EXPECT_FALSE(cpu.layers[layer].probabilities.empty());
        EXPECT_EQ(automatic.layers[layer].probabilities, cpu.layers[layer].probabilities);
    }
}

TEST_F(ForwardBackend, OverriddenLayersRecordNoBackend)
{
    auto model = Model::openHfFolder(kStories);
    ASSERT_TRUE(model.ok()) << model.error().describe();
    ForwardOptions options;
    options.overrideLayers = LayerSelection::only({1});
    options.attentionOverride = [](const LayerQkv&, std::vector<float>& out) -> Result<void> {
        std::fill(out.begin(), out.end(), 0.0f);
        return okResult();
    };
    auto result = model.value()->forward(testIds(), options);
    ASSERT_TRUE(result.ok()) << result.error().describe();
    ASSERT_EQ(result->layerAttentionBackends.size(), static_cast<std::size_t>(model.value()->spec().nLayers));
    EXPECT_EQ(result->layerAttentionBackends[0], "cpu");
    EXPECT_EQ(result->layerAttentionBackends[1], "");
    EXPECT_EQ(result->attentionBackend.backend, "cpu");
}

TEST_F(ForwardBackend, WorkspaceReportsEachCommandsPassesOnce)
{
    auto workspace = Workspace::open({kStories});
    ASSERT_TRUE(workspace.ok()) << workspace.error().describe();
    Workspace& ws = *workspace.value();
    const std::vector<int> ids = testIds();
    const std::vector<std::int32_t> ids32(ids.begin(), ids.end());
    EXPECT_EQ(ws.backend(), VariantBackend::Auto);
    EXPECT_TRUE(ws.takeAttentionBackendUse().backend.empty());

    auto automatic = ws.headAttention(ids32, 2, 3, "dense", {});
    ASSERT_TRUE(automatic.ok()) << automatic.error().describe();
    const AttentionBackendUse fellBack = ws.takeAttentionBackendUse();
    EXPECT_EQ(fellBack.backend, "cpu");
    EXPECT_NE(fellBack.fallbackReason.find("ATTNSCOPE_DISABLE_CUDA"), std::string::npos) << fellBack.fallbackReason;
    EXPECT_TRUE(ws.takeAttentionBackendUse().backend.empty());

    ws.setBackend(VariantBackend::Cpu);
    auto cpu = ws.evaluate(ids32, "dense", {});
    ASSERT_TRUE(cpu.ok()) << cpu.error().describe();
    const AttentionBackendUse plain = ws.takeAttentionBackendUse();
    EXPECT_EQ(plain.backend, "cpu");
    EXPECT_TRUE(plain.fallbackReason.empty()) << plain.fallbackReason;
}

TEST(AttentionBackendUse, MergesLayersAndKeepsTheFirstReason)
{
    AttentionBackendUse use;
    use.add("", "");
    EXPECT_EQ(use.backend, "");
    use.add("cuda", "");
    use.add("cuda", "");
    EXPECT_EQ(use.backend, "cuda");
    use.add("cpu", "first");
    use.add("cpu", "second");
    EXPECT_EQ(use.backend, "cuda+cpu");
    EXPECT_EQ(use.fallbackReason, "first");
    AttentionBackendUse other;
    other.add("cuda+cpu", "");
    EXPECT_EQ(other.backend, "cuda+cpu");
    other.add("cpu", "");
    EXPECT_EQ(other.backend, "cuda+cpu");
}

} // namespace
} // namespace attnscope
