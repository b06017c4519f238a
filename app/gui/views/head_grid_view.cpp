#include "views/head_grid_view.h"

#include "colormap.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::gui {

class HeadGridCells : public QWidget {
public:
    explicit HeadGridCells(HeadGridView* owner) : QWidget(owner), m_owner(owner)
    {
        setObjectName(QStringLiteral("headGridCells"));
        setMouseTracking(true);
        setMinimumHeight(120);
    }

    std::shared_ptr<const HeadGrid> grid;
    HeadGridMetric metric = HeadGridMetric::Recall;
    int selectedLayer = 0;
    int selectedHead = 0;

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter painter(this);
        painter.fillRect(rect(), QColor(24, 25, 27));
        if (!grid || grid->scores.empty()) {
            painter.setPen(QColor(140, 140, 150));
            painter.drawText(rect(), Qt::AlignCenter, tr("head grid: computing…"));
            return;
        }
        const Layout l = layout();
        // Colour spans the grid's own range (the numbers stay absolute): recall is often 0.9–1.0
        // everywhere, and the interesting heads are the relative outliers.
        double minValue = std::numeric_limits<double>::infinity();
        double maxValue = -minValue;
        for (int layer = 0; layer < l.layers; ++layer) {
            for (int head = 0; head < l.heads; ++head) {
                minValue = std::min(minValue, value(layer, head));
                maxValue = std::max(maxValue, value(layer, head));
            }
        }
        const double span = std::max(1e-12, maxValue - minValue);
        QFont font;
        font.setPixelSize(std::clamp(static_cast<int>(std::min(l.cellWidth / 3.2, l.cellHeight / 1.6)), 8, 12));
        painter.setFont(font);
        for (int layer = 0; layer < l.layers; ++layer) {
            painter.setPen(QColor(170, 170, 180));
            painter.drawText(QRectF(0, l.top + layer * l.cellHeight, l.left - 4, l.cellHeight), Qt::AlignRight | Qt::AlignVCenter,
                             QStringLiteral("L%1").arg(layer));
            for (int head = 0; head < l.heads; ++head) {
                const double v = value(layer, head);
                const double t = (v - minValue) / span;
                const QRectF cell(l.left + head * l.cellWidth + 1, l.top + layer * l.cellHeight + 1, l.cellWidth - 2,
                                  l.cellHeight - 2);
                const QColor colour = QColor::fromRgb(Colormap::viridis().map(static_cast<float>(t)));
                painter.fillRect(cell, colour);
                if (l.cellWidth >= 30 && l.cellHeight >= 14) {
                    const double luma = 0.299 * colour.red() + 0.587 * colour.green() + 0.114 * colour.blue();
                    painter.setPen(luma > 128.0 ? QColor(20, 20, 20) : QColor(235, 235, 235));
                    painter.drawText(cell, Qt::AlignCenter, QString::number(v, 'f', v >= 10 ? 1 : 2));
                }
            }
        }
        painter.setPen(QColor(170, 170, 180));
        for (int head = 0; head < l.heads; ++head) {
            painter.drawText(QRectF(l.left + head * l.cellWidth, 0, l.cellWidth, l.top - 2), Qt::AlignCenter | Qt::AlignBottom,
                             QStringLiteral("H%1").arg(head));
        }
        if (selectedLayer < l.layers && selectedHead < l.heads) {
            painter.setPen(QPen(QColor(245, 166, 35), 2.5));
            painter.drawRect(QRectF(l.left + selectedHead * l.cellWidth, l.top + selectedLayer * l.cellHeight, l.cellWidth,
                                    l.cellHeight));
        }
    }

    void mousePressEvent(QMouseEvent* event) override
    {
        const auto [layer, head] = cellAt(event->position());
        if (layer >= 0) {
            emit m_owner->headClicked(layer, head);
        }
    }

    void mouseMoveEvent(QMouseEvent* event) override
    {
        const auto [layer, head] = cellAt(event->position());
        if (layer < 0) {
            QToolTip::hideText();
            return;
        }
        const HeadScores& s = grid->scores[layer][head];
        const VariantMetrics& v = grid->metrics[layer][head];
        QToolTip::showText(event->globalPosition().toPoint(),
                           tr("layer %1 head %2\nprevious-token %3 · sink %4 · induction %5 · entropy/log n %6\n"
                              "%7: recall %8 · KL %9 · density %10 · output error %11")
                               .arg(layer).arg(head).arg(s.previousToken, 0, 'f', 3).arg(s.firstToken, 0, 'f', 3)
                               .arg(s.induction, 0, 'f', 3).arg(s.normalisedEntropy, 0, 'f', 3)
                               .arg(QString::fromStdString(grid->variant)).arg(v.recall, 0, 'f', 3).arg(v.kl, 0, 'f', 3)
                               .arg(v.density, 0, 'f', 3).arg(v.outputError, 0, 'f', 3),
                           this);
    }

