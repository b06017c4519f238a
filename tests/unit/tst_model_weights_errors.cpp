// ModelWeights binding and Model::openHfFolder on small models written at test time: missing,
// extra, misshapen, non-finite and non-float tensors each give a clear error naming the tensor;
// bf16/f16 weights give the same forward pass as f32; HF name prefixes are optional.

#include "io/safetensors_file.h"
#include "io/tensor_store.h"
#include "model/model.h"
#include "model/model_weights.h"
#include "test_support/temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace attnscope {
namespace {

const char* kLlamaConfig = R"({"model_type": "llama", "hidden_size": 8, "intermediate_size": 12,
    "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 10,
    "max_position_embeddings": 16, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
    "tie_word_embeddings": true})";

// Values on a 1/64 grid in [-1, 1]: exact in bf16 and f16, so every dtype gives the same model.
std::vector<float> gridValues(std::size_t count, unsigned seed)
{
    std::vector<float> values(count);
    for (std::size_t index = 0; index < count; ++index) {
        seed = seed * 1103515245u + 12345u;
        values[index] = static_cast<float>(static_cast<int>((seed >> 16) % 129) - 64) / 64.0f;
    }
    return values;
}

TensorToWrite tensor(const std::string& name, std::vector<std::int64_t> shape, unsigned seed, bool norm = false)
{
    std::size_t count = 1;
    for (auto extent : shape) {
        count *= static_cast<std::size_t>(extent);
    }
    std::vector<float> values = gridValues(count, seed);
    if (norm) {
        for (float& value : values) {
            value = 1.0f + value / 2.0f;
        }
    }
    return makeF32Tensor(name, std::move(shape), values);
}

std::vector<TensorToWrite> llamaTensors()
{
    const std::string p = "model.layers.0.";
    return {tensor("model.embed_tokens.weight", {10, 8}, 1),
            tensor("model.norm.weight", {8}, 2, true),
            tensor(p + "input_layernorm.weight", {8}, 3, true),
            tensor(p + "self_attn.q_proj.weight", {8, 8}, 4),
            tensor(p + "self_attn.k_proj.weight", {4, 8}, 5),
            tensor(p + "self_attn.v_proj.weight", {4, 8}, 6),
            tensor(p + "self_attn.o_proj.weight", {8, 8}, 7),
            tensor(p + "post_attention_layernorm.weight", {8}, 8, true),
            tensor(p + "mlp.gate_proj.weight", {12, 8}, 9),
            tensor(p + "mlp.up_proj.weight", {12, 8}, 10),
            tensor(p + "mlp.down_proj.weight", {8, 12}, 11)};
}

TensorToWrite convertTo(const TensorToWrite& source, DType dtype)
{
    TensorToWrite out{source.name, dtype, source.shape, {}};
    const std::size_t count = source.bytes.size() / 4;
    out.bytes.resize(count * 2);
    for (std::size_t index = 0; index < count; ++index) {
        float value;
        std::memcpy(&value, source.bytes.data() + 4 * index, 4);
        const std::uint16_t bits = dtype == DType::BF16 ? floatToBf16(value) : floatToF16(value);
        std::memcpy(out.bytes.data() + 2 * index, &bits, 2);
    }
    return out;
}

class ModelWeightsTest : public ::testing::Test {
protected:
    Result<std::unique_ptr<Model>> open(const std::vector<TensorToWrite>& tensors, const char* config = kLlamaConfig)
    {
        m_dir.write("config.json", config);
        auto written = writeSafetensors(m_dir.path() + "/model.safetensors", tensors);
        EXPECT_TRUE(written.ok());
        return Model::openHfFolder(m_dir.path());
    }

    static void expectError(const Result<std::unique_ptr<Model>>& model, ErrorCode code,
                            const std::vector<std::string>& mentioned)
    {
        ASSERT_FALSE(model.ok());
        EXPECT_EQ(model.error().code, code) << model.error().describe();
        for (const std::string& text : mentioned) {
            EXPECT_NE(model.error().describe().find(text), std::string::npos) << model.error().describe();
        }
    }

