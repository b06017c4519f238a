#pragma once
// Mean next-token cross-entropy of a causal language model over a token sequence, with the window
// protocol shared with tools/train_demo_model.py (eval.json): the sequence is cut into consecutive
// non-overlapping windows of at most maxPositions ids, each run as an independent forward pass
// from position 0 (only the first starts with whatever the tokenizer put first, e.g. BOS; later
// windows are plain continuations); a trailing window of a single id predicts nothing and is
// dropped. loss = Σ −log p(next id) over every predicted position / number of predicted positions.

#include "attnscope/progress.h"
#include "attnscope/status.h"
#include "model/forward_cpu.h"

#include <span>

namespace attnscope {

class ModelWeights;

struct LossOptions {
    LayerSelection overrideLayers;       ///< layers whose attention attentionOverride replaces
    AttentionOverride attentionOverride; ///< empty: the model's own attention
    int window = 0;                      ///< 0: the model's maxPositions; set: RoPE models may overflow
    int threads = 0;
    const CancelToken* cancel = nullptr; ///< checked between layers
    ProgressFn progress;                 ///< fraction over all windows
    VariantBackend backend = VariantBackend::Auto; ///< ForwardOptions::backend of every window
};

struct LossResult {
    int tokens = 0;     ///< ids in the input
    int predicted = 0;  ///< positions whose next id was scored
    int windows = 0;
    double loss = 0.0;  ///< mean next-token cross-entropy in nats
    double perplexity = 0.0;
    AttentionBackendUse attentionBackend; ///< over every window (ForwardResult::attentionBackend)
};

/// Scores `ids`. Errors: InvalidArgument (fewer than 2 ids, ids outside the vocabulary),
/// Unsupported (a model that is not a causal LM), Cancelled, and those of forwardCpu.
Result<LossResult> evaluateLoss(const ModelWeights& weights, std::span<const int> ids, const LossOptions& options);

} // namespace attnscope
