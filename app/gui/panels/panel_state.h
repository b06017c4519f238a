#pragma once
// What the ImGui panels read and what they ask for (DESIGN.md §7.11: draw(state) → actions). No Qt,
// no I/O: panels format numbers and turn widget edits into intents.

#include "compute_results.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnscope::gui {

struct PanelState {
    std::string variantSpec;                   ///< the active variant's spec
    std::vector<std::string> variantSpecs;     ///< every compared variant (1–4)
    int activeVariant = 0;                     ///< index of variantSpec in variantSpecs
    int maxVariants = 4;
    std::shared_ptr<const HeadComparison> comparison; ///< the selected head's result, or null
    std::shared_ptr<const HeadGrid> grid;              ///< the whole model's result, or null
    std::shared_ptr<const VariantCurves> curves;       ///< the last sweep/perplexity run, or null
    int layer = 0;
    int head = 0;
    bool perplexityInSelectedLayer = false;    ///< the next sweep runs each variant in `layer` only
    bool computing = false;
    std::string error;                          ///< last error, shown in the panel
};

struct PanelActions {
    std::optional<std::string> variantSpec;  ///< a new spec for the active variant
    std::optional<std::string> addVariant;   ///< append this variant (and make it active)
    std::optional<int> removeVariant;        ///< drop the variant at this index
    std::optional<int> activeVariant;        ///< edit the variant at this index
    bool computeCurves = false;              ///< run the sweeps and perplexities now
    std::optional<bool> perplexityInSelectedLayer; ///< perplexity with the variant in the selected layer only (or every layer)
};

} // namespace attnscope::gui
