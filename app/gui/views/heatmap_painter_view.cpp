#include "views/heatmap_painter_view.h"

#include <QPainter>

namespace attnscope::gui {

HeatmapPainterView::HeatmapPainterView(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setMinimumSize(120, 120);
}

void HeatmapPainterView::setData(std::shared_ptr<const HeatmapData> data)
{
    m_data = std::move(data);
    m_tileDirty = true;
    update();
}

void HeatmapPainterView::setViewport(const HeatmapViewport& viewport)
{
    if (viewport != m_viewport) {
        m_viewport = viewport;
        m_tileDirty = true;
        update();
    }
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
    painter.fillRect(rect(), palette().color(QPalette::Window));
    if (!m_data || m_data->n <= 0) {
        return;
    }
    const HeatmapGeometry geometry = heatmapGeometry(size(), *m_data, m_viewport);
    const double pixels = geometry.plot.width() * devicePixelRatioF();
    if (m_tileDirty || pixels != m_tilePixels) {
        m_tile = heatmapTile(*m_data, m_viewport, pixels);
        m_image = heatmapTileImage(*m_data, m_tile);
        m_tilePixels = pixels;
        m_tileDirty = false;
    }
    // Nearest-neighbour: one cell is one flat square, never a blur (stack_notes §5).
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.save();
    painter.setClipRect(geometry.plot);
    painter.drawImage(m_tile.rect(geometry, m_viewport.clamped(m_data->n)), m_image);
    painter.restore();
    paintHeatmapDecorations(painter, palette(), *m_data, geometry, m_viewport, m_hoveredToken, m_navigation.band());
}

bool HeatmapPainterView::event(QEvent* event)
{
    if (m_data && m_navigation.handle(this, *m_data, m_viewport, event)) {
        return true;
    }
    return QWidget::event(event);
}

} // namespace attnscope::gui
