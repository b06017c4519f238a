#include "views/embedding_view.h"

#include "colormap.h"
#include "views/graph_hover_canvas.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QVBoxLayout>

#include <algorithm>
#include <optional>

namespace attnscope::gui {

namespace {

const QColor kBackground(24, 25, 27);

QColor rgb(const FigureColour& colour)
{
    return {colour.red, colour.green, colour.blue};
}

} // namespace

class EmbeddingCanvas : public HoverCanvas {
public:
    explicit EmbeddingCanvas(EmbeddingView* owner)
        : HoverCanvas([owner](int position) { emit owner->tokenHovered(position); }, owner)
    {
    }

    void setData(std::shared_ptr<const EmbeddingData> data, QStringList tokens)
    {
        m_data = std::move(data);
        m_tokens = std::move(tokens);
        rebuild();
    }
    void setStyle(const EmbeddingStyle& style)
    {
        m_style = style;
        rebuild();
    }
    const EmbeddingStyle& style() const { return m_style; }
    int drawnPoints = 0;
    int drawnEdges = 0;

protected:
    // Core scaled both point sets into [-1, 1] on one scale; the square fills the canvas.
    QPointF place(const FigureScatterPoint& point) const
    {
        const double half = std::max(1.0, std::min(width(), height()) / 2.0 - 16.0);
        return {width() / 2.0 + point.x * half, height() / 2.0 - point.y * half};
    }

    void paintEvent(QPaintEvent*) override
    {
        QPainter painter(this);
        painter.fillRect(rect(), kBackground);
        drawnPoints = 0;
        drawnEdges = 0;
        if (!m_data || !m_scatter) {
            painter.setPen(QColor(200, 200, 208));
            painter.drawText(rect(), Qt::AlignCenter, tr("Q/K embedding · waiting for a result"));
            return;
        }
        painter.setRenderHint(QPainter::Antialiasing, true);
        const FigureScatter& scatter = *m_scatter;
        const auto& points = scatter.points;
        QColor edgeColour = rgb(scatter.edgeColour);
        edgeColour.setAlphaF(hovered() >= 0 ? 200.0f / 255.0f : scatter.edgeAlpha);
        painter.setPen(QPen(edgeColour, scatter.edgeWidth));
        for (const FigureScatterEdge& edge : scatter.edges) {
            const FigureScatterPoint& query = points[static_cast<std::size_t>(edge.from)];
            if (hovered() >= 0 && query.position != hovered()) {
                continue;
            }
            painter.drawLine(place(query), place(points[static_cast<std::size_t>(edge.to)]));
            ++drawnEdges;
        }
        const double radius = scatter.pointRadius;
        for (const FigureScatterPoint& point : points) {
            const bool marked = point.position == hovered();
            painter.setPen(marked ? QPen(Qt::white, 2.0) : QPen(rgb(scatter.rimColour), scatter.rimWidth));
            painter.setBrush(point.t >= 0.0f ? QColor::fromRgb(Colormap::viridis().map(point.t)) : rgb(point.colour));
            const QPointF centre = place(point);
            const bool query = point.mark == FigureMark::Circle;
            if (query) {
                painter.drawEllipse(centre, radius, radius);
            } else {
                painter.drawRect(QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius));
            }
            ++drawnPoints;
            if (marked) {
                const QString label = point.position < m_tokens.size() ? m_tokens[point.position] : QString::number(point.position);
                painter.setPen(Qt::white);
                painter.drawText(centre + QPointF(radius + 2, -radius), (query ? tr("q %1") : tr("k %1")).arg(label));
            }
        }
        const QkEmbedding& e = m_data->embedding;
        painter.setPen(QColor(170, 170, 180));
        painter.drawText(QRectF(6, height() - 18, width() - 12, 16), Qt::AlignLeft | Qt::AlignVCenter,
                         tr("● query   ■ key   PC1 %1% · PC2 %2% of the variance")
                             .arg(e.explained[0] * 100.0, 0, 'f', 1).arg(e.explained[1] * 100.0, 0, 'f', 1));
    }

