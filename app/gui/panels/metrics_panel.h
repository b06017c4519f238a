#pragma once
// ImGui read-out of how close the variants are to dense: the active variant on the selected head,
// its layer's mean and the mean over all heads (from the head grid), every compared variant side by
// side, and on demand each variant's recall-vs-density curve (a budget sweep on the selected head)
// and the model's perplexity with the variant in every layer.

#include "panels/panel_state.h"

namespace attnscope::gui {

class MetricsPanel {
public:
    /// Draws the panel; a click on the sweep button sets actions.computeCurves.
    void draw(const PanelState& state, PanelActions& actions);

private:
    void drawVariantTable(const HeadComparison& comparison);
    void drawCurves(const PanelState& state, PanelActions& actions);
};

/// The colour of variant `index` in curves and legends (ImGui packed ABGR).
unsigned int variantColour(int index);

} // namespace attnscope::gui