    static std::vector<float> logits(const Model& model)
    {
        auto output = model.forward(std::vector<int>{1, 4, 9, 2, 7}, ForwardOptions{});
        EXPECT_TRUE(output.ok()) << output.error().describe();
        return output.ok() ? output->logits : std::vector<float>{};
    }

    TempDir m_dir;
};

TEST_F(ModelWeightsTest, CompleteModelOpensAndRuns)
{
    auto model = open(llamaTensors());
    ASSERT_TRUE(model.ok()) << model.error().describe();
    EXPECT_EQ((*model)->weights().parameterCount(), 80 + 8 + 8 + 64 + 32 + 32 + 64 + 8 + 96 * 3);
    EXPECT_EQ((*model)->tokenizer(), nullptr);
    EXPECT_EQ(logits(**model).size(), 50u);
}

TEST_F(ModelWeightsTest, MissingTensorIsNamed)
{
    auto tensors = llamaTensors();
    tensors.erase(tensors.begin() + 3);
    expectError(open(tensors), ErrorCode::FormatInvalid, {"model.layers.0.self_attn.q_proj.weight", "missing"});
}

TEST_F(ModelWeightsTest, UntiedModelNeedsItsOutputHead)
{
    std::string config = kLlamaConfig;
    config.replace(config.find("\"tie_word_embeddings\": true"), 27, "\"tie_word_embeddings\": false");
    expectError(open(llamaTensors(), config.c_str()), ErrorCode::FormatInvalid, {"lm_head.weight"});
    auto tensors = llamaTensors();
    tensors.push_back(tensor("lm_head.weight", {10, 8}, 20));
    auto model = open(tensors, config.c_str());
    ASSERT_TRUE(model.ok()) << model.error().describe();
    EXPECT_FALSE((*model)->spec().tieEmbeddings);
}

TEST_F(ModelWeightsTest, ExtraTensorIsNamedButKnownBuffersAreIgnored)
{
    auto extra = llamaTensors();
    extra.push_back(tensor("model.layers.1.self_attn.q_proj.weight", {8, 8}, 12));
    expectError(open(extra), ErrorCode::FormatInvalid, {"model.layers.1.self_attn.q_proj.weight", "unexpected"});

    auto harmless = llamaTensors();
    harmless.push_back(tensor("model.layers.0.self_attn.rotary_emb.inv_freq", {2}, 13));
    harmless.push_back(tensor("lm_head.weight", {10, 8}, 1));
    EXPECT_TRUE(open(harmless).ok());
}

TEST_F(ModelWeightsTest, WrongShapeNamesTensorExpectedAndActual)
{
    auto tensors = llamaTensors();
    tensors[4] = tensor("model.layers.0.self_attn.k_proj.weight", {8, 8}, 5);
    expectError(open(tensors), ErrorCode::ShapeMismatch,
                {"model.layers.0.self_attn.k_proj.weight", "[8, 8]", "expected [4, 8]"});
}

TEST_F(ModelWeightsTest, NonFiniteWeightIsNamedWhenTheLayerIsFirstUsed)
{
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        auto tensors = llamaTensors();
        std::memcpy(tensors[9].bytes.data() + 4 * 17, &bad, 4);
        auto model = open(tensors);
        ASSERT_TRUE(model.ok()) << "conversion is lazy: opening reads no weight values";
        auto output = (*model)->forward(std::vector<int>{1, 2}, ForwardOptions{});
        ASSERT_FALSE(output.ok());
        EXPECT_EQ(output.error().code, ErrorCode::FormatInvalid);
        EXPECT_NE(output.error().describe().find("model.layers.0.mlp.up_proj.weight"), std::string::npos)
            << output.error().describe();
        EXPECT_NE(output.error().message.find(std::isnan(bad) ? "NaN" : "infinite"), std::string::npos);
        EXPECT_FALSE((*model)->weights().loadAll().ok());
    }
}

TEST_F(ModelWeightsTest, NonFloatWeightIsRefused)
{
    auto tensors = llamaTensors();
    TensorToWrite& norm = tensors[1];
    norm.dtype = DType::I32;
    expectError(open(tensors), ErrorCode::UnsupportedDtype, {"model.norm.weight", "I32"});
}

