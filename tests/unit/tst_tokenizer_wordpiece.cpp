// WordPiece with BertNormalizer / BertPreTokenizer against HF `tokenizers`.

#include "tst_tokenizer_fixture.h"

#include <cstdlib>

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

// The real all-MiniLM-L6-v2 tokenizer (700 KB, not committed) where tools/prepare_real_models.py
// unpacked it; its HF ids are committed (padding/truncation off, as attnscope encodes).
TEST(TokenizerWordPiece, RealMiniLmMatchesHf)
{
    const char* env = std::getenv("ATTNSCOPE_REAL_MODELS");
    const std::string models = env ? env : std::string(ATTNSCOPE_SOURCE_DIR) + "/tools/.cache/models";
    const std::string path = models + "/all-MiniLM-L6-v2/tokenizer.json";
    if (!std::filesystem::exists(path)) {
        GTEST_SKIP() << "real all-MiniLM-L6-v2 tokenizer absent: " << path;
    }
    auto tokenizer = Tokenizer::fromFile(path);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().describe();
    EXPECT_EQ(tokenizer.value()->vocabSize(), 30522);
    EXPECT_EQ(tokenizer.value()->bosId(), 101);
    test::expectParity(*tokenizer.value(), "real_minilm");
}

} // namespace
} // namespace attnscope
