#pragma once
// Recall against density: one variant run at a series of budgets (its k, w, density, alpha, ...)
// on the same text, each point scored against dense attention (variants.md §7). Shared by the
// GUI's metrics panel and scripts; built on Workspace::compare, so every point is one spec that the
// CLI's `compare --variant` reproduces.

#include "attnscope/status.h"
#include "attnscope/variant_spec.h"
#include "attnscope/workspace.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

/// What to sweep. `variant` is the spec the other parameters are taken from; `param` the parameter
/// that is varied (empty: the kind's budget, see sweepParameter); `values` the values to try
/// (empty: `points` values spread over the parameter's range, see sweepValues).
struct SweepRequest {
    std::string variant;
    std::string param;
    std::vector<double> values;
    int points = 8;
    std::vector<int> layers;  ///< empty = all layers
    std::vector<int> heads;   ///< empty = all heads
};

/// One budget: the spec that ran and its metrics, averaged over the swept (layer, head) pairs.
struct SweepPoint {
    double value = 0.0;   ///< the parameter's value
    std::string variant;  ///< canonical spec of this point
    VariantMetrics mean;  ///< density, recall, KL, ... (means over the heads)
};

/// A sweep's points in the order of the values (ascending for automatic values).
struct SweepResult {
    std::string variant;  ///< the swept spec, canonical
    std::string param;
    std::vector<SweepPoint> points;
};

/// One variant's curve for the metrics panel and `export --view curves`: its budget sweep on one
/// head and the model's perplexity with the variant in every layer.
struct VariantCurve {
    std::string variant;       ///< canonical spec
    SweepResult sweep;         ///< no points when the kind has no budget (dense, fast)
    std::string sweepError;    ///< why there is no sweep
    double perplexity = -1.0;  ///< -1: not a causal LM
};

/// Every compared variant's curve on one head.
struct VariantCurveSet {
    int layer = 0;
    int head = 0;
    double densePerplexity = -1.0;  ///< -1: not a causal LM
    std::vector<int> replacedLayers;  ///< where each variant replaced attention for its perplexity, ascending; empty = every layer
    std::vector<VariantCurve> curves;
};

/// The parameter that sets a kind's budget ("k" for topk/sea/dsa, "w" for window, "density" for sbm
/// and random, "alpha" for sac, ...), or "" for kinds that keep every key (dense, performer, fast).
/// Static data; thread-safe.
std::string sweepParameter(const VariantSpec& spec);

/// `points` values of `param` for a text of nTokens tokens: integers spread geometrically from the
/// smallest valid value to min(sliderMax, nTokens) (duplicates removed), fractions in (0, 1]
/// geometrically from 1/64 to 1, other floats linearly over (min, sliderMax]. Ascending.
/// Errors: InvalidArgument (unknown kind or parameter, a parameter that is not a number, points < 2).
Result<std::vector<double>> sweepValues(const VariantSpec& spec, const std::string& param, int nTokens, int points);

/// Runs the sweep with one forward pass (Workspace::compare, no perplexity). Errors: those of
/// sweepValues and Workspace::compare (bad spec, layer or head; a value outside the parameter's
/// range names it), Cancelled. One call at a time per Workspace.
Result<SweepResult> sweepVariant(Workspace& workspace, const std::vector<std::int32_t>& ids,
                                 const SweepRequest& request, const RunOptions& options);

/// Each spec's sweep on (layer, head) (sweepVariant with its defaults) and, for causal LMs, the
/// perplexity with it in every layer (or in `replacedLayers`) and the dense perplexity. A kind
/// without a budget gets its sweepError and still its perplexity. Errors: those of
/// Workspace::evaluate (a replaced layer out of range), Cancelled.
Result<VariantCurveSet> computeVariantCurves(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer,
                                             int head, const std::vector<std::string>& specs, const RunOptions& options,
                                             const std::vector<int>& replacedLayers = {});

} // namespace attnscope
