// WordPiece with BertNormalizer / BertPreTokenizer against HF `tokenizers`.

#include "tst_tokenizer_fixture.h"


namespace attnscope {
namespace {

TEST(TokenizerWordPiece, TrainedBertMatchesHf)
{
    auto tokenizer = test::loadFixture("wordpiece_bert");
    ASSERT_TRUE(tokenizer);
    EXPECT_EQ(tokenizer->kindName(), "wordpiece");
    EXPECT_EQ(tokenizer->bosId(), tokenizer->tokenToId("[CLS]"));
    EXPECT_EQ(tokenizer->eosId(), tokenizer->tokenToId("[SEP]"));
    test::expectParity(*tokenizer, "wordpiece_bert");
}

TEST(TokenizerWordPiece, DisplayStripsContinuationPrefix)
{
    auto tokenizer = test::loadFixture("wordpiece_bert");
    ASSERT_TRUE(tokenizer);
    auto ids = tokenizer->encode("the beginning", false);
    ASSERT_TRUE(ids.ok());
    for (std::int32_t id : ids.value()) {
        EXPECT_FALSE(tokenizer->tokenDisplay(id).starts_with("##"));
    }
    EXPECT_EQ(tokenizer->decode(ids.value()), "the beginning");
}

} // namespace
} // namespace attnscope
