#include "views/heatmap_navigation.h"

#include <QMouseEvent>
#include <QToolTip>
#include <QWheelEvent>
#include <QWidget>

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

constexpr double kWheelStep = 1.25;   // zoom factor per wheel notch (120 units)
constexpr double kMinBoxPixels = 4.0; // smaller boxes are clicks

} // namespace

HeatmapViewport HeatmapNavigation::zoomedAround(const HeatmapGeometry& geometry, const HeatmapViewport& viewport,
                                                int n, const QPointF& anchor, double factor)
{
    const HeatmapViewport v = viewport.clamped(n);
    if (geometry.cell <= 0.0 || factor <= 0.0) {
        return v;
    }
    // The cell under the anchor stays under it.
    const double anchorColumn = v.x0 + (anchor.x() - geometry.plot.left()) / geometry.cell;
    const double anchorRow = v.y0 + (anchor.y() - geometry.plot.top()) / geometry.cell;
    HeatmapViewport zoomed;
    zoomed.span = v.span / factor;
    zoomed = zoomed.clamped(n);
    const double ratio = zoomed.span / v.span;
    zoomed.x0 = anchorColumn - (anchorColumn - v.x0) * ratio;
    zoomed.y0 = anchorRow - (anchorRow - v.y0) * ratio;
    return zoomed.clamped(n);
}

bool HeatmapNavigation::wheel(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport,
                              QWheelEvent* event)
{
    const int delta = event->angleDelta().y();
    if (data.n <= 0 || delta == 0 || !m_request) {
        return false;
    }
    const HeatmapGeometry geometry = heatmapGeometry(widget->size(), data, viewport);
    const double factor = std::pow(kWheelStep, delta / 120.0);
    m_request(zoomedAround(geometry, viewport, data.n, event->position(), factor));
    event->accept();
    return false;
}

bool HeatmapNavigation::press(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport,
                              QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || data.n <= 0) {
        return false;
    }
    const HeatmapGeometry geometry = heatmapGeometry(widget->size(), data, viewport);
    if (!geometry.plot.contains(event->position())) {
        return false;
    }
    m_pressPosition = m_currentPosition = event->position();
    m_pressViewport = viewport.clamped(data.n);
    m_pressCell = geometry.cell;
    m_boxing = event->modifiers().testFlag(Qt::ShiftModifier);
    m_panning = !m_boxing;
    if (m_panning) {
        widget->setCursor(Qt::ClosedHandCursor);
    }
    return m_boxing;
}

bool HeatmapNavigation::move(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport,
                             QMouseEvent* event)
{
    m_currentPosition = event->position();
    if (m_panning && m_request && m_pressCell > 0.0) {
        const QPointF moved = (m_currentPosition - m_pressPosition) / m_pressCell;
        HeatmapViewport panned = m_pressViewport;
        panned.x0 -= moved.x();
        panned.y0 -= moved.y();
        m_request(panned.clamped(data.n));
        return false;
    }
    if (m_boxing) {
        return true;
    }
    const HeatmapGeometry geometry = heatmapGeometry(widget->size(), data, viewport);
    const auto [row, column] = heatmapCellAt(geometry, viewport, data.n, event->position());
    if (row >= 0) {
        QToolTip::showText(event->globalPosition().toPoint(), heatmapCellText(data, row, column), widget);
    }
    if (m_hover) {
        m_hover(row, column);
    }
    return false;
}

bool HeatmapNavigation::release(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport,
                                QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton) {
        return false;
    }
    widget->unsetCursor();
    m_panning = false;
    if (!m_boxing) {
        return false;
    }
    m_boxing = false;
    m_currentPosition = event->position();
    const QRectF box = QRectF(m_pressPosition, m_currentPosition).normalized();
    if (m_request && m_pressCell > 0.0 && std::max(box.width(), box.height()) >= kMinBoxPixels) {
        const HeatmapGeometry geometry = heatmapGeometry(widget->size(), data, viewport);
        HeatmapViewport zoomed;
        zoomed.x0 = m_pressViewport.x0 + (box.left() - geometry.plot.left()) / m_pressCell;
        zoomed.y0 = m_pressViewport.y0 + (box.top() - geometry.plot.top()) / m_pressCell;
        zoomed.span = std::max(box.width(), box.height()) / m_pressCell;
        m_request(zoomed.clamped(data.n));
    }
    return true;
}

bool HeatmapNavigation::doubleClick(const HeatmapData& data, QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || !m_request || data.n <= 0) {
        return false;
    }
    m_panning = m_boxing = false;
    m_request(HeatmapViewport::whole(data.n));
    return false;
}

bool HeatmapNavigation::handle(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport,
                               QEvent* event)
{
    bool repaint = false;
    switch (event->type()) {
    case QEvent::Wheel:
        repaint = wheel(widget, data, viewport, static_cast<QWheelEvent*>(event));
        break;
    case QEvent::MouseButtonPress:
        repaint = press(widget, data, viewport, static_cast<QMouseEvent*>(event));
        break;
    case QEvent::MouseMove:
        repaint = move(widget, data, viewport, static_cast<QMouseEvent*>(event));
        break;
    case QEvent::MouseButtonRelease:
        repaint = release(widget, data, viewport, static_cast<QMouseEvent*>(event));
        break;
    case QEvent::MouseButtonDblClick:
        repaint = doubleClick(data, static_cast<QMouseEvent*>(event));
        break;
    case QEvent::Leave:
        if (m_hover) {
            m_hover(-1, -1);
        }
        return false;
    default:
        return false;
    }
    if (repaint) {
        widget->update();
    }
    return true;
}

} // namespace attnscope::gui
