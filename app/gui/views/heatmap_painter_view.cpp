#include "views/heatmap_painter_view.h"

#include <QMouseEvent>
#include <QPainter>

namespace attnscope::gui {

HeatmapPainterView::HeatmapPainterView(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setMinimumSize(160, 160);
}

void HeatmapPainterView::setData(std::shared_ptr<const HeatmapData> data)
{
    m_data = std::move(data);
    m_image = m_data ? heatmapImage(*m_data) : QImage();
    update();
}

void HeatmapPainterView::setHoveredToken(int position)
{
    if (position != m_hoveredToken) {
        m_hoveredToken = position;
        update();
    }
}

void HeatmapPainterView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), QColor(24, 25, 27));
    if (!m_data) {
        return;
    }
    const HeatmapGeometry geometry = heatmapGeometry(size(), *m_data);
    // Nearest-neighbour: one cell is one flat square, never a blur (stack_notes §5).
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(geometry.plot, m_image);
    paintHeatmapDecorations(painter, *m_data, geometry, m_hoveredToken);
}

void HeatmapPainterView::mouseMoveEvent(QMouseEvent* event)
{
    if (!m_data) {
        return;
    }
    reportHeatmapHover(this, *m_data, event->position(), event->globalPosition().toPoint(), m_hover);
}

void HeatmapPainterView::leaveEvent(QEvent*)
{
    if (m_hover) {
        m_hover(-1, -1);
    }
}

} // namespace attnscope::gui
