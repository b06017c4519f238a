#pragma once
// What the worker hands back to the UI thread. Immutable once built; shared as shared_ptr<const>.

#include "attnscope/backends.h"
#include "attnscope/head_compare.h"
#include "attnscope/head_grid.h"
#include "attnscope/sweep.h"
#include "attnscope/workspace.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace attnscope::gui {

struct ModelLoaded {
    ModelInfo info;
    std::vector<BackendInfo> backends;
    double seconds = 0.0;
};

/// One variant's side of a comparison: canonical spec, effective attention [N, N] + kept mask, metrics.
using VariantHead = HeadVariantAttention;

/// One head, dense against 1–4 variants, on the same token ids.
struct HeadComparison {
    std::vector<std::int32_t> ids;
    int layer = 0;
    int head = 0;
    HeadAttention dense;               ///< [N, N]
    std::vector<VariantHead> variants; ///< in the selection's order
    double seconds = 0.0;

    /// The variant at `index` clamped into range (views that show one variant pass the active one).
    const VariantHead& variantAt(int index) const
    {
        return variants[static_cast<std::size_t>(std::clamp(index, 0, static_cast<int>(variants.size()) - 1))];
    }
};

/// Every layer × head: what it does (dense scores) and how close the variant is to it.
struct HeadGrid : HeadGridValues {
    std::vector<std::int32_t> ids;
    double seconds = 0.0;
};

/// The metrics panel's on-demand numbers for each variant: its recall-vs-density sweep on the
/// selected head and the model's perplexity with the variant in every layer (causal LMs only).
struct VariantCurves : VariantCurveSet {
    using Curve = VariantCurve;
    std::vector<std::int32_t> ids;
    double seconds = 0.0;
};

} // namespace attnscope::gui
