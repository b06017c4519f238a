#include "figure_painter_items.h"

#include "figure_style.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace attnscope::figure {

using namespace style;

void paintTokenLines(QPainter& painter, const FigureTokenLines& block, const TokenLinesPlacement& placement)
{
    const QRectF& box = placement.box;
    painter.setFont(font(9));
    painter.setPen(kInk);
    painter.drawText(QRectF(box.left(), box.top() - kPanelTitleHeight, box.width(), kPanelTitleHeight - 2.0),
                     Qt::AlignHCenter | Qt::AlignBottom, QString::fromStdString(block.title));
    auto anchor = [&](int position, bool keySide) {
        return QPointF(keySide ? box.right() : box.left(), box.top() + (position + 0.5) * block.rowHeight);
    };
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    for (const FigureLine& line : block.lines) {
        if (line.set < 0 || line.set >= static_cast<int>(block.sets.size())) {
            continue;
        }
        const FigureColour& rgb = block.sets[static_cast<std::size_t>(line.set)].colour;
        QColor colour(rgb.red, rgb.green, rgb.blue);
        colour.setAlphaF(line.alpha);
        painter.setPen(QPen(colour, line.width, Qt::SolidLine, Qt::RoundCap));
        painter.drawLine(anchor(line.query, false), anchor(line.key, true));
    }
    painter.restore();
    if (placement.labelPixelSize > 0) {
        painter.setFont(font(placement.labelPixelSize));
        painter.setPen(kMutedInk);
        const QFontMetricsF metrics(painter.font());
        const double room = placement.labelRoom - 3.0;
        for (int position = 0; position < block.n; ++position) {
            const QString label = metrics.elidedText(QString::fromStdString(block.tokens[static_cast<std::size_t>(position)]),
                                                     Qt::ElideRight, room);
            const double y = box.top() + position * block.rowHeight;
            painter.drawText(QRectF(box.left() - placement.labelRoom, y, room, block.rowHeight), Qt::AlignRight | Qt::AlignVCenter,
                             label);
            painter.drawText(QRectF(box.right() + 3.0, y, room, block.rowHeight), Qt::AlignLeft | Qt::AlignVCenter, label);
        }
    }
    painter.setFont(font(8));
    double y = placement.legend.top();
    for (const FigureLineSet& set : block.sets) {
        painter.fillRect(QRectF(placement.legend.left(), y + (kLegendLine - set.legendWidth) / 2.0, 14.0, set.legendWidth),
                         QColor(set.colour.red, set.colour.green, set.colour.blue));
        painter.setPen(kInk);
        painter.drawText(QRectF(placement.legend.left() + 18.0, y, placement.legend.width() - 18.0, kLegendLine),
                         Qt::AlignLeft | Qt::AlignVCenter, QString::fromStdString(set.name));
        y += kLegendLine;
    }
}

namespace {

/// A block's title over its plot, then the plot's thin frame.
void paintTitledFrame(QPainter& painter, const QRectF& plot, const std::string& title)
{
    painter.setFont(font(9));
    painter.setPen(kInk);
    painter.drawText(QRectF(plot.left(), plot.top() - kPanelTitleHeight, plot.width(), kPanelTitleHeight - 2.0),
                     Qt::AlignHCenter | Qt::AlignBottom, QString::fromStdString(title));
    painter.setPen(QPen(kFrame, 0.5));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(plot);
}

/// A node's or point's fill: t >= 0 on the sequential map, else its own colour.
QColor pointFill(float t, const FigureColour& colour, const Colormap& sequential)
{
    return t >= 0.0f ? QColor::fromRgb(sequential.map(t)) : QColor(colour.red, colour.green, colour.blue);
}

} // namespace

void paintAxisTitles(QPainter& painter, const QRectF& plot, const QRectF& xBox, double yLeft, const std::string& xTitle,
                     const std::string& yTitle)
{
    painter.setFont(font(8));
    painter.setPen(kInk);
    painter.drawText(xBox, Qt::AlignHCenter | Qt::AlignTop, QString::fromStdString(xTitle));
    painter.save();
    painter.translate(yLeft, plot.bottom());
    painter.rotate(-90.0);
    painter.drawText(QRectF(0.0, 0.0, plot.height(), 12.0), Qt::AlignHCenter | Qt::AlignTop, QString::fromStdString(yTitle));
    painter.restore();
}

