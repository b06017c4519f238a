#pragma once
// The compare view: dense | variant | difference of one head, side by side on one colour scale
// (linear, sqrt or log), with the kept mask outlined on the dense map and a colour bar per map kind.

#include "compute_results.h"

#include <QStringList>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;

namespace attnscope::gui {

class ColorBar;
class HeatmapView;

class CompareView : public QWidget {
    Q_OBJECT
public:
    CompareView(bool useGl, QWidget* parent = nullptr);

    void setComparison(std::shared_ptr<const HeadComparison> comparison, const QStringList& tokens);
    std::shared_ptr<const HeadComparison> comparison() const { return m_comparison; }
    /// N of the matrices on screen (0 before the first result).
    int matrixSize() const;
    void setHoveredToken(int position);
    /// The three maps (dense, variant, difference), for tests.
    HeatmapView* heatmap(int index) const { return m_views[index]; }

signals:
    void tokenHovered(int position);

private:
    void rebuild();

    std::shared_ptr<const HeadComparison> m_comparison;
    QStringList m_tokens;
    QLabel* m_header = nullptr;
    QComboBox* m_scale = nullptr;
    HeatmapView* m_views[3] = {nullptr, nullptr, nullptr};
    ColorBar* m_bar = nullptr;
    ColorBar* m_differenceBar = nullptr;
};

} // namespace attnscope::gui
