#include "model/model_weights.h"

#include "io/tensor_store.h"
#include "tensor/tensor_view.h"

#include <cmath>
#include <cstring>
#include <new>
#include <set>
#include <span>

namespace attnscope {

namespace {

// ---- Name tables ----
// Each row: role, HF name template ({L} = layer index), stored shape in symbolic dims, whether the
// stored layout is [in, out] (GPT-2 Conv1D) and when the tensor exists. Names are relative to the
// family's optional prefix unless `outsidePrefix` (GPT-2's lm_head sits beside "transformer.").

enum class Dim { None, Vocab, Hidden, QueryWidth, KvWidth, Inter, Positions, TypeVocab, QkvWidth, HeadDim };

enum class When { Always, AttnBias, MlpBias, Untied, Gated };

struct NameEntry {
    WeightRole role;
    bool perLayer;
    const char* pattern;
    Dim dims[2];
    bool transposed;
    When when;
    bool outsidePrefix = false;
};

using R = WeightRole;

constexpr NameEntry kLlamaNames[] = {
    {R::TokenEmbedding, false, "model.embed_tokens.weight", {Dim::Vocab, Dim::Hidden}, false, When::Always},
    {R::OutputNorm, false, "model.norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Output, false, "lm_head.weight", {Dim::Vocab, Dim::Hidden}, false, When::Untied},
    {R::AttnNorm, true, "model.layers.{L}.input_layernorm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Query, true, "model.layers.{L}.self_attn.q_proj.weight", {Dim::QueryWidth, Dim::Hidden}, false, When::Always},
    {R::QueryBias, true, "model.layers.{L}.self_attn.q_proj.bias", {Dim::QueryWidth, Dim::None}, false, When::AttnBias},
    {R::Key, true, "model.layers.{L}.self_attn.k_proj.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::KeyBias, true, "model.layers.{L}.self_attn.k_proj.bias", {Dim::KvWidth, Dim::None}, false, When::AttnBias},
    {R::Value, true, "model.layers.{L}.self_attn.v_proj.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::ValueBias, true, "model.layers.{L}.self_attn.v_proj.bias", {Dim::KvWidth, Dim::None}, false, When::AttnBias},
    {R::AttnOut, true, "model.layers.{L}.self_attn.o_proj.weight", {Dim::Hidden, Dim::QueryWidth}, false, When::Always},
    {R::AttnOutBias, true, "model.layers.{L}.self_attn.o_proj.bias", {Dim::Hidden, Dim::None}, false, When::AttnBias},
    {R::FfnNorm, true, "model.layers.{L}.post_attention_layernorm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Gate, true, "model.layers.{L}.mlp.gate_proj.weight", {Dim::Inter, Dim::Hidden}, false, When::Gated},
    {R::Up, true, "model.layers.{L}.mlp.up_proj.weight", {Dim::Inter, Dim::Hidden}, false, When::Always},
    {R::UpBias, true, "model.layers.{L}.mlp.up_proj.bias", {Dim::Inter, Dim::None}, false, When::MlpBias},
    {R::Down, true, "model.layers.{L}.mlp.down_proj.weight", {Dim::Hidden, Dim::Inter}, false, When::Always},
    {R::DownBias, true, "model.layers.{L}.mlp.down_proj.bias", {Dim::Hidden, Dim::None}, false, When::MlpBias},
};

constexpr NameEntry kBertNames[] = {
    {R::TokenEmbedding, false, "embeddings.word_embeddings.weight", {Dim::Vocab, Dim::Hidden}, false, When::Always},
    {R::PositionEmbedding, false, "embeddings.position_embeddings.weight", {Dim::Positions, Dim::Hidden}, false, When::Always},
    {R::TokenTypeEmbedding, false, "embeddings.token_type_embeddings.weight", {Dim::TypeVocab, Dim::Hidden}, false, When::Always},
    {R::EmbeddingNorm, false, "embeddings.LayerNorm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::EmbeddingNormBias, false, "embeddings.LayerNorm.bias", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Query, true, "encoder.layer.{L}.attention.self.query.weight", {Dim::QueryWidth, Dim::Hidden}, false, When::Always},
    {R::QueryBias, true, "encoder.layer.{L}.attention.self.query.bias", {Dim::QueryWidth, Dim::None}, false, When::Always},
    {R::Key, true, "encoder.layer.{L}.attention.self.key.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::KeyBias, true, "encoder.layer.{L}.attention.self.key.bias", {Dim::KvWidth, Dim::None}, false, When::Always},
    {R::Value, true, "encoder.layer.{L}.attention.self.value.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::ValueBias, true, "encoder.layer.{L}.attention.self.value.bias", {Dim::KvWidth, Dim::None}, false, When::Always},
    {R::AttnOut, true, "encoder.layer.{L}.attention.output.dense.weight", {Dim::Hidden, Dim::QueryWidth}, false, When::Always},
    {R::AttnOutBias, true, "encoder.layer.{L}.attention.output.dense.bias", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::AttnNorm, true, "encoder.layer.{L}.attention.output.LayerNorm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::AttnNormBias, true, "encoder.layer.{L}.attention.output.LayerNorm.bias", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Up, true, "encoder.layer.{L}.intermediate.dense.weight", {Dim::Inter, Dim::Hidden}, false, When::Always},
    {R::UpBias, true, "encoder.layer.{L}.intermediate.dense.bias", {Dim::Inter, Dim::None}, false, When::Always},
    {R::Down, true, "encoder.layer.{L}.output.dense.weight", {Dim::Hidden, Dim::Inter}, false, When::Always},
    {R::DownBias, true, "encoder.layer.{L}.output.dense.bias", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::FfnNorm, true, "encoder.layer.{L}.output.LayerNorm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::FfnNormBias, true, "encoder.layer.{L}.output.LayerNorm.bias", {Dim::Hidden, Dim::None}, false, When::Always},
};

constexpr NameEntry kGpt2Names[] = {
    {R::TokenEmbedding, false, "wte.weight", {Dim::Vocab, Dim::Hidden}, false, When::Always},
    {R::PositionEmbedding, false, "wpe.weight", {Dim::Positions, Dim::Hidden}, false, When::Always},
    {R::OutputNorm, false, "ln_f.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::OutputNormBias, false, "ln_f.bias", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Output, false, "lm_head.weight", {Dim::Vocab, Dim::Hidden}, false, When::Untied, true},
    {R::AttnNorm, true, "h.{L}.ln_1.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::AttnNormBias, true, "h.{L}.ln_1.bias", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::QkvFused, true, "h.{L}.attn.c_attn.weight", {Dim::Hidden, Dim::QkvWidth}, true, When::Always},
    {R::QkvFusedBias, true, "h.{L}.attn.c_attn.bias", {Dim::QkvWidth, Dim::None}, false, When::Always},
    {R::AttnOut, true, "h.{L}.attn.c_proj.weight", {Dim::QueryWidth, Dim::Hidden}, true, When::Always},
    {R::AttnOutBias, true, "h.{L}.attn.c_proj.bias", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::FfnNorm, true, "h.{L}.ln_2.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::FfnNormBias, true, "h.{L}.ln_2.bias", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Up, true, "h.{L}.mlp.c_fc.weight", {Dim::Hidden, Dim::Inter}, true, When::Always},
    {R::UpBias, true, "h.{L}.mlp.c_fc.bias", {Dim::Inter, Dim::None}, false, When::Always},
    {R::Down, true, "h.{L}.mlp.c_proj.weight", {Dim::Inter, Dim::Hidden}, true, When::Always},
    {R::DownBias, true, "h.{L}.mlp.c_proj.bias", {Dim::Hidden, Dim::None}, false, When::Always},
};

constexpr NameEntry kGemma3Names[] = {
    {R::TokenEmbedding, false, "model.embed_tokens.weight", {Dim::Vocab, Dim::Hidden}, false, When::Always},
    {R::OutputNorm, false, "model.norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Output, false, "lm_head.weight", {Dim::Vocab, Dim::Hidden}, false, When::Untied},
    {R::AttnNorm, true, "model.layers.{L}.input_layernorm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Query, true, "model.layers.{L}.self_attn.q_proj.weight", {Dim::QueryWidth, Dim::Hidden}, false, When::Always},
    {R::Key, true, "model.layers.{L}.self_attn.k_proj.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::Value, true, "model.layers.{L}.self_attn.v_proj.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::AttnOut, true, "model.layers.{L}.self_attn.o_proj.weight", {Dim::Hidden, Dim::QueryWidth}, false, When::Always},
    {R::QueryNorm, true, "model.layers.{L}.self_attn.q_norm.weight", {Dim::HeadDim, Dim::None}, false, When::Always},
    {R::KeyNorm, true, "model.layers.{L}.self_attn.k_norm.weight", {Dim::HeadDim, Dim::None}, false, When::Always},
    {R::PostAttnNorm, true, "model.layers.{L}.post_attention_layernorm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::FfnNorm, true, "model.layers.{L}.pre_feedforward_layernorm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::PostFfnNorm, true, "model.layers.{L}.post_feedforward_layernorm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Gate, true, "model.layers.{L}.mlp.gate_proj.weight", {Dim::Inter, Dim::Hidden}, false, When::Always},
    {R::Up, true, "model.layers.{L}.mlp.up_proj.weight", {Dim::Inter, Dim::Hidden}, false, When::Always},
    {R::Down, true, "model.layers.{L}.mlp.down_proj.weight", {Dim::Hidden, Dim::Inter}, false, When::Always},
};

// GGUF names (llama.cpp's llama-arch.cpp). GgufFile reverses ggml's innermost-first dims, so the
// shapes read as in HF: a linear weight is [out, in].
constexpr NameEntry kLlamaGgufNames[] = {
    {R::TokenEmbedding, false, "token_embd.weight", {Dim::Vocab, Dim::Hidden}, false, When::Always},
    {R::OutputNorm, false, "output_norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Output, false, "output.weight", {Dim::Vocab, Dim::Hidden}, false, When::Untied},
    {R::AttnNorm, true, "blk.{L}.attn_norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Query, true, "blk.{L}.attn_q.weight", {Dim::QueryWidth, Dim::Hidden}, false, When::Always},
    {R::QueryBias, true, "blk.{L}.attn_q.bias", {Dim::QueryWidth, Dim::None}, false, When::AttnBias},
    {R::Key, true, "blk.{L}.attn_k.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::KeyBias, true, "blk.{L}.attn_k.bias", {Dim::KvWidth, Dim::None}, false, When::AttnBias},
    {R::Value, true, "blk.{L}.attn_v.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::ValueBias, true, "blk.{L}.attn_v.bias", {Dim::KvWidth, Dim::None}, false, When::AttnBias},
    {R::AttnOut, true, "blk.{L}.attn_output.weight", {Dim::Hidden, Dim::QueryWidth}, false, When::Always},
    {R::FfnNorm, true, "blk.{L}.ffn_norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Gate, true, "blk.{L}.ffn_gate.weight", {Dim::Inter, Dim::Hidden}, false, When::Gated},
    {R::Up, true, "blk.{L}.ffn_up.weight", {Dim::Inter, Dim::Hidden}, false, When::Always},
    {R::Down, true, "blk.{L}.ffn_down.weight", {Dim::Hidden, Dim::Inter}, false, When::Always},
};

constexpr NameEntry kGemma3GgufNames[] = {
    {R::TokenEmbedding, false, "token_embd.weight", {Dim::Vocab, Dim::Hidden}, false, When::Always},
    {R::OutputNorm, false, "output_norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Output, false, "output.weight", {Dim::Vocab, Dim::Hidden}, false, When::Untied},
    {R::AttnNorm, true, "blk.{L}.attn_norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Query, true, "blk.{L}.attn_q.weight", {Dim::QueryWidth, Dim::Hidden}, false, When::Always},
    {R::Key, true, "blk.{L}.attn_k.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::Value, true, "blk.{L}.attn_v.weight", {Dim::KvWidth, Dim::Hidden}, false, When::Always},
    {R::AttnOut, true, "blk.{L}.attn_output.weight", {Dim::Hidden, Dim::QueryWidth}, false, When::Always},
    {R::QueryNorm, true, "blk.{L}.attn_q_norm.weight", {Dim::HeadDim, Dim::None}, false, When::Always},
    {R::KeyNorm, true, "blk.{L}.attn_k_norm.weight", {Dim::HeadDim, Dim::None}, false, When::Always},
    {R::PostAttnNorm, true, "blk.{L}.post_attention_norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::FfnNorm, true, "blk.{L}.ffn_norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::PostFfnNorm, true, "blk.{L}.post_ffw_norm.weight", {Dim::Hidden, Dim::None}, false, When::Always},
    {R::Gate, true, "blk.{L}.ffn_gate.weight", {Dim::Inter, Dim::Hidden}, false, When::Always},
    {R::Up, true, "blk.{L}.ffn_up.weight", {Dim::Inter, Dim::Hidden}, false, When::Always},
    {R::Down, true, "blk.{L}.ffn_down.weight", {Dim::Hidden, Dim::Inter}, false, When::Always},
};

// Tensors a checkpoint may carry that the forward pass does not use: buffers (RoPE inverse
// frequencies, GPT-2's causal-mask buffers, BERT's position_ids) and heads we do not run (BERT's
// pooler and MLM head). Matched on the name without the family prefix.
struct IgnoreRule {
    const char* text;
    bool suffix; // else prefix
};

constexpr IgnoreRule kLlamaIgnored[] = {{"rotary_emb.inv_freq", true}};
constexpr IgnoreRule kBertIgnored[] = {{"embeddings.position_ids", false}, {"pooler.", false}, {"cls.", false}};
constexpr IgnoreRule kGpt2Ignored[] = {{".attn.bias", true}, {".attn.masked_bias", true}};
constexpr IgnoreRule kGgufIgnored[] = {{"rope_freqs.weight", false}};

struct FamilyNames {
    ArchFamily family;
    WeightNaming naming;
    std::span<const NameEntry> names;
    std::span<const IgnoreRule> ignored;
    std::span<const char* const> prefixes; // tried in order; the one holding the token embedding wins
};

constexpr const char* kNoPrefix[] = {""};
constexpr const char* kBertPrefixes[] = {"", "bert."};
constexpr const char* kGpt2Prefixes[] = {"", "transformer."};

constexpr FamilyNames kFamilyNames[] = {
    {ArchFamily::Llama, WeightNaming::Hf, kLlamaNames, kLlamaIgnored, kNoPrefix},
    {ArchFamily::Bert, WeightNaming::Hf, kBertNames, kBertIgnored, kBertPrefixes},
    {ArchFamily::Gpt2, WeightNaming::Hf, kGpt2Names, kGpt2Ignored, kGpt2Prefixes},
    {ArchFamily::Gemma3, WeightNaming::Hf, kGemma3Names, kLlamaIgnored, kNoPrefix},
    {ArchFamily::Llama, WeightNaming::Gguf, kLlamaGgufNames, kGgufIgnored, kNoPrefix},
    {ArchFamily::Gemma3, WeightNaming::Gguf, kGemma3GgufNames, kGgufIgnored, kNoPrefix},
};

std::int64_t dimValue(Dim dim, const ModelSpec& spec)
{
    switch (dim) {
    case Dim::None:
        return 0;
    case Dim::Vocab:
        return spec.vocabSize;
    case Dim::Hidden:
        return spec.hiddenSize;
    case Dim::QueryWidth:
        return spec.queryWidth();
    case Dim::KvWidth:
        return spec.kvWidth();
    case Dim::Inter:
        return spec.intermediateSize;
    case Dim::Positions:
        return spec.maxPositions;
    case Dim::TypeVocab:
        return spec.typeVocabSize;
    case Dim::QkvWidth:
        return spec.queryWidth() + 2 * spec.kvWidth();
    case Dim::HeadDim:
        return spec.headDim;
    }
    return 0;
}

bool expected(When when, const ModelSpec& spec)
{
    switch (when) {
    case When::Always:
        return true;
    case When::AttnBias:
        return spec.attentionBias;
    case When::MlpBias:
        return spec.mlpBias;
    case When::Untied:
        return spec.hasLmHead && !spec.tieEmbeddings;
    case When::Gated:
        return spec.gatedMlp;
    }
    return false;
}

std::string expand(const char* pattern, int layer)
{
    std::string name = pattern;
    const auto at = name.find("{L}");
    if (at != std::string::npos) {
        name.replace(at, 3, std::to_string(layer));
    }
    return name;
}

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string text = "[";
    for (std::size_t axis = 0; axis < shape.size(); ++axis) {
        text += (axis > 0 ? ", " : "") + std::to_string(shape[axis]);
    }
    return text + "]";
}

Result<void> checkFinite(const float* values, std::size_t count, const std::string& name)
{
    for (std::size_t index = 0; index < count; ++index) {
        if (!std::isfinite(values[index])) {
            return makeError(ErrorCode::FormatInvalid,
                             std::string("weight is ") + (std::isnan(values[index]) ? "NaN" : "infinite") +
                                 " at flat index " + std::to_string(index) +
                                 " (the file is corrupt or was saved from a diverged run)",
                             name, "weight_not_finite");
        }
    }
    return okResult();
}

// Splits rows [first, first + count) of a converted [rows, cols] weight into its own Weight.
Weight sliceRows(const Weight& source, int first, int count)
{
    Weight out;
    out.rows = count;
    out.cols = source.cols;
    const std::size_t begin = static_cast<std::size_t>(first) * static_cast<std::size_t>(source.cols);
    out.owned.assign(source.data + begin, source.data + begin + static_cast<std::size_t>(count) * source.cols);
    out.data = out.owned.data();
    return out;
}

} // namespace

const char* weightRoleName(WeightRole role)
{
    static constexpr const char* kNames[] = {
        "token_embedding", "position_embedding", "token_type_embedding", "embedding_norm", "embedding_norm_bias",
        "output_norm", "output_norm_bias", "output", "attn_norm", "attn_norm_bias", "attn_q", "attn_q_bias",
        "attn_k", "attn_k_bias", "attn_v", "attn_v_bias", "attn_qkv", "attn_qkv_bias", "attn_out",
        "attn_out_bias", "ffn_norm", "ffn_norm_bias", "ffn_gate", "ffn_up", "ffn_up_bias", "ffn_down",
        "ffn_down_bias", "attn_q_norm", "attn_k_norm", "post_attn_norm", "post_ffn_norm"};
    static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<std::size_t>(WeightRole::Count));
    return kNames[static_cast<std::size_t>(role)];
}

ModelWeights::Binding& ModelWeights::binding(WeightRole role, int layer)
{
    return const_cast<Binding&>(std::as_const(*this).binding(role, layer));
}

const ModelWeights::Binding& ModelWeights::binding(WeightRole role, int layer) const
{
    const auto index = static_cast<std::size_t>(role);
    if (role >= WeightRole::AttnNorm) {
        return m_layerBindings[static_cast<std::size_t>(layer)][index];
    }
    return m_globalBindings[index];
}

Result<std::unique_ptr<ModelWeights>> ModelWeights::bind(const ModelSpec& spec, const TensorStore& store)
{
    const FamilyNames* family = nullptr;
    for (const FamilyNames& candidate : kFamilyNames) {
        if (candidate.family == spec.family && candidate.naming == spec.naming) {
            family = &candidate;
        }
    }
    if (family == nullptr) {
        return makeError(ErrorCode::UnsupportedModel,
                         std::string("no tensor-name table for the ") + archFamilyName(spec.family) + " family",
                         spec.modelType);
    }

    std::unique_ptr<ModelWeights> weights(new ModelWeights());
    weights->m_spec = spec;
    const std::size_t roleCount = static_cast<std::size_t>(WeightRole::Count);
    weights->m_globalBindings.assign(roleCount, Binding{});
    weights->m_layerBindings.assign(static_cast<std::size_t>(spec.nLayers), std::vector<Binding>(roleCount));
    weights->m_layers.resize(static_cast<std::size_t>(spec.nLayers));

    for (const char* prefix : family->prefixes) {
        if (store.find(std::string(prefix) + family->names.front().pattern) != nullptr) {
            weights->m_prefix = prefix;
            break;
        }
    }

    std::set<std::string, std::less<>> used;
    for (const NameEntry& entry : family->names) {
        if (!expected(entry.when, spec)) {
            continue;
        }
        const int layerCount = entry.perLayer ? spec.nLayers : 1;
        for (int layer = 0; layer < layerCount; ++layer) {
            const std::string name = (entry.outsidePrefix ? std::string() : weights->m_prefix) +
                                     expand(entry.pattern, layer);
            const TensorView* view = store.find(name);
            if (view == nullptr) {
                return makeError(ErrorCode::FormatInvalid,
                                 "tensor \"" + name + "\" (" + weightRoleName(entry.role) +
                                     ") is missing from the model files",
                                 name, "tensor_missing");
            }
            std::vector<std::int64_t> want;
            for (Dim dim : entry.dims) {
                if (dim != Dim::None) {
                    want.push_back(dimValue(dim, spec));
                }
            }
            if (view->shape != want) {
                return makeError(ErrorCode::ShapeMismatch,
                                 "tensor \"" + name + "\" has shape " + shapeText(view->shape) + ", expected " +
                                     shapeText(want) + " from config.json",
                                 name, "tensor_shape");
            }
            if (!isFloatWeightDtype(view->dtype)) {
                return makeError(ErrorCode::UnsupportedDtype,
                                 "tensor \"" + name + "\" has dtype " + dtypeName(view->dtype) +
                                     "; weights must be F32, F16 or BF16",
                                 name, "tensor_dtype");
            }
            weights->binding(entry.role, layer) = Binding{view, entry.transposed};
            used.insert(name);
        }
    }

    for (const std::string& name : store.names()) {
        if (used.contains(name)) {
            continue;
        }
        std::string_view relative = name;
        if (!weights->m_prefix.empty() && relative.starts_with(weights->m_prefix)) {
            relative.remove_prefix(weights->m_prefix.size());
        }
        bool harmless = spec.tieEmbeddings && name == "lm_head.weight";
        for (const IgnoreRule& rule : family->ignored) {
            harmless = harmless || (rule.suffix ? relative.ends_with(rule.text) : relative.starts_with(rule.text));
        }
        if (!harmless) {
            return makeError(ErrorCode::FormatInvalid,
                             "unexpected tensor \"" + name + "\" for a " + spec.modelType + " model with " +
                                 std::to_string(spec.nLayers) +
                                 " layers (config.json and the weights disagree, or the architecture differs)",
                             name, "tensor_unexpected");
        }
    }
    return weights;
}

const TensorView* ModelWeights::tensor(WeightRole role, int layer) const
{
    if (role >= WeightRole::AttnNorm && (layer < 0 || layer >= m_spec.nLayers)) {
        return nullptr;
    }
    return binding(role, role >= WeightRole::AttnNorm ? layer : 0).view;
}

std::int64_t ModelWeights::parameterCount() const
{
    std::int64_t count = 0;
    for (const Binding& bound : m_globalBindings) {
        count += bound.view != nullptr ? bound.view->numel() : 0;
    }
    for (const auto& layer : m_layerBindings) {
        for (const Binding& bound : layer) {
            count += bound.view != nullptr ? bound.view->numel() : 0;
        }
    }
    return count;
}

Result<void> ModelWeights::convert(WeightRole role, int layer, Weight& out) const
{
    const Binding& bound = binding(role, layer);
    if (bound.view == nullptr) {
        return okResult();
    }
    const TensorView& view = *bound.view;
    const int dim0 = static_cast<int>(view.shape.at(0));
    const int dim1 = view.shape.size() > 1 ? static_cast<int>(view.shape[1]) : 1;
    const bool isNorm = role == R::AttnNorm || role == R::FfnNorm || role == R::OutputNorm || role == R::QueryNorm ||
                        role == R::KeyNorm || role == R::PostAttnNorm || role == R::PostFfnNorm;
    const float offset = isNorm ? m_spec.normWeightOffset : 0.0f;
    if (view.dtype == DType::F32 && !bound.transpose && offset == 0.0f) {
        // Stored f32 in the right layout: read it in place from the mapping (aligned by the loader).
        const auto* values = reinterpret_cast<const float*>(view.data);
        ATTNSCOPE_TRY(checkFinite(values, static_cast<std::size_t>(view.numel()), view.name));
        out.data = values;
        out.rows = dim0;
        out.cols = dim1;
        return okResult();
    }
    std::vector<float> values;
    ATTNSCOPE_TRY(toFiniteFloat(view, values));
    if (bound.transpose) {
        out.owned.resize(values.size());
        for (int row = 0; row < dim0; ++row) {
            for (int col = 0; col < dim1; ++col) {
                out.owned[static_cast<std::size_t>(col) * dim0 + row] = values[static_cast<std::size_t>(row) * dim1 + col];
            }
        }
        out.rows = dim1;
        out.cols = dim0;
    } else {
        out.owned = std::move(values);
        out.rows = dim0;
        out.cols = dim1;
    }
    if (offset != 0.0f) {
        for (float& value : out.owned) {
            value += offset;
        }
    }
    out.data = out.owned.data();
    return okResult();
}

Result<const LayerWeights*> ModelWeights::layer(int layer) const
{
    if (layer < 0 || layer >= m_spec.nLayers) {
        return makeError(ErrorCode::InvalidArgument,
                         "layer " + std::to_string(layer) + " is out of range (the model has " +
                             std::to_string(m_spec.nLayers) + " layers)");
    }
    std::lock_guard lock(m_mutex);
    auto& slot = m_layers[static_cast<std::size_t>(layer)];
    if (slot) {
        return slot.get();
    }
    try {
        auto loaded = std::make_unique<LayerWeights>();
        LayerWeights& w = *loaded;
        const std::pair<WeightRole, Weight*> roles[] = {
            {R::AttnNorm, &w.attnNorm}, {R::AttnNormBias, &w.attnNormBias}, {R::Query, &w.query},
            {R::QueryBias, &w.queryBias}, {R::Key, &w.key}, {R::KeyBias, &w.keyBias}, {R::Value, &w.value},
            {R::ValueBias, &w.valueBias}, {R::AttnOut, &w.attnOut}, {R::AttnOutBias, &w.attnOutBias},
            {R::FfnNorm, &w.ffnNorm}, {R::FfnNormBias, &w.ffnNormBias}, {R::Gate, &w.gate}, {R::Up, &w.up},
            {R::UpBias, &w.upBias}, {R::Down, &w.down}, {R::DownBias, &w.downBias},
            {R::QueryNorm, &w.queryNorm}, {R::KeyNorm, &w.keyNorm}, {R::PostAttnNorm, &w.postAttnNorm},
            {R::PostFfnNorm, &w.postFfnNorm}};
        for (const auto& [role, target] : roles) {
            ATTNSCOPE_TRY(convert(role, layer, *target));
        }
        if (binding(R::QkvFused, layer).view != nullptr) {
            Weight fused;
            Weight fusedBias;
            ATTNSCOPE_TRY(convert(R::QkvFused, layer, fused));
            ATTNSCOPE_TRY(convert(R::QkvFusedBias, layer, fusedBias));
            const int queryRows = m_spec.queryWidth();
            const int kvRows = m_spec.kvWidth();
            w.query = sliceRows(fused, 0, queryRows);
            w.key = sliceRows(fused, queryRows, kvRows);
            w.value = sliceRows(fused, queryRows + kvRows, kvRows);
            if (!fusedBias.empty()) {
                w.queryBias = sliceRows(fusedBias, 0, queryRows);
                w.keyBias = sliceRows(fusedBias, queryRows, kvRows);
                w.valueBias = sliceRows(fusedBias, queryRows + kvRows, kvRows);
            }
        }
        slot = std::move(loaded);
        return slot.get();
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory converting the weights of layer " +
                                                     std::to_string(layer) + " to f32");
    }
}

Result<const GlobalWeights*> ModelWeights::globals() const
{
    std::lock_guard lock(m_mutex);
    if (m_globals) {
        return m_globals.get();
    }
    try {
        auto loaded = std::make_unique<GlobalWeights>();
        GlobalWeights& g = *loaded;
        const std::pair<WeightRole, Weight*> roles[] = {
            {R::TokenEmbedding, &g.tokenEmbedding}, {R::PositionEmbedding, &g.positionEmbedding},
            {R::TokenTypeEmbedding, &g.tokenTypeEmbedding}, {R::EmbeddingNorm, &g.embeddingNorm},
            {R::EmbeddingNormBias, &g.embeddingNormBias}, {R::OutputNorm, &g.outputNorm},
            {R::OutputNormBias, &g.outputNormBias}, {R::Output, &g.output}};
        for (const auto& [role, target] : roles) {
            ATTNSCOPE_TRY(convert(role, 0, *target));
        }
        m_globals = std::move(loaded);
        return m_globals.get();
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory converting the embeddings to f32");
    }
}

Result<void> ModelWeights::loadAll() const
{
    ATTNSCOPE_TRY(globals());
    for (int layer = 0; layer < m_spec.nLayers; ++layer) {
        ATTNSCOPE_TRY(this->layer(layer));
    }
    return okResult();
}

} // namespace attnscope
