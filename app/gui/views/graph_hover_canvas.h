#pragma once
// A canvas of token points (graph nodes, query and key points): hover picks the nearest point within
// a few pixels, marks it and reports its token; a hover from elsewhere marks it without reporting.
// Shared by the graph and Q/K embedding views.

#include <QPointF>
#include <QWidget>

#include <functional>

namespace attnscope::gui {

class HoverCanvas : public QWidget {
public:
    /// `report` receives the token under the mouse (-1 when none).
    HoverCanvas(std::function<void(int)> report, QWidget* parent);

    void setHovered(int position);
    int hovered() const { return m_hovered; }

protected:
    /// Calls visit(point in widget coordinates, token position) for every pickable point.
    virtual void forEachPoint(const std::function<void(const QPointF&, int)>& visit) const = 0;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void hover(int position);

    std::function<void(int)> m_report;
    int m_hovered = -1;
};

} // namespace attnscope::gui
