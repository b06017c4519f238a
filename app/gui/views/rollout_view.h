#pragma once
// Attention rollout (Abnar & Zuidema) through the selected layer, for dense attention and for the
// variant's effective attention, side by side with their difference (issue #6): which input tokens
// reach each position, and how the sparse pattern changes that. Core computes both rollouts.

#include "attnscope/analysis.h"
#include "views/structure_panels.h"

#include <memory>

namespace attnscope::gui {

struct RolloutPair {
    AttentionRollout dense;
    AttentionRollout variant;
};

class RolloutView : public StructurePanelsView {
    Q_OBJECT
public:
    explicit RolloutView(QWidget* parent = nullptr);

    void setRollout(std::shared_ptr<const RolloutPair> rollout);
    std::shared_ptr<const RolloutPair> rollout() const { return m_rollout; }

private:
    std::shared_ptr<const RolloutPair> m_rollout;
};

} // namespace attnscope::gui
