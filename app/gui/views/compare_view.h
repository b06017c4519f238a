#pragma once
// The compare view: dense | variant₁ | … | variantₖ (k = 1–4) of one head and each variant's
// difference to dense, all on one colour scale (linear, sqrt or log; optionally each row scaled to
// its maximum over the panels; a perceptual map), with the active variant's kept mask outlined on
// the dense map and a colour bar per map kind. Every panel shows the same window of the matrix: wheel,
// drag, box zoom and reset in any panel move them all (long inputs draw from block-pooled pyramids).
// Layout: one row (dense | variant | difference) for one variant; otherwise variants on the top row
// and their differences under them.

#include "compute_results.h"
#include "views/elided_label.h"
#include "views/heatmap_data.h"

#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;

namespace attnscope::gui {

class ColorBar;
class HeatmapView;

/// How the compare view colours its maps (persisted in the settings).
struct CompareColorOptions {
    ColorScale scale = ColorScale::Sqrt;
    QString colormap = QStringLiteral("viridis");  ///< one of Colormap::sequentialNames()
    bool rowNormalised = false;                    ///< each row scaled to its maximum over the panels
    Pooling pooling = Pooling::Peak;               ///< zoomed out: block maximum or block sum
    bool operator==(const CompareColorOptions&) const = default;
};

class CompareView : public QWidget {
    Q_OBJECT
public:
    /// Most variants side by side (the selection's limit).
    static constexpr int kMaxVariants = 4;

    CompareView(bool useGl, QWidget* parent = nullptr);

    void setComparison(std::shared_ptr<const HeadComparison> comparison, const QStringList& tokens);
    std::shared_ptr<const HeadComparison> comparison() const { return m_comparison; }
    /// N of the matrices on screen (0 before the first result).
    int matrixSize() const;
    void setHoveredToken(int position);
    /// The variant whose kept mask is outlined on the dense map.
    void setActiveVariant(int index);

    /// Panels in use: dense, then the k variants, then their k differences.
    int panelCount() const;
    /// Panel `index` in panelCount() order (dense = 0, variant v = 1 + v, difference v = 1 + k + v).
    HeatmapView* heatmap(int index) const { return m_views[static_cast<std::size_t>(index)]; }

    /// The window every panel shows.
    HeatmapViewport viewport() const { return m_viewport; }
    void setViewport(const HeatmapViewport& viewport);
    void resetViewport();

    CompareColorOptions colorOptions() const;
    void setColorOptions(const CompareColorOptions& options);

signals:
    void tokenHovered(int position);
    void colorOptionsChanged();

private:
    void rebuild();
    void arrangePanels(int variants);
    QString describeCell(int row, int column) const;

    std::shared_ptr<const HeadComparison> m_comparison;
    QStringList m_tokens;
    int m_activeVariant = 0;
    int m_arrangedVariants = -1;
    HeatmapViewport m_viewport;
    ElidedLabel* m_header = nullptr;
    QComboBox* m_scale = nullptr;
    QComboBox* m_colormap = nullptr;
    QCheckBox* m_rowNormalised = nullptr;
    QComboBox* m_pooling = nullptr;
    QGridLayout* m_grid = nullptr;
    std::vector<HeatmapView*> m_views;  // 1 + 2 * kMaxVariants, hidden when unused
    ColorBar* m_bar = nullptr;
    ColorBar* m_differenceBar = nullptr;
};

} // namespace attnscope::gui
