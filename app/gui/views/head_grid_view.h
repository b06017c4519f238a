#pragma once
// Layers × heads thumbnails coloured by one metric (a HeadScores score of dense attention, or a
// compare metric of the variant); click selects the head. Few cells, so QPainter is enough.

#include "compute_results.h"

#include <QWidget>

#include <memory>

class QComboBox;

namespace attnscope::gui {

class HeadGridCells;

class HeadGridView : public QWidget {
    Q_OBJECT
public:
    explicit HeadGridView(QWidget* parent = nullptr);

    void setGrid(std::shared_ptr<const HeadGrid> grid);
    std::shared_ptr<const HeadGrid> grid() const { return m_grid; }
    void setSelected(int layer, int head);
    /// What colours the cells (the metric menu's choice).
    HeadGridMetric metric() const;
    void setMetric(HeadGridMetric metric);

signals:
    void headClicked(int layer, int head);

private:
    std::shared_ptr<const HeadGrid> m_grid;
    QComboBox* m_metric = nullptr;
    HeadGridCells* m_cells = nullptr;
};

} // namespace attnscope::gui