TEST_F(ModelWeightsTest, Bf16AndF16WeightsGiveTheF32Model)
{
    auto f32 = open(llamaTensors());
    ASSERT_TRUE(f32.ok());
    const std::vector<float> expected = logits(**f32);
    for (DType dtype : {DType::BF16, DType::F16}) {
        TempDir dir;
        std::vector<TensorToWrite> converted;
        for (const TensorToWrite& source : llamaTensors()) {
            converted.push_back(convertTo(source, dtype));
        }
        dir.write("config.json", kLlamaConfig);
        ASSERT_TRUE(writeSafetensors(dir.path() + "/model.safetensors", converted).ok());
        auto model = Model::openHfFolder(dir.path());
        ASSERT_TRUE(model.ok()) << model.error().describe();
        EXPECT_EQ((*model)->weights().tensor(WeightRole::Query, 0)->dtype, dtype);
        EXPECT_EQ(logits(**model), expected) << dtypeName(dtype);
    }
}

TEST_F(ModelWeightsTest, MissingConfigAndMissingFolder)
{
    ASSERT_TRUE(writeSafetensors(m_dir.path() + "/model.safetensors", llamaTensors()).ok());
    auto noConfig = Model::openHfFolder(m_dir.path());
    ASSERT_FALSE(noConfig.ok());
    EXPECT_EQ(noConfig.error().code, ErrorCode::FileNotFound);
    EXPECT_NE(noConfig.error().describe().find("config.json"), std::string::npos);
    EXPECT_EQ(Model::openHfFolder(m_dir.path() + "/nowhere").error().code, ErrorCode::FileNotFound);
}

// Copies a fixture's tensors under renamed keys into a single file beside its config.json.
std::vector<float> renamedFixtureHidden(const std::string& fixture, const std::string& from, const std::string& to,
                                        const std::vector<TensorToWrite>& extra, const TempDir& dir,
                                        ErrorCode* failure = nullptr)
{
    const std::string source = std::string(ATTNSCOPE_TEST_DATA) + "/models/" + fixture;
    auto store = TensorStore::openFolder(source);
    EXPECT_TRUE(store.ok());
    std::vector<TensorToWrite> tensors = extra;
    for (const TensorView* view : (*store)->tensors()) {
        std::string name = view->name;
        if (name.starts_with(from)) {
            name = to + name.substr(from.size());
        }
        std::vector<std::byte> bytes(view->data, view->data + view->byteSize());
        tensors.push_back(TensorToWrite{name, view->dtype, view->shape, std::move(bytes)});
    }
    auto config = readTextFile(source + "/config.json");
    dir.write("config.json", *config);
    EXPECT_TRUE(writeSafetensors(dir.path() + "/model.safetensors", tensors).ok());
    auto model = Model::openHfFolder(dir.path());
    if (!model.ok()) {
        if (failure != nullptr) {
            *failure = model.error().code;
        }
        ADD_FAILURE() << model.error().describe();
        return {};
    }
    ForwardOptions options;
    options.logits = LogitsMode::None;
    options.keepHiddenStates = true;
    auto output = (*model)->forward(std::vector<int>{2, 9, 33, 70, 5}, options);
    EXPECT_TRUE(output.ok());
    return output->hiddenStates;
}

TEST(ModelWeightsPrefix, BertWithOrWithoutThePrefixAndItsUnusedHeads)
{
    TempDir plain;
    TempDir prefixed;
    const std::vector<float> expected = renamedFixtureHidden("bert_tiny", "", "", {}, plain);
    const std::vector<TensorToWrite> heads = {tensor("cls.predictions.bias", {128}, 1),
                                              tensor("bert.embeddings.position_ids", {32}, 2)};
    const std::vector<float> actual = renamedFixtureHidden("bert_tiny", "", "bert.", heads, prefixed);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(actual, expected);
}

TEST(ModelWeightsPrefix, Gpt2WithoutTheTransformerPrefix)
{
    TempDir prefixed;
    TempDir bare;
    const std::vector<float> expected = renamedFixtureHidden("gpt2_tiny", "", "", {}, prefixed);
    const std::vector<float> actual = renamedFixtureHidden("gpt2_tiny", "transformer.", "", {}, bare);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(actual, expected);
}

} // namespace
} // namespace attnscope
