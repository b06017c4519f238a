#pragma once
// The CPU forward pass (f32, Eigen, threads over rows and heads) of every supported family, with
// per-layer capture of Q, K (after RoPE), V and per-row log-sum-exp, and an optional hook that
// replaces the model's softmax attention in chosen layers (how `eval --variant` runs a variant
// inside the model). Each layer's dense attention (output and LSE) runs on the GPU when
// ForwardOptions::backend allows it and CUDA is usable (backend/dense_attention_dispatch.h), and on
// the CPU otherwise; everything else stays on the CPU.

#include "attnscope/backends.h"
#include "attnscope/gpu_precision.h"
#include "attnscope/progress.h"
#include "attnscope/status.h"
#include "attnscope/variant_result.h"
#include "model/layer_qkv.h"

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace attnscope {

class ModelWeights;

/// A set of layers: all of them, or a list of indices.
struct LayerSelection {
    bool all = false;
    std::vector<int> layers;

    static LayerSelection allLayers() { return LayerSelection{true, {}}; }
    static LayerSelection only(std::vector<int> layers) { return LayerSelection{false, std::move(layers)}; }
    bool contains(int layer) const;
    bool empty() const { return !all && layers.empty(); }
};

/// What the forward pass hands out for a captured layer. The callback may move from it.
struct LayerCapture {
    LayerQkv qkv;
    /// [nHeads, nTokens] natural-log log-sum-exp of each query row's scaled scores; empty when
    /// the attention override replaced the model's attention in this layer.
    std::vector<float> lse;
    /// [probabilityHeads.size(), nTokens, nTokens] softmax probabilities (0 where masked), only
    /// with ForwardOptions::captureProbabilities and the model's own attention. For every head
    /// they come from the same pass as the attention output, not a second time.
    std::vector<float> probabilities;
    /// The heads whose matrices `probabilities` holds, in order (every head unless
    /// ForwardOptions::probabilityHeads chose some).
    std::vector<int> probabilityHeads;
};

/// Receives captured layers in order; returning an error stops the forward pass with it.
using LayerCallback = std::function<Result<void>(LayerCapture&& capture)>;

/// Replaces softmax attention: fill headOutputs [nHeads, nTokens, headDim] (already sized) from
/// the layer's Q, K, V. Called on the forward pass's thread.
using AttentionOverride = std::function<Result<void>(const LayerQkv& qkv, std::vector<float>& headOutputs)>;

/// What the pass makes of the output head. NextTokenLoss: ForwardResult::nextTokenLoss only, from
/// blocks of logits (next_token_loss.h), never the whole [nTokens, vocab] matrix.
enum class LogitsMode { None, LastPosition, AllPositions, NextTokenLoss };

struct ForwardOptions {
    LayerSelection capture;              ///< layers handed to onLayer
    LayerCallback onLayer;
    bool captureProbabilities = false;   ///< also hand out probabilities (N² per head)
    std::vector<int> probabilityHeads;   ///< with captureProbabilities: only these heads (empty: all)
    LayerSelection overrideLayers;       ///< layers whose attention attentionOverride computes
    AttentionOverride attentionOverride;
    LogitsMode logits = LogitsMode::AllPositions;
    bool keepHiddenStates = false;       ///< keep the final hidden states [nTokens, hiddenSize]
    bool allowOverflow = false;          ///< RoPE models: allow more than maxPositions tokens
    std::vector<int> tokenTypes;         ///< BERT segment ids (empty: all 0)
    int threads = 0;                     ///< 0: defaultThreadCount()
    const CancelToken* cancel = nullptr; ///< checked between layers
    ProgressFn progress;                 ///< called after each layer
    /// Where each layer's dense attention may run. Auto: on CUDA when it is compiled, a device is
    /// usable and the layer fits, else on the CPU (reason in ForwardResult::attentionBackend);
    /// Cpu: the CPU only (bit-reproducible runs). Layers captured with captureProbabilities always
    /// run on the CPU, the pass that writes the probabilities.
    VariantBackend backend = VariantBackend::Auto;
    /// Element type of the dense attention when it runs on CUDA: F32 (default) or Bf16 / F16 (Q/K/V
    /// rounded to 16 bits, f32 accumulation; see gpu_precision.h). Ignored on the CPU.
    GpuPrecision gpuPrecision = GpuPrecision::F32;
};

struct ForwardResult {
    int nTokens = 0;
    int vocabSize = 0;
    int logitsRows = 0;               ///< nTokens, 1 (last position) or 0
    std::vector<float> logits;        ///< [logitsRows, vocabSize]
    /// [nTokens − 1] with LogitsMode::NextTokenLoss: −log p(ids[p + 1] | ids[0..p]) at position p.
    std::vector<double> nextTokenLoss;
    std::vector<float> hiddenStates;  ///< [nTokens, hiddenSize] after the final norm (if kept)
    /// [nLayers]: "cuda" or "cpu" for the backend that ran the layer's dense attention, "" where
    /// attentionOverride replaced it or the pass did not need the layer (see forwardCpu).
    std::vector<std::string> layerAttentionBackends;
    /// The layers' backends summed up ("cpu", "cuda", "cuda+cpu"), and the first reason CUDA was
    /// tried and not used.
    AttentionBackendUse attentionBackend;
};

/// Runs the model over `ids` (positions 0..n-1). Without logits and final hidden states, only what
/// the captures and the attention override need runs: the layers up to the last one captured or
/// overridden, and of that one only the attention (its output projection and MLP, and every later
/// layer, feed nothing asked for); progress counts those layers. Errors: InvalidArgument (empty input, an id out
/// of the vocabulary, a bad layer index, too many tokens: learned-position models can never go
/// past maxPositions, RoPE models only with allowOverflow), Unsupported (logits of a model without
/// an output head), Cancelled, OutOfMemory, FormatInvalid (NaN/Inf weights, named), and whatever
/// the callbacks return.
Result<ForwardResult> forwardCpu(const ModelWeights& weights, std::span<const int> ids,
                                 const ForwardOptions& options);

} // namespace attnscope
