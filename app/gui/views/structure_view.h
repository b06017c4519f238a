#pragma once
// What a variant exposes for one head, as small matrices side by side (issue #6): sbm's memberships,
// block matrix and the attention and sampled graph reordered by cluster; sea's estimated and
// compressed matrices and kept top-k; dsa's predicted scores next to the true scores; sac's kept
// keys per row (edge degrees); fast's implied matrix. Every panel is data core returned
// (HeadStructure); core picks the panels (headStructurePanels, also the exported figure's) and
// this view lays them out.

#include "attnscope/analysis.h"
#include "views/structure_panels.h"

#include <memory>
#include <vector>

namespace attnscope::gui {

/// The panels of a head's structure, in display order: core's headStructurePanels (public for tests).
std::vector<StructurePanel> structurePanels(const HeadStructure& structure);

class StructureView : public StructurePanelsView {
    Q_OBJECT
public:
    explicit StructureView(QWidget* parent = nullptr);

    void setStructure(std::shared_ptr<const HeadStructure> structure);
    std::shared_ptr<const HeadStructure> structure() const { return m_structure; }

private:
    std::shared_ptr<const HeadStructure> m_structure;
};

} // namespace attnscope::gui
