#pragma once
// Mouse navigation of a heatmap (Tracy-like), shared by the GL view and the QPainter fallback:
// wheel zooms around the cursor, drag pans, shift-drag draws a box to zoom into, double-click
// resets. It only computes the requested viewport; the compare view applies it to every panel so
// that they share one view transform. Hover reports the cell under the mouse and shows its tooltip.

#include "views/heatmap_data.h"

#include <QPointF>
#include <QRectF>

#include <functional>

class QEvent;
class QMouseEvent;
class QWheelEvent;
class QWidget;

namespace attnscope::gui {

class HeatmapNavigation {
public:
    using ViewportRequest = std::function<void(const HeatmapViewport&)>;
    using Hover = std::function<void(int row, int column)>;

    void setViewportRequest(ViewportRequest request) { m_request = std::move(request); }
    void setHover(Hover hover) { m_hover = std::move(hover); }

    /// Handles the mouse, wheel and leave events of a heatmap widget (called from its event());
    /// returns true when the event was consumed. Repaints the widget when the box-zoom band moves.
    bool handle(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport, QEvent* event);

    /// The box-zoom band in widget coordinates while shift-dragging, else a null rect.
    QRectF band() const { return m_boxing ? QRectF(m_pressPosition, m_currentPosition) : QRectF(); }

    /// The viewport after zooming by `factor` (> 1 zooms in) around widget point `anchor`.
    static HeatmapViewport zoomedAround(const HeatmapGeometry& geometry, const HeatmapViewport& viewport, int n,
                                        const QPointF& anchor, double factor);

private:
    // Each returns true when the widget must repaint (the box-zoom band moved).
    bool wheel(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport, QWheelEvent* event);
    bool press(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport, QMouseEvent* event);
    bool move(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport, QMouseEvent* event);
    bool release(QWidget* widget, const HeatmapData& data, const HeatmapViewport& viewport, QMouseEvent* event);
    bool doubleClick(const HeatmapData& data, QMouseEvent* event);

    ViewportRequest m_request;
    Hover m_hover;
    bool m_panning = false;
    bool m_boxing = false;
    QPointF m_pressPosition;
    QPointF m_currentPosition;
    HeatmapViewport m_pressViewport;
    double m_pressCell = 0.0;
};

} // namespace attnscope::gui