void paintGraph(QPainter& painter, const FigureGraph& graph, const QRectF& plot, const Colormap& sequential)
{
    paintTitledFrame(painter, plot, graph.title);
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    const int n = static_cast<int>(graph.nodes.size());
    for (const FigureGraphEdge& edge : graph.edges) {
        if (edge.source < 0 || edge.target < 0 || edge.source >= n || edge.target >= n) {
            continue;
        }
        QColor colour(graph.edgeColour.red, graph.edgeColour.green, graph.edgeColour.blue);
        colour.setAlphaF(edge.alpha);
        painter.setPen(QPen(colour, edge.width));
        painter.setBrush(Qt::NoBrush);
        const QPointF a = placeGraphNode(graph, graph.nodes[static_cast<std::size_t>(edge.source)], plot);
        const QPointF b = placeGraphNode(graph, graph.nodes[static_cast<std::size_t>(edge.target)], plot);
        if (graph.arcs) {
            QPainterPath path(a);
            const double rise = std::min(plot.height() - 50.0, std::abs(b.x() - a.x()) * 0.5);
            path.quadTo(QPointF((a.x() + b.x()) / 2.0, a.y() - rise), b);
            painter.drawPath(path);
        } else {
            painter.drawLine(a, b);
        }
    }
    painter.setPen(QPen(QColor(15, 15, 18), 0.5));
    for (const FigureGraphNode& node : graph.nodes) {
        painter.setBrush(pointFill(node.t, node.colour, sequential));
        painter.drawEllipse(placeGraphNode(graph, node, plot), graph.nodeRadius, graph.nodeRadius);
    }
    painter.restore();
    if (static_cast<int>(graph.labels.size()) == n) {
        painter.setFont(font(7));
        painter.setPen(kMutedInk);
        for (int node = 0; node < n; ++node) {
            const QPointF centre = placeGraphNode(graph, graph.nodes[static_cast<std::size_t>(node)], plot);
            painter.drawText(centre + QPointF(graph.nodeRadius + 1.5, -graph.nodeRadius),
                             QString::fromStdString(graph.labels[static_cast<std::size_t>(node)]));
        }
    }
}

void paintScatter(QPainter& painter, const FigureScatter& scatter, const ScatterPlacement& placement, const Colormap& sequential)
{
    const QRectF& plot = placement.plot;
    paintTitledFrame(painter, plot, scatter.title);
    paintAxisTitles(painter, plot, placement.xTitle, plot.left() - kScatterAxisRoom + 2.0, scatter.xTitle, scatter.yTitle);
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    const int count = static_cast<int>(scatter.points.size());
    QColor edgeColour(scatter.edgeColour.red, scatter.edgeColour.green, scatter.edgeColour.blue);
    edgeColour.setAlphaF(scatter.edgeAlpha);
    painter.setPen(QPen(edgeColour, scatter.edgeWidth));
    painter.setBrush(Qt::NoBrush);
    for (const FigureScatterEdge& edge : scatter.edges) {
        if (edge.from >= 0 && edge.to >= 0 && edge.from < count && edge.to < count) {
            painter.drawLine(placeScatterPoint(scatter.points[static_cast<std::size_t>(edge.from)], plot),
                             placeScatterPoint(scatter.points[static_cast<std::size_t>(edge.to)], plot));
        }
    }
    painter.setPen(QPen(QColor(scatter.rimColour.red, scatter.rimColour.green, scatter.rimColour.blue), scatter.rimWidth));
    const double radius = scatter.pointRadius;
    for (const FigureScatterPoint& point : scatter.points) {
        painter.setBrush(pointFill(point.t, point.colour, sequential));
        const QPointF centre = placeScatterPoint(point, plot);
        if (point.mark == FigureMark::Square) {
            painter.drawRect(QRectF(centre.x() - radius, centre.y() - radius, 2.0 * radius, 2.0 * radius));
        } else {
            painter.drawEllipse(centre, radius, radius);
        }
    }
    painter.restore();
    painter.setFont(font(8));
    painter.setPen(kInk);
    double y = placement.legend.top();
    for (const std::string& line : scatter.legend) {
        painter.drawText(QRectF(placement.legend.left(), y, placement.legend.width(), kLegendLine), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::fromStdString(line));
        y += kLegendLine;
    }
}

} // namespace attnscope::figure