private:
    struct Layout {
        int layers = 0;
        int heads = 0;
        double left = 34;
        double top = 18;
        double cellWidth = 0;
        double cellHeight = 0;
    };

    Layout layout() const
    {
        Layout l;
        l.layers = static_cast<int>(grid->scores.size());
        l.heads = l.layers > 0 ? static_cast<int>(grid->scores.front().size()) : 0;
        if (l.layers == 0 || l.heads == 0) {
            return l;
        }
        // Cells fill the width up to three times their height: a deep model with few heads (Gemma 3:
        // 18 × 4) got square cells too small for their numbers in a wide, empty panel.
        l.cellHeight = std::clamp((height() - l.top - 4) / l.layers, 6.0, 96.0);
        l.cellWidth = std::clamp((width() - l.left - 4) / l.heads, 6.0, std::max(l.cellHeight, std::min(3.0 * l.cellHeight, 96.0)));
        return l;
    }

    double value(int layer, int head) const { return headGridValue(metric, *grid, layer, head); }

    std::pair<int, int> cellAt(const QPointF& position) const
    {
        if (!grid || grid->scores.empty()) {
            return {-1, -1};
        }
        const Layout l = layout();
        const int head = static_cast<int>(std::floor((position.x() - l.left) / l.cellWidth));
        const int layer = static_cast<int>(std::floor((position.y() - l.top) / l.cellHeight));
        if (head < 0 || layer < 0 || head >= l.heads || layer >= l.layers) {
            return {-1, -1};
        }
        return {layer, head};
    }

    HeadGridView* m_owner;
};

HeadGridView::HeadGridView(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* top = new QHBoxLayout;
    auto* title = new QLabel(tr("Head grid (rows: layers, columns: heads; click to select)"), this);
    title->setStyleSheet(QStringLiteral("font-weight: bold; color: #c8c8d0;"));
    m_metric = new QComboBox(this);
    for (const HeadGridMetricInfo& metric : headGridMetrics()) {
        m_metric->addItem(tr(metric.label));
    }
    top->addWidget(title, 1);
    top->addWidget(new QLabel(tr("colour (grid min → max)"), this));
    top->addWidget(m_metric);
    layout->addLayout(top);
    m_cells = new HeadGridCells(this);
    layout->addWidget(m_cells, 1);
    connect(m_metric, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_cells->metric = headGridMetrics()[static_cast<std::size_t>(std::max(0, index))].metric;
        m_cells->update();
    });
}

void HeadGridView::setGrid(std::shared_ptr<const HeadGrid> grid)
{
    m_grid = std::move(grid);
    m_cells->grid = m_grid;
    m_cells->update();
}

HeadGridMetric HeadGridView::metric() const
{
    return m_cells->metric;
}

void HeadGridView::setMetric(HeadGridMetric metric)
{
    for (std::size_t index = 0; index < headGridMetrics().size(); ++index) {
        if (headGridMetrics()[index].metric == metric) {
            m_metric->setCurrentIndex(static_cast<int>(index));
        }
    }
}

void HeadGridView::setSelected(int layer, int head)
{
    m_cells->selectedLayer = layer;
    m_cells->selectedHead = head;
    m_cells->update();
}

} // namespace attnscope::gui
