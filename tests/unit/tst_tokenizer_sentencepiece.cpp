// SentencePiece-style BPE (▁, byte_fallback, fuse_unk): stories260K and two trained tokenizers
// (Prepend/Replace normalizer; Metaspace pre-tokenizer) against HF `tokenizers`.

#include "tst_tokenizer_fixture.h"


namespace attnscope {
namespace {

std::string storiesPath() { return std::string(ATTNSCOPE_SHARED_MODELS) + "/stories260K/hf/tokenizer.json"; }

TEST(TokenizerSentencePiece, Stories260kMatchesHf)
{
    if (!std::filesystem::exists(storiesPath())) {
        FAIL() << "shared model absent (../shared/models must sit beside the repository): " << storiesPath();
    }
    auto tokenizer = Tokenizer::fromFile(storiesPath());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().describe();
    EXPECT_EQ(tokenizer.value()->kindName(), "bpe-sentencepiece");
    EXPECT_EQ(tokenizer.value()->bosId(), 1);
    EXPECT_EQ(tokenizer.value()->eosId(), 2);
    EXPECT_EQ(tokenizer.value()->vocabSize(), 512);
    test::expectParity(*tokenizer.value(), "stories260k");
}

TEST(TokenizerSentencePiece, Stories260kReferencePrompt)
{
    const std::string reference = std::string(ATTNSCOPE_SHARED_MODELS) + "/stories260K/reference_stories260K.json";
    if (!std::filesystem::exists(storiesPath()) || !std::filesystem::exists(reference)) {
        FAIL() << "shared model absent (../shared/models must sit beside the repository)";
    }
    auto text = readTextFile(reference);
    ASSERT_TRUE(text.ok());
    const auto json = nlohmann::json::parse(text.value());
    auto tokenizer = Tokenizer::fromFile(storiesPath());
    ASSERT_TRUE(tokenizer.ok());
    auto ids = tokenizer.value()->encode(json.at("prompt").get<std::string>());
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(ids.value(), json.at("prompt_token_ids").get<std::vector<std::int32_t>>());
    EXPECT_EQ(tokenizer.value()->tokenDisplay(ids.value()[1]), " Once");
    EXPECT_EQ(tokenizer.value()->tokenDisplay(1), "<s>");
    EXPECT_EQ(tokenizer.value()->decode(ids.value()), json.at("prompt").get<std::string>());
}

TEST(TokenizerSentencePiece, NormalizerStyleMatchesHf)
{
    auto tokenizer = test::loadFixture("sp_bpe");
    ASSERT_TRUE(tokenizer);
    EXPECT_EQ(tokenizer->kindName(), "bpe-sentencepiece");
    test::expectParity(*tokenizer, "sp_bpe");
}

TEST(TokenizerSentencePiece, MetaspaceStyleMatchesHf)
{
    auto tokenizer = test::loadFixture("sp_metaspace");
    ASSERT_TRUE(tokenizer);
    test::expectParity(*tokenizer, "sp_metaspace");
}

TEST(TokenizerSentencePiece, ByteFallbackDisplay)
{
    auto tokenizer = test::loadFixture("sp_bpe");
    ASSERT_TRUE(tokenizer);
    const auto newline = tokenizer->tokenToId("<0x0A>");
    ASSERT_TRUE(newline);
    EXPECT_EQ(tokenizer->tokenDisplay(*newline), "\\n");
    EXPECT_EQ(tokenizer->tokenDisplay(*tokenizer->tokenToId("<0xE6>")), "<0xE6>");
    const std::string text = "Hi 😀 there\nok";
    auto ids = tokenizer->encode(text, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(tokenizer->decode(ids.value()), text);
}

// 400 kB with no pre-tokenizer: one word for the BPE merge queue, and it comes back through decode.
// Its speed is measured in bench_tokenizer, not asserted here.
TEST(TokenizerSentencePiece, OneHugeWordRoundTrips)
{
    if (!std::filesystem::exists(storiesPath())) {
        FAIL() << "shared model absent (../shared/models must sit beside the repository)";
    }
    auto tokenizer = Tokenizer::fromFile(storiesPath());
    ASSERT_TRUE(tokenizer.ok());
    // No pre-tokenizer: the whole text is one word for the BPE merge queue.
    std::string big;
    while (big.size() < 400000) {
        big += "Once upon a time, there was a little girl named Lily. She liked to play outside. ";
    }
    auto ids = tokenizer.value()->encode(big);
    ASSERT_TRUE(ids.ok());
    EXPECT_GT(ids.value().size(), 100000u);
    EXPECT_TRUE(tokenizer.value()->decode(ids.value()) == big) << "the decoded text differs from the input";
}

} // namespace
} // namespace attnscope
