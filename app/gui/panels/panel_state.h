#pragma once
// What the ImGui panels read and what they ask for (DESIGN.md §7.11: draw(state) → actions). No Qt,
// no I/O: panels format numbers and turn widget edits into intents.

#include "compute_results.h"

#include <memory>
#include <optional>
#include <string>

namespace attnscope::gui {

struct PanelState {
    std::string variantSpec;                   ///< the selection's spec
    std::shared_ptr<const HeadComparison> comparison; ///< the selected head's result, or null
    std::shared_ptr<const HeadGrid> grid;              ///< the whole model's result, or null
    int layer = 0;
    int head = 0;
    bool computing = false;
    std::string error;                          ///< last error, shown in the panel
};

struct PanelActions {
    std::optional<std::string> variantSpec;  ///< a new spec to select
};

} // namespace attnscope::gui
