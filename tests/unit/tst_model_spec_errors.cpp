// ModelSpec::fromHfConfig: the supported families parse to the right structure, and every broken
// config.json gives a clear error naming the key and the file.

#include "io/mapped_file.h"
#include "model/model_spec.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace attnscope {
namespace {

const std::string kPath = "/models/x/config.json";

nlohmann::json llamaConfig()
{
    return nlohmann::json::parse(R"({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
        "intermediate_size": 172, "num_hidden_layers": 5, "num_attention_heads": 8,
        "num_key_value_heads": 4, "vocab_size": 512, "max_position_embeddings": 512,
        "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "rope_scaling": null, "hidden_act": "silu",
        "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2})");
}

Result<ModelSpec> parse(const nlohmann::json& config)
{
    return ModelSpec::fromHfConfig(config.dump(), kPath);
}

void expectError(const Result<ModelSpec>& spec, ErrorCode code, const std::string& mentioned)
{
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.error().code, code) << spec.error().describe();
    EXPECT_NE(spec.error().describe().find(mentioned), std::string::npos) << spec.error().describe();
    EXPECT_NE(spec.error().describe().find(kPath), std::string::npos) << spec.error().describe();
}

TEST(ModelSpec, ParsesLlama)
{
    auto spec = parse(llamaConfig());
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_EQ(spec->family, ArchFamily::Llama);
    EXPECT_EQ(spec->headDim, 8);
    EXPECT_EQ(spec->nKvHeads, 4);
    EXPECT_EQ(spec->rope, RopeStyle::HalfSplit);
    EXPECT_EQ(spec->norm, NormKind::RmsNorm);
    EXPECT_TRUE(spec->tieEmbeddings);
    EXPECT_TRUE(spec->causal);
    EXPECT_FALSE(spec->hasHardContextLimit());
    EXPECT_EQ(spec->bosId, 1);
    ASSERT_EQ(spec->layers.size(), 5u);
    EXPECT_FLOAT_EQ(spec->layers[0].attentionScale, 1.0f / std::sqrt(8.0f));
    EXPECT_DOUBLE_EQ(spec->layers[4].ropeTheta, 10000.0);
    EXPECT_EQ(spec->architecture, "LlamaForCausalLM");
}

// A bos/eos id no vocabulary can hold is "no id" (-1), not an int that get<int>() wrapped.
TEST(ModelSpec, TokenIdsOutsideTheInt32RangeAreAbsent)
{
    auto config = llamaConfig();
    config["bos_token_id"] = 4294967297ull;
    config["eos_token_id"] = nlohmann::json::array({-3, 2});
    auto spec = parse(config);
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_EQ(spec->bosId, -1);
    EXPECT_EQ(spec->eosId, -1);
    config["eos_token_id"] = nlohmann::json::array({2, 3});
    EXPECT_EQ(parse(config)->eosId, 2);
}

TEST(ModelSpec, ReadsTransformers5RopeParametersAndExplicitHeadDim)
{
    auto config = llamaConfig();
    config.erase("rope_theta");
    config["rope_parameters"] = {{"rope_theta", 500000.0}, {"rope_type", "default"}};
    config["head_dim"] = 16;
    auto spec = parse(config);
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_DOUBLE_EQ(spec->layers[0].ropeTheta, 500000.0);
    EXPECT_EQ(spec->headDim, 16);
    EXPECT_EQ(spec->queryWidth(), 128);
}

TEST(ModelSpec, ParsesTheFixtureFamilies)
{
    struct Case {
        const char* fixture;
        ArchFamily family;
        int intermediate;
        bool causal;
    };
    for (const Case& c : {Case{"bert_tiny", ArchFamily::Bert, 64, false}, Case{"gpt2_tiny", ArchFamily::Gpt2, 64, true}}) {
        const std::string path = std::string(ATTNSCOPE_TEST_DATA) + "/models/" + c.fixture + "/config.json";
        auto text = readTextFile(path);
        ASSERT_TRUE(text.ok());
        auto spec = ModelSpec::fromHfConfig(*text, path);
        ASSERT_TRUE(spec.ok()) << spec.error().describe();
        EXPECT_EQ(spec->family, c.family);
        EXPECT_EQ(spec->intermediateSize, c.intermediate);
        EXPECT_EQ(spec->causal, c.causal);
        EXPECT_EQ(spec->norm, NormKind::LayerNorm);
        EXPECT_EQ(spec->rope, RopeStyle::None);
        EXPECT_TRUE(spec->hasHardContextLimit());
        EXPECT_EQ(spec->headDim, 8);
    }
}

