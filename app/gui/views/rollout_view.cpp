#include "views/rollout_view.h"

namespace attnscope::gui {

RolloutView::RolloutView(QWidget* parent) : StructurePanelsView(parent)
{
    setPanels(tr("Rollout · waiting for a result"), {});
}

void RolloutView::setRollout(std::shared_ptr<const RolloutPair> rollout)
{
    m_rollout = std::move(rollout);
    if (!m_rollout) {
        setPanels(tr("Rollout · waiting for a result"), {});
        return;
    }
    const AttentionRollout& dense = m_rollout->dense;
    const AttentionRollout& variant = m_rollout->variant;
    const int n = dense.nTokens;
    std::vector<StructurePanel> panels;
    panels.push_back({tr("dense rollout"), n, n, dense.rollout, {}, false, true});
    if (variant.nTokens == n && variant.rollout.size() == dense.rollout.size()) {
        panels.push_back({tr("%1 rollout").arg(QString::fromStdString(variant.variant)), n, n, variant.rollout, {}, false, true});
        std::vector<float> difference(dense.rollout.size());
        for (std::size_t i = 0; i < difference.size(); ++i) {
            difference[i] = variant.rollout[i] - dense.rollout[i];
        }
        panels.push_back({tr("variant − dense"), n, n, std::move(difference), {}, false, true, true});
    }
    setPanels(tr("Attention rollout through layer %1 (0.5·A + 0.5·I, heads averaged) · row = output position, "
                 "column = input token")
                  .arg(dense.throughLayer),
              std::move(panels));
}

} // namespace attnscope::gui
