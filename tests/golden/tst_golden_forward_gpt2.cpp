// GPT-2 (Conv1D [in, out] weights, fused c_attn, learned positions, tanh GELU, tied output) from a
// sharded checkpoint (model.safetensors.index.json + 6 shards) against Hugging Face transformers
// in float64: attention, logits and the windowed loss (70 ids over a 32-token context).

#include "tst_golden_forward_common.h"

namespace attnscope::golden {
namespace {

TEST(GoldenForwardGpt2, TinyShardedMatchesTransformers)
{
    checkFixture("gpt2_tiny");
}

TEST(GoldenForwardGpt2, PrefixedNamesAreFound)
{
    auto model = Model::openHfFolder(fixtureDir("gpt2_tiny"));
    ASSERT_TRUE(model.ok()) << model.error().describe();
    EXPECT_EQ((*model)->weights().namePrefix(), "transformer.");
    EXPECT_GT((*model)->store().files().size(), 1u);
}

} // namespace
} // namespace attnscope::golden