TEST(ModelSpec, Gpt2DefaultsAndInverseLayerScaling)
{
    auto config = nlohmann::json::parse(R"({"model_type": "gpt2", "n_layer": 3, "n_head": 2, "n_embd": 16,
        "n_inner": null, "vocab_size": 50, "n_positions": 8, "layer_norm_epsilon": 1e-5,
        "scale_attn_by_inverse_layer_idx": true})");
    auto spec = parse(config);
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_EQ(spec->intermediateSize, 64);
    EXPECT_EQ(spec->activation, Activation::GeluTanh);
    EXPECT_TRUE(spec->tieEmbeddings);
    EXPECT_FLOAT_EQ(spec->layers[2].attentionScale, 1.0f / (std::sqrt(8.0f) * 3.0f));
}

TEST(ModelSpec, BadJson)
{
    auto spec = ModelSpec::fromHfConfig("{\"model_type\": \"llama\",", kPath);
    expectError(spec, ErrorCode::FormatInvalid, "not valid JSON");
    expectError(ModelSpec::fromHfConfig("[1, 2]", kPath), ErrorCode::FormatInvalid, "object");
}

TEST(ModelSpec, MissingKeyIsNamed)
{
    for (const char* key : {"num_hidden_layers", "hidden_size", "vocab_size", "rms_norm_eps", "intermediate_size"}) {
        auto config = llamaConfig();
        config.erase(key);
        expectError(parse(config), ErrorCode::FormatInvalid, key);
    }
    auto config = llamaConfig();
    config.erase("model_type");
    expectError(parse(config), ErrorCode::FormatInvalid, "model_type");
}

TEST(ModelSpec, InvalidValuesAreNamed)
{
    auto negative = llamaConfig();
    negative["hidden_size"] = -64;
    expectError(parse(negative), ErrorCode::FormatInvalid, "hidden_size");
    auto text = llamaConfig();
    text["num_attention_heads"] = "eight";
    expectError(parse(text), ErrorCode::FormatInvalid, "num_attention_heads");
    auto fractional = llamaConfig();
    fractional["vocab_size"] = 511.5;
    expectError(parse(fractional), ErrorCode::FormatInvalid, "vocab_size");
    auto eps = llamaConfig();
    eps["rms_norm_eps"] = 0;
    expectError(parse(eps), ErrorCode::FormatInvalid, "rms_norm_eps");
    auto tie = llamaConfig();
    tie["tie_word_embeddings"] = "yes";
    expectError(parse(tie), ErrorCode::FormatInvalid, "tie_word_embeddings");
}

TEST(ModelSpec, HeadsMustDivideHiddenAndKvHeadsMustDivideHeads)
{
    auto config = llamaConfig();
    config["num_attention_heads"] = 7;
    config["num_key_value_heads"] = 7;
    expectError(parse(config), ErrorCode::FormatInvalid, "num_attention_heads");
    auto gqa = llamaConfig();
    gqa["num_key_value_heads"] = 3;
    expectError(parse(gqa), ErrorCode::FormatInvalid, "key/value heads");
}

TEST(ModelSpec, UnknownArchitectureListsTheSupportedOnes)
{
    auto config = llamaConfig();
    config["model_type"] = "mamba";
    auto spec = parse(config);
    expectError(spec, ErrorCode::UnsupportedModel, "mamba");
    EXPECT_NE(spec.error().message.find("llama, bert, gpt2"), std::string::npos) << spec.error().message;
}

TEST(ModelSpec, UnimplementedFeaturesAreRefused)
{
    auto scaling = llamaConfig();
    scaling["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
    expectError(parse(scaling), ErrorCode::Unsupported, "llama3");
    auto activation = llamaConfig();
    activation["hidden_act"] = "relu2";
    expectError(parse(activation), ErrorCode::Unsupported, "relu2");
    auto bert = nlohmann::json::parse(R"({"model_type": "bert", "num_hidden_layers": 1, "num_attention_heads": 2,
        "hidden_size": 8, "intermediate_size": 16, "vocab_size": 10, "max_position_embeddings": 8,
        "layer_norm_eps": 1e-12, "type_vocab_size": 2, "position_embedding_type": "relative_key"})");
    expectError(parse(bert), ErrorCode::Unsupported, "relative_key");
}

} // namespace
} // namespace attnscope
