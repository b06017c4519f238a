#include "model/model_spec.h"

#include "util/json_integer.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <new>

namespace attnscope {

namespace {

using Json = nlohmann::json;

// ---- Architecture table ----
// One row per supported HF model_type: the family, the config keys that family spells its sizes
// with, and the structural choices the forward pass dispatches on. Gemma 3 will be one more row
// (plus its per-layer sliding-window pattern in applyFamilyExtras).
struct HfArchEntry {
    const char* modelType;
    ArchFamily family;
    const char* layersKey;
    const char* headsKey;
    const char* kvHeadsKey;       // nullptr: MHA, nKvHeads = nHeads
    const char* hiddenKey;
    const char* intermediateKey;  // may be absent or null in the file: defaultIntermediateFactor × hidden
    int defaultIntermediateFactor;
    const char* vocabKey;
    const char* positionsKey;
    const char* epsKey;
    const char* activationKey;
    const char* defaultActivation;
    NormKind norm;
    NormPlacement placement;
    RopeStyle rope;
    bool gatedMlp;
    bool causal;
    bool learnedPositions;
    bool biases;                  // every projection has a bias
    bool defaultTie;
    bool hasLmHead;
};

constexpr HfArchEntry kHfArchTable[] = {
    {"llama", ArchFamily::Llama, "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
     "hidden_size", "intermediate_size", 0, "vocab_size", "max_position_embeddings", "rms_norm_eps",
     "hidden_act", "silu", NormKind::RmsNorm, NormPlacement::Pre, RopeStyle::HalfSplit, true, true, false,
     false, false, true},
    {"bert", ArchFamily::Bert, "num_hidden_layers", "num_attention_heads", nullptr, "hidden_size",
     "intermediate_size", 0, "vocab_size", "max_position_embeddings", "layer_norm_eps", "hidden_act",
     "gelu", NormKind::LayerNorm, NormPlacement::Post, RopeStyle::None, false, false, true, true, false,
     false},
    {"gpt2", ArchFamily::Gpt2, "n_layer", "n_head", nullptr, "n_embd", "n_inner", 4, "vocab_size",
     "n_positions", "layer_norm_epsilon", "activation_function", "gelu_new", NormKind::LayerNorm,
     NormPlacement::Pre, RopeStyle::None, false, true, true, true, true, true},
    {"gemma3_text", ArchFamily::Gemma3, "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
     "hidden_size", "intermediate_size", 0, "vocab_size", "max_position_embeddings", "rms_norm_eps",
     "hidden_activation", "gelu_pytorch_tanh", NormKind::RmsNorm, NormPlacement::Pre, RopeStyle::HalfSplit, true,
     true, false, false, true, true},
};

struct ActivationName {
    const char* name;
    Activation activation;
};

constexpr ActivationName kActivationNames[] = {
    {"silu", Activation::Silu},           {"swish", Activation::Silu},
    {"gelu", Activation::GeluErf},        {"gelu_new", Activation::GeluTanh},
    {"gelu_pytorch_tanh", Activation::GeluTanh},
};

// ---- JSON helpers: every failure names the key and the file ----

Error keyError(const std::string& key, const std::string& what, const std::string& path)
{
    return makeError(ErrorCode::FormatInvalid, "config key \"" + key + "\" " + what, path, "config_key");
}

bool present(const Json& config, const char* key)
{
    return key != nullptr && config.contains(key) && !config.at(key).is_null();
}

Result<std::int64_t> readInt(const Json& config, const std::string& key, const std::string& path,
                             std::int64_t minimum)
{
    if (!config.contains(key) || config.at(key).is_null()) {
        return keyError(key, "is missing", path);
    }
    const Json& value = config.at(key);
    if (!value.is_number_integer()) {
        return keyError(key, "must be an integer (got " + value.dump() + ")", path);
    }
    const std::int64_t number = value.get<std::int64_t>();
    if (number < minimum || number > (std::int64_t{1} << 31) - 1) {
        return keyError(key, "must be at least " + std::to_string(minimum) + " (got " + value.dump() + ")",
                        path);
    }
    return number;
}

Result<double> readPositiveNumber(const Json& config, const std::string& key, const std::string& path)
{
    if (!config.contains(key) || config.at(key).is_null()) {
        return keyError(key, "is missing", path);
    }
    const Json& value = config.at(key);
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() <= 0.0) {
        return keyError(key, "must be a positive number (got " + value.dump() + ")", path);
    }
    return value.get<double>();
}

Result<bool> readBool(const Json& config, const char* key, bool fallback, const std::string& path)
{
    if (!present(config, key)) {
        return fallback;
    }
    if (!config.at(key).is_boolean()) {
        return keyError(key, "must be true or false (got " + config.at(key).dump() + ")", path);
    }
    return config.at(key).get<bool>();
}

// Token ids may be null, an integer, or (newer configs) a list whose first entry is used.
int readTokenId(const Json& config, const char* key)
{
    if (!present(config, key)) {
        return -1;
    }
    const Json& first = config.at(key).is_array() && !config.at(key).empty() ? config.at(key).front() : config.at(key);
    // An id outside [0, 2^31) is no token of any vocabulary; get<int>() would wrap it.
    return nonNegativeJsonInteger<std::int32_t>(first).value_or(-1);
}

Result<double> readRopeTheta(const Json& config, const std::string& path)
{
    // transformers 5 nests the RoPE settings in "rope_parameters"; older files use top-level keys.
    const Json* scaling = nullptr;
    double theta = 10000.0;
    if (present(config, "rope_parameters")) {
        const Json& params = config.at("rope_parameters");
        if (!params.is_object()) {
            return keyError("rope_parameters", "must be an object", path);
        }
        if (present(params, "rope_theta")) {
            ATTNSCOPE_TRY(readPositiveNumber(params, "rope_theta", path));
            theta = params.at("rope_theta").get<double>();
        }
        scaling = &params;
    } else if (present(config, "rope_theta")) {
        auto value = readPositiveNumber(config, "rope_theta", path);
        ATTNSCOPE_TRY(value);
        theta = *value;
    }
    if (present(config, "rope_scaling")) {
        scaling = &config.at("rope_scaling");
    }
    if (scaling != nullptr && scaling->is_object()) {
        std::string type = "default";
        for (const char* key : {"rope_type", "type"}) {
            if (scaling->contains(key) && scaling->at(key).is_string()) {
                type = scaling->at(key).get<std::string>();
            }
        }
        if (type != "default") {
            return makeError(ErrorCode::Unsupported,
                             "RoPE scaling type \"" + type + "\" is not supported yet (only plain RoPE)", path,
                             "rope_scaling");
        }
    }
    return theta;
}

Result<Activation> readActivation(const Json& config, const HfArchEntry& entry, const std::string& path)
{
    std::string name = entry.defaultActivation;
    if (present(config, entry.activationKey)) {
        if (!config.at(entry.activationKey).is_string()) {
            return keyError(entry.activationKey, "must be a string", path);
        }
        name = config.at(entry.activationKey).get<std::string>();
    }
    for (const ActivationName& known : kActivationNames) {
        if (name == known.name) {
            return known.activation;
        }
    }
    return makeError(ErrorCode::Unsupported,
                     "activation \"" + name + "\" (config key \"" + entry.activationKey + "\") is not supported",
                     path, "activation");
}

// RoPE base of one Gemma 3 layer type: transformers 5 nests {"rope_theta", "rope_type"} per layer
// type in "rope_parameters"; older files have top-level rope_theta / rope_local_base_freq.
Result<double> readGemma3RopeBase(const Json& config, const char* layerType, const char* legacyKey,
                                  double fallback, const std::string& path)
{
    const Json* params = nullptr;
    if (present(config, "rope_parameters") && config.at("rope_parameters").is_object() &&
        config.at("rope_parameters").contains(layerType)) {
        params = &config.at("rope_parameters").at(layerType);
    }
    if (params == nullptr && legacyKey == std::string("rope_theta")) {
        // The global layers follow the generic rules (and refuse rope_scaling).
        return readRopeTheta(config, path);
    }
    if (params == nullptr) {
        if (!present(config, legacyKey)) {
            return fallback;
        }
        return readPositiveNumber(config, legacyKey, path);
    }
    if (!params->is_object()) {
        return keyError(std::string("rope_parameters.") + layerType, "must be an object", path);
    }
    if (params->contains("rope_type") && params->at("rope_type") != Json("default")) {
        return makeError(ErrorCode::Unsupported,
                         "RoPE type " + params->at("rope_type").dump() + " of the " + layerType +
                             " layers is not supported yet (only plain RoPE)",
                         path, "rope_scaling");
    }
    if (!present(*params, "rope_theta")) {
        return fallback;
    }
    return readPositiveNumber(*params, "rope_theta", path);
}

// Gemma 3: sliding-window (local) layers interleaved with global ones, each kind with its own RoPE
// base; QK-norm; embeddings scaled by sqrt(hidden); RMSNorm weights used as (1 + w); attention
// scale from query_pre_attn_scalar; optional final-logit softcapping.
Result<void> applyGemma3Extras(const Json& config, ModelSpec& spec, const std::string& path)
{
    spec.embeddingScale = std::sqrt(static_cast<float>(spec.hiddenSize));
    spec.qkNorm = true;
    spec.normWeightOffset = 1.0f;
    auto bidirectional = readBool(config, "use_bidirectional_attention", false, path);
    ATTNSCOPE_TRY(bidirectional);
    if (*bidirectional) {
        return makeError(ErrorCode::Unsupported, "bidirectional Gemma 3 (use_bidirectional_attention) is not supported",
                         path, "use_bidirectional_attention");
    }
    double preAttnScalar = spec.headDim;
    if (present(config, "query_pre_attn_scalar")) {
        auto value = readPositiveNumber(config, "query_pre_attn_scalar", path);
        ATTNSCOPE_TRY(value);
        preAttnScalar = *value;
    }
    int slidingWindow = 4096;
    if (present(config, "sliding_window")) {
        auto value = readInt(config, "sliding_window", path, 1);
        ATTNSCOPE_TRY(value);
        slidingWindow = static_cast<int>(*value);
    }
    auto globalBase = readGemma3RopeBase(config, "full_attention", "rope_theta", 1000000.0, path);
    ATTNSCOPE_TRY(globalBase);
    auto localBase = readGemma3RopeBase(config, "sliding_attention", "rope_local_base_freq", 10000.0, path);
    ATTNSCOPE_TRY(localBase);
    // attn_logit_softcapping is inherited from Gemma 2's config but Gemma 3's attention never
    // applies it (neither transformers nor llama.cpp do), so it is read by nobody here either.
    if (present(config, "final_logit_softcapping")) {
        auto value = readPositiveNumber(config, "final_logit_softcapping", path);
        ATTNSCOPE_TRY(value);
        spec.finalLogitSoftcap = static_cast<float>(*value);
    }
    std::vector<bool> sliding(static_cast<std::size_t>(spec.nLayers));
    if (present(config, "layer_types")) {
        const Json& types = config.at("layer_types");
        if (!types.is_array() || static_cast<int>(types.size()) != spec.nLayers) {
            return keyError("layer_types", "must list one type per layer", path);
        }
        for (int layer = 0; layer < spec.nLayers; ++layer) {
            const Json& type = types.at(static_cast<std::size_t>(layer));
            if (type != Json("sliding_attention") && type != Json("full_attention")) {
                return keyError("layer_types", "entries must be \"sliding_attention\" or \"full_attention\" (got " +
                                                   type.dump() + ")",
                                path);
            }
            sliding[static_cast<std::size_t>(layer)] = type == Json("sliding_attention");
        }
    } else {
        std::int64_t pattern = 6;
        if (present(config, "sliding_window_pattern")) {
            auto value = readInt(config, "sliding_window_pattern", path, 1);
            ATTNSCOPE_TRY(value);
            pattern = *value;
        }
        for (int layer = 0; layer < spec.nLayers; ++layer) {
            sliding[static_cast<std::size_t>(layer)] = (layer + 1) % pattern != 0;
        }
    }
    for (int layer = 0; layer < spec.nLayers; ++layer) {
        LayerSpec& layerSpec = spec.layers[static_cast<std::size_t>(layer)];
        const bool local = sliding[static_cast<std::size_t>(layer)];
        layerSpec.slidingWindow = local ? slidingWindow : 0;
        layerSpec.ropeTheta = local ? *localBase : *globalBase;
        layerSpec.attentionScale = static_cast<float>(1.0 / std::sqrt(preAttnScalar));
    }
    return okResult();
}

// Family-specific keys that change the computation; anything we do not implement is refused
// rather than silently computed differently.
Result<void> applyFamilyExtras(const Json& config, const HfArchEntry& entry, ModelSpec& spec,
                               const std::string& path)
{
    if (entry.family == ArchFamily::Llama) {
        auto attentionBias = readBool(config, "attention_bias", false, path);
        ATTNSCOPE_TRY(attentionBias);
        auto mlpBias = readBool(config, "mlp_bias", false, path);
        ATTNSCOPE_TRY(mlpBias);
        spec.attentionBias = *attentionBias;
        spec.mlpBias = *mlpBias;
    }
    if (entry.family == ArchFamily::Bert) {
        auto types = readInt(config, "type_vocab_size", path, 0);
        ATTNSCOPE_TRY(types);
        spec.typeVocabSize = static_cast<int>(*types);
        if (present(config, "position_embedding_type") &&
            config.at("position_embedding_type") != Json("absolute")) {
            return makeError(ErrorCode::Unsupported,
                             "position_embedding_type " + config.at("position_embedding_type").dump() +
                                 " is not supported (only \"absolute\")",
                             path, "position_embedding_type");
        }
        auto decoder = readBool(config, "is_decoder", false, path);
        ATTNSCOPE_TRY(decoder);
        if (*decoder) {
            return makeError(ErrorCode::Unsupported, "BERT as a decoder (is_decoder) is not supported", path,
                             "is_decoder");
        }
    }
    if (entry.family == ArchFamily::Gemma3) {
        ATTNSCOPE_TRY(applyGemma3Extras(config, spec, path));
    }
    if (entry.family == ArchFamily::Gpt2) {
        auto scaleWeights = readBool(config, "scale_attn_weights", true, path);
        ATTNSCOPE_TRY(scaleWeights);
        auto inverseLayer = readBool(config, "scale_attn_by_inverse_layer_idx", false, path);
        ATTNSCOPE_TRY(inverseLayer);
        for (int layer = 0; layer < spec.nLayers; ++layer) {
            float scale = *scaleWeights ? 1.0f / std::sqrt(static_cast<float>(spec.headDim)) : 1.0f;
            if (*inverseLayer) {
                scale /= static_cast<float>(layer + 1);
            }
            spec.layers[static_cast<std::size_t>(layer)].attentionScale = scale;
        }
    }
    return okResult();
}

Result<ModelSpec> parseHfConfig(const Json& config, const std::string& path)
{
    if (!config.is_object()) {
        return makeError(ErrorCode::FormatInvalid, "config.json must be a JSON object", path, "config_not_object");
    }
    if (!config.contains("model_type") || !config.at("model_type").is_string()) {
        return keyError("model_type", "is missing or not a string", path);
    }
    const std::string modelType = config.at("model_type").get<std::string>();
    const HfArchEntry* entry = nullptr;
    for (const HfArchEntry& candidate : kHfArchTable) {
        if (modelType == candidate.modelType) {
            entry = &candidate;
        }
    }
    if (entry == nullptr) {
        return makeError(ErrorCode::UnsupportedModel,
                         "model_type \"" + modelType + "\" is not supported (supported: " + supportedModelTypes() +
                             ")",
                         path, "model_type");
    }

    ModelSpec spec;
    spec.family = entry->family;
    spec.modelType = modelType;
    if (config.contains("architectures") && config.at("architectures").is_array() &&
        !config.at("architectures").empty() && config.at("architectures").front().is_string()) {
        spec.architecture = config.at("architectures").front().get<std::string>();
    }

    auto intKey = [&](const char* key, std::int64_t minimum, int& out) -> Result<void> {
        auto value = readInt(config, key, path, minimum);
        ATTNSCOPE_TRY(value);
        out = static_cast<int>(*value);
        return okResult();
    };
    ATTNSCOPE_TRY(intKey(entry->layersKey, 1, spec.nLayers));
    ATTNSCOPE_TRY(intKey(entry->headsKey, 1, spec.nHeads));
    ATTNSCOPE_TRY(intKey(entry->hiddenKey, 1, spec.hiddenSize));
    ATTNSCOPE_TRY(intKey(entry->vocabKey, 1, spec.vocabSize));
    ATTNSCOPE_TRY(intKey(entry->positionsKey, 1, spec.maxPositions));
    spec.nKvHeads = spec.nHeads;
    if (present(config, entry->kvHeadsKey)) {
        ATTNSCOPE_TRY(intKey(entry->kvHeadsKey, 1, spec.nKvHeads));
    }
    if (entry->defaultIntermediateFactor > 0 && !present(config, entry->intermediateKey)) {
        spec.intermediateSize = entry->defaultIntermediateFactor * spec.hiddenSize;
    } else {
        ATTNSCOPE_TRY(intKey(entry->intermediateKey, 1, spec.intermediateSize));
    }
    if (present(config, "head_dim")) {
        ATTNSCOPE_TRY(intKey("head_dim", 1, spec.headDim));
    } else {
        if (spec.hiddenSize % spec.nHeads != 0) {
            return keyError(entry->headsKey,
                            "(" + std::to_string(spec.nHeads) + ") must divide the hidden size (" +
                                std::to_string(spec.hiddenSize) + ")",
                            path);
        }
        spec.headDim = spec.hiddenSize / spec.nHeads;
    }
    auto eps = readPositiveNumber(config, entry->epsKey, path);
    ATTNSCOPE_TRY(eps);
    spec.normEps = static_cast<float>(*eps);
    auto activation = readActivation(config, *entry, path);
    ATTNSCOPE_TRY(activation);
    spec.activation = *activation;
    auto tie = readBool(config, "tie_word_embeddings", entry->defaultTie, path);
    ATTNSCOPE_TRY(tie);

    spec.norm = entry->norm;
    spec.normPlacement = entry->placement;
    spec.rope = entry->rope;
    spec.gatedMlp = entry->gatedMlp;
    spec.causal = entry->causal;
    spec.learnedPositions = entry->learnedPositions;
    spec.attentionBias = entry->biases;
    spec.mlpBias = entry->biases;
    spec.hasLmHead = entry->hasLmHead;
    spec.tieEmbeddings = entry->hasLmHead && *tie;
    spec.bosId = readTokenId(config, "bos_token_id");
    spec.eosId = readTokenId(config, "eos_token_id");

    double theta = 0.0;
    if (spec.rope != RopeStyle::None) {
        auto value = readRopeTheta(config, path);
        ATTNSCOPE_TRY(value);
        theta = *value;
    }
    LayerSpec layer;
    layer.attentionScale = 1.0f / std::sqrt(static_cast<float>(spec.headDim));
    layer.ropeTheta = theta;
    spec.layers.assign(static_cast<std::size_t>(spec.nLayers), layer);
    ATTNSCOPE_TRY(applyFamilyExtras(config, *entry, spec, path));
    ATTNSCOPE_TRY(spec.validate(path));
    return spec;
}

} // namespace

