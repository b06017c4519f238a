#pragma once
// ImGui read-out of how close the variant is to dense: the selected head, its layer's mean and the
// mean over all heads (from the head grid), plus bars so that a glance is enough.

#include "panels/panel_state.h"

namespace attnscope::gui {

class MetricsPanel {
public:
    void draw(const PanelState& state);
};

} // namespace attnscope::gui
