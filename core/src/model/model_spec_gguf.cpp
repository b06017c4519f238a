// ModelSpec from GGUF metadata: general.architecture picks the family, "<arch>.*" keys give the
// sizes. Only what llama.cpp itself reads is used, with llama.cpp's defaults where a key is
// optional, so a file runs here as it runs there.

#include "model/model_spec.h"

#include "io/gguf_file.h"

#include <cmath>

namespace attnscope {

namespace {

struct GgufArchEntry {
    const char* name;
    ArchFamily family;
    RopeStyle rope;
    Activation activation;
};

// llama.cpp's converter permutes Llama's Q/K rows so that RoPE rotates adjacent pairs (its "norm"
// rope); Gemma 3 is converted unpermuted and uses the NeoX (half-split) rotation.
constexpr GgufArchEntry kGgufArchTable[] = {
    {"llama", ArchFamily::Llama, RopeStyle::InterleavedPairs, Activation::Silu},
    {"gemma3", ArchFamily::Gemma3, RopeStyle::HalfSplit, Activation::GeluTanh},
};

// Gemma 3 GGUFs do not store the layer pattern or the local RoPE base: llama.cpp fixes them
// (every sixth layer global, local base 10000), and so do we.
constexpr int kGemma3SlidingPattern = 6;
constexpr double kGemma3LocalRopeBase = 10000.0;

} // namespace

Result<ModelSpec> ModelSpec::fromGguf(const GgufFile& file)
{
    auto architecture = file.getString("general.architecture");
    ATTNSCOPE_TRY(architecture);
    const GgufArchEntry* entry = nullptr;
    for (const GgufArchEntry& candidate : kGgufArchTable) {
        if (*architecture == candidate.name) {
            entry = &candidate;
        }
    }
    if (entry == nullptr) {
        return makeError(ErrorCode::UnsupportedModel,
                         "GGUF architecture \"" + *architecture + "\" is not supported (supported: llama, gemma3)",
                         file.path(), "model_type");
    }
    const std::string prefix = *architecture + ".";
    auto intKey = [&](const std::string& key, std::int64_t fallback, bool required, int& out) -> Result<void> {
        auto value = file.getInt(prefix + key, fallback, required);
        ATTNSCOPE_TRY(value);
        if (*value < 1 || *value > (std::int64_t{1} << 31) - 1) {
            return makeError(ErrorCode::FormatInvalid,
                             "metadata key \"" + prefix + key + "\" must be a positive integer (got " +
                                 std::to_string(*value) + ")",
                             file.path(), "metadata_value");
        }
        out = static_cast<int>(*value);
        return okResult();
    };

    ModelSpec spec;
    spec.family = entry->family;
    spec.modelType = *architecture;
    spec.architecture = *architecture;
    spec.naming = WeightNaming::Gguf;
    ATTNSCOPE_TRY(intKey("block_count", 0, true, spec.nLayers));
    ATTNSCOPE_TRY(intKey("embedding_length", 0, true, spec.hiddenSize));
    ATTNSCOPE_TRY(intKey("feed_forward_length", 0, true, spec.intermediateSize));
    ATTNSCOPE_TRY(intKey("attention.head_count", 0, true, spec.nHeads));
    ATTNSCOPE_TRY(intKey("attention.head_count_kv", spec.nHeads, false, spec.nKvHeads));
    ATTNSCOPE_TRY(intKey("context_length", 0, true, spec.maxPositions));
    ATTNSCOPE_TRY(intKey("attention.key_length", spec.hiddenSize / spec.nHeads, false, spec.headDim));
    int valueLength = spec.headDim;
    ATTNSCOPE_TRY(intKey("attention.value_length", spec.headDim, false, valueLength));
    if (valueLength != spec.headDim) {
        return makeError(ErrorCode::Unsupported, "attention.value_length differs from attention.key_length",
                         file.path(), "value_length");
    }
    // The vocabulary is the embedding's row count; the token list may be absent. Without the
    // embedding, the vocab_size key or the token list gives the size so that binding the weights
    // reports what is really wrong: the missing tensor.
    const GgufValue* tokenList = file.find("tokenizer.ggml.tokens");
    if (const GgufTensor* embedding = file.findTensor("token_embd.weight"); embedding != nullptr && !embedding->shape.empty()) {
        spec.vocabSize = static_cast<int>(std::min<std::int64_t>(embedding->shape.front(), (std::int64_t{1} << 31) - 1));
    } else if (file.find(prefix + "vocab_size") != nullptr) {
        ATTNSCOPE_TRY(intKey("vocab_size", 0, true, spec.vocabSize));
    } else if (tokenList != nullptr && tokenList->isArray() && tokenList->arraySize() > 0) {
        spec.vocabSize = static_cast<int>(std::min<std::size_t>(tokenList->arraySize(), (std::size_t{1} << 31) - 1));
    } else {
        return makeError(ErrorCode::FormatInvalid,
                         "tensor \"token_embd.weight\" (token_embedding) is missing from the model file",
                         file.path(), "tensor_missing");
    }
    auto eps = file.getReal(prefix + "attention.layer_norm_rms_epsilon", 0.0, true);
    ATTNSCOPE_TRY(eps);
    spec.normEps = static_cast<float>(*eps);
    auto ropeBase = file.getReal(prefix + "rope.freq_base", 10000.0);
    ATTNSCOPE_TRY(ropeBase);
    if (!(*ropeBase > 0.0)) {
        return makeError(ErrorCode::FormatInvalid, "metadata key \"" + prefix + "rope.freq_base\" must be positive",
                         file.path(), "metadata_value");
    }
    if (const GgufValue* scaling = file.find(prefix + "rope.scaling.type")) {
        if (scaling->type != GgufType::String || (scaling->text != "none" && scaling->text != "")) {
            auto factor = file.getReal(prefix + "rope.scaling.factor", 1.0);
            ATTNSCOPE_TRY(factor);
            if (*factor != 1.0) {
                return makeError(ErrorCode::Unsupported,
                                 "RoPE scaling \"" + scaling->text + "\" is not supported yet (only plain RoPE)",
                                 file.path(), "rope_scaling");
            }
        }
    }

    spec.norm = NormKind::RmsNorm;
    spec.normPlacement = NormPlacement::Pre;
    spec.rope = entry->rope;
    spec.activation = entry->activation;
    spec.gatedMlp = true;
    spec.causal = true;
    spec.tieEmbeddings = file.findTensor("output.weight") == nullptr;
    spec.attentionBias = file.findTensor("blk.0.attn_q.bias") != nullptr;
    auto bos = file.getInt("tokenizer.ggml.bos_token_id", -1);
    ATTNSCOPE_TRY(bos);
    auto eos = file.getInt("tokenizer.ggml.eos_token_id", -1);
    ATTNSCOPE_TRY(eos);
    spec.bosId = *bos >= 0 && *bos < spec.vocabSize ? static_cast<int>(*bos) : -1;
    spec.eosId = *eos >= 0 && *eos < spec.vocabSize ? static_cast<int>(*eos) : -1;

    LayerSpec layer;
    layer.attentionScale = 1.0f / std::sqrt(static_cast<float>(spec.headDim));
    layer.ropeTheta = *ropeBase;
    spec.layers.assign(static_cast<std::size_t>(spec.nLayers), layer);

    if (spec.family == ArchFamily::Gemma3) {
        spec.embeddingScale = std::sqrt(static_cast<float>(spec.hiddenSize));
        spec.qkNorm = true;
        // The converter already stored the norms as 1 + w, so normWeightOffset stays 0. Gemma 3
        // never applies attention-score softcapping (only Gemma 2 did), whatever the keys say.
        int window = 0;
        ATTNSCOPE_TRY(intKey("attention.sliding_window", 0, true, window));
        auto finalSoftcap = file.getReal(prefix + "final_logit_softcapping", 0.0);
        ATTNSCOPE_TRY(finalSoftcap);
        spec.finalLogitSoftcap = static_cast<float>(std::max(0.0, *finalSoftcap));
        // llama.cpp: Gemma 3 27B scales by 1/sqrt(hidden / heads) (its query_pre_attn_scalar),
        // every other size by 1/sqrt(head dim); it tells them apart by the layer count, 62.
        const float scale = spec.nLayers == 62 ? 1.0f / std::sqrt(static_cast<float>(spec.hiddenSize) / spec.nHeads)
                                               : 1.0f / std::sqrt(static_cast<float>(spec.headDim));
        for (int index = 0; index < spec.nLayers; ++index) {
            LayerSpec& layerSpec = spec.layers[static_cast<std::size_t>(index)];
            const bool local = (index + 1) % kGemma3SlidingPattern != 0;
            layerSpec.slidingWindow = local ? window : 0;
            layerSpec.ropeTheta = local ? kGemma3LocalRopeBase : *ropeBase;
            layerSpec.attentionScale = scale;
        }
    }
    ATTNSCOPE_TRY(spec.validate(file.path()));
    spec.folder = file.path();
    return spec;
}

} // namespace attnscope
