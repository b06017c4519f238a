#include "views/graph_view.h"

#include "colormap.h"
#include "views/graph_hover_canvas.h"

#include "attnscope/figure_graph.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

const QColor kBackground(24, 25, 27);

// The palette, edge rule and node size are core's (figure_graph.h), shared with the exported figure.
QColor clusterColour(int cluster)
{
    const FigureColour colour = graphClusterColour(cluster);
    return {colour.red, colour.green, colour.blue};
}

} // namespace

/// The drawing surface: maps core's unit-disc positions into the widget and paints edges, nodes
/// and labels; hover picks the nearest node.
class GraphCanvas : public HoverCanvas {
public:
    explicit GraphCanvas(GraphView* owner)
        : HoverCanvas([owner](int position) { emit owner->tokenHovered(position); }, owner)
    {
    }

    void setGraph(std::shared_ptr<const AttentionGraph> graph, QStringList tokens)
    {
        m_graph = std::move(graph);
        m_tokens = std::move(tokens);
        update();
    }
    int nodeCount() const { return m_graph ? static_cast<int>(m_graph->positions.size()) : 0; }

protected:
    QPointF place(const Point2& point) const
    {
        const double margin = 28.0;
        const double half = std::max(1.0, std::min(width(), height()) / 2.0 - margin);
        const bool line = m_graph && m_graph->layout == GraphLayoutKind::ByPosition;
        // By position: the line spans the width and the arcs rise above a baseline near the bottom.
        if (line) {
            return {width() / 2.0 + point.x * (width() / 2.0 - margin), height() - margin - 12.0};
        }
        return {width() / 2.0 + point.x * half, height() / 2.0 - point.y * half};
    }

    void paintEvent(QPaintEvent*) override
    {
        QPainter painter(this);
        painter.fillRect(rect(), kBackground);
        if (!m_graph) {
            painter.setPen(QColor(200, 200, 208));
            painter.drawText(rect(), Qt::AlignCenter, tr("Graph · waiting for a result"));
            return;
        }
        painter.setRenderHint(QPainter::Antialiasing, true);
        const AttentionGraph& graph = *m_graph;
        const float maxWeight = graphMaxWeight(graph);
        const bool arcs = graph.layout == GraphLayoutKind::ByPosition;
        for (const GraphEdge& edge : graph.edges) {
            const bool touches = hovered() < 0 || edge.source == hovered() || edge.target == hovered();
            const GraphEdgeStyle style = graphEdgeStyle(edge.weight / maxWeight);
            QColor colour(kGraphEdgeColour.red, kGraphEdgeColour.green, kGraphEdgeColour.blue);
            colour.setAlphaF(touches ? style.alpha : 0.05f);
            painter.setPen(QPen(colour, style.width));
            const QPointF a = place(graph.positions[static_cast<std::size_t>(edge.source)]);
            const QPointF b = place(graph.positions[static_cast<std::size_t>(edge.target)]);
            if (arcs) {
                QPainterPath path(a);
                const double rise = std::min(height() - 50.0, std::abs(b.x() - a.x()) * 0.5);
                path.quadTo(QPointF((a.x() + b.x()) / 2.0, a.y() - rise), b);
                painter.drawPath(path);
            } else {
                painter.drawLine(a, b);
            }
        }
        const int n = static_cast<int>(graph.positions.size());
        const double radius = graphNodeRadius(n);
        QFont font = painter.font();
        font.setPixelSize(11);
        painter.setFont(font);
        for (int node = 0; node < n; ++node) {
            QColor fill = graph.clusters.empty()
                              ? QColor::fromRgb(Colormap::viridis().map(n > 1 ? static_cast<float>(node) / (n - 1) : 0.0f))
                              : clusterColour(graph.clusters[static_cast<std::size_t>(node)]);
            const QPointF centre = place(graph.positions[static_cast<std::size_t>(node)]);
            painter.setPen(node == hovered() ? QPen(Qt::white, 2.0) : QPen(QColor(15, 15, 18), 1.0));
            painter.setBrush(fill);
            painter.drawEllipse(centre, radius, radius);
            if (n <= 80 || node == hovered()) {
                painter.setPen(node == hovered() ? Qt::white : QColor(200, 200, 210));
                const QString label = node < m_tokens.size() ? m_tokens[node] : QString::number(node);
                painter.drawText(centre + QPointF(radius + 2.0, -radius), label);
            }
        }
    }

    void forEachPoint(const std::function<void(const QPointF&, int)>& visit) const override
    {
        for (std::size_t node = 0; m_graph && node < m_graph->positions.size(); ++node) {
            visit(place(m_graph->positions[node]), static_cast<int>(node));
        }
    }

private:
    std::shared_ptr<const AttentionGraph> m_graph;
    QStringList m_tokens;
};

GraphView::GraphView(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* top = new QHBoxLayout;
    m_header = new QLabel(tr("Graph of kept edges"), this);
    m_header->setStyleSheet(QStringLiteral("font-weight: bold; color: #c8c8d0;"));
    m_layout = new QComboBox(this);
    for (GraphLayoutKind kind : graphLayoutKinds()) {
        const bool force = kind == GraphLayoutKind::FruchtermanReingold || kind == GraphLayoutKind::KamadaKawai;
        if (!force || forceLayoutsAvailable()) {
            m_layout->addItem(QString::fromLatin1(graphLayoutName(kind)), static_cast<int>(kind));
        }
    }
    m_layout->setToolTip(tr("Layout, computed in core (Boost.Graph)"));
    top->addWidget(m_header, 1);
    top->addWidget(new QLabel(tr("layout"), this));
    top->addWidget(m_layout);
    layout->addLayout(top);
    m_canvas = new GraphCanvas(this);
    layout->addWidget(m_canvas, 1);
    connect(m_layout, &QComboBox::currentIndexChanged, this, &GraphView::layoutKindChanged);
}

GraphLayoutKind GraphView::layoutKind() const
{
    return static_cast<GraphLayoutKind>(m_layout->currentData().toInt());
}

void GraphView::setLayoutKind(GraphLayoutKind kind)
{
    const int index = m_layout->findData(static_cast<int>(kind));
    if (index >= 0) {
        m_layout->setCurrentIndex(index);
    }
}

void GraphView::setGraph(std::shared_ptr<const AttentionGraph> graph, const QStringList& tokens)
{
    m_graph = std::move(graph);
    if (m_graph) {
        m_header->setText(tr("Layer %1 · head %2 · %3 · %4 nodes · %5 edges%6")
                              .arg(m_graph->layer).arg(m_graph->head).arg(QString::fromStdString(m_graph->variant))
                              .arg(m_graph->nTokens).arg(m_graph->edges.size())
                              .arg(m_graph->clusterCount > 0 ? tr(" · coloured by cluster (%1)").arg(m_graph->clusterCount)
                                                             : QString()));
    }
    m_canvas->setGraph(m_graph, tokens);
}

void GraphView::setHoveredToken(int position)
{
    m_canvas->setHovered(position);
}

int GraphView::nodeCount() const
{
    return m_canvas->nodeCount();
}

QWidget* GraphView::canvas() const
{
    return m_canvas;
}

} // namespace attnscope::gui
