// Inputs the libFuzzer targets in fuzz/ found crashing (docs/reliability.md lists each run), fed to
// the same core entry points as plain tests so that the fix stays in place in every build, not only
// under the fuzzer. Each test names the target and what went wrong.

#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

namespace attnscope {
namespace {

void expectInvalid(std::string_view json, const std::string& mention)
{
    auto tokenizer = Tokenizer::fromJson(json, "tokenizer.json");
    ASSERT_FALSE(tokenizer.ok()) << json;
    EXPECT_EQ(tokenizer.error().code, ErrorCode::FormatInvalid);
    EXPECT_NE(tokenizer.error().describe().find(mention), std::string::npos) << tokenizer.error().describe();
    EXPECT_NE(tokenizer.error().describe().find("tokenizer.json"), std::string::npos);
}

// fuzz_tokenizer_json, minimised crash: 49999999999999999999 does not fit a u64, so the JSON parser
// keeps it as a double; get<std::int32_t>() then converted 5e19 to int (undefined behaviour, an
// UBSan abort; in a release build a garbage id).
TEST(FuzzRegressions, TokenizerVocabIdThatIsAHugeFloat)
{
    expectInvalid(R"({"co": null,"model": {"vocab":{"": 49999999999999999999}}})",
                  "vocab id of \"\" 5e+19 is not a token id");
}

// The same conversion at every other place tokenizer.json stores an id.
TEST(FuzzRegressions, TokenizerIdsOutsideTheInt32RangeAreRefusedEverywhere)
{
    expectInvalid(R"({"added_tokens": [{"content": "<s>", "id": 2e65}],
                      "model": {"type": "WordPiece", "vocab": {"a": 0, "[UNK]": 1}}})",
                  "added token id");
    expectInvalid(R"({"model": {"type": "WordPiece", "vocab": {"a": 0, "[UNK]": 1}}, "post_processor":
                      {"type": "BertProcessing", "cls": ["a", 4294967296], "sep": ["a", 0]}})",
                  "post-processor special token id 4294967296");
    expectInvalid(R"({"model": {"type": "WordPiece", "vocab": {"a": 0, "[UNK]": 1}}, "post_processor":
                      {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "a"}}],
                       "special_tokens": {"a": {"ids": [-1]}}}})",
                  "TemplateProcessing id of 'a' -1");
    expectInvalid(R"({"model": {"type": "WordPiece", "vocab": {"a": 0, "[UNK]": 1},
                      "max_input_chars_per_word": 1e300}})",
                  "max_input_chars_per_word 1e+300");
}

// fuzz_tokenizer_json, 450 s run of 2026-12-02: a Strip decoder's start/stop were read with
// get<std::size_t>(), so 1.8e20 (a double after parsing) hit UBSan's float → unsigned long check,
// and -1 wrapped to 2^64 - 1 characters to strip.
TEST(FuzzRegressions, TokenizerDecoderCountsMustBeNonNegativeIntegers)
{
    const std::string head = R"({"model": {"type": "WordPiece", "vocab": {"a": 0, "[UNK]": 1}},
                                 "decoder": {"type": "Strip", "content": " ", )";
    expectInvalid(head + R"("start": 1.84467e20, "stop": 0}})", "start 1.84467e+20 is not an integer in [0, ");
    expectInvalid(head + R"("start": 0, "stop": -1}})", "stop -1 is not an integer in [0, ");
    expectInvalid(head + R"("start": 0.5, "stop": 0}})", "start 0.5 is not an integer");
    auto tokenizer = Tokenizer::fromJson(head + R"("start": 1, "stop": 0}})", "tokenizer.json");
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().describe();
}

TEST(FuzzRegressions, TokenizerIdsInRangeStillLoad)
{
    auto tokenizer = Tokenizer::fromJson(
        R"({"model": {"type": "WordPiece", "vocab": {"a": 0, "##a": 1, "[UNK]": 7}, "max_input_chars_per_word": 3}})",
        "tokenizer.json");
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().describe();
    EXPECT_EQ(tokenizer.value()->tokenToId("[UNK]"), 7);
    // max_input_chars_per_word was read: a four-letter word is past it and becomes [UNK].
    EXPECT_EQ(tokenizer.value()->encode("aaaa").value(), std::vector<std::int32_t>{7});
    EXPECT_EQ(tokenizer.value()->encode("aaa").value(), (std::vector<std::int32_t>{0, 1, 1}));
}

} // namespace
} // namespace attnscope
