#include "views/graph_hover_canvas.h"

#include <QMouseEvent>

namespace attnscope::gui {

namespace {

constexpr double kPickRadius = 12.0;  // pixels

} // namespace

HoverCanvas::HoverCanvas(std::function<void(int)> report, QWidget* parent)
    : QWidget(parent), m_report(std::move(report))
{
    setMouseTracking(true);
    setMinimumSize(200, 160);
}

void HoverCanvas::setHovered(int position)
{
    if (position != m_hovered) {
        m_hovered = position;
        update();
    }
}

void HoverCanvas::hover(int position)
{
    if (position != m_hovered) {
        setHovered(position);
        m_report(position);
    }
}

void HoverCanvas::mouseMoveEvent(QMouseEvent* event)
{
    int nearest = -1;
    double best = kPickRadius * kPickRadius;
    forEachPoint([&](const QPointF& point, int position) {
        const QPointF delta = point - event->position();
        const double distance = QPointF::dotProduct(delta, delta);
        if (distance < best) {
            best = distance;
            nearest = position;
        }
    });
    hover(nearest);
}

void HoverCanvas::leaveEvent(QEvent*)
{
    hover(-1);
}

} // namespace attnscope::gui