const char* archFamilyName(ArchFamily family)
{
    switch (family) {
    case ArchFamily::Llama:
        return "llama";
    case ArchFamily::Bert:
        return "bert";
    case ArchFamily::Gpt2:
        return "gpt2";
    case ArchFamily::Gemma3:
        return "gemma3";
    }
    return "unknown";
}

std::string supportedModelTypes()
{
    std::string list;
    for (const HfArchEntry& entry : kHfArchTable) {
        list += list.empty() ? "" : ", ";
        list += entry.modelType;
    }
    return list;
}

Result<void> ModelSpec::validate(const std::string& context) const
{
    auto invalid = [&](const std::string& message) {
        return makeError(ErrorCode::FormatInvalid, message, context, "spec_invalid");
    };
    if (nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || headDim <= 0 || hiddenSize <= 0 ||
        intermediateSize <= 0 || vocabSize <= 0 || maxPositions <= 0) {
        return invalid("every size (layers, heads, kv heads, head dim, hidden, intermediate, vocab, "
                       "positions) must be positive");
    }
    if (nHeads % nKvHeads != 0) {
        return invalid("the number of attention heads (" + std::to_string(nHeads) +
                       ") must be a multiple of the number of key/value heads (" + std::to_string(nKvHeads) + ")");
    }
    if (rope != RopeStyle::None && headDim % 2 != 0) {
        return invalid("rotary embeddings need an even head dim (got " + std::to_string(headDim) + ")");
    }
    if (static_cast<int>(layers.size()) != nLayers) {
        return invalid("per-layer attention settings do not match the layer count");
    }
    if ((family == ArchFamily::Bert || family == ArchFamily::Gpt2) && queryWidth() != hiddenSize) {
        return invalid("heads × head dim must equal the hidden size for " + std::string(archFamilyName(family)));
    }
    if (!(normEps > 0.0f)) {
        return invalid("the normalisation epsilon must be positive");
    }
    return okResult();
}

Result<ModelSpec> ModelSpec::fromHfConfig(std::string_view jsonText, const std::string& path)
{
    try {
        Json config = Json::parse(jsonText);
        auto spec = parseHfConfig(config, path);
        if (spec) {
            spec.value().folder = std::filesystem::path(path).parent_path().string();
        }
        return spec;
    } catch (const Json::parse_error& error) {
        return makeError(ErrorCode::FormatInvalid, std::string("config.json is not valid JSON: ") + error.what(),
                         path, "config_json");
    } catch (const Json::exception& error) {
        return makeError(ErrorCode::FormatInvalid, std::string("config.json has an unexpected value: ") + error.what(),
                         path, "config_json");
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory while reading config.json", path);
    }
}

} // namespace attnscope
