// Byte-level BPE (GPT-2 ByteLevel regex, Llama 3 and Qwen 2 Split regexes) against HF `tokenizers`.

#include "tst_tokenizer_fixture.h"


namespace attnscope {
namespace {

TEST(TokenizerByteLevel, Gpt2MatchesHf)
{
    auto tokenizer = test::loadFixture("gpt2_bytelevel");
    ASSERT_TRUE(tokenizer);
    EXPECT_EQ(tokenizer->kindName(), "bpe-bytelevel");
    test::expectParity(*tokenizer, "gpt2_bytelevel");
}

TEST(TokenizerByteLevel, RobertaMatchesHf)
{
    auto tokenizer = test::loadFixture("roberta_style");
    ASSERT_TRUE(tokenizer);
    EXPECT_EQ(tokenizer->bosId(), tokenizer->tokenToId("<s>"));
    EXPECT_EQ(tokenizer->eosId(), tokenizer->tokenToId("</s>"));
    test::expectParity(*tokenizer, "roberta_style");
}

TEST(TokenizerByteLevel, Llama3MatchesHf)
{
    auto tokenizer = test::loadFixture("llama3_style");
    ASSERT_TRUE(tokenizer);
    EXPECT_EQ(tokenizer->kindName(), "bpe-bytelevel");
    EXPECT_EQ(tokenizer->bosId(), tokenizer->tokenToId("<|begin_of_text|>"));
    test::expectParity(*tokenizer, "llama3_style");
}

TEST(TokenizerByteLevel, Qwen2MatchesHf)
{
    auto tokenizer = test::loadFixture("qwen2_style");
    ASSERT_TRUE(tokenizer);
    test::expectParity(*tokenizer, "qwen2_style");
}

TEST(TokenizerByteLevel, DisplayAndDecodeRoundTrip)
{
    auto tokenizer = test::loadFixture("gpt2_bytelevel");
    ASSERT_TRUE(tokenizer);
    const std::string text = "Hello world,\n the café — 東京 😀!";
    auto ids = tokenizer->encode(text);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(tokenizer->decode(ids.value()), text);
    std::string shown;
    for (std::int32_t id : ids.value()) {
        shown += tokenizer->tokenDisplay(id);
    }
    // Display escapes the newline and shows split multi-byte characters as <0xNN> pieces.
    EXPECT_NE(shown.find("\\n"), std::string::npos);
    EXPECT_EQ(shown.find('\n'), std::string::npos);
    const auto space = tokenizer->encode(" the", false);
    ASSERT_TRUE(space.ok());
    EXPECT_EQ(tokenizer->tokenDisplay(space.value().front()).front(), ' ');
}

// A 600 kB input: every byte comes back through decode. How long it takes is bench_tokenizer's
// business (a quadratic merge loop shows there, not as a flaky wall-clock assertion here).
TEST(TokenizerByteLevel, LongTextRoundTrips)
{
    auto tokenizer = test::loadFixture("llama3_style");
    ASSERT_TRUE(tokenizer);
    auto text = readTextFile(test::fixtureDir("llama3_style") + "/expected.json");
    ASSERT_TRUE(text.ok());
    // The fixture spells special tokens ("<|eot_id|>"), which decode drops; unspell them so that
    // every byte of the input is ordinary text.
    std::string ordinary = text.value();
    for (std::size_t at = ordinary.find("<|"); at != std::string::npos; at = ordinary.find("<|", at)) {
        ordinary.erase(at + 1, 1);
    }
    std::string big;
    while (big.size() < 600000) {
        big += ordinary;
    }
    auto ids = tokenizer->encode(big);
    ASSERT_TRUE(ids.ok());
    EXPECT_GT(ids.value().size(), 100000u);
    EXPECT_TRUE(tokenizer->decode(ids.value()) == big) << "the decoded text differs from the input";
}

} // namespace
} // namespace attnscope
