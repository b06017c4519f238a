// stories260K opened from its GGUF file (llama.cpp's converter: interleaved-pair RoPE, tokenizer in
// the metadata) against reference_stories260K.json exactly as the HF folder is checked: the prompt
// ids from the GGUF tokenizer, argmax next token at every position, last-position logits and every
// attention row within the file's float32 tolerance. Also: the GGUF tokenizer encodes and decodes
// like the HF folder's tokenizer.json on Unicode and byte-fallback text.

#include "stories260k_reference.h"
#include "model/dense_attention.h"
#include "model/model.h"
#include "model/model_weights.h"
#include "tokenizer/tokenizer.h"
#include "attnscope/workspace.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace attnscope {
namespace {

const std::string kGguf = kStoriesDir + "/stories260K.gguf";

TEST(GoldenStories260KGguf, ReproducesTheFloat64Reference)
{
    if (!std::filesystem::exists(kGguf)) {
        FAIL() << "stories260K not found (../shared/models must sit beside the repository) in " << kStoriesDir;
    }
    const nlohmann::json reference = storiesReference();
    auto model = Model::openGguf(kGguf);
    ASSERT_TRUE(model.ok()) << model.error().describe();
    EXPECT_EQ((*model)->spec().rope, RopeStyle::InterleavedPairs);
    ASSERT_NE((*model)->tokenizer(), nullptr);
    auto encoded = (*model)->tokenizer()->encode(reference.at("prompt").get<std::string>());
    ASSERT_TRUE(encoded.ok()) << encoded.error().describe();
    EXPECT_EQ(std::vector<int>(encoded->begin(), encoded->end()),
              reference.at("prompt_token_ids").get<std::vector<int>>());
    // The GGUF stores the tied output matrix a second time (output.weight): 512 × 64 more.
    EXPECT_EQ((*model)->weights().parameterCount(), 260032 + 512 * 64);
    expectMatchesStoriesReference(**model, "stories260K.gguf");
}

TEST(GoldenStories260KGguf, TokenizerMatchesTheHfFolder)
{
    if (!std::filesystem::exists(kGguf) || !std::filesystem::exists(kStoriesDir + "/hf/tokenizer.json")) {
        FAIL() << "stories260K not found (../shared/models must sit beside the repository) in " << kStoriesDir;
    }
    auto gguf = Model::openGguf(kGguf);
    ASSERT_TRUE(gguf.ok()) << gguf.error().describe();
    auto hf = Tokenizer::fromFile(kStoriesDir + "/hf/tokenizer.json");
    ASSERT_TRUE(hf.ok()) << hf.error().describe();
    const Tokenizer& ours = *(*gguf)->tokenizer();
    EXPECT_EQ(ours.bosId(), std::optional<std::int32_t>(1));
    for (const std::string text :
         {"Once upon a time, there was a little girl named Lily.", "  two  spaces\nand a newline",
          "Caf\xc3\xa9 na\xc3\xafve \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82", "<s> not special?", "",
          "x", "The end. The END! 1234567890"}) {
        for (bool special : {true, false}) {
            auto expected = (*hf)->encode(text, special);
            auto actual = ours.encode(text, special);
            ASSERT_TRUE(expected.ok() && actual.ok());
            EXPECT_EQ(*actual, *expected) << "\"" << text << "\" special=" << special;
            EXPECT_EQ(ours.decode(*actual), (*hf)->decode(*expected)) << text;
        }
    }
}

TEST(GoldenStories260KGguf, WorkspaceOpensTheGgufFile)
{
    if (!std::filesystem::exists(kGguf)) {
        FAIL() << "stories260K not found (../shared/models must sit beside the repository) in " << kStoriesDir;
    }
    OpenOptions options;
    options.modelPath = kGguf;
    auto workspace = Workspace::open(options);
    ASSERT_TRUE(workspace.ok()) << workspace.error().describe();
    EXPECT_EQ((*workspace)->info().architecture, "llama");
    EXPECT_EQ((*workspace)->info().nLayers, 5);
    EXPECT_EQ((*workspace)->info().tokenizerKind, "bpe-sentencepiece");
}

} // namespace
} // namespace attnscope
