// stories260K opened from its GGUF file (llama.cpp's converter: interleaved-pair RoPE, tokenizer in
// the metadata) against reference_stories260K.json exactly as the HF folder is checked: the prompt
// ids from the GGUF tokenizer, argmax next token at every position, last-position logits and every
// attention row within the file's float32 tolerance. Also: the GGUF tokenizer encodes and decodes
// like the HF folder's tokenizer.json on Unicode and byte-fallback text.

#include "io/mapped_file.h"
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

const std::string kModelDir = std::string(ATTNSCOPE_SHARED_MODELS) + "/stories260K";

const std::string kGguf = kModelDir + "/stories260K.gguf";

TEST(GoldenStories260KGguf, ReproducesTheFloat64Reference)
{
    if (!std::filesystem::exists(kGguf)) {
        GTEST_SKIP() << "stories260K not found in " << kModelDir;
    }
    auto text = readTextFile(kModelDir + "/reference_stories260K.json");
    ASSERT_TRUE(text.ok()) << text.error().describe();
    const nlohmann::json reference = nlohmann::json::parse(*text);
    const double tolerance = reference.at("suggested_tolerance_float32").get<double>();
    const std::vector<int> ids = reference.at("prompt_token_ids").get<std::vector<int>>();
    const std::vector<int> argmax = reference.at("argmax_next_token_per_position").get<std::vector<int>>();
    const std::vector<double> lastLogits = reference.at("last_position_logits").get<std::vector<double>>();
    const auto& attention = reference.at("attention");

    auto model = Model::openGguf(kGguf);
    ASSERT_TRUE(model.ok()) << model.error().describe();
    const ModelSpec& spec = (*model)->spec();
    EXPECT_EQ(spec.rope, RopeStyle::InterleavedPairs);
    ASSERT_NE((*model)->tokenizer(), nullptr);
    auto encoded = (*model)->tokenizer()->encode(reference.at("prompt").get<std::string>());
    ASSERT_TRUE(encoded.ok()) << encoded.error().describe();
    EXPECT_EQ(std::vector<int>(encoded->begin(), encoded->end()), ids);
    EXPECT_EQ(spec.nLayers, 5);
    EXPECT_EQ(spec.nHeads, 8);
    EXPECT_EQ(spec.nKvHeads, 4);
    // The GGUF stores the tied output matrix a second time (output.weight): 512 × 64 more.
    EXPECT_EQ((*model)->weights().parameterCount(), 260032 + 512 * 64);

    std::vector<LayerCapture> captures;
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        captures.push_back(std::move(capture));
        return okResult();
    };
    auto output = (*model)->forward(ids, options);
    ASSERT_TRUE(output.ok()) << output.error().describe();
    const int nTokens = static_cast<int>(ids.size());
    const int vocab = output->vocabSize;

    for (int pos = 0; pos < nTokens; ++pos) {
        const float* row = output->logits.data() + static_cast<std::size_t>(pos) * vocab;
        EXPECT_EQ(std::max_element(row, row + vocab) - row, argmax[static_cast<std::size_t>(pos)]) << "position " << pos;
    }
    ASSERT_EQ(static_cast<int>(lastLogits.size()), vocab);
    double worstLogit = 0.0;
    for (int token = 0; token < vocab; ++token) {
        const double ours = output->logits[static_cast<std::size_t>(nTokens - 1) * vocab + token];
        worstLogit = std::max(worstLogit, std::abs(ours - lastLogits[static_cast<std::size_t>(token)]));
    }
    EXPECT_LE(worstLogit, tolerance);

    ASSERT_EQ(captures.size(), attention.size());
    double worstAttention = 0.0;
    int rowsChecked = 0;
    for (const LayerCapture& capture : captures) {
        const auto& layerRef = attention.at(static_cast<std::size_t>(capture.qkv.layer));
        ASSERT_EQ(static_cast<int>(layerRef.size()), spec.nHeads);
        for (int head = 0; head < spec.nHeads; ++head) {
            std::vector<float> probs;
            ASSERT_TRUE(denseProbabilities(capture.qkv, head, probs, nullptr).ok());
            const auto& headRef = layerRef.at(static_cast<std::size_t>(head));
            ASSERT_EQ(static_cast<int>(headRef.size()), nTokens);
            for (int query = 0; query < nTokens; ++query) {
                const std::vector<double> row = headRef.at(static_cast<std::size_t>(query)).get<std::vector<double>>();
                ASSERT_EQ(static_cast<int>(row.size()), query + 1);
                for (int key = 0; key < nTokens; ++key) {
                    const double expected = key <= query ? row[static_cast<std::size_t>(key)] : 0.0;
                    const double ours = probs[static_cast<std::size_t>(query) * nTokens + key];
                    worstAttention = std::max(worstAttention, std::abs(ours - expected));
                }
                ++rowsChecked;
            }
        }
    }
    EXPECT_EQ(rowsChecked, 5 * 8 * nTokens);
    EXPECT_LE(worstAttention, tolerance);
    std::printf("stories260K.gguf: last-logit max error %.3g, attention max error %.3g over %d rows (tolerance %.g)\n",
                worstLogit, worstAttention, rowsChecked, tolerance);
}

TEST(GoldenStories260KGguf, TokenizerMatchesTheHfFolder)
{
    if (!std::filesystem::exists(kGguf) || !std::filesystem::exists(kModelDir + "/hf/tokenizer.json")) {
        GTEST_SKIP() << "stories260K not found in " << kModelDir;
    }
    auto gguf = Model::openGguf(kGguf);
    ASSERT_TRUE(gguf.ok()) << gguf.error().describe();
    auto hf = Tokenizer::fromFile(kModelDir + "/hf/tokenizer.json");
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
        GTEST_SKIP() << "stories260K not found in " << kModelDir;
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
