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
#include <cmath>

namespace attnscope::gui {

namespace {

const QColor kBackground(24, 25, 27);

// A stable hue per token id, so repeated tokens share a colour.
QColor tokenColour(std::int32_t id)
{
    const auto hash = static_cast<std::uint32_t>(id) * 2654435761u;
    return QColor::fromHsv(static_cast<int>(hash % 360u), 170, 235);
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
        update();
    }
    bool showEdges = false;
    bool byToken = false;
    int drawnPoints = 0;
    int drawnEdges = 0;

protected:
    // Both point sets share one scale so distances between a query and a key mean something.
    QPointF place(const Point2& point) const
    {
        const QkEmbedding& e = m_data->embedding;
        double extent = 1e-9;
        for (const auto* set : {&e.queries, &e.keys}) {
            for (const Point2& p : *set) {
                extent = std::max({extent, std::abs(p.x), std::abs(p.y)});
            }
        }
        const double half = std::max(1.0, std::min(width(), height()) / 2.0 - 16.0);
        return {width() / 2.0 + point.x / extent * half, height() / 2.0 - point.y / extent * half};
    }

    void paintEvent(QPaintEvent*) override
    {
        QPainter painter(this);
        painter.fillRect(rect(), kBackground);
        drawnPoints = 0;
        drawnEdges = 0;
        if (!m_data) {
            painter.setPen(QColor(200, 200, 208));
            painter.drawText(rect(), Qt::AlignCenter, tr("Q/K embedding · waiting for a result"));
            return;
        }
        painter.setRenderHint(QPainter::Antialiasing, true);
        const QkEmbedding& e = m_data->embedding;
        const int n = e.nTokens;
        const bool edgesFit = m_data->kept.size() == static_cast<std::size_t>(n) * n;
        if (showEdges && edgesFit) {
            for (int query = 0; query < n; ++query) {
                if (hovered() >= 0 && query != hovered()) {
                    continue;
                }
                for (int key = 0; key < n; ++key) {
                    if (m_data->kept[static_cast<std::size_t>(query) * n + key]) {
                        painter.setPen(QPen(QColor(255, 170, 90, hovered() >= 0 ? 200 : 60), 1.0));
                        painter.drawLine(place(e.queries[static_cast<std::size_t>(query)]),
                                         place(e.keys[static_cast<std::size_t>(key)]));
                        ++drawnEdges;
                    }
                }
            }
        }
        auto colour = [&](int position) {
            if (byToken && position < static_cast<int>(m_data->ids.size())) {
                return tokenColour(m_data->ids[static_cast<std::size_t>(position)]);
            }
            return QColor::fromRgb(Colormap::viridis().map(n > 1 ? static_cast<float>(position) / (n - 1) : 0.0f));
        };
        const double radius = std::clamp(90.0 / std::sqrt(std::max(1, n)), 2.5, 6.0);
        for (int position = 0; position < n; ++position) {
            const bool marked = position == hovered();
            painter.setPen(marked ? QPen(Qt::white, 2.0) : QPen(QColor(10, 10, 12), 0.8));
            painter.setBrush(colour(position));
            painter.drawEllipse(place(e.queries[static_cast<std::size_t>(position)]), radius, radius);
            const QPointF key = place(e.keys[static_cast<std::size_t>(position)]);
            painter.drawRect(QRectF(key.x() - radius, key.y() - radius, 2 * radius, 2 * radius));
            drawnPoints += 2;
            if (marked) {
                const QString label = position < m_tokens.size() ? m_tokens[position] : QString::number(position);
                painter.setPen(Qt::white);
                painter.drawText(place(e.queries[static_cast<std::size_t>(position)]) + QPointF(radius + 2, -radius),
                                 tr("q %1").arg(label));
                painter.drawText(key + QPointF(radius + 2, -radius), tr("k %1").arg(label));
            }
        }
        painter.setPen(QColor(170, 170, 180));
        painter.drawText(QRectF(6, height() - 18, width() - 12, 16), Qt::AlignLeft | Qt::AlignVCenter,
                         tr("● query   ■ key   PC1 %1% · PC2 %2% of the variance")
                             .arg(e.explained[0] * 100.0, 0, 'f', 1).arg(e.explained[1] * 100.0, 0, 'f', 1));
    }

    void forEachPoint(const std::function<void(const QPointF&, int)>& visit) const override
    {
        if (!m_data) {
            return;
        }
        const QkEmbedding& e = m_data->embedding;
        for (int position = 0; position < e.nTokens; ++position) {
            visit(place(e.queries[static_cast<std::size_t>(position)]), position);
            visit(place(e.keys[static_cast<std::size_t>(position)]), position);
        }
    }

private:
    std::shared_ptr<const EmbeddingData> m_data;
    QStringList m_tokens;
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
                              .arg(m_data->embedding.layer).arg(m_data->embedding.head).arg(m_data->variant));
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
    m_canvas->showEdges = show;
    m_canvas->update();
}

void EmbeddingView::setColourByToken(bool byToken)
{
    if (m_colour->currentIndex() != (byToken ? 1 : 0)) {
        m_colour->setCurrentIndex(byToken ? 1 : 0);
        return;
    }
    m_canvas->byToken = byToken;
    m_canvas->update();
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
