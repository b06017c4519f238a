#include "views/structure_view.h"

#include "attnscope/figure_structure.h"

namespace attnscope::gui {

std::vector<StructurePanel> structurePanels(const HeadStructure& structure)
{
    // The panel list is core's (headStructurePanels), shared with the exported figure.
    std::vector<StructurePanel> panels;
    for (StructurePanelData& data : headStructurePanels(structure)) {
        panels.push_back({QString::fromStdString(data.title), data.rows, data.cols, std::move(data.values), std::move(data.valid),
                          data.bars, data.tokenRows, data.diverging});
    }
    return panels;
}

StructureView::StructureView(QWidget* parent) : StructurePanelsView(parent)
{
    setPanels(tr("Structure · waiting for a result"), {});
}

void StructureView::setStructure(std::shared_ptr<const HeadStructure> structure)
{
    m_structure = std::move(structure);
    if (!m_structure) {
        setPanels(tr("Structure · waiting for a result"), {});
        return;
    }
    setPanels(tr("Layer %1 · head %2 · %3 · what the variant exposes (each panel on its own min → max)")
                  .arg(m_structure->layer).arg(m_structure->head).arg(QString::fromStdString(m_structure->variant)),
              structurePanels(*m_structure));
}

} // namespace attnscope::gui