    void forEachPoint(const std::function<void(const QPointF&, int)>& visit) const override
    {
        if (m_scatter) {
            for (const FigureScatterPoint& point : m_scatter->points) {
                visit(place(point), point.position);
            }
        }
    }

private:
    /// Core's points for the data and switches; without a kept mask that fits, no edges, and
    /// without the ids, colour by position.
    void rebuild()
    {
        m_scatter.reset();
        if (m_data) {
            const auto n = static_cast<std::size_t>(std::max(0, m_data->embedding.nTokens));
            EmbeddingStyle style = m_style;
            style.keptEdges = style.keptEdges && m_data->kept.size() == n * n;
            if (m_data->ids.size() != n) {
                style.colouring = EmbeddingColouring::Position;
            }
            if (auto scatter = embeddingScatter(*m_data, style)) {
                m_scatter = std::move(scatter.value());
            }
        }
        update();
    }

    std::shared_ptr<const EmbeddingData> m_data;
    QStringList m_tokens;
    EmbeddingStyle m_style;
    std::optional<FigureScatter> m_scatter;
};

EmbeddingView::EmbeddingView(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* top = new QHBoxLayout;
    m_header = new QLabel(tr("Queries and keys, projected together (PCA)"), this);
    m_header->setStyleSheet(QStringLiteral("font-weight: bold; color: #c8c8d0;"));
    m_colour = new QComboBox(this);
    m_colour->addItems({tr("colour by position"), tr("colour by token")});
    m_edges = new QCheckBox(tr("kept edges"), this);
    m_edges->setToolTip(tr("Draw the variant's kept query → key pairs (hover a point for one query's)"));
    top->addWidget(m_header, 1);
    top->addWidget(m_colour);
    top->addWidget(m_edges);
    layout->addLayout(top);
    m_canvas = new EmbeddingCanvas(this);
    layout->addWidget(m_canvas, 1);
    connect(m_colour, &QComboBox::currentIndexChanged, this, [this](int index) { setColourByToken(index == 1); });
    connect(m_edges, &QCheckBox::toggled, this, &EmbeddingView::setShowEdges);
}

void EmbeddingView::setData(std::shared_ptr<const EmbeddingData> data, const QStringList& tokens)
{
    m_data = std::move(data);
    if (m_data) {
        m_header->setText(tr("Layer %1 · head %2 · queries and keys (PCA) · edges: %3")
                              .arg(m_data->embedding.layer)
                              .arg(m_data->embedding.head)
                              .arg(QString::fromStdString(m_data->variant)));
    }
    m_canvas->setData(m_data, tokens);
}

void EmbeddingView::setHoveredToken(int position)
{
    m_canvas->setHovered(position);
}

void EmbeddingView::setShowEdges(bool show)
{
    if (m_edges->isChecked() != show) {
        m_edges->setChecked(show);  // re-enters through toggled
        return;
    }
    EmbeddingStyle style = m_canvas->style();
    style.keptEdges = show;
    m_canvas->setStyle(style);
}

void EmbeddingView::setColourByToken(bool byToken)
{
    if (m_colour->currentIndex() != (byToken ? 1 : 0)) {
        m_colour->setCurrentIndex(byToken ? 1 : 0);
        return;
    }
    EmbeddingStyle style = m_canvas->style();
    style.colouring = byToken ? EmbeddingColouring::Token : EmbeddingColouring::Position;
    m_canvas->setStyle(style);
}

EmbeddingStyle EmbeddingView::style() const
{
    return m_canvas->style();
}

int EmbeddingView::drawnPointCount() const
{
    return m_canvas->drawnPoints;
}

int EmbeddingView::drawnEdgeCount() const
{
    return m_canvas->drawnEdges;
}

QWidget* EmbeddingView::canvas() const
{
    return m_canvas;
}

} // namespace attnscope::gui
