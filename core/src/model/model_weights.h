#pragma once
// Role → tensor binding for a model's weights. Per-family tables of HF tensor-name templates
// (model_weights.cpp, like llama.cpp's llama-arch.h) name each role; binding checks that every
// expected tensor exists with the expected shape and dtype and that the files hold nothing
// unexpected. Weights stay in their stored dtype in the mmap; a layer's tensors are converted to
// f32 the first time the layer is used and cached (f32 tensors that need no transpose are used in
// place, without a copy).

#include "attnscope/status.h"
#include "model/model_spec.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace attnscope {

class TensorStore;
struct TensorView;

/// What a tensor is for, independent of how a family names it.
enum class WeightRole {
    TokenEmbedding,
    PositionEmbedding,
    TokenTypeEmbedding,
    EmbeddingNorm,
    EmbeddingNormBias,
    OutputNorm,
    OutputNormBias,
    Output,
    AttnNorm,      ///< pre-attention norm (pre-norm) or post-attention norm (post-norm, BERT)
    AttnNormBias,
    Query,
    QueryBias,
    Key,
    KeyBias,
    Value,
    ValueBias,
    QkvFused,      ///< GPT-2 c_attn: Q, K, V stacked along the output dimension
    QkvFusedBias,
    AttnOut,
    AttnOutBias,
    FfnNorm,
    FfnNormBias,
    Gate,
    Up,
    UpBias,
    Down,
    DownBias,
    QueryNorm,     ///< Gemma 3 QK-norm: RMSNorm over each query head [headDim]
    KeyNorm,
    PostAttnNorm,  ///< Gemma 3: norm of the attention output before the residual add
    PostFfnNorm,   ///< Gemma 3: norm of the MLP output before the residual add
    Count
};

/// Short stable name of a role ("attn_q"), for messages.
const char* weightRoleName(WeightRole role);

/// One f32 weight: [rows, cols] row-major. A linear layer is stored [out, in] (HF Linear layout;
/// GPT-2's Conv1D [in, out] is transposed on conversion). Vectors have cols == 1. `data` points
/// either into the mmap (f32, no transpose) or into `owned`.
struct Weight {
    const float* data = nullptr;
    int rows = 0;
    int cols = 0;
    std::vector<float> owned;

    bool empty() const { return data == nullptr; }
};

/// The f32 weights of one layer; absent roles stay empty().
struct LayerWeights {
    Weight attnNorm, attnNormBias;
    Weight query, queryBias, key, keyBias, value, valueBias;
    Weight attnOut, attnOutBias;
    Weight ffnNorm, ffnNormBias;
    Weight gate, up, upBias, down, downBias;
    Weight queryNorm, keyNorm, postAttnNorm, postFfnNorm;
};

/// The f32 weights outside the layers.
struct GlobalWeights {
    Weight tokenEmbedding, positionEmbedding, tokenTypeEmbedding;
    Weight embeddingNorm, embeddingNormBias;
    Weight outputNorm, outputNormBias;
    Weight output; ///< empty when tied: use tokenEmbedding
};

class ModelWeights {
public:
    /// Binds every role of `spec` to a tensor of `store` (which must outlive the result).
    /// Errors: FormatInvalid (a missing tensor or an unexpected one, named), ShapeMismatch (named
    /// with expected and actual shape), UnsupportedDtype (a non-float weight).
    static Result<std::unique_ptr<ModelWeights>> bind(const ModelSpec& spec, const TensorStore& store);

    /// The f32 weights of `layer`, converted on first use and cached. Thread-safe.
    /// Errors: FormatInvalid naming a tensor holding NaN or Inf, OutOfMemory.
    Result<const LayerWeights*> layer(int layer) const;
    /// The f32 weights outside the layers (embeddings, final norm, output). Thread-safe.
    Result<const GlobalWeights*> globals() const;
    /// Converts everything now (validates every value); later calls are free.
    Result<void> loadAll() const;

    /// The stored tensor bound to `role` (layer ignored for global roles), or nullptr.
    const TensorView* tensor(WeightRole role, int layer = 0) const;
    /// The name prefix found in the files ("", "bert.", "transformer.").
    const std::string& namePrefix() const { return m_prefix; }
    /// Number of parameters over the bound tensors.
    std::int64_t parameterCount() const;
    const ModelSpec& spec() const { return m_spec; }

private:
    struct Binding {
        const TensorView* view = nullptr;
        bool transpose = false;
    };
    ModelWeights() = default;
    Binding& binding(WeightRole role, int layer);
    const Binding& binding(WeightRole role, int layer) const;
    Result<void> convert(WeightRole role, int layer, Weight& out) const;

    ModelSpec m_spec;
    std::string m_prefix;
    std::vector<Binding> m_globalBindings;              // indexed by role
    std::vector<std::vector<Binding>> m_layerBindings;  // [layer][role]
    mutable std::mutex m_mutex;
    mutable std::vector<std::unique_ptr<LayerWeights>> m_layers;
    mutable std::unique_ptr<GlobalWeights> m_globals;
};

} // namespace attnscope
