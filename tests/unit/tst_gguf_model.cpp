// GGUF files as models: a tiny Llama and a tiny Gemma 3 written tensor by tensor, so that each
// test can leave out exactly one tensor the declared architecture needs (a clear error naming the
// tensor and the file, never a crash); the Gemma 3 layer pattern read from metadata; and the two
// rules that make a Gemma vocabulary tokenize as Hugging Face does, each on a vocabulary whose
// expected ids are worked out by hand below.

#include "io/gguf_file.h"
#include "model/model.h"
#include "test_support/temp_dir.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_gguf.h"
#include "tst_gguf_builder.h"

#include <gtest/gtest.h>

#include <cmath>

namespace attnscope {
namespace {

using testing::GgufBuilder;

constexpr std::uint32_t kF32 = 0;
constexpr int kHidden = 8;
constexpr int kHeads = 2;
constexpr int kHeadDim = kHidden / kHeads;
constexpr int kInter = 16;
constexpr int kVocab = 16;

struct TensorInfo {
    std::string name;
    std::vector<std::int64_t> dims; // GGUF order, innermost first
};

// The tensors llama.cpp's converter writes for `architecture` with `layers` blocks (tied output).
std::vector<TensorInfo> architectureTensors(const std::string& architecture, int layers)
{
    std::vector<TensorInfo> tensors = {{"token_embd.weight", {kHidden, kVocab}}, {"output_norm.weight", {kHidden}}};
    for (int layer = 0; layer < layers; ++layer) {
        const std::string p = "blk." + std::to_string(layer) + ".";
        for (const char* name : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
            tensors.push_back({p + name + ".weight", {kHidden, kHidden}});
        }
        tensors.push_back({p + "attn_norm.weight", {kHidden}});
        tensors.push_back({p + "ffn_norm.weight", {kHidden}});
        tensors.push_back({p + "ffn_gate.weight", {kHidden, kInter}});
        tensors.push_back({p + "ffn_up.weight", {kHidden, kInter}});
        tensors.push_back({p + "ffn_down.weight", {kInter, kHidden}});
        if (architecture == "gemma3") {
            tensors.push_back({p + "attn_q_norm.weight", {kHeadDim}});
            tensors.push_back({p + "attn_k_norm.weight", {kHeadDim}});
            tensors.push_back({p + "post_attention_norm.weight", {kHidden}});
            tensors.push_back({p + "post_ffw_norm.weight", {kHidden}});
        }
    }
    return tensors;
}

// A complete model file of `architecture` (f32 weights of 0.01) without the tensor `omit`.
std::string modelFile(const std::string& architecture, int layers, const std::string& omit = {})
{
    std::vector<TensorInfo> tensors;
    for (TensorInfo& tensor : architectureTensors(architecture, layers)) {
        if (tensor.name != omit) {
            tensors.push_back(std::move(tensor));
        }
    }
    const bool gemma = architecture == "gemma3";
    const std::string a = architecture + ".";
    GgufBuilder builder;
    builder.header(tensors.size(), gemma ? 9 : 8)
        .keyString("general.architecture", architecture)
        .keyU32(a + "block_count", static_cast<std::uint32_t>(layers))
        .keyU32(a + "embedding_length", kHidden)
        .keyU32(a + "feed_forward_length", kInter)
        .keyU32(a + "attention.head_count", kHeads)
        .keyU32(a + "context_length", 64)
        .keyF32(a + "attention.layer_norm_rms_epsilon", 1e-6f)
        .keyF32(a + "rope.freq_base", 1e6f);
    if (gemma) {
        builder.keyU32(a + "attention.sliding_window", 4);
    }
    std::uint64_t offset = 0;
    std::vector<std::uint64_t> sizes;
    for (const TensorInfo& tensor : tensors) {
        std::uint64_t count = 1;
        for (std::int64_t extent : tensor.dims) {
            count *= static_cast<std::uint64_t>(extent);
        }
        builder.tensor(tensor.name, tensor.dims, kF32, offset);
        sizes.push_back(count);
        offset += (count * 4 + 31) / 32 * 32;
    }
    builder.align();
    for (std::uint64_t count : sizes) {
        builder.floats(std::vector<float>(count, 0.01f)).align();
    }
    return builder.bytes();
}

class GgufModel : public ::testing::Test {
protected:
    TempDir m_dir;
};

TEST_F(GgufModel, CompleteFilesOpen)
{
    for (const char* architecture : {"llama", "gemma3"}) {
        const std::string path = m_dir.write(std::string(architecture) + ".gguf", modelFile(architecture, 6));
        auto model = Model::openGguf(path);
        ASSERT_TRUE(model.ok()) << architecture << ": " << model.error().describe();
        auto output = (*model)->forward(std::vector<int>{1, 2, 3}, ForwardOptions{});
        ASSERT_TRUE(output.ok()) << output.error().describe();
        EXPECT_EQ(output->logits.size(), 3u * kVocab);
    }
}

TEST_F(GgufModel, EveryMissingTensorIsNamedWithTheFile)
{
    for (const char* architecture : {"llama", "gemma3"}) {
        for (const TensorInfo& tensor : architectureTensors(architecture, 2)) {
            const std::string path = m_dir.write("missing.gguf", modelFile(architecture, 2, tensor.name));
            auto model = Model::openGguf(path);
            ASSERT_FALSE(model.ok()) << architecture << " without " << tensor.name;
            const Error& error = model.error();
            EXPECT_EQ(error.code, ErrorCode::FormatInvalid) << error.describe();
            EXPECT_EQ(error.reason, "tensor_missing") << error.describe();
            EXPECT_NE(error.message.find("\"" + tensor.name + "\""), std::string::npos) << error.describe();
            EXPECT_NE(error.describe().find(path), std::string::npos) << error.describe();
        }
    }
}

TEST_F(GgufModel, Gemma3LayerPatternFromMetadata)
{
    const std::string path = m_dir.write("gemma3.gguf", modelFile("gemma3", 12));
    auto file = GgufFile::open(path);
    ASSERT_TRUE(file.ok()) << file.error().describe();
    auto spec = ModelSpec::fromGguf(**file);
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_EQ(spec->family, ArchFamily::Gemma3);
    EXPECT_TRUE(spec->qkNorm);
    EXPECT_FLOAT_EQ(spec->embeddingScale, std::sqrt(static_cast<float>(kHidden)));
    for (int layer = 0; layer < 12; ++layer) {
        const LayerSpec& layerSpec = spec->layers[static_cast<std::size_t>(layer)];
        const bool global = layer == 5 || layer == 11;
        EXPECT_EQ(layerSpec.slidingWindow, global ? 0 : 4) << layer;
        EXPECT_EQ(layerSpec.ropeTheta, global ? 1e6 : 1e4) << layer;
        EXPECT_FLOAT_EQ(layerSpec.attentionScale, 1.0f / std::sqrt(static_cast<float>(kHeadDim))) << layer;
    }
}

// A tokenizer-only file: SentencePiece ("llama") vocabulary with scores and token types.
std::unique_ptr<Tokenizer> tokenizerOf(const TempDir& dir, const std::string& architecture,
                                       const std::vector<std::string>& tokens, const std::vector<float>& scores,
                                       const std::vector<std::int32_t>& types)
{
    GgufBuilder builder;
    builder.header(0, 7)
        .keyString("general.architecture", architecture)
        .keyString("tokenizer.ggml.model", "llama")
        .keyStrings("tokenizer.ggml.tokens", tokens)
        .keyF32s("tokenizer.ggml.scores", scores)
        .keyI32s("tokenizer.ggml.token_type", types);
    builder.string("tokenizer.ggml.add_space_prefix").raw<std::uint32_t>(7).raw<std::uint8_t>(0);
    builder.string("tokenizer.ggml.add_bos_token").raw<std::uint32_t>(7).raw<std::uint8_t>(0);
    builder.align();
    const std::string path = dir.write(architecture + "-tokenizer.gguf", builder.bytes());
    auto file = GgufFile::open(path);
    EXPECT_TRUE(file.ok()) << file.error().describe();
    if (!file.ok()) {
        return nullptr;
    }
    auto tokenizer = tokenizerFromGguf(**file);
    EXPECT_TRUE(tokenizer.ok()) << tokenizer.error().describe();
    return tokenizer.ok() ? std::move(*tokenizer) : nullptr;
}

std::vector<std::int32_t> encode(const Tokenizer& tokenizer, const std::string& text)
{
    auto ids = tokenizer.encode(text);
    EXPECT_TRUE(ids.ok()) << ids.error().describe();
    return ids.ok() ? std::vector<std::int32_t>(ids->begin(), ids->end()) : std::vector<std::int32_t>{};
}

// "ab" (id 7) is listed before "bc" (id 8) but scores lower. SentencePiece-style ranking by score
// merges b+c first: "abc" → a, bc = [4, 8]. Gemma ranks merges by vocabulary order, so a+b merges
// first: "abc" → ab, c = [7, 6].
TEST_F(GgufModel, GemmaMergesFollowVocabularyOrderNotScores)
{
    const std::vector<std::string> tokens = {"<pad>", "<eos>", "<bos>", "<unk>", "a", "b", "c", "ab", "bc"};
    const std::vector<float> scores = {0, 0, 0, 0, -1, -2, -3, -10, -5};
    const std::vector<std::int32_t> types = {3, 3, 3, 3, 1, 1, 1, 1, 1};
    auto llama = tokenizerOf(m_dir, "llama", tokens, scores, types);
    auto gemma = tokenizerOf(m_dir, "gemma3", tokens, scores, types);
    ASSERT_TRUE(llama && gemma);
    EXPECT_EQ(encode(*llama, "abc"), (std::vector<std::int32_t>{4, 8}));
    EXPECT_EQ(encode(*gemma, "abc"), (std::vector<std::int32_t>{7, 6}));
}

// Token 7 is the user-defined piece of two real spaces. Read as a Llama vocabulary it is an added
// token matched whole in the raw text: "  a" → "  ", a = [7, 4]. Gemma respells it "▁▁", an
// ordinary piece, so the text is normalised to "▁▁a" and merged by vocabulary order: "▁a" (id 6)
// before "▁▁" (id 7) gives ▁, ▁a = [5, 6].
TEST_F(GgufModel, GemmaSpaceRunPiecesAreRespelled)
{
    const std::vector<std::string> tokens = {"<pad>", "<eos>", "<bos>", "<unk>", "a", "\xe2\x96\x81",
                                             "\xe2\x96\x81" "a", "  "};
    const std::vector<float> scores = {0, 0, 0, 0, -1, -2, -3, -4};
    const std::vector<std::int32_t> types = {3, 3, 3, 3, 1, 1, 1, 4};
    auto llama = tokenizerOf(m_dir, "llama", tokens, scores, types);
    auto gemma = tokenizerOf(m_dir, "gemma3", tokens, scores, types);
    ASSERT_TRUE(llama && gemma);
    EXPECT_EQ(encode(*llama, "  a"), (std::vector<std::int32_t>{7, 4}));
    EXPECT_EQ(encode(*gemma, "  a"), (std::vector<std::int32_t>{5, 6}));
    EXPECT_EQ(encode(*gemma, "a  "), (std::vector<std::int32_t>{4, 7}));
}

} // namespace
} // namespace attnscope
