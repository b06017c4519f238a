// Gemma 3 parity against Hugging Face transformers in float64 (tools/gen_gemma3_fixture.py): a
// 3-layer Gemma3ForCausalLM with sliding (window 4) and global layers, per-type RoPE bases,
// QK-norm, GeGLU, (1 + w) RMSNorms, pre- and post-norms, query_pre_attn_scalar scaling and
// final-logit softcapping. Same tolerance rule as the other forward goldens; plus
// the captured attention carries the model's own sliding window.

#include "tst_golden_forward_common.h"

namespace attnscope::golden {
namespace {

TEST(GoldenForwardGemma3, MatchesTransformersFloat64)
{
    checkFixture("gemma3_tiny");
}

TEST(GoldenForwardGemma3, SpecAndCapturedWindowFollowTheConfig)
{
    auto model = Model::openHfFolder(fixtureDir("gemma3_tiny"));
    ASSERT_TRUE(model.ok()) << model.error().describe();
    const ModelSpec& spec = (*model)->spec();
    EXPECT_EQ(spec.family, ArchFamily::Gemma3);
    EXPECT_TRUE(spec.qkNorm);
    EXPECT_FLOAT_EQ(spec.embeddingScale, std::sqrt(32.0f));
    EXPECT_FLOAT_EQ(spec.finalLogitSoftcap, 15.0f);
    ASSERT_EQ(spec.layers.size(), 3u);
    EXPECT_EQ(spec.layers[0].slidingWindow, 4);
    EXPECT_EQ(spec.layers[1].slidingWindow, 0);
    EXPECT_EQ(spec.layers[2].slidingWindow, 4);
    EXPECT_DOUBLE_EQ(spec.layers[0].ropeTheta, 10000.0);
    EXPECT_DOUBLE_EQ(spec.layers[1].ropeTheta, 1000000.0);
    EXPECT_FLOAT_EQ(spec.layers[1].attentionScale, 1.0f / std::sqrt(24.0f));
    // attn_logit_softcapping is in the config but Gemma 3 never applies it (transformers neither).
    EXPECT_FLOAT_EQ(spec.layers[0].softcap, 0.0f);

    const std::vector<int> ids = {2, 17, 99, 5, 64, 31, 8, 120, 44, 3};
    std::vector<LayerCapture> captures;
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        captures.push_back(std::move(capture));
        return okResult();
    };
    ASSERT_TRUE((*model)->forward(ids, options).ok());
    ASSERT_EQ(captures.size(), 3u);
    const int n = static_cast<int>(ids.size());
    for (const LayerCapture& capture : captures) {
        EXPECT_EQ(capture.qkv.slidingWindow, spec.layers[static_cast<std::size_t>(capture.qkv.layer)].slidingWindow);
        std::vector<float> probs;
        ASSERT_TRUE(denseProbabilities(capture.qkv, 0, probs, nullptr).ok());
        double outsideWindow = 0.0;
        for (int query = 0; query < n; ++query) {
            for (int key = 0; key <= query; ++key) {
                if (capture.qkv.slidingWindow > 0 && query - key >= capture.qkv.slidingWindow) {
                    outsideWindow += probs[static_cast<std::size_t>(query) * n + key];
                }
            }
        }
        EXPECT_EQ(outsideWindow, 0.0) << "layer " << capture.qkv.layer;
    }
}

} // namespace
} // namespace attnscope::golden
