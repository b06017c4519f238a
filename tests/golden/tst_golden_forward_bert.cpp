// BERT (BertModel: post-norm, learned positions, token types, erf GELU, bidirectional attention)
// against Hugging Face transformers in float64: attention of every layer and head and the last
// hidden state.

#include "tst_golden_forward_common.h"

namespace attnscope::golden {
namespace {

TEST(GoldenForwardBert, TinyMatchesTransformers)
{
    checkFixture("bert_tiny");
}

TEST(GoldenForwardBert, HasNoLogitsNoLossAndAHardContextLimit)
{
    auto model = Model::openHfFolder(fixtureDir("bert_tiny"));
    ASSERT_TRUE(model.ok()) << model.error().describe();
    EXPECT_FALSE((*model)->spec().causal);
    auto logits = (*model)->forward(std::vector<int>{2, 5, 7}, ForwardOptions{});
    ASSERT_FALSE(logits.ok());
    EXPECT_EQ(logits.error().code, ErrorCode::Unsupported);
    auto loss = (*model)->loss(std::vector<int>{2, 5, 7});
    ASSERT_FALSE(loss.ok());
    EXPECT_EQ(loss.error().code, ErrorCode::Unsupported);

    ForwardOptions overflow;
    overflow.logits = LogitsMode::None;
    overflow.allowOverflow = true;
    auto tooLong = (*model)->forward(std::vector<int>(33, 5), overflow);
    ASSERT_FALSE(tooLong.ok());
    EXPECT_EQ(tooLong.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(tooLong.error().message.find("learned positions"), std::string::npos) << tooLong.error().message;
}

} // namespace
} // namespace attnscope::golden
