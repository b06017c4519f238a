// Tokenizer failures are Errors with the right code and context, and bad input never crashes.

#include "tst_tokenizer_fixture.h"

namespace attnscope {
namespace {

std::string minimalBpe(const std::string& extra)
{
    return R"({"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]})" + extra + "}";
}

TEST(TokenizerErrors, MissingFile)
{
    auto tokenizer = Tokenizer::fromFile("/nonexistent/tokenizer.json");
    ASSERT_FALSE(tokenizer.ok());
    EXPECT_EQ(tokenizer.error().code, ErrorCode::FileNotFound);
}

TEST(TokenizerErrors, MalformedJson)
{
    auto tokenizer = Tokenizer::fromJson("{\"model\": {", "broken.json");
    ASSERT_FALSE(tokenizer.ok());
    EXPECT_EQ(tokenizer.error().code, ErrorCode::FormatInvalid);
    EXPECT_EQ(tokenizer.error().context, "broken.json");
}

TEST(TokenizerErrors, WrongStructureIsFormatInvalid)
{
    for (const char* json : {"[]", "{}", R"({"model":{"type":"BPE","vocab":[1,2],"merges":[]}})",
                             R"({"model":{"type":"BPE","vocab":{"a":0},"merges":["a zz"]}})",
                             R"({"model":{"type":"BPE","vocab":{"a":"x"},"merges":[]}})"}) {
        auto tokenizer = Tokenizer::fromJson(json, "t.json");
        ASSERT_FALSE(tokenizer.ok()) << json;
        EXPECT_EQ(tokenizer.error().code, ErrorCode::FormatInvalid) << json;
    }
}

TEST(TokenizerErrors, UnigramIsUnsupported)
{
    auto tokenizer = Tokenizer::fromJson(R"({"model":{"type":"Unigram","vocab":[["a",0.0]]}})", "uni.json");
    ASSERT_FALSE(tokenizer.ok());
    EXPECT_EQ(tokenizer.error().code, ErrorCode::Unsupported);
    EXPECT_NE(tokenizer.error().message.find("Unigram"), std::string::npos);
    EXPECT_EQ(tokenizer.error().context, "uni.json");
}

TEST(TokenizerErrors, UnknownComponentsAreUnsupported)
{
    const std::pair<std::string, std::string> cases[] = {
        {R"(,"normalizer":{"type":"Precompiled","precompiled_charsmap":""})", "Precompiled"},
        {R"(,"pre_tokenizer":{"type":"UnicodeScripts"})", "UnicodeScripts"},
        {R"(,"pre_tokenizer":{"type":"Split","pattern":{"Regex":"[a-z]+"},"behavior":"Isolated","invert":false})",
         "[a-z]+"},
        {R"(,"post_processor":{"type":"Mystery"})", "Mystery"},
    };
    for (const auto& [extra, name] : cases) {
        auto tokenizer = Tokenizer::fromJson(minimalBpe(extra), "x.json");
        ASSERT_FALSE(tokenizer.ok()) << extra;
        EXPECT_EQ(tokenizer.error().code, ErrorCode::Unsupported) << extra;
        EXPECT_NE(tokenizer.error().message.find(name), std::string::npos) << tokenizer.error().message;
        EXPECT_EQ(tokenizer.error().context, "x.json");
    }
    EXPECT_TRUE(Tokenizer::fromJson(minimalBpe(""), "x.json").ok());
}

TEST(TokenizerErrors, InvalidUtf8DoesNotCrash)
{
    const std::string bad[] = {
        std::string("\xff\xfe abc"), std::string("abc\xc3"), std::string("\xe2\x82"), std::string("\xed\xa0\x80 surrogate"),
        std::string("\xc0\xaf overlong"), std::string("\xf4\x90\x80\x80 too big"), std::string("a\0b", 3),
    };
    for (const char* name : {"gpt2_bytelevel", "llama3_style", "qwen2_style", "sp_bpe", "sp_metaspace", "wordpiece_bert"}) {
        auto tokenizer = test::loadFixture(name);
        ASSERT_TRUE(tokenizer);
        for (const std::string& text : bad) {
            auto ids = tokenizer->encode(text);
            ASSERT_TRUE(ids.ok()) << name;
            for (std::int32_t id : ids.value()) {
                EXPECT_GE(id, 0);
                EXPECT_LT(id, tokenizer->vocabSize());
                EXPECT_FALSE(tokenizer->tokenDisplay(id).empty() && id != 0);
            }
            (void)tokenizer->decode(ids.value());
        }
        // Invalid bytes become U+FFFD, so they encode like the replacement character itself.
        EXPECT_EQ(tokenizer->encode("\xff").value(), tokenizer->encode("\xef\xbf\xbd").value()) << name;
        EXPECT_EQ(tokenizer->tokenDisplay(-5), "<id -5>");
    }
}

} // namespace
} // namespace attnscope
