#include "views/structure_view.h"

#include <QObject>

namespace attnscope::gui {

namespace {

// A token × token panel (hover reports its rows), or a small square one (block matrix).
StructurePanel square(const QString& title, int n, std::vector<float> values, std::vector<std::uint8_t> valid = {},
                      bool tokenRows = true)
{
    return StructurePanel{title, n, n, std::move(values), std::move(valid), false, tokenRows};
}

std::vector<float> toFloat(const std::vector<std::uint8_t>& mask)
{
    return std::vector<float>(mask.begin(), mask.end());
}

std::vector<std::uint8_t> reorderMask(const std::vector<std::uint8_t>& mask, int n, const std::vector<int>& rows,
                                      const std::vector<int>& cols)
{
    const std::vector<float> reordered = reorderMatrix(toFloat(mask), n, rows, cols);
    return std::vector<std::uint8_t>(reordered.begin(), reordered.end());
}

QString estimateTitle(const std::string& kind, const std::string& estimateKind)
{
    if (kind == "sea") {
        return QObject::tr("SEA estimated attention");
    }
    if (kind == "sbm") {
        return QObject::tr("SBM edge probabilities");
    }
    if (estimateKind == "scores") {
        return QObject::tr("%1 predicted scores").arg(QString::fromStdString(kind).toUpper());
    }
    return QObject::tr("%1 implied attention").arg(QString::fromStdString(kind).toUpper());
}

} // namespace

std::vector<StructurePanel> structurePanels(const HeadStructure& s)
{
    std::vector<StructurePanel> panels;
    const int n = s.nTokens;
    const auto cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    const HeadVariantResult& r = s.result;
    if (s.denseAttention.size() == cells) {
        panels.push_back(square(QObject::tr("dense attention"), n, s.denseAttention, s.allowed));
    }
    if (s.effective.size() == cells) {
        panels.push_back(square(QObject::tr("kept keys, applied weights"), n, s.effective, s.allowed));
    }
    if (r.estimate.size() == cells) {
        panels.push_back(square(estimateTitle(s.kind, r.estimateKind), n, r.estimate, s.allowed));
        if (r.estimateKind == "scores" && s.denseScores.size() == cells) {
            panels.push_back(square(QObject::tr("true scores (scale·q·k)"), n, s.denseScores, s.allowed));
        }
    }
    const int width = r.compressedWidth;
    if (width > 0 && r.compressedEstimate.size() == static_cast<std::size_t>(n) * width) {
        panels.push_back({QObject::tr("compressed estimate (N × %1)").arg(width), n, width, r.compressedEstimate, {}, false, true});
        if (r.compressedMask.size() == r.compressedEstimate.size()) {
            panels.push_back({QObject::tr("compressed top-k mask"), n, width, toFloat(r.compressedMask), {}, false, true});
        }
    }
    const int clusters = r.clusters;
    if (clusters > 0) {
        const auto membershipSize = static_cast<std::size_t>(n) * clusters;
        if (r.queryMemberships.size() == membershipSize) {
            panels.push_back({QObject::tr("query memberships (N × %1)").arg(clusters), n, clusters, r.queryMemberships, {}, false, true});
        }
        if (r.keyMemberships.size() == membershipSize) {
            panels.push_back({QObject::tr("key memberships (N × %1)").arg(clusters), n, clusters, r.keyMemberships, {}, false, true});
        }
        if (r.blockMatrix.size() == static_cast<std::size_t>(clusters) * clusters) {
            panels.push_back(square(QObject::tr("block matrix (%1 × %1)").arg(clusters), clusters, r.blockMatrix, {}, false));
        }
        if (s.queryOrder.size() == static_cast<std::size_t>(n) && s.keyOrder.size() == static_cast<std::size_t>(n) &&
            s.denseAttention.size() == cells) {
            panels.push_back(square(QObject::tr("dense attention, reordered by cluster"), n,
                                    reorderMatrix(s.denseAttention, n, s.queryOrder, s.keyOrder),
                                    reorderMask(s.allowed, n, s.queryOrder, s.keyOrder), false));
            if (s.kept.size() == cells) {
                panels.push_back(square(QObject::tr("sampled graph, reordered by cluster"), n,
                                        reorderMatrix(toFloat(s.kept), n, s.queryOrder, s.keyOrder),
                                        reorderMask(s.allowed, n, s.queryOrder, s.keyOrder), false));
            }
        }
    }
    if (r.stats.keptPerRow.size() == static_cast<std::size_t>(n)) {
        std::vector<float> degrees(r.stats.keptPerRow.begin(), r.stats.keptPerRow.end());
        panels.push_back({QObject::tr("kept keys per query (edge degree)"), n, 1, std::move(degrees), {}, true, true});
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
