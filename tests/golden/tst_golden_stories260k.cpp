// The real stories260K model (Llama 2 architecture, GQA 8/4 heads, tied output, f32 HF folder from
// ../shared/models) against reference_stories260K.json, an independent float64 implementation:
// argmax next token at every position, last-position logits and every attention row, within the
// file's suggested float32 tolerance. Token ids come from the file, not from our tokenizer.

#include "stories260k_reference.h"

namespace attnscope {
namespace {

TEST(GoldenStories260K, ReproducesTheFloat64Reference)
{
    auto model = Model::openHfFolder(kStoriesDir + "/hf");
    ASSERT_TRUE(model.ok()) << model.error().describe();
    EXPECT_EQ((*model)->weights().parameterCount(), 260032);
    expectMatchesStoriesReference(**model, "stories260K");
}

} // namespace
} // namespace attnscope
