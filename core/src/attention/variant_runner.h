#pragma once
// Applies a VariantSpec to one layer's captured Q/K/V: what `attnscope compare`, `attention
// --variant` and `eval --variant` call, and what the forward pass's attention hook runs.

#include "attnscope/progress.h"
#include "attnscope/status.h"
#include "attnscope/variant_result.h"
#include "attnscope/variant_spec.h"
#include "model/layer_qkv.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace attnscope::attn {

struct DenseRows;

/// Checks that a LayerQkv is consistent (sizes, GQA divisibility). ShapeMismatch otherwise.
Result<void> validateLayer(const LayerQkv& layer);

/// Runs `spec` on the requested heads of `layer` (all when options.heads is empty): per-head
/// outputs, effective attention, stats and (options.computeMetrics) metrics against dense.
/// `denseRows`, when given, are one head's kept dense rows (dense_rows.h): that head reads them
/// instead of recomputing scores and probabilities (same results).
/// Errors: InvalidArgument (bad spec or head index, sbm clusters > N), Unsupported (reserved mode),
/// ShapeMismatch (inconsistent layer), Cancelled (token set between heads). Thread-safe for
/// distinct results; uses options.threads worker threads.
Result<LayerVariantResult> runLayerVariant(const LayerQkv& layer, const VariantSpec& spec,
                                           const VariantRunOptions& options = {},
                                           const CancelToken* cancel = nullptr,
                                           const DenseRows* denseRows = nullptr);

/// The random control matched row by row to another variant's kept counts on the same layer (the
/// heads of `reference`); `seed` seeds the draw. Same errors as runLayerVariant.
Result<LayerVariantResult> runRandomMatched(const LayerQkv& layer, const LayerVariantResult& reference,
                                            std::uint64_t seed, const VariantRunOptions& options = {},
                                            const CancelToken* cancel = nullptr);

/// The forward pass's attention hook: given a layer's Q/K/V it fills headOutputs [nHeads, N, d].
using LayerAttentionHook = std::function<Result<void>(const LayerQkv&, std::vector<float>& headOutputs)>;

/// A hook that replaces attention by `spec` in every layer it is called for. `sink`, when set,
/// receives each layer's full result (metrics included when options.computeMetrics).
LayerAttentionHook makeVariantHook(VariantSpec spec, VariantRunOptions options,
                                   std::function<void(LayerVariantResult&&)> sink = {});

} // namespace attnscope::attn
